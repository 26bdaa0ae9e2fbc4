/* hexgpu check: the chosen backend and precision against the direct double-precision
 * reference (and PyTorch's golden outputs when given); a report, then PASS or FAIL. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/check.h"
#include "cli/cli.h"
#include "cli/describe.h"
#include "cli/model_output.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: hexgpu check (--model PATH | --random-init) [options]\n\n"
            "Runs the chosen backend and precision on seeded random positions of the model's board\n"
            "(the empty board, random stone counts, a board with one empty cell) and compares it\n"
            "with a plain reference: direct convolution with double accumulation. Reports the value\n"
            "error (absolute; relative to max(|v|, 0.01) for information), the logits error per board\n"
            "(max |a - ref| over max |ref|), max and p99 of each, and how often the best move is the\n"
            "same (a near tie within 1e-3 counts), then PASS or FAIL against the limits: fp32 1e-4,\n"
            "fp16 2e-3, and the same best move on >= 99.5%% of boards. The first thing to run on a\n"
            "new GPU. The reference takes ~0.1 s per full-size board and core: the default %d\n"
            "positions of a full-size network take ~20 s on 2 idle cores, ~3 s on 16.\n\n"
            "  --model PATH          .pt, .pt.gz or .safetensors checkpoint\n"
            "  --random-init         a full-size reference network (13x13, 64/128/256/512) with\n"
            "                        random weights of --seed instead of a file\n"
            "  --backend B           cpu, cuda or auto (default auto: cuda when usable)\n"
            "  --precision P         fp16, fp32 or auto (default auto; the cpu backend is fp32)\n"
            "  --positions N         random positions (default %d)\n"
            "  --seed S              position seed (default 1)\n"
            "  --batch B             the backend's batch size (default %d)\n"
            "  --golden FILE.jsonl   also compare with PyTorch's outputs recorded there (golden.jsonl:\n"
            "                        {trmph, to_move, policy_logits, value} per line); up to %d times\n"
            "  --device D            CUDA device (default 0)\n"
            "  --threads T           cpu backend and reference threads (default 0: all cores)\n"
            "  --json                one JSON object instead of the report (PASS or FAIL on stderr)\n"
            "Exit codes: 0 PASS, 1 FAIL or a failure (no GPU, I/O), 2 bad usage, model or golden file.\n",
            HEXGPU_CHECK_DEFAULT_POSITIONS, HEXGPU_CHECK_DEFAULT_POSITIONS, HEXGPU_CHECK_DEFAULT_BATCH,
            HEXGPU_CHECK_MAX_GOLDEN);
}

static int parse_args(int argc, char **argv, hexgpu_check_options *o) {
    *o = (hexgpu_check_options){.backend = HEXGPU_BACKEND_AUTO, .positions = HEXGPU_CHECK_DEFAULT_POSITIONS,
                                .batch = HEXGPU_CHECK_DEFAULT_BATCH, .seed = 1};
    int rc = HEXGPU_EXIT_OK;
    for (int i = 1; i < argc && rc == HEXGPU_EXIT_OK; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int n;
        if (strcmp(a, "--json") == 0) o->json = 1;
        else if (strcmp(a, "--random-init") == 0) o->random_init = 1;
        else if (!v)
            return hexgpu_cli_fail(HEXGPU_EXIT_USAGE,
                                   "unknown option or missing value: '%s' (try 'hexgpu check --help')", a);
        else if (strcmp(a, "--model") == 0) o->model = argv[++i];
        else if (strcmp(a, "--backend") == 0) rc = hexgpu_cli_option_backend(argv[++i], &o->backend);
        else if (strcmp(a, "--precision") == 0) rc = hexgpu_cli_option_precision(argv[++i], &o->precision);
        else if (strcmp(a, "--device") == 0) rc = hexgpu_cli_option_int(a, argv[++i], 0, 1024, &o->device);
        else if (strcmp(a, "--threads") == 0) rc = hexgpu_cli_option_int(a, argv[++i], 0, 4096, &o->threads);
        else if (strcmp(a, "--positions") == 0) rc = hexgpu_cli_option_int(a, argv[++i], 1, 1000000, &o->positions);
        else if (strcmp(a, "--batch") == 0) rc = hexgpu_cli_option_int(a, argv[++i], 1, 65536, &o->batch);
        else if (strcmp(a, "--seed") == 0) {
            if ((rc = hexgpu_cli_option_int(a, argv[++i], 0, INT_MAX, &n)) == HEXGPU_EXIT_OK) o->seed = (uint64_t)n;
        } else if (strcmp(a, "--golden") == 0) {
            if (o->golden_count == HEXGPU_CHECK_MAX_GOLDEN)
                return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "at most %d --golden files", HEXGPU_CHECK_MAX_GOLDEN);
            o->golden[o->golden_count++] = argv[++i];
        } else
            return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "bad option or value: '%s %s' (try 'hexgpu check --help')", a, v);
    }
    if (rc != HEXGPU_EXIT_OK) return rc;
    if (!o->model == !o->random_init)
        return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "check needs exactly one of --model PATH and --random-init");
    return -1;
}

/* A figure for JSON: a number, or null when it is not finite (a NaN output). */
static const char *json_number(double x, char *buf, size_t len) {
    if (isfinite(x)) snprintf(buf, len, "%.4e", x);
    else snprintf(buf, len, "null");
    return buf;
}

