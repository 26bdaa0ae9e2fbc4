/* The forward pass of the CUDA backend as one sequence of stream operations (kernels,
 * fused cuDNN convolutions, one cuBLAS GEMM) with no host synchronisation, so the same
 * code runs directly or is captured once per bucket into a CUDA graph. */
#include <stdio.h>

#include "runtime/cuda/cuda_check.h"
#include "runtime/cuda/cuda_internal.h"
#include "base/status.h"

/* The fused call y = relu(conv(x) + alpha2 * z + bias) with algorithm algo; without a
 * residual z is y itself, scaled by 0. */
static cudnnStatus_t fused_conv(hexgpu_cuda_slot *slot, const hexgpu_cuda_conv *c, int b,
                                cudnnConvolutionFwdAlgo_t algo, const void *x, void *y, const void *z) {
    const float one = 1.0f, zero = 0.0f;
    int residual = c->kind == HEXGPU_CUDA_CONV_RELU_RESIDUAL;
    return cudnnConvolutionBiasActivationForward(slot->cudnn, &one, c->x_desc[b], x, c->filter_desc, c->weight,
                                                 c->conv_desc[b], algo, slot->d_workspace,
                                                 slot->workspace_bytes, residual ? &one : &zero,
                                                 c->y_desc[b], residual ? z : y, c->bias_desc, c->bias,
                                                 slot->ctx->relu, c->y_desc[b], y);
}

/* Remembers that conv c at bucket b runs the fallback algorithm; the first slot to find
 * out says so once in the log (the run goes on: same answers, maybe slower). */
static void note_fallback(hexgpu_cuda_slot *slot, const hexgpu_cuda_conv *c, int b, cudnnStatus_t refusal) {
    hexgpu_cuda_context *ctx = slot->ctx;
    atomic_uchar *flag = &ctx->fused_refused[c - ctx->convs][b];
    if (atomic_exchange(flag, 1)) return;
    atomic_fetch_add(&ctx->conv_fallbacks, 1);
    hexgpu_log(&ctx->log, HEXGPU_LOG_WARNING,
               "hexgpu cuda: %s, batch bucket %d: the fused convolution refused algorithm %d (%s); "
               "running IMPLICIT_PRECOMP_GEMM",
            c->name, ctx->buckets[b], (int)c->algo[b], cudnnGetErrorString(refusal));
}

/* One convolution of bucket b: x -> y, with z the residual for RELU_RESIDUAL. */
static hexgpu_status run_conv(hexgpu_cuda_slot *slot, const hexgpu_cuda_conv *c, int b, const void *x, void *y,
                              const void *z, hexgpu_error *err) {
    const hexgpu_cuda_context *ctx = slot->ctx;
    const float one = 1.0f, zero = 0.0f;
    if (c->kind == HEXGPU_CUDA_CONV_PLAIN)
        return HEXGPU_CUDNN_CALL(err, c->name,
                                 cudnnConvolutionForward(slot->cudnn, &one, c->x_desc[b], x, c->filter_desc,
                                                         c->weight, c->conv_desc[b], c->algo[b], slot->d_workspace,
                                                         slot->workspace_bytes, &zero, c->y_desc[b], y));
    /* The algorithms are ranked for the plain convolution; the fused call may refuse one
     * (a host-side check: nothing was enqueued), with CUDNN_STATUS_NOT_SUPPORTED or one of
     * cuDNN 9's sub-codes (NOT_SUPPORTED_SHAPE, ..._LAYOUT, ...: the same category).
     * IMPLICIT_PRECOMP_GEMM supports every fused configuration and its workspace is part
     * of the bucket's workspace (cuda_plan.c). A refusal is remembered per (conv, bucket). */
    const cudnnConvolutionFwdAlgo_t precomp = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM;
    cudnnConvolutionFwdAlgo_t algo = c->algo[b];
    if (atomic_load(&slot->ctx->fused_refused[c - ctx->convs][b])) algo = precomp;
    cudnnStatus_t code = fused_conv(slot, c, b, algo, x, y, z);
    if (hexgpu_cudnn_is_refusal(code) && algo != precomp) {
        note_fallback(slot, c, b, code);
        code = fused_conv(slot, c, b, precomp, x, y, z);
    }
    return HEXGPU_CUDNN_CALL(err, c->name, code);
}

