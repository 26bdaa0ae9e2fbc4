/* The CUDA backend on the golden fixtures: fp32 against PyTorch's outputs and against the
 * CPU backend (1e-4 relative), fp16 against fp32 on thousands of random positions (tiny11's
 * widths are not multiples of 8, so the fp16 channel padding is exercised). */
#include <stdio.h>
#include <stdlib.h>

#include "gpu/gpu_support.h"
#include "check/golden.h"
#include "support/fixtures.h"

TestSuite(gpu_fixtures, .init = NULL);

static void fp32_matches_golden(const char *name) {
    HEXGPU_GPU_REQUIRE();
    hexgpu_error err = {0};
    hexgpu_network net = {0};
    hexgpu_golden golden = {0};
    char rel[256];
    snprintf(rel, sizeof rel, "%s/golden.jsonl", name);
    HEXGPU_GPU_ASSERT_OK(hexgpu_gpu_test_fixture_network(name, &net, &err), err);
    HEXGPU_GPU_ASSERT_OK(hexgpu_golden_load(hexgpu_test_fixture_path(rel), &golden, &err), err);
    cr_assert_gt(golden.count, 1);
    hexgpu_position *pos = calloc(golden.count, sizeof *pos);
    for (size_t i = 0; i < golden.count; i++) pos[i] = golden.items[i].position;
    hexgpu_gpu_test_outputs gpu, ref = {.count = golden.count, .cells = net.board_size * net.board_size};
    ref.logits = calloc(golden.count * (size_t)ref.cells, sizeof(float));
    ref.value = calloc(golden.count, sizeof(float));
    for (size_t i = 0; i < golden.count; i++) {
        memcpy(ref.logits + i * (size_t)ref.cells, golden.items[i].policy_logits, (size_t)ref.cells * sizeof(float));
        ref.value[i] = golden.items[i].value;
    }
    HEXGPU_GPU_ASSERT_OK(hexgpu_gpu_test_run(&hexgpu_backend_cuda, &net, HEXGPU_PRECISION_FP32, 64, pos, golden.count,
                                             &gpu, &err),
                         err);
    double rel_err = hexgpu_gpu_test_logits_rel_err(&gpu, &ref);
    double value_err = hexgpu_gpu_test_max_abs_diff(gpu.value, ref.value, golden.count);
    cr_log_info("%s fp32 vs PyTorch: logits rel %.2e, value abs %.2e over %zu positions", name, rel_err, value_err,
                golden.count);
    cr_assert_lt(rel_err, 1e-4, "%s: logits relative error %g", name, rel_err);
    cr_assert_lt(value_err, 1e-4, "%s: value error %g", name, value_err);
    cr_assert_gt(hexgpu_gpu_test_max_abs(gpu.logits, golden.count * (size_t)ref.cells), 1e-3);
    hexgpu_gpu_test_outputs_free(&gpu);
    free(ref.logits), free(ref.value), free(pos);
    hexgpu_golden_free(&golden);
    hexgpu_network_free(&net);
}

Test(gpu_fixtures, fp32_matches_pytorch_tiny13) { fp32_matches_golden("tiny13"); }
Test(gpu_fixtures, fp32_matches_pytorch_tiny11) { fp32_matches_golden("tiny11"); }

static void fp32_matches_cpu(const char *name) {
    HEXGPU_GPU_REQUIRE();
    enum { COUNT = 777 };
    hexgpu_error err = {0};
    hexgpu_network net = {0};
    HEXGPU_GPU_ASSERT_OK(hexgpu_gpu_test_fixture_network(name, &net, &err), err);
    hexgpu_position *pos = calloc(COUNT, sizeof *pos);
    hexgpu_position_random_batch(pos, COUNT, net.board_size, 42);
    hexgpu_gpu_test_outputs gpu, cpu;
    HEXGPU_GPU_ASSERT_OK(hexgpu_gpu_test_run(&hexgpu_backend_cpu, &net, HEXGPU_PRECISION_FP32, 128, pos, COUNT, &cpu, &err),
                         err);
    HEXGPU_GPU_ASSERT_OK(hexgpu_gpu_test_run(&hexgpu_backend_cuda, &net, HEXGPU_PRECISION_FP32, 256, pos, COUNT, &gpu, &err),
                         err);
    size_t cells = (size_t)gpu.cells;
    double rel_err = hexgpu_gpu_test_logits_rel_err(&gpu, &cpu);
    double value_err = hexgpu_gpu_test_max_abs_diff(gpu.value, cpu.value, COUNT);
    double policy_err = hexgpu_gpu_test_max_abs_diff(gpu.policy, cpu.policy, COUNT * cells);
    cr_log_info("%s fp32 GPU vs CPU: logits rel %.2e, policy abs %.2e, value abs %.2e", name, rel_err, policy_err,
                value_err);
    cr_assert_lt(rel_err, 1e-4);
    cr_assert_lt(value_err, 1e-4);
    cr_assert_lt(policy_err, 5e-5);
    for (size_t b = 0; b < COUNT; b++)
        for (size_t i = 0; i < cells; i++)
            if (hexgpu_position_at(&pos[b], (int)i) != HEXGPU_NONE)
                cr_assert_eq(gpu.policy[b * cells + i], 0.0f, "board %zu cell %zu is occupied", b, i);
    hexgpu_gpu_test_outputs_free(&gpu);
    hexgpu_gpu_test_outputs_free(&cpu);
    free(pos);
    hexgpu_network_free(&net);
}

Test(gpu_fixtures, fp32_matches_cpu_backend_tiny13) { fp32_matches_cpu("tiny13"); }
Test(gpu_fixtures, fp32_matches_cpu_backend_tiny11) { fp32_matches_cpu("tiny11"); }

static void fp16_close_to_fp32(const char *name) {
    HEXGPU_GPU_REQUIRE();
    hexgpu_error err = {0};
    hexgpu_network net = {0};
    HEXGPU_GPU_ASSERT_OK(hexgpu_gpu_test_fixture_network(name, &net, &err), err);
    hexgpu_gpu_test_fp16_vs_fp32(&net, 4096, 1024, 7);
    hexgpu_network_free(&net);
}

Test(gpu_fixtures, fp16_close_to_fp32_tiny13) { fp16_close_to_fp32("tiny13"); }
Test(gpu_fixtures, fp16_close_to_fp32_tiny11) { fp16_close_to_fp32("tiny11"); }
