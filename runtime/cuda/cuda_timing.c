/* The CUDA backend's batch timeline: each slot's phase events are turned into
 * CLOCK_MONOTONIC nanoseconds through one anchor event per context, so that phases of
 * different slots (streams) line up on one clock. */
#include "base/timer.h"
#include "runtime/cuda/cuda_check.h"
#include "runtime/cuda/cuda_internal.h"
#include "base/status.h"

/* cudaEventElapsedTime gives float milliseconds: 24 bits of mantissa, so a span of T
 * is exact to about T * 6e-8 (0.06 us at 1 s, 0.2 ms after an hour). Phases are read
 * against the batch's own first event (short spans); only that first event is read
 * against the anchor, which moves forward once it is more than a second old. */
#define ANCHOR_REFRESH_MS 1000.0f

static int64_t ms_to_ns(float ms) {
    double ns = (double)ms * 1e6;
    return (int64_t)(ns < 0 ? ns - 0.5 : ns + 0.5);
}

hexgpu_status hexgpu_cuda_timing_create(hexgpu_cuda_context *ctx, hexgpu_error *err) {
    hexgpu_status st;
    if ((st = HEXGPU_CUDA_CALL(err, "timeline anchor", cudaEventCreate(&ctx->anchor)))) return st;
    if ((st = HEXGPU_CUDA_CALL(err, "timeline anchor", cudaEventCreate(&ctx->anchor_next)))) return st;
    /* The host reads its clock as soon as the anchor is known complete: the offset error
     * is the wake-up latency of the synchronisation (microseconds), the same for every
     * slot, so it does not shift one slot's phases against another's. */
    if ((st = HEXGPU_CUDA_CALL(err, "timeline anchor", cudaEventRecord(ctx->anchor, 0)))) return st;
    if ((st = HEXGPU_CUDA_CALL(err, "timeline anchor", cudaEventSynchronize(ctx->anchor)))) return st;
    ctx->anchor_ns = hexgpu_timer_now_ns();
    if (pthread_mutex_init(&ctx->anchor_lock, NULL) != 0)
        return hexgpu_error_set(err, HEXGPU_ERR_INTERNAL, "timeline anchor: pthread_mutex_init failed");
    ctx->anchor_lock_made = 1;
    return HEXGPU_OK;
}

void hexgpu_cuda_timing_destroy(hexgpu_cuda_context *ctx) {
    if (ctx->anchor) cudaEventDestroy(ctx->anchor);
    if (ctx->anchor_next) cudaEventDestroy(ctx->anchor_next);
    if (ctx->anchor_lock_made) pthread_mutex_destroy(&ctx->anchor_lock);
    ctx->anchor = ctx->anchor_next = NULL;
    ctx->anchor_lock_made = 0;
}

/* Moves the anchor to now, measured from the old one (no host clock involved, so the
 * slots stay aligned). The slot's stream is idle after its wait: the new anchor
 * completes at once. Called with anchor_lock held. */
static hexgpu_status reanchor(hexgpu_cuda_context *ctx, cudaStream_t idle_stream, hexgpu_error *err) {
    float ms = 0.0f;
    hexgpu_status st = HEXGPU_CUDA_CALL(err, "timeline re-anchor", cudaEventRecord(ctx->anchor_next, idle_stream));
    if (!st) st = HEXGPU_CUDA_CALL(err, "timeline re-anchor", cudaEventSynchronize(ctx->anchor_next));
    if (!st) st = HEXGPU_CUDA_CALL(err, "timeline re-anchor", cudaEventElapsedTime(&ms, ctx->anchor, ctx->anchor_next));
    if (st) return st;
    cudaEvent_t old = ctx->anchor;
    ctx->anchor = ctx->anchor_next;
    ctx->anchor_next = old;
    ctx->anchor_ns += ms_to_ns(ms);
    return HEXGPU_OK;
}

hexgpu_status hexgpu_cuda_slot_timing(void *slot_ptr, hexgpu_slot_timing *out, hexgpu_error *err) {
    hexgpu_cuda_slot *slot = slot_ptr;
    hexgpu_cuda_context *ctx = slot->ctx;
    if (!slot->timed)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "cuda slot_timing: no batch was waited on");
    float ms[HEXGPU_CUDA_PHASE_EVENTS] = {0};
    hexgpu_status st = HEXGPU_CUDA_CALL(err, "slot timing", cudaSetDevice(ctx->device));
    for (int i = 1; i < HEXGPU_CUDA_PHASE_EVENTS && !st; i++)
        st = HEXGPU_CUDA_CALL(err, "slot timing", cudaEventElapsedTime(&ms[i], slot->phase[0], slot->phase[i]));
    if (st) return st;
    float first_ms = 0.0f;
    pthread_mutex_lock(&ctx->anchor_lock);
    /* May be negative: another slot moved the anchor past this batch's start. */
    st = HEXGPU_CUDA_CALL(err, "slot timing", cudaEventElapsedTime(&first_ms, ctx->anchor, slot->phase[0]));
    int64_t first = ctx->anchor_ns + ms_to_ns(first_ms);
    if (!st && first_ms > ANCHOR_REFRESH_MS) st = reanchor(ctx, slot->stream, err);
    pthread_mutex_unlock(&ctx->anchor_lock);
    if (st) return st;
    *out = (hexgpu_slot_timing){
        .h2d_start = first,
        .h2d_end = first + ms_to_ns(ms[HEXGPU_CUDA_PHASE_H2D_END]),
        .compute_start = first + ms_to_ns(ms[HEXGPU_CUDA_PHASE_COMPUTE_START]),
        .compute_end = first + ms_to_ns(ms[HEXGPU_CUDA_PHASE_COMPUTE_END]),
        .d2h_start = first + ms_to_ns(ms[HEXGPU_CUDA_PHASE_COMPUTE_END]),
        .d2h_end = first + ms_to_ns(ms[HEXGPU_CUDA_PHASE_D2H_END]),
    };
    return HEXGPU_OK;
}
