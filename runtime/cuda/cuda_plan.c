/* cuDNN plans of the CUDA backend: descriptors for every convolution and, per batch
 * bucket, an algorithm chosen once (cuDNN's heuristics, filtered by workspace and math)
 * so that evaluation never searches, allocates or re-plans. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/timer.h"
#include "runtime/cuda/cuda_check.h"
#include "runtime/cuda/cuda_internal.h"
#include "base/status.h"

/* Per-slot cuDNN workspace ceiling: the chosen algorithms' largest need is what slots
 * allocate, so this only rules out the most memory-hungry algorithms (FFT at big batches). */
#define WORKSPACE_LIMIT ((size_t)256 << 20)

static int conv_used(const hexgpu_cuda_context *ctx, int i) {
    if (i == HEXGPU_CUDA_CONV_INPUT || i == HEXGPU_CUDA_CONV_VALUE) return 1;
    int b = (i - 1) / 3, which = (i - 1) % 3;
    return which < 2 || ctx->has_shortcut[b];
}

/* Picks the algorithm for conv c at bucket index b. fp16: cuDNN's ranked list, each with
 * the math type cuDNN reports for it (tensor cores). fp32: math stays CUDNN_FMA_MATH so
 * that no TF32 creeps into the checking mode. Falls back to IMPLICIT_PRECOMP_GEMM, the
 * one algorithm every fused configuration supports. */
