/* Test support: seeded random tensor maps of the reference layout. */
#include "support/random_net.h"

#include <math.h>
#include <stdlib.h>

#include "runtime/status.h"

float hexgpu_test_uniform(uint64_t *state, float lo, float hi) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return lo + (hi - lo) * (float)((double)(z >> 40) / (double)(1ull << 24));
}

hexgpu_status hexgpu_test_random_model(const hexgpu_layout_dims *dims, uint64_t seed, hexgpu_tensor_map *map,
                                       hexgpu_error *err) {
    hexgpu_layout_tensor expected[HEXGPU_LAYOUT_MAX_TENSORS];
    int count = hexgpu_layout_enumerate(dims, expected);
    uint64_t state = seed;
    for (int i = 0; i < count; i++) {
        const hexgpu_layout_tensor *t = &expected[i];
        float *data = malloc((size_t)t->numel * sizeof(float));
        if (!data) return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "out of memory");
        float bound = t->fan_in ? 1.0f / sqrtf((float)t->fan_in) : 0.0f;
        for (int64_t j = 0; j < t->numel; j++) {
            switch (t->role) {
            case HEXGPU_LAYOUT_BN_WEIGHT:
            case HEXGPU_LAYOUT_BN_VAR: data[j] = hexgpu_test_uniform(&state, 0.5f, 1.5f); break;
            case HEXGPU_LAYOUT_BN_BIAS:
            case HEXGPU_LAYOUT_BN_MEAN: data[j] = hexgpu_test_uniform(&state, -0.3f, 0.3f); break;
            case HEXGPU_LAYOUT_BN_COUNT: data[j] = 100.0f; break;
            default: data[j] = hexgpu_test_uniform(&state, -bound, bound); break;
            }
        }
        hexgpu_dtype dtype = t->role == HEXGPU_LAYOUT_BN_COUNT ? HEXGPU_DTYPE_I64 : HEXGPU_DTYPE_F32;
        hexgpu_status st = hexgpu_tensor_map_add(map, t->name, t->ndim, t->shape, dtype, data, err);
        if (st) return st;
    }
    return HEXGPU_OK;
}
