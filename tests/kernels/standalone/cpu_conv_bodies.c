/* The AVX-512 body's tiles against the AVX2 body, on a machine without AVX-512.
 *
 * The CPU backend promises the same bits whatever the instruction set: one accumulator
 * per element, taps and input channels in one order, fused multiply-adds in both copies.
 * CI machines and many developers' have no AVX-512, so the AVX-512 copy never runs
 * there. This program compiles that body (cpu_conv_body.inc) a second time with its own
 * tile shape (12-row tiles, 4-row tails) on 8-float AVX2 registers, and holds it, the
 * AVX2 body and the kernel the process picks to identical bits on the network's layer
 * shapes and on random ones, whole and split by panels and rows. What it cannot show is
 * the zmm instructions themselves: the same source, other registers.
 *
 * A plain program (it includes the kernel's source, so it links no libhexgpu); exit 77,
 * which ctest reports as skipped, where the CPU has no AVX2 and FMA. */
#include "kernels/cpu/cpu_conv_kernel.c"

#include <stdio.h>

#if defined(__x86_64__) || defined(__i386__)
#define BODY_VEC vec8
#define BODY_FLOATS 8
#define BODY_NAME conv_avx512_tiles_on_avx2
#define BODY_TARGET __attribute__((target("avx2,fma")))
#define BODY_ROWS AVX512_ROWS
#define BODY_TAIL_ROWS 4
#include "kernels/cpu/cpu_conv_body.inc"

typedef struct shape {
    int in, out, kernel, stride, pad, side, boards;
} shape;

/* The full network's layers (13x13 input, stages of 13, 7, 4, 2 pixels; 1x1 shortcuts),
 * then shapes off the panel and tile sizes. */
static const shape network_shapes[] = {
    {3, 64, 3, 1, 1, 13, 3},   {64, 64, 3, 1, 1, 13, 2},  {64, 128, 3, 2, 1, 13, 2},  {64, 128, 1, 2, 0, 13, 2},
    {128, 256, 3, 2, 1, 7, 5}, {256, 512, 3, 2, 1, 4, 9}, {512, 512, 3, 1, 1, 2, 17}, {512, 32, 1, 1, 0, 2, 1},
    {33, 70, 3, 1, 1, 4, 7},   {5, 33, 3, 1, 1, 1, 13},   {43, 40, 5, 2, 2, 9, 4},    {129, 31, 3, 1, 0, 6, 3},
};

static int printed;

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;
static uint32_t rng_next(void) {
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rng_state >> 33);
}
/* Uniform in [-1, 1); with `sparse` a third exactly 0, as after a ReLU. */
static float rng_float(int sparse) {
    uint32_t bits = rng_next() & 0xffffff;
    if (sparse && bits % 3 == 0) return 0.0f;
    return (float)((double)bits / (double)(1 << 23) - 1.0);
}

/* Runs `body` over the call's rows and panels in `panel_parts` panel groups by
 * `row_parts` row ranges cut at random points (some ranges empty), into out. */
static void run_split(void (*body)(const hexgpu_cpu_conv_call *), hexgpu_cpu_conv_call call, float *out,
                      int panel_parts, int row_parts) {
    int panels = call.panel1, rows = call.row1;
    call.out = out;
    int cuts[9] = {0};
    for (int r = 1; r < row_parts; r++) cuts[r] = (int)(rng_next() % (unsigned)(rows + 1));
    for (int r = 1; r < row_parts; r++)
        for (int s = r; s > 1 && cuts[s] < cuts[s - 1]; s--) {
            int t = cuts[s];
            cuts[s] = cuts[s - 1], cuts[s - 1] = t;
        }
    cuts[row_parts] = rows;
    for (int g = 0; g < panel_parts; g++)
        for (int r = 0; r < row_parts; r++) {
            hexgpu_cpu_conv_call part = call;
            part.panel0 = panels * g / panel_parts, part.panel1 = panels * (g + 1) / panel_parts;
            part.row0 = cuts[r], part.row1 = cuts[r + 1];
            body(&part);
        }
}

/* One case: every body whole and split, compared bit for bit with the AVX2 body whole.
 * Returns the number of mismatching outputs. */
