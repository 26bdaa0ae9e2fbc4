/* The kernels of kernels/cuda run by the emulator as the CUDA backend calls them
 * (runtime/cuda/cuda_forward.c: fp16 NHWC with channels padded to 8, or fp32 NCHW), against
 * the CPU backend: hexgpu_position_to_planes for the input, hexgpu_cpu_mean_pool,
 * hexgpu_cpu_legal_softmax and hexgpu_cpu_linear for the heads. The CPU operations get the
 * very values the kernel reads (after fp16 rounding), so the tolerances measure the
 * kernels' arithmetic only: exact for the input and the raw logits, a few float roundings
 * for the rest. Padded channels hold NaN: the kernels must not read them. */
#include "emu_cases.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/rng.h"
#include "check/position_random.h"
#include "model/tensor_map.h"
#include "runtime/cpu/cpu_ops.h"

/* Same summation order as hexgpu_cpu_mean_pool (pixel by pixel from 0, then one division):
 * equal in practice; the bound allows a compiler's different rounding of the division. */
#define POOL_TOLERANCE 1e-6
/* A block reduction (tree) against a sequential double sum: a few float roundings of the
 * sum, relative to each probability. */
#define SOFTMAX_TOLERANCE 2e-6
/* fc1 summed in order against four partial sums, fc2 by a warp tree: a few float roundings
 * of terms of size ~1, absolute on tanh's output. */
#define VALUE_TOLERANCE 2e-6

typedef struct emu_case emu_case;
typedef int (*case_run_fn)(const emu_case *c, const hexgpu_emu_kernels *k, hexgpu_emu_schedule order, uint64_t seed,
                           double *error, char *why, size_t len);

struct emu_case {
    const char *kernel;
    case_run_fn run;
    int n, batch, channels, pixels, hidden;
    hexgpu_k_layout layout;
    float temperature;
};

static int fail(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *why, size_t len, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
    return 1;
}

static int launch_failed(const hexgpu_emu_report *rep, char *why, size_t len) {
    if (rep->status == HEXGPU_EMU_OK) return 0;
    return fail(why, len, "emulator: %s", rep->message);
}

