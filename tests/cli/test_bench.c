/* hexgpu bench: one JSON object per batch size with real figures, the chosen backend on
 * stderr, and usage errors. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "support/fixtures.h"
#include "support/run_cli.h"

Test(cli_bench, json_line_per_batch_size) {
    char model[4096];
    snprintf(model, sizeof model, "%s", hexgpu_test_fixture_path("tiny11/model.safetensors"));
    const char *argv[] = {"bench", "--model", model, "--backend", "cpu", "--batch", "1,5", "--seconds", "0.05",
                          "--repeats", "3", "--threads", "2", "--json", NULL};
    hexgpu_cli_result r;
    cr_assert_eq(hexgpu_cli_run(argv, NULL, &r), 0);
    cr_assert_eq(r.exit_code, 0, "stderr: %s", r.err);
    cr_assert(strstr(r.err, "bench: backend cpu (asked for)"), "stderr: %s", r.err);
    const int batches[] = {1, 5};
    double first_create_ms = 0;
    char *line = r.out;
    for (int i = 0; i < 2; i++) {
        char *end = strchr(line, '\n');
        cr_assert_not_null(end, "stdout: %s", r.out);
        hexgpu_json obj;
        hexgpu_error err;
        cr_assert_eq(hexgpu_json_parse(line, (size_t)(end - line), &obj, &err), HEXGPU_OK, "%s", err.message);
        cr_assert_str_eq(hexgpu_json_get(&obj, "backend")->string, "cpu");
        cr_assert_str_eq(hexgpu_json_get(&obj, "precision")->string, "fp32");
        cr_assert(strstr(hexgpu_json_get(&obj, "device")->string, "2 threads"));
        cr_assert_eq(hexgpu_json_get(&obj, "board_size")->integer, 11);
        cr_assert_eq(hexgpu_json_get(&obj, "batch")->integer, batches[i]);
        double boards = hexgpu_json_get(&obj, "boards_per_s")->number, us = hexgpu_json_get(&obj, "latency_us")->number;
        cr_assert(boards > 10 && us > 1, "boards/s %g, latency %g us", boards, us);
        /* boards/s and latency are medians of the same repeats: batch / latency ~ rate */
        double implied = batches[i] / (us * 1e-6);
        cr_assert(implied > 0.5 * boards && implied < 2.0 * boards, "implied %g vs %g", implied, boards);
        cr_assert(hexgpu_json_get(&obj, "launches")->integer >= 3);
        /* the context is made once (same figure on every line); a first batch takes time */
        double create_ms = hexgpu_json_get(&obj, "create_ms")->number;
        cr_assert(create_ms > 0 && create_ms < 60000, "create_ms %g", create_ms);
        if (i == 0) first_create_ms = create_ms;
        cr_assert_eq(create_ms, first_create_ms);
        double first_ms = hexgpu_json_get(&obj, "first_launch_ms")->number;
        cr_assert(first_ms > 0 && first_ms < 60000, "first_launch_ms %g", first_ms);
        hexgpu_json_free(&obj);
        line = end + 1;
    }
    cr_assert_eq(*line, '\0', "exactly one line per batch size");
    hexgpu_cli_result_free(&r);
}

/* Engine mode: one object per batch size with the engine's figures next to the raw
 * backend's; the scheduler never forms a batch above max_batch = the batch size. */
