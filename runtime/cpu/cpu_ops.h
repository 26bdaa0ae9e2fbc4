/* The CPU backend's primitive operations on NHWC fp32 activations of a whole batch:
 * convolutions (the direct kernel, split over a helper thread for a lone board),
 * pooling, small linear layers and the legal-cell softmax. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "hexgpu.h"
#include "runtime/cpu/cpu_conv_kernel.h"
#include "runtime/cpu/cpu_helper.h"

/* A convolution of at least this many multiply-adds, on one board with the helper
 * set, is split by weight panels over the caller and the helper: each computes whole
 * output channels exactly as alone, so the split changes no bit. Below it the
 * hand-over (~1 us with the helper polling) would cost more than it saves; at full size
 * the 1x1 shortcuts (400k-500k) are above it: 2M left them to one core, 5% slower. */
#define HEXGPU_CPU_SPLIT_MACS 250000.0

/* Whether a convolution of this many multiply-adds in all and this many weight
 * panels is split over the helper. */
int hexgpu_cpu_conv_splits(double macs, int panels);

/* out[boards][so][so][conv->out] = act(residual + conv(in) + bias) as
 * hexgpu_cpu_conv_call says (residual, bias may be NULL); split by panels over helper
 * (when not NULL) where hexgpu_cpu_conv_splits says so. */
void hexgpu_cpu_conv_forward(const hexgpu_cpu_conv *conv, const float *in, int boards, int side, float *out,
                             const float *residual, const float *bias, int relu, hexgpu_cpu_helper *helper);

/* out[b][c] = mean over the pixels of in[b][pixels][c]. */
void hexgpu_cpu_mean_pool(const float *in, int batch, int pixels, int channels, float *out);

/* out[b][o] = bias[o] + sum_i weight[o][i] * in[b][i]: a plain loop, so that every
 * board's answer is computed the same way whatever the batch size. */
void hexgpu_cpu_linear(const float *in, int batch, int in_features, const float *weight, const float *bias,
                       int out_features, float *out);

/* probs[n*n] = softmax of logits over the empty cells of pos (max subtracted); occupied
 * cells get exactly 0. A full board gives all zeros. */
void hexgpu_cpu_legal_softmax(const hexgpu_position *pos, const float *logits, float *probs);
