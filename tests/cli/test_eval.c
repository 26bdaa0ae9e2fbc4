/* `hexgpu eval` on the tiny13 fixture: logits and value against PyTorch's golden.jsonl,
 * the policy's invariants, input forms, threads and cache giving identical output, the
 * top-K table, --stats, and the exit codes of bad input and bad models. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/json.h"
#include "check/golden.h"
#include "support/fixtures.h"
#include "support/run_cli.h"

#define CELLS 169

/* Input for stdin: the golden games with a header line, an empty line and record-line
 * forms among them. */
static char *golden_input(const hexgpu_golden *g) {
    size_t cap = 64 + g->count * (sizeof g->items[0].trmph + 4), used = 0;
    char *text = malloc(cap);
    used += (size_t)snprintf(text, cap, "# a header line\n\n");
    for (size_t k = 0; k < g->count; k++)
        used += (size_t)snprintf(text + used, cap - used, k % 3 == 1 ? "  %s b\n" : "%s\n", g->items[k].trmph);
    return text;
}

static void load_golden(hexgpu_golden *g) {
    hexgpu_error err;
    cr_assert_eq(hexgpu_golden_load(hexgpu_test_fixture_path("tiny13/golden.jsonl"), g, &err), HEXGPU_OK, "%s",
                 err.message);
    cr_assert_eq(g->board_size, 13);
}

/* The output line as strict JSON (the test fails when it is not). */
static void parse_line(const char *line, hexgpu_json *obj) {
    hexgpu_error err;
    cr_assert_eq(hexgpu_json_parse(line, strlen(line), obj, &err), HEXGPU_OK, "%s in %.80s", err.message, line);
    cr_assert_eq(obj->type, HEXGPU_JSON_OBJECT);
}

static const hexgpu_json *member(const hexgpu_json *obj, const char *key, hexgpu_json_type type) {
    const hexgpu_json *v = hexgpu_json_get(obj, key);
    cr_assert(v, "no member %s", key);
    cr_assert_eq(v->type, type, "member %s has type %d", key, (int)v->type);
    return v;
}

static hexgpu_cli_result eval(const char *const *argv, const char *input) {
    hexgpu_cli_result r;
    cr_assert_eq(hexgpu_cli_run(argv, input, &r), 0);
    return r;
}

Test(cli_eval, matches_pytorch_golden_outputs, .timeout = 120) {
    hexgpu_golden g;
    load_golden(&g);
    char *input = golden_input(&g);
    const char *argv[] = {"eval", "--model", hexgpu_test_fixture_path("tiny13/model.safetensors"), "--backend", "cpu",
                          NULL};
    hexgpu_cli_result r = eval(argv, input);
    cr_assert_eq(r.exit_code, 0, "stderr: %s", r.err);
    char *save = NULL, *line = strtok_r(r.out, "\n", &save);
    for (size_t k = 0; k < g.count; k++, line = strtok_r(NULL, "\n", &save)) {
        cr_assert(line, "only %zu of %zu outputs", k, g.count);
        const hexgpu_golden_entry *want = &g.items[k];
        hexgpu_json obj;
        parse_line(line, &obj);
        cr_assert_str_eq(member(&obj, "trmph", HEXGPU_JSON_STRING)->string, want->trmph, "output %zu out of order", k);
        const char *to_move = member(&obj, "to_move", HEXGPU_JSON_STRING)->string;
        cr_assert_str_eq(to_move, want->position.to_move == HEXGPU_RED ? "red" : "blue");
        double value = member(&obj, "value", HEXGPU_JSON_NUMBER)->number;
        cr_assert_float_eq(value, want->value, 1e-5, "position %zu value", k);
        cr_assert_float_eq(member(&obj, "win_prob_red", HEXGPU_JSON_NUMBER)->number, (value + 1.0) / 2.0, 1e-7);
        const hexgpu_json *logits = member(&obj, "policy_logits", HEXGPU_JSON_ARRAY);
        const hexgpu_json *policy = member(&obj, "policy", HEXGPU_JSON_ARRAY);
        cr_assert_eq(logits->count, CELLS);
        cr_assert_eq(policy->count, CELLS);
        double sum = 0.0, top = -1.0;
        int occupied = 0;
        for (int c = 0; c < CELLS; c++) {
            double got = logits->items[c].number, ref = want->policy_logits[c];
            cr_assert(fabs(got - ref) <= 1e-5 * fmax(1.0, fabs(ref)), "position %zu cell %d: logit %.9g, PyTorch %.9g",
                      k, c, got, ref);
            double p = policy->items[c].number;
            int empty = hexgpu_position_at(&want->position, c) == HEXGPU_NONE;
            cr_assert(empty || p == 0.0, "position %zu: occupied cell %d has probability %g", k, c, p);
            sum += p;
            occupied += !empty;
            if (p > top) top = p;
        }
        const hexgpu_json *best = hexgpu_json_get(&obj, "best_move");
        cr_assert(best);
        if (occupied == CELLS) { /* a full board: no legal move */
            cr_assert_eq(best->type, HEXGPU_JSON_NULL, "position %zu", k);
        } else {
            cr_assert_float_eq(sum, 1.0, 1e-5, "position %zu policy sums to %f", k, sum);
            cr_assert_eq(best->type, HEXGPU_JSON_STRING);
            int col = best->string[0] - 'a', row = atoi(best->string + 1) - 1;
            cr_assert_eq(policy->items[row * 13 + col].number, top, "best_move %s is not the most likely",
                         best->string);
        }
        hexgpu_json_free(&obj);
    }
    cr_assert_null(line, "more outputs than inputs");
    free(input);
    hexgpu_golden_free(&g);
    hexgpu_cli_result_free(&r);
}