static uint32_t bits_of(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static int round8(int c) { return (c + 7) / 8 * 8; }

/* A batch with the boards that matter first: half full, empty, full (no legal cell), one
 * empty cell; then random ones. */
static void make_positions(hexgpu_position *pos, int batch, int n, uint64_t seed) {
    int cells = n * n;
    const int first[] = {(cells + 1) / 2, 0, cells, cells - 1};
    for (int b = 0; b < batch; b++) {
        uint64_t s = seed + (uint64_t)b;
        int stones = b < 4 ? first[b] : (int)(hexgpu_splitmix64_next(&s) % (uint64_t)cells);
        pos[b] = hexgpu_position_random(n, stones, seed + 7919u * (uint64_t)b);
    }
}

/* Trunk activations after ReLU, in [0, 2), in `layout` with `stored` >= channels channels
 * (the padded ones keep the buffer's NaN bytes); nhwc gets what the kernel reads, as fp32
 * [batch][pixels][channels] for the CPU operations. */
static void fill_activations(void *in, float *nhwc, int batch, int channels, int stored, int pixels,
                             hexgpu_k_layout layout, uint64_t *rng) {
    for (int b = 0; b < batch; b++)
        for (int c = 0; c < channels; c++)
            for (int p = 0; p < pixels; p++) {
                float v = hexgpu_splitmix64_uniform(rng, 0.0f, 2.0f);
                if (layout == HEXGPU_K_NHWC_F16) {
                    uint16_t h = hexgpu_f32_to_f16(v);
                    ((uint16_t *)in)[((size_t)b * pixels + p) * stored + c] = h;
                    v = hexgpu_f16_to_f32(h);
                } else {
                    ((float *)in)[((size_t)b * stored + c) * pixels + p] = v;
                }
                nhwc[((size_t)b * pixels + p) * channels + c] = v;
            }
}

static size_t element_bytes(hexgpu_k_layout layout) { return layout == HEXGPU_K_NHWC_F16 ? 2 : 4; }

static void fill_uniform(float *x, size_t count, float lo, float hi, uint64_t *rng) {
    for (size_t i = 0; i < count; i++) x[i] = hexgpu_splitmix64_uniform(rng, lo, hi);
}

static int run_board_to_input(const emu_case *c, const hexgpu_emu_kernels *k, hexgpu_emu_schedule order, uint64_t seed,
                              double *error, char *why, size_t len) {
    int n = c->n, batch = c->batch, cells = n * n, f16 = c->layout == HEXGPU_K_NHWC_F16;
    int stored = f16 ? round8(3) : 3; /* the input convolution's input, as runtime/cuda/cuda_weights.c stores it */
    size_t elems = (size_t)batch * cells * stored;
    hexgpu_position *pos = hexgpu_emu_alloc((size_t)batch * sizeof *pos, "positions");
    make_positions(pos, batch, n, seed);
    void *out = hexgpu_emu_alloc(elems * element_bytes(c->layout), "input planes");
    hexgpu_emu_report rep = k->board_to_input(out, pos, batch, n, c->layout, stored, order);
    int failed = launch_failed(&rep, why, len), ones = 0;
    float planes[3 * HEXGPU_MAX_CELLS];
    for (int b = 0; !failed && b < batch; b++) {
        hexgpu_position_to_planes(&pos[b], planes);
        for (int ch = 0; !failed && ch < stored; ch++)
            for (int i = 0; !failed && i < cells; i++) {
                float want = ch < 3 ? planes[ch * cells + i] : 0.0f, got;
                uint32_t got_bits, want_bits;
                if (f16) {
                    uint16_t h = ((const uint16_t *)out)[((size_t)b * cells + i) * stored + ch];
                    got = hexgpu_f16_to_f32(h), got_bits = h, want_bits = hexgpu_f32_to_f16(want);
                } else {
                    got = ((const float *)out)[((size_t)b * stored + ch) * cells + i];
                    got_bits = bits_of(got), want_bits = bits_of(want);
                }
                if (got_bits != want_bits)
                    failed = fail(why, len, "wrong result: board %d channel %d cell %d: %g (bits 0x%x), want %g", b, ch,
                                  i, got, got_bits, want);
                ones += got == 1.0f;
            }
    }
    if (!failed && ones == 0) failed = fail(why, len, "wrong result: all planes zero (the first board has stones)");
    *error = 0.0;
    hexgpu_emu_free(out);
    hexgpu_emu_free(pos);
    return failed;
}

static int run_global_avg_pool(const emu_case *c, const hexgpu_emu_kernels *k, hexgpu_emu_schedule order, uint64_t seed,
                               double *error, char *why, size_t len) {
    int batch = c->batch, channels = c->channels, pixels = c->pixels;
    int stored = c->layout == HEXGPU_K_NHWC_F16 ? round8(channels) : channels;
    uint64_t rng = seed;
    void *in = hexgpu_emu_alloc((size_t)batch * stored * pixels * element_bytes(c->layout), "trunk activations");
    float *nhwc = malloc((size_t)batch * pixels * channels * sizeof *nhwc);
    float *want = malloc((size_t)batch * channels * sizeof *want);
    float *out = hexgpu_emu_alloc((size_t)batch * channels * sizeof *out, "pooled");
    fill_activations(in, nhwc, batch, channels, stored, pixels, c->layout, &rng);
    hexgpu_emu_report rep = k->global_avg_pool(out, in, batch, channels, stored, pixels, c->layout, order);
    int failed = launch_failed(&rep, why, len);
    hexgpu_cpu_mean_pool(nhwc, batch, pixels, channels, want);
    *error = 0.0;
    for (int i = 0; !failed && i < batch * channels; i++) {
        double e = fabs((double)out[i] - want[i]) / fmax(fabs(want[i]), 1e-30);
        if (!(e <= POOL_TOLERANCE))
            failed = fail(why, len, "wrong result: board %d channel %d: %.9g, want %.9g", i / channels, i % channels,
                          out[i], want[i]);
        *error = fmax(*error, e);
    }
    hexgpu_emu_free(out);
    hexgpu_emu_free(in);
    free(nhwc);
    free(want);
    return failed;
}

/* One board's probabilities against the CPU's softmax of the same scaled logits. */
static int check_board_softmax(const hexgpu_position *pos, const float *probs, const float *scaled, int b,
                               double *error, char *why, size_t len) {
    int cells = pos->size * pos->size, legal = 0, last_legal = -1;
    float want[HEXGPU_MAX_CELLS];
    hexgpu_cpu_legal_softmax(pos, scaled, want);
    double total = 0.0;
    for (int i = 0; i < cells; i++) {
        total += probs[i];
        if (hexgpu_position_at(pos, i) != HEXGPU_NONE) {
            if (bits_of(probs[i]) != 0)
                return fail(why, len, "wrong result: board %d occupied cell %d: %g, want exactly 0", b, i, probs[i]);
            continue;
        }
        legal++, last_legal = i;
        double e = fabs((double)probs[i] - want[i]) / want[i];
        if (!(e <= SOFTMAX_TOLERANCE))
            return fail(why, len, "wrong result: board %d cell %d: %.9g, want %.9g", b, i, probs[i], want[i]);
        *error = fmax(*error, e);
    }
    if (legal == 0 && total != 0.0) return fail(why, len, "wrong result: full board %d sums to %g, want 0", b, total);
    if (legal == 1 && probs[last_legal] != 1.0f)
        return fail(why, len, "wrong result: board %d's only legal cell has %.9g, want exactly 1", b,
                    probs[last_legal]);
    if (legal > 0 && fabs(total - 1.0) > 1e-5) return fail(why, len, "wrong result: board %d sums to %.9g", b, total);
    return 0;
}

static int run_policy_softmax(const emu_case *c, const hexgpu_emu_kernels *k, hexgpu_emu_schedule order, uint64_t seed,
                              double *error, char *why, size_t len) {
    int n = c->n, cells = n * n, batch = c->batch;
    size_t count = (size_t)batch * cells;
    uint64_t rng = seed;
    hexgpu_position *pos = hexgpu_emu_alloc((size_t)batch * sizeof *pos, "positions");
    float *logits = hexgpu_emu_alloc(count * sizeof(float), "logits");
    float *bias = hexgpu_emu_alloc((size_t)cells * sizeof(float), "policy bias");
    float *probs = hexgpu_emu_alloc(count * sizeof(float), "probabilities");
    float *raw = malloc(count * sizeof *raw);
    make_positions(pos, batch, n, seed);
    fill_uniform(raw, count, -4.0f, 4.0f, &rng);
    fill_uniform(bias, (size_t)cells, -1.0f, 1.0f, &rng);
    memcpy(logits, raw, count * sizeof *raw);
    hexgpu_emu_report rep = k->policy_softmax(probs, logits, bias, pos, batch, cells, c->temperature, order);
    int failed = launch_failed(&rep, why, len);
    *error = 0.0;
    float scaled[HEXGPU_MAX_CELLS];
    for (int b = 0; !failed && b < batch; b++) {
        for (int i = 0; !failed && i < cells; i++) {
            float with_bias = raw[(size_t)b * cells + i] + bias[i], kept = logits[(size_t)b * cells + i];
            if (bits_of(kept) != bits_of(with_bias))
                failed = fail(why, len, "wrong result: raw logit of board %d cell %d: %.9g, want %.9g", b, i, kept,
                              with_bias);
            scaled[i] = with_bias * (1.0f / c->temperature); /* as the kernel scales them */
        }
        if (!failed) failed = check_board_softmax(&pos[b], probs + (size_t)b * cells, scaled, b, error, why, len);
    }
    hexgpu_emu_free(probs);
    hexgpu_emu_free(bias);
    hexgpu_emu_free(logits);
    hexgpu_emu_free(pos);
    free(raw);
    return failed;
}

/* tanh(fc2(relu(fc1(mean over pixels)))) per board with the CPU backend's operations. */
static void value_reference(const float *nhwc, int batch, int channels, int pixels, const float *fc1_weight,
                            const float *fc1_bias, int hidden, const float *fc2_weight, const float *fc2_bias,
                            float *want) {
    float *mean = malloc((size_t)batch * channels * sizeof *mean);
    float *hid = malloc((size_t)batch * hidden * sizeof *hid);
    hexgpu_cpu_mean_pool(nhwc, batch, pixels, channels, mean);
    hexgpu_cpu_linear(mean, batch, channels, fc1_weight, fc1_bias, hidden, hid);
    for (size_t i = 0; i < (size_t)batch * hidden; i++) hid[i] = fmaxf(hid[i], 0.0f);
    hexgpu_cpu_linear(hid, batch, hidden, fc2_weight, fc2_bias, 1, want);
    for (int b = 0; b < batch; b++) want[b] = tanhf(want[b]);
    free(mean);
    free(hid);
}

static int run_value_head(const emu_case *c, const hexgpu_emu_kernels *k, hexgpu_emu_schedule order, uint64_t seed,
                          double *error, char *why, size_t len) {
    int batch = c->batch, channels = c->channels, pixels = c->pixels, hidden = c->hidden;
    int stored = c->layout == HEXGPU_K_NHWC_F16 ? round8(channels) : channels;
    uint64_t rng = seed;
    void *in = hexgpu_emu_alloc((size_t)batch * stored * pixels * element_bytes(c->layout), "value activations");
    float *nhwc = malloc((size_t)batch * pixels * channels * sizeof *nhwc);
    float *fc1_weight = hexgpu_emu_alloc((size_t)hidden * channels * sizeof(float), "fc1 weight");
    float *fc1_bias = hexgpu_emu_alloc((size_t)hidden * sizeof(float), "fc1 bias");
    float *fc2_weight = hexgpu_emu_alloc((size_t)hidden * sizeof(float), "fc2 weight");
    float *fc2_bias = hexgpu_emu_alloc(sizeof(float), "fc2 bias");
    float *out = hexgpu_emu_alloc((size_t)batch * sizeof(float), "values");
    float *want = malloc((size_t)batch * sizeof *want);
    fill_activations(in, nhwc, batch, channels, stored, pixels, c->layout, &rng);
    float s1 = 1.0f / sqrtf((float)channels), s2 = 2.0f / sqrtf((float)hidden);
    fill_uniform(fc1_weight, (size_t)hidden * channels, -s1, s1, &rng);
    fill_uniform(fc1_bias, (size_t)hidden, -0.1f, 0.1f, &rng);
    fill_uniform(fc2_weight, (size_t)hidden, -s2, s2, &rng);
    fill_uniform(fc2_bias, 1, -0.1f, 0.1f, &rng);
    hexgpu_emu_report rep = k->value_head(out, in, batch, channels, stored, pixels, c->layout, fc1_weight, fc1_bias,
                                          hidden, fc2_weight, fc2_bias, order);
    int failed = launch_failed(&rep, why, len);
    value_reference(nhwc, batch, channels, pixels, fc1_weight, fc1_bias, hidden, fc2_weight, fc2_bias, want);
    double largest = 0.0;
    *error = 0.0;
    for (int b = 0; !failed && b < batch; b++) {
        double e = fabs((double)out[b] - want[b]);
        if (!(e <= VALUE_TOLERANCE))
            failed = fail(why, len, "wrong result: board %d: %.9g, want %.9g", b, out[b], want[b]);
        *error = fmax(*error, e), largest = fmax(largest, fabs(want[b]));
    }
    if (!failed && largest < 0.05) failed = fail(why, len, "the inputs give values near 0 only: a weak check");
    hexgpu_emu_free(out);
    hexgpu_emu_free(fc2_bias);
    hexgpu_emu_free(fc2_weight);
    hexgpu_emu_free(fc1_bias);
    hexgpu_emu_free(fc1_weight);
    hexgpu_emu_free(in);
    free(nhwc);
    free(want);
    return failed;
}

#define F16 HEXGPU_K_NHWC_F16
#define F32 HEXGPU_K_NCHW_F32
/* Shapes: batch 1 and odd batches, 1x1, 11x11, 13x13 and 19x19 boards; the full-size
 * network's heads (C4 = 512 on a 2x2 trunk, V = 32, H = 256) and odd widths that leave
 * fp16 padding; each in both layouts. */
static const emu_case cases[] = {
    {"board_to_input", run_board_to_input, .n = 1, .batch = 1, .layout = F16},
    {"board_to_input", run_board_to_input, .n = 1, .batch = 1, .layout = F32},
    {"board_to_input", run_board_to_input, .n = 11, .batch = 5, .layout = F16},
    {"board_to_input", run_board_to_input, .n = 11, .batch = 5, .layout = F32},
    {"board_to_input", run_board_to_input, .n = 13, .batch = 37, .layout = F16},
    {"board_to_input", run_board_to_input, .n = 13, .batch = 37, .layout = F32},
    {"board_to_input", run_board_to_input, .n = 19, .batch = 3, .layout = F16},
    {"board_to_input", run_board_to_input, .n = 19, .batch = 3, .layout = F32},
    {"global_avg_pool", run_global_avg_pool, .channels = 512, .pixels = 4, .batch = 3, .layout = F16},
    {"global_avg_pool", run_global_avg_pool, .channels = 512, .pixels = 4, .batch = 3, .layout = F32},
    {"global_avg_pool", run_global_avg_pool, .channels = 37, .pixels = 9, .batch = 5, .layout = F16},
    {"global_avg_pool", run_global_avg_pool, .channels = 37, .pixels = 9, .batch = 5, .layout = F32},
    {"global_avg_pool", run_global_avg_pool, .channels = 5, .pixels = 1, .batch = 1, .layout = F16},
    {"global_avg_pool", run_global_avg_pool, .channels = 5, .pixels = 1, .batch = 1, .layout = F32},
    {"policy_softmax", run_policy_softmax, .n = 13, .batch = 1, .temperature = 1.0f},
    {"policy_softmax", run_policy_softmax, .n = 13, .batch = 6, .temperature = 1.0f},
    {"policy_softmax", run_policy_softmax, .n = 11, .batch = 5, .temperature = 0.5f},
    {"policy_softmax", run_policy_softmax, .n = 19, .batch = 4, .temperature = 1.0f},
    {"policy_softmax", run_policy_softmax, .n = 1, .batch = 3, .temperature = 1.0f},
    {"value_head", run_value_head, .channels = 32, .hidden = 256, .pixels = 4, .batch = 1, .layout = F16},
    {"value_head", run_value_head, .channels = 32, .hidden = 256, .pixels = 4, .batch = 1, .layout = F32},
    {"value_head", run_value_head, .channels = 32, .hidden = 256, .pixels = 4, .batch = 9, .layout = F16},
    {"value_head", run_value_head, .channels = 32, .hidden = 256, .pixels = 4, .batch = 9, .layout = F32},
    {"value_head", run_value_head, .channels = 5, .hidden = 13, .pixels = 9, .batch = 17, .layout = F16},
    {"value_head", run_value_head, .channels = 5, .hidden = 13, .pixels = 9, .batch = 17, .layout = F32},
    /* the largest head the launcher accepts: 8 boards x (32 + 1504) floats = 48 KiB of shared memory */
    {"value_head", run_value_head, .channels = 32, .hidden = 1504, .pixels = 4, .batch = 3, .layout = F32},
};
#define CASES ((int)(sizeof cases / sizeof cases[0]))

int hexgpu_emu_case_count(void) { return CASES; }

const char *hexgpu_emu_case_kernel(int index) { return cases[index].kernel; }

const char *hexgpu_emu_case_name(int index, char *buf, size_t len) {
    const emu_case *c = &cases[index];
    const char *layout = c->layout == F16 ? "nhwc_f16" : "nchw_f32";
    if (c->run == run_board_to_input) snprintf(buf, len, "%s n=%d batch=%d %s", c->kernel, c->n, c->batch, layout);
    else if (c->run == run_policy_softmax)
        snprintf(buf, len, "%s n=%d batch=%d T=%g", c->kernel, c->n, c->batch, c->temperature);
    else if (c->run == run_global_avg_pool)
        snprintf(buf, len, "%s C=%d pixels=%d batch=%d %s", c->kernel, c->channels, c->pixels, c->batch, layout);
    else
        snprintf(buf, len, "%s V=%d H=%d pixels=%d batch=%d %s", c->kernel, c->channels, c->hidden, c->pixels, c->batch,
                 layout);
    return buf;
}

int hexgpu_emu_case_run(int index, const hexgpu_emu_kernels *k, hexgpu_emu_schedule order, double *error, char *why,
                        size_t len) {
    return cases[index].run(&cases[index], k, order, 1000u + (uint64_t)index, error, why, len);
}

int hexgpu_emu_cases_check(const hexgpu_emu_kernels *k, const char *kernel, unsigned schedules, int stop_at_first) {
    int failures = 0;
    for (int i = 0; i < CASES; i++) {
        if (kernel && strcmp(kernel, cases[i].kernel) != 0) continue;
        for (int order = 0; order < HEXGPU_EMU_SCHEDULES; order++) {
            if (!(schedules >> order & 1)) continue;
            char name[128], why[1024];
            double error = 0.0;
            hexgpu_emu_case_name(i, name, sizeof name);
            struct timespec start, end;
            clock_gettime(CLOCK_MONOTONIC, &start);
            int failed = hexgpu_emu_case_run(i, k, (hexgpu_emu_schedule)order, &error, why, sizeof why);
            clock_gettime(CLOCK_MONOTONIC, &end);
            double ms = 1e3 * (double)(end.tv_sec - start.tv_sec) + 1e-6 * (double)(end.tv_nsec - start.tv_nsec);
            if (failed) {
                printf("FAIL %s, %s, %s: %s\n", k->name, name, hexgpu_emu_schedule_name(order), why);
                fflush(stdout);
                if (stop_at_first) return 1;
                failures++;
            } else {
                printf("ok   %s, %s, %s (largest error %.2g, %.0f ms)\n", k->name, name,
                       hexgpu_emu_schedule_name(order), error, ms);
            }
        }
    }
    return failures;
}

int hexgpu_emu_refusals_check(const hexgpu_emu_kernels *k, char *why, size_t len) {
    const hexgpu_emu_schedule o = HEXGPU_EMU_LOWEST_FIRST;
    struct {
        const char *what;
        hexgpu_emu_report rep;
    } calls[] = {
        {"board_to_input batch 0", k->board_to_input(NULL, NULL, 0, 13, F16, 8, o)},
        {"board_to_input n 0", k->board_to_input(NULL, NULL, 1, 0, F16, 8, o)},
        {"board_to_input n 20", k->board_to_input(NULL, NULL, 1, 20, F16, 8, o)},
        {"board_to_input 2 channels", k->board_to_input(NULL, NULL, 1, 13, F32, 2, o)},
        {"global_avg_pool batch 0", k->global_avg_pool(NULL, NULL, 0, 8, 8, 4, F16, o)},
        {"global_avg_pool channels 0", k->global_avg_pool(NULL, NULL, 1, 0, 8, 4, F16, o)},
        {"global_avg_pool stored < channels", k->global_avg_pool(NULL, NULL, 1, 9, 8, 4, F16, o)},
        {"global_avg_pool pixels 0", k->global_avg_pool(NULL, NULL, 1, 8, 8, 0, F16, o)},
        {"policy_softmax batch 0", k->policy_softmax(NULL, NULL, NULL, NULL, 0, 169, 1.0f, o)},
        {"policy_softmax cells 0", k->policy_softmax(NULL, NULL, NULL, NULL, 1, 0, 1.0f, o)},
        {"policy_softmax cells 362", k->policy_softmax(NULL, NULL, NULL, NULL, 1, HEXGPU_MAX_CELLS + 1, 1.0f, o)},
        {"policy_softmax T 0", k->policy_softmax(NULL, NULL, NULL, NULL, 1, 169, 0.0f, o)},
        {"policy_softmax T NaN", k->policy_softmax(NULL, NULL, NULL, NULL, 1, 169, NAN, o)},
        {"value_head batch 0", k->value_head(NULL, NULL, 0, 32, 32, 4, F32, NULL, NULL, 256, NULL, NULL, o)},
        {"value_head stored < channels", k->value_head(NULL, NULL, 1, 32, 31, 4, F32, NULL, NULL, 256, NULL, NULL, o)},
        {"value_head pixels 0", k->value_head(NULL, NULL, 1, 32, 32, 0, F32, NULL, NULL, 256, NULL, NULL, o)},
        {"value_head hidden 0", k->value_head(NULL, NULL, 1, 32, 32, 4, F32, NULL, NULL, 0, NULL, NULL, o)},
        {"value_head 48 KiB + 32 bytes of shared memory",
         k->value_head(NULL, NULL, 1, 32, 32, 4, F32, NULL, NULL, 1505, NULL, NULL, o)},
    };
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++)
        if (calls[i].rep.status != HEXGPU_EMU_REFUSED)
            return fail(why, len, "%s: not refused (%s)", calls[i].what, calls[i].rep.message);
    return 0;
}
