/* The CPU backend's primitive operations on NHWC fp32 activations of a whole batch:
 * convolution as im2col + one OpenBLAS sgemm per chunk of boards, bias/ReLU passes,
 * pooling, small linear layers and the legal-cell softmax. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "hexgpu.h"
#include "runtime/cpu/cpu_helper.h"

/* A convolution with BN folded, weights repacked for the im2col GEMM. */
typedef struct hexgpu_cpu_conv {
    int in, out, kernel, stride, pad;
    float *weight; /* [out][kernel][kernel][in]: one row per output channel, K = k*k*in */
    float *bias;   /* [out] */
    /* Set for convolutions of at most HEXGPU_CPU_SMALL_CONV_MACS multiply-adds per board:
     * they skip OpenBLAS (whose padded calls would cost ~1e6 multiply-adds each at small
     * batches) for a plain loop over weight_t. Fixed per layer, never by batch size. */
    float *weight_t; /* [kernel][kernel][in][out], or NULL */
} hexgpu_cpu_conv;

/* Per-board size under which a convolution uses the plain loop (see weight_t): the
 * shortcuts and value convolution of small networks. */
#define HEXGPU_CPU_SMALL_CONV_MACS 32768.0

/* Scratch the convolutions use, sized once per slot. */
typedef struct hexgpu_cpu_scratch {
    float *col;          /* im2col of a chunk of boards, plus room for small-GEMM padding rows */
    size_t col_capacity; /* floats; at least one board's worth and hexgpu_cpu_gemm_pad_floats */
    /* Set only while a lone board is evaluated: large GEMMs hand it half their columns. */
    hexgpu_cpu_helper *helper;
} hexgpu_cpu_scratch;

/* GEMMs of at least this many multiply-adds are split by columns over the helper when
 * it is set: each half stays a blocked (not small-matrix) call, and every element is
 * summed exactly as without the split, since OpenBLAS's blocked kernels compute each
 * column from its own row of B. */
#define HEXGPU_CPU_SPLIT_GEMM_MNK 4000000.0

/* Whether an m x n x k GEMM (of a convolution without weight_t) is split over the helper. */
int hexgpu_cpu_gemm_splits(int m, int n, int k);

/* OpenBLAS 0.3 (SkylakeX/Cooperlake kernels, picked on AVX-512 machines) sends sgemm
 * calls with M*N*K <= 1e6 to small-matrix kernels that sum in another order than the
 * blocked kernels, so a board's answer would depend on the batch it came in. Such calls
 * are run with more rows, to just above the limit: the blocked kernels compute every
 * row of C from its own row of A only, in the same order, so the extra rows of A may
 * hold anything finite and the extra rows of C are thrown away. No copy, no zeroing:
 * the caller's buffers have that room past their last row. */
#define HEXGPU_CPU_SMALL_GEMM_MNK 1000000.0

/* Rows an m x n x k GEMM actually runs with (m, or just past the small-matrix limit). */
int hexgpu_cpu_gemm_rows(int m, int n, int k);

/* Largest number of floats past the last row of A ([m][k]) or of C ([m][n]) that a GEMM
 * with n columns and inner size k reads or writes, whatever m. */
size_t hexgpu_cpu_gemm_pad_floats(int n, int k);

/* C[m][n] = beta * C + A[m][k] * B[n][k]^T (row-major). A must have
 * hexgpu_cpu_gemm_rows(m, n, k) readable rows and C as many writable rows: rows past m
 * are read (A) or overwritten (C) as scratch, see above. */
void hexgpu_cpu_gemm_nt(int m, int n, int k, const float *a, const float *b, float beta, float *c);

/* Output side of a convolution on a side x side input. */
int hexgpu_cpu_conv_out_side(const hexgpu_cpu_conv *conv, int side);

/* Floats of im2col buffer one board needs for this convolution (0 for 1x1 stride 1,
 * which multiplies the activations directly). */
size_t hexgpu_cpu_conv_col_per_board(const hexgpu_cpu_conv *conv, int side);

/* Floats past the last row that hexgpu_cpu_conv_forward_nhwc may read from `in` (1x1
 * stride 1, whose GEMM reads the activations directly) or overwrite in `out`, whatever
 * the batch; scratch->col needs as many. */
size_t hexgpu_cpu_conv_pad_floats(const hexgpu_cpu_conv *conv);

/* out[batch][so][so][conv->out] = beta * out + conv(in[batch][side][side][conv->in]),
 * without the bias. Boards are processed in chunks that fit scratch->col, one sgemm
 * per chunk; only the last chunk can be a padded small GEMM (earlier ones hold at
 * least half of col_capacity >= 2M floats), so the rows it overwrites past the batch
 * lie after `out`'s last row (hexgpu_cpu_conv_pad_floats of room there). */
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
