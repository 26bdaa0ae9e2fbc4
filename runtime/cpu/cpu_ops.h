/* The CPU backend's primitive operations on NHWC fp32 activations of a whole batch:
 * convolution as im2col + one OpenBLAS sgemm per chunk of boards, bias/ReLU passes,
 * pooling, small linear layers and the legal-cell softmax. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "hexgpu.h"
#include "runtime/cpu/cpu_helper.h"

/* OpenBLAS 0.3 (SkylakeX/Cooperlake kernels, picked on AVX-512 machines) sends sgemm
 * calls with M*N*K <= 1e6 to small-matrix kernels that sum in another order than the
 * blocked kernels, so a board's answer would depend on the batch it came in. So no call
 * that small is ever made: a convolution of at most this many multiply-adds per board
 * runs the in-order loop over weight_t instead, whatever the batch, and the others are
 * past the limit even for one board (the blocked kernels compute each element of C
 * from its own row of A and of B, in an order set by K alone). */
#define HEXGPU_CPU_SMALL_GEMM_MNK 1000000.0

/* A convolution with BN folded, weights repacked for the im2col GEMM. */
typedef struct hexgpu_cpu_conv {
    int in, out, kernel, stride, pad;
    float *weight; /* [out][kernel][kernel][in]: one row per output channel, K = k*k*in */
    float *bias;   /* [out] */
    /* Set for convolutions of at most HEXGPU_CPU_SMALL_GEMM_MNK multiply-adds per board
     * (chosen per layer, never by batch size): computed by the vector loop over weight_t,
     * about as fast as OpenBLAS at these sizes, with no call overhead. */
    float *weight_t; /* [kernel][kernel][in][hexgpu_cpu_small_columns(out)] (zero past out), or NULL */
} hexgpu_cpu_conv;

/* Row length of weight_t: out rounded up to whole 16-float vector tiles. */
static inline int hexgpu_cpu_small_columns(int out) { return (out + 15) / 16 * 16; }

/* Scratch the convolutions use, sized once per slot. */
typedef struct hexgpu_cpu_scratch {
    float *col;          /* im2col of a chunk of boards */
    size_t col_capacity; /* floats; at least one board's worth */
    /* Set only while a lone board is evaluated: large GEMMs hand it half their columns. */
    hexgpu_cpu_helper *helper;
} hexgpu_cpu_scratch;

/* GEMMs of at least this many multiply-adds are split by columns over the helper when
 * it is set: each half stays a blocked call (past HEXGPU_CPU_SMALL_GEMM_MNK), so every
 * element is summed exactly as without the split. */
#define HEXGPU_CPU_SPLIT_GEMM_MNK 4000000.0

/* Whether an m x n x k GEMM (of a convolution without weight_t) is split over the helper. */
int hexgpu_cpu_gemm_splits(int m, int n, int k);

/* Output side of a convolution on a side x side input. */
int hexgpu_cpu_conv_out_side(const hexgpu_cpu_conv *conv, int side);

/* Floats of im2col buffer one board needs for this convolution (0 for 1x1 stride 1,
 * which multiplies the activations directly). */
size_t hexgpu_cpu_conv_col_per_board(const hexgpu_cpu_conv *conv, int side);

/* out[batch][so][so][conv->out] = beta * out + conv(in[batch][side][side][conv->in]),
 * without the bias. Boards are processed in chunks that fit scratch->col, one GEMM
 * per chunk (split over scratch->helper where set and large enough). */
void hexgpu_cpu_conv_forward_nhwc(const hexgpu_cpu_conv *conv, const float *in, int batch, int side, float *out,
                                  float beta, const hexgpu_cpu_scratch *scratch);

/* x[rows][channels] = max(x + bias, 0) (relu != 0) or x + bias. */
void hexgpu_cpu_bias_act(float *x, size_t rows, int channels, const float *bias, int relu);

/* out[b][c] = mean over the pixels of in[b][pixels][c]. */
void hexgpu_cpu_mean_pool(const float *in, int batch, int pixels, int channels, float *out);

/* out[b][o] = bias[o] + sum_i weight[o][i] * in[b][i]: a plain loop, so that every
 * board's answer is computed the same way whatever the batch size. */
void hexgpu_cpu_linear(const float *in, int batch, int in_features, const float *weight, const float *bias,
                       int out_features, float *out);

/* probs[n*n] = softmax of logits over the empty cells of pos (max subtracted); occupied
 * cells get exactly 0. A full board gives all zeros. */
void hexgpu_cpu_legal_softmax(const hexgpu_position *pos, const float *logits, float *probs);
