/* Weight upload for the CUDA backend, done once per context: conv shapes, fp16 NHWC
 * (KRSC, channels padded to 8) or fp32 NCHW (KCRS) weights, and the heads in fp32. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/cuda/cuda_check.h"
#include "runtime/cuda/cuda_internal.h"
#include "base/status.h"
#include "model/tensor_map.h"

static int round8(int c) { return (c + 7) / 8 * 8; }

/* Copies bytes from the host to a new device buffer through the setup stream and waits. */
static hexgpu_status upload(void **dst, const void *src, size_t bytes, const char *what, cudaStream_t stream,
                            hexgpu_error *err) {
    hexgpu_status st = hexgpu_cuda_device_alloc(dst, bytes, what, err);
    if (st != HEXGPU_OK) return st;
    st = HEXGPU_CUDA_CALL(err, what, cudaMemcpyAsync(*dst, src, bytes, cudaMemcpyHostToDevice, stream));
    if (st == HEXGPU_OK) st = HEXGPU_CUDA_CALL(err, what, cudaStreamSynchronize(stream));
    return st;
}

/* Device copy of one conv in the context's precision; extra_bias (may be NULL) is added to
 * the bias (the shortcut's folded BN bias, added to conv2's). */
static hexgpu_status upload_conv(hexgpu_cuda_context *ctx, hexgpu_cuda_conv *c, const hexgpu_conv *src,
                                 const float *extra_bias, cudaStream_t stream, hexgpu_error *err) {
    int k = c->kernel, ci = c->in_channels, co = c->out_channels, cis = c->in_stored, cos = c->out_stored;
    size_t wcount = (size_t)cos * k * k * cis;
    void *host = calloc(wcount + (size_t)cos, 4);
    if (!host) return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "%s: host staging of %zu weights", c->name, wcount);
    float *bias32 = malloc((size_t)cos * sizeof(float));
    if (!bias32) {
        free(host);
        return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "%s: host staging of %d biases", c->name, cos);
    }
    for (int o = 0; o < cos; o++)
        bias32[o] = o < co && src->bias ? src->bias[o] + (extra_bias ? extra_bias[o] : 0.0f) : 0.0f;

    size_t wbytes, bbytes;
    void *bias_host;
    if (ctx->precision == HEXGPU_PRECISION_FP16) {
        uint16_t *w16 = host, *b16 = w16 + wcount; /* padded entries stay 0 (+0.0 in fp16) */
        for (int o = 0; o < co; o++)
            for (int r = 0; r < k; r++)
                for (int s = 0; s < k; s++)
                    for (int i = 0; i < ci; i++)
                        w16[(((size_t)o * k + r) * k + s) * cis + i] =
                            hexgpu_f32_to_f16(src->weight[(((size_t)o * ci + i) * k + r) * k + s]);
        for (int o = 0; o < cos; o++) b16[o] = hexgpu_f32_to_f16(bias32[o]);
        wbytes = wcount * 2, bbytes = (size_t)cos * 2, bias_host = b16;
    } else {
        memcpy(host, src->weight, wcount * sizeof(float)); /* unpadded: stored == model channels */
        wbytes = wcount * 4, bbytes = (size_t)cos * 4, bias_host = bias32;
    }
    hexgpu_status st = upload(&c->weight, host, wbytes, c->name, stream, err);
    if (st == HEXGPU_OK && c->kind != HEXGPU_CUDA_CONV_PLAIN) st = upload(&c->bias, bias_host, bbytes, c->name, stream, err);
    free(host);
    free(bias32);
    return st;
}

