/* Turns a tensor map holding the reference state dict into the network every backend
 * runs: every key and shape checked against the reference layout, batch norm folded. */
#include "model/network.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/reference_layout.h"
#include "base/status.h"

#define BN_EPS 1e-5

/* Every expected tensor must be present with exactly the expected shape; extra keys
 * (e.g. other heads a trainer saved) are ignored, as load_state_dict(strict=False) would. */
static hexgpu_status check_all(const hexgpu_tensor_map *tensors, const hexgpu_layout_tensor *expected, int count,
                               hexgpu_error *err) {
    for (int i = 0; i < count; i++) {
        const hexgpu_layout_tensor *e = &expected[i];
        const hexgpu_tensor *t = hexgpu_tensor_map_find(tensors, e->name);
        if (!t)
            return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT, "missing tensor '%s' (expected shape %s)",
                                    e->name, hexgpu_shape_str(e->ndim, e->shape, (char[96]){0}, 96));
        int same = t->ndim == e->ndim;
        for (int d = 0; same && d < e->ndim; d++) same = t->shape[d] == e->shape[d];
        if (!same)
            return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT, "tensor '%s': expected shape %s, found %s",
                                    e->name, hexgpu_shape_str(e->ndim, e->shape, (char[96]){0}, 96),
                                    hexgpu_shape_str(t->ndim, t->shape, (char[96]){0}, 96));
        /* A diverged run saves NaN/Inf; its outputs would be NaN (not JSON, no policy). */
        for (int64_t c = 0; e->role != HEXGPU_LAYOUT_BN_COUNT && c < t->numel; c++)
            if (!isfinite(t->data[c]))
                return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT, "tensor '%s': element %lld is %g (not finite)",
                                        e->name, (long long)c, (double)t->data[c]);
        if (e->role == HEXGPU_LAYOUT_BN_VAR)
            for (int64_t c = 0; c < t->numel; c++)
                if (!(t->data[c] >= 0.0f))
                    return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT,
                                            "tensor '%s': element %lld is %g (a variance must be >= 0)", e->name,
                                            (long long)c, (double)t->data[c]);
    }
    return HEXGPU_OK;
}

static const float *tensor_data(const hexgpu_tensor_map *tensors, const char *prefix, const char *suffix) {
    char name[2 * HEXGPU_LAYOUT_NAME_MAX];
    snprintf(name, sizeof name, "%s.%s", prefix, suffix);
    return hexgpu_tensor_map_find(tensors, name)->data; /* presence checked by check_all */
}

/* conv (no bias) followed by BN -> conv with bias: w' = w * s, b' = beta - mean * s,
 * s = gamma / sqrt(var + eps), per output channel. Accumulates in double so the folded
 * weights are the correctly rounded fp32 values. */
static hexgpu_status fold_conv(const hexgpu_tensor_map *tensors, const char *conv_name, const char *bn_name, int in,
                               int out, int kernel, int stride, hexgpu_conv *conv, hexgpu_error *err) {
    size_t per_out = (size_t)in * kernel * kernel;
    conv->in_channels = in;
    conv->out_channels = out;
    conv->kernel = kernel;
    conv->stride = stride;
    conv->pad = kernel / 2;
    conv->weight = malloc((size_t)out * per_out * sizeof(float));
    conv->bias = malloc((size_t)out * sizeof(float));
    if (!conv->weight || !conv->bias)
        return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "folding '%s': out of memory", conv_name);
    const float *w = tensor_data(tensors, conv_name, "weight");
    const float *gamma = tensor_data(tensors, bn_name, "weight");
    const float *beta = tensor_data(tensors, bn_name, "bias");
    const float *mean = tensor_data(tensors, bn_name, "running_mean");
    const float *var = tensor_data(tensors, bn_name, "running_var");
    for (int o = 0; o < out; o++) {
        double scale = (double)gamma[o] / sqrt((double)var[o] + BN_EPS);
        for (size_t i = 0; i < per_out; i++)
            conv->weight[(size_t)o * per_out + i] = (float)((double)w[(size_t)o * per_out + i] * scale);
        conv->bias[o] = (float)((double)beta[o] - (double)mean[o] * scale);
        /* Finite inputs can still overflow fp32 here (a huge gamma over a zero variance). */
        int finite = isfinite(conv->bias[o]);
        for (size_t i = 0; finite && i < per_out; i++) finite = isfinite(conv->weight[(size_t)o * per_out + i]);
        if (!finite)
            return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT,
                                    "folding '%s' into '%s': output channel %d is not finite in fp32 "
                                    "(gamma/sqrt(var+eps) = %g)",
                                    bn_name, conv_name, o, scale);
    }
    return HEXGPU_OK;
}

