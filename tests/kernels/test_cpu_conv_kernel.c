/* The CPU convolution kernel (kernels/cpu/cpu_conv_kernel.c) on its own: every shape the
 * networks use (3 input planes, stride 2, 1x1 shortcuts, channel counts that are not a
 * multiple of the 32-channel panel, boards of 1 to 13 cells a side), with and without
 * residual, bias and ReLU, against a double-precision loop; and the rule the backend
 * relies on: a board's outputs are the same bits whatever the batch it is in and
 * whatever the split by panels and rows. ctest runs this suite once per instruction-set copy. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/cpu/cpu_conv_kernel.h"

typedef struct conv_shape {
    int in, out, kernel, stride, pad, side;
} conv_shape;

static const conv_shape shapes[] = {
    {3, 16, 3, 1, 1, 13},  /* the input convolution */
    {20, 40, 3, 2, 1, 7},  /* a stage's first conv1: stride 2, 40 = a panel and 8 */
    {33, 70, 3, 1, 1, 4},  /* odd widths on a 4x4 board: taps off the board skipped */
    {64, 32, 1, 2, 0, 7},  /* a 1x1 stride-2 shortcut */
    {48, 8, 1, 1, 0, 2},   /* the value convolution: fewer channels than a panel */
    {5, 33, 3, 1, 1, 1},   /* a 1x1 board: only the centre tap is on it */
    {96, 64, 3, 1, 1, 13}, /* many full 12-row tiles and a tail */
};

static uint64_t lcg_state;
/* Uniform in [-1, 1); every third value of an activation exactly 0, as after a ReLU. */
static float next_value(int sparse) {
    lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
    uint32_t bits = (uint32_t)(lcg_state >> 40);
    if (sparse && bits % 3 == 0) return 0.0f;
    return (float)((double)bits / (double)(1u << 23) - 1.0);
}

static float *random_floats(size_t count, int sparse) {
    float *v = malloc(count * sizeof(float));
    cr_assert_not_null(v);
    for (size_t i = 0; i < count; i++) v[i] = next_value(sparse);
    return v;
}

typedef struct conv_case {
    conv_shape s;
    int boards, so;
    size_t in_count, out_count;
    float *weight, *bias, *in, *residual;
    hexgpu_cpu_conv conv;
} conv_case;

static void case_make(const conv_shape *s, int boards, conv_case *c) {
    memset(c, 0, sizeof *c);
    c->s = *s;
    c->boards = boards;
    c->so = (s->side + 2 * s->pad - s->kernel) / s->stride + 1;
    c->in_count = (size_t)boards * s->side * s->side * s->in;
    c->out_count = (size_t)boards * c->so * c->so * s->out;
    c->weight = random_floats((size_t)s->out * s->in * s->kernel * s->kernel, 0);
    c->bias = random_floats((size_t)s->out, 0);
    c->in = random_floats(c->in_count, 1);
    c->residual = random_floats(c->out_count, 0);
    cr_assert(hexgpu_cpu_conv_pack(c->weight, c->bias, s->in, s->out, s->kernel, s->stride, s->pad, &c->conv));
    cr_assert_eq(hexgpu_cpu_conv_out_side(&c->conv, s->side), c->so);
}

static void case_free(conv_case *c) {
    hexgpu_cpu_conv_free(&c->conv);
    free(c->weight), free(c->bias), free(c->in), free(c->residual);
}

/* Boards [b0, b0 + boards) of the case's input through the kernel, panels [p0, p1), rows
 * [r0, r1) of the pixel-major order. */
static void case_run_rows(const conv_case *c, int b0, int boards, int residual, int bias, int relu, int p0, int p1,
                          int r0, int r1, float *out) {
    size_t in_board = (size_t)c->s.side * c->s.side * c->s.in, out_board = (size_t)c->so * c->so * c->s.out;
    hexgpu_cpu_conv_call call = {.conv = &c->conv, .in = c->in + b0 * in_board, .boards = boards, .side = c->s.side,
                                 .out = out, .residual = residual ? c->residual + b0 * out_board : NULL,
                                 .bias = bias ? c->conv.bias : NULL, .relu = relu, .panel0 = p0, .panel1 = p1,
                                 .row0 = r0, .row1 = r1};
    hexgpu_cpu_conv_compute(&call);
}

/* Every row of boards [b0, b0 + boards), panels [p0, p1). */
static void case_run(const conv_case *c, int b0, int boards, int residual, int bias, int relu, int p0, int p1,
                     float *out) {
    case_run_rows(c, b0, boards, residual, bias, relu, p0, p1, 0, boards * c->so * c->so, out);
}

/* Every output element against the same sum in double; the tolerance scales with the
 * sum of the magnitudes of its terms (fp32 rounding of a sum of up to 864 products). */
