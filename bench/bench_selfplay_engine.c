/* Self-play on a real backend for a fixed time, and where the time goes. The library's
 * self-play driver (the one `hexgpu selfplay` runs: workers, games in flight, MCTS with a
 * Gumbel root, the engine's cache, queues and slots) plays on the model until the timer
 * stops it; after a warm-up (bring-up, each bucket's first use) a measured window gives:
 *   - network evaluations/s (positions through the backend), positions/s (moves of the
 *     games finished in the window), mean batch, cache hit rate;
 *   - the GPU's share of the window: busy_fraction (>= 1 slot launched, engine
 *     statistics) and, from the engine's batch timeline, the union of the compute phases
 *     (gpu_compute_fraction) and of whole batches, copies included (gpu_active_fraction);
 *   - where the rest goes: the search threads' CPU (each worker's share of the window
 *     spent searching rather than waiting for answers; threads are told apart by name,
 *     the workers inheriting "selfplay" from the thread that starts them), the other
 *     threads' CPU (engine slots, CUDA), queue wait and batch latency percentiles, and
 *     per batch its h2d, compute and d2h times against its latency;
 *   - a one-word verdict of what bounds the rate: gpu, search, hand-offs or latency.
 * Two JSON lines on stdout (selfplay, selfplay_breakdown), a readable summary on stderr.
 * usage: bench_selfplay_engine --model PATH [--backend cuda|cpu|auto] [--seconds S (45)]
 *   [--warmup S (8)] [--workers W (13)] [--games-in-flight G (128)] [--leaves K (4)]
 *   [--mcts_sims N (200)] [--slots N (3)] [--max-batch N (backend's)] [--cache N (60000)]
 *   [--seed N (1)]      HEXGPU_CUDA_VERBOSE=1: the backend's bring-up lines on stderr */
#define _GNU_SOURCE /* pthread_setname_np */
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/interrupt.h"
#include "base/timer.h"
#include "hexgpu.h"
#include "host/engine_impl.h"
#include "play/selfplay.h"
#include "runtime/backend.h"

typedef struct options {
    const char *model;
    hexgpu_backend_kind backend;
    double seconds, warmup;
    int workers, games_in_flight, leaves, sims, slots, max_batch, cache;
    long seed;
} options;

static int parse(int argc, char **argv, options *o) {
    *o = (options){.backend = HEXGPU_BACKEND_CUDA, .seconds = 45, .warmup = 8, .workers = 13,
                   .games_in_flight = 128, .leaves = 4, .sims = 200, .slots = 3, .cache = 60000, .seed = 1};
    for (int i = 1; i < argc; i += 2) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        double x = v ? strtod(v, &end) : 0.0;
        int number = v && end != v && *end == '\0' && x >= 0 && x <= 1e9;
        if (!v) return fprintf(stderr, "error: %s needs a value\n", a), 0;
        if (strcmp(a, "--model") == 0) o->model = v;
        else if (strcmp(a, "--backend") == 0) {
            if (!hexgpu_backend_kind_parse(v, &o->backend)) return fprintf(stderr, "error: --backend must be cuda, cpu or auto, got '%s'\n", v), 0;
        } else if (!number)
            return fprintf(stderr, "error: '%s %s': unknown option or not a number\n", a, v), 0;
        else if (strcmp(a, "--seconds") == 0 && x > 0) o->seconds = x;
        else if (strcmp(a, "--warmup") == 0) o->warmup = x;
        else if (strcmp(a, "--workers") == 0 && x >= 1 && x <= 256) o->workers = (int)x;
        else if (strcmp(a, "--games-in-flight") == 0 && x >= 1 && x <= 65536) o->games_in_flight = (int)x;
        else if (strcmp(a, "--leaves") == 0 && x >= 1 && x <= 1024) o->leaves = (int)x;
        else if (strcmp(a, "--mcts_sims") == 0 && x >= 1) o->sims = (int)x;
        else if (strcmp(a, "--slots") == 0 && x >= 1 && x <= 64) o->slots = (int)x;
        else if (strcmp(a, "--max-batch") == 0) o->max_batch = (int)x;
        else if (strcmp(a, "--cache") == 0) o->cache = (int)x;
        else if (strcmp(a, "--seed") == 0) o->seed = (long)x;
        else return fprintf(stderr, "error: '%s %s': unknown option or value out of range\n", a, v), 0;
    }
    if (!o->model) return fprintf(stderr, "error: --model PATH is required\n"), 0;
    return 1;
}

