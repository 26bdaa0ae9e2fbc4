/* The CPU backend's primitive operations: im2col convolution through OpenBLAS (or an
 * in-order vector loop for small layers), bias and ReLU passes, pooling, small linear
 * layers, the legal-cell softmax. */
#include "runtime/cpu/cpu_ops.h"

#include "runtime/cpu/cpu_small_gemm.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

int hexgpu_cpu_conv_out_side(const hexgpu_cpu_conv *conv, int side) {
    return (side + 2 * conv->pad - conv->kernel) / conv->stride + 1;
}

static int conv_is_pointwise(const hexgpu_cpu_conv *conv) { return conv->kernel == 1 && conv->stride == 1; }

size_t hexgpu_cpu_conv_col_per_board(const hexgpu_cpu_conv *conv, int side) {
    if (conv_is_pointwise(conv)) return 0;
    size_t so = (size_t)hexgpu_cpu_conv_out_side(conv, side);
    return so * so * (size_t)conv->kernel * conv->kernel * conv->in;
}

/* col[boards][so][so][k][k][in] from in[boards][side][side][in]; zero outside the board
 * (the padding). Rows of K = k*k*in floats, matching the repacked weights. The k pixels
 * of one kernel row are adjacent in NHWC, so each kernel row is one copy of the part
 * inside the board (and zeros for the columns outside). */
static void im2col_nhwc(const hexgpu_cpu_conv *c, const float *in, int boards, int side, float *col) {
    int so = hexgpu_cpu_conv_out_side(c, side), k = c->kernel, cin = c->in;
    size_t run = (size_t)k * cin;
    for (int b = 0; b < boards; b++) {
        const float *board = in + (size_t)b * side * side * cin;
        for (int oy = 0; oy < so; oy++)
            for (int ox = 0; ox < so; ox++) {
                int x0 = ox * c->stride - c->pad;
                /* Kernel columns [lo, hi) fall inside the board. */
                int lo = x0 < 0 ? -x0 : 0, hi = x0 + k > side ? side - x0 : k;
                for (int ky = 0; ky < k; ky++, col += run) {
                    int iy = oy * c->stride - c->pad + ky;
                    if (iy < 0 || iy >= side || hi <= lo) {
                        memset(col, 0, run * sizeof(float));
                        continue;
                    }
                    if (lo > 0) memset(col, 0, (size_t)lo * cin * sizeof(float));
                    memcpy(col + (size_t)lo * cin, board + ((size_t)iy * side + x0 + lo) * cin,
                           (size_t)(hi - lo) * cin * sizeof(float));
                    if (hi < k) memset(col + (size_t)hi * cin, 0, (size_t)(k - hi) * cin * sizeof(float));
                }
            }
    }
}

/* Columns [n0, n1) of C = beta * C + A * B^T, C with row stride ldc. */
typedef struct column_gemm {
    int m, n0, n1, k, ldc;
    const float *a, *b;
    float beta;
    float *c;
} column_gemm;

static void column_gemm_run(void *arg) {
    const column_gemm *g = arg;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, g->m, g->n1 - g->n0, g->k, 1.0f, g->a, g->k,
                g->b + (size_t)g->n0 * g->k, g->k, g->beta, g->c + g->n0, g->ldc);
}

/* The first half of the columns, rounded up to a multiple of 16 (whole vector tiles). */
static int split_column(int n) {
    int half = (n / 2 + 15) / 16 * 16;
    return half < n ? half : n / 2;
}

int hexgpu_cpu_gemm_splits(int m, int n, int k) {
    int n0 = split_column(n);
    return (double)m * n * k >= HEXGPU_CPU_SPLIT_GEMM_MNK && (double)m * n0 * k > HEXGPU_CPU_SMALL_GEMM_MNK &&
           (double)m * (n - n0) * k > HEXGPU_CPU_SMALL_GEMM_MNK;
}

static void conv_gemm(const hexgpu_cpu_conv *conv, int m, int kdim, const float *a, float beta, float *c,
                      hexgpu_cpu_helper *helper) {
    int n = conv->out;
    if (conv->weight_t) {
        hexgpu_cpu_gemm_small(m, n, hexgpu_cpu_small_columns(n), kdim, a, conv->weight_t, beta, c);
    } else if (helper && hexgpu_cpu_gemm_splits(m, n, kdim)) {
        int n0 = split_column(n);
        column_gemm mine = {.m = m, .n0 = 0, .n1 = n0, .k = kdim, .ldc = n, .a = a, .b = conv->weight,
                            .beta = beta, .c = c};
        column_gemm theirs = mine;
        theirs.n0 = n0, theirs.n1 = n;
        hexgpu_cpu_helper_post(helper, column_gemm_run, &theirs);
        column_gemm_run(&mine);
        hexgpu_cpu_helper_wait(helper);
    } else {
        column_gemm all = {.m = m, .n0 = 0, .n1 = n, .k = kdim, .ldc = n, .a = a, .b = conv->weight, .beta = beta,
                           .c = c};
        column_gemm_run(&all);
    }
}

