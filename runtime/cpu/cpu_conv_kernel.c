/* The CPU backend's direct convolution: tiles of up to 12 output pixels by one panel
 * of 32 output channels, accumulated in vector registers over every tap and input
 * channel, then stored once with the residual, bias and ReLU. Compiled once per
 * instruction set (GCC/Clang vector extensions), the copy picked once per process. */
#include "runtime/cpu/cpu_conv_kernel.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Sixteen floats as one value: a zmm register with AVX-512, two ymm with AVX2. */
typedef float vec16 __attribute__((vector_size(16 * sizeof(float))));

/* Rows (output pixels) of the largest tile: 12 rows x 2 vectors = 24 of AVX-512's 32
 * registers, the rest for the two weight vectors and the broadcasts. */
#define MAX_ROWS 12

/* How far ahead of the weight row in use the kernel prefetches: 16 rows of 32 floats. */
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

/* One tile: rows [i0, i0 + m) of the call's pixel-major order (row i is pixel i / boards
 * of board i % boards, so a tile of a large batch is one pixel of many boards and
 * shares its taps off the board), against one panel. `rows` is the tile height of this
 * instruction set (a constant once inlined); rows past m read zeros and are not stored.
 * A tap off the board for every row of the tile is skipped: it would only add zeros,
 * which can change the sign of a zero sum but no value, and a ReLU follows every
 * convolution's output before anything reads it. */
__attribute__((always_inline)) CONTRACT_ATTRIBUTE static inline void
conv_tile(const hexgpu_cpu_conv_call *call, int out_side, int i0, int m, int rows, int panel) {
    CONTRACT_PRAGMA
    const hexgpu_cpu_conv *conv = call->conv;
    int cin = conv->in, k = conv->kernel, side = call->side, boards = call->boards;
    int pixels = out_side * out_side;
    int board[MAX_ROWS], y0[MAX_ROWS], x0[MAX_ROWS];
    for (int r = 0; r < rows; r++) {
        int i = i0 + (r < m ? r : 0), pixel = i / boards;
        board[r] = i % boards;
        /* A row past m starts so far off the board that every tap misses. */
        y0[r] = r < m ? pixel / out_side * conv->stride - conv->pad : -2 * k - side;
        x0[r] = pixel % out_side * conv->stride - conv->pad;
    }
    vec16 acc[MAX_ROWS][2];
#pragma GCC unroll 12
    for (int r = 0; r < rows; r++) acc[r][0] = acc[r][1] = (vec16){0};
    const float *weights = conv->packed + (size_t)panel * k * k * cin * HEXGPU_CPU_PANEL;
    for (int ky = 0; ky < k; ky++)
        for (int kx = 0; kx < k; kx++, weights += (size_t)cin * HEXGPU_CPU_PANEL) {
            const float *src[MAX_ROWS];
            int any = 0;
            for (int r = 0; r < rows; r++) {
                int iy = y0[r] + ky, ix = x0[r] + kx;
                int on = iy >= 0 && iy < side && ix >= 0 && ix < side;
                src[r] = on ? call->in + (((size_t)board[r] * side + iy) * side + ix) * cin : conv->zeros;
                any |= on;
            }
            if (!any) continue;
            const float *w = weights;
            for (int c = 0; c < cin; c++, w += HEXGPU_CPU_PANEL) {
                vec16 w0, w1;
                /* The weights stream from beyond L2 when few rows share them (a lone
                 * board's last stages): ask for them well ahead. */
                __builtin_prefetch(w + PREFETCH_FLOATS);
                __builtin_prefetch(w + PREFETCH_FLOATS + 16);
                memcpy(&w0, w, sizeof w0);
                memcpy(&w1, w + 16, sizeof w1);
#pragma GCC unroll 12
                for (int r = 0; r < rows; r++) {
                    acc[r][0] += src[r][c] * w0;
                    acc[r][1] += src[r][c] * w1;
                }
            }
        }
    int col0 = panel * HEXGPU_CPU_PANEL;
    int width = conv->out - col0 < HEXGPU_CPU_PANEL ? conv->out - col0 : HEXGPU_CPU_PANEL;
    for (int r = 0; r < m; r++) {
        float sum[HEXGPU_CPU_PANEL];
        vec16 lo = acc[r][0], hi = acc[r][1];
        memcpy(sum, &lo, sizeof lo);
        memcpy(sum + 16, &hi, sizeof hi);
        int i = i0 + r;
        size_t at = ((size_t)(i % boards) * pixels + i / boards) * conv->out + col0;
        float *out = call->out + at;
        const float *res = call->residual ? call->residual + at : NULL;
        for (int j = 0; j < width; j++) {
            float v = sum[j];
            if (res) v = res[j] + v;
            if (call->bias) v = v + call->bias[col0 + j];
            out[j] = call->relu && !(v > 0.0f) ? 0.0f : v;
        }
    }
}

/* Every panel of the call, tile by tile: tiles of `rows` while they are full, then of
 * `tail_rows`, so that a call of few pixels (a lone board's last stages: 16 and 4) does
 * not pay for a tall tile of zeros. Each row sums alone, so the tile heights change no
 * bit. Inlined into one function per instruction set with its own heights. */
__attribute__((always_inline)) static inline void conv_body(const hexgpu_cpu_conv_call *call, int rows,
                                                            int tail_rows) {
    int out_side = hexgpu_cpu_conv_out_side(call->conv, call->side);
    int total = call->boards * out_side * out_side;
    for (int panel = call->panel0; panel < call->panel1; panel++) {
        int i0 = 0;
        for (; i0 + rows <= total; i0 += rows) conv_tile(call, out_side, i0, rows, rows, panel);
        for (; i0 < total; i0 += tail_rows)
            conv_tile(call, out_side, i0, total - i0 < tail_rows ? total - i0 : tail_rows, tail_rows, panel);
    }
}

/* One function per instruction set. Not target_clones: its ifunc resolver runs before
 * ThreadSanitizer's runtime is set up and crashes every TSan build at start-up. The
 * tile heights keep the accumulators in registers: 12 (tail 4) x 2 zmm with AVX-512
 * (32 registers), 3 (tail 1) x 4 ymm with AVX2 (16), 1 x 16 floats elsewhere. */
CONTRACT_ATTRIBUTE static void conv_generic(const hexgpu_cpu_conv_call *call) { conv_body(call, 1, 1); }

static void (*conv_chosen)(const hexgpu_cpu_conv_call *call);
static const char *conv_chosen_isa;
static pthread_once_t conv_once = PTHREAD_ONCE_INIT;

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma"))) CONTRACT_ATTRIBUTE static void
conv_avx512(const hexgpu_cpu_conv_call *call) {
    conv_body(call, 12, 4);
}
__attribute__((target("avx2,fma"))) CONTRACT_ATTRIBUTE static void conv_avx2(const hexgpu_cpu_conv_call *call) {
    conv_body(call, 3, 1);
}

static void conv_choose(void) {
    __builtin_cpu_init();
    int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    int avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                 __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq");
    conv_chosen = avx512 ? conv_avx512 : avx2 ? conv_avx2 : conv_generic;
    conv_chosen_isa = avx512 ? "avx512" : avx2 ? "avx2" : "generic";
}
#else
/* Other architectures (e.g. aarch64 hosts of Grace-Hopper): the compiler's own vector
 * width for the generic vector type. */
static void conv_choose(void) {
    conv_chosen = conv_generic;
    conv_chosen_isa = "generic";
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
