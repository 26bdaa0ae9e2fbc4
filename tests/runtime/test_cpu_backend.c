/* The CPU backend against PyTorch's golden outputs (every fixture position, every model
 * file form), against the direct double-precision reference (check/reference_forward.c)
 * on networks of other sizes, and the softmax and batching invariants. */
#include <criterion/criterion.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/backend.h"
#include "runtime/cpu/cpu_ops.h"
#include "model/model_file.h"
#include "model/network.h"
#include "check/position_random.h"
#include "check/reference_forward.h"
#include "model/reference_layout.h"
#include "check/golden.h"
#include "support/fixtures.h"

typedef struct cpu_run {
    hexgpu_network net;
    void *ctx, *slot;
    int max_batch;
} cpu_run;

static void run_open(const hexgpu_tensor_map *map, int max_batch, cpu_run *run) {
    hexgpu_error err;
    cr_assert_eq(hexgpu_network_build(map, &run->net, &err), HEXGPU_OK, "%s", err.message);
    hexgpu_backend_config config = {.precision = HEXGPU_PRECISION_FP32, .max_batch = max_batch};
    cr_assert_eq(hexgpu_backend_cpu.create(&run->net, &config, &run->ctx, &err), HEXGPU_OK, "%s", err.message);
    cr_assert_eq(hexgpu_backend_cpu.slot_create(run->ctx, &run->slot, &err), HEXGPU_OK, "%s", err.message);
    run->max_batch = max_batch;
}

static void run_close(cpu_run *run) {
    hexgpu_backend_cpu.slot_destroy(run->slot);
    hexgpu_backend_cpu.destroy(run->ctx);
    hexgpu_network_free(&run->net);
}

static void run_eval(cpu_run *run, const hexgpu_position *pos, size_t count, float *policy, float *logits,
                     float *value) {
    hexgpu_error err;
    cr_assert_eq(hexgpu_backend_evaluate(&hexgpu_backend_cpu, run->slot, run->max_batch, run->net.board_size, pos,
                                         count, policy, logits, value, &err),
                 HEXGPU_OK, "%s", err.message);
}

static double rel_error(const float *got, const float *want, int n) {
    double diff = 0, ref = 0;
    for (int i = 0; i < n; i++) {
        diff += ((double)got[i] - want[i]) * ((double)got[i] - want[i]);
        ref += (double)want[i] * want[i];
    }
    return sqrt(diff) / sqrt(ref);
}

/* Probabilities: 0 exactly on occupied cells, positive on empty ones, summing to 1. */
static void check_policy(const hexgpu_position *pos, const float *policy) {
    int cells = pos->size * pos->size, empty = 0;
    double sum = 0;
    for (int i = 0; i < cells; i++) {
        if (hexgpu_position_at(pos, i) != HEXGPU_NONE) cr_assert_eq(policy[i], 0.0f, "occupied cell %d", i);
        else {
            cr_assert(policy[i] > 0.0f, "empty cell %d has probability %g", i, policy[i]);
            empty++;
        }
        sum += policy[i];
    }
    if (empty) cr_assert(fabs(sum - 1.0) < 1e-5, "sum %.8f", sum);
}