static hexgpu_status choose_algo(hexgpu_cuda_context *ctx, cudnnHandle_t handle, hexgpu_cuda_conv *c, int b,
                                 hexgpu_error *err) {
    cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    int got = 0;
    const char *force = getenv("HEXGPU_CUDNN_ALGO");
    int only_precomp = force && strcmp(force, "precomp") == 0;
    cudnnMathType_t base_math = ctx->precision == HEXGPU_PRECISION_FP16 ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH;
    /* The heuristics rank for the descriptor's math type: with the default (TF32 allowed
     * on Ampere and later) the fp32 list would be ranked for TF32 kernels. */
    hexgpu_status st = HEXGPU_CUDNN_CALL(err, c->name, cudnnSetConvolutionMathType(c->conv_desc[b], base_math));
    if (st == HEXGPU_OK && !only_precomp)
        st = HEXGPU_CUDNN_CALL(err, c->name,
                               cudnnGetConvolutionForwardAlgorithm_v7(handle, c->x_desc[b], c->filter_desc,
                                                                      c->conv_desc[b], c->y_desc[b],
                                                                      CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &got, perf));
    if (st != HEXGPU_OK) return st;
    for (int i = 0; i < got; i++) {
        if (perf[i].status != CUDNN_STATUS_SUCCESS || perf[i].memory > WORKSPACE_LIMIT) continue;
        cudnnMathType_t math = ctx->precision == HEXGPU_PRECISION_FP16 ? perf[i].mathType : CUDNN_FMA_MATH;
        size_t bytes = 0;
        if (cudnnSetConvolutionMathType(c->conv_desc[b], math) != CUDNN_STATUS_SUCCESS) continue;
        if (cudnnGetConvolutionForwardWorkspaceSize(handle, c->x_desc[b], c->filter_desc, c->conv_desc[b],
                                                    c->y_desc[b], perf[i].algo, &bytes) != CUDNN_STATUS_SUCCESS ||
            bytes > WORKSPACE_LIMIT)
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

/* Descriptors of conv c for every bucket, then its algorithms. */
static hexgpu_status plan_conv(hexgpu_cuda_context *ctx, cudnnHandle_t handle, hexgpu_cuda_conv *c, hexgpu_error *err) {
    hexgpu_status st;
    int nb = ctx->bucket_count;
    cudnnTensorFormat_t format = ctx->precision == HEXGPU_PRECISION_FP16 ? CUDNN_TENSOR_NHWC : CUDNN_TENSOR_NCHW;
    c->x_desc = calloc((size_t)nb, sizeof *c->x_desc);
    c->y_desc = calloc((size_t)nb, sizeof *c->y_desc);
    c->conv_desc = calloc((size_t)nb, sizeof *c->conv_desc);
    c->algo = calloc((size_t)nb, sizeof *c->algo);
    c->workspace = calloc((size_t)nb, sizeof *c->workspace);
    if (!c->x_desc || !c->y_desc || !c->conv_desc || !c->algo || !c->workspace)
        return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "%s: plan tables for %d buckets", c->name, nb);
    if ((st = HEXGPU_CUDNN_CALL(err, c->name, cudnnCreateFilterDescriptor(&c->filter_desc)))) return st;
    if ((st = HEXGPU_CUDNN_CALL(err, c->name,
                                cudnnSetFilter4dDescriptor(c->filter_desc, ctx->data_type, format, c->out_stored,
                                                           c->in_stored, c->kernel, c->kernel))))
        return st;
    if (c->kind != HEXGPU_CUDA_CONV_PLAIN) {
        if ((st = HEXGPU_CUDNN_CALL(err, c->name, cudnnCreateTensorDescriptor(&c->bias_desc)))) return st;
        if ((st = HEXGPU_CUDNN_CALL(err, c->name,
                                    cudnnSetTensor4dDescriptor(c->bias_desc, format, ctx->data_type, 1, c->out_stored,
                                                               1, 1))))
            return st;
    }
    for (int b = 0; b < nb; b++) {
        int batch = ctx->buckets[b];
        int64_t bucket_start = hexgpu_timer_now_ns();
        if ((st = HEXGPU_CUDNN_CALL(err, c->name, cudnnCreateTensorDescriptor(&c->x_desc[b])))) return st;
        if ((st = HEXGPU_CUDNN_CALL(err, c->name, cudnnCreateTensorDescriptor(&c->y_desc[b])))) return st;
        if ((st = HEXGPU_CUDNN_CALL(err, c->name, cudnnCreateConvolutionDescriptor(&c->conv_desc[b])))) return st;
        if ((st = HEXGPU_CUDNN_CALL(err, c->name,
                                    cudnnSetTensor4dDescriptor(c->x_desc[b], format, ctx->data_type, batch,
                                                               c->in_stored, c->in_side, c->in_side))))
            return st;
        if ((st = HEXGPU_CUDNN_CALL(err, c->name,
                                    cudnnSetTensor4dDescriptor(c->y_desc[b], format, ctx->data_type, batch,
                                                               c->out_stored, c->out_side, c->out_side))))
            return st;
        /* fp32 accumulation in both modes (cuDNN's PSEUDO_HALF configuration for fp16). */
        if ((st = HEXGPU_CUDNN_CALL(err, c->name,
                                    cudnnSetConvolution2dDescriptor(c->conv_desc[b], c->pad, c->pad, c->stride,
                                                                    c->stride, 1, 1, CUDNN_CROSS_CORRELATION,
                                                                    CUDNN_DATA_FLOAT))))
            return st;
        int on, oc, oh, ow;
        if ((st = HEXGPU_CUDNN_CALL(err, c->name,
                                    cudnnGetConvolution2dForwardOutputDim(c->conv_desc[b], c->x_desc[b],
                                                                          c->filter_desc, &on, &oc, &oh, &ow))))
            return st;
        if (on != batch || oc != c->out_stored || oh != c->out_side || ow != c->out_side)
            return hexgpu_error_set(err, HEXGPU_ERR_INTERNAL, "%s: cuDNN output %dx%dx%dx%d, expected %dx%dx%dx%d",
                                    c->name, on, oc, oh, ow, batch, c->out_stored, c->out_side, c->out_side);
        if ((st = choose_algo(ctx, handle, c, b, err))) return st;
        if (c->workspace[b] > ctx->workspace_bytes) ctx->workspace_bytes = c->workspace[b];
        if (c->kind != HEXGPU_CUDA_CONV_PLAIN) {
            /* Room for the fallback of cuda_forward.c when the fused call refuses the
             * chosen algorithm. Best effort: a configuration whose fallback cannot even be
             * sized still runs its chosen algorithm; should the fused call then refuse
             * that too, the batch fails with cuDNN's message naming the layer. */
            size_t precomp = 0;
            if (cudnnGetConvolutionForwardWorkspaceSize(handle, c->x_desc[b], c->filter_desc, c->conv_desc[b],
                                                        c->y_desc[b], CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM,
                                                        &precomp) == CUDNN_STATUS_SUCCESS &&
                precomp <= WORKSPACE_LIMIT && precomp > ctx->workspace_bytes)
                ctx->workspace_bytes = precomp;
        }
        ctx->plan_ns[b] += hexgpu_timer_now_ns() - bucket_start;
    }
    return HEXGPU_OK;
}

hexgpu_status hexgpu_cuda_plan_create(hexgpu_cuda_context *ctx, hexgpu_error *err) {
    cudnnHandle_t handle = NULL;
    hexgpu_status st = HEXGPU_CUDNN_CALL(err, "plan", cudnnCreate(&handle));
    if (st != HEXGPU_OK) return st;
    if (st == HEXGPU_OK) st = HEXGPU_CUDNN_CALL(err, "plan", cudnnCreateActivationDescriptor(&ctx->relu));
    if (st == HEXGPU_OK)
        st = HEXGPU_CUDNN_CALL(err, "plan",
                               cudnnSetActivationDescriptor(ctx->relu, CUDNN_ACTIVATION_RELU, CUDNN_NOT_PROPAGATE_NAN,
                                                            0.0));
    for (int i = 0; i < HEXGPU_CUDA_CONV_COUNT && st == HEXGPU_OK; i++)
        if (conv_used(ctx, i)) st = plan_conv(ctx, handle, &ctx->convs[i], err);
    cudnnDestroy(handle);
    if (st == HEXGPU_OK && hexgpu_log_enabled(&ctx->log, HEXGPU_LOG_INFO)) {
        char line[1024] = "";
        size_t at = 0;
        for (int b = 0; b < ctx->bucket_count && at < sizeof line; b++)
            at += (size_t)snprintf(line + at, sizeof line - at, " %d: %.1f ms%s", ctx->buckets[b],
                                   (double)ctx->plan_ns[b] * 1e-6, b + 1 < ctx->bucket_count ? "," : "");
        hexgpu_log(&ctx->log, HEXGPU_LOG_INFO,
                   "hexgpu cuda: plan per batch bucket (all layers):%s; workspace %.1f MiB per slot", line,
                   (double)ctx->workspace_bytes / 1048576.0);
        for (int i = 0; i < HEXGPU_CUDA_CONV_COUNT; i++) {
            if (!conv_used(ctx, i)) continue;
            at = 0;
            line[0] = '\0';
            for (int b = 0; b < ctx->bucket_count && at < sizeof line; b++)
                at += (size_t)snprintf(line + at, sizeof line - at, " %d:%d", ctx->buckets[b],
                                       (int)ctx->convs[i].algo[b]);
            hexgpu_log(&ctx->log, HEXGPU_LOG_INFO, "hexgpu cuda: algorithm of %s per bucket:%s", ctx->convs[i].name,
                       line);
        }
    }
    return st;
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
