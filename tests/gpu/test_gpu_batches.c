/* Batch handling of the CUDA backend: every batch size 1..300 (buckets with padding rows)
 * gives each position the answer it gets alone, graphs replay exactly what the direct
 * run computes, and argument errors are reported, not crashed on. */
#include <math.h>
#include <stdlib.h>

#include "gpu/gpu_support.h"
#include "runtime/cuda/cuda_internal.h"

TestSuite(gpu_batches);

enum { MAX_BATCH = 300 };

typedef struct session {
    hexgpu_network net;
    void *ctx, *slot;
    hexgpu_slot_buffers buf;
    int cells;
} session;

static void open_session(session *s, hexgpu_precision precision, int max_batch) {
    hexgpu_error err = {0};
    memset(s, 0, sizeof *s);
    HEXGPU_GPU_ASSERT_OK(hexgpu_gpu_test_fixture_network("tiny13", &s->net, &err), err);
    hexgpu_backend_config config = {.device = 0, .precision = precision, .max_batch = max_batch};
    HEXGPU_GPU_ASSERT_OK(hexgpu_backend_cuda.create(&s->net, &config, &s->ctx, &err), err);
    HEXGPU_GPU_ASSERT_OK(hexgpu_backend_cuda.slot_create(s->ctx, &s->slot, &err), err);
    s->buf = hexgpu_backend_cuda.slot_buffers(s->slot);
    s->cells = s->net.board_size * s->net.board_size;
}

static void close_session(session *s) {
    hexgpu_backend_cuda.slot_destroy(s->slot);
    hexgpu_backend_cuda.destroy(s->ctx);
    hexgpu_network_free(&s->net);
}

static void run(session *s, const hexgpu_position *pos, int batch) {
    hexgpu_error err = {0};
    memcpy(s->buf.input, pos, (size_t)batch * sizeof *pos);
    HEXGPU_GPU_ASSERT_OK(hexgpu_backend_cuda.slot_launch(s->slot, batch, 1, &err), err);
    HEXGPU_GPU_ASSERT_OK(hexgpu_backend_cuda.slot_wait(s->slot, &err), err);
}

static void every_batch_size(hexgpu_precision precision, double logits_tol, double value_tol) {
    HEXGPU_GPU_REQUIRE();
    session s;
    open_session(&s, precision, MAX_BATCH);
    size_t cells = (size_t)s.cells;
    hexgpu_position *pos = calloc(MAX_BATCH, sizeof *pos);
    hexgpu_position_random_batch(pos, MAX_BATCH, s.net.board_size, 99);
    float *alone_logits = calloc(MAX_BATCH * cells, sizeof(float)), *alone_value = calloc(MAX_BATCH, sizeof(float));
    for (int i = 0; i < MAX_BATCH; i++) {
        run(&s, &pos[i], 1);
        memcpy(alone_logits + i * cells, s.buf.logits, cells * sizeof(float));
        alone_value[i] = s.buf.value[0];
    }
    hexgpu_position *batch_pos = calloc(MAX_BATCH, sizeof *batch_pos);
    double worst_logits = 0.0, worst_value = 0.0;
    for (int batch = 1; batch <= MAX_BATCH; batch++) {
        int offset = (batch * 37) % MAX_BATCH; /* a different mix of positions in each batch */
        for (int i = 0; i < batch; i++) batch_pos[i] = pos[(offset + i) % MAX_BATCH];
        run(&s, batch_pos, batch);
        for (int i = 0; i < batch; i++) {
            int p = (offset + i) % MAX_BATCH;
            double scale = hexgpu_gpu_test_max_abs(alone_logits + p * cells, cells) + 1e-12;
            double d = hexgpu_gpu_test_max_abs_diff(s.buf.logits + i * cells, alone_logits + p * cells, cells) / scale;
            double v = fabs((double)s.buf.value[i] - alone_value[p]);
            if (d > worst_logits) worst_logits = d;
            if (v > worst_value) worst_value = v;
            cr_assert_leq(d, logits_tol, "batch %d row %d (position %d): logits differ by %g relative", batch, i, p, d);
            cr_assert_leq(v, value_tol, "batch %d row %d (position %d): value differs by %g", batch, i, p, v);
        }
    }
    cr_log_info("precision %d, batches 1..%d vs alone: logits rel %.2e, value %.2e", (int)precision, MAX_BATCH,
                worst_logits, worst_value);
    free(batch_pos), free(alone_logits), free(alone_value), free(pos);
    close_session(&s);
}

Test(gpu_batches, every_batch_size_fp32) { every_batch_size(HEXGPU_PRECISION_FP32, 1e-4, 1e-5); }
Test(gpu_batches, every_batch_size_fp16) { every_batch_size(HEXGPU_PRECISION_FP16, 2e-3, 2e-3); }

/* Graph replay and a direct run execute the same algorithms on the same buffers: with
 * deterministic algorithms (HEXGPU_CUDNN_DETERMINISTIC=1, read at create) the answers
 * must be identical to the bit. Also reports whether capture worked at all. */
