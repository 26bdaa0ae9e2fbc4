/* Typed request members (see json_fields.h). */
#include "serve/json_fields.h"

#include <math.h>

#include "base/status.h"

static const hexgpu_json *member(const hexgpu_json *obj, const char *key) {
    const hexgpu_json *v = hexgpu_json_get(obj, key);
    return v && v->type != HEXGPU_JSON_NULL ? v : NULL;
}

hexgpu_status hexgpu_field_string(const hexgpu_json *obj, const char *key, int required, const char *fallback,
                                  const char **out, hexgpu_error *err) {
    const hexgpu_json *v = member(obj, key);
    if (!v) {
        if (required) return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "'%s' is required", key);
        *out = fallback;
        return HEXGPU_OK;
    }
    if (v->type != HEXGPU_JSON_STRING)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "'%s' must be a string", key);
    *out = v->string;
    return HEXGPU_OK;
}

hexgpu_status hexgpu_field_int(const hexgpu_json *obj, const char *key, long long lo, long long hi,
                               long long fallback, long long *out, hexgpu_error *err) {
    const hexgpu_json *v = member(obj, key);
    if (!v) {
        *out = fallback;
        return HEXGPU_OK;
    }
    if (v->type != HEXGPU_JSON_NUMBER || !isfinite(v->number) || floor(v->number) != v->number ||
        v->number < (double)lo || v->number > (double)hi)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "'%s' must be an integer in %lld..%lld", key, lo,
                                hi);
    *out = v->number_is_int ? (long long)v->integer : (long long)v->number;
    return HEXGPU_OK;
}

hexgpu_status hexgpu_field_number(const hexgpu_json *obj, const char *key, double lo, double hi, double fallback,
                                  double *out, hexgpu_error *err) {
    const hexgpu_json *v = member(obj, key);
    if (!v) {
        *out = fallback;
        return HEXGPU_OK;
    }
    if (v->type != HEXGPU_JSON_NUMBER || !isfinite(v->number) || v->number < lo || v->number > hi)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "'%s' must be a number in [%g, %g]", key, lo, hi);
    *out = v->number;
    return HEXGPU_OK;
}

hexgpu_status hexgpu_field_bool(const hexgpu_json *obj, const char *key, int fallback, int *out, hexgpu_error *err) {
    const hexgpu_json *v = member(obj, key);
    if (!v) {
        *out = fallback;
        return HEXGPU_OK;
    }
    if (v->type == HEXGPU_JSON_BOOL) *out = v->boolean;
    else if (v->type == HEXGPU_JSON_NUMBER && (v->number == 0.0 || v->number == 1.0)) *out = v->number != 0.0;
    else return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "'%s' must be true or false", key);
    return HEXGPU_OK;
}
