/* Slots of the CUDA backend: one stream, events, cuDNN and cuBLAS handle, pinned host
 * buffers and device buffers per slot, all sized for max_batch at creation; at a bucket's
 * first use its plan (once per context), the cuDNN workspace it needs, a warm-up run and
 * a CUDA graph captured and replayed after that. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/timer.h"
#include "base/trace.h"
#include "runtime/cuda/cuda_check.h"
#include "runtime/cuda/cuda_internal.h"
#include "runtime/cuda/cuda_plan_book.h"
#include "base/status.h"

/* cuBLAS needs a workspace it never allocates itself during graph capture; 32 MiB is
 * what it uses by default on Hopper. */
#define CUBLAS_WORKSPACE_BYTES ((size_t)32 << 20)

static void slot_free_locked(hexgpu_cuda_slot *slot);

/* Called with ctx->life_lock held. */
static hexgpu_status slot_create_locked(hexgpu_cuda_context *ctx, void **out, hexgpu_error *err) {
    hexgpu_status st;
    if ((st = HEXGPU_CUDA_CALL(err, "slot create", cudaSetDevice(ctx->device)))) return st;
    hexgpu_cuda_slot *slot = calloc(1, sizeof *slot);
    if (!slot) return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "slot create: %zu bytes", sizeof *slot);
    slot->ctx = ctx;
    slot->index = atomic_fetch_add(&ctx->slots_made, 1);
    size_t mb = (size_t)ctx->max_batch, cells = (size_t)ctx->cells;

    HEXGPU_TRY(HEXGPU_CUDA_CALL(err, "slot create", cudaStreamCreateWithFlags(&slot->stream, cudaStreamNonBlocking)));
    HEXGPU_TRY(HEXGPU_CUDA_CALL(err, "slot create", cudaEventCreateWithFlags(&slot->done, cudaEventDisableTiming)));
    for (int i = 0; i < HEXGPU_CUDA_PHASE_EVENTS; i++)
        HEXGPU_TRY(HEXGPU_CUDA_CALL(err, "slot create (timeline events)", cudaEventCreate(&slot->phase[i])));
    HEXGPU_TRY(HEXGPU_CUDNN_CALL(err, "slot create", cudnnCreate(&slot->cudnn)));
    HEXGPU_TRY(HEXGPU_CUDNN_CALL(err, "slot create", cudnnSetStream(slot->cudnn, slot->stream)));
    HEXGPU_TRY(HEXGPU_CUBLAS_CALL(err, "slot create", cublasCreate(&slot->cublas)));
    HEXGPU_TRY(HEXGPU_CUBLAS_CALL(err, "slot create", cublasSetStream(slot->cublas, slot->stream)));
    /* Plain fp32 FMA in both precisions: the GEMM is small, and no TF32 in checking mode. */
    HEXGPU_TRY(HEXGPU_CUBLAS_CALL(err, "slot create", cublasSetMathMode(slot->cublas, CUBLAS_PEDANTIC_MATH)));
    HEXGPU_TRY(hexgpu_cuda_device_alloc(&slot->d_cublas_workspace, CUBLAS_WORKSPACE_BYTES, "cuBLAS workspace", err));
    HEXGPU_TRY(HEXGPU_CUBLAS_CALL(err, "slot create",
                                  cublasSetWorkspace(slot->cublas, slot->d_cublas_workspace, CUBLAS_WORKSPACE_BYTES)));

    HEXGPU_TRY(hexgpu_cuda_host_alloc((void **)&slot->host.input, mb * sizeof(hexgpu_position), "slot input", err));
    HEXGPU_TRY(hexgpu_cuda_host_alloc((void **)&slot->host.policy, mb * cells * sizeof(float), "slot policy", err));
    HEXGPU_TRY(hexgpu_cuda_host_alloc((void **)&slot->host.logits, mb * cells * sizeof(float), "slot logits", err));
    HEXGPU_TRY(hexgpu_cuda_host_alloc((void **)&slot->host.value, mb * sizeof(float), "slot value", err));
    memset(slot->host.input, 0, mb * sizeof(hexgpu_position));

    HEXGPU_TRY(hexgpu_cuda_device_alloc((void **)&slot->d_input, mb * sizeof(hexgpu_position), "device input", err));
    for (int i = 0; i < 4; i++)
        HEXGPU_TRY(hexgpu_cuda_device_alloc(&slot->d_act[i], mb * ctx->act_elems * ctx->elem_size, "activations", err));
    HEXGPU_TRY(hexgpu_cuda_device_alloc((void **)&slot->d_pooled, mb * (size_t)ctx->trunk_channels * sizeof(float),
                                        "pooled", err));
    HEXGPU_TRY(hexgpu_cuda_device_alloc((void **)&slot->d_logits, mb * cells * sizeof(float), "device logits", err));
    HEXGPU_TRY(hexgpu_cuda_device_alloc((void **)&slot->d_policy, mb * cells * sizeof(float), "device policy", err));
    HEXGPU_TRY(hexgpu_cuda_device_alloc((void **)&slot->d_value, mb * sizeof(float), "device value", err));
    /* The cuDNN workspace comes with the first bucket that needs one (workspace_fit). */
    /* Rows past a batch run as padding up to the bucket size: zero bytes are empty boards. */
    HEXGPU_TRY(HEXGPU_CUDA_CALL(err, "slot create",
                                cudaMemsetAsync(slot->d_input, 0, mb * sizeof(hexgpu_position), slot->stream)));
    /* The fused convolutions without a residual pass y itself as z with alpha2 = 0;
     * 0 * NaN is NaN should cuDNN read z anyway, so the buffers never hold garbage bits
     * (later they hold what the network computed: NaN only from a model whose batches
     * fail the finite-output check already). */
    for (int i = 0; i < 4; i++)
        HEXGPU_TRY(HEXGPU_CUDA_CALL(err, "slot create",
                                    cudaMemsetAsync(slot->d_act[i], 0, mb * ctx->act_elems * ctx->elem_size,
                                                    slot->stream)));
    HEXGPU_TRY(HEXGPU_CUDA_CALL(err, "slot create", cudaStreamSynchronize(slot->stream)));
    *out = slot;
    return HEXGPU_OK;
