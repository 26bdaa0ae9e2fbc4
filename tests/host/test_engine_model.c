/* The engine opened from model files on the CPU backend: the golden PyTorch outputs
 * through the whole path (reader, network, backend, scheduler, cache), and the errors
 * of files that are missing or no model. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check/golden.h"
#include "model/model_file.h"
#include "model/export/safetensors_write.h"
#include "support/fixtures.h"

static void golden_through_engine(const char *dir, size_t cache) {
    char model[4096], golden_path[4096];
    snprintf(model, sizeof model, "%s", hexgpu_test_fixture_path(dir));
    strcat(model, "/model.safetensors");
    snprintf(golden_path, sizeof golden_path, "%s/golden.jsonl", hexgpu_test_fixture_path(dir));
    hexgpu_golden g;
    hexgpu_error err;
    cr_assert_eq(hexgpu_golden_load(golden_path, &g, &err), HEXGPU_OK, "%s", err.message);
    hexgpu_engine_options o;
    hexgpu_engine_options_default(&o);
    o.backend = HEXGPU_BACKEND_CPU;
    o.cache_entries = cache;
    o.max_batch = 7; /* several batches, one partial */
    hexgpu_engine *e;
    cr_assert_eq(hexgpu_engine_open(model, &o, &e, &err), HEXGPU_OK, "%s", err.message);
    cr_assert_eq(hexgpu_engine_board_size(e), g.board_size);
    cr_assert_str_eq(hexgpu_engine_backend_name(e), "cpu");
    size_t n = g.count, cells = (size_t)g.board_size * (size_t)g.board_size;
    hexgpu_position *pos = malloc(n * sizeof *pos);
    for (size_t i = 0; i < n; i++) pos[i] = g.items[i].position;
    float *value = malloc(n * sizeof(float)), *policy = malloc(n * cells * sizeof(float)),
          *logits = malloc(n * cells * sizeof(float));
    for (int round = 0; round < 2; round++) { /* the second round comes from the cache when there is one */
        memset(logits, 0, n * cells * sizeof(float));
        cr_assert_eq(hexgpu_engine_evaluate(e, pos, n, value, policy, logits, &err), HEXGPU_OK, "%s", err.message);
        for (size_t i = 0; i < n; i++) {
            cr_assert(fabsf(value[i] - g.items[i].value) <= 1e-5f, "%s: value %g, PyTorch %g", g.items[i].trmph,
                      value[i], g.items[i].value);
            float top = -INFINITY;
            for (size_t c = 0; c < cells; c++) {
                float want = g.items[i].policy_logits[c], got = logits[i * cells + c];
                cr_assert(fabsf(got - want) <= 1e-5f * fmaxf(1.0f, fabsf(want)), "%s cell %zu: %g vs %g",
                          g.items[i].trmph, c, got, want);
                if (hexgpu_position_at(&pos[i], (int)c) == HEXGPU_NONE && want > top) top = want;
            }
            /* policy = softmax of the logits over the empty cells */
            double sum = 0.0;
            for (size_t c = 0; c < cells; c++)
                if (hexgpu_position_at(&pos[i], (int)c) == HEXGPU_NONE) sum += exp(g.items[i].policy_logits[c] - top);
            for (size_t c = 0; c < cells; c++) {
                int empty = hexgpu_position_at(&pos[i], (int)c) == HEXGPU_NONE;
                double want = empty ? exp(g.items[i].policy_logits[c] - top) / sum : 0.0;
                cr_assert(fabs(policy[i * cells + c] - want) <= 1e-5, "%s cell %zu: policy %g vs %g", g.items[i].trmph,
                          c, policy[i * cells + c], want);
            }
        }
    }
    hexgpu_engine_stats s;
    hexgpu_engine_stats_read(e, &s);
    cr_assert_eq(s.requests, 2 * n);
    cr_assert_eq(s.evaluated, cache ? n : 2 * n);
    cr_assert_eq(s.cache_hits, cache ? n : 0);
    free(pos), free(value), free(policy), free(logits);
    hexgpu_golden_free(&g);
    hexgpu_engine_close(e);
}

Test(host_model, tiny13_golden_through_the_engine, .timeout = 120) { golden_through_engine("tiny13", 0); }
Test(host_model, tiny11_golden_through_the_engine_and_cache, .timeout = 120) { golden_through_engine("tiny11", 1000); }

Test(host_model, missing_and_malformed_files_are_refused) {
    hexgpu_engine *e = (hexgpu_engine *)1;
    hexgpu_error err;
    hexgpu_engine_options o;
    hexgpu_engine_options_default(&o);
    o.backend = HEXGPU_BACKEND_CPU;
    cr_assert_eq(hexgpu_engine_open("/nonexistent/x.safetensors", &o, &e, &err), HEXGPU_ERR_INVALID_ARGUMENT);
    cr_assert_null(e);
    cr_assert(strstr(err.message, "/nonexistent/x.safetensors"), "%s", err.message);
    cr_assert_eq(hexgpu_engine_open(hexgpu_test_fixture_path("README.md"), &o, &e, &err), HEXGPU_ERR_MODEL_FORMAT);
    cr_assert_null(e);
    o.slots = 0;
    cr_assert_eq(hexgpu_engine_open(hexgpu_test_fixture_path("tiny13/model.safetensors"), &o, &e, &err),
                 HEXGPU_ERR_INVALID_ARGUMENT);
}

/* Finite but huge weights load and build, then overflow: the batch fails, naming the
 * model, the output and the position, and no caller ever receives an inf or a nan. */
Test(host_model, non_finite_outputs_fail_their_batch, .timeout = 120) {
    hexgpu_tensor_map map = {0};
    hexgpu_error err;
    cr_assert_eq(hexgpu_model_file_load(hexgpu_test_fixture_path("tiny13/model.safetensors"), &map, NULL, &err),
                 HEXGPU_OK, "%s", err.message);
    hexgpu_tensor *w = (hexgpu_tensor *)hexgpu_tensor_map_find(&map, "policy_head.weight");
    for (int64_t i = 0; i < w->numel; i++) w->data[i] = i % 2 ? 3e38f : -3e38f;
    char path[] = "/tmp/hexgpu_huge_XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    cr_assert_eq(hexgpu_safetensors_write(path, &map, NULL, 0, &err), HEXGPU_OK, "%s", err.message);
    hexgpu_tensor_map_free(&map);
    for (int cache = 0; cache < 2; cache++) {
        hexgpu_engine_options o;
        hexgpu_engine_options_default(&o);
        o.backend = HEXGPU_BACKEND_CPU;
        o.cache_entries = cache ? 100 : 0;
        hexgpu_engine *e;
        cr_assert_eq(hexgpu_engine_open(path, &o, &e, &err), HEXGPU_OK, "%s", err.message);
        hexgpu_position p[2];
        hexgpu_position_init(&p[0], 13);
        hexgpu_position_init(&p[1], 13);
        p[1].blue[0] = 1, p[1].to_move = HEXGPU_RED;
        float value[2] = {7, 7}, policy[2 * 169];
        for (int round = 0; round < 2; round++) { /* nothing reached the cache */
            cr_assert_eq(hexgpu_engine_evaluate(e, p, 2, value, policy, NULL, &err), HEXGPU_ERR_MODEL_FORMAT);
            cr_assert(strstr(err.message, path) && strstr(err.message, "non-finite output") &&
                          strstr(err.message, "of position 0 of the batch"),
                      "%s", err.message);
        }
        cr_assert(value[0] == 7 && value[1] == 7, "a failed batch wrote its values");
        hexgpu_engine_close(e);
    }
    unlink(path);
}
