/* hexgpu eval: evaluates TRMPH positions with a model through the engine's async API and
 * prints one JSON object per position (or a top-K table), in input order. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "hexgpu.h"
#include "base/status.h"
#include "hex/trmph.h"

/* Positions are read, evaluated and printed in blocks, so memory stays bounded on long
 * inputs while the order of the output is the order of the input. */
#define BLOCK 4096
#define SUBMIT_CHUNK 256
#define MAX_THREADS 64 /* submitting threads */

static void usage(FILE *out) {
    fprintf(out,
            "usage: hexgpu eval --model PATH [options] [TRMPH ...]\n\n"
            "Evaluates positions given as arguments or, when none, one per line on standard input\n"
            "(empty lines and '# ' header lines skipped; record lines '<trmph> <b|r>' accepted).\n"
            "Prints one JSON object per position, in input order:\n"
            "  {\"trmph\", \"to_move\", \"value\" (Red's view, -1..1), \"win_prob_red\" ((v+1)/2),\n"
            "   \"policy_logits\" [n*n], \"policy\" [n*n, empty cells only, sums to 1], \"best_move\"}\n\n"
            "options:\n"
            "  --model PATH            .safetensors, .pt or .pt.gz checkpoint (required)\n"
            "  --backend cpu|cuda|auto backend (auto: CUDA when a usable GPU exists; the choice is printed on stderr)\n"
            "  --device D              CUDA device (0), a list 0,1 (one context per device) or all\n"
            "  --precision fp16|fp32|auto (default auto: fp16 on the GPU, fp32 on the CPU)\n"
            "  --threads N             submit from N threads through the async API, 1..64 (1)\n"
            "  --max-batch N           largest batch (1024 GPU, 64 CPU)\n"
            "  --cache N               result cache of N positions (0: off)\n"
            "  --top K                 print a table with the K most likely moves instead of JSON\n"
            "  --stats                 print the engine statistics as JSON on stderr at the end\n"
            "Exit codes: 0 ok, 2 bad input (usage, a position, a bad or missing model file, non-finite\n"
            "outputs), 1 other failures (I/O, memory, device); see docs/reliability.md.\n");
}

typedef struct eval_args {
    hexgpu_engine_options options;
    const char *model;
    int threads, top, stats;
} eval_args;

/* Parses options; positions (arguments that are not options) are collected in *first
 * (in place, argv reordered) and counted in *count. */
static int parse_args(int argc, char **argv, eval_args *a, char ***positions, int *count) {
    hexgpu_cli_engine_options_default(&a->options);
    a->model = NULL;
    a->threads = 1, a->top = 0, a->stats = 0;
    *positions = argv + argc;
    *count = 0;
    char **pos = malloc((size_t)argc * sizeof *pos);
    if (!pos) return hexgpu_cli_fail(HEXGPU_EXIT_FAILURE, "out of memory");
    int n = 0, rc = HEXGPU_EXIT_OK, options_done = 0;
    for (int i = 1; i < argc && rc == HEXGPU_EXIT_OK; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (options_done || o[0] != '-' || strchr(o, '#')) {
            pos[n++] = argv[i];
        } else if (strcmp(o, "--") == 0) {
            options_done = 1;
        } else if (strcmp(o, "--stats") == 0) {
            a->stats = 1;
        } else if (!v) {
            rc = hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "%s needs a value (try 'hexgpu eval --help')", o);
        } else if (strcmp(o, "--model") == 0) {
            a->model = v, i++;
        } else if (strcmp(o, "--backend") == 0) {
            rc = hexgpu_cli_option_backend(v, &a->options.backend), i++;
        } else if (strcmp(o, "--precision") == 0) {
            rc = hexgpu_cli_option_precision(v, &a->options.precision), i++;
        } else if (strcmp(o, "--device") == 0) {
            rc = hexgpu_cli_option_devices(v, &a->options), i++;
        } else if (strcmp(o, "--threads") == 0) {
            rc = hexgpu_cli_option_int(o, v, 1, MAX_THREADS, &a->threads), i++;
        } else if (strcmp(o, "--max-batch") == 0) {
            rc = hexgpu_cli_option_int(o, v, 1, INT_MAX, &a->options.max_batch), i++;
        } else if (strcmp(o, "--top") == 0) {
            rc = hexgpu_cli_option_int(o, v, 1, INT_MAX, &a->top), i++;
        } else if (strcmp(o, "--cache") == 0) {
            int c = 0;
            rc = hexgpu_cli_option_int(o, v, 0, INT_MAX, &c), i++;
            a->options.cache_entries = (size_t)c;
        } else {
            rc = hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "unknown option '%s' (try 'hexgpu eval --help')", o);
        }
    }
    if (rc == HEXGPU_EXIT_OK && !a->model) rc = hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "--model PATH is required");
    if (rc == HEXGPU_EXIT_OK) {
        /* Positions go to the end of argv, in order; argv's own strings stay valid. */
        memcpy(argv + argc - n, pos, (size_t)n * sizeof *pos);
        *positions = argv + argc - n;
        *count = n;
    }
    free(pos);
    return rc;
}