Test(cli_bench, engine_json_line) {
    char model[4096];
    snprintf(model, sizeof model, "%s", hexgpu_test_fixture_path("tiny13/model.safetensors"));
    const char *argv[] = {"bench", "--engine", "--model", model, "--backend", "cpu", "--batch", "16", "--seconds",
                          "0.2", "--repeats", "1", "--json", NULL};
    hexgpu_cli_result r;
    cr_assert_eq(hexgpu_cli_run(argv, NULL, &r), 0);
    cr_assert_eq(r.exit_code, 0, "stderr: %s", r.err);
    cr_assert(strstr(r.err, "bench: backend cpu (asked for)"), "stderr: %s", r.err);
    char *end = strchr(r.out, '\n');
    cr_assert(end && end[1] == '\0', "exactly one line: %s", r.out);
    hexgpu_json obj;
    hexgpu_error err;
    cr_assert_eq(hexgpu_json_parse(r.out, (size_t)(end - r.out), &obj, &err), HEXGPU_OK, "%s", err.message);
    cr_assert_str_eq(hexgpu_json_get(&obj, "mode")->string, "engine");
    cr_assert_str_eq(hexgpu_json_get(&obj, "backend")->string, "cpu");
    cr_assert_eq(hexgpu_json_get(&obj, "board_size")->integer, 13);
    cr_assert_eq(hexgpu_json_get(&obj, "batch")->integer, 16);
    cr_assert_eq(hexgpu_json_get(&obj, "submitters")->integer, 4);
    cr_assert_eq(hexgpu_json_get(&obj, "in_flight")->integer, 32);
    cr_assert_eq(hexgpu_json_get(&obj, "slots")->integer, 3);
    double boards = hexgpu_json_get(&obj, "boards_per_s")->number, raw = hexgpu_json_get(&obj, "raw_boards_per_s")->number;
    double ratio = hexgpu_json_get(&obj, "ratio_to_raw")->number, mean = hexgpu_json_get(&obj, "mean_batch")->number;
    cr_assert(boards > 0 && raw > 0, "engine %g, raw %g boards/s", boards, raw);
    cr_assert(fabs(ratio - boards / raw) < 1e-3 * ratio + 1e-3, "ratio %g vs %g / %g", ratio, boards, raw);
    cr_assert(mean >= 1 && mean <= 16, "mean batch %g", mean);
    double busy = hexgpu_json_get(&obj, "busy_fraction")->number;
    cr_assert(busy > 0 && busy <= 1.0001, "busy %g", busy);
    const hexgpu_json *lat = hexgpu_json_get(&obj, "batch_latency_us"), *wait = hexgpu_json_get(&obj, "queue_wait_us");
    cr_assert(lat && wait);
    double p50 = hexgpu_json_get(lat, "p50")->number, p99 = hexgpu_json_get(lat, "p99")->number;
    cr_assert(p50 > 0 && p99 >= p50, "batch latency p50 %g p99 %g", p50, p99);
    cr_assert(hexgpu_json_get(wait, "p99")->number >= hexgpu_json_get(wait, "p50")->number);
    cr_assert(hexgpu_json_get(&obj, "batches")->integer >= 1);
    hexgpu_json_free(&obj);
    hexgpu_cli_result_free(&r);
}

Test(cli_bench, usage_errors) {
    const char *const cases[][6] = {
        {"bench", "--batch", "1", NULL},                                  /* neither --model nor --random-init */
        {"bench", "--random-init", "--batch", "0", NULL},                 /* batch out of range */
        {"bench", "--random-init", "--backend", "tpu", NULL},
        {"bench", "--random-init", "--repeats", "x", NULL},
        {"bench", "--engine", "--random-init", "--submitters", "0", NULL},
        {"bench", "--engine", "--random-init", "--in-flight", "-3", NULL},
        {"bench", "--engine", "--random-init", "--slots", "two", NULL},
        {"bench", "--random-init", "--slots", "2", NULL}, /* an engine option without --engine */
        {"bench", "--engine", "--batch", "16", NULL},     /* still needs a model */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hexgpu_cli_result r;
        cr_assert_eq(hexgpu_cli_run(cases[i], NULL, &r), 0);
        cr_assert_eq(r.exit_code, 2, "case %zu: exit %d, stderr %s", i, r.exit_code, r.err);
        cr_assert(strncmp(r.err, "error: ", 7) == 0, "case %zu: %s", i, r.err);
        hexgpu_cli_result_free(&r);
    }
    const char *missing[] = {"bench", "--model", "/nonexistent/model.safetensors", NULL};
    hexgpu_cli_result r;
    cr_assert_eq(hexgpu_cli_run(missing, NULL, &r), 0);
    cr_assert_eq(r.exit_code, 2, "a missing model file is bad input: %s", r.err);
    cr_assert(strstr(r.err, "/nonexistent/model.safetensors"), "%s", r.err);
    hexgpu_cli_result_free(&r);
}

