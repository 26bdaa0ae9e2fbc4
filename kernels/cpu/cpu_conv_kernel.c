/* The CPU backend's direct convolution: tiles of output pixels by one panel of 32
 * output channels, accumulated in vector registers over every tap and input channel,
 * then stored once with the residual, bias and ReLU. Compiled once per instruction set
 * (GCC/Clang vector extensions), the copy picked once per process. */
#include "kernels/cpu/cpu_conv_kernel.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* One register of floats: zmm (AVX-512), ymm (AVX2), xmm or a NEON q register. */
typedef float vec16 __attribute__((vector_size(16 * sizeof(float))));
typedef float vec8 __attribute__((vector_size(8 * sizeof(float))));
typedef float vec4 __attribute__((vector_size(4 * sizeof(float))));

/* Rows (output pixels) of the largest tile: 12 rows x 2 vectors = 24 of AVX-512's 32
 * registers, the rest for the two weight vectors and the broadcasts. */
#define MAX_ROWS 12

/* How far ahead of the weight row in use cpu_conv_body.inc prefetches: 16 rows of 32
 * floats. */
#ifndef PREFETCH_FLOATS
#define PREFETCH_FLOATS (16 * HEXGPU_CPU_PANEL)
#endif

/* Multiply-adds are fused (FMA) where the instruction set has it: C11 mode
 * otherwise keeps a * b + c as two roundings. Every tile runs the same statement, so
 * the choice is the same for every element. */
#if defined(__clang__)
#define CONTRACT_ATTRIBUTE
#define CONTRACT_PRAGMA _Pragma("clang fp contract(fast)")
#else
#define CONTRACT_ATTRIBUTE __attribute__((optimize("fp-contract=fast")))
#define CONTRACT_PRAGMA
#endif

int hexgpu_cpu_conv_pack(const float *weight_oihw, const float *bias, int in, int out, int kernel, int stride,
                         int pad, hexgpu_cpu_conv *conv) {
    *conv = (hexgpu_cpu_conv){.in = in, .out = out, .kernel = kernel, .stride = stride, .pad = pad};
    size_t taps = (size_t)kernel * kernel, panels = (size_t)hexgpu_cpu_conv_panels(conv);
    conv->packed = calloc(panels * taps * in * HEXGPU_CPU_PANEL, sizeof(float));
    conv->bias = malloc((size_t)out * sizeof(float));
    conv->zeros = calloc((size_t)in, sizeof(float));
    if (!conv->packed || !conv->bias || !conv->zeros) return 0;
    memcpy(conv->bias, bias, (size_t)out * sizeof(float));
    for (int o = 0; o < out; o++) {
        float *panel = conv->packed + (size_t)(o / HEXGPU_CPU_PANEL) * taps * in * HEXGPU_CPU_PANEL;
        for (int i = 0; i < in; i++)
            for (size_t t = 0; t < taps; t++)
                panel[(t * in + i) * HEXGPU_CPU_PANEL + o % HEXGPU_CPU_PANEL] =
                    weight_oihw[((size_t)o * in + i) * taps + t];
    }
    return 1;
}

void hexgpu_cpu_conv_free(hexgpu_cpu_conv *conv) {
    free(conv->packed);
    free(conv->bias);
    free(conv->zeros);
    memset(conv, 0, sizeof *conv);
}

/* Where a row of the pixel-major order (row i: pixel i / boards of board i % boards)
 * reads, its board's input and the input pixel of its tap (0, 0) (negative or past the
 * side at the edges), and where it is stored. */
typedef struct conv_row {
    const float *in;
    size_t out; /* offset of its output pixel's channel 0 in call->out */
    int y0, x0;
} conv_row;

/* Rows [i0, i0 + m) of the call (the board and pixel counted on from the first, not
 * divided out per row: the divisions were a tenth of a 64-channel layer's time). */
static void conv_rows_place(const hexgpu_cpu_conv_call *call, int out_side, int i0, int m, conv_row *row) {
    const hexgpu_cpu_conv *conv = call->conv;
    int boards = call->boards, pixels = out_side * out_side, board = i0 % boards, pixel = i0 / boards;
    int py = pixel / out_side, px = pixel % out_side;
    size_t in_board = (size_t)call->side * call->side * conv->in;
    for (int r = 0; r < m; r++) {
        row[r] = (conv_row){.in = call->in + board * in_board,
                            .out = ((size_t)board * pixels + pixel) * conv->out,
                            .y0 = py * conv->stride - conv->pad,
                            .x0 = px * conv->stride - conv->pad};
        if (++board < boards) continue;
        board = 0, pixel++;
        if (++px == out_side) px = 0, py++;
    }
}

typedef int32_t vec4i __attribute__((vector_size(4 * sizeof(int32_t))));

/* The store of m rows of one panel from their sums (HEXGPU_CPU_PANEL floats a
 * row), per element and in this order: the residual (res + sum), the bias, the ReLU
 * (v < 0 ? 0 : v, so NaN stays NaN, as in PyTorch), then + 0, which makes a -0 +0. A sum
 * of products that underflow is -0 with FMA, and a tap off the board that a tile skips
 * or adds as zero products changes only that sign: so every zero is stored as +0, and
 * an element's bits never depend on its tile. Four lanes at a time (the same operations
 * on each lane as one at a time), whatever the body's instruction set. */