/* One block of positions and their outputs. */
typedef struct block {
    int cells;
    size_t count;
    char (*games)[HEXGPU_TRMPH_MAX]; /* bare '#n,...' form, as printed */
    hexgpu_position *positions;
    float *value, *policy, *logits;
} block;

typedef struct submitter {
    hexgpu_engine *engine;
    block *b;
    size_t first, count;
    hexgpu_status status;
    hexgpu_error err;
} submitter;

/* Submits positions [first, first+count) of the block on its own queue and collects
 * them; the tag is the index in the block, so outputs land in place. */
static void *submit_range(void *arg) {
    submitter *s = arg;
    block *b = s->b;
    hexgpu_queue *q = NULL;
    s->status = hexgpu_queue_create(&q, &s->err);
    hexgpu_request req[SUBMIT_CHUNK];
    for (size_t base = 0; s->status == HEXGPU_OK && base < s->count; base += SUBMIT_CHUNK) {
        size_t len = s->count - base < SUBMIT_CHUNK ? s->count - base : SUBMIT_CHUNK;
        for (size_t i = 0; i < len; i++) {
            size_t k = s->first + base + i;
            req[i] = (hexgpu_request){.position = b->positions[k], .value = &b->value[k],
                                      .policy = b->policy + k * (size_t)b->cells,
                                      .logits = b->logits + k * (size_t)b->cells, .tag = k};
        }
        s->status = hexgpu_engine_submit(s->engine, q, req, len, &s->err);
    }
    hexgpu_completion done[SUBMIT_CHUNK];
    size_t got;
    while (q && hexgpu_queue_wait(q, done, SUBMIT_CHUNK, -1, &got) == HEXGPU_OK && got > 0)
        for (size_t i = 0; i < got; i++)
            if (done[i].status != HEXGPU_OK && s->status == HEXGPU_OK) {
                s->status = done[i].status;
                hexgpu_queue_last_error(q, &s->err);
            }
    hexgpu_queue_destroy(q);
    return NULL;
}

static hexgpu_status evaluate_block(hexgpu_engine *engine, block *b, int threads, hexgpu_error *err) {
    if (threads > (int)b->count) threads = (int)b->count;
    if (threads < 1) return HEXGPU_OK;
    submitter s[MAX_THREADS];
    pthread_t t[MAX_THREADS];
    size_t per = (b->count + (size_t)threads - 1) / (size_t)threads;
    for (int i = 0; i < threads; i++) {
        size_t first = (size_t)i * per;
        s[i] = (submitter){engine, b, first, first < b->count ? (b->count - first < per ? b->count - first : per) : 0,
                           HEXGPU_OK, {0}};
    }
    /* Whether a thread started is kept apart from its status: reading status before the
     * join would race with the thread writing it. */
    int started[MAX_THREADS] = {0};
    for (int i = 1; i < threads; i++) {
        started[i] = pthread_create(&t[i], NULL, submit_range, &s[i]) == 0;
        if (!started[i]) s[i].status = HEXGPU_ERR_INTERNAL;
    }
    submit_range(&s[0]);
    for (int i = 1; i < threads; i++)
        if (started[i]) pthread_join(t[i], NULL);
    for (int i = 0; i < threads; i++)
        if (s[i].status != HEXGPU_OK) {
            *err = s[i].err;
            if (err->status == HEXGPU_OK) snprintf(err->message, sizeof err->message, "could not start thread %d", i);
            return s[i].status;
        }
    return HEXGPU_OK;
}

static void print_floats(const char *name, const float *v, int n) {
    printf(",\"%s\":[", name);
    for (int i = 0; i < n; i++) printf(i ? ",%.9g" : "%.9g", (double)v[i]);
    putchar(']');
}