/* The self-play run in its own thread, named "selfplay" so that its workers (which
 * inherit the name) can be told from the engine's threads. The window is set by main;
 * on_game counts the moves of the games that finish inside it. */
typedef struct run {
    hexgpu_engine *engine;
    hexgpu_selfplay_config config;
    hexgpu_selfplay_stats stats;
    hexgpu_status status;
    hexgpu_error err;
    volatile sig_atomic_t stop;
    atomic_int finished; /* the run returned (a failure ends it early) */
    _Atomic int64_t window_start, window_end; /* ns; 0 = not yet */
    int64_t window_games, window_moves;       /* written by on_game only (one call at a time) */
} run;

static hexgpu_status on_game(void *user, const hexgpu_selfplay_game *game, hexgpu_error *err) {
    (void)err;
    run *r = user;
    int64_t now = hexgpu_timer_now_ns(), start = atomic_load(&r->window_start), end = atomic_load(&r->window_end);
    if (start && now >= start && (!end || now < end)) r->window_games++, r->window_moves += game->moves;
    return HEXGPU_OK;
}

static void *run_main(void *arg) {
    run *r = arg;
    pthread_setname_np(pthread_self(), "selfplay");
    r->status = hexgpu_selfplay_run(r->engine, &r->config, on_game, r, &r->stats, &r->err);
    atomic_store(&r->finished, 1);
    return NULL;
}

/* CPU seconds (user + system) of this process's threads, those named "selfplay" apart. */
static void thread_cpu(double *search, double *other) {
    *search = *other = 0.0;
    DIR *d = opendir("/proc/self/task");
    if (!d) return;
    double tick = (double)sysconf(_SC_CLK_TCK);
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        char path[300], line[1024];
        snprintf(path, sizeof path, "/proc/self/task/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        size_t n = fread(line, 1, sizeof line - 1, f);
        fclose(f);
        line[n] = '\0';
        char *open = strchr(line, '('), *close = strrchr(line, ')');
        if (!open || !close) continue;
        int is_search = close - open - 1 == 8 && strncmp(open + 1, "selfplay", 8) == 0;
        /* After the name: state (field 3), then fields 4..13, utime (14) and stime (15). */
        unsigned long utime = 0, stime = 0;
        if (sscanf(close + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2) continue;
        *(is_search ? search : other) += (double)(utime + stime) / tick;
    }
    closedir(d);
}

typedef struct interval {
    int64_t a, b;
} interval;

static int by_start(const void *x, const void *y) {
    int64_t a = ((const interval *)x)->a, b = ((const interval *)y)->a;
    return (a > b) - (a < b);
}

/* Total length of the union of v[0..n) clipped to [lo, hi) (sorts v). */
static double union_ns(interval *v, size_t n, int64_t lo, int64_t hi) {
    qsort(v, n, sizeof *v, by_start);
    double total = 0.0;
    int64_t a = 0, b = 0;
    int open = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t s = v[i].a < lo ? lo : v[i].a, t = v[i].b > hi ? hi : v[i].b;
        if (t <= s) continue;
        if (open && s <= b) {
            if (t > b) b = t;
            continue;
        }
        if (open) total += (double)(b - a);
        a = s, b = t, open = 1;
    }
    if (open) total += (double)(b - a);
    return total;
}

/* The batches of the window from the engine's timeline (when the backend times its
 * phases): the GPU's compute and whole-batch shares of the window, mean phase times. */
typedef struct gpu_figures {
    double compute_fraction, active_fraction; /* -1: no timeline */
    double h2d_us, compute_us, d2h_us, span_us; /* means per batch */
    size_t batches;
} gpu_figures;