hexgpu_status hexgpu_cuda_forward_enqueue(hexgpu_cuda_slot *slot, int bucket, hexgpu_error *err) {
    const hexgpu_cuda_context *ctx = slot->ctx;
    int batch = ctx->buckets[bucket];
    hexgpu_status st;
    void **act = slot->d_act;
    const hexgpu_cuda_conv *in = &ctx->convs[HEXGPU_CUDA_CONV_INPUT];

    st = HEXGPU_CUDA_CALL(err, "board_to_input",
                          hexgpu_k_board_to_input(act[0], slot->d_input, batch, ctx->board_size, ctx->layout,
                                                  in->in_stored, slot->stream));
    if (st != HEXGPU_OK) return st;
    if ((st = run_conv(slot, in, bucket, act[0], act[1], NULL, err))) return st;

    /* Four rotating buffers: a block reads x, writes t (conv1) and s (shortcut), and its
     * output y is the next block's x; y never aliases x, t or the residual it adds. */
    int x = 1;
    for (int blk = 0; blk < HEXGPU_NET_BLOCKS; blk++) {
        int t = (x + 1) % 4, s = (x + 2) % 4, y = (x + 3) % 4;
        const hexgpu_cuda_conv *c1 = &ctx->convs[HEXGPU_CUDA_CONV_BLOCK(blk, 0)];
        const hexgpu_cuda_conv *c2 = &ctx->convs[HEXGPU_CUDA_CONV_BLOCK(blk, 1)];
        if ((st = run_conv(slot, c1, bucket, act[x], act[t], NULL, err))) return st;
        const void *residual = act[x];
        if (ctx->has_shortcut[blk]) {
            const hexgpu_cuda_conv *sc = &ctx->convs[HEXGPU_CUDA_CONV_BLOCK(blk, 2)];
            if ((st = run_conv(slot, sc, bucket, act[x], act[s], NULL, err))) return st;
            residual = act[s];
        }
        if ((st = run_conv(slot, c2, bucket, act[t], act[y], residual, err))) return st;
        x = y;
    }

    const hexgpu_cuda_conv *vc = &ctx->convs[HEXGPU_CUDA_CONV_VALUE];
    int v = (x + 1) % 4, pixels = ctx->trunk_side * ctx->trunk_side;
    int trunk_stored = ctx->convs[HEXGPU_CUDA_CONV_BLOCK(HEXGPU_NET_BLOCKS - 1, 1)].out_stored;
    if ((st = run_conv(slot, vc, bucket, act[x], act[v], NULL, err))) return st;

    /* Policy: pool -> logits [batch][cells] = pooled [batch][C4] x W^T (row-major), i.e.
     * column-major logits^T (cells x batch) = W (cells x C4, stored C4 x cells) * pooled^T. */
    st = HEXGPU_CUDA_CALL(err, "policy pool",
                          hexgpu_k_global_avg_pool(slot->d_pooled, act[x], batch, ctx->trunk_channels, trunk_stored,
                                                   pixels, ctx->layout, slot->stream));
    if (st != HEXGPU_OK) return st;
    const float one = 1.0f, zero = 0.0f;
    st = HEXGPU_CUBLAS_CALL(err, "policy_head",
                            cublasSgemm(slot->cublas, CUBLAS_OP_T, CUBLAS_OP_N, ctx->cells, batch,
                                        ctx->trunk_channels, &one, ctx->policy_weight, ctx->trunk_channels,
                                        slot->d_pooled, ctx->trunk_channels, &zero, slot->d_logits, ctx->cells));
    if (st != HEXGPU_OK) return st;
    st = HEXGPU_CUDA_CALL(err, "policy softmax",
                          hexgpu_k_policy_softmax(slot->d_policy, slot->d_logits, ctx->policy_bias, slot->d_input,
                                                  batch, ctx->cells, 1.0f, slot->stream));
    if (st != HEXGPU_OK) return st;
    return HEXGPU_CUDA_CALL(err, "value head",
                            hexgpu_k_value_head(slot->d_value, act[v], batch, ctx->value_channels, vc->out_stored,
                                                pixels, ctx->layout, ctx->fc1_weight, ctx->fc1_bias,
                                                ctx->value_hidden, ctx->fc2_weight, ctx->fc2_bias, slot->stream));
}