static int check_case(const shape *s, int mode, int tiny) {
    size_t taps = (size_t)s->kernel * s->kernel, wcount = (size_t)s->out * s->in * taps;
    float *weight = malloc(wcount * sizeof(float)), *bias = malloc((size_t)s->out * sizeof(float));
    for (size_t i = 0; i < wcount; i++) weight[i] = rng_float(0) * (tiny ? 1e-25f : 1.0f);
    for (int i = 0; i < s->out; i++) bias[i] = tiny ? 0.0f : rng_float(0);
    hexgpu_cpu_conv conv;
    if (!hexgpu_cpu_conv_pack(weight, bias, s->in, s->out, s->kernel, s->stride, s->pad, &conv)) {
        fprintf(stderr, "cpu_conv_bodies: out of memory packing %dx%d\n", s->in, s->out);
        exit(1);
    }
    int rows = hexgpu_cpu_conv_rows(&conv, s->boards, s->side), so = hexgpu_cpu_conv_out_side(&conv, s->side);
    size_t in_count = (size_t)s->boards * s->side * s->side * s->in;
    size_t out_count = (size_t)s->boards * so * so * s->out;
    float *in = malloc(in_count * sizeof(float)), *residual = malloc(out_count * sizeof(float));
    float *want = malloc(out_count * sizeof(float)), *got = malloc(out_count * sizeof(float));
    for (size_t i = 0; i < in_count; i++) in[i] = rng_float(1) * (tiny ? 1e-25f : 1.0f);
    for (size_t i = 0; i < out_count; i++) residual[i] = rng_float(0);
    /* mode 0: plain; 1: bias and ReLU; 2: residual, bias and ReLU. */
    hexgpu_cpu_conv_call call = {.conv = &conv,
                                 .in = in,
                                 .boards = s->boards,
                                 .side = s->side,
                                 .out = want,
                                 .residual = mode == 2 ? residual : NULL,
                                 .bias = mode ? conv.bias : NULL,
                                 .relu = mode != 0,
                                 .panel0 = 0,
                                 .panel1 = hexgpu_cpu_conv_panels(&conv),
                                 .row0 = 0,
                                 .row1 = rows};
    conv_avx2(&call);
    struct {
        const char *name;
        void (*body)(const hexgpu_cpu_conv_call *);
    } bodies[] = {{"avx2", conv_avx2}, {"avx512 tiles", conv_avx512_tiles_on_avx2}, {"picked", conv_chosen}};
    int bad = 0;
    for (size_t b = 0; b < sizeof bodies / sizeof bodies[0]; b++)
        for (int split = 0; split < 4; split++) {
            int panel_parts = split == 0 ? 1 : 1 + (int)(rng_next() % (unsigned)call.panel1);
            int row_parts = split == 0 ? 1 : 1 + (int)(rng_next() % 8);
            memset(got, 0xff, out_count * sizeof(float)); /* NaN where a row were left out */
            run_split(bodies[b].body, call, got, panel_parts, row_parts);
            for (size_t i = 0; i < out_count; i++)
                if (memcmp(&got[i], &want[i], sizeof(float)) != 0) {
                    if (printed++ < 12) /* the first few mismatches of the run */
                        fprintf(stderr,
                                "cpu_conv_bodies: %s, in %d out %d kernel %d stride %d side %d boards %d mode %d%s,"
                                " %d panel groups x %d row ranges: output %zu is %a, the AVX2 body's %a\n",
                                bodies[b].name, s->in, s->out, s->kernel, s->stride, s->side, s->boards, mode,
                                tiny ? " (underflowing products)" : "", panel_parts, row_parts, i, (double)got[i],
                                (double)want[i]);
                    bad++;
                }
        }
    hexgpu_cpu_conv_free(&conv);
    free(weight), free(bias), free(in), free(residual), free(want), free(got);
    return bad;
}

int main(void) {
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
        printf("cpu_conv_bodies: skipped: this CPU has no AVX2 and FMA\n");
        return 77;
    }
    pthread_once(&conv_once, conv_choose);
    int bad = 0, cases = 0;
    for (size_t i = 0; i < sizeof network_shapes / sizeof network_shapes[0]; i++)
        for (int mode = 0; mode < 3; mode++, cases++) bad += check_case(&network_shapes[i], mode, 0);
    static const int widths[] = {1, 2, 3, 5, 16, 31, 32, 33, 40, 64, 70, 100, 129};
    for (int i = 0; i < 150; i++, cases++) {
        shape s = {.in = widths[rng_next() % 13],
                   .out = widths[rng_next() % 13],
                   .kernel = (int[]){1, 3, 3, 5}[rng_next() % 4],
                   .stride = 1 + (int)(rng_next() % 2),
                   .pad = (int)(rng_next() % 3),
                   .side = 1 + (int)(rng_next() % 13),
                   .boards = 1 + (int)(rng_next() % 20)};
        if (s.side + 2 * s.pad < s.kernel) continue;
        bad += check_case(&s, (int)(rng_next() % 3), rng_next() % 4 == 0);
    }
    printf("cpu_conv_bodies: %d cases, the kernel picked here: %s; %s\n", cases, conv_chosen_isa,
           bad ? "MISMATCHES" : "the AVX-512 tiles, the AVX2 body and the picked kernel give the same bits");
    return bad ? 1 : 0;
}
#else
int main(void) {
    printf("cpu_conv_bodies: skipped: not an x86 machine\n");
    return 77;
}
#endif
