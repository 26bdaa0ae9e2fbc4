/* `hexgpu eval` on the tiny13 fixture: logits and value against PyTorch's golden.jsonl,
 * the policy's invariants, input forms, threads and cache giving identical output, the
 * top-K table, --stats, and the exit codes of bad input and bad models. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/fixtures.h"
#include "support/run_cli.h"

#define CELLS 169
#define MAX_GOLDEN 64

/* The number after "key": or the floats of "key":[...] in one JSON line; returns how
 * many were read (the test fails when the key is missing). */
static int json_floats(const char *line, const char *key, double *out, int max) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    const char *p = strstr(line, pattern);
    cr_assert(p, "no %s in %.80s", key, line);
    p += strlen(pattern);
    while (*p == ' ') p++;
    if (*p != '[') {
        out[0] = strtod(p, NULL);
        return 1;
    }
    int n = 0;
    for (p++; *p != ']' && n < max;) {
        char *end;
        out[n++] = strtod(p, &end);
        cr_assert(end != p, "bad number in %s", key);
        p = end;
        while (*p == ',' || *p == ' ') p++;
    }
    return n;
}

static void json_string(const char *line, const char *key, char *out, size_t len) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\": \"", key);
    const char *p = strstr(line, pattern);
    if (!p) {
        snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
        p = strstr(line, pattern);
    }
    cr_assert(p, "no %s in %.80s", key, line);
    p += strlen(pattern);
    size_t n = strcspn(p, "\"");
    cr_assert_lt(n, len);
    memcpy(out, p, n);
    out[n] = '\0';
}

typedef struct golden {
    char trmph[1200];
    double value, logits[CELLS];
} golden;

static int read_golden(golden *g, char **stdin_text) {
    FILE *f = fopen(hexgpu_test_fixture_path("tiny13/golden.jsonl"), "r");
    cr_assert(f, "tiny13/golden.jsonl not found");
    static char line[1 << 16];
    size_t cap = 1 << 16, used = 0;
    char *text = malloc(cap);
    int n = 0;
    /* stdin gets a header line, an empty line and record-line forms among the games */
    used += (size_t)snprintf(text, cap, "# a header line\n\n");
    while (n < MAX_GOLDEN && fgets(line, sizeof line, f)) {
        json_string(line, "trmph", g[n].trmph, sizeof g[n].trmph);
        json_floats(line, "value", &g[n].value, 1);
        cr_assert_eq(json_floats(line, "policy_logits", g[n].logits, CELLS), CELLS);
        used += (size_t)snprintf(text + used, cap - used, n % 3 == 1 ? "  %s b\n" : "%s\n", g[n].trmph);
        cr_assert_lt(used, cap);
        n++;
    }
    fclose(f);
    *stdin_text = text;
    return n;
}

static hexgpu_cli_result eval(const char *const *argv, const char *input) {
    hexgpu_cli_result r;
    cr_assert_eq(hexgpu_cli_run(argv, input, &r), 0);
    return r;
}

Test(cli_eval, matches_pytorch_golden_outputs, .timeout = 120) {
    static golden g[MAX_GOLDEN];
    char *input;
    int n = read_golden(g, &input);
    cr_assert_gt(n, 2);
    const char *argv[] = {"eval", "--model", hexgpu_test_fixture_path("tiny13/model.safetensors"), "--backend", "cpu",
                          NULL};
    hexgpu_cli_result r = eval(argv, input);
    cr_assert_eq(r.exit_code, 0, "stderr: %s", r.err);
    char *save = NULL, *line = strtok_r(r.out, "\n", &save);
    for (int k = 0; k < n; k++, line = strtok_r(NULL, "\n", &save)) {
        cr_assert(line, "only %d of %d outputs", k, n);
        char trmph[1200], to_move[8], best[8];
        json_string(line, "trmph", trmph, sizeof trmph);
        cr_assert_str_eq(trmph, g[k].trmph, "output %d out of order", k);
        double value, win, logits[CELLS], policy[CELLS];
        json_floats(line, "value", &value, 1);
        json_floats(line, "win_prob_red", &win, 1);
        cr_assert_float_eq(value, g[k].value, 1e-5, "position %d value", k);
        cr_assert_float_eq(win, (value + 1.0) / 2.0, 1e-7);
        cr_assert_eq(json_floats(line, "policy_logits", logits, CELLS), CELLS);
        cr_assert_eq(json_floats(line, "policy", policy, CELLS), CELLS);
        double sum = 0.0, top = -1.0;
        int occupied = 0;
        for (int c = 0; c < CELLS; c++) {
            double tol = 1e-5 * fmax(1.0, fabs(g[k].logits[c])) + 2e-6;
            cr_assert(fabs(logits[c] - g[k].logits[c]) <= tol, "position %d cell %d: logit %.9g, PyTorch %.9g", k, c,
                      logits[c], g[k].logits[c]);
            sum += policy[c];
            occupied += policy[c] == 0.0;
            if (policy[c] > top) top = policy[c];
        }
        json_string(line, "to_move", to_move, sizeof to_move);
        cr_assert(strcmp(to_move, "blue") == 0 || strcmp(to_move, "red") == 0);
        if (occupied == CELLS) { /* a full board: no legal move */
            cr_assert(strstr(line, "\"best_move\":null"), "position %d", k);
            continue;
        }
        cr_assert_float_eq(sum, 1.0, 1e-5, "position %d policy sums to %f", k, sum);
        json_string(line, "best_move", best, sizeof best);
        int col = best[0] - 'a', row = atoi(best + 1) - 1;
        cr_assert_eq(policy[row * 13 + col], top, "best_move %s is not the most likely", best);
        if (k == 0) cr_assert_eq(occupied, 0, "the empty board has every cell legal");
        if (k == 1) cr_assert_eq(occupied, 1, "one stone: one cell gets 0");
    }
    free(input);
    hexgpu_cli_result_free(&r);
}

