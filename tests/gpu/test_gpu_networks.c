/* The CUDA backend on seeded random networks of other shapes: the full-size reference
 * network (fp16 vs fp32 at the largest bucket, fp32 vs the CPU backend), and small
 * networks on 1x1, 2x2, 11x11 and 19x19 boards with the edge positions (empty board, one
 * legal cell). */
#include <stdlib.h>

#include "gpu/gpu_support.h"

TestSuite(gpu_networks);

Test(gpu_networks, full_size_fp16_close_to_fp32) {
    HEXGPU_GPU_REQUIRE();
    hexgpu_layout_dims dims = hexgpu_layout_full_size();
    hexgpu_error err = {0};
    hexgpu_network net = {0};
    HEXGPU_GPU_ASSERT_OK(hexgpu_gpu_test_random_network(&dims, 2024, &net, &err), err);
    hexgpu_gpu_test_fp16_vs_fp32(&net, 4096, 4096, 11);
    hexgpu_network_free(&net);
}

/* fp32 GPU vs CPU on random positions plus the empty board and a board with one legal
 * cell (written first and last so they fall into different batch rows). */
static void fp32_matches_cpu(const hexgpu_layout_dims *dims, size_t count, uint64_t seed) {
    hexgpu_error err = {0};
    hexgpu_network net = {0};
    HEXGPU_GPU_ASSERT_OK(hexgpu_gpu_test_random_network(dims, seed, &net, &err), err);
    int n = dims->board_size, cells = n * n;
    hexgpu_position *pos = calloc(count, sizeof *pos);
    hexgpu_position_random_batch(pos, count, n, seed + 1);
    hexgpu_position_init(&pos[0], n);
    hexgpu_position *last = &pos[count - 1];
    hexgpu_position_init(last, n);
    for (int i = 0; i < cells - 1; i++) ((i % 2) ? last->red : last->blue)[i / 64] |= 1ull << (i % 64);
    last->to_move = (cells - 1) % 2 == 0 ? HEXGPU_BLUE : HEXGPU_RED;

    hexgpu_gpu_test_outputs gpu, cpu;
    HEXGPU_GPU_ASSERT_OK(hexgpu_gpu_test_run(&hexgpu_backend_cpu, &net, HEXGPU_PRECISION_FP32, 64, pos, count, &cpu, &err),
                         err);
    HEXGPU_GPU_ASSERT_OK(hexgpu_gpu_test_run(&hexgpu_backend_cuda, &net, HEXGPU_PRECISION_FP32, 100, pos, count, &gpu, &err),
                         err);
    double rel_err = hexgpu_gpu_test_logits_rel_err(&gpu, &cpu);
    double value_err = hexgpu_gpu_test_max_abs_diff(gpu.value, cpu.value, count);
    cr_log_info("%dx%d widths %d/%d/%d/%d/%d: fp32 GPU vs CPU logits rel %.2e, value abs %.2e", n, n, dims->widths[0],
                dims->widths[1], dims->widths[2], dims->widths[3], dims->widths[4], rel_err, value_err);
    cr_assert_lt(rel_err, 1e-4);
    cr_assert_lt(value_err, 1e-4);
    cr_assert_eq(gpu.policy[(count - 1) * (size_t)cells + (size_t)(cells - 1)], 1.0f, "the one legal cell");
    cr_assert_gt(hexgpu_gpu_test_max_abs(gpu.logits, count * (size_t)cells), 1e-4);
    hexgpu_gpu_test_outputs_free(&gpu);
    hexgpu_gpu_test_outputs_free(&cpu);
    free(pos);
    hexgpu_network_free(&net);
}

Test(gpu_networks, board_sizes_fp32_match_cpu) {
    HEXGPU_GPU_REQUIRE();
    const int sizes[] = {1, 2, 11, 19};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        hexgpu_layout_dims dims = {.board_size = sizes[i], .widths = {12, 12, 20, 28, 36}, .value_channels = 6,
                                   .value_hidden = 24};
        fp32_matches_cpu(&dims, 150, 300 + (uint64_t)i);
    }
}

Test(gpu_networks, board_sizes_fp16_close_to_fp32) {
    HEXGPU_GPU_REQUIRE();
    const int sizes[] = {11, 19};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        hexgpu_layout_dims dims = {.board_size = sizes[i], .widths = {32, 32, 64, 64, 128}, .value_channels = 16,
                                   .value_hidden = 64};
        hexgpu_error err = {0};
        hexgpu_network net = {0};
        HEXGPU_GPU_ASSERT_OK(hexgpu_gpu_test_random_network(&dims, 500 + (uint64_t)i, &net, &err), err);
        hexgpu_gpu_test_fp16_vs_fp32(&net, 2048, 512, 600 + (uint64_t)i);
        hexgpu_network_free(&net);
    }
}

Test(gpu_networks, full_size_fp32_matches_cpu) {
    HEXGPU_GPU_REQUIRE();
    hexgpu_layout_dims dims = hexgpu_layout_full_size();
    fp32_matches_cpu(&dims, 48, 77);
}
