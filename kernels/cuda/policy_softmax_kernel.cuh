/* The body of policy_softmax.cu: bias add in place and the softmax masked to the empty
 * cells. Compiled by nvcc and by the emulator. */
#pragma once

#include "kernels/cuda/act_access.cuh"

#define POLICY_THREADS 128

/* One block per board. Each thread owns the cells tid, tid + blockDim, ... in all three
 * passes, so the in-place logits it writes are the ones it reads back. */
static __global__ void policy_softmax_kernel(float *probs, float *logits, const float *bias,
                                             const hexgpu_position *positions, int cells, float inv_temperature) {
    __shared__ float scratch[32];
    int board = blockIdx.x, tid = threadIdx.x, threads = blockDim.x;
    const hexgpu_position *pos = &positions[board];
    float *row = logits + (size_t)board * cells;
    float *prow = probs + (size_t)board * cells;

    float local_max = -INFINITY;
    for (int i = tid; i < cells; i += threads) {
        float l = row[i] + bias[i];
        row[i] = l;
        uint64_t bit = 1ull << (i & 63);
        int empty = !((pos->blue[i >> 6] | pos->red[i >> 6]) & bit);
        if (empty) local_max = fmaxf(local_max, l * inv_temperature);
    }
    float max_all = hexgpu_k_block_reduce(local_max, 1, scratch, tid, threads);

    float local_sum = 0.0f;
    for (int i = tid; i < cells; i += threads) {
        uint64_t bit = 1ull << (i & 63);
        int empty = !((pos->blue[i >> 6] | pos->red[i >> 6]) & bit);
        if (empty) local_sum += expf(row[i] * inv_temperature - max_all);
    }
    float sum = hexgpu_k_block_reduce(local_sum, 0, scratch, tid, threads);

    /* sum >= 1 whenever a cell is empty (the maximum contributes exp(0)). */
    float inv_sum = sum > 0.0f ? 1.0f / sum : 0.0f;
    for (int i = tid; i < cells; i += threads) {
        uint64_t bit = 1ull << (i & 63);
        int empty = !((pos->blue[i >> 6] | pos->red[i >> 6]) & bit);
        prow[i] = empty ? expf(row[i] * inv_temperature - max_all) * inv_sum : 0.0f;
    }
}

/* The launch of hexgpu_k_policy_softmax (kernels.h); 0 for arguments it refuses. */
static inline int hexgpu_k_policy_softmax_shape(int batch, int cells, float temperature, hexgpu_k_shape *shape) {
    if (batch < 1 || cells < 1 || cells > HEXGPU_MAX_CELLS || !(temperature > 0.0f)) return 0;
    shape->blocks = (unsigned)batch;
    shape->threads = POLICY_THREADS;
    shape->shared_bytes = 0;
    return 1;
}