Test(cli_eval, threads_and_cache_give_identical_output, .timeout = 120) {
    static golden g[MAX_GOLDEN];
    char *input;
    read_golden(g, &input);
    const char *model = hexgpu_test_fixture_path("tiny13/model.safetensors");
    char model_copy[4096];
    snprintf(model_copy, sizeof model_copy, "%s", model);
    /* twice the games: repeats in flight with their first copies */
    size_t len = strlen(input);
    char *twice = malloc(2 * len + 1);
    memcpy(twice, input, len), memcpy(twice + len, input, len + 1);
    const char *one[] = {"eval", "--model", model_copy, "--backend", "cpu", NULL};
    const char *many[] = {"eval", "--model", model_copy, "--backend", "cpu", "--threads", "3", "--cache", "16",
                          "--max-batch", "5", "--stats", NULL};
    hexgpu_cli_result a = eval(one, twice), b = eval(many, twice);
    cr_assert_eq(a.exit_code, 0, "%s", a.err);
    cr_assert_eq(b.exit_code, 0, "%s", b.err);
    cr_assert_str_eq(a.out, b.out);
    const char *stats = strstr(b.err, "{\"wall_seconds\"");
    cr_assert(stats, "no statistics on stderr: %s", b.err);
    cr_assert(strstr(stats, "\"capacity\":16}"), "%s", stats);
    /* every position is submitted before any batch returns, so all of them miss */
    cr_assert(strstr(stats, "\"requests\":80,") && strstr(stats, "\"misses\":80,"), "%s", stats);
    free(input), free(twice);
    hexgpu_cli_result_free(&a), hexgpu_cli_result_free(&b);
}

Test(cli_eval, top_k_table) {
    const char *argv[] = {"eval", "--model", hexgpu_test_fixture_path("tiny13/model.safetensors"), "--backend", "cpu",
                          "--top", "3", "https://trmph.com/hex/board#13,a1", NULL};
    hexgpu_cli_result r = eval(argv, NULL);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert_eq(strncmp(r.out, "#13,a1\n", 7), 0, "%s", r.out);
    cr_assert(strstr(r.out, "to move: red"), "%s", r.out);
    cr_assert(strstr(r.out, "\n     3  "), "three ranks: %s", r.out);
    cr_assert_null(strstr(r.out, "\n     4  "));
    cr_assert_null(strstr(r.out, "  a1  "), "a taken cell is not a move: %s", r.out);
    hexgpu_cli_result_free(&r);
}

Test(cli_eval, bad_input_exits_2_naming_the_line) {
    const char *argv[] = {"eval", "--model", hexgpu_test_fixture_path("tiny13/model.safetensors"), "--backend", "cpu",
                          NULL};
    hexgpu_cli_result r = eval(argv, "#13,a1\n#13,a1z9\n");
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strstr(r.err, "error: line 2: column"), "%s", r.err);
    hexgpu_cli_result_free(&r);
    r = eval(argv, "#11,a1\n");
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strstr(r.err, "error: line 1: a 11x11 game for a 13x13 model"), "%s", r.err);
    hexgpu_cli_result_free(&r);
}

Test(cli_eval, bad_models_and_options) {
    const char *missing[] = {"eval", "--model", "/nonexistent/model.safetensors", "--backend", "cpu", "#13,", NULL};
    hexgpu_cli_result r = eval(missing, NULL);
    cr_assert_eq(r.exit_code, 1, "a missing file is an I/O failure: %s", r.err);
    cr_assert(strstr(r.err, "error: ") && strstr(r.err, "/nonexistent/model.safetensors"), "%s", r.err);
    hexgpu_cli_result_free(&r);
    const char *not_model[] = {"eval", "--model", hexgpu_test_fixture_path("README.md"), "--backend", "cpu", "#13,",
                               NULL};
    r = eval(not_model, NULL);
    cr_assert_eq(r.exit_code, 2, "a file that is no model is a format error: %s", r.err);
    hexgpu_cli_result_free(&r);
    const char *no_model[] = {"eval", "#13,", NULL};
    r = eval(no_model, NULL);
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strstr(r.err, "--model"), "%s", r.err);
    hexgpu_cli_result_free(&r);
    const char *bad_threads[] = {"eval", "--model", "x", "--threads", "0", NULL};
    r = eval(bad_threads, NULL);
    cr_assert_eq(r.exit_code, 2);
    hexgpu_cli_result_free(&r);
}
