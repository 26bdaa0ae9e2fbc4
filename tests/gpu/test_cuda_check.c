/* How cuDNN 9's status codes are classified (no device needed: pure code mapping, and
 * cuDNN's error strings come from the library alone). In test_gpu, which links the CUDA
 * module's objects; these tests run, and must pass, without a device too. */
#include <criterion/criterion.h>
#include <string.h>

#include "runtime/cuda/cuda_check.h"

Test(cuda_check, refusals_include_every_not_supported_sub_code) {
    cr_assert(hexgpu_cudnn_is_refusal(CUDNN_STATUS_NOT_SUPPORTED));
    cr_assert(hexgpu_cudnn_is_refusal(CUDNN_STATUS_NOT_SUPPORTED_SHAPE));
    cr_assert(hexgpu_cudnn_is_refusal(CUDNN_STATUS_NOT_SUPPORTED_LAYOUT));
    cr_assert(hexgpu_cudnn_is_refusal((cudnnStatus_t)3014));
    cr_assert(!hexgpu_cudnn_is_refusal(CUDNN_STATUS_SUCCESS));
    cr_assert(!hexgpu_cudnn_is_refusal(CUDNN_STATUS_BAD_PARAM));
    cr_assert(!hexgpu_cudnn_is_refusal(CUDNN_STATUS_INTERNAL_ERROR));
    cr_assert(!hexgpu_cudnn_is_refusal(CUDNN_STATUS_EXECUTION_FAILED));
}

Test(cuda_check, allocation_failures_are_out_of_memory) {
    hexgpu_error err = {0};
    cr_assert_eq(hexgpu_cudnn_check(CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED, "call()", "layer1.0.conv1",
                                    &err),
                 HEXGPU_ERR_OUT_OF_MEMORY);
    cr_assert(strstr(err.message, "layer1.0.conv1"), "%s", err.message);
    cr_assert_eq(hexgpu_cudnn_check(CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED, "call()", NULL, &err),
                 HEXGPU_ERR_OUT_OF_MEMORY);
    cr_assert_eq(hexgpu_cudnn_check(CUDNN_STATUS_INTERNAL_ERROR_COMPILATION_FAILED, "call()", NULL, &err),
                 HEXGPU_ERR_CUDA);
    cr_assert_eq(hexgpu_cudnn_check(CUDNN_STATUS_NOT_SUPPORTED_SHAPE, "call()", NULL, &err), HEXGPU_ERR_CUDA);
    cr_assert_eq(hexgpu_cudnn_check(CUDNN_STATUS_SUCCESS, "call()", NULL, &err), HEXGPU_OK);
    cr_assert_eq(hexgpu_cublas_check(CUBLAS_STATUS_ALLOC_FAILED, "call()", NULL, &err), HEXGPU_ERR_OUT_OF_MEMORY);
    cr_assert_eq(hexgpu_cuda_check(cudaErrorMemoryAllocation, "call()", NULL, &err), HEXGPU_ERR_OUT_OF_MEMORY);
    cr_assert_eq(hexgpu_cuda_check(cudaErrorLaunchFailure, "call()", NULL, &err), HEXGPU_ERR_CUDA);
}