static gpu_figures timeline_figures(hexgpu_engine *engine, int64_t lo, int64_t hi) {
    gpu_figures g = {.compute_fraction = -1, .active_fraction = -1};
    hexgpu_timeline_entry *e = NULL;
    size_t n = engine->timeline ? hexgpu_timeline_copy(engine->timeline, &e) : 0;
    interval *compute = n ? malloc(n * sizeof *compute) : NULL, *whole = n ? malloc(n * sizeof *whole) : NULL;
    size_t m = 0;
    double h2d = 0, comp = 0, d2h = 0, span = 0;
    for (size_t i = 0; compute && whole && i < n; i++) {
        const hexgpu_slot_timing *p = &e[i].phases;
        if (p->h2d_start < lo || p->d2h_end > hi) continue;
        compute[m] = (interval){p->compute_start, p->compute_end};
        whole[m] = (interval){p->h2d_start, p->d2h_end};
        h2d += (double)(p->h2d_end - p->h2d_start), comp += (double)(p->compute_end - p->compute_start);
        d2h += (double)(p->d2h_end - p->d2h_start), span += (double)(p->d2h_end - p->h2d_start);
        m++;
    }
    if (m > 0) {
        g.batches = m;
        g.compute_fraction = union_ns(compute, m, lo, hi) / (double)(hi - lo);
        g.active_fraction = union_ns(whole, m, lo, hi) / (double)(hi - lo);
        g.h2d_us = h2d / (double)m * 1e-3, g.compute_us = comp / (double)m * 1e-3;
        g.d2h_us = d2h / (double)m * 1e-3, g.span_us = span / (double)m * 1e-3;
    }
    free(compute), free(whole), free(e);
    return g;
}

/* Sleeps s seconds, or less when the run ended (failed) before. */
static void sleep_s(double s, const run *r) {
    int64_t end = hexgpu_timer_now_ns() + (int64_t)(s * 1e9);
    while (!atomic_load(&r->finished) && hexgpu_timer_now_ns() < end) {
        struct timespec t = {.tv_sec = 0, .tv_nsec = 20000000};
        nanosleep(&t, NULL);
    }
}

