/* cuDNN plans of the CUDA backend, made when first needed: at context creation only the
 * descriptors every bucket shares (filters, biases, the ReLU); a batch bucket's tensor and
 * convolution descriptors and its algorithms (cuDNN's heuristics, filtered by workspace,
 * math and, when asked, determinism) at the bucket's first use, under the context's life
 * lock (cuda_slot.c), once per context. Evaluation never searches or re-plans. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/timer.h"
#include "runtime/cuda/cuda_check.h"
#include "runtime/cuda/cuda_internal.h"
#include "runtime/cuda/cuda_plan_book.h"
#include "base/status.h"

int hexgpu_cuda_conv_used(const hexgpu_cuda_context *ctx, int i) {
    if (i == HEXGPU_CUDA_CONV_INPUT || i == HEXGPU_CUDA_CONV_VALUE) return 1;
    int b = (i - 1) / 3, which = (i - 1) % 3;
    return which < 2 || ctx->has_shortcut[b];
}

/* Picks the algorithm for conv c at bucket index b. fp16: cuDNN's ranked list, each with
 * the math type cuDNN reports for it (tensor cores). fp32: math stays CUDNN_FMA_MATH so
 * that no TF32 creeps into the checking mode. With ctx->deterministic only algorithms
 * cuDNN calls deterministic (graph replay and concurrent slots then give the same bits).
 * Falls back to IMPLICIT_PRECOMP_GEMM, the one algorithm every fused configuration
 * supports (deterministic: no atomics). */
static hexgpu_status choose_algo(hexgpu_cuda_context *ctx, cudnnHandle_t handle, hexgpu_cuda_conv *c, int b,
                                 hexgpu_error *err) {
    cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    hexgpu_cuda_algo_offer offers[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    int got = 0;
    cudnnMathType_t base_math = ctx->precision == HEXGPU_PRECISION_FP16 ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH;
    /* The heuristics rank for the descriptor's math type: with the default (TF32 allowed
     * on Ampere and later) the fp32 list would be ranked for TF32 kernels. */
    hexgpu_status st = HEXGPU_CUDNN_CALL(err, c->name, cudnnSetConvolutionMathType(c->conv_desc[b], base_math));
    if (st == HEXGPU_OK && !ctx->only_precomp)
        st = HEXGPU_CUDNN_CALL(err, c->name,
                               cudnnGetConvolutionForwardAlgorithm_v7(handle, c->x_desc[b], c->filter_desc,
                                                                      c->conv_desc[b], c->y_desc[b],
                                                                      CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &got, perf));
    if (st != HEXGPU_OK) return st;
    for (int i = 0; i < got; i++)
        offers[i] = (hexgpu_cuda_algo_offer){.usable = perf[i].status == CUDNN_STATUS_SUCCESS,
                                             .memory = perf[i].memory,
                                             .deterministic = perf[i].determinism == CUDNN_DETERMINISTIC};
    for (int i = 0; (i = hexgpu_cuda_algo_pick(offers, got, i, HEXGPU_CUDA_WORKSPACE_LIMIT, ctx->deterministic)) >= 0;
         i++) {
        cudnnMathType_t math = ctx->precision == HEXGPU_PRECISION_FP16 ? perf[i].mathType : CUDNN_FMA_MATH;
        size_t bytes = 0;
        if (cudnnSetConvolutionMathType(c->conv_desc[b], math) != CUDNN_STATUS_SUCCESS) continue;
        if (cudnnGetConvolutionForwardWorkspaceSize(handle, c->x_desc[b], c->filter_desc, c->conv_desc[b],
                                                    c->y_desc[b], perf[i].algo, &bytes) != CUDNN_STATUS_SUCCESS ||
            bytes > HEXGPU_CUDA_WORKSPACE_LIMIT)
            continue;
        c->algo[b] = perf[i].algo;
        c->workspace[b] = bytes;
        return HEXGPU_OK;
    }
    c->algo[b] = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM;
    st = HEXGPU_CUDNN_CALL(err, c->name, cudnnSetConvolutionMathType(c->conv_desc[b], base_math));
    if (st == HEXGPU_OK)
        st = HEXGPU_CUDNN_CALL(err, c->name,
                               cudnnGetConvolutionForwardWorkspaceSize(handle, c->x_desc[b], c->filter_desc,
                                                                       c->conv_desc[b], c->y_desc[b], c->algo[b],
                                                                       &c->workspace[b]));
    return st;
}

static cudnnTensorFormat_t tensor_format(const hexgpu_cuda_context *ctx) {
    return ctx->precision == HEXGPU_PRECISION_FP16 ? CUDNN_TENSOR_NHWC : CUDNN_TENSOR_NCHW;
}

/* What conv c shares between buckets: its per-bucket tables, filter and bias descriptors. */
static hexgpu_status conv_create(hexgpu_cuda_context *ctx, hexgpu_cuda_conv *c, hexgpu_error *err) {
    hexgpu_status st;
    int nb = ctx->bucket_count;
    c->x_desc = calloc((size_t)nb, sizeof *c->x_desc);
    c->y_desc = calloc((size_t)nb, sizeof *c->y_desc);
    c->conv_desc = calloc((size_t)nb, sizeof *c->conv_desc);
    c->algo = calloc((size_t)nb, sizeof *c->algo);
    c->workspace = calloc((size_t)nb, sizeof *c->workspace);
    if (!c->x_desc || !c->y_desc || !c->conv_desc || !c->algo || !c->workspace)
        return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "%s: plan tables for %d buckets", c->name, nb);
    if ((st = HEXGPU_CUDNN_CALL(err, c->name, cudnnCreateFilterDescriptor(&c->filter_desc)))) return st;
    if ((st = HEXGPU_CUDNN_CALL(err, c->name,
                                cudnnSetFilter4dDescriptor(c->filter_desc, ctx->data_type, tensor_format(ctx),
                                                           c->out_stored, c->in_stored, c->kernel, c->kernel))))
        return st;
    if (c->kind != HEXGPU_CUDA_CONV_PLAIN) {
        if ((st = HEXGPU_CUDNN_CALL(err, c->name, cudnnCreateTensorDescriptor(&c->bias_desc)))) return st;
        if ((st = HEXGPU_CUDNN_CALL(err, c->name,
                                    cudnnSetTensor4dDescriptor(c->bias_desc, tensor_format(ctx), ctx->data_type, 1,
                                                               c->out_stored, 1, 1))))
            return st;
    }
    return HEXGPU_OK;
}

