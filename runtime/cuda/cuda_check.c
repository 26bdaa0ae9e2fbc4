/* Turning CUDA, cuDNN and cuBLAS return codes into hexgpu_error messages. */
#include "runtime/cuda/cuda_check.h"

#include <string.h>

#include "base/status.h"

/* The call text can be long (18 arguments); the function name and the start are what a
 * reader needs, so it is cut to keep the layer and the error string in the message. */
#define CALL_TEXT_MAX 96

static hexgpu_status report(hexgpu_status status, const char *lib, const char *code_name, const char *detail,
                            const char *call, const char *layer, hexgpu_error *err) {
    char text[CALL_TEXT_MAX + 4];
    size_t len = strlen(call);
    if (len > CALL_TEXT_MAX) {
        memcpy(text, call, CALL_TEXT_MAX);
        memcpy(text + CALL_TEXT_MAX, "...", 4);
    } else {
        memcpy(text, call, len + 1);
    }
    return hexgpu_error_set(err, status, "%s: %s failed in %s: %s (%s)", layer ? layer : "cuda backend", lib, text,
                            code_name, detail);
}

hexgpu_status hexgpu_cuda_check(cudaError_t code, const char *call, const char *layer, hexgpu_error *err) {
    if (code == cudaSuccess) return HEXGPU_OK;
    hexgpu_status status = code == cudaErrorMemoryAllocation ? HEXGPU_ERR_OUT_OF_MEMORY : HEXGPU_ERR_CUDA;
    return report(status, "CUDA", cudaGetErrorName(code), cudaGetErrorString(code), call, layer, err);
}

int hexgpu_cudnn_is_refusal(cudnnStatus_t code) {
    return CUDNN_STATUS_CATEGORY(code) == CUDNN_STATUS_NOT_SUPPORTED;
}

int hexgpu_cudnn_is_allocation_failure(cudnnStatus_t code) {
    /* cuDNN 9 files allocation failures under INTERNAL_ERROR (whose category also holds
     * compilation failures and unexpected values), so the sub-codes are named one by one;
     * the deprecated CUDNN_STATUS_ALLOC_FAILED is the host one. */
    return code == CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED ||
           code == CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED;
}

hexgpu_status hexgpu_cudnn_check(cudnnStatus_t code, const char *call, const char *layer, hexgpu_error *err) {
    if (code == CUDNN_STATUS_SUCCESS) return HEXGPU_OK;
    hexgpu_status status = hexgpu_cudnn_is_allocation_failure(code) ? HEXGPU_ERR_OUT_OF_MEMORY : HEXGPU_ERR_CUDA;
    char last[256] = "";
    cudnnGetLastErrorString(last, sizeof last);
    return report(status, "cuDNN", cudnnGetErrorString(code), last[0] ? last : "no further detail", call, layer,
                  err);
}

hexgpu_status hexgpu_cublas_check(cublasStatus_t code, const char *call, const char *layer, hexgpu_error *err) {
    if (code == CUBLAS_STATUS_SUCCESS) return HEXGPU_OK;
    hexgpu_status status = code == CUBLAS_STATUS_ALLOC_FAILED ? HEXGPU_ERR_OUT_OF_MEMORY : HEXGPU_ERR_CUDA;
    return report(status, "cuBLAS", cublasGetStatusName(code), cublasGetStatusString(code), call, layer, err);
}

hexgpu_status hexgpu_cuda_device_alloc(void **ptr, size_t bytes, const char *what, hexgpu_error *err) {
    *ptr = NULL;
    cudaError_t code = cudaMalloc(ptr, bytes ? bytes : 1);
    if (code == cudaSuccess) return HEXGPU_OK;
    *ptr = NULL;
    cudaGetLastError(); /* an allocation failure is not sticky: clear it for the next call */
    size_t free_bytes = 0, total_bytes = 0;
    cudaMemGetInfo(&free_bytes, &total_bytes);
    return hexgpu_error_set(err, code == cudaErrorMemoryAllocation ? HEXGPU_ERR_OUT_OF_MEMORY : HEXGPU_ERR_CUDA,
                            "%s: cudaMalloc of %zu bytes (%.1f MiB) failed: %s (device has %.1f MiB free of %.1f MiB)",
                            what, bytes, bytes / 1048576.0, cudaGetErrorString(code), free_bytes / 1048576.0,
                            total_bytes / 1048576.0);
}

hexgpu_status hexgpu_cuda_host_alloc(void **ptr, size_t bytes, const char *what, hexgpu_error *err) {
    *ptr = NULL;
    cudaError_t code = cudaHostAlloc(ptr, bytes ? bytes : 1, cudaHostAllocPortable);
    if (code == cudaSuccess) return HEXGPU_OK;
    *ptr = NULL;
    cudaGetLastError();
    return hexgpu_error_set(err, code == cudaErrorMemoryAllocation ? HEXGPU_ERR_OUT_OF_MEMORY : HEXGPU_ERR_CUDA,
                            "%s: cudaHostAlloc (pinned) of %zu bytes (%.1f MiB) failed: %s", what, bytes,
                            bytes / 1048576.0, cudaGetErrorString(code));
}
