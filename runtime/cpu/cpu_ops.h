/* The CPU backend's primitive operations on NHWC fp32 activations of a whole batch:
 * convolutions (the direct kernel, split over helper threads for a lone board),
 * pooling, small linear layers and the legal-cell softmax. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "hexgpu.h"
#include "kernels/cpu/cpu_conv_kernel.h"
#include "runtime/cpu/cpu_helper.h"

/* A lone board's convolution is split over the caller and the slot's helpers into
 * parts of at least this many multiply-adds: smaller parts would cost more in
 * hand-overs (~1 us each with the helpers polling) than they save; at full size on two
 * threads every convolution but none of the 1x1 shortcuts (200k-250k a part) splits: a
 * 2M limit, which left the shortcuts to one core, was 5% slower at batch 1. Each part
 * computes whole output elements exactly as alone, so no split changes a bit. */
#define HEXGPU_CPU_PART_MACS 125000.0

/* A part's rows are at least this many (a few of the kernel's tiles): fewer would spend
 * more in tile set-up and short tails than another core saves. */
#define HEXGPU_CPU_PART_MIN_ROWS 12

/* How one convolution is split: weight panels in `panel_parts` groups, times the output
 * rows (pixels) in `row_parts` ranges; panel_parts * row_parts parts in all. */
typedef struct hexgpu_cpu_conv_split {
    int panel_parts, row_parts;
} hexgpu_cpu_conv_split;

/* The split of a convolution of `macs` multiply-adds in all, `panels` weight panels and
 * `rows` output rows with `helpers` helpers: as many parts as threads, each of at least
 * HEXGPU_CPU_PART_MACS, by panels first (each weight read by one thread: a lone board's
 * last stages are bound by streaming their weights), then by rows of at least
 * HEXGPU_CPU_PART_MIN_ROWS where there are fewer panels than threads (layer1 of the full
 * network has 2 panels and 169 rows: up to 8 parts of 42 rows). */
hexgpu_cpu_conv_split hexgpu_cpu_conv_split_choose(double macs, int panels, int rows, int helpers);

/* out[boards][so][so][conv->out] = act(residual + conv(in) + bias) as
 * hexgpu_cpu_conv_call says (residual, bias may be NULL); split over the helpers (when
 * not NULL) as hexgpu_cpu_conv_split_choose says. */
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
