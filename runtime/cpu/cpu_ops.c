/* The CPU backend's primitive operations: convolutions through the direct kernel
 * (a lone board's split by panels over the helper), pooling, small linear layers, the
 * legal-cell softmax. */
#include "runtime/cpu/cpu_ops.h"

#include <math.h>
#include <string.h>

int hexgpu_cpu_conv_splits(double macs, int panels) { return panels >= 2 && macs >= HEXGPU_CPU_SPLIT_MACS; }

static void conv_call_run(void *arg) { hexgpu_cpu_conv_compute(arg); }

void hexgpu_cpu_conv_forward(const hexgpu_cpu_conv *conv, const float *in, int boards, int side, float *out,
                             const float *residual, const float *bias, int relu, hexgpu_cpu_helper *helper) {
    int panels = hexgpu_cpu_conv_panels(conv), so = hexgpu_cpu_conv_out_side(conv, side);
    hexgpu_cpu_conv_call mine = {.conv = conv, .in = in, .boards = boards, .side = side, .out = out,
                                 .residual = residual, .bias = bias, .relu = relu, .panel0 = 0, .panel1 = panels};
    double macs = (double)boards * so * so * conv->kernel * conv->kernel * conv->in * conv->out;
    if (!helper || !hexgpu_cpu_conv_splits(macs, panels)) {
        hexgpu_cpu_conv_compute(&mine);
        return;
    }
    hexgpu_cpu_conv_call theirs = mine;
    mine.panel1 = theirs.panel0 = (panels + 1) / 2;
    hexgpu_cpu_helper_post(helper, conv_call_run, &theirs);
    hexgpu_cpu_conv_compute(&mine);
    hexgpu_cpu_helper_wait(helper);
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
