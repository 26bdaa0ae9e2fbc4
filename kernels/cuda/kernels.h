/* Launch functions of the CUDA kernels in kernels/cuda (one kernel per file: the body in
 * <op>_kernel.cuh, its launcher in <op>.cu), callable from C. Each launcher returns
 * cudaErrorInvalidValue for arguments its kernel's shape function refuses, else
 * cudaGetLastError() after its launch, so a bad launch configuration is reported by the
 * caller's checked call, never lost. */
#pragma once

#include <cuda_runtime_api.h>

#include "hexgpu.h"
#include "kernels/cuda/kernel_shape.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Fails with cudaErrorNoKernelImageForDevice (or similar) when this binary carries no code
 * that the current device can run. */
cudaError_t hexgpu_k_check_image(void);

/* positions [batch] -> network input [batch][3 planes][n][n] in `layout`: plane 0 Blue
 * stones, 1 Red stones, 2 constant (1 when Red is to move), as the reference system.
 * stored_channels >= 3; channels 3.. are written as zeros (NHWC padding). */
cudaError_t hexgpu_k_board_to_input(void *out, const hexgpu_position *in, int batch, int n, hexgpu_k_layout layout,
                                    int stored_channels, cudaStream_t stream);

/* in [batch][channels][pixels] (layout) -> out [batch][channels] fp32 means over pixels.
 * Only the first `channels` of `stored_channels` are read. */
cudaError_t hexgpu_k_global_avg_pool(float *out, const void *in, int batch, int channels, int stored_channels,
                                     int pixels, hexgpu_k_layout layout, cudaStream_t stream);

/* logits [batch][cells] in/out: the policy GEMM's output gets bias [cells] added in place
 * (raw logits as PyTorch gives them); probs [batch][cells] = softmax(logits / temperature)
 * over the cells that are empty in positions [batch], occupied cells exactly 0 (a board
 * without an empty cell gets all zeros). temperature > 0. */
cudaError_t hexgpu_k_policy_softmax(float *probs, float *logits, const float *bias, const hexgpu_position *positions,
                                    int batch, int cells, float temperature, cudaStream_t stream);

/* The value head after its 1x1 convolution (bias and ReLU already applied by cuDNN):
 * in [batch][channels][pixels] (layout) -> spatial mean [channels] -> fc1 [hidden][channels]
 * + bias, ReLU -> fc2 [hidden] + bias -> tanh -> out [batch] fp32.
 * Fails with cudaErrorInvalidValue when channels + hidden is too large for shared memory. */
cudaError_t hexgpu_k_value_head(float *out, const void *in, int batch, int channels, int stored_channels, int pixels,
                                hexgpu_k_layout layout, const float *fc1_weight, const float *fc1_bias, int hidden,
                                const float *fc2_weight, const float *fc2_bias, cudaStream_t stream);

#ifdef __cplusplus
}
#endif
