/* The CPU backend's primitive operations: convolutions through the direct kernel
 * (a small batch's split by panels and rows over the helpers), pooling, small linear layers, the
 * legal-cell softmax. */
#include "runtime/cpu/cpu_ops.h"

#include <math.h>
#include <string.h>

hexgpu_cpu_conv_split hexgpu_cpu_conv_split_choose(double macs, int panels, int rows, int helpers) {
    double by_size = macs / HEXGPU_CPU_PART_MACS;
    int want = by_size < helpers + 1 ? (int)by_size : helpers + 1;
    int row_ranges = rows / HEXGPU_CPU_PART_MIN_ROWS;
    hexgpu_cpu_conv_split best = {1, 1};
    /* The most parts up to `want`; of as many, the one with the most panel groups. */
    for (int p = 1; p <= panels && p <= want; p++) {
        int r = want / p < row_ranges ? want / p : row_ranges;
        if (r < 1) r = 1;
        if (p * r > best.panel_parts * best.row_parts) best = (hexgpu_cpu_conv_split){p, r};
        else if (p * r == best.panel_parts * best.row_parts && p > best.panel_parts)
            best = (hexgpu_cpu_conv_split){p, r};
    }
    return best;
}

static void conv_call_run(void *arg) { hexgpu_cpu_conv_compute(arg); }

void hexgpu_cpu_conv_forward(const hexgpu_cpu_conv *conv, const float *in, int boards, int side, float *out,
                             const float *residual, const float *bias, int relu, const hexgpu_cpu_helpers *helpers) {
    int panels = hexgpu_cpu_conv_panels(conv);
    int rows = hexgpu_cpu_conv_rows(conv, boards, side);
    hexgpu_cpu_conv_call call[HEXGPU_CPU_MAX_HELPERS + 1];
    hexgpu_cpu_conv_call whole = {.conv = conv, .in = in, .boards = boards, .side = side, .out = out,
                                  .residual = residual, .bias = bias, .relu = relu, .panel0 = 0, .panel1 = panels,
                                  .row0 = 0, .row1 = rows};
    double macs = (double)rows * conv->kernel * conv->kernel * conv->in * conv->out;
    hexgpu_cpu_conv_split split = {1, 1};
    if (helpers) split = hexgpu_cpu_conv_split_choose(macs, panels, rows, helpers->count);
    /* Part p: panel group p / row_parts, row range p % row_parts; part 0 is the caller's.
     * Row ranges end on a multiple of the kernel's tile height where they can. */
    int tile = hexgpu_cpu_conv_tile_rows(), parts = split.panel_parts * split.row_parts;
    for (int p = 0; p < parts; p++) {
        int g = p / split.row_parts, r = p % split.row_parts;
        call[p] = whole;
        call[p].panel0 = panels * g / split.panel_parts;
        call[p].panel1 = panels * (g + 1) / split.panel_parts;
        call[p].row0 = r ? rows * r / split.row_parts / tile * tile : 0;
        call[p].row1 = r + 1 < split.row_parts ? rows * (r + 1) / split.row_parts / tile * tile : rows;
    }
    hexgpu_cpu_helpers_run(helpers, parts, conv_call_run, call, sizeof call[0]);
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