static void check_against_double(const conv_case *c, int residual, int bias, int relu, const float *got) {
    const conv_shape *s = &c->s;
    for (int b = 0; b < c->boards; b++)
        for (int oy = 0; oy < c->so; oy++)
            for (int ox = 0; ox < c->so; ox++)
                for (int o = 0; o < s->out; o++) {
                    double sum = 0.0, magnitude = 0.0;
                    for (int ky = 0; ky < s->kernel; ky++)
                        for (int kx = 0; kx < s->kernel; kx++) {
                            int iy = oy * s->stride - s->pad + ky, ix = ox * s->stride - s->pad + kx;
                            if (iy < 0 || iy >= s->side || ix < 0 || ix >= s->side) continue;
                            for (int i = 0; i < s->in; i++) {
                                double term = (double)c->in[(((size_t)b * s->side + iy) * s->side + ix) * s->in + i] *
                                              c->weight[(((size_t)o * s->in + i) * s->kernel + ky) * s->kernel + kx];
                                sum += term;
                                magnitude += fabs(term);
                            }
                        }
                    size_t at = (((size_t)b * c->so + oy) * c->so + ox) * s->out + o;
                    if (residual) sum += c->residual[at], magnitude += fabs(c->residual[at]);
                    if (bias) sum += c->bias[o], magnitude += fabs(c->bias[o]);
                    if (relu && sum < 0.0) sum = 0.0;
                    double tolerance = 1e-6 * magnitude + 1e-6;
                    cr_assert(fabs(got[at] - sum) <= tolerance,
                              "in %d out %d k %d stride %d side %d, board %d (%d,%d) channel %d: %.9g, want %.9g",
                              s->in, s->out, s->kernel, s->stride, s->side, b, oy, ox, o, got[at], sum);
                }
}

Test(cpu_conv_kernel, every_shape_matches_a_double_precision_loop, .timeout = 120) {
    lcg_state = 1;
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        for (int mode = 0; mode < 3; mode++) {
            /* mode 0: plain; 1: bias + ReLU; 2: residual + bias + ReLU (a block's conv2). */
            int residual = mode == 2, bias = mode >= 1, relu = mode >= 1;
            conv_case c;
            case_make(&shapes[i], 5, &c);
            float *out = malloc(c.out_count * sizeof(float));
            cr_assert_not_null(out);
            case_run(&c, 0, c.boards, residual, bias, relu, 0, hexgpu_cpu_conv_panels(&c.conv), out);
            check_against_double(&c, residual, bias, relu, out);
            free(out);
            case_free(&c);
        }
}

/* The same board alone, in batches of 2 to 13 (so that it lands at every place of a
 * 12-row tile and tiles span pixels), and split by panels and by rows: the same bits,
 * with and without ReLU. */
Test(cpu_conv_kernel, a_board_gives_the_same_bits_in_any_batch_and_split, .timeout = 120) {
    lcg_state = 2;
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        conv_case c;
        case_make(&shapes[i], 13, &c);
        int panels = hexgpu_cpu_conv_panels(&c.conv);
        size_t out_board = c.out_count / (size_t)c.boards;
        float *whole = malloc(c.out_count * sizeof(float)), *alone = malloc(out_board * sizeof(float));
        cr_assert(whole && alone);
        for (int relu = 0; relu < 2; relu++)
            for (int boards = 1; boards <= c.boards; boards++) {
                case_run(&c, 0, boards, relu, 1, relu, 0, panels, whole);
                for (int b = 0; b < boards; b++) {
                    case_run(&c, b, 1, relu, 1, relu, 0, panels, alone);
                    const float *in_batch = whole + (size_t)b * out_board;
                    cr_assert(memcmp(in_batch, alone, out_board * sizeof(float)) == 0,
                              "shape %zu, relu %d: board %d of %d differs from the board alone", i, relu, b, boards);
                }
            }
        /* Panels [0, p) then [p, panels) into one output: the bits of one call. */
        float *split = malloc(c.out_count * sizeof(float));
        cr_assert_not_null(split);
        case_run(&c, 0, c.boards, 1, 1, 1, 0, panels, whole);
        for (int p = 1; p < panels; p++) {
            case_run(&c, 0, c.boards, 1, 1, 1, 0, p, split);
            case_run(&c, 0, c.boards, 1, 1, 1, p, panels, split);
            cr_assert(memcmp(split, whole, c.out_count * sizeof(float)) == 0, "shape %zu: split at panel %d differs",
                      i, p);
        }
        /* Rows [0, r) then [r, rows), every r up to 100 (the AVX2 body's blocks of 96 rows,
         * every place in a tile) then in steps: the bits of one call. And 2 panel groups
         * x 3 row ranges, the split of a lone board over six threads. */
        int rows = c.boards * c.so * c.so;
        for (int r = 1; r < rows; r += r < 100 ? 1 : 37) {
            memset(split, 0xff, c.out_count * sizeof(float));
            case_run_rows(&c, 0, c.boards, 1, 1, 1, 0, panels, 0, r, split);
            case_run_rows(&c, 0, c.boards, 1, 1, 1, 0, panels, r, rows, split);
            cr_assert(memcmp(split, whole, c.out_count * sizeof(float)) == 0, "shape %zu: split at row %d differs", i,
                      r);
        }
        memset(split, 0xff, c.out_count * sizeof(float));
        for (int g = 0; g < 2; g++)
            for (int r = 0; r < 3; r++)
                case_run_rows(&c, 0, c.boards, 1, 1, 1, panels * g / 2, panels * (g + 1) / 2, rows * r / 3,
                              rows * (r + 1) / 3, split);
        cr_assert(memcmp(split, whole, c.out_count * sizeof(float)) == 0, "shape %zu: 2 x 3 split differs", i);
        free(split), free(whole), free(alone);
        case_free(&c);
    }
}

