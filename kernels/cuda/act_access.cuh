/* Device helpers shared by the kernel bodies: reading one element of an activation tensor
 * in either layout, and warp/block reductions. Header only, no kernels. */
#pragma once

#include "kernels/cuda/device.cuh"

/* Element (board, channel, pixel) of a tensor with stored_channels channels and `pixels`
 * pixels per board, as float. */
static __device__ __forceinline__ float hexgpu_k_load(const void *base, hexgpu_k_layout layout, int board,
                                                      int channel, int pixel, int stored_channels, int pixels) {
    if (layout == HEXGPU_K_NHWC_F16) {
        size_t off = ((size_t)board * (size_t)pixels + (size_t)pixel) * (size_t)stored_channels + (size_t)channel;
        return __half2float(((const __half *)base)[off]);
    }
    size_t off = ((size_t)board * (size_t)stored_channels + (size_t)channel) * (size_t)pixels + (size_t)pixel;
    return ((const float *)base)[off];
}

static __device__ __forceinline__ float hexgpu_k_warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

static __device__ __forceinline__ float hexgpu_k_warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

/* Block-wide reduction of v (sum when is_max is 0, else max); every thread gets the result.
 * tid is the thread's index in the block; threads (the block size) must be a multiple of 32 and at most 1024; scratch holds 32 floats. */
static __device__ __forceinline__ float hexgpu_k_block_reduce(float v, int is_max, float *scratch, int tid,
                                                              int threads) {
    int lane = tid & 31, warp = tid >> 5, warps = threads >> 5;
    v = is_max ? hexgpu_k_warp_max(v) : hexgpu_k_warp_sum(v);
    __syncthreads(); /* scratch may still be read from a previous reduction */
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    float r = lane < warps ? scratch[lane] : (is_max ? -INFINITY : 0.0f);
    return is_max ? hexgpu_k_warp_max(r) : hexgpu_k_warp_sum(r);
}
