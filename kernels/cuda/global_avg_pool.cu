/* Global average pool before the policy Linear: the trunk's last activation -> fp32
 * channel means per board (kept in fp32 so the policy GEMM sees no fp16 rounding here). */
#include "kernels/cuda/global_avg_pool_kernel.cuh"
#include "kernels/cuda/kernels.h"

extern "C" cudaError_t hexgpu_k_global_avg_pool(float *out, const void *in, int batch, int channels,
                                                int stored_channels, int pixels, hexgpu_k_layout layout,
                                                cudaStream_t stream) {
    hexgpu_k_shape shape;
    if (!hexgpu_k_global_avg_pool_shape(batch, channels, stored_channels, pixels, &shape)) return cudaErrorInvalidValue;
    global_avg_pool_kernel<<<shape.blocks, shape.threads, shape.shared_bytes, stream>>>(
        out, in, batch, channels, stored_channels, pixels, layout);
    return cudaGetLastError();
}
