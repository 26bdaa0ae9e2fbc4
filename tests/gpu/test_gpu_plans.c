/* Plans made when first needed (runtime/cuda/cuda_plan.c, cuda_slot.c): a context plans
 * no bucket at creation, the first slot to use a bucket plans it for all, a slot's cuDNN
 * workspace grows with the buckets it runs (dropping and re-preparing what it captured
 * before, same answers), and NaN goes through every ReLU as on the CPU backend. The
 * bit-for-bit comparisons run with deterministic algorithms only. */
#include <math.h>
#include <stdlib.h>

#include "gpu/gpu_support.h"
#include "runtime/cuda/cuda_plan_book.h"

TestSuite(gpu_plans);

typedef struct answers {
    float policy[256 * 169], value[256];
} answers;

static void *new_slot(void *ctx) {
    hexgpu_error err = {0};
    void *slot = NULL;
    HEXGPU_GPU_ASSERT_OK(hexgpu_backend_cuda.slot_create(ctx, &slot, &err), err);
    return slot;
}

/* Runs the first `batch` of pos on slot; the answers into out (may be NULL). */
static void run(void *slot, const hexgpu_position *pos, int batch, int cells, answers *out) {
    hexgpu_error err = {0};
    hexgpu_slot_buffers buf = hexgpu_backend_cuda.slot_buffers(slot);
    memcpy(buf.input, pos, (size_t)batch * sizeof *pos);
    HEXGPU_GPU_ASSERT_OK(hexgpu_backend_cuda.slot_launch(slot, batch, 0, &err), err);
    HEXGPU_GPU_ASSERT_OK(hexgpu_backend_cuda.slot_wait(slot, &err), err);
    if (out) {
        memcpy(out->policy, buf.policy, (size_t)batch * (size_t)cells * sizeof(float));
        memcpy(out->value, buf.value, (size_t)batch * sizeof(float));
    }
}

static void assert_same(const answers *a, const answers *b, int batch, int cells, const char *what) {
    cr_assert_eq(memcmp(a->policy, b->policy, (size_t)batch * (size_t)cells * sizeof(float)), 0, "%s: policy", what);
    cr_assert_eq(memcmp(a->value, b->value, (size_t)batch * sizeof(float)), 0, "%s: value", what);
}

static void *open_context(hexgpu_network *net, int max_batch) {
    hexgpu_error err = {0};
    HEXGPU_GPU_ASSERT_OK(hexgpu_gpu_test_fixture_network("tiny13", net, &err), err);
    cr_assert_eq(net->board_size, 13);
    setenv("HEXGPU_CUDNN_DETERMINISTIC", "1", 1); /* read at create; this test's process only */
    hexgpu_backend_config config = {.device = 0, .precision = HEXGPU_PRECISION_FP16, .max_batch = max_batch};
    void *ctx = NULL;
    HEXGPU_GPU_ASSERT_OK(hexgpu_backend_cuda.create(net, &config, &ctx, &err), err);
    cr_assert(((hexgpu_cuda_context *)ctx)->deterministic);
    return ctx;
}

Test(gpu_plans, a_bucket_is_planned_at_its_first_use_once_per_context) {
    HEXGPU_GPU_REQUIRE();
    hexgpu_network net;
    hexgpu_cuda_context *c = open_context(&net, 300);
    cr_assert_eq(c->bucket_count, 10);
    for (int b = 0; b < c->bucket_count; b++) cr_assert(!c->planned[b], "bucket %d planned at creation", c->buckets[b]);
    hexgpu_cuda_slot *a = new_slot(c), *other = new_slot(c);
    cr_assert_eq(a->workspace_bytes, 0, "no workspace before the first bucket");
    hexgpu_position pos[3];
    hexgpu_position_random_batch(pos, 3, 13, 17);
    static answers first, second;
    run(a, pos, 3, 169, &first); /* bucket 4 */
    int four = hexgpu_cuda_bucket_for(c->buckets, c->bucket_count, 3);
    cr_assert_eq(c->buckets[four], 4);
    for (int b = 0; b < c->bucket_count; b++)
        cr_assert_eq(c->planned[b], b == four, "bucket %d: planned %d", c->buckets[b], c->planned[b]);
    int64_t plan_ns = c->plan_ns[four];
    cr_assert_gt(plan_ns, 0);
    cr_assert_geq(a->workspace_bytes, c->bucket_workspace[four]);
    cr_log_info("bucket 4 planned in %.1f ms, workspace %zu bytes", (double)plan_ns * 1e-6, c->bucket_workspace[four]);
    /* The second slot finds the plan made: same algorithms, same bits, no second plan. */
    run(other, pos, 3, 169, &second);
    cr_assert_eq(c->plan_ns[four], plan_ns, "planned twice");
    cr_assert(other->prepared[four]);
    assert_same(&first, &second, 3, 169, "second slot");
    hexgpu_backend_cuda.slot_destroy(a);
    hexgpu_backend_cuda.slot_destroy(other);
    hexgpu_backend_cuda.destroy(c);
    hexgpu_network_free(&net);
}