/* bench --selfplay: the search against a backend with no work gives real rates; the
 * simulations include those ending in won positions, the evaluations exclude cache
 * hits and coalesced requests, so neither exceeds the requests by much. Simulations are
 * counted when a move's search ends, so the window is a second: a fifth of one on a
 * loaded CI machine once ended before any move had (sims/s 0). No speed is asserted. */
Test(cli_bench, selfplay_search_figures) {
    const char *argv[] = {"bench", "--selfplay", "--board-size", "5", "--mcts_sims", "16", "--games-in-flight", "4",
                          "--seconds", "1", "--repeats", "1", "--json", NULL};
    hexgpu_cli_result r;
    cr_assert_eq(hexgpu_cli_run(argv, NULL, &r), 0);
    cr_assert_eq(r.exit_code, 0, "stderr: %s", r.err);
    char *end = strchr(r.out, '\n');
    cr_assert_not_null(end, "stdout: %s", r.out);
    hexgpu_json obj;
    hexgpu_error err;
    cr_assert_eq(hexgpu_json_parse(r.out, (size_t)(end - r.out), &obj, &err), HEXGPU_OK, "%s", err.message);
    cr_assert_str_eq(hexgpu_json_get(&obj, "bench")->string, "selfplay-search");
    cr_assert_eq(hexgpu_json_get(&obj, "board_size")->integer, 5);
    double sims = hexgpu_json_get(&obj, "simulations_per_s")->number;
    double evals = hexgpu_json_get(&obj, "evaluations_per_s")->number;
    double reqs = hexgpu_json_get(&obj, "requests_per_s")->number;
    cr_assert(sims > 0 && evals > 0, "sims/s %g evals/s %g", sims, evals);
    cr_assert_leq(evals, reqs * 1.001, "evaluations %g <= requests %g", evals, reqs);
    hexgpu_json_free(&obj);
    hexgpu_cli_result_free(&r);

    const char *bad[] = {"bench", "--selfplay", "--workers", "0", NULL};
    cr_assert_eq(hexgpu_cli_run(bad, NULL, &r), 0);
    cr_assert_eq(r.exit_code, 2, "stderr: %s", r.err);
    hexgpu_cli_result_free(&r);
}

/* A device list measures one engine over every listed device (CPU stand-ins here); the raw
 * mode measures one device, so a list without --engine is a usage error. */
Test(cli_bench, device_list_needs_the_engine, .timeout = 120) {
    char model[4096];
    snprintf(model, sizeof model, "%s", hexgpu_test_fixture_path("tiny11/model.safetensors"));
    const char *engine[] = {"bench", "--model", model, "--backend", "cpu", "--engine", "--device", "0,1", "--batch",
                            "8", "--seconds", "0.05", "--repeats", "1", "--json", NULL};
    hexgpu_cli_result r;
    cr_assert_eq(hexgpu_cli_run(engine, NULL, &r), 0);
    cr_assert_eq(r.exit_code, 0, "stderr: %s", r.err);
    cr_assert(strstr(r.out, "\"mode\":\"engine\""), "%s", r.out);
    hexgpu_cli_result_free(&r);
    const char *raw[] = {"bench", "--model", model, "--backend", "cpu", "--device", "0,1", NULL};
    cr_assert_eq(hexgpu_cli_run(raw, NULL, &r), 0);
    cr_assert_eq(r.exit_code, 2, "stderr: %s", r.err);
    cr_assert(strstr(r.err, "needs --engine"), "%s", r.err);
    hexgpu_cli_result_free(&r);
}