fail:
    slot_free_locked(slot);
    return st;
}

hexgpu_status hexgpu_cuda_slot_create(void *ctx_ptr, void **out, hexgpu_error *err) {
    hexgpu_cuda_context *ctx = ctx_ptr;
    *out = NULL;
    pthread_mutex_lock(&ctx->life_lock);
    hexgpu_status st = slot_create_locked(ctx, out, err);
    pthread_mutex_unlock(&ctx->life_lock);
    return st;
}

void hexgpu_cuda_slot_destroy(void *slot_ptr) {
    hexgpu_cuda_slot *slot = slot_ptr;
    if (!slot) return;
    hexgpu_cuda_context *ctx = slot->ctx;
    pthread_mutex_lock(&ctx->life_lock);
    slot_free_locked(slot);
    pthread_mutex_unlock(&ctx->life_lock);
}

/* Called with ctx->life_lock held (cublasDestroy and cudaFree synchronise the device). */
static void slot_free_locked(hexgpu_cuda_slot *slot) {
    cudaSetDevice(slot->ctx->device);
    if (slot->stream) cudaStreamSynchronize(slot->stream); /* nothing may still write the buffers */
    for (int b = 0; b < HEXGPU_CUDA_MAX_BUCKETS; b++)
        if (slot->graphs[b]) cudaGraphExecDestroy(slot->graphs[b]);
    void *device[] = {slot->d_input,  slot->d_act[0], slot->d_act[1], slot->d_act[2],    slot->d_act[3],
                      slot->d_pooled, slot->d_logits, slot->d_policy, slot->d_value,     slot->d_workspace,
                      slot->d_cublas_workspace};
    for (size_t i = 0; i < sizeof device / sizeof device[0]; i++) cudaFree(device[i]);
    void *host[] = {slot->host.input, slot->host.policy, slot->host.logits, slot->host.value};
    for (size_t i = 0; i < sizeof host / sizeof host[0]; i++) cudaFreeHost(host[i]);
    if (slot->cublas) cublasDestroy(slot->cublas);
    if (slot->cudnn) cudnnDestroy(slot->cudnn);
    if (slot->done) cudaEventDestroy(slot->done);
    for (int i = 0; i < HEXGPU_CUDA_PHASE_EVENTS; i++)
        if (slot->phase[i]) cudaEventDestroy(slot->phase[i]);
    if (slot->stream) cudaStreamDestroy(slot->stream);
    free(slot);
}

hexgpu_slot_buffers hexgpu_cuda_slot_buffers(void *slot_ptr) { return ((hexgpu_cuda_slot *)slot_ptr)->host; }

/* Captures bucket b's forward pass into slot->graphs[b]. On a refusal returns 0 and
 * says why in why (the CUDA error's name or cuDNN/cuBLAS's message); the refused
 * capture's error is cleared (not sticky). */
