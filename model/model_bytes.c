/* Magic numbers, element conversion and allocation limits shared by the model readers. */
#include "model/model_bytes.h"

#include <string.h>

#include "base/status.h"

int hexgpu_bytes_are_gzip(const uint8_t *b, size_t len) { return len >= 2 && b[0] == 0x1f && b[1] == 0x8b; }

int hexgpu_bytes_are_zip(const uint8_t *b, size_t len) {
    return len >= 4 && b[0] == 'P' && b[1] == 'K' && (b[2] == 3 || b[2] == 5) && b[3] == b[2] + 1;
}

size_t hexgpu_dtype_size(hexgpu_dtype dtype) {
    switch (dtype) {
    case HEXGPU_DTYPE_F32: return 4;
    case HEXGPU_DTYPE_F16:
    case HEXGPU_DTYPE_BF16: return 2;
    case HEXGPU_DTYPE_F64:
    case HEXGPU_DTYPE_I64: return 8;
    default: return 0;
    }
}

static uint64_t load_le(const uint8_t *p, size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static int host_is_little_endian(void) {
    const uint16_t one = 1;
    uint8_t first;
    memcpy(&first, &one, 1);
    return first == 1;
}

/* One loop per dtype (the switch is outside the loop): this runs over every weight. */
void hexgpu_convert_to_f32(float *dst, const uint8_t *src, size_t n, hexgpu_dtype dtype) {
    switch (dtype) {
    case HEXGPU_DTYPE_F32:
        if (host_is_little_endian()) {
            memcpy(dst, src, n * 4);
        } else {
            for (size_t i = 0; i < n; i++) {
                uint32_t b = (uint32_t)load_le(src + 4 * i, 4);
                memcpy(&dst[i], &b, 4);
            }
        }
        break;
    case HEXGPU_DTYPE_F16:
        for (size_t i = 0; i < n; i++) dst[i] = hexgpu_f16_to_f32((uint16_t)load_le(src + 2 * i, 2));
        break;
    case HEXGPU_DTYPE_BF16:
        for (size_t i = 0; i < n; i++) dst[i] = hexgpu_bf16_to_f32((uint16_t)load_le(src + 2 * i, 2));
        break;
    case HEXGPU_DTYPE_F64:
        for (size_t i = 0; i < n; i++) {
            uint64_t bits = load_le(src + 8 * i, 8);
            double d;
            memcpy(&d, &bits, 8);
            dst[i] = (float)d;
        }
        break;
    case HEXGPU_DTYPE_I64:
        for (size_t i = 0; i < n; i++) dst[i] = (float)(int64_t)load_le(src + 8 * i, 8);
        break;
    default:
        memset(dst, 0, n * sizeof *dst);
        break;
    }
}

void hexgpu_output_budget_init(hexgpu_output_budget *budget, size_t input_len) {
    budget->left = 4 * (uint64_t)input_len + ((uint64_t)1 << 20);
}

hexgpu_status hexgpu_output_budget_take(hexgpu_output_budget *budget, const char *tensor, int64_t numel,
                                        hexgpu_error *err) {
    uint64_t bytes = (uint64_t)numel * 4;
    if (numel < 0 || bytes > budget->left)
        return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT,
                                "tensor '%.200s': %lld elements exceed the output allowed for a file this size "
                                "(tensors alias too much data)",
                                tensor, (long long)numel);
    budget->left -= bytes;
    return HEXGPU_OK;
}

hexgpu_status hexgpu_shape_numel(const char *tensor, int ndim, const int64_t *shape, int64_t *numel,
                                 hexgpu_error *err) {
    int64_t n = 1;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] < 0)
            return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT, "tensor '%.200s': negative dimension %lld",
                                    tensor, (long long)shape[d]);
        if (shape[d] != 0 && n > (INT64_MAX / 8) / shape[d])
            return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT, "tensor '%.200s': shape too large", tensor);
        n *= shape[d];
    }
    *numel = n;
    return HEXGPU_OK;
}