int main(int argc, char **argv) {
    options o;
    if (!parse(argc, argv, &o)) return 2;
    hexgpu_engine_options eo;
    hexgpu_engine_options_default(&eo);
    eo.backend = o.backend;
    eo.slots = o.slots;
    eo.max_batch = o.max_batch;
    eo.cache_entries = (size_t)o.cache;
    eo.timeline = 1;
    const char *verbose = getenv("HEXGPU_CUDA_VERBOSE");
    if (verbose && strcmp(verbose, "1") == 0) eo.log_level = HEXGPU_LOG_INFO;
    static run r;
    if (hexgpu_engine_open(o.model, &eo, &r.engine, &r.err) != HEXGPU_OK) {
        fprintf(stderr, "error: %s\n", r.err.message);
        return 1;
    }
    fprintf(stderr, "%s\n", hexgpu_engine_backend_choice(r.engine));
    hexgpu_selfplay_config_default(&r.config);
    r.config.mcts.simulations = o.sims;
    r.config.mcts.gumbel = 1;
    r.config.workers = o.workers;
    r.config.games_in_flight = o.games_in_flight;
    r.config.leaves_per_game = o.leaves;
    r.config.games = INT64_MAX / 2; /* the timer ends the run */
    r.config.seed = (uint64_t)o.seed;
    r.config.interrupt = &r.stop;
    int board = hexgpu_engine_board_size(r.engine);
    double memory = hexgpu_selfplay_memory_bytes(&r.config, board);
    pthread_t thread;
    if (pthread_create(&thread, NULL, run_main, &r) != 0) {
        fprintf(stderr, "error: cannot start the self-play thread\n");
        hexgpu_engine_close(r.engine);
        return 1;
    }
    sleep_s(o.warmup, &r);
    hexgpu_engine_stats s0, s1;
    double search0, other0, search1, other1;
    hexgpu_engine_stats_read(r.engine, &s0);
    thread_cpu(&search0, &other0);
    int64_t t0 = hexgpu_timer_now_ns();
    atomic_store(&r.window_start, t0);
    sleep_s(o.seconds, &r);
    int64_t t1 = hexgpu_timer_now_ns();
    atomic_store(&r.window_end, t1);
    hexgpu_engine_stats_read(r.engine, &s1);
    thread_cpu(&search1, &other1);
    hexgpu_interrupt_raise(&r.stop);
    pthread_join(thread, NULL);
    if (r.status != HEXGPU_OK) {
        fprintf(stderr, "error: %s\n", r.err.message);
        hexgpu_engine_close(r.engine);
        return 1;
    }
    gpu_figures g = timeline_figures(r.engine, t0, t1);
    double w = (double)(t1 - t0) * 1e-9, ws = s1.wall_seconds - s0.wall_seconds;
    double evals = (double)(s1.evaluated - s0.evaluated) / w, requests = (double)(s1.requests - s0.requests) / w;
    uint64_t batches = s1.batches - s0.batches, hits = s1.cache_hits - s0.cache_hits;
    uint64_t lookups = hits + s1.cache_misses - s0.cache_misses;
    double mean_batch = batches ? (double)(s1.evaluated - s0.evaluated) / (double)batches : 0.0;
    double busy = ws > 0 ? (s1.busy_fraction * s1.wall_seconds - s0.busy_fraction * s0.wall_seconds) / ws : 0.0;
    double hit_rate = lookups ? (double)hits / (double)lookups : 0.0;
    double search_share = (search1 - search0) / w / o.workers, other_cores = (other1 - other0) / w;
    double gpu_share = g.compute_fraction >= 0 ? g.compute_fraction : busy;
    const char *bound = gpu_share >= 0.9                                            ? "gpu"
                        : search_share >= 0.85                                      ? "search"
                        : s1.queue_wait_p50_us > s1.batch_latency_p50_us            ? "hand-offs"
                                                                                    : "latency";
    const char *root = o.sims <= HEXGPU_GUMBEL_MAX_SIMULATIONS ? "gumbel" : "puct";
    printf("{\"bench\":\"selfplay\",\"backend\":\"%s\",\"board_size\":%d,\"mcts_sims\":%d,\"root\":\"%s\","
           "\"workers\":%d,\"games_in_flight\":%d,\"leaves\":%d,\"slots\":%d,\"max_batch\":%d,\"seconds\":%.1f,"
           "\"evaluations_per_s\":%.0f,\"positions_per_s\":%.1f,\"requests_per_s\":%.0f,\"mean_batch\":%.1f,"
           "\"busy_fraction\":%.3f,\"gpu_compute_fraction\":%.3f,\"gpu_active_fraction\":%.3f,"
           "\"cache_hit_rate\":%.3f,\"games_finished\":%lld,\"bound\":\"%s\",\"target_evaluations_per_s\":1000000,"
           "\"target_busy\":0.9}\n",
           hexgpu_engine_backend_name(r.engine), board, o.sims, root, o.workers, o.games_in_flight, o.leaves,
           hexgpu_engine_options_used(r.engine).slots, hexgpu_engine_options_used(r.engine).max_batch, w, evals,
           (double)r.window_moves / w, requests, mean_batch, busy, g.compute_fraction, g.active_fraction, hit_rate,
           (long long)r.window_games, bound);
    printf("{\"bench\":\"selfplay_breakdown\",\"search_cpu_share\":%.3f,\"other_cpu_cores\":%.2f,\"cores\":%ld,"
           "\"queue_wait_p50_us\":%.0f,\"queue_wait_p99_us\":%.0f,\"batch_latency_p50_us\":%.0f,"
           "\"batch_latency_p99_us\":%.0f,\"batch_h2d_us\":%.1f,\"batch_compute_us\":%.1f,\"batch_d2h_us\":%.1f,"
           "\"batch_gpu_span_us\":%.1f,\"timeline_batches\":%zu,\"graphs_captured\":%llu,\"graphs_refused\":%llu,"
           "\"conv_fallbacks\":%llu,\"run_seconds\":%.1f,\"run_simulations_per_s\":%.0f,\"run_games\":%lld,"
           "\"selfplay_memory_bytes\":%.0f}\n",
           search_share, other_cores, sysconf(_SC_NPROCESSORS_ONLN), s1.queue_wait_p50_us, s1.queue_wait_p99_us,
           s1.batch_latency_p50_us, s1.batch_latency_p99_us, g.h2d_us, g.compute_us, g.d2h_us, g.span_us,
           g.batches, (unsigned long long)s1.graphs_captured, (unsigned long long)s1.graphs_refused,
           (unsigned long long)s1.conv_fallbacks, r.stats.seconds,
           r.stats.seconds > 0 ? (double)r.stats.simulations / r.stats.seconds : 0.0, (long long)r.stats.games,
           memory);
    fprintf(stderr,
            "selfplay %.0f s: %.0f evaluations/s, %.1f positions/s, mean batch %.1f, GPU busy %.3f (compute %.3f), "
            "cache hit rate %.3f; bound by %s: search threads %.0f%% busy, other threads %.1f cores, queue wait "
            "p50 %.0f us, batch latency p50 %.0f us of which on the GPU %.0f us (h2d %.0f, compute %.0f, d2h %.0f)\n",
            w, evals, (double)r.window_moves / w, mean_batch, busy, g.compute_fraction, hit_rate, bound,
            100.0 * search_share, other_cores, s1.queue_wait_p50_us, s1.batch_latency_p50_us, g.span_us, g.h2d_us,
            g.compute_us, g.d2h_us);
    hexgpu_engine_close(r.engine);
    return 0;
}