/* The residual may be the output itself (a block's conv2 adds onto the shortcut it
 * wrote there first). */
Test(cpu_conv_kernel, residual_may_be_the_output, .timeout = 120) {
    lcg_state = 3;
    conv_case c;
    case_make(&shapes[2], 3, &c);
    int panels = hexgpu_cpu_conv_panels(&c.conv);
    float *apart = malloc(c.out_count * sizeof(float)), *in_place = malloc(c.out_count * sizeof(float));
    cr_assert(apart && in_place);
    case_run(&c, 0, c.boards, 1, 1, 1, 0, panels, apart);
    memcpy(in_place, c.residual, c.out_count * sizeof(float));
    hexgpu_cpu_conv_call call = {.conv = &c.conv, .in = c.in, .boards = c.boards, .side = c.s.side, .out = in_place,
                                 .residual = in_place, .bias = c.conv.bias, .relu = 1, .panel0 = 0, .panel1 = panels,
                                 .row0 = 0, .row1 = c.boards * c.so * c.so};
    hexgpu_cpu_conv_compute(&call);
    cr_assert(memcmp(apart, in_place, c.out_count * sizeof(float)) == 0);
    free(apart), free(in_place);
    case_free(&c);
}

/* A sum of products that underflow is -0 with FMA; a tap off the board is skipped in a
 * tile where it is off for every row and adds +0 in another: the store's +0 makes the
 * board's zeros the same bits alone and in a batch of 12 (found by review: 1 input and 1
 * output channel, 3x3 pad 1 on a 2x2 board, no bias, no ReLU). And ReLU keeps a NaN,
 * as PyTorch does, so a diverged network's output is refused, not zeroed. */
Test(cpu_conv_kernel, zeros_are_positive_and_nan_survives_relu, .timeout = 120) {
    float weight[9], bias[1] = {0.0f};
    for (int t = 0; t < 9; t++) weight[t] = -1e-30f;
    weight[2 * 3 + 0] = 1.0f;
    hexgpu_cpu_conv conv;
    cr_assert(hexgpu_cpu_conv_pack(weight, bias, 1, 1, 3, 1, 1, &conv));
    float in[12 * 4], out[12 * 4], alone[4];
    for (int i = 0; i < 12 * 4; i++) in[i] = 1e-30f;
    hexgpu_cpu_conv_call call = {.conv = &conv, .in = in, .boards = 12, .side = 2, .out = out, .panel0 = 0,
                                 .panel1 = 1, .row0 = 0, .row1 = 12 * 4};
    hexgpu_cpu_conv_compute(&call);
    call.boards = 1, call.out = alone, call.row1 = 4;
    hexgpu_cpu_conv_compute(&call);
    cr_assert(memcmp(out, alone, sizeof alone) == 0, "alone %g %g %g %g, in a batch %g %g %g %g", alone[0], alone[1],
              alone[2], alone[3], out[0], out[1], out[2], out[3]);
    for (int i = 0; i < 4; i++)
        if (alone[i] == 0.0f) cr_assert(!signbit(alone[i]), "pixel %d is -0", i);
    in[0] = NAN;
    call.relu = 1;
    hexgpu_cpu_conv_compute(&call);
    cr_assert(isnan(alone[0]), "relu(NaN) gave %g", alone[0]);
    hexgpu_cpu_conv_free(&conv);
}

Test(cpu_conv_kernel, names_its_instruction_set, .timeout = 120) {
    const char *isa = hexgpu_cpu_conv_isa();
    cr_assert(strcmp(isa, "avx512") == 0 || strcmp(isa, "avx2") == 0 || strcmp(isa, "generic") == 0, "%s", isa);
    const char *asked = getenv("HEXGPU_CPU_KERNEL");
    if (asked && (strcmp(asked, "avx2") == 0 || strcmp(asked, "generic") == 0))
        cr_assert(strcmp(isa, asked) == 0 || strcmp(isa, "generic") == 0, "asked %s, runs %s", asked, isa);
}