#define NUM(x) json_number((x), (char[32]){0}, 32)

static void print_json(const hexgpu_check_options *o, const hexgpu_network *net, const hexgpu_check_report *r,
                       const char *failed) {
    const hexgpu_accuracy_limits *l = &r->limits;
    printf("{\"backend\":\"%s\",\"device\":\"%s\",\"precision\":\"%s\",\"model\":\"%s\",\"board_size\":%d,"
           "\"batch\":%d,\"positions\":%d,\"seed\":%llu,\"limits\":{\"value_abs\":%s,\"logits_rel\":%s,"
           "\"same_best\":%s},\"sets\":[",
           r->backend, hexgpu_cli_json_escape(r->device, (char[768]){0}, 768), hexgpu_cli_precision_name(r->precision),
           hexgpu_cli_json_escape(o->model, (char[8192]){0}, 8192), net->board_size, o->batch, o->positions,
           (unsigned long long)o->seed, NUM(l->value_abs), NUM(l->logits_rel), NUM(l->same_best));
    for (int i = 0; i < r->set_count; i++) {
        const hexgpu_check_set *s = &r->sets[i];
        const hexgpu_accuracy *a = &s->accuracy;
        printf("%s{\"name\":\"%s\",\"reference\":\"%s\",\"boards\":%zu,\"value_abs_max\":%s,\"value_abs_p99\":%s,"
               "\"value_rel_max\":%s,\"value_rel_p99\":%s,\"logits_rel_max\":%s,\"logits_rel_p99\":%s,"
               "\"same_best\":%zu,\"same_best_fraction\":%s,\"failed\":",
               i ? "," : "", hexgpu_cli_json_escape(s->name, (char[8192]){0}, 8192), s->reference, a->boards,
               NUM(a->value_abs_max), NUM(a->value_abs_p99), NUM(a->value_rel_max), NUM(a->value_rel_p99),
               NUM(a->logits_rel_max), NUM(a->logits_rel_p99), a->same_best, NUM(a->same_best_fraction));
        if (s->failed) printf("\"%s\"}", s->failed);
        else printf("null}");
    }
    printf("],\"reference_threads\":%d,\"backend_s\":%.3f,\"reference_s\":%.3f,\"pass\":%s", r->reference_threads,
           r->backend_s, r->reference_s, failed ? "false" : "true");
    if (failed) printf(",\"failed\":\"%s\"}\n", hexgpu_cli_json_escape(failed, (char[16800]){0}, 16800));
    else printf(",\"failed\":null}\n");
}