static void check_golden(const char *folder, const char *file) {
    char path[4096], golden_path[4096], relative[256];
    snprintf(relative, sizeof relative, "%s/golden.jsonl", folder);
    snprintf(golden_path, sizeof golden_path, "%s", hexgpu_test_fixture_path(relative));
    snprintf(relative, sizeof relative, "%s/%s", folder, file);
    snprintf(path, sizeof path, "%s", hexgpu_test_fixture_path(relative));
    hexgpu_golden golden;
    hexgpu_tensor_map map = {0};
    hexgpu_error err;
    cr_assert_eq(hexgpu_golden_load(golden_path, &golden, &err), HEXGPU_OK, "%s", err.message);
    cr_assert_eq(hexgpu_model_file_load(path, &map, NULL, &err), HEXGPU_OK, "%s", err.message);
    cpu_run run;
    run_open(&map, 16, &run); /* 16 < positions: evaluate crosses chunk boundaries */
    cr_assert_eq(run.net.board_size, golden.board_size);
    int cells = golden.board_size * golden.board_size;
    hexgpu_position *pos = malloc(golden.count * sizeof *pos);
    float *policy = malloc(golden.count * cells * sizeof(float));
    float *logits = malloc(golden.count * cells * sizeof(float));
    float *value = malloc(golden.count * sizeof(float));
    for (size_t i = 0; i < golden.count; i++) pos[i] = golden.items[i].position;
    run_eval(&run, pos, golden.count, policy, logits, value);
    for (size_t i = 0; i < golden.count; i++) {
        const hexgpu_golden_entry *e = &golden.items[i];
        double rel = rel_error(logits + i * cells, e->policy_logits, cells);
        cr_assert(rel <= 1e-5, "%s %s: logits relative error %.3g", file, e->trmph, rel);
        cr_assert(fabsf(value[i] - e->value) <= 1e-5f, "%s %s: value %.8f, PyTorch %.8f", file, e->trmph, value[i],
                  e->value);
        check_policy(&pos[i], policy + i * cells);
    }
    /* Each position alone gives exactly what it gave inside the batch. */
    for (size_t i = 0; i < golden.count; i++) {
        float one_policy[HEXGPU_MAX_CELLS], one_logits[HEXGPU_MAX_CELLS], one_value;
        run_eval(&run, &pos[i], 1, one_policy, one_logits, &one_value);
        cr_assert(memcmp(one_logits, logits + i * cells, cells * sizeof(float)) == 0, "%s: logits differ alone",
                  golden.items[i].trmph);
        cr_assert(memcmp(one_policy, policy + i * cells, cells * sizeof(float)) == 0);
        cr_assert_eq(one_value, value[i]);
    }
    free(pos), free(policy), free(logits), free(value);
    run_close(&run);
    hexgpu_tensor_map_free(&map);
    hexgpu_golden_free(&golden);
}

Test(cpu_backend, golden_tiny13_every_file_form) {
    const char *forms[] = {"model.safetensors", "state_dict.pt", "checkpoint.pt", "checkpoint.pt.gz"};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) check_golden("tiny13", forms[i]);
}

Test(cpu_backend, golden_tiny11_every_file_form) {
    const char *forms[] = {"model.safetensors", "state_dict.pt", "checkpoint.pt", "checkpoint.pt.gz"};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) check_golden("tiny11", forms[i]);
}

/* ------------------------------------------------------------ direct reference */

/* The direct reference (check/reference_forward.c) on one position. */
static void reference(const hexgpu_network *net, const hexgpu_position *pos, float *logits, float *value) {
    double *workspace = malloc(hexgpu_reference_workspace_size(net));
    cr_assert_not_null(workspace);
    hexgpu_reference_forward(net, pos, workspace, logits, NULL, value);
    free(workspace);
}

static void check_against_reference(hexgpu_layout_dims dims, int count) {
    hexgpu_tensor_map map = {0};
    hexgpu_error err;
    cr_assert_eq(hexgpu_layout_random_model(&dims, 42, 1, &map, &err), HEXGPU_OK, "%s", err.message);
    cpu_run run;
    run_open(&map, count, &run);
    int cells = dims.board_size * dims.board_size;
    hexgpu_position pos[16];
    for (int i = 0; i < count; i++) pos[i] = hexgpu_position_random(dims.board_size, (i * 7) % cells, 99 + (uint64_t)i);
    float *policy = malloc(count * cells * sizeof(float)), *logits = malloc(count * cells * sizeof(float));
    float value[16], want_logits[HEXGPU_MAX_CELLS], want_value;
    run_eval(&run, pos, count, policy, logits, value);
    for (int i = 0; i < count; i++) {
        reference(&run.net, &pos[i], want_logits, &want_value);
        double rel = rel_error(logits + i * cells, want_logits, cells);
        cr_assert(rel <= 1e-5, "n=%d position %d: logits relative error %.3g", dims.board_size, i, rel);
        cr_assert(fabsf(value[i] - want_value) <= 1e-5f, "value %.8f, reference %.8f", value[i], want_value);
        cr_assert(fabsf(want_value) > 1e-4f, "a value of 0 would hide a broken value head");
        check_policy(&pos[i], policy + i * cells);
    }
    free(policy), free(logits);
    run_close(&run);
    hexgpu_tensor_map_free(&map);
}

Test(cpu_backend, matches_direct_convolution_on_other_sizes) {
    check_against_reference((hexgpu_layout_dims){.board_size = 9, .widths = {8, 8, 16, 16, 24}, .value_channels = 4,
                                                 .value_hidden = 12},
                            12);
    /* C0 != C1 (layer1 shortcut), an odd 7x7 board (7 -> 4 -> 2 -> 1), a 1x1 board */
    check_against_reference((hexgpu_layout_dims){.board_size = 7, .widths = {5, 6, 7, 9, 10}, .value_channels = 3,
                                                 .value_hidden = 5},
                            9);
    check_against_reference((hexgpu_layout_dims){.board_size = 1, .widths = {4, 4, 4, 4, 4}, .value_channels = 2,
                                                 .value_hidden = 3},
                            1);
}

