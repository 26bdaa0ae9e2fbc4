/* hexgpu bench, raw backend measurement: the seeded pool of distinct random legal
 * positions and timed batches straight through the backend vtable (no cache, no
 * scheduler). Shared by the raw and the engine mode. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/bench.h"
#include "cli/cli.h"
#include "cli/describe.h"
#include "base/timer.h"
#include "base/status.h"
#include "hex/board.h"

/* Positions from random legal games of random length, seeded: what self-play asks.
 * Repeats (short games coincide often) are redrawn, so the pool holds count distinct
 * positions; seen[] is an open-addressing set of pool indices + 1 keyed by hash. */
static hexgpu_status random_positions(int size, uint64_t seed, hexgpu_position *out, int count, hexgpu_error *err) {
    hexgpu_board *board = malloc(sizeof *board);
    int *legal = malloc(HEXGPU_MAX_CELLS * sizeof *legal);
    size_t set_len = 1;
    while (set_len < 2 * (size_t)count) set_len <<= 1;
    int *seen = calloc(set_len, sizeof *seen);
    hexgpu_status st = board && legal && seen ? HEXGPU_OK : HEXGPU_ERR_OUT_OF_MEMORY;
    if (st) hexgpu_error_set(err, st, "bench: out of memory for the position pool");
    uint64_t s = seed * 0x9e3779b97f4a7c15ull + 1;
    long draws = 0;
    for (int i = 0; i < count && !st;) {
        st = hexgpu_board_init(board, size, err);
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        int moves = (int)((s >> 33) % (uint64_t)(size * size));
        for (int m = 0; m < moves && !st && hexgpu_board_winner(board) == HEXGPU_NONE; m++) {
            int n = hexgpu_board_legal_moves(board, legal);
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            st = hexgpu_board_play(board, legal[(s >> 33) % (uint64_t)n], err);
        }
        if (st) break;
        hexgpu_board_to_position(board, &out[i]);
        size_t h = (size_t)hexgpu_position_hash(&out[i]) & (set_len - 1);
        while (seen[h] && !hexgpu_position_equal(&out[seen[h] - 1], &out[i])) h = (h + 1) & (set_len - 1);
        /* a new one is kept (index i, stored + 1); tiny boards have fewer distinct
         * positions than the pool, so after 64 draws per slot repeats are kept too */
        if (!seen[h]) seen[h] = ++i;
        else if (++draws > 64L * count) i++;
    }
    free(board);
    free(legal);
    free(seen);
    return st;
}

static int compare_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double hexgpu_bench_median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, compare_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* max_batch: the largest batch size measured. */
static hexgpu_status raw_open(const hexgpu_bench_options *o, const hexgpu_network *net, int max_batch,
                              hexgpu_bench_raw *raw, hexgpu_error *err) {
    *raw = (hexgpu_bench_raw){0};
    hexgpu_backend_config config = {.device = o->device, .precision = o->precision, .max_batch = max_batch,
                                    .threads = o->threads, .log = hexgpu_cli_logger()};
    raw->pool = malloc(HEXGPU_BENCH_POOL * sizeof *raw->pool);
    if (!raw->pool) return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "bench: out of memory for the pool");
    hexgpu_status st = random_positions(net->board_size, o->seed, raw->pool, HEXGPU_BENCH_POOL, err);
    if (!st) st = hexgpu_backend_session_open(o->backend, &config, net, &raw->session, err);
    if (st) {
        hexgpu_bench_raw_close(raw);
        return st;
    }
    raw->ops = raw->session.ops;
    raw->chosen = raw->session.contexts.chosen;
    raw->device = raw->session.device;
    raw->create_ms = raw->session.contexts.create_ms;
    raw->precision_used = raw->ops->precision(raw->session.ctx);
    raw->precision = hexgpu_cli_precision_name(raw->precision_used);
    return HEXGPU_OK;
}

int hexgpu_bench_raw_start(const hexgpu_bench_options *o, const hexgpu_network *net, hexgpu_bench_raw *raw) {
    hexgpu_error err = {0};
    int max_batch = 0;
    for (int i = 0; i < o->batch_count; i++) max_batch = o->batches[i] > max_batch ? o->batches[i] : max_batch;
    hexgpu_status st = raw_open(o, net, max_batch, raw, &err);
    if (st) return hexgpu_cli_fail_status(st, &err);
    fprintf(stderr, "bench: %s\n", raw->chosen);
    return HEXGPU_EXIT_OK;
}

void hexgpu_bench_raw_close(hexgpu_bench_raw *raw) {
    hexgpu_backend_session_close(&raw->session);
    free(raw->pool);
    *raw = (hexgpu_bench_raw){0};
}

/* Launches batches of `batch` positions (a fresh slice of the pool each time) for
 * `seconds`; at least one launch. */
static hexgpu_status timed_loop(hexgpu_bench_raw *raw, int batch, double seconds, hexgpu_bench_figure *r,
                                hexgpu_error *err) {
    void *slot = raw->session.slot;
    hexgpu_slot_buffers buf = raw->ops->slot_buffers(slot);
    int64_t start = hexgpu_timer_now_ns(), limit = (int64_t)(seconds * 1e9), now = start;
    long launches = 0;
    int offset = 0;
    do {
        for (int b = 0; b < batch; b++) buf.input[b] = raw->pool[(offset + b) % HEXGPU_BENCH_POOL];
        offset = (offset + batch) % HEXGPU_BENCH_POOL;
        hexgpu_status st = raw->ops->slot_launch(slot, batch, 0, err);
        if (!st) st = raw->ops->slot_wait(slot, err);
        if (!st) st = hexgpu_slot_outputs_check(&buf, batch, raw->pool[0].size * raw->pool[0].size, 0, err);
        if (st) return st;
        launches++;
        now = hexgpu_timer_now_ns();
    } while (now - start < limit);
    double elapsed = (double)(now - start) * 1e-9;
    r->launches = launches;
    r->boards_per_s = (double)launches * batch / elapsed;
    r->latency_us = elapsed / (double)launches * 1e6;
    return HEXGPU_OK;
}

hexgpu_status hexgpu_bench_raw_measure(hexgpu_bench_raw *raw, const hexgpu_bench_options *o, int batch,
                                       hexgpu_bench_figure *out, hexgpu_error *err) {
    hexgpu_bench_figure warm, run;
    double rate[1000], latency[1000];
    long launches = 0;
    int64_t first_start = hexgpu_timer_now_ns();
    hexgpu_status st = timed_loop(raw, batch, 1e-9, &warm, err); /* one launch: the bucket's first use */
    out->first_ms = (double)(hexgpu_timer_now_ns() - first_start) * 1e-6;
    if (!st) st = timed_loop(raw, batch, o->seconds < 0.5 ? o->seconds : 0.5, &warm, err);
    for (int r = 0; r < o->repeats && !st; r++) {
        st = timed_loop(raw, batch, o->seconds, &run, err);
        rate[r] = run.boards_per_s;
        latency[r] = run.latency_us;
        launches += run.launches;
    }
    if (st) return st;
    out->boards_per_s = hexgpu_bench_median(rate, o->repeats);
    out->latency_us = hexgpu_bench_median(latency, o->repeats);
    out->launches = launches;
    return HEXGPU_OK;
}
