/* The body of global_avg_pool.cu: the trunk's last activation -> fp32 channel means per
 * board. Compiled by nvcc and by the emulator. */
#pragma once

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

/* The launch of hexgpu_k_global_avg_pool (kernels.h); 0 for arguments it refuses. */
static inline int hexgpu_k_global_avg_pool_shape(int batch, int channels, int stored_channels, int pixels,
                                                 hexgpu_k_shape *shape) {
    if (batch < 1 || channels < 1 || stored_channels < channels || pixels < 1) return 0;
    long long total = (long long)batch * channels;
    shape->threads = 256;
    shape->blocks = (unsigned)((total + shape->threads - 1) / shape->threads);
    shape->shared_bytes = 0;
    return 1;
}