/* Conv c at bucket b: its descriptors (made once; a failed plan is retried with the same
 * ones), its algorithm and workspace, and the workspace its fallback needs into *need. */
static hexgpu_status conv_plan_bucket(hexgpu_cuda_context *ctx, cudnnHandle_t handle, hexgpu_cuda_conv *c, int b,
                                      size_t *need, hexgpu_error *err) {
    hexgpu_status st;
    int batch = ctx->buckets[b];
    cudnnTensorFormat_t format = tensor_format(ctx);
    if (!c->x_desc[b] && (st = HEXGPU_CUDNN_CALL(err, c->name, cudnnCreateTensorDescriptor(&c->x_desc[b]))))
        return st;
    if (!c->y_desc[b] && (st = HEXGPU_CUDNN_CALL(err, c->name, cudnnCreateTensorDescriptor(&c->y_desc[b]))))
        return st;
    if (!c->conv_desc[b] &&
        (st = HEXGPU_CUDNN_CALL(err, c->name, cudnnCreateConvolutionDescriptor(&c->conv_desc[b]))))
        return st;
    if ((st = HEXGPU_CUDNN_CALL(err, c->name,
                                cudnnSetTensor4dDescriptor(c->x_desc[b], format, ctx->data_type, batch, c->in_stored,
                                                           c->in_side, c->in_side))))
        return st;
    if ((st = HEXGPU_CUDNN_CALL(err, c->name,
                                cudnnSetTensor4dDescriptor(c->y_desc[b], format, ctx->data_type, batch, c->out_stored,
                                                           c->out_side, c->out_side))))
        return st;
    /* fp32 accumulation in both modes (cuDNN's PSEUDO_HALF configuration for fp16). */
    if ((st = HEXGPU_CUDNN_CALL(err, c->name,
                                cudnnSetConvolution2dDescriptor(c->conv_desc[b], c->pad, c->pad, c->stride, c->stride,
                                                                1, 1, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT))))
        return st;
    int on, oc, oh, ow;
    if ((st = HEXGPU_CUDNN_CALL(err, c->name,
                                cudnnGetConvolution2dForwardOutputDim(c->conv_desc[b], c->x_desc[b], c->filter_desc,
                                                                      &on, &oc, &oh, &ow))))
        return st;
    if (on != batch || oc != c->out_stored || oh != c->out_side || ow != c->out_side)
        return hexgpu_error_set(err, HEXGPU_ERR_INTERNAL, "%s: cuDNN output %dx%dx%dx%d, expected %dx%dx%dx%d",
                                c->name, on, oc, oh, ow, batch, c->out_stored, c->out_side, c->out_side);
    if ((st = choose_algo(ctx, handle, c, b, err))) return st;
    *need = c->workspace[b];
    if (c->kind != HEXGPU_CUDA_CONV_PLAIN) {
        /* Room for the fallback of cuda_forward.c when the fused call refuses the chosen
         * algorithm. Best effort: a configuration whose fallback cannot even be sized still
         * runs its chosen algorithm; should the fused call then refuse that too, the batch
         * fails with cuDNN's message naming the layer. */
        size_t precomp = 0;
        if (cudnnGetConvolutionForwardWorkspaceSize(handle, c->x_desc[b], c->filter_desc, c->conv_desc[b],
                                                    c->y_desc[b], CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM,
                                                    &precomp) == CUDNN_STATUS_SUCCESS &&
            precomp <= HEXGPU_CUDA_WORKSPACE_LIMIT && precomp > *need)
            *need = precomp;
    }
    return HEXGPU_OK;
}