/* The most likely empty cell not in `skip`, -1 when none is left. */
static int best_cell(const hexgpu_position *pos, const float *policy, int cells, const char *skip) {
    int best = -1;
    for (int c = 0; c < cells; c++)
        if (!(skip && skip[c]) && hexgpu_position_at(pos, c) == HEXGPU_NONE && (best < 0 || policy[c] > policy[best]))
            best = c;
    return best;
}

static void print_json(const block *b, size_t k) {
    const hexgpu_position *pos = &b->positions[k];
    char move[8];
    const float *policy = b->policy + k * (size_t)b->cells, *logits = b->logits + k * (size_t)b->cells;
    double v = b->value[k];
    printf("{\"trmph\":\"%s\",\"to_move\":\"%s\",\"value\":%.9g,\"win_prob_red\":%.9g", b->games[k],
           pos->to_move == HEXGPU_RED ? "red" : "blue", v, (v + 1.0) / 2.0);
    print_floats("policy_logits", logits, b->cells);
    print_floats("policy", policy, b->cells);
    int best = best_cell(pos, policy, b->cells, NULL);
    if (best < 0) {
        printf(",\"best_move\":null}\n");
    } else {
        hexgpu_trmph_cell_name(best, pos->size, move);
        printf(",\"best_move\":\"%s\"}\n", move);
    }
}

static void print_top(const block *b, size_t k, int top) {
    const hexgpu_position *pos = &b->positions[k];
    char move[8];
    const float *policy = b->policy + k * (size_t)b->cells, *logits = b->logits + k * (size_t)b->cells;
    double v = b->value[k];
    printf("%s\n  to move: %s   value (Red's view): %+.6f   P(Red wins): %.6f\n  rank  move   prob       logit\n",
           b->games[k], pos->to_move == HEXGPU_RED ? "red" : "blue", v, (v + 1.0) / 2.0);
    char taken[HEXGPU_MAX_CELLS] = {0};
    for (int r = 1; r <= top; r++) {
        int best = best_cell(pos, policy, b->cells, taken);
        if (best < 0) break;
        taken[best] = 1;
        hexgpu_trmph_cell_name(best, pos->size, move);
        printf("  %4d  %-5s  %.6f  %+.4f\n", r, move, (double)policy[best], (double)logits[best]);
    }
    putchar('\n');
}

/* Strips a record line's " b" / " r" and surrounding blanks; NULL for lines to skip. */
static char *position_text(char *line) {
    size_t len = strlen(line);
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
        line[--len] = '\0';
    while (*line == ' ' || *line == '\t') line++, len--;
    if (len == 0 || hexgpu_trmph_is_header(line)) return NULL;
    if (len > 2 && line[len - 2] == ' ' && (line[len - 1] == 'b' || line[len - 1] == 'r')) line[len - 2] = '\0';
    return line;
}

typedef struct eval_run {
    hexgpu_engine *engine;
    block b;
    int threads, top;
} eval_run;

static int flush_block(eval_run *r) {
    hexgpu_error err;
    hexgpu_status st = evaluate_block(r->engine, &r->b, r->threads, &err);
    if (st != HEXGPU_OK) return hexgpu_cli_fail_status(st, &err);
    for (size_t k = 0; k < r->b.count; k++) {
        if (r->top) print_top(&r->b, k, r->top);
        else print_json(&r->b, k);
    }
    r->b.count = 0;
    return HEXGPU_EXIT_OK;
}

static int add_position(eval_run *r, const char *text, const char *where, size_t number) {
    hexgpu_error err;
    hexgpu_position *pos = &r->b.positions[r->b.count];
    if (strlen(text) >= HEXGPU_TRMPH_MAX)
        return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "%s %zu: longer than any TRMPH game (%zu characters)", where, number,
                               strlen(text));
    /* The network judges positions, not games: moves after a win are still stones. */
    hexgpu_status st = hexgpu_trmph_parse_stones(text, pos, r->b.games[r->b.count], HEXGPU_TRMPH_MAX, &err);
    if (st != HEXGPU_OK) return hexgpu_cli_fail(hexgpu_cli_exit_code(st), "%s %zu: %s", where, number, err.message);
    int n = hexgpu_engine_board_size(r->engine);
    if (pos->size != n)
        return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "%s %zu: a %dx%d game for a %dx%d model", where, number, pos->size,
                               pos->size, n, n);
    if (++r->b.count == BLOCK) return flush_block(r);
    return HEXGPU_EXIT_OK;
}

