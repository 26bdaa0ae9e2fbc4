/* The CUDA backend's entry points: context create/destroy (weights uploaded once; plans
 * per batch bucket come at each bucket's first use, cuda_slot.c), the ops table that runtime/backend.c dispatches to, and the entry
 * point through which the core finds that table in libhexgpu_cuda.so. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/timer.h"
#include "runtime/cuda/cuda_check.h"
#include "runtime/cuda/cuda_internal.h"
#include "runtime/cuda/cuda_plan_book.h"
#include "base/status.h"

static void cuda_destroy(void *ctx_ptr) {
    hexgpu_cuda_context *ctx = ctx_ptr;
    if (!ctx) return;
    cudaSetDevice(ctx->device);
    hexgpu_cuda_timing_destroy(ctx);
    if (ctx->life_lock_made) pthread_mutex_destroy(&ctx->life_lock);
    hexgpu_cuda_plan_destroy(ctx);
    hexgpu_cuda_weights_free(ctx);
    free(ctx);
}

static hexgpu_status cuda_create(const hexgpu_network *net, const hexgpu_backend_config *config, void **out,
                                 hexgpu_error *err) {
    *out = NULL;
    char why[256];
    if (!net || !config)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "cuda backend: no network or no configuration");
    if (config->max_batch < 1 || config->max_batch > (1 << 24))
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "cuda backend: max_batch %d outside 1..%d",
                                config->max_batch, 1 << 24);
    if (net->board_size < HEXGPU_MIN_SIZE || net->board_size > HEXGPU_MAX_SIZE)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "cuda backend: board size %d outside %d..%d",
                                net->board_size, HEXGPU_MIN_SIZE, HEXGPU_MAX_SIZE);
    if (!hexgpu_cuda_available(config->device, why, sizeof why))
        return hexgpu_error_set(err, HEXGPU_ERR_NO_DEVICE, "cuda backend: %s", why);

    /* The weights and plans below belong to this device, whatever the calling thread
     * used before (available() happens to select it too; this does not rely on that). */
    hexgpu_status st = HEXGPU_CUDA_CALL(err, "cuda backend", cudaSetDevice(config->device));
    if (st != HEXGPU_OK) return st;
    hexgpu_cuda_context *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "cuda backend: context");
    ctx->device = config->device;
    /* available() guarantees compute capability >= 7.0, so AUTO means fp16. */
    ctx->precision = config->precision == HEXGPU_PRECISION_FP32 ? HEXGPU_PRECISION_FP32 : HEXGPU_PRECISION_FP16;
    int fp16 = ctx->precision == HEXGPU_PRECISION_FP16;
    ctx->layout = fp16 ? HEXGPU_K_NHWC_F16 : HEXGPU_K_NCHW_F32;
    ctx->data_type = fp16 ? CUDNN_DATA_HALF : CUDNN_DATA_FLOAT;
    ctx->elem_size = fp16 ? 2 : 4;
    ctx->board_size = net->board_size;
    ctx->cells = net->board_size * net->board_size;
    ctx->max_batch = config->max_batch;
    const char *graphs = getenv("HEXGPU_CUDA_GRAPHS");
    ctx->use_graphs = !(graphs && strcmp(graphs, "0") == 0);
    ctx->log = config->log;
    ctx->bucket_count = hexgpu_cuda_buckets_make(ctx->max_batch, ctx->buckets, HEXGPU_CUDA_MAX_BUCKETS);
    if (pthread_mutex_init(&ctx->life_lock, NULL) != 0) {
        free(ctx);
        return hexgpu_error_set(err, HEXGPU_ERR_INTERNAL, "cuda backend: pthread_mutex_init failed");
    }
    ctx->life_lock_made = 1;

    int64_t start = hexgpu_timer_now_ns();
    st = hexgpu_cuda_weights_upload(ctx, net, err);
    if (st == HEXGPU_OK) st = hexgpu_cuda_plan_create(ctx, err);
    if (st == HEXGPU_OK) st = hexgpu_cuda_timing_create(ctx, err);
    if (st != HEXGPU_OK) {
        cuda_destroy(ctx);
        return st;
    }
    hexgpu_log(&ctx->log, HEXGPU_LOG_INFO,
               "hexgpu cuda: context for device %d, %s, max batch %d, %d buckets (each planned at its first use): "
               "created in %.1f ms",
               ctx->device, fp16 ? "fp16" : "fp32", ctx->max_batch, ctx->bucket_count,
               (double)(hexgpu_timer_now_ns() - start) * 1e-6);
    *out = ctx;
    return HEXGPU_OK;
}

void hexgpu_cuda_counters(void *ctx_ptr, hexgpu_backend_counters *out) {
    hexgpu_cuda_context *ctx = ctx_ptr;
    *out = (hexgpu_backend_counters){.graphs_captured = atomic_load(&ctx->graphs_captured),
                                     .graphs_refused = atomic_load(&ctx->graphs_refused),
                                     .conv_fallbacks = atomic_load(&ctx->conv_fallbacks)};
}

static hexgpu_precision cuda_precision(void *ctx) { return ((hexgpu_cuda_context *)ctx)->precision; }

const hexgpu_backend_ops hexgpu_backend_cuda = {
    .abi_version = HEXGPU_BACKEND_ABI_VERSION,
    .name = "cuda",
    .default_max_batch = 1024,
    .available = hexgpu_cuda_available,
    .device_count = hexgpu_cuda_device_count,
    .create = cuda_create,
    .destroy = cuda_destroy,
    .precision = cuda_precision,
    .slot_create = hexgpu_cuda_slot_create,
    .slot_destroy = hexgpu_cuda_slot_destroy,
    .slot_buffers = hexgpu_cuda_slot_buffers,
    .slot_launch = hexgpu_cuda_slot_launch,
    .slot_wait = hexgpu_cuda_slot_wait,
    .slot_timing = hexgpu_cuda_slot_timing,
    .counters = hexgpu_cuda_counters,
    .device_name = hexgpu_cuda_device_name,
};

/* This module has one table and returns it whatever abi_version the caller speaks; the
 * caller compares the table's own abi_version with its own and refuses a mismatch. */
const hexgpu_backend_ops *hexgpu_cuda_backend_entry(int abi_version) {
    (void)abi_version;
    return &hexgpu_backend_cuda;
}
