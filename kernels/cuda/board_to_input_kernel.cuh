/* The body of board_to_input.cu: packed positions -> the network's 3-plane input, NHWC
 * fp16 padded to stored_channels or NCHW fp32. Compiled by nvcc and by the emulator. */
#pragma once

#include "kernels/cuda/device.cuh"

/* One thread per (board, cell). */
static __global__ void board_to_input_kernel(void *out, const hexgpu_position *in, int batch, int n,
                                             hexgpu_k_layout layout, int stored_channels) {
    int cells = n * n;
    long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= (long long)batch * cells) return;
    int board = (int)(idx / cells), cell = (int)(idx % cells);
    const hexgpu_position *pos = &in[board];
    uint64_t bit = 1ull << (cell & 63);
    float blue = (pos->blue[cell >> 6] & bit) ? 1.0f : 0.0f;
    float red = (pos->red[cell >> 6] & bit) ? 1.0f : 0.0f;
    float side = pos->to_move == HEXGPU_RED ? 1.0f : 0.0f;
    if (layout == HEXGPU_K_NHWC_F16) {
        __half *o = (__half *)out + ((size_t)board * cells + cell) * (size_t)stored_channels;
        o[0] = __float2half(blue);
        o[1] = __float2half(red);
        o[2] = __float2half(side);
        for (int c = 3; c < stored_channels; c++) o[c] = __float2half(0.0f);
    } else {
        float *o = (float *)out + (size_t)board * (size_t)stored_channels * cells + cell;
        o[0] = blue;
        o[cells] = red;
        o[2 * cells] = side;
        for (int c = 3; c < stored_channels; c++) o[(size_t)c * cells] = 0.0f;
    }
}

/* The launch of hexgpu_k_board_to_input (kernels.h); 0 for arguments it refuses. */
static inline int hexgpu_k_board_to_input_shape(int batch, int n, int stored_channels, hexgpu_k_shape *shape) {
    if (batch < 1 || n < HEXGPU_MIN_SIZE || n > HEXGPU_MAX_SIZE || stored_channels < 3) return 0;
    long long total = (long long)batch * n * n;
    shape->threads = 256;
    shape->blocks = (unsigned)((total + shape->threads - 1) / shape->threads);
    shape->shared_bytes = 0;
    return 1;
}