static void conv_rows_store(const hexgpu_cpu_conv_call *call, int panel, const conv_row *row, int m,
                            const float *sums) {
    const hexgpu_cpu_conv *conv = call->conv;
    int col0 = panel * HEXGPU_CPU_PANEL;
    int width = conv->out - col0 < HEXGPU_CPU_PANEL ? conv->out - col0 : HEXGPU_CPU_PANEL;
    const float *bias = call->bias ? call->bias + col0 : NULL;
    for (int r = 0; r < m; r++, sums += HEXGPU_CPU_PANEL) {
        size_t at = row[r].out + col0;
        float *out = call->out + at;
        const float *res = call->residual ? call->residual + at : NULL;
        int j = 0;
        for (; j + 4 <= width; j += 4) {
            vec4 v, x;
            memcpy(&v, sums + j, sizeof v);
            if (res) memcpy(&x, res + j, sizeof x), v = x + v;
            if (bias) memcpy(&x, bias + j, sizeof x), v = v + x;
            if (call->relu) v = (vec4)((vec4i)v & ~(v < (vec4){0}));
            v = v + (vec4){0};
            memcpy(out + j, &v, sizeof v);
        }
        for (; j < width; j++) {
            float v = sums[j];
            if (res) v = res[j] + v;
            if (bias) v = v + bias[j];
            if (call->relu && v < 0.0f) v = 0.0f;
            out[j] = v + 0.0f;
        }
    }
}

/* One copy of the body per instruction set. Not target_clones: its ifunc resolver runs
 * before ThreadSanitizer's runtime is set up and crashes every TSan build at start-up.
 * Tile heights keep the accumulators in registers: 12 (tail 4) rows x 2 zmm with
 * AVX-512 (32 registers, cpu_conv_body.inc), 3 rows x 4 ymm in chunks of the weights
 * with AVX2 (16 registers, cpu_conv_blocked.inc), 1 x 8 xmm elsewhere. */
#define BODY_VEC vec4
#define BODY_FLOATS 4
#define GENERIC_ROWS 1
#define BODY_NAME conv_generic
#define BODY_TARGET
#define BODY_ROWS GENERIC_ROWS
#define BODY_TAIL_ROWS 1
#include "kernels/cpu/cpu_conv_body.inc"

#if defined(__x86_64__) || defined(__i386__)
#define BODY_VEC vec16
#define BODY_FLOATS 16
#define AVX512_ROWS 12
#define BODY_NAME conv_avx512
#define BODY_TARGET __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")))
#define BODY_ROWS AVX512_ROWS
#define BODY_TAIL_ROWS 4
#include "kernels/cpu/cpu_conv_body.inc"

#define BODY_VEC vec8
#define BODY_FLOATS 8
#define AVX2_ROWS 3
#define BODY_NAME conv_avx2
#define BODY_TARGET __attribute__((target("avx2,fma")))
#define BODY_ROWS AVX2_ROWS
/* Loaded once into a register for the 3 rows, not read by each multiply-add again. */
#define BODY_IN_REGISTER(v) __asm__("" : "+x"(v))
#ifndef BODY_BLOCK_ROWS
#define BODY_BLOCK_ROWS 96
#endif
#ifndef BODY_CHUNK
#define BODY_CHUNK 128
#endif
#include "kernels/cpu/cpu_conv_blocked.inc"
#endif

static void (*conv_chosen)(const hexgpu_cpu_conv_call *call);
static const char *conv_chosen_isa;
static int conv_chosen_rows;
static pthread_once_t conv_once = PTHREAD_ONCE_INIT;

#if defined(__x86_64__) || defined(__i386__)
/* $HEXGPU_CPU_KERNEL=avx2|generic asks for a lesser instruction set than the CPU has
 * (tests run every copy on one machine; a user can rule one out); a greater one, or
 * any other text, is ignored. */
static void conv_choose(void) {
    __builtin_cpu_init();
    int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    int avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                 __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq");
    const char *asked = getenv("HEXGPU_CPU_KERNEL");
    if (asked && strcmp(asked, "generic") == 0) avx2 = avx512 = 0;
    if (asked && strcmp(asked, "avx2") == 0) avx512 = 0;
    conv_chosen = avx512 ? conv_avx512 : avx2 ? conv_avx2 : conv_generic;
    conv_chosen_isa = avx512 ? "avx512" : avx2 ? "avx2" : "generic";
    conv_chosen_rows = avx512 ? AVX512_ROWS : avx2 ? AVX2_ROWS : GENERIC_ROWS;
}
#else
/* Other architectures (e.g. aarch64 hosts of Grace-Hopper): the compiler's own vector
 * width for the generic vector type. */
static void conv_choose(void) {
    conv_chosen = conv_generic;
    conv_chosen_isa = "generic";
    conv_chosen_rows = GENERIC_ROWS;
}
#endif

void hexgpu_cpu_conv_compute(const hexgpu_cpu_conv_call *call) {
    pthread_once(&conv_once, conv_choose);
    conv_chosen(call);
}

const char *hexgpu_cpu_conv_isa(void) {
    pthread_once(&conv_once, conv_choose);
    return conv_chosen_isa;
}

int hexgpu_cpu_conv_tile_rows(void) {
    pthread_once(&conv_once, conv_choose);
    return conv_chosen_rows;
}