Test(cpu_backend, one_legal_cell_gets_probability_one) {
    hexgpu_layout_dims dims = {.board_size = 5, .widths = {4, 4, 8, 8, 8}, .value_channels = 2, .value_hidden = 4};
    hexgpu_tensor_map map = {0};
    hexgpu_error err;
    cr_assert_eq(hexgpu_layout_random_model(&dims, 5, 1, &map, &err), HEXGPU_OK, "%s", err.message);
    cpu_run run;
    run_open(&map, 4, &run);
    hexgpu_position pos[2] = {hexgpu_position_random(5, 24, 3), hexgpu_position_random(5, 25, 4)};
    float policy[2 * 25], logits[2 * 25], value[2];
    run_eval(&run, pos, 2, policy, logits, value);
    for (int i = 0; i < 25; i++) {
        int empty = hexgpu_position_at(&pos[0], i) == HEXGPU_NONE;
        cr_assert_eq(policy[i], empty ? 1.0f : 0.0f, "cell %d", i);
        cr_assert_eq(policy[25 + i], 0.0f, "a full board has no legal cell");
    }
    run_close(&run);
    hexgpu_tensor_map_free(&map);
}

Test(cpu_backend, contract_fp32_batch_limits_and_board_size) {
    hexgpu_layout_dims dims = {.board_size = 5, .widths = {4, 4, 8, 8, 8}, .value_channels = 2, .value_hidden = 4};
    hexgpu_tensor_map map = {0};
    hexgpu_error err;
    cr_assert_eq(hexgpu_layout_random_model(&dims, 5, 1, &map, &err), HEXGPU_OK, "%s", err.message);
    hexgpu_network net;
    cr_assert_eq(hexgpu_network_build(&map, &net, &err), HEXGPU_OK, "%s", err.message);
    char why[64] = "x";
    cr_assert_eq(hexgpu_backend_cpu.available(0, why, sizeof why), 1);
    hexgpu_backend_config config = {.precision = HEXGPU_PRECISION_FP16, .max_batch = 0};
    void *ctx, *slot;
    cr_assert_eq(hexgpu_backend_cpu.create(&net, &config, &ctx, &err), HEXGPU_ERR_INVALID_ARGUMENT);
    config.max_batch = 3;
    cr_assert_eq(hexgpu_backend_cpu.create(&net, &config, &ctx, &err), HEXGPU_OK, "%s", err.message);
    hexgpu_network_free(&net); /* the backend keeps its own copy of the weights */
    cr_assert_eq(hexgpu_backend_cpu.precision(ctx), HEXGPU_PRECISION_FP32);
    cr_assert_eq(hexgpu_backend_cpu.slot_create(ctx, &slot, &err), HEXGPU_OK, "%s", err.message);
    hexgpu_slot_buffers buf = hexgpu_backend_cpu.slot_buffers(slot);
    for (int i = 0; i < 3; i++) hexgpu_position_init(&buf.input[i], 5);
    cr_assert_eq(hexgpu_backend_cpu.slot_launch(slot, 4, 1, &err), HEXGPU_ERR_INVALID_ARGUMENT);
    cr_assert_str_eq(err.message, "cpu backend: batch 4 outside 1..3");
    cr_assert_eq(hexgpu_backend_cpu.slot_launch(slot, 0, 1, &err), HEXGPU_ERR_INVALID_ARGUMENT);
    hexgpu_position_init(&buf.input[1], 7);
    cr_assert_eq(hexgpu_backend_cpu.slot_launch(slot, 2, 1, &err), HEXGPU_ERR_INVALID_ARGUMENT);
    cr_assert_str_eq(err.message, "cpu backend: position 1 of the batch is 7x7, the network plays 5x5");
    hexgpu_position_init(&buf.input[1], 5);
    cr_assert_eq(hexgpu_backend_cpu.slot_launch(slot, 3, 1, &err), HEXGPU_OK, "%s", err.message);
    cr_assert_eq(hexgpu_backend_cpu.slot_wait(slot, &err), HEXGPU_OK);
    cr_assert_eq(buf.value[0], buf.value[2], "same position, same value");
    cr_assert(fabsf(buf.policy[0] - 1.0f / 25) < 0.5f && buf.policy[0] > 0.0f);
    hexgpu_backend_cpu.slot_destroy(slot);
    hexgpu_backend_cpu.destroy(ctx);
    hexgpu_tensor_map_free(&map);
}

