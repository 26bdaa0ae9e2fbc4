/* GPU test support (see gpu_support.h). */
#include "gpu/gpu_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "check/accuracy.h"
#include "model/model_file.h"
#include "base/rng.h"
#include "base/status.h"
#include "support/fixtures.h"

float hexgpu_gpu_test_uniform(uint64_t *state, float lo, float hi) {
    return hexgpu_splitmix64_uniform(state, lo, hi);
}

hexgpu_status hexgpu_gpu_test_fixture_network(const char *name, hexgpu_network *net, hexgpu_error *err) {
    char relative[256];
    snprintf(relative, sizeof relative, "%s/model.safetensors", name);
    hexgpu_tensor_map map = {0};
    hexgpu_status st = hexgpu_model_file_load(hexgpu_test_fixture_path(relative), &map, NULL, err);
    if (st == HEXGPU_OK) st = hexgpu_network_build(&map, net, err);
    hexgpu_tensor_map_free(&map);
    return st;
}

hexgpu_status hexgpu_gpu_test_random_network(const hexgpu_layout_dims *dims, uint64_t seed, hexgpu_network *net,
                                             hexgpu_error *err) {
    hexgpu_tensor_map map = {0};
    hexgpu_status st = hexgpu_layout_random_model(dims, seed, 1, &map, err);
    if (st == HEXGPU_OK) st = hexgpu_network_build(&map, net, err);
    hexgpu_tensor_map_free(&map);
    return st;
}

hexgpu_status hexgpu_gpu_test_run(const hexgpu_backend_ops *ops, const hexgpu_network *net, hexgpu_precision precision,
                                  int max_batch, const hexgpu_position *positions, size_t count,
                                  hexgpu_gpu_test_outputs *out, hexgpu_error *err) {
    memset(out, 0, sizeof *out);
    out->count = count;
    out->cells = net->board_size * net->board_size;
    size_t cells = (size_t)out->cells;
    out->policy = calloc(count * cells, sizeof(float));
    out->logits = calloc(count * cells, sizeof(float));
    out->value = calloc(count, sizeof(float));
    if (!out->policy || !out->logits || !out->value)
        return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "test outputs for %zu boards", count);
    hexgpu_backend_config config = {.device = 0, .precision = precision, .max_batch = max_batch, .threads = 0};
    void *ctx = NULL, *slot = NULL;
    hexgpu_status st = ops->create(net, &config, &ctx, err);
    if (st == HEXGPU_OK) st = ops->slot_create(ctx, &slot, err);
    if (st == HEXGPU_OK)
        st = hexgpu_backend_evaluate(ops, slot, max_batch, net->board_size, positions, count, out->policy,
                                     out->logits, out->value, err);
    if (slot) ops->slot_destroy(slot);
    if (ctx) ops->destroy(ctx);
    return st;
}

void hexgpu_gpu_test_outputs_free(hexgpu_gpu_test_outputs *out) {
    free(out->policy);
    free(out->logits);
    free(out->value);
    memset(out, 0, sizeof *out);
}

double hexgpu_gpu_test_logits_rel_err(const hexgpu_gpu_test_outputs *a, const hexgpu_gpu_test_outputs *ref) {
    double worst = 0.0;
    size_t cells = (size_t)ref->cells;
    for (size_t b = 0; b < ref->count; b++)
        worst = fmax(worst, hexgpu_accuracy_logits_error(a->logits + b * cells, ref->logits + b * cells, ref->cells));
    return worst;
}

double hexgpu_gpu_test_max_abs_diff(const float *a, const float *b, size_t count) {
    double worst = 0.0;
    for (size_t i = 0; i < count; i++) worst = fmax(worst, fabs((double)a[i] - (double)b[i]));
    return worst;
}

double hexgpu_gpu_test_same_best(const hexgpu_gpu_test_outputs *a, const hexgpu_gpu_test_outputs *ref,
                                 double tie_tol) {
    size_t cells = (size_t)ref->cells, same = 0;
    for (size_t b = 0; b < ref->count; b++)
        same += (size_t)hexgpu_accuracy_same_best(a->policy + b * cells, ref->policy + b * cells, ref->cells, tie_tol);
    return ref->count ? (double)same / (double)ref->count : 1.0;
}

double hexgpu_gpu_test_max_abs(const float *x, size_t count) {
    double worst = 0.0;
    for (size_t i = 0; i < count; i++) worst = fmax(worst, fabs((double)x[i]));
    return worst;
}

/* fp16 against fp32 on the same GPU: the accuracy targets of spec/performance.md. */
void hexgpu_gpu_test_fp16_vs_fp32(const hexgpu_network *net, size_t count, int max_batch, uint64_t seed) {
    hexgpu_error err = {0};
    hexgpu_position *pos = calloc(count, sizeof *pos);
    hexgpu_position_random_batch(pos, count, net->board_size, seed);
    hexgpu_gpu_test_outputs half, full;
    HEXGPU_GPU_ASSERT_OK(hexgpu_gpu_test_run(&hexgpu_backend_cuda, net, HEXGPU_PRECISION_FP32, max_batch, pos, count,
                                             &full, &err),
                         err);
    HEXGPU_GPU_ASSERT_OK(hexgpu_gpu_test_run(&hexgpu_backend_cuda, net, HEXGPU_PRECISION_FP16, max_batch, pos, count,
                                             &half, &err),
                         err);
    double rel_err = hexgpu_gpu_test_logits_rel_err(&half, &full);
    double value_err = hexgpu_gpu_test_max_abs_diff(half.value, full.value, count);
    double exact = hexgpu_gpu_test_same_best(&half, &full, 0.0), near = hexgpu_gpu_test_same_best(&half, &full, 1e-3);
    cr_log_info("fp16 vs fp32, %dx%d, %zu positions: logits rel %.2e, value abs %.2e, same best move %.4f "
                "(%.4f counting ties within 1e-3)",
                net->board_size, net->board_size, count, rel_err, value_err, exact, near);
    cr_assert_leq(rel_err, 2e-3, "policy logits relative error %g", rel_err);
    cr_assert_leq(value_err, 2e-3, "value error %g", value_err);
    cr_assert_geq(near, 0.995, "same best move on %.4f of positions (%.4f exactly)", near, exact);
    cr_assert_gt(hexgpu_gpu_test_max_abs(full.value, count), 1e-3, "values are not all zero");
    hexgpu_gpu_test_outputs_free(&half);
    hexgpu_gpu_test_outputs_free(&full);
    free(pos);
}
