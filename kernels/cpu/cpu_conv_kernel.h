/* The CPU backend's convolution kernel: a direct NHWC convolution over weights packed
 * once into panels of 32 output channels, with bias, residual and ReLU applied as each
 * tile is stored. No im2col buffer and no BLAS: each output element is summed over
 * its taps and input channels in one fixed order (and its zeros stored as +0), so a
 * board's answer is the same bits whatever the batch it comes in and whatever the
 * thread split. */
#pragma once

#include <stddef.h>

/* Output channels per weight panel: two vectors of 16 floats. */
#define HEXGPU_CPU_PANEL 32

/* A convolution with BN folded, packed for the kernel. */
typedef struct hexgpu_cpu_conv {
    int in, out, kernel, stride, pad;
    /* [panels][kernel][kernel][in][HEXGPU_CPU_PANEL]: panel p holds output channels
     * 32p..32p+31 (zero past out), one row of 32 per (tap, input channel). */
    float *packed;
    float *bias;  /* [out] */
    float *zeros; /* [in] zeros: what a tap off the board reads */
} hexgpu_cpu_conv;

static inline int hexgpu_cpu_conv_panels(const hexgpu_cpu_conv *conv) {
    return (conv->out + HEXGPU_CPU_PANEL - 1) / HEXGPU_CPU_PANEL;
}

/* Output side of a convolution on a side x side input. */
static inline int hexgpu_cpu_conv_out_side(const hexgpu_cpu_conv *conv, int side) {
    return (side + 2 * conv->pad - conv->kernel) / conv->stride + 1;
}

/* Packs OIHW weights (k x k, stride, pad) and the bias into *conv; 0 when out of memory
 * (conv then holds what was allocated: free it with hexgpu_cpu_conv_free). */
int hexgpu_cpu_conv_pack(const float *weight_oihw, const float *bias, int in, int out, int kernel, int stride,
                         int pad, hexgpu_cpu_conv *conv);
void hexgpu_cpu_conv_free(hexgpu_cpu_conv *conv);

/* One call of the kernel: for every row i in [row0, row1) of the pixel-major order (row i
 * is output pixel p = i / boards of board b = i % boards) and output channel o in the
 * panels [panel0, panel1),
 *   v = sum over taps and input channels of in * weight   (in that order, fused
 *       multiply-adds where the instruction set has them, starting from 0)
 *   v = residual[b][p][o] + v   (when residual is set; it may be out itself)
 *   v = v + bias[o]             (when bias is set)
 *   out[b][p][o] = (relu && v < 0 ? 0 : v) + 0   (NaN stays NaN; -0 becomes +0)
 * in is [boards][side][side][conv->in], out and residual [boards][so][so][conv->out]. */
typedef struct hexgpu_cpu_conv_call {
    const hexgpu_cpu_conv *conv;
    const float *in;
    int boards, side;
    float *out;
    const float *residual;
    const float *bias;
    int relu;
    int panel0, panel1;
    int row0, row1; /* 0 <= row0 <= row1 <= boards * so * so */
} hexgpu_cpu_conv_call;

/* Rows (output pixels of the batch) of one call: boards * so * so. */
static inline int hexgpu_cpu_conv_rows(const hexgpu_cpu_conv *conv, int boards, int side) {
    int so = hexgpu_cpu_conv_out_side(conv, side);
    return so < 1 ? 0 : boards * so * so;
}

void hexgpu_cpu_conv_compute(const hexgpu_cpu_conv_call *call);

/* The instruction set the kernel runs with in this process ("avx512", "avx2" or
 * "generic"), picked once from the running CPU. */
const char *hexgpu_cpu_conv_isa(void);

/* Rows of that body's tile (12, 3 or 1): a split of the rows whose ranges start on a
 * multiple of it leaves no short tile but the last. */
int hexgpu_cpu_conv_tile_rows(void);