Test(gpu_batches, graphs_replay_the_direct_run_exactly) {
    HEXGPU_GPU_REQUIRE();
    setenv("HEXGPU_CUDNN_DETERMINISTIC", "1", 1); /* this test's process only */
    session s;
    open_session(&s, HEXGPU_PRECISION_FP16, 256);
    size_t cells = (size_t)s.cells;
    hexgpu_position pos[200];
    hexgpu_position_random_batch(pos, 200, s.net.board_size, 5);
    run(&s, pos, 200); /* prepares bucket 256: warm-up, capture */
    run(&s, pos, 200); /* graph replay when captured */
    hexgpu_cuda_slot *slot = s.slot;
    cr_assert(slot->ctx->deterministic);
    int bucket = slot->ctx->bucket_count - 1;
    cr_assert_eq(slot->ctx->buckets[bucket], 256);
    cr_assert(slot->prepared[bucket]);
    int captured = slot->graphs[bucket] != NULL;
    cr_log_info("CUDA graph for bucket 256: %s", captured ? "captured" : "refused (direct runs)");
    if (slot->ctx->use_graphs) cr_expect(captured, "graph capture failed: every batch runs without a graph");
    /* One bucket used on one slot: the counters say exactly what happened to it. */
    hexgpu_backend_counters counters;
    hexgpu_backend_counters_read(&hexgpu_backend_cuda, s.ctx, &counters);
    cr_assert_eq(counters.graphs_captured, (uint64_t)captured);
    cr_assert_eq(counters.graphs_refused, (uint64_t)(slot->ctx->use_graphs && !captured));
    cr_log_info("fused convolutions on the fallback algorithm: %llu (layer, bucket) pairs",
                (unsigned long long)counters.conv_fallbacks);
    float *graph_logits = malloc(200 * cells * sizeof(float)), graph_value[200];
    memcpy(graph_logits, s.buf.logits, 200 * cells * sizeof(float));
    memcpy(graph_value, s.buf.value, sizeof graph_value);
    hexgpu_error err = {0};
    memcpy(s.buf.input, pos, sizeof pos);
    cr_assert_eq(hexgpu_cuda_slot_wait(slot, &err), HEXGPU_ERR_INVALID_ARGUMENT, "wait without a launch");
    /* The direct path: the same calls, enqueued one by one. */
    cudaGraphExec_t saved = slot->graphs[bucket];
    slot->graphs[bucket] = NULL;
    run(&s, pos, 200);
    slot->graphs[bucket] = saved;
    cr_assert_eq(memcmp(graph_logits, s.buf.logits, 200 * cells * sizeof(float)), 0, "graph and direct logits differ");
    cr_assert_eq(memcmp(graph_value, s.buf.value, sizeof graph_value), 0, "graph and direct values differ");
    free(graph_logits);
    close_session(&s);
}

Test(gpu_batches, bad_arguments_are_reported) {
    HEXGPU_GPU_REQUIRE();
    session s;
    open_session(&s, HEXGPU_PRECISION_FP16, 16);
    hexgpu_error err = {0};
    hexgpu_position_random_batch(s.buf.input, 16, s.net.board_size, 3);
    cr_assert_eq(hexgpu_backend_cuda.slot_launch(s.slot, 0, 0, &err), HEXGPU_ERR_INVALID_ARGUMENT);
    cr_assert_eq(hexgpu_backend_cuda.slot_launch(s.slot, 17, 0, &err), HEXGPU_ERR_INVALID_ARGUMENT);
    cr_assert(strstr(err.message, "17"), "%s", err.message);
    s.buf.input[3].size = 11;
    cr_assert_eq(hexgpu_backend_cuda.slot_launch(s.slot, 16, 0, &err), HEXGPU_ERR_INVALID_ARGUMENT);
    cr_assert(strstr(err.message, "position 3"), "%s", err.message);
    cr_assert_eq(hexgpu_backend_cuda.slot_wait(s.slot, &err), HEXGPU_ERR_INVALID_ARGUMENT);
    s.buf.input[3].size = (uint8_t)s.net.board_size;
    HEXGPU_GPU_ASSERT_OK(hexgpu_backend_cuda.slot_launch(s.slot, 16, 0, &err), err);
    cr_assert_eq(hexgpu_backend_cuda.slot_launch(s.slot, 16, 0, &err), HEXGPU_ERR_INVALID_ARGUMENT, "double launch");
    HEXGPU_GPU_ASSERT_OK(hexgpu_backend_cuda.slot_wait(s.slot, &err), err);

    void *ctx = NULL;
    hexgpu_backend_config bad = {.device = 99, .precision = HEXGPU_PRECISION_AUTO, .max_batch = 4};
    cr_assert_eq(hexgpu_backend_cuda.create(&s.net, &bad, &ctx, &err), HEXGPU_ERR_NO_DEVICE);
    cr_assert(strstr(err.message, "99"), "%s", err.message);
    bad.device = 0, bad.max_batch = 0;
    cr_assert_eq(hexgpu_backend_cuda.create(&s.net, &bad, &ctx, &err), HEXGPU_ERR_INVALID_ARGUMENT);
    cr_assert_null(ctx);
    bad.max_batch = 4;
    cr_assert_eq(hexgpu_backend_cuda.create(&s.net, &bad, &ctx, &err), HEXGPU_OK, "%s", err.message);
    cr_assert_eq(hexgpu_backend_cuda.precision(ctx), HEXGPU_PRECISION_FP16, "AUTO is fp16 on tensor-core GPUs");
    hexgpu_backend_cuda.destroy(ctx);
    close_session(&s);
}