static int capture_bucket(hexgpu_cuda_slot *slot, int b, char *why, size_t why_len) {
    cudaError_t code = cudaStreamBeginCapture(slot->stream, cudaStreamCaptureModeThreadLocal);
    if (code != cudaSuccess) {
        snprintf(why, why_len, "cudaStreamBeginCapture: %s", cudaGetErrorName(code));
        cudaGetLastError();
        return 0;
    }
    hexgpu_error capture_err = {0};
    hexgpu_status captured = hexgpu_cuda_forward_enqueue(slot, b, &capture_err);
    cudaGraph_t graph = NULL;
    cudaError_t ended = cudaStreamEndCapture(slot->stream, &graph);
    cudaGraphExec_t exec = NULL;
    if (captured != HEXGPU_OK)
        snprintf(why, why_len, "%s", capture_err.message);
    else if (ended != cudaSuccess)
        snprintf(why, why_len, "cudaStreamEndCapture: %s", cudaGetErrorName(ended));
    else if (!graph)
        snprintf(why, why_len, "cudaStreamEndCapture gave no graph");
    else if ((code = cudaGraphInstantiate(&exec, graph, 0)) != cudaSuccess)
        snprintf(why, why_len, "cudaGraphInstantiate: %s", cudaGetErrorName(code));
    else
        slot->graphs[b] = exec;
    if (graph) cudaGraphDestroy(graph);
    if (!slot->graphs[b]) cudaGetLastError();
    return slot->graphs[b] != NULL;
}

/* Makes the slot's cuDNN workspace big enough for bucket b (life_lock held). Growing it
 * is a new allocation (hexgpu_cuda_workspace_grow: at least doubling, so a slot grows a
 * few times at most): the graphs captured so far point into the old one, so they are
 * dropped and every bucket of the slot is prepared again at its next use (its plan stays;
 * warm-up and capture again, a few ms). The counters lose what was dropped, so they keep
 * counting the (slot, bucket) pairs as they stand. */
static hexgpu_status workspace_fit(hexgpu_cuda_slot *slot, int b, hexgpu_error *err) {
    hexgpu_cuda_context *ctx = slot->ctx;
    size_t have = slot->workspace_bytes;
    size_t want = hexgpu_cuda_workspace_grow(have, ctx->bucket_workspace[b], HEXGPU_CUDA_WORKSPACE_LIMIT);
    if (want <= have) return HEXGPU_OK;
    hexgpu_status st = HEXGPU_CUDA_CALL(err, "workspace", cudaStreamSynchronize(slot->stream));
    if (st != HEXGPU_OK) return st;
    int dropped = 0;
    for (int k = 0; k < ctx->bucket_count; k++) {
        if (slot->graphs[k]) {
            cudaGraphExecDestroy(slot->graphs[k]);
            slot->graphs[k] = NULL;
            atomic_fetch_sub(&ctx->graphs_captured, 1);
        }
        if (slot->refused[k]) atomic_fetch_sub(&ctx->graphs_refused, 1);
        dropped += slot->prepared[k];
        slot->prepared[k] = slot->refused[k] = 0;
    }
    cudaFree(slot->d_workspace);
    slot->d_workspace = NULL;
    slot->workspace_bytes = 0;
    st = hexgpu_cuda_device_alloc(&slot->d_workspace, want, "cuDNN workspace", err);
    if (st != HEXGPU_OK) return st;
    slot->workspace_bytes = want;
    hexgpu_log(&ctx->log, HEXGPU_LOG_INFO,
               "hexgpu cuda: slot %d, batch bucket %d: cuDNN workspace %.1f -> %.1f MiB (%d bucket(s) prepared "
               "again at their next use)",
               slot->index, ctx->buckets[b], (double)have / 1048576.0, (double)want / 1048576.0, dropped);
    return HEXGPU_OK;
}

