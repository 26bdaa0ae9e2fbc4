/* Checked CUDA, cuDNN and cuBLAS calls for the CUDA backend: every failure becomes a
 * HEXGPU_ERR_CUDA (or HEXGPU_ERR_OUT_OF_MEMORY) with the call, the layer and the library's
 * own error string in the message. Nothing here aborts. */
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include "hexgpu.h"

/* Each evaluates to a hexgpu_status: HEXGPU_OK when the call succeeded. `layer` names
 * where it happened ("layer2.0.conv1", "slot create", ...). */
#define HEXGPU_CUDA_CALL(err, layer, call) hexgpu_cuda_check((call), #call, (layer), (err))
#define HEXGPU_CUDNN_CALL(err, layer, call) hexgpu_cudnn_check((call), #call, (layer), (err))
#define HEXGPU_CUBLAS_CALL(err, layer, call) hexgpu_cublas_check((call), #call, (layer), (err))

/* `st = expr; if failed goto fail;` for functions with one cleanup path. Needs a local
 * `hexgpu_status st` and a `fail:` label. */
#define HEXGPU_TRY(expr)                    \
    do {                                    \
        st = (expr);                        \
        if (st != HEXGPU_OK) goto fail;     \
    } while (0)

hexgpu_status hexgpu_cuda_check(cudaError_t code, const char *call, const char *layer, hexgpu_error *err);
/* 1 when cuDNN refused a configuration (CUDNN_STATUS_NOT_SUPPORTED or one of cuDNN 9's
 * NOT_SUPPORTED_* sub-codes): nothing was enqueued, another algorithm may be accepted. */
int hexgpu_cudnn_is_refusal(cudnnStatus_t code);
/* 1 for cuDNN's host and device allocation failures (reported as HEXGPU_ERR_OUT_OF_MEMORY). */
int hexgpu_cudnn_is_allocation_failure(cudnnStatus_t code);
hexgpu_status hexgpu_cudnn_check(cudnnStatus_t code, const char *call, const char *layer, hexgpu_error *err);
hexgpu_status hexgpu_cublas_check(cublasStatus_t code, const char *call, const char *layer, hexgpu_error *err);

/* cudaMalloc / cudaHostAlloc (portable) of `bytes`, named `what` in the error, which says
 * the size asked for and the device's free memory. *ptr is NULL on failure. */
hexgpu_status hexgpu_cuda_device_alloc(void **ptr, size_t bytes, const char *what, hexgpu_error *err);
hexgpu_status hexgpu_cuda_host_alloc(void **ptr, size_t bytes, const char *what, hexgpu_error *err);