static hexgpu_status copy_linear(const hexgpu_tensor_map *tensors, const char *name, int in, int out,
                                 hexgpu_linear *lin, hexgpu_error *err) {
    lin->in_features = in;
    lin->out_features = out;
    lin->weight = malloc((size_t)in * out * sizeof(float));
    lin->bias = malloc((size_t)out * sizeof(float));
    if (!lin->weight || !lin->bias)
        return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "copying '%s': out of memory", name);
    memcpy(lin->weight, tensor_data(tensors, name, "weight"), (size_t)in * out * sizeof(float));
    memcpy(lin->bias, tensor_data(tensors, name, "bias"), (size_t)out * sizeof(float));
    return HEXGPU_OK;
}

static hexgpu_status build_layers(const hexgpu_tensor_map *tensors, hexgpu_network *net, hexgpu_error *err) {
    const int *w = net->widths;
    hexgpu_status st = fold_conv(tensors, "input_conv", "input_bn", 3, w[0], 5, 1, &net->input_conv, err);
    for (int stage = 0; stage < HEXGPU_NET_STAGES && !st; stage++) {
        for (int b = 0; b < HEXGPU_NET_BLOCKS_PER_STAGE && !st; b++) {
            hexgpu_block *block = &net->blocks[stage * HEXGPU_NET_BLOCKS_PER_STAGE + b];
            int in = b == 0 ? w[stage] : w[stage + 1], out = w[stage + 1];
            int stride = b == 0 && stage > 0 ? 2 : 1;
            char conv[HEXGPU_LAYOUT_NAME_MAX], bn[HEXGPU_LAYOUT_NAME_MAX];
            snprintf(conv, sizeof conv, "layer%d.%d.conv1", stage + 1, b);
            snprintf(bn, sizeof bn, "layer%d.%d.bn1", stage + 1, b);
            st = fold_conv(tensors, conv, bn, in, out, 3, stride, &block->conv1, err);
            snprintf(conv, sizeof conv, "layer%d.%d.conv2", stage + 1, b);
            snprintf(bn, sizeof bn, "layer%d.%d.bn2", stage + 1, b);
            if (!st) st = fold_conv(tensors, conv, bn, out, out, 3, 1, &block->conv2, err);
            const hexgpu_layout_dims dims = {.widths = {w[0], w[1], w[2], w[3], w[4]}};
            block->has_shortcut = hexgpu_layout_has_shortcut(&dims, stage, b);
            if (!st && block->has_shortcut) {
                snprintf(conv, sizeof conv, "layer%d.%d.shortcut.0", stage + 1, b);
                snprintf(bn, sizeof bn, "layer%d.%d.shortcut.1", stage + 1, b);
                st = fold_conv(tensors, conv, bn, in, out, 1, stride, &block->shortcut, err);
            }
        }
    }
    int cells = net->board_size * net->board_size;
    if (!st) st = copy_linear(tensors, "policy_head", w[4], cells, &net->policy, err);
    if (!st)
        st = fold_conv(tensors, "value_pre.0", "value_pre.1", w[4], net->value_channels, 1, 1, &net->value_conv, err);
    if (!st) st = copy_linear(tensors, "value_head.0", net->value_channels, net->value_hidden, &net->value_fc1, err);
    if (!st) st = copy_linear(tensors, "value_head.3", net->value_hidden, 1, &net->value_fc2, err);
    return st;
}