/* Slots of one context launched from several threads at once (as the engine's slot
 * workers do) give exactly the sequential answers. */
typedef struct concurrent_job {
    void *slot;
    const hexgpu_position *pos;
    size_t count;
    float *logits, *value;
    hexgpu_status status;
} concurrent_job;

static void *concurrent_worker(void *arg) {
    concurrent_job *job = arg;
    hexgpu_error err;
    for (int round = 0; round < 3 && job->status == HEXGPU_OK; round++)
        job->status = hexgpu_backend_evaluate(&hexgpu_backend_cpu, job->slot, 8, 13, job->pos, job->count, NULL,
                                              job->logits, job->value, &err);
    return NULL;
}

Test(cpu_backend, concurrent_slots_give_the_sequential_answers) {
    hexgpu_golden golden;
    hexgpu_tensor_map map = {0};
    hexgpu_error err;
    cr_assert_eq(hexgpu_golden_load(hexgpu_test_fixture_path("tiny13/golden.jsonl"), &golden, &err), HEXGPU_OK, "%s",
                 err.message);
    cr_assert_eq(hexgpu_model_file_load(hexgpu_test_fixture_path("tiny13/model.safetensors"), &map, NULL, &err),
                 HEXGPU_OK, "%s", err.message);
    cpu_run run;
    run_open(&map, 8, &run);
    size_t count = golden.count, cells = 169;
    hexgpu_position *pos = malloc(count * sizeof *pos);
    for (size_t i = 0; i < count; i++) pos[i] = golden.items[i].position;
    float *want = malloc(count * cells * sizeof(float)), want_value[64];
    cr_assert(count <= 64);
    run_eval(&run, pos, count, NULL, want, want_value);
    enum { THREADS = 3 };
    concurrent_job jobs[THREADS];
    pthread_t threads[THREADS];
    for (int t = 0; t < THREADS; t++) {
        jobs[t] = (concurrent_job){.pos = pos, .count = count, .logits = malloc(count * cells * sizeof(float)),
                                   .value = malloc(count * sizeof(float))};
        cr_assert_eq(hexgpu_backend_cpu.slot_create(run.ctx, &jobs[t].slot, &err), HEXGPU_OK, "%s", err.message);
    }
    for (int t = 0; t < THREADS; t++) cr_assert_eq(pthread_create(&threads[t], NULL, concurrent_worker, &jobs[t]), 0);
    for (int t = 0; t < THREADS; t++) {
        pthread_join(threads[t], NULL);
        cr_assert_eq(jobs[t].status, HEXGPU_OK);
        cr_assert(memcmp(jobs[t].logits, want, count * cells * sizeof(float)) == 0, "thread %d logits differ", t);
        cr_assert(memcmp(jobs[t].value, want_value, count * sizeof(float)) == 0, "thread %d values differ", t);
        hexgpu_backend_cpu.slot_destroy(jobs[t].slot);
        free(jobs[t].logits), free(jobs[t].value);
    }
    free(pos), free(want);
    run_close(&run);
    hexgpu_tensor_map_free(&map);
    hexgpu_golden_free(&golden);
}

/* Neither the split of a batch over threads nor its size changes a bit: 40 boards in one
 * batch (ranges of boards on 2, 3 and 5 threads, at least 8 each; 7 threads share each
 * convolution instead) and in batches of 10 (which share each convolution on 2 or more
 * threads), against one batch of 40 on one thread. */