hexgpu_status hexgpu_cuda_plan_create(hexgpu_cuda_context *ctx, hexgpu_error *err) {
    const char *force = getenv("HEXGPU_CUDNN_ALGO"), *deterministic = getenv("HEXGPU_CUDNN_DETERMINISTIC");
    ctx->only_precomp = force && strcmp(force, "precomp") == 0;
    ctx->deterministic = deterministic && strcmp(deterministic, "1") == 0;
    hexgpu_status st = HEXGPU_CUDNN_CALL(err, "plan", cudnnCreateActivationDescriptor(&ctx->relu));
    /* NaN through ReLU stays NaN, as on the CPU backend and in PyTorch: the engine's
     * finite-output check then fails the batch (CUDNN_NOT_PROPAGATE_NAN would make it 0
     * and hide a broken model behind plausible answers). */
    if (st == HEXGPU_OK)
        st = HEXGPU_CUDNN_CALL(err, "plan",
                               cudnnSetActivationDescriptor(ctx->relu, CUDNN_ACTIVATION_RELU, CUDNN_PROPAGATE_NAN,
                                                            0.0));
    for (int i = 0; i < HEXGPU_CUDA_CONV_COUNT && st == HEXGPU_OK; i++)
        if (hexgpu_cuda_conv_used(ctx, i)) st = conv_create(ctx, &ctx->convs[i], err);
    return st;
}

/* The INFO line of a planned bucket: its time, workspace and each layer's algorithm. */
static void log_bucket_plan(const hexgpu_cuda_context *ctx, int b, int calls) {
    char line[900] = "";
    size_t at = 0;
    for (int i = 0; i < HEXGPU_CUDA_CONV_COUNT && at < sizeof line; i++)
        if (hexgpu_cuda_conv_used(ctx, i))
            at += (size_t)snprintf(line + at, sizeof line - at, " %s:%d", ctx->convs[i].name,
                                   (int)ctx->convs[i].algo[b]);
    hexgpu_log(&ctx->log, HEXGPU_LOG_INFO,
               "hexgpu cuda: batch bucket %d planned in %.1f ms (%d convolutions%s%s), workspace %.1f MiB; "
               "algorithms:%s",
               ctx->buckets[b], (double)ctx->plan_ns[b] * 1e-6, calls, ctx->only_precomp ? ", precomp forced" : "",
               ctx->deterministic ? ", deterministic only" : "", (double)ctx->bucket_workspace[b] / 1048576.0, line);
}

hexgpu_status hexgpu_cuda_plan_bucket(hexgpu_cuda_context *ctx, cudnnHandle_t handle, int b, hexgpu_error *err) {
    if (ctx->planned[b]) return HEXGPU_OK;
    int64_t start = hexgpu_timer_now_ns();
    size_t workspace = 0;
    int calls = 0;
    for (int i = 0; i < HEXGPU_CUDA_CONV_COUNT; i++) {
        if (!hexgpu_cuda_conv_used(ctx, i)) continue;
        size_t need = 0;
        hexgpu_status st = conv_plan_bucket(ctx, handle, &ctx->convs[i], b, &need, err);
        if (st != HEXGPU_OK) return st; /* the caller names the bucket */
        if (need > workspace) workspace = need;
        calls++;
    }
    ctx->bucket_workspace[b] = workspace;
    ctx->plan_ns[b] = hexgpu_timer_now_ns() - start;
    ctx->planned[b] = 1;
    if (hexgpu_log_enabled(&ctx->log, HEXGPU_LOG_INFO)) log_bucket_plan(ctx, b, calls);
    return HEXGPU_OK;
}

void hexgpu_cuda_plan_destroy(hexgpu_cuda_context *ctx) {
    for (int i = 0; i < HEXGPU_CUDA_CONV_COUNT; i++) {
        hexgpu_cuda_conv *c = &ctx->convs[i];
        for (int b = 0; b < ctx->bucket_count; b++) {
            if (c->x_desc && c->x_desc[b]) cudnnDestroyTensorDescriptor(c->x_desc[b]);
            if (c->y_desc && c->y_desc[b]) cudnnDestroyTensorDescriptor(c->y_desc[b]);
            if (c->conv_desc && c->conv_desc[b]) cudnnDestroyConvolutionDescriptor(c->conv_desc[b]);
        }
        if (c->filter_desc) cudnnDestroyFilterDescriptor(c->filter_desc);
        if (c->bias_desc) cudnnDestroyTensorDescriptor(c->bias_desc);
        free(c->x_desc);
        free(c->y_desc);
        free(c->conv_desc);
        free(c->algo);
        free(c->workspace);
        c->x_desc = c->y_desc = NULL;
        c->conv_desc = NULL;
        c->algo = NULL;
        c->workspace = NULL;
        c->filter_desc = NULL;
        c->bias_desc = NULL;
    }
    if (ctx->relu) cudnnDestroyActivationDescriptor(ctx->relu);
    ctx->relu = NULL;
}