/* Fills the shape fields of c from src, checking it continues from in_channels x in_side. */
static hexgpu_status conv_shape(hexgpu_cuda_context *ctx, hexgpu_cuda_conv *c, const hexgpu_conv *src,
                                const char *name, hexgpu_cuda_conv_kind kind, int in_channels, int in_side,
                                hexgpu_error *err) {
    snprintf(c->name, sizeof c->name, "%s", name);
    if (src->in_channels != in_channels || src->out_channels < 1 || src->kernel < 1 || src->stride < 1 ||
        src->pad < 0 || !src->weight || (kind != HEXGPU_CUDA_CONV_PLAIN && !src->bias))
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT,
                                "%s: conv %d->%d k%d s%d does not follow %d input channels (or has no weights)", name,
                                src->in_channels, src->out_channels, src->kernel, src->stride, in_channels);
    c->kind = kind;
    c->in_channels = src->in_channels;
    c->out_channels = src->out_channels;
    int fp16 = ctx->precision == HEXGPU_PRECISION_FP16;
    c->in_stored = fp16 ? round8(c->in_channels) : c->in_channels;
    c->out_stored = fp16 ? round8(c->out_channels) : c->out_channels;
    c->kernel = src->kernel;
    c->stride = src->stride;
    c->pad = src->pad;
    c->in_side = in_side;
    c->out_side = (in_side + 2 * c->pad - c->kernel) / c->stride + 1;
    if (c->out_side < 1)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "%s: output side %d from input side %d", name,
                                c->out_side, in_side);
    size_t per_board = (size_t)c->out_stored * c->out_side * c->out_side;
    if (per_board > ctx->act_elems) ctx->act_elems = per_board;
    return HEXGPU_OK;
}

static hexgpu_status shapes(hexgpu_cuda_context *ctx, const hexgpu_network *net, hexgpu_error *err) {
    hexgpu_status st;
    int n = net->board_size;
    hexgpu_cuda_conv *in = &ctx->convs[HEXGPU_CUDA_CONV_INPUT];
    if ((st = conv_shape(ctx, in, &net->input_conv, "input_conv", HEXGPU_CUDA_CONV_RELU, 3, n, err))) return st;
    size_t input_elems = (size_t)in->in_stored * n * n;
    if (input_elems > ctx->act_elems) ctx->act_elems = input_elems;
    int channels = in->out_channels, side = in->out_side;
    for (int b = 0; b < HEXGPU_NET_BLOCKS; b++) {
        const hexgpu_block *blk = &net->blocks[b];
        char name[40];
        hexgpu_cuda_conv *c1 = &ctx->convs[HEXGPU_CUDA_CONV_BLOCK(b, 0)];
        hexgpu_cuda_conv *c2 = &ctx->convs[HEXGPU_CUDA_CONV_BLOCK(b, 1)];
        hexgpu_cuda_conv *sc = &ctx->convs[HEXGPU_CUDA_CONV_BLOCK(b, 2)];
        int stage = b / HEXGPU_NET_BLOCKS_PER_STAGE + 1, index = b % HEXGPU_NET_BLOCKS_PER_STAGE;
        snprintf(name, sizeof name, "layer%d.%d.conv1", stage, index);
        if ((st = conv_shape(ctx, c1, &blk->conv1, name, HEXGPU_CUDA_CONV_RELU, channels, side, err))) return st;
        snprintf(name, sizeof name, "layer%d.%d.conv2", stage, index);
        if ((st = conv_shape(ctx, c2, &blk->conv2, name, HEXGPU_CUDA_CONV_RELU_RESIDUAL, c1->out_channels,
                             c1->out_side, err)))
            return st;
        ctx->has_shortcut[b] = blk->has_shortcut;
        if (blk->has_shortcut) {
            snprintf(name, sizeof name, "layer%d.%d.shortcut", stage, index);
            if ((st = conv_shape(ctx, sc, &blk->shortcut, name, HEXGPU_CUDA_CONV_PLAIN, channels, side, err)))
                return st;
            if (sc->out_channels != c2->out_channels || sc->out_side != c2->out_side)
                return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "%s: shortcut gives %dx%d^2, conv2 %dx%d^2",
                                        name, sc->out_channels, sc->out_side, c2->out_channels, c2->out_side);
        } else if (c2->out_channels != channels || c2->out_side != side) {
            return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT,
                                    "%s: identity shortcut but the block maps %dx%d^2 to %dx%d^2", name, channels,
                                    side, c2->out_channels, c2->out_side);
        }
        channels = c2->out_channels;
        side = c2->out_side;
    }
    ctx->trunk_channels = channels;
    ctx->trunk_side = side;
    hexgpu_cuda_conv *vc = &ctx->convs[HEXGPU_CUDA_CONV_VALUE];
    if ((st = conv_shape(ctx, vc, &net->value_conv, "value_pre.0", HEXGPU_CUDA_CONV_RELU, channels, side, err)))
        return st;
    if (vc->out_side != side)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "value_pre.0: changes the side %d to %d", side,
                                vc->out_side);
    ctx->value_channels = vc->out_channels;
    ctx->value_hidden = net->value_fc1.out_features;
    if (net->policy.in_features != channels || net->policy.out_features != ctx->cells || !net->policy.weight ||
        !net->policy.bias)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "policy_head: Linear(%d, %d), expected (%d, %d)",
                                net->policy.in_features, net->policy.out_features, channels, ctx->cells);
    if (net->value_fc1.in_features != ctx->value_channels || ctx->value_hidden < 1 ||
        net->value_fc2.in_features != ctx->value_hidden || net->value_fc2.out_features != 1 ||
        !net->value_fc1.weight || !net->value_fc1.bias || !net->value_fc2.weight || !net->value_fc2.bias)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT,
                                "value_head: Linear(%d, %d) then Linear(%d, %d) after %d value channels",
                                net->value_fc1.in_features, net->value_fc1.out_features, net->value_fc2.in_features,
                                net->value_fc2.out_features, ctx->value_channels);
    return HEXGPU_OK;
}