Test(cpu_backend, any_thread_split_gives_the_same_bits) {
    hexgpu_layout_dims dims = {.board_size = 9, .widths = {8, 8, 16, 16, 24}, .value_channels = 4, .value_hidden = 12};
    hexgpu_tensor_map map = {0};
    hexgpu_network net;
    hexgpu_error err;
    cr_assert_eq(hexgpu_layout_random_model(&dims, 8, 1, &map, &err), HEXGPU_OK, "%s", err.message);
    cr_assert_eq(hexgpu_network_build(&map, &net, &err), HEXGPU_OK, "%s", err.message);
    enum { COUNT = 40, CELLS = 81 };
    hexgpu_position pos[COUNT];
    for (int i = 0; i < COUNT; i++) pos[i] = hexgpu_position_random(9, i % 30, 17 + (uint64_t)i);
    static float want_logits[COUNT * CELLS], want_value[COUNT], want_policy[COUNT * CELLS];
    static float logits[COUNT * CELLS], value[COUNT], policy[COUNT * CELLS];
    const int threads[] = {1, 2, 3, 5, 7};
    for (int t = 0; t < 5; t++)
        for (int max_batch = COUNT; max_batch >= 10; max_batch -= COUNT - 10) {
            hexgpu_backend_config config = {.max_batch = max_batch, .threads = threads[t]};
            void *ctx, *slot;
            cr_assert_eq(hexgpu_backend_cpu.create(&net, &config, &ctx, &err), HEXGPU_OK, "%s", err.message);
            cr_assert_eq(hexgpu_backend_cpu.slot_create(ctx, &slot, &err), HEXGPU_OK, "%s", err.message);
            cr_assert_eq(hexgpu_backend_evaluate(&hexgpu_backend_cpu, slot, max_batch, 9, pos, COUNT, policy, logits,
                                                 value, &err),
                         HEXGPU_OK, "%s", err.message);
            if (t == 0 && max_batch == COUNT) {
                memcpy(want_logits, logits, sizeof logits), memcpy(want_value, value, sizeof value);
                memcpy(want_policy, policy, sizeof policy);
            } else {
                cr_assert(memcmp(logits, want_logits, sizeof logits) == 0, "%d threads, batches of %d: logits differ",
                          threads[t], max_batch);
                cr_assert(memcmp(policy, want_policy, sizeof policy) == 0, "%d threads: policy differs", threads[t]);
                cr_assert(memcmp(value, want_value, sizeof value) == 0, "%d threads: values differ", threads[t]);
            }
            hexgpu_backend_cpu.slot_destroy(slot);
            hexgpu_backend_cpu.destroy(ctx);
        }
    hexgpu_network_free(&net);
    hexgpu_tensor_map_free(&map);
}

static void assert_split(double macs, int panels, int rows, int helpers, int panel_parts, int row_parts) {
    hexgpu_cpu_conv_split split = hexgpu_cpu_conv_split_choose(macs, panels, rows, helpers);
    cr_assert(split.panel_parts == panel_parts && split.row_parts == row_parts,
              "%.0f multiply-adds, %d panels, %d rows, %d helpers: split %d x %d, expected %d x %d", macs, panels, rows,
              helpers, split.panel_parts, split.row_parts, panel_parts, row_parts);
}

/* How a lone board's convolutions are split: by panels first, then by rows of at least
 * 12 where there are fewer panels than threads, in parts of at least 125k
 * multiply-adds. */
Test(cpu_backend, lone_board_split_by_panels_then_rows) {
    assert_split(13.0 * 13 * 9 * 80 * 80, 3, 169, 1, 2, 1); /* layer1's conv2 takes the split */
    assert_split(7.0 * 7 * 9 * 96 * 96, 3, 49, 1, 2, 1);
    assert_split(7.0 * 7 * 9 * 96 * 96, 3, 49, 6, 3, 2);   /* 7 threads: 3 panels x 2 row ranges */
    assert_split(4.0 * 9 * 512 * 512, 16, 4, 6, 7, 1);     /* 4 rows: panels only */
    assert_split(13.0 * 13 * 9 * 64 * 64, 2, 169, 7, 2, 4); /* full size layer1, 8 threads: 2 x 4 */
    assert_split(13.0 * 13 * 9 * 64 * 64, 2, 169, 2, 1, 3); /* 3 threads: 3 row ranges beat 2 panels */
    assert_split(13.0 * 13 * 9 * 64 * 64, 2, 20, 7, 2, 1);  /* 20 rows: one range of 12 at most */
    assert_split(300000.0, 16, 4, 6, 2, 1);                 /* 2 parts of 125k at most */
    assert_split(100000.0, 16, 4, 6, 1, 1);                 /* too small to split */
    assert_split(1e9, 1, 1, 6, 1, 1);                       /* one panel, one row */
    assert_split(1e9, 2, 169, 0, 1, 1);                     /* no helper */
}

/* A lone board with two, five or eight threads splits its convolutions over the slot's
 * helper threads (80 channels: panels of 32 + 32 | 16; 96: 32 + 32 | 32): by panels on
 * two threads, by rows too on five (layer1: 5 row ranges) and eight (3 panels x 2 row
 * ranges); its answers are the bits of the same board inside a batch on one thread, and
 * within 1e-5 of the direct reference. */
