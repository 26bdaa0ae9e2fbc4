/* The direct double-precision forward pass (see reference_forward.h). Every activation
 * is a double array in NCHW; a convolution adds weight * input over (ci, ky, kx) for each
 * output pixel, skipping the padding, with the loops ordered so that the innermost one
 * walks an output row. */
#include "check/reference_forward.h"

#include <math.h>
#include <string.h>

/* The largest activation, in doubles: the input planes or any layer's output. */
static size_t activation_doubles(const hexgpu_network *net) {
    size_t n = (size_t)net->board_size, most = 3 * n * n;
    for (int s = 0; s <= HEXGPU_NET_STAGES; s++) {
        size_t side = (size_t)net->spatial[s], size = (size_t)net->widths[s] * side * side;
        most = size > most ? size : most;
    }
    size_t side = (size_t)net->spatial[HEXGPU_NET_STAGES], value = (size_t)net->value_channels * side * side;
    return value > most ? value : most;
}

size_t hexgpu_reference_workspace_size(const hexgpu_network *net) {
    size_t n = (size_t)net->board_size, c4 = (size_t)net->widths[HEXGPU_NET_STAGES];
    size_t heads = c4 + (size_t)net->value_channels + (size_t)net->value_hidden + n * n + 1;
    return (4 * activation_doubles(net) + heads) * sizeof(double);
}

/* out [cout][so][so] = conv(in [cin][side][side]) + bias, then ReLU when relu. */
static int conv(const hexgpu_conv *c, const double *in, int side, int relu, double *out) {
    int k = c->kernel, stride = c->stride, pad = c->pad, so = (side + 2 * pad - k) / stride + 1;
    for (int co = 0; co < c->out_channels; co++) {
        double *o = out + (size_t)co * so * so;
        for (int p = 0; p < so * so; p++) o[p] = c->bias[co];
        for (int ci = 0; ci < c->in_channels; ci++)
            for (int ky = 0; ky < k; ky++)
                for (int kx = 0; kx < k; kx++) {
                    double w = c->weight[(((size_t)co * c->in_channels + ci) * k + ky) * k + kx];
                    for (int oy = 0; oy < so; oy++) {
                        int iy = oy * stride - pad + ky;
                        if (iy < 0 || iy >= side) continue;
                        const double *row = in + ((size_t)ci * side + iy) * side;
                        for (int ox = 0; ox < so; ox++) {
                            int ix = ox * stride - pad + kx;
                            if (ix >= 0 && ix < side) o[oy * so + ox] += w * row[ix];
                        }
                    }
                }
        if (relu)
            for (int p = 0; p < so * so; p++) o[p] = o[p] > 0 ? o[p] : 0;
    }
    return so;
}

/* out [out_features] = weight in + bias, then ReLU when relu. */
static void linear(const hexgpu_linear *l, const double *in, int relu, double *out) {
    for (int o = 0; o < l->out_features; o++) {
        double s = l->bias[o];
        for (int i = 0; i < l->in_features; i++) s += (double)l->weight[(size_t)o * l->in_features + i] * in[i];
        out[o] = relu && s < 0 ? 0 : s;
    }
}

/* out [channels] = the mean over each channel's pixels of in [channels][pixels]. */
static void mean_pool(const double *in, int channels, int pixels, double *out) {
    for (int c = 0; c < channels; c++) {
        double s = 0;
        for (int p = 0; p < pixels; p++) s += in[(size_t)c * pixels + p];
        out[c] = s / pixels;
    }
}

void hexgpu_reference_softmax(const hexgpu_position *pos, const double *logits, float *policy) {
    int cells = pos->size * pos->size;
    double max = -INFINITY, sum = 0;
    for (int i = 0; i < cells; i++)
        if (hexgpu_position_at(pos, i) == HEXGPU_NONE && logits[i] > max) max = logits[i];
    for (int i = 0; i < cells; i++)
        if (hexgpu_position_at(pos, i) == HEXGPU_NONE) sum += exp(logits[i] - max);
    for (int i = 0; i < cells; i++)
        policy[i] = hexgpu_position_at(pos, i) == HEXGPU_NONE ? (float)(exp(logits[i] - max) / sum) : 0.0f;
}

void hexgpu_reference_forward(const hexgpu_network *net, const hexgpu_position *pos, double *workspace,
                              float *logits, float *policy, float *value) {
    size_t act = activation_doubles(net);
    double *x = workspace, *t = x + act, *y = t + act, *sc = y + act;
    double *pooled = sc + act, *value_pooled = pooled + net->widths[HEXGPU_NET_STAGES];
    double *hidden = value_pooled + net->value_channels, *out = hidden + net->value_hidden;
    int n = net->board_size, cells = n * n;
    float planes[3 * HEXGPU_MAX_CELLS];
    hexgpu_position_to_planes(pos, planes);
    for (int i = 0; i < 3 * cells; i++) t[i] = planes[i];
    int side = conv(&net->input_conv, t, n, 1, x);
    for (int b = 0; b < HEXGPU_NET_BLOCKS; b++) {
        const hexgpu_block *block = &net->blocks[b];
        int so = conv(&block->conv1, x, side, 1, t);
        conv(&block->conv2, t, so, 0, y);
        int c = block->conv2.out_channels;
        if (block->has_shortcut) conv(&block->shortcut, x, side, 0, sc);
        else memcpy(sc, x, sizeof(double) * (size_t)c * so * so);
        for (int i = 0; i < c * so * so; i++) x[i] = y[i] + sc[i] > 0 ? y[i] + sc[i] : 0;
        side = so;
    }
    mean_pool(x, net->widths[HEXGPU_NET_STAGES], side * side, pooled);
    linear(&net->policy, pooled, 0, out);
    if (logits)
        for (int i = 0; i < cells; i++) logits[i] = (float)out[i];
    if (policy) hexgpu_reference_softmax(pos, out, policy);
    conv(&net->value_conv, x, side, 1, t);
    mean_pool(t, net->value_channels, side * side, value_pooled);
    linear(&net->value_fc1, value_pooled, 1, hidden);
    linear(&net->value_fc2, hidden, 0, out);
    if (value) *value = (float)tanh(out[0]);
}
