/* hexgpu check: the CPU backend passes against the direct reference and PyTorch's golden
 * outputs with real figures; usage, model and device errors. (The FAIL verdict itself is
 * tested on known errors in tests/check/test_accuracy.c.) */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/json.h"
#include "support/cuda_probe.h"
#include "support/fixtures.h"
#include "support/run_cli.h"

static const char *fixture(const char *relative, char *buf, size_t len) {
    snprintf(buf, len, "%s", hexgpu_test_fixture_path(relative));
    return buf;
}

static double number(const hexgpu_json *obj, const char *key) {
    const hexgpu_json *v = hexgpu_json_get(obj, key);
    cr_assert(v && v->type == HEXGPU_JSON_NUMBER, "%s is not a number", key);
    return v->number;
}

/* One JSON object: the random positions against the reference, errors small but not all
 * zero (so the comparison saw real outputs), every board counted. */
Test(cli_check, cpu_backend_passes_with_real_figures) {
    char model[4096];
    const char *argv[] = {"check", "--model", fixture("tiny13/model.safetensors", model, sizeof model), "--backend",
                          "cpu", "--positions", "60", "--batch", "16", "--threads", "2", "--seed", "7", "--json",
                          NULL};
    hexgpu_cli_result r;
    cr_assert_eq(hexgpu_cli_run(argv, NULL, &r), 0);
    cr_assert_eq(r.exit_code, 0, "stdout: %s\nstderr: %s", r.out, r.err);
    cr_assert(strstr(r.err, "check: backend cpu (asked for)"), "stderr: %s", r.err);
    cr_assert_str_eq(hexgpu_cli_last_line(r.err), "PASS", "the verdict goes to stderr with --json");
    char *end = strchr(r.out, '\n');
    cr_assert(end && end[1] == '\0', "exactly one line: %s", r.out);
    hexgpu_json obj;
    hexgpu_error err;
    cr_assert_eq(hexgpu_json_parse(r.out, (size_t)(end - r.out), &obj, &err), HEXGPU_OK, "%s", err.message);
    cr_assert_str_eq(hexgpu_json_get(&obj, "backend")->string, "cpu");
    cr_assert_str_eq(hexgpu_json_get(&obj, "precision")->string, "fp32");
    cr_assert_eq(hexgpu_json_get(&obj, "board_size")->integer, 13);
    cr_assert_eq(hexgpu_json_get(&obj, "positions")->integer, 60);
    cr_assert_eq(hexgpu_json_get(&obj, "batch")->integer, 16);
    cr_assert_eq(hexgpu_json_get(&obj, "pass")->boolean, 1);
    cr_assert_eq(hexgpu_json_get(&obj, "failed")->type, HEXGPU_JSON_NULL);
    const hexgpu_json *limits = hexgpu_json_get(&obj, "limits"), *sets = hexgpu_json_get(&obj, "sets");
    cr_assert(number(limits, "logits_rel") == 1e-4 && number(limits, "value_abs") == 1e-4);
    cr_assert(sets && sets->type == HEXGPU_JSON_ARRAY && sets->count == 1);
    const hexgpu_json *set = &sets->items[0];
    cr_assert_str_eq(hexgpu_json_get(set, "name")->string, "random positions");
    cr_assert_eq(hexgpu_json_get(set, "boards")->integer, 60);
    cr_assert_eq(hexgpu_json_get(set, "same_best")->integer, 60);
    double logits = number(set, "logits_rel_max"), p99 = number(set, "logits_rel_p99");
    cr_assert(logits > 1e-9 && logits < 1e-5, "logits error %g: fp32 against double is small, never exactly 0", logits);
    cr_assert(p99 > 0 && p99 <= logits, "p99 %g, max %g", p99, logits);
    cr_assert(number(set, "value_abs_max") < 1e-5);
    cr_assert(number(&obj, "reference_s") > 0 && number(&obj, "backend_s") > 0);
    hexgpu_json_free(&obj);
    hexgpu_cli_result_free(&r);
}