Test(cpu_backend, lone_board_split_over_threads_gives_the_same_bits) {
    hexgpu_layout_dims dims = {.board_size = 13, .widths = {40, 80, 96, 96, 96}, .value_channels = 8,
                               .value_hidden = 16};
    assert_split(13.0 * 13 * 9 * 80 * 80, 3, 169, 4, 1, 5);
    assert_split(13.0 * 13 * 9 * 80 * 80, 3, 169, 7, 2, 4);
    hexgpu_tensor_map map = {0};
    hexgpu_network net;
    hexgpu_error err;
    cr_assert_eq(hexgpu_layout_random_model(&dims, 3, 1, &map, &err), HEXGPU_OK, "%s", err.message);
    cr_assert_eq(hexgpu_network_build(&map, &net, &err), HEXGPU_OK, "%s", err.message);
    enum { COUNT = 3, CELLS = 169 };
    hexgpu_position pos[COUNT];
    for (int i = 0; i < COUNT; i++) pos[i] = hexgpu_position_random(13, 11 * i, 5 + (uint64_t)i);
    float want_logits[COUNT * CELLS], want_policy[COUNT * CELLS], want_value[COUNT];
    const int threads[] = {1, 2, 5, 8};
    for (int t = 0; t < 4; t++) {
        /* t = 0: the whole batch on one thread; then each board alone on 2, 5 or 8 threads. */
        hexgpu_backend_config config = {.max_batch = t ? 1 : COUNT, .threads = threads[t]};
        void *ctx, *slot;
        cr_assert_eq(hexgpu_backend_cpu.create(&net, &config, &ctx, &err), HEXGPU_OK, "%s", err.message);
        cr_assert_eq(hexgpu_backend_cpu.slot_create(ctx, &slot, &err), HEXGPU_OK, "%s", err.message);
        for (int i = 0; i < (t ? COUNT : 1); i++) {
            int count = t ? 1 : COUNT;
            float logits[COUNT * CELLS], policy[COUNT * CELLS], value[COUNT];
            cr_assert_eq(hexgpu_backend_evaluate(&hexgpu_backend_cpu, slot, count, 13, pos + i, count, policy, logits,
                                                 value, &err),
                         HEXGPU_OK, "%s", err.message);
            if (!t) {
                memcpy(want_logits, logits, sizeof logits), memcpy(want_policy, policy, sizeof policy);
                memcpy(want_value, value, sizeof value);
                continue;
            }
            cr_assert(memcmp(logits, want_logits + i * CELLS, CELLS * sizeof(float)) == 0, "board %d, %d threads: logits",
                      i, config.threads);
            cr_assert(memcmp(policy, want_policy + i * CELLS, CELLS * sizeof(float)) == 0, "board %d: policy", i);
            cr_assert(memcmp(value, want_value + i, sizeof(float)) == 0, "board %d: value", i);
            float ref_logits[CELLS], ref_value;
            reference(&net, &pos[i], ref_logits, &ref_value);
            double rel = rel_error(logits, ref_logits, CELLS);
            cr_assert(rel <= 1e-5, "board %d: logits relative error %.3g", i, rel);
            cr_assert(fabsf(value[0] - ref_value) <= 1e-5f, "board %d: value %.8f, reference %.8f", i, value[0],
                      ref_value);
        }
        hexgpu_backend_cpu.slot_destroy(slot);
        hexgpu_backend_cpu.destroy(ctx);
    }
    hexgpu_network_free(&net);
    hexgpu_tensor_map_free(&map);
}

static void count_job(void *arg) { (*(int *)arg)++; }

/* Every job handed to the helper runs exactly once, whether the helper runs it or the
 * waiting caller takes it back (both happen over many hand-overs on a busy machine). */
Test(cpu_backend, helper_runs_every_job_exactly_once) {
    hexgpu_cpu_helper *helper = hexgpu_cpu_helper_start();
    cr_assert_not_null(helper);
    int counts[2000] = {0}, own[2000] = {0};
    for (int i = 0; i < 2000; i++) {
        hexgpu_cpu_helper_post(helper, count_job, &counts[i]);
        /* The caller's own share, as a split convolution does (its own counter: the
         * helper may be running the posted job at the same time). */
        if (i % 2) count_job(&own[i]);
        hexgpu_cpu_helper_wait(helper);
        cr_assert_eq(counts[i], 1, "job %d ran %d times", i, counts[i]);
        cr_assert_eq(own[i], i % 2, "the caller's share of job %d ran %d times", i, own[i]);
    }
    hexgpu_cpu_helper_stop(helper);
}
