/* Shared by the model readers: the magic numbers, little-endian element conversion to
 * fp32, element sizes, and the output budget that keeps a small hostile file from
 * allocating a lot. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "hexgpu.h"
#include "model/tensor_map.h"

/* 1 when b starts like a gzip stream (1f 8b), a zip archive ("PK\3\4", or "PK\5\6" for
 * an empty one). */
int hexgpu_bytes_are_gzip(const uint8_t *b, size_t len);
int hexgpu_bytes_are_zip(const uint8_t *b, size_t len);

/* Bytes per element of a file dtype. */
size_t hexgpu_dtype_size(hexgpu_dtype dtype);

/* Converts n little-endian elements of dtype at src (any alignment) to fp32. */
void hexgpu_convert_to_f32(float *dst, const uint8_t *src, size_t n, hexgpu_dtype dtype);

/* The fp32 bytes a reader may allocate in total: a few times the input size, so that
 * tensors aliasing one storage or a safetensors span cannot multiply memory use. */
typedef struct hexgpu_output_budget {
    uint64_t left;
} hexgpu_output_budget;

void hexgpu_output_budget_init(hexgpu_output_budget *budget, size_t input_len);

/* Takes numel fp32 values from the budget; fails naming the tensor when it would overrun. */
hexgpu_status hexgpu_output_budget_take(hexgpu_output_budget *budget, const char *tensor, int64_t numel,
                                        hexgpu_error *err);

/* Product of dims into *numel; fails (naming tensor) on a negative dim or when the
 * product or its byte size would overflow int64. */
hexgpu_status hexgpu_shape_numel(const char *tensor, int ndim, const int64_t *shape, int64_t *numel,
                                 hexgpu_error *err);