void hexgpu_cpu_conv_forward_nhwc(const hexgpu_cpu_conv *conv, const float *in, int batch, int side, float *out,
                                  float beta, const hexgpu_cpu_scratch *scratch) {
    int so = hexgpu_cpu_conv_out_side(conv, side);
    int kdim = conv->kernel * conv->kernel * conv->in;
    int pixels = so * so;
    if (conv_is_pointwise(conv)) {
        conv_gemm(conv, batch * pixels, kdim, in, beta, out, scratch->helper);
        return;
    }
    size_t per_board = hexgpu_cpu_conv_col_per_board(conv, side);
    int chunk = (int)(scratch->col_capacity / per_board);
    if (chunk < 1) chunk = 1; /* callers size col for at least one board */
    for (int b0 = 0; b0 < batch; b0 += chunk) {
        int boards = batch - b0 < chunk ? batch - b0 : chunk;
        im2col_nhwc(conv, in + (size_t)b0 * side * side * conv->in, boards, side, scratch->col);
        conv_gemm(conv, boards * pixels, kdim, scratch->col, beta, out + (size_t)b0 * pixels * conv->out,
                  scratch->helper);
    }
}

void hexgpu_cpu_bias_act(float *x, size_t rows, int channels, const float *bias, int relu) {
    for (size_t r = 0; r < rows; r++, x += channels) {
        if (relu)
            for (int c = 0; c < channels; c++) {
                float v = x[c] + bias[c];
                x[c] = v > 0.0f ? v : 0.0f;
            }
        else
            for (int c = 0; c < channels; c++) x[c] += bias[c];
    }
}

void hexgpu_cpu_mean_pool(const float *in, int batch, int pixels, int channels, float *out) {
    for (int b = 0; b < batch; b++) {
        float *o = out + (size_t)b * channels;
        memset(o, 0, (size_t)channels * sizeof(float));
        for (int p = 0; p < pixels; p++, in += channels)
            for (int c = 0; c < channels; c++) o[c] += in[c];
        for (int c = 0; c < channels; c++) o[c] /= (float)pixels;
    }
}

void hexgpu_cpu_linear(const float *in, int batch, int in_features, const float *weight, const float *bias,
                       int out_features, float *out) {
    for (int b = 0; b < batch; b++) {
        const float *x = in + (size_t)b * in_features;
        for (int o = 0; o < out_features; o++) {
            const float *w = weight + (size_t)o * in_features;
            /* Four partial sums: lets the compiler vectorise without -ffast-math, and the
             * order is fixed, so the result does not depend on the batch. */
            float s[4] = {0, 0, 0, 0};
            int i = 0;
            for (; i + 4 <= in_features; i += 4)
                for (int j = 0; j < 4; j++) s[j] += w[i + j] * x[i + j];
            for (; i < in_features; i++) s[0] += w[i] * x[i];
            out[(size_t)b * out_features + o] = bias[o] + ((s[0] + s[1]) + (s[2] + s[3]));
        }
    }
}

void hexgpu_cpu_legal_softmax(const hexgpu_position *pos, const float *logits, float *probs) {
    int cells = pos->size * pos->size;
    /* Empty cells read once from the bit masks, not by a hexgpu_position_at call per
     * cell in each pass. */
    unsigned char empty[HEXGPU_MAX_CELLS];
    for (int i = 0; i < cells; i++) empty[i] = !(((pos->red[i / 64] | pos->blue[i / 64]) >> (i % 64)) & 1);
    float max = -INFINITY;
    for (int i = 0; i < cells; i++)
        if (empty[i] && logits[i] > max) max = logits[i];
    double sum = 0.0;
    for (int i = 0; i < cells; i++) {
        probs[i] = empty[i] ? expf(logits[i] - max) : 0.0f;
        sum += probs[i];
    }
    if (sum <= 0.0) return; /* full board: no legal cell, all zeros */
    float inv = (float)(1.0 / sum);
    for (int i = 0; i < cells; i++) probs[i] *= inv;
}