hexgpu_status hexgpu_network_build(const hexgpu_tensor_map *tensors, hexgpu_network *net, hexgpu_error *err) {
    memset(net, 0, sizeof *net);
    hexgpu_layout_dims dims;
    hexgpu_layout_tensor expected[HEXGPU_LAYOUT_MAX_TENSORS];
    /* infer guarantees a board size of 1..19 and every width >= 1. */
    hexgpu_status st = hexgpu_layout_infer(tensors, &dims, err);
    if (st) return st;
    int count = hexgpu_layout_enumerate(&dims, expected);
    if ((st = check_all(tensors, expected, count, err))) return st;

    net->board_size = dims.board_size;
    memcpy(net->widths, dims.widths, sizeof net->widths);
    net->value_channels = dims.value_channels;
    net->value_hidden = dims.value_hidden;
    net->spatial[0] = net->spatial[1] = dims.board_size;
    for (int s = 2; s <= HEXGPU_NET_STAGES; s++) net->spatial[s] = hexgpu_layout_downsample(net->spatial[s - 1]);
    /* PyTorch's parameters(): everything but the BN running statistics and counters. */
    for (int i = 0; i < count; i++)
        if (expected[i].role != HEXGPU_LAYOUT_BN_MEAN && expected[i].role != HEXGPU_LAYOUT_BN_VAR &&
            expected[i].role != HEXGPU_LAYOUT_BN_COUNT)
            net->parameter_count += expected[i].numel;

    if ((st = build_layers(tensors, net, err))) {
        hexgpu_network_free(net);
        return st;
    }
    return HEXGPU_OK;
}

static void free_conv(hexgpu_conv *c) {
    free(c->weight);
    free(c->bias);
}

static void free_linear(hexgpu_linear *l) {
    free(l->weight);
    free(l->bias);
}

void hexgpu_network_free(hexgpu_network *net) {
    if (!net) return;
    free_conv(&net->input_conv);
    for (int b = 0; b < HEXGPU_NET_BLOCKS; b++) {
        free_conv(&net->blocks[b].conv1);
        free_conv(&net->blocks[b].conv2);
        free_conv(&net->blocks[b].shortcut);
    }
    free_linear(&net->policy);
    free_conv(&net->value_conv);
    free_linear(&net->value_fc1);
    free_linear(&net->value_fc2);
    memset(net, 0, sizeof *net);
}

static int64_t conv_macs(const hexgpu_conv *c, int out_side) {
    return (int64_t)out_side * out_side * c->out_channels * c->in_channels * c->kernel * c->kernel;
}

int64_t hexgpu_network_macs(const hexgpu_network *net) {
    int64_t macs = conv_macs(&net->input_conv, net->spatial[0]);
    for (int b = 0; b < HEXGPU_NET_BLOCKS; b++) {
        const hexgpu_block *block = &net->blocks[b];
        int side = net->spatial[1 + b / HEXGPU_NET_BLOCKS_PER_STAGE];
        macs += conv_macs(&block->conv1, side) + conv_macs(&block->conv2, side);
        if (block->has_shortcut) macs += conv_macs(&block->shortcut, side);
    }
    int side = net->spatial[HEXGPU_NET_STAGES];
    macs += (int64_t)net->policy.in_features * net->policy.out_features;
    macs += conv_macs(&net->value_conv, side);
    macs += (int64_t)net->value_fc1.in_features * net->value_fc1.out_features;
    macs += (int64_t)net->value_fc2.in_features * net->value_fc2.out_features;
    return macs;
}