/* Longest stdin line kept: the longest game, blanks and a record's " b"/" r" with room to
 * spare; a longer line is refused when the limit is reached, so input without newlines
 * (a binary file, /dev/zero) is never held in memory whole. */
#define LINE_MAX_BYTES (2 * HEXGPU_TRMPH_MAX + 64)

/* One line of stdin into buf (NUL-terminated, newline kept): 1 a line, 0 end of input,
 * -1 longer than LINE_MAX_BYTES; *len counts the bytes, embedded NULs included. */
static int read_line(char *buf, size_t *len) {
    size_t n = 0;
    int c = EOF;
    while (n < LINE_MAX_BYTES && (c = getchar()) != EOF) {
        buf[n++] = (char)c;
        if (c == '\n') break;
    }
    buf[n] = '\0';
    *len = n;
    if (n == LINE_MAX_BYTES && c != '\n') return -1;
    return n > 0 ? 1 : 0;
}

static int run(eval_run *r, char **positions, int count) {
    int rc = HEXGPU_EXIT_OK;
    for (int i = 0; i < count && rc == HEXGPU_EXIT_OK; i++) rc = add_position(r, positions[i], "argument", (size_t)i + 1);
    if (count == 0) {
        char *line = malloc(LINE_MAX_BYTES + 1);
        size_t len, number = 0;
        int got;
        char *text;
        if (!line) return hexgpu_cli_fail(HEXGPU_EXIT_FAILURE, "out of memory for an input line");
        while (rc == HEXGPU_EXIT_OK && (got = read_line(line, &len)) != 0) {
            number++;
            const char *nul = memchr(line, '\0', len);
            if (got < 0)
                rc = hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "line %zu: longer than any TRMPH game (more than %d bytes)",
                                     number, LINE_MAX_BYTES);
            else if (nul) /* strlen would stop there and evaluate a prefix of the line */
                rc = hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "line %zu: a NUL byte at column %zu", number,
                                     (size_t)(nul - line) + 1);
            else if ((text = position_text(line)) != NULL) rc = add_position(r, text, "line", number);
        }
        if (rc == HEXGPU_EXIT_OK && ferror(stdin))
            rc = hexgpu_cli_fail(HEXGPU_EXIT_FAILURE, "reading standard input: %s", strerror(errno));
        free(line);
    }
    if (rc == HEXGPU_EXIT_OK) rc = flush_block(r);
    return rc;
}

int hexgpu_cmd_eval(int argc, char **argv) {
    if (hexgpu_cli_wants_help(argc, argv)) {
        usage(stdout);
        return HEXGPU_EXIT_OK;
    }
    eval_args a;
    char **positions;
    int count;
    int rc = parse_args(argc, argv, &a, &positions, &count);
    if (rc != HEXGPU_EXIT_OK) return rc;
    hexgpu_engine *engine = NULL;
    hexgpu_error err;
    hexgpu_status st = hexgpu_engine_open(a.model, &a.options, &engine, &err);
    if (st != HEXGPU_OK) return hexgpu_cli_fail_status(st, &err);
    if (a.options.backend == HEXGPU_BACKEND_AUTO) fprintf(stderr, "hexgpu: %s\n", hexgpu_engine_backend_choice(engine));
    int n = hexgpu_engine_board_size(engine);
    eval_run r = {.engine = engine, .threads = a.threads, .top = a.top};
    r.b.cells = n * n;
    r.b.games = malloc(BLOCK * sizeof *r.b.games);
    r.b.positions = malloc(BLOCK * sizeof *r.b.positions);
    r.b.value = malloc(BLOCK * sizeof(float));
    r.b.policy = malloc((size_t)BLOCK * (size_t)r.b.cells * sizeof(float));
    r.b.logits = malloc((size_t)BLOCK * (size_t)r.b.cells * sizeof(float));
    if (!r.b.games || !r.b.positions || !r.b.value || !r.b.policy || !r.b.logits)
        rc = hexgpu_cli_fail(HEXGPU_EXIT_FAILURE, "out of memory for a block of %d positions", BLOCK);
    else rc = run(&r, positions, count);
    if (a.stats) {
        hexgpu_engine_stats s;
        hexgpu_engine_stats_read(engine, &s);
        char json[8192];
        hexgpu_engine_stats_json(&s, json, sizeof json);
        fflush(stdout);
        fprintf(stderr, "%s\n", json);
    }
    free(r.b.games), free(r.b.positions), free(r.b.value), free(r.b.policy), free(r.b.logits);
    hexgpu_engine_close(engine);
    return rc;
}