hexgpu_status hexgpu_cuda_weights_upload(hexgpu_cuda_context *ctx, const hexgpu_network *net, hexgpu_error *err) {
    hexgpu_status st = shapes(ctx, net, err);
    if (st != HEXGPU_OK) return st;
    cudaStream_t stream = NULL;
    st = HEXGPU_CUDA_CALL(err, "weight upload", cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    if (st != HEXGPU_OK) return st;
    for (int i = 0; i < HEXGPU_CUDA_CONV_COUNT && st == HEXGPU_OK; i++) {
        hexgpu_cuda_conv *c = &ctx->convs[i];
        if (i == HEXGPU_CUDA_CONV_INPUT) {
            st = upload_conv(ctx, c, &net->input_conv, NULL, stream, err);
        } else if (i == HEXGPU_CUDA_CONV_VALUE) {
            st = upload_conv(ctx, c, &net->value_conv, NULL, stream, err);
        } else {
            int b = (i - 1) / 3, which = (i - 1) % 3;
            const hexgpu_block *blk = &net->blocks[b];
            if (which == 0) st = upload_conv(ctx, c, &blk->conv1, NULL, stream, err);
            if (which == 1)
                st = upload_conv(ctx, c, &blk->conv2, blk->has_shortcut ? blk->shortcut.bias : NULL, stream, err);
            if (which == 2 && blk->has_shortcut) st = upload_conv(ctx, c, &blk->shortcut, NULL, stream, err);
        }
    }
    size_t c4 = (size_t)ctx->trunk_channels, v = (size_t)ctx->value_channels, h = (size_t)ctx->value_hidden;
    if (st == HEXGPU_OK)
        st = upload((void **)&ctx->policy_weight, net->policy.weight, (size_t)ctx->cells * c4 * 4, "policy_head.weight",
                    stream, err);
    if (st == HEXGPU_OK)
        st = upload((void **)&ctx->policy_bias, net->policy.bias, (size_t)ctx->cells * 4, "policy_head.bias", stream, err);
    if (st == HEXGPU_OK)
        st = upload((void **)&ctx->fc1_weight, net->value_fc1.weight, h * v * 4, "value_head.0.weight", stream, err);
    if (st == HEXGPU_OK) st = upload((void **)&ctx->fc1_bias, net->value_fc1.bias, h * 4, "value_head.0.bias", stream, err);
    if (st == HEXGPU_OK)
        st = upload((void **)&ctx->fc2_weight, net->value_fc2.weight, h * 4, "value_head.3.weight", stream, err);
    if (st == HEXGPU_OK) st = upload((void **)&ctx->fc2_bias, net->value_fc2.bias, 4, "value_head.3.bias", stream, err);
    cudaStreamDestroy(stream);
    return st;
}

void hexgpu_cuda_weights_free(hexgpu_cuda_context *ctx) {
    for (int i = 0; i < HEXGPU_CUDA_CONV_COUNT; i++) {
        cudaFree(ctx->convs[i].weight);
        cudaFree(ctx->convs[i].bias);
        ctx->convs[i].weight = ctx->convs[i].bias = NULL;
    }
    void *heads[] = {ctx->policy_weight, ctx->policy_bias, ctx->fc1_weight, ctx->fc1_bias, ctx->fc2_weight,
                     ctx->fc2_bias};
    for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++) cudaFree(heads[i]);
    ctx->policy_weight = ctx->policy_bias = ctx->fc1_weight = ctx->fc1_bias = ctx->fc2_weight = ctx->fc2_bias = NULL;
}