/* Called with ctx->life_lock held (see prepare_bucket). */
static hexgpu_status prepare_bucket_locked(hexgpu_cuda_slot *slot, int b, hexgpu_error *err) {
    hexgpu_cuda_context *ctx = slot->ctx;
    int64_t start = hexgpu_timer_now_ns();
    int plan_here = !ctx->planned[b];
    hexgpu_status st = hexgpu_cuda_plan_bucket(ctx, slot->cudnn, b, err);
    if (st == HEXGPU_OK) st = workspace_fit(slot, b, err);
    int64_t planned = hexgpu_timer_now_ns();
    if (st == HEXGPU_OK) st = hexgpu_cuda_forward_enqueue(slot, b, err);
    if (st == HEXGPU_OK) st = HEXGPU_CUDA_CALL(err, "warm-up run", cudaStreamSynchronize(slot->stream));
    int64_t warm = hexgpu_timer_now_ns();
    if (st != HEXGPU_OK) return hexgpu_error_prefix(err, st, "batch bucket %d", ctx->buckets[b]);
    slot->prepared[b] = 1;
    char why[HEXGPU_ERROR_MESSAGE_MAX] = "graphs off (HEXGPU_CUDA_GRAPHS=0)";
    if (ctx->use_graphs) {
        if (capture_bucket(slot, b, why, sizeof why)) {
            atomic_fetch_add(&ctx->graphs_captured, 1);
        } else {
            atomic_fetch_add(&ctx->graphs_refused, 1);
            slot->refused[b] = 1;
            hexgpu_log(&ctx->log, HEXGPU_LOG_WARNING,
                       "hexgpu cuda: slot %d, batch bucket %d: graph capture refused (%s); running the layers directly",
                       slot->index, ctx->buckets[b], why);
        }
    }
    if (hexgpu_log_enabled(&ctx->log, HEXGPU_LOG_INFO)) {
        int64_t end = hexgpu_timer_now_ns();
        char plan[64];
        if (plan_here) snprintf(plan, sizeof plan, "plan and workspace %.1f ms", (double)(planned - start) * 1e-6);
        else snprintf(plan, sizeof plan, "planned before, workspace %.1f ms", (double)(planned - start) * 1e-6);
        hexgpu_log(&ctx->log, HEXGPU_LOG_INFO,
                   "hexgpu cuda: slot %d, batch bucket %d: first use %.1f ms (%s, warm-up run %.1f ms, capture %.1f "
                   "ms, %s)",
                   slot->index, ctx->buckets[b], (double)(end - start) * 1e-6, plan, (double)(warm - planned) * 1e-6,
                   (double)(end - warm) * 1e-6, slot->graphs[b] ? "graph" : "direct");
    }
    return HEXGPU_OK;
}

/* First use of a bucket: its plan when no slot made it yet, the workspace it needs, one
 * direct run (loads cuDNN's kernels, proves every call works outside a graph, where
 * errors are easiest to read), then the capture. A capture that
 * cuDNN or cuBLAS refuses leaves the bucket running directly: slower, same answers; the
 * reason is said once (per slot and bucket) in the log and counted. The whole first use
 * holds the context's life lock: no other slot is created or destroyed meanwhile (both
 * synchronise the device, as a workspace regrowth does), no other first use loads
 * kernels during the capture, and a bucket is planned once, by whichever slot comes
 * first. */
static hexgpu_status prepare_bucket(hexgpu_cuda_slot *slot, int b, hexgpu_error *err) {
    hexgpu_cuda_context *ctx = slot->ctx;
    hexgpu_trace_push("cuda first use of a bucket (plan, warm-up run, graph capture)");
    pthread_mutex_lock(&ctx->life_lock);
    hexgpu_status st = prepare_bucket_locked(slot, b, err);
    pthread_mutex_unlock(&ctx->life_lock);
    hexgpu_trace_pop();
    return st;
}

static hexgpu_status check_inputs(const hexgpu_cuda_slot *slot, int batch, hexgpu_error *err) {
    const hexgpu_cuda_context *ctx = slot->ctx;
    if (slot->launched_batch > 0)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT,
                                "cuda slot_launch: the previous batch of %d was not waited for", slot->launched_batch);
    if (batch < 1 || batch > ctx->max_batch)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "cuda slot_launch: batch %d outside 1..%d", batch,
                                ctx->max_batch);
    for (int i = 0; i < batch; i++)
        if (slot->host.input[i].size != ctx->board_size)
            return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT,
                                    "cuda slot_launch: position %d is %dx%d, the network plays %dx%d", i,
                                    slot->host.input[i].size, slot->host.input[i].size, ctx->board_size,
                                    ctx->board_size);
    return HEXGPU_OK;
}

/* Records phase event i on the slot's stream (about a microsecond of host time). */
static hexgpu_status phase_mark(hexgpu_cuda_slot *slot, int i, hexgpu_error *err) {
    return HEXGPU_CUDA_CALL(err, "timeline event", cudaEventRecord(slot->phase[i], slot->stream));
}

static hexgpu_status slot_launch(hexgpu_cuda_slot *slot, int batch, int want_logits, hexgpu_error *err);

