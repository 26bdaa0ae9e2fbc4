/* Global average pool before the policy Linear: the trunk's last activation -> fp32
 * channel means per board (kept in fp32 so the policy GEMM sees no fp16 rounding here). */
#include "kernels/cuda/act_access.cuh"

/* One thread per (board, channel); consecutive threads read consecutive NHWC channels. */
static __global__ void global_avg_pool_kernel(float *out, const void *in, int batch, int channels,
                                              int stored_channels, int pixels, hexgpu_k_layout layout) {
    long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= (long long)batch * channels) return;
    int board = (int)(idx / channels), c = (int)(idx % channels);
    float sum = 0.0f;
    for (int p = 0; p < pixels; p++) sum += hexgpu_k_load(in, layout, board, c, p, stored_channels, pixels);
    out[idx] = sum / (float)pixels;
}

extern "C" cudaError_t hexgpu_k_global_avg_pool(float *out, const void *in, int batch, int channels,
                                                int stored_channels, int pixels, hexgpu_k_layout layout,
                                                cudaStream_t stream) {
    if (batch < 1 || channels < 1 || stored_channels < channels || pixels < 1) return cudaErrorInvalidValue;
    long long total = (long long)batch * channels;
    int threads = 256;
    unsigned blocks = (unsigned)((total + threads - 1) / threads);
    global_avg_pool_kernel<<<blocks, threads, 0, stream>>>(out, in, batch, channels, stored_channels, pixels,
                                                           layout);
    return cudaGetLastError();
}