Test(gpu_plans, a_grown_workspace_prepares_the_slot_again_with_the_same_answers) {
    HEXGPU_GPU_REQUIRE();
    hexgpu_network net;
    hexgpu_cuda_context *c = open_context(&net, 256);
    hexgpu_cuda_slot *a = new_slot(c), *planner = new_slot(c);
    static hexgpu_position pos[256];
    hexgpu_position_random_batch(pos, 256, 13, 23);
    static answers before, after;
    int eight = hexgpu_cuda_bucket_for(c->buckets, c->bucket_count, 8), last = c->bucket_count - 1;
    run(a, pos, 8, 169, &before);
    cr_assert(a->prepared[eight]);
    run(planner, pos, 256, 169, NULL); /* plans bucket 256 */
    cr_assert(c->planned[last]);
    /* As if bucket 256 needed more than slot a holds (its plan is made, so this stays). */
    size_t held = a->workspace_bytes, need = 2 * held + ((size_t)4 << 20);
    c->bucket_workspace[last] = need;
    run(a, pos, 256, 169, NULL);
    cr_assert_geq(a->workspace_bytes, need);
    cr_assert(a->prepared[last]);
    cr_assert(!a->prepared[eight] && !a->graphs[eight], "bucket 8's graph points into the old workspace");
    /* The counters count the (slot, bucket) pairs as they stand. */
    uint64_t graphs = 0;
    for (int b = 0; b < c->bucket_count; b++) graphs += (a->graphs[b] != NULL) + (planner->graphs[b] != NULL);
    hexgpu_backend_counters counters;
    hexgpu_backend_counters_read(&hexgpu_backend_cuda, c, &counters);
    cr_assert_eq(counters.graphs_captured, graphs);
    run(a, pos, 8, 169, &after); /* prepared again, in the new workspace */
    cr_assert(a->prepared[eight]);
    assert_same(&before, &after, 8, 169, "bucket 8 after the regrowth");
    hexgpu_backend_cuda.slot_destroy(a);
    hexgpu_backend_cuda.slot_destroy(planner);
    hexgpu_backend_cuda.destroy(c);
    hexgpu_network_free(&net);
}

/* A NaN bias in the input convolution: every activation after its ReLU is NaN on the
 * CPU backend (NaN stays NaN through ReLU, as in PyTorch), so the engine's finite-output
 * check fails the batch. The GPU must not turn it into 0 (cuDNN's NOT_PROPAGATE_NAN) and
 * answer plausibly. */
static void nan_through_relu(hexgpu_precision precision) {
    HEXGPU_GPU_REQUIRE();
    hexgpu_error err = {0};
    hexgpu_network net;
    HEXGPU_GPU_ASSERT_OK(hexgpu_gpu_test_fixture_network("tiny13", &net, &err), err);
    net.input_conv.bias[0] = NAN;
    hexgpu_position pos[4];
    hexgpu_position_random_batch(pos, 4, net.board_size, 31);
    hexgpu_gpu_test_outputs gpu, cpu;
    HEXGPU_GPU_ASSERT_OK(hexgpu_gpu_test_run(&hexgpu_backend_cuda, &net, precision, 4, pos, 4, &gpu, &err), err);
    HEXGPU_GPU_ASSERT_OK(hexgpu_gpu_test_run(&hexgpu_backend_cpu, &net, HEXGPU_PRECISION_FP32, 4, pos, 4, &cpu, &err),
                         err);
    size_t cells = (size_t)gpu.cells;
    for (size_t i = 0; i < 4 * cells; i++) {
        cr_assert(isnan(cpu.logits[i]), "the CPU backend propagates NaN: logit %zu is %g", i, cpu.logits[i]);
        cr_assert(isnan(gpu.logits[i]), "logit %zu of board %zu is %g: a ReLU turned NaN into a number", i % cells,
                  i / cells, gpu.logits[i]);
    }
    for (int b = 0; b < 4; b++) {
        cr_assert(isnan(cpu.value[b]));
        /* The value head's fc1 ReLU is a kernel of ours (kernels/cuda/value_head.cu). */
        cr_expect(isnan(gpu.value[b]), "value of board %d is %g: the value head's ReLU turned NaN into a number", b,
                  gpu.value[b]);
    }
    hexgpu_gpu_test_outputs_free(&gpu);
    hexgpu_gpu_test_outputs_free(&cpu);
    hexgpu_network_free(&net);
}

Test(gpu_plans, nan_goes_through_relu_fp32) { nan_through_relu(HEXGPU_PRECISION_FP32); }
Test(gpu_plans, nan_goes_through_relu_fp16) { nan_through_relu(HEXGPU_PRECISION_FP16); }