static void print_text(const hexgpu_check_options *o, const hexgpu_network *net, const hexgpu_check_report *r) {
    const hexgpu_accuracy_limits *l = &r->limits;
    printf("model %s (%dx%d, %lld parameters)\n", o->model, net->board_size, net->board_size,
           (long long)net->parameter_count);
    printf("backend %s, %s, precision %s, batch %d\n", r->backend, r->device, hexgpu_cli_precision_name(r->precision),
           o->batch);
    printf("reference: direct convolution, double accumulation, %d threads; %d positions, seed %llu\n",
           r->reference_threads, o->positions, (unsigned long long)o->seed);
    for (int i = 0; i < r->set_count; i++) {
        const hexgpu_check_set *s = &r->sets[i];
        const hexgpu_accuracy *a = &s->accuracy;
        printf("%s: %zu boards against the %s\n", s->name, a->boards, s->reference);
        printf("  %-18s %10s %10s %12s\n", "", "max", "p99", "limit");
        printf("  %-18s %10.3e %10.3e   <= %.1e\n", "value abs error", a->value_abs_max, a->value_abs_p99,
               l->value_abs);
        printf("  %-18s %10.3e %10.3e   (reported)\n", "value rel error", a->value_rel_max, a->value_rel_p99);
        printf("  %-18s %10.3e %10.3e   <= %.1e\n", "logits rel error", a->logits_rel_max, a->logits_rel_p99,
               l->logits_rel);
        printf("  %-18s %9.2f%% (%zu of %zu)   >= %.2f%%\n", "same best move", 100.0 * a->same_best_fraction,
               a->same_best, a->boards, 100.0 * l->same_best);
    }
    printf("time: backend %.2f s, reference %.2f s\n", r->backend_s, r->reference_s);
}

/* The first set that missed a limit, its metric written into buf; NULL when none. */
static const char *first_failure(const hexgpu_check_report *r, char *buf, size_t len) {
    for (int i = 0; i < r->set_count; i++)
        if (r->sets[i].failed) {
            snprintf(buf, len, "%s (%s)", r->sets[i].failed, r->sets[i].name);
            return buf;
        }
    return NULL;
}

int hexgpu_cmd_check(int argc, char **argv) {
    if (hexgpu_cli_wants_help(argc, argv)) {
        usage(stdout);
        return HEXGPU_EXIT_OK;
    }
    hexgpu_check_options o;
    int code = parse_args(argc, argv, &o);
    if (code >= 0) return code;
    hexgpu_tensor_map map;
    hexgpu_network net;
    hexgpu_error err = {0};
    hexgpu_status st = hexgpu_cli_network_open(o.random_init ? NULL : o.model, o.seed, &map, &net, &err);
    if (st) return hexgpu_cli_fail_status(st, &err);
    hexgpu_tensor_map_free(&map);
    if (o.random_init) o.model = "random-init (full size)";
    hexgpu_check_report report;
    code = hexgpu_check_run(&o, &net, &report);
    if (code == HEXGPU_EXIT_OK) {
        char buf[8400];
        const char *failed = first_failure(&report, buf, sizeof buf);
        /* The verdict is the last line of the report; with --json, stdout stays one
         * object and the verdict goes to stderr, for logs that keep both. */
        if (o.json) print_json(&o, &net, &report, failed);
        else print_text(&o, &net, &report);
        FILE *verdict = o.json ? stderr : stdout;
        if (failed) fprintf(verdict, "FAIL: %s\n", failed);
        else fprintf(verdict, "PASS\n");
        code = failed ? HEXGPU_EXIT_FAILURE : HEXGPU_EXIT_OK;
    }
    hexgpu_network_free(&net);
    return code;
}
