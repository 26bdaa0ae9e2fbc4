/* A named set of tensors as read from a model file, converted to fp32 on the host.
 * Readers (safetensors, PyTorch .pt/.pt.gz) fill one; network.c turns it into layers. */
#pragma once

#include "hexgpu.h"

#define HEXGPU_TENSOR_MAX_DIMS 8

typedef enum hexgpu_dtype {
    HEXGPU_DTYPE_F32 = 0,
    HEXGPU_DTYPE_F16,
    HEXGPU_DTYPE_BF16,
    HEXGPU_DTYPE_F64,
    HEXGPU_DTYPE_I64, /* num_batches_tracked */
    HEXGPU_DTYPE_COUNT
} hexgpu_dtype;

typedef struct hexgpu_tensor {
    char *name;                /* owned, NUL-terminated */
    int ndim;                  /* 0 for a scalar */
    int64_t shape[HEXGPU_TENSOR_MAX_DIMS];
    int64_t numel;             /* product of shape (1 for a scalar) */
    hexgpu_dtype source_dtype; /* what the file held; data is always fp32 */
    float *data;               /* owned, numel floats, contiguous row-major */
} hexgpu_tensor;

typedef struct hexgpu_tensor_map {
    hexgpu_tensor *items;
    size_t count, capacity;
} hexgpu_tensor_map;

/* Zero-initialised map is empty and valid; so is one after hexgpu_tensor_map_free. */
void hexgpu_tensor_map_free(hexgpu_tensor_map *map);

/* Adds a tensor; takes ownership of data (freed with free(), also on failure). The name
 * is copied. A duplicate name is an error (HEXGPU_ERR_MODEL_FORMAT). */
hexgpu_status hexgpu_tensor_map_add(hexgpu_tensor_map *map, const char *name, int ndim, const int64_t *shape,
                                    hexgpu_dtype source_dtype, float *data, hexgpu_error *err);

/* NULL when absent. */
const hexgpu_tensor *hexgpu_tensor_map_find(const hexgpu_tensor_map *map, const char *name);

/* "dtype name" as safetensors spells it: "F32", "F16", "BF16", "F64", "I64". */
const char *hexgpu_dtype_name(hexgpu_dtype dtype);

/* Formats a shape as "[64, 3, 5, 5]" into buf. Returns buf. */
const char *hexgpu_shape_str(int ndim, const int64_t *shape, char *buf, size_t len);

/* Half-precision conversions used by the readers (and the CUDA weight upload). */
float hexgpu_f16_to_f32(uint16_t h);
float hexgpu_bf16_to_f32(uint16_t b);
uint16_t hexgpu_f32_to_f16(float f);
