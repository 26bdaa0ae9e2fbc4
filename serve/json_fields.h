/* Typed members of a request's JSON object, with the reference system's defaults and one
 * clear message for a member of the wrong type or out of range ("'num_simulations' must be
 * an integer in 1..20000, got 0"). Each returns HEXGPU_OK (the default when the member is
 * absent, or null where allowed) or HEXGPU_ERR_INVALID_ARGUMENT with err filled. */
#pragma once

#include "hexgpu.h"
#include "base/json.h"

/* A string member. required: absence (or null) is an error; else *out = fallback. */
hexgpu_status hexgpu_field_string(const hexgpu_json *obj, const char *key, int required, const char *fallback,
                                  const char **out, hexgpu_error *err);
/* An integer in lo..hi (a JSON number with no fraction; 2.0 counts as 2). */
hexgpu_status hexgpu_field_int(const hexgpu_json *obj, const char *key, long long lo, long long hi,
                               long long fallback, long long *out, hexgpu_error *err);
/* A finite number in [lo, hi]. */
hexgpu_status hexgpu_field_number(const hexgpu_json *obj, const char *key, double lo, double hi, double fallback,
                                  double *out, hexgpu_error *err);
/* true or false (0 and 1 are accepted too, as Python's bool() of the reference takes them). */
hexgpu_status hexgpu_field_bool(const hexgpu_json *obj, const char *key, int fallback, int *out, hexgpu_error *err);