/* The report with a golden file: both sets, every golden line counted, PASS last. */
Test(cli_check, golden_file_passes) {
    char model[4096], golden[4096];
    const char *argv[] = {"check", "--model", fixture("tiny11/model.safetensors", model, sizeof model), "--golden",
                          fixture("tiny11/golden.jsonl", golden, sizeof golden), "--backend", "cpu", "--positions",
                          "20", NULL};
    hexgpu_cli_result r;
    cr_assert_eq(hexgpu_cli_run(argv, NULL, &r), 0);
    cr_assert_eq(r.exit_code, 0, "stdout: %s\nstderr: %s", r.out, r.err);
    cr_assert_str_eq(hexgpu_cli_last_line(r.out), "PASS");
    cr_assert(strstr(r.out, "random positions: 20 boards against the direct double reference"), "%s", r.out);
    char line[4200];
    snprintf(line, sizeof line, "%s: 24 boards against the outputs PyTorch recorded", golden);
    cr_assert(strstr(r.out, line), "%s", r.out);
    cr_assert(strstr(r.out, "backend cpu,") && strstr(r.out, "precision fp32"), "%s", r.out);
    cr_assert(strstr(r.out, "logits rel error"), "%s", r.out);
    cr_assert(strstr(r.out, "same best move        100.00% (24 of 24)"), "%s", r.out);
    hexgpu_cli_result_free(&r);
}

static void expect_error(const char *const *argv, int code, const char *message) {
    hexgpu_cli_result r;
    cr_assert_eq(hexgpu_cli_run(argv, NULL, &r), 0);
    cr_assert_eq(r.exit_code, code, "%s: exit %d, stderr %s", argv[1], r.exit_code, r.err);
    cr_assert(strncmp(r.err, "error: ", 7) == 0 && strchr(r.err, '\n') == r.err + strlen(r.err) - 1,
              "one error line: %s", r.err);
    cr_assert(strstr(r.err, message), "'%s' not in %s", message, r.err);
    cr_assert_eq(r.out[0], '\0', "nothing on stdout: %s", r.out);
    hexgpu_cli_result_free(&r);
}

Test(cli_check, usage_model_and_golden_errors) {
    char model[4096], golden[4096];
    fixture("tiny13/model.safetensors", model, sizeof model);
    fixture("tiny11/golden.jsonl", golden, sizeof golden);
    const char *const usage[][6] = {
        {"check", NULL},
        {"check", "--model", model, "--positions", "0", NULL},
        {"check", "--model", model, "--batch", "x", NULL},
        {"check", "--model", model, "--precision", "fp8", NULL},
        {"check", "--model", model, "--bogus", "1", NULL},
        {"check", "--model", model, "--json", "--frob", NULL},
        {"check", "--model", model, "--random-init", NULL},
    };
    for (size_t i = 0; i < sizeof usage / sizeof usage[0]; i++) expect_error(usage[i], 2, "");
    const char *missing[] = {"check", "--model", "/nonexistent/model.safetensors", NULL};
    expect_error(missing, 2, "/nonexistent/model.safetensors");
    const char *not_a_model[] = {"check", "--model", golden, NULL};
    expect_error(not_a_model, 2, "unrecognised model file");
    const char *other_board[] = {"check", "--model", model, "--golden", golden, NULL};
    expect_error(other_board, 2, "holds 11x11 positions, the model plays 13x13");
    /* A golden file that is missing, a folder or a FIFO is bad input too (2), refused at once. */
    const char *missing_golden[] = {"check", "--model", model, "--golden", "/nonexistent/golden.jsonl", NULL};
    expect_error(missing_golden, 2, "--golden: /nonexistent/golden.jsonl: No such file or directory");
    const char *folder_golden[] = {"check", "--model", model, "--golden", "/tmp", NULL};
    expect_error(folder_golden, 2, "--golden: /tmp: not a regular file");
    char fifo[] = "/tmp/hexgpu_golden_XXXXXX";
    cr_assert_not_null(mkdtemp(fifo));
    char fifo_path[64];
    snprintf(fifo_path, sizeof fifo_path, "%s/golden.jsonl", fifo);
    cr_assert_eq(mkfifo(fifo_path, 0644), 0);
    const char *fifo_golden[] = {"check", "--model", model, "--golden", fifo_path, NULL};
    expect_error(fifo_golden, 2, "not a regular file");
    unlink(fifo_path);
    rmdir(fifo);
}

/* Without a usable GPU, --backend cuda is a failure (exit 1) that says why. */
Test(cli_check, cuda_without_a_gpu_fails_clearly) {
    char why[512];
    if (hexgpu_test_cuda_usable(why, sizeof why)) cr_skip_test("a usable GPU is present");
    char model[4096];
    const char *argv[] = {"check", "--model", fixture("tiny13/model.safetensors", model, sizeof model), "--backend",
                          "cuda", NULL};
    expect_error(argv, 1, "--backend cuda: ");
}