/* NVTX "cuda launch": the host time to enqueue a batch (copies, graph or layers). */
hexgpu_status hexgpu_cuda_slot_launch(void *slot_ptr, int batch, int want_logits, hexgpu_error *err) {
    hexgpu_trace_push("cuda launch");
    hexgpu_status st = slot_launch(slot_ptr, batch, want_logits, err);
    hexgpu_trace_pop();
    return st;
}

static hexgpu_status slot_launch(hexgpu_cuda_slot *slot, int batch, int want_logits, hexgpu_error *err) {
    const hexgpu_cuda_context *ctx = slot->ctx;
    hexgpu_status st = check_inputs(slot, batch, err);
    if (st != HEXGPU_OK) return st;
    size_t cells = (size_t)ctx->cells, rows = (size_t)batch;
    int b = hexgpu_cuda_bucket_for(ctx->buckets, ctx->bucket_count, batch);

    slot->timed = 0;
    HEXGPU_TRY(HEXGPU_CUDA_CALL(err, "slot launch", cudaSetDevice(ctx->device)));
    /* The phase events sit on the stream around each phase, never inside a capture:
     * prepare_bucket's warm-up and capture fall between H2D_END and COMPUTE_START. */
    HEXGPU_TRY(phase_mark(slot, HEXGPU_CUDA_PHASE_H2D_START, err));
    HEXGPU_TRY(HEXGPU_CUDA_CALL(err, "input copy",
                                cudaMemcpyAsync(slot->d_input, slot->host.input, rows * sizeof(hexgpu_position),
                                                cudaMemcpyHostToDevice, slot->stream)));
    HEXGPU_TRY(phase_mark(slot, HEXGPU_CUDA_PHASE_H2D_END, err));
    if (!slot->prepared[b]) HEXGPU_TRY(prepare_bucket(slot, b, err));
    HEXGPU_TRY(phase_mark(slot, HEXGPU_CUDA_PHASE_COMPUTE_START, err));
    if (slot->graphs[b])
        HEXGPU_TRY(HEXGPU_CUDA_CALL(err, "graph launch", cudaGraphLaunch(slot->graphs[b], slot->stream)));
    else
        HEXGPU_TRY(hexgpu_cuda_forward_enqueue(slot, b, err));
    HEXGPU_TRY(phase_mark(slot, HEXGPU_CUDA_PHASE_COMPUTE_END, err));
    /* Only the first `batch` rows come back; the bucket's padding rows stay on the device. */
    HEXGPU_TRY(HEXGPU_CUDA_CALL(err, "policy copy",
                                cudaMemcpyAsync(slot->host.policy, slot->d_policy, rows * cells * sizeof(float),
                                                cudaMemcpyDeviceToHost, slot->stream)));
    HEXGPU_TRY(HEXGPU_CUDA_CALL(err, "value copy",
                                cudaMemcpyAsync(slot->host.value, slot->d_value, rows * sizeof(float),
                                                cudaMemcpyDeviceToHost, slot->stream)));
    if (want_logits)
        HEXGPU_TRY(HEXGPU_CUDA_CALL(err, "logits copy",
                                    cudaMemcpyAsync(slot->host.logits, slot->d_logits, rows * cells * sizeof(float),
                                                    cudaMemcpyDeviceToHost, slot->stream)));
    HEXGPU_TRY(phase_mark(slot, HEXGPU_CUDA_PHASE_D2H_END, err));
    HEXGPU_TRY(HEXGPU_CUDA_CALL(err, "slot launch", cudaEventRecord(slot->done, slot->stream)));
    slot->launched_batch = batch;
    slot->want_logits = want_logits;
    return HEXGPU_OK;
fail:
    cudaStreamSynchronize(slot->stream); /* leave the slot idle and reusable */
    return st;
}

hexgpu_status hexgpu_cuda_slot_wait(void *slot_ptr, hexgpu_error *err) {
    hexgpu_cuda_slot *slot = slot_ptr;
    if (slot->launched_batch <= 0)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "cuda slot_wait: no batch was launched");
    hexgpu_status st = HEXGPU_CUDA_CALL(err, "slot wait", cudaSetDevice(slot->ctx->device));
    hexgpu_trace_push("cuda wait");
    if (st == HEXGPU_OK) st = HEXGPU_CUDA_CALL(err, "slot wait (batch results)", cudaEventSynchronize(slot->done));
    hexgpu_trace_pop();
    slot->launched_batch = 0;
    slot->timed = st == HEXGPU_OK; /* every phase event precedes `done` on the stream */
    return st;
}