Test(cli_eval, threads_and_cache_give_identical_output, .timeout = 120) {
    hexgpu_golden g;
    load_golden(&g);
    char *input = golden_input(&g);
    hexgpu_golden_free(&g);
    const char *model = hexgpu_test_fixture_path("tiny13/model.safetensors");
    char model_copy[4096];
    snprintf(model_copy, sizeof model_copy, "%s", model);
    /* twice the games: repeats in flight with their first copies */
    size_t len = strlen(input);
    char *twice = malloc(2 * len + 1);
    memcpy(twice, input, len), memcpy(twice + len, input, len + 1);
    /* the same batch limit, so only the submitting threads and the cache differ */
    const char *one[] = {"eval", "--model", model_copy, "--backend", "cpu", "--max-batch", "5", NULL};
    const char *many[] = {"eval", "--model", model_copy, "--backend", "cpu", "--threads", "3", "--cache", "16",
                          "--max-batch", "5", "--stats", NULL};
    hexgpu_cli_result a = eval(one, twice), b = eval(many, twice);
    cr_assert_eq(a.exit_code, 0, "%s", a.err);
    cr_assert_eq(b.exit_code, 0, "%s", b.err);
    cr_assert_str_eq(a.out, b.out);
    const char *stats = strstr(b.err, "{\"wall_seconds\"");
    cr_assert(stats, "no statistics on stderr: %s", b.err);
    cr_assert(strstr(stats, "\"capacity\":16}"), "%s", stats);
    /* Whether a repeat hits the cache or joins its first copy in flight depends on
     * timing, so only the sums are fixed. */
    cr_assert(strstr(stats, "\"requests\":80,"), "%s", stats);
    const char *hits = strstr(stats, "\"hits\":"), *misses = strstr(stats, "\"misses\":");
    const char *evaluated = strstr(stats, "\"evaluated\":"), *coalesced = strstr(stats, "\"coalesced\":");
    cr_assert(hits && misses && evaluated && coalesced, "%s", stats);
    long h = strtol(hits + 7, NULL, 10), m = strtol(misses + 9, NULL, 10), e = strtol(evaluated + 12, NULL, 10);
    long c = strtol(coalesced + 12, NULL, 10);
    cr_assert_eq(h + m, 80, "hits %ld + misses %ld: %s", h, m, stats);
    /* a miss either reaches the backend or joins the evaluation of its position in flight */
    cr_assert_eq(m, e + c, "misses %ld but %ld evaluated + %ld coalesced: %s", m, e, c, stats);
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
    cr_assert_eq(r.exit_code, 2, "a missing model file is bad input: %s", r.err);
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

/* Runs `sh -c script` where $HEXGPU is the binary and $MODEL the tiny13 model; returns
 * the exit status and what eval printed on stderr (into err). */
static int eval_shell(const char *script, char *err, size_t err_cap) {
    char errfile[] = "/tmp/hexgpu_eval_err_XXXXXX";
    int fd = mkstemp(errfile);
    cr_assert_geq(fd, 0);
    close(fd);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "HEXGPU='%s' MODEL='%s' sh -c '%s' >/dev/null 2>%s", HEXGPU_CLI_PATH,
             hexgpu_test_fixture_path("tiny13/model.safetensors"), script, errfile);
    int status = system(cmd);
    FILE *f = fopen(errfile, "rb");
    size_t n = f ? fread(err, 1, err_cap - 1, f) : 0;
    err[n] = '\0';
    if (f) fclose(f);
    unlink(errfile);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* A NUL byte used to end the line silently: "#13,a1<NUL>b2" was evaluated as "#13,a1". */
Test(cli_eval, a_nul_byte_in_a_line_is_bad_input) {
    char err[4096];
    int code = eval_shell("printf \"#13,a1\\000b2\\n\" | \"$HEXGPU\" eval --model \"$MODEL\" --backend cpu", err,
                          sizeof err);
    cr_assert_eq(code, 2, "exit %d: %s", code, err);
    cr_assert(strstr(err, "error: line 1: a NUL byte at column 7"), "%s", err);
}

/* A line is read up to the longest TRMPH game and no further: input without newlines
 * (here 64 MB) is refused at once instead of being held in memory whole. */
Test(cli_eval, an_endless_line_is_refused_without_reading_it_all) {
    char err[4096];
    int code = eval_shell("head -c 64000000 /dev/zero | tr \"\\000\" a | \"$HEXGPU\" eval --model \"$MODEL\" "
                          "--backend cpu",
                          err, sizeof err);
    cr_assert_eq(code, 2, "exit %d: %s", code, err);
    cr_assert(strstr(err, "error: line 1: longer than any TRMPH game (more than "), "%s", err);
}

/* A standard input that cannot be read (a directory) used to look like no input: exit 0. */
Test(cli_eval, unreadable_stdin_is_a_failure) {
    char err[4096];
    int code = eval_shell("\"$HEXGPU\" eval --model \"$MODEL\" --backend cpu < /", err, sizeof err);
    cr_assert_eq(code, 1, "exit %d: %s", code, err);
    cr_assert(strstr(err, "error: reading standard input: Is a directory"), "%s", err);
}
