/* The CPU backend's primitive operations on NHWC fp32 activations of a whole batch:
 * convolutions (the direct kernel, split over helper threads for a lone board),
 * pooling, small linear layers and the legal-cell softmax. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "hexgpu.h"
#include "kernels/cpu/cpu_conv_kernel.h"
#include "runtime/cpu/cpu_helper.h"

/* A lone board's convolution is split by weight panels over the caller and the slot's
 * helpers into parts of at least this many multiply-adds (and at most one part per
 * panel): each part computes whole output channels exactly as alone, so the split
 * changes no bit. Smaller parts would cost more in hand-overs (~1 us each with the
 * helpers polling) than they save; at full size on two threads every convolution but
 * none of the 1x1 shortcuts (200k-250k a part) splits: a 2M limit, which left the
 * shortcuts to one core, was 5% slower at batch 1. */
#define HEXGPU_CPU_PART_MACS 125000.0

/* Into how many parts (1 = not split) a convolution of this many multiply-adds in all
 * and this many weight panels is split with `helpers` helpers. */
int hexgpu_cpu_conv_parts(double macs, int panels, int helpers);

/* out[boards][so][so][conv->out] = act(residual + conv(in) + bias) as
 * hexgpu_cpu_conv_call says (residual, bias may be NULL); split by panels over the
 * helpers (when not NULL) as hexgpu_cpu_conv_parts says. */
void hexgpu_cpu_conv_forward(const hexgpu_cpu_conv *conv, const float *in, int boards, int side, float *out,
                             const float *residual, const float *bias, int relu, const hexgpu_cpu_helpers *helpers);

/* out[b][c] = mean over the pixels of in[b][pixels][c]. */
void hexgpu_cpu_mean_pool(const float *in, int batch, int pixels, int channels, float *out);

/* out[b][o] = bias[o] + sum_i weight[o][i] * in[b][i]: a plain loop, so that every
 * board's answer is computed the same way whatever the batch size. */
void hexgpu_cpu_linear(const float *in, int batch, int in_features, const float *weight, const float *bias,
                       int out_features, float *out);

/* probs[n*n] = softmax of logits over the empty cells of pos (max subtracted); occupied
 * cells get exactly 0. A full board gives all zeros. */
void hexgpu_cpu_legal_softmax(const hexgpu_position *pos, const float *logits, float *probs);
