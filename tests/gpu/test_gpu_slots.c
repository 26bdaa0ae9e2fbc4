/* Slots of one CUDA context launched concurrently from different threads (each slot its
 * own stream, cuDNN/cuBLAS handles and workspace) give exactly the answers of one slot
 * alone: the context's algorithms are deterministic ones here (HEXGPU_CUDNN_DETERMINISTIC). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "gpu/gpu_support.h"

TestSuite(gpu_slots);

enum { THREADS = 3, ROUNDS = 20, BATCH = 96 };

typedef struct worker {
    void *ctx;
    const hexgpu_position *pos;
    const float *want_policy, *want_value;
    int cells;
    hexgpu_status status;
    char failure[HEXGPU_ERROR_MESSAGE_MAX + 64];
} worker;

static void *work(void *arg) {
    worker *w = arg;
    hexgpu_error err = {0};
    void *slot = NULL;
    w->status = hexgpu_backend_cuda.slot_create(w->ctx, &slot, &err);
    hexgpu_slot_buffers buf = w->status == HEXGPU_OK ? hexgpu_backend_cuda.slot_buffers(slot) : (hexgpu_slot_buffers){0};
    size_t cells = (size_t)w->cells;
    for (int r = 0; r < ROUNDS && w->status == HEXGPU_OK; r++) {
        memcpy(buf.input, w->pos, BATCH * sizeof *w->pos);
        w->status = hexgpu_backend_cuda.slot_launch(slot, BATCH, 0, &err);
        if (w->status == HEXGPU_OK) w->status = hexgpu_backend_cuda.slot_wait(slot, &err);
        if (w->status == HEXGPU_OK && (memcmp(buf.policy, w->want_policy, BATCH * cells * sizeof(float)) ||
                                       memcmp(buf.value, w->want_value, BATCH * sizeof(float)))) {
            snprintf(w->failure, sizeof w->failure, "round %d: answers differ from the single-slot run", r);
            w->status = HEXGPU_ERR_INTERNAL;
        }
    }
    if (w->status != HEXGPU_OK && !w->failure[0]) snprintf(w->failure, sizeof w->failure, "%s", err.message);
    if (slot) hexgpu_backend_cuda.slot_destroy(slot);
    return NULL;
}

Test(gpu_slots, concurrent_slots_agree_with_one_slot) {
    HEXGPU_GPU_REQUIRE();
    hexgpu_error err = {0};
    hexgpu_network net = {0};
    HEXGPU_GPU_ASSERT_OK(hexgpu_gpu_test_fixture_network("tiny13", &net, &err), err);
    hexgpu_backend_config config = {.device = 0, .precision = HEXGPU_PRECISION_FP16, .max_batch = 128};
    void *ctx = NULL, *slot = NULL;
    setenv("HEXGPU_CUDNN_DETERMINISTIC", "1", 1); /* read at create; this test's process only */
    HEXGPU_GPU_ASSERT_OK(hexgpu_backend_cuda.create(&net, &config, &ctx, &err), err);
    cr_assert(((hexgpu_cuda_context *)ctx)->deterministic);
    int cells = net.board_size * net.board_size;
    hexgpu_position pos[THREADS][BATCH];
    float *want_policy = calloc((size_t)THREADS * BATCH * (size_t)cells, sizeof(float));
    float want_value[THREADS][BATCH];
    HEXGPU_GPU_ASSERT_OK(hexgpu_backend_cuda.slot_create(ctx, &slot, &err), err);
    for (int t = 0; t < THREADS; t++) {
        hexgpu_position_random_batch(pos[t], BATCH, net.board_size, 1234 + (uint64_t)t);
        HEXGPU_GPU_ASSERT_OK(hexgpu_backend_evaluate(&hexgpu_backend_cuda, slot, BATCH, net.board_size, pos[t], BATCH,
                                                     want_policy + (size_t)t * BATCH * cells, NULL, want_value[t], &err),
                             err);
    }
    hexgpu_backend_cuda.slot_destroy(slot);
    pthread_t threads[THREADS];
    worker workers[THREADS];
    for (int t = 0; t < THREADS; t++) {
        workers[t] = (worker){.ctx = ctx, .pos = pos[t], .want_policy = want_policy + (size_t)t * BATCH * cells,
                              .want_value = want_value[t], .cells = cells};
        cr_assert_eq(pthread_create(&threads[t], NULL, work, &workers[t]), 0);
    }
    for (int t = 0; t < THREADS; t++) pthread_join(threads[t], NULL);
    for (int t = 0; t < THREADS; t++) cr_assert_eq(workers[t].status, HEXGPU_OK, "thread %d: %s", t, workers[t].failure);
    free(want_policy);
    hexgpu_backend_cuda.destroy(ctx);
    hexgpu_network_free(&net);
}
