/* The body of value_head.cu: spatial mean, fc1 + ReLU, fc2, tanh, several boards per
 * block. Compiled by nvcc and by the emulator. */
#pragma once

#include "kernels/cuda/act_access.cuh"

#define VALUE_BOARDS_PER_BLOCK 8
#define VALUE_THREADS 256

/* Dynamic shared memory: mean [boards][channels], hidden [boards][hidden]. */
static __global__ void value_head_kernel(float *out, const void *in, int batch, int channels, int stored_channels,
                                         int pixels, hexgpu_k_layout layout, const float *fc1_weight,
                                         const float *fc1_bias, int hidden, const float *fc2_weight,
                                         const float *fc2_bias) {
    HEXGPU_K_DYNAMIC_SHARED(float, shared);
    float *mean = shared;
    float *hid = shared + VALUE_BOARDS_PER_BLOCK * channels;
    int tid = threadIdx.x, threads = blockDim.x;
    int first = blockIdx.x * VALUE_BOARDS_PER_BLOCK;

    for (int i = tid; i < VALUE_BOARDS_PER_BLOCK * channels; i += threads) {
        int b = i / channels, c = i % channels, board = first + b;
        float sum = 0.0f;
        if (board < batch)
            for (int p = 0; p < pixels; p++) sum += hexgpu_k_load(in, layout, board, c, p, stored_channels, pixels);
        mean[i] = sum / (float)pixels;
    }
    __syncthreads();

    for (int i = tid; i < VALUE_BOARDS_PER_BLOCK * hidden; i += threads) {
        int b = i / hidden, h = i % hidden;
        const float *w = fc1_weight + (size_t)h * channels;
        const float *m = mean + b * channels;
        float acc = fc1_bias[h];
        for (int c = 0; c < channels; c++) acc += w[c] * m[c];
        hid[i] = acc < 0.0f ? 0.0f : acc; /* ReLU that keeps NaN, as torch.relu and the CPU backend do */
    }
    __syncthreads();

    int lane = tid & 31, warp = tid >> 5, warps = threads >> 5;
    for (int b = warp; b < VALUE_BOARDS_PER_BLOCK; b += warps) {
        const float *hrow = hid + b * hidden;
        float acc = 0.0f;
        for (int h = lane; h < hidden; h += 32) acc += fc2_weight[h] * hrow[h];
        acc = hexgpu_k_warp_sum(acc);
        if (lane == 0 && first + b < batch) out[first + b] = tanhf(acc + fc2_bias[0]);
    }
}

/* The launch of hexgpu_k_value_head (kernels.h); 0 for arguments it refuses, among them
 * channels + hidden too large for the default 48 KiB of dynamic shared memory. */
static inline int hexgpu_k_value_head_shape(int batch, int channels, int stored_channels, int pixels, int hidden,
                                            hexgpu_k_shape *shape) {
    if (batch < 1 || channels < 1 || stored_channels < channels || pixels < 1 || hidden < 1) return 0;
    size_t shared = (size_t)VALUE_BOARDS_PER_BLOCK * ((size_t)channels + (size_t)hidden) * sizeof(float);
    if (shared > 48 * 1024) return 0;
    shape->blocks = (unsigned)((batch + VALUE_BOARDS_PER_BLOCK - 1) / VALUE_BOARDS_PER_BLOCK);
    shape->threads = VALUE_THREADS;
    shape->shared_bytes = shared;
    return 1;
}
