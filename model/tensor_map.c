/* Owning container of named fp32 tensors, plus the small conversions readers share. */
#include "model/tensor_map.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/status.h"

void hexgpu_tensor_map_free(hexgpu_tensor_map *map) {
    for (size_t i = 0; i < map->count; i++) {
        free(map->items[i].name);
        free(map->items[i].data);
    }
    free(map->items);
    memset(map, 0, sizeof *map);
}

const hexgpu_tensor *hexgpu_tensor_map_find(const hexgpu_tensor_map *map, const char *name) {
    for (size_t i = 0; i < map->count; i++)
        if (strcmp(map->items[i].name, name) == 0) return &map->items[i];
    return NULL;
}

hexgpu_status hexgpu_tensor_map_add(hexgpu_tensor_map *map, const char *name, int ndim, const int64_t *shape,
                                    hexgpu_dtype source_dtype, float *data, hexgpu_error *err) {
    if (ndim < 0 || ndim > HEXGPU_TENSOR_MAX_DIMS) {
        free(data);
        return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT, "tensor '%s' has %d dimensions (at most %d supported)",
                                name, ndim, HEXGPU_TENSOR_MAX_DIMS);
    }
    if (hexgpu_tensor_map_find(map, name)) {
        free(data);
        return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT, "tensor '%s' appears twice", name);
    }
    if (map->count == map->capacity) {
        size_t cap = map->capacity ? map->capacity * 2 : 64;
        hexgpu_tensor *items = realloc(map->items, cap * sizeof *items);
        if (!items) {
            free(data);
            return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "no memory for tensor '%s'", name);
        }
        map->items = items;
        map->capacity = cap;
    }
    hexgpu_tensor *t = &map->items[map->count];
    memset(t, 0, sizeof *t);
    t->name = strdup(name);
    if (!t->name) {
        free(data);
        return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "no memory for tensor '%s'", name);
    }
    t->ndim = ndim;
    t->numel = 1;
    for (int d = 0; d < ndim; d++) {
        t->shape[d] = shape[d];
        t->numel *= shape[d];
    }
    t->source_dtype = source_dtype;
    t->data = data;
    map->count++;
    return HEXGPU_OK;
}

const char *hexgpu_dtype_name(hexgpu_dtype dtype) {
    static const char *const names[HEXGPU_DTYPE_COUNT] = {"F32", "F16", "BF16", "F64", "I64"};
    return (unsigned)dtype < HEXGPU_DTYPE_COUNT ? names[dtype] : "?";
}

const char *hexgpu_shape_str(int ndim, const int64_t *shape, char *buf, size_t len) {
    size_t used = 0;
    used += (size_t)snprintf(buf, len, "[");
    for (int d = 0; d < ndim && used < len; d++)
        used += (size_t)snprintf(buf + used, len - used, d ? ", %lld" : "%lld", (long long)shape[d]);
    if (used < len) snprintf(buf + used, len - used, "]");
    return buf;
}

float hexgpu_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu, bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (mant << 13); /* inf / nan */
    } else if (exp != 0) {
        bits = sign | ((exp + 112u) << 23) | (mant << 13);
    } else if (mant == 0) {
        bits = sign;
    } else { /* subnormal: renormalise */
        int e = -1;
        do {
            e++;
            mant <<= 1;
        } while (!(mant & 0x400u));
        bits = sign | ((uint32_t)(112 - e) << 23) | ((mant & 0x3ffu) << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

float hexgpu_bf16_to_f32(uint16_t b) {
    uint32_t bits = (uint32_t)b << 16;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

uint16_t hexgpu_f32_to_f16(float f) {
    /* Round to nearest even, with overflow to inf and subnormals handled. */
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint32_t sign = (x >> 16) & 0x8000u;
    uint32_t abs = x & 0x7fffffffu;
    if (abs >= 0x7f800000u) return (uint16_t)(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0));
    if (abs >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u); /* rounds past 65504 */
    if (abs < 0x38800000u) {                                   /* subnormal or zero in fp16 */
        if (abs < 0x33000000u) return (uint16_t)sign;
        uint32_t exp = abs >> 23, mant = (abs & 0x7fffffu) | 0x800000u;
        uint32_t shift = 126 - exp; /* 14..24 */
        uint32_t half = mant >> shift, rem = mant & ((1u << shift) - 1), mid = 1u << (shift - 1);
        if (rem > mid || (rem == mid && (half & 1u))) half++;
        return (uint16_t)(sign | half);
    }
    uint32_t half = ((abs - 0x38000000u) >> 13);
    uint32_t rem = abs & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (half & 1u))) half++;
    return (uint16_t)(sign | half);
}
