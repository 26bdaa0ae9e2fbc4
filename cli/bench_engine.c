/* hexgpu bench --engine: throughput through the public engine API (scheduler, slots,
 * N submitting threads each keeping K requests in flight), next to the raw backend's
 * figure at the same batch size measured in the same run. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/bench.h"
#include "cli/cli.h"
#include "cli/describe.h"
#include "base/timer.h"
#include "base/status.h"

/* One submitting thread: its own queue and output buffers; request tag = buffer index. */
typedef struct submitter {
    hexgpu_engine *engine;
    const hexgpu_position *pool;
    size_t cursor; /* next pool index */
    int in_flight, cells;
    atomic_int *stop;
    float *value, *policy;
    hexgpu_request *req;
    hexgpu_completion *done;
    hexgpu_status status;
    hexgpu_error err;
    pthread_t thread;
} submitter;

static hexgpu_request next_request(submitter *s, size_t tag) {
    hexgpu_request r = {.position = s->pool[s->cursor], .value = &s->value[tag],
                        .policy = &s->policy[tag * (size_t)s->cells], .tag = tag};
    s->cursor = (s->cursor + 1) % HEXGPU_BENCH_POOL;
    return r;
}

/* Keeps in_flight requests outstanding until *stop, resubmitting as completions arrive
 * (in bulk, as a search would), then collects everything still outstanding. The first
 * failure stops every submitter. */
static void *submit_loop(void *arg) {
    submitter *s = arg;
    hexgpu_queue *queue = NULL;
    hexgpu_status st = hexgpu_queue_create(&queue, &s->err);
    size_t n = (size_t)s->in_flight, got;
    for (size_t i = 0; i < n && !st; i++) s->req[i] = next_request(s, i);
    if (!st) st = hexgpu_engine_submit(s->engine, queue, s->req, n, &s->err);
    while (!st) {
        if ((st = hexgpu_queue_wait(queue, s->done, n, -1, &got)) || got == 0) break;
        size_t m = 0;
        int stopping = atomic_load(s->stop);
        for (size_t i = 0; i < got && !st; i++) {
            if ((st = s->done[i].status)) hexgpu_queue_last_error(queue, &s->err);
            else if (!stopping) s->req[m++] = next_request(s, (size_t)s->done[i].tag);
        }
        if (!st && m) st = hexgpu_engine_submit(s->engine, queue, s->req, m, &s->err);
    }
    if (st) atomic_store(s->stop, 1);
    s->status = st;
    hexgpu_queue_destroy(queue); /* waits for whatever is still in flight */
    return NULL;
}

/* Sleeps until deadline_ns unless a submitter failed first; 0 when one did. */
static int sleep_until(int64_t deadline_ns, atomic_int *failed) {
    for (int64_t now; (now = hexgpu_timer_now_ns()) < deadline_ns;) {
        if (atomic_load(failed)) return 0;
        int64_t step = deadline_ns - now < 10000000 ? deadline_ns - now : 10000000;
        nanosleep(&(struct timespec){.tv_sec = 0, .tv_nsec = (long)step}, NULL);
    }
    return !atomic_load(failed);
}

/* What one batch size gave in engine mode. Rates, mean batch and busy fraction are over
 * the timed window (differences of two statistics reads); the percentiles come from the
 * engine's histograms since open (warm-up included). */
typedef struct engine_figure {
    double boards_per_s, mean_batch, busy_fraction;
    double overlap; /* over the engine's timeline (warm-up included); -1 without --timeline */
    uint64_t batches;
    hexgpu_engine_stats final;
} engine_figure;

static hexgpu_status measure(hexgpu_engine *engine, const hexgpu_bench_options *o, const hexgpu_position *pool,
                             int batch, engine_figure *f, hexgpu_error *err) {
    int n = o->submitters, k = o->in_flight ? o->in_flight : 2 * batch, cells = hexgpu_engine_board_size(engine);
    cells *= cells;
    submitter *subs = calloc((size_t)n, sizeof *subs);
    atomic_int stop = 0;
    int started = 0;
    hexgpu_status st = subs ? HEXGPU_OK : HEXGPU_ERR_OUT_OF_MEMORY;
    for (int i = 0; i < n && !st; i++) {
        submitter *s = &subs[i];
        *s = (submitter){.engine = engine, .pool = pool, .cursor = (size_t)i * HEXGPU_BENCH_POOL / (size_t)n,
                         .in_flight = k, .cells = cells, .stop = &stop};
        s->value = malloc((size_t)k * sizeof *s->value);
        s->policy = malloc((size_t)k * (size_t)cells * sizeof *s->policy);
        s->req = malloc((size_t)k * sizeof *s->req);
        s->done = malloc((size_t)k * sizeof *s->done);
        if (!s->value || !s->policy || !s->req || !s->done) st = HEXGPU_ERR_OUT_OF_MEMORY;
    }
    if (st) hexgpu_error_set(err, st, "bench: out of memory for %d submitters x %d requests", n, k);
    while (started < n && !st) {
        if (pthread_create(&subs[started].thread, NULL, submit_loop, &subs[started]))
            st = hexgpu_error_set(err, HEXGPU_ERR_INTERNAL, "bench: cannot start submitting thread %d", started);
        else
            started++;
    }
    double rate[1000];
    hexgpu_engine_stats first, last;
    int64_t t = hexgpu_timer_now_ns() + (int64_t)((o->seconds < 0.5 ? o->seconds : 0.5) * 1e9);
    int ok = !st && sleep_until(t, &stop);
    hexgpu_engine_stats_read(engine, &first);
    last = first;
    for (int r = 0; r < o->repeats && ok; r++) {
        hexgpu_engine_stats before = last;
        ok = sleep_until(t += (int64_t)(o->seconds * 1e9), &stop);
        hexgpu_engine_stats_read(engine, &last);
        rate[r] = (double)(last.evaluated - before.evaluated) / (last.wall_seconds - before.wall_seconds);
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < started; i++) {
        pthread_join(subs[i].thread, NULL);
        if (!st && subs[i].status) {
            st = subs[i].status;
            hexgpu_error_set(err, st, "bench: submitter %d: %s", i, subs[i].err.message);
        }
    }
    if (!st && !ok) st = hexgpu_error_set(err, HEXGPU_ERR_INTERNAL, "bench: a submitter stopped without an error");
    if (!st) {
        double wall = last.wall_seconds - first.wall_seconds;
        f->boards_per_s = hexgpu_bench_median(rate, o->repeats);
        f->batches = last.batches - first.batches;
        f->mean_batch = f->batches ? (double)(last.evaluated - first.evaluated) / (double)f->batches : 0.0;
        f->busy_fraction = (last.busy_fraction * last.wall_seconds - first.busy_fraction * first.wall_seconds) / wall;
        hexgpu_engine_stats_read(engine, &f->final);
        f->overlap = f->final.overlap_fraction;
    }
    for (int i = 0; subs && i < n; i++) {
        free(subs[i].value);
        free(subs[i].policy);
        free(subs[i].req);
        free(subs[i].done);
    }
    free(subs);
    return st;
}

static void print_figure(const hexgpu_bench_options *o, const hexgpu_bench_raw *raw, const char *backend,
                         const char *precision, const char *model_name, int board_size, int batch,
                         const hexgpu_bench_figure *rf, const engine_figure *ef) {
    int k = o->in_flight ? o->in_flight : 2 * batch;
    double ratio = rf->boards_per_s > 0 ? ef->boards_per_s / rf->boards_per_s : 0.0;
    const hexgpu_engine_stats *s = &ef->final;
    char overlap[32] = "null"; /* not measured (no --timeline) */
    if (ef->overlap >= 0) snprintf(overlap, sizeof overlap, "%.4f", ef->overlap);
    else if (!o->json) snprintf(overlap, sizeof overlap, "-");
    if (o->json)
        printf("{\"mode\":\"engine\",\"backend\":\"%s\",\"device\":\"%s\",\"precision\":\"%s\",\"model\":\"%s\","
               "\"board_size\":%d,\"batch\":%d,\"submitters\":%d,\"in_flight\":%d,\"slots\":%d,"
               "\"boards_per_s\":%.1f,\"raw_boards_per_s\":%.1f,\"raw_latency_us\":%.1f,\"ratio_to_raw\":%.4f,"
               "\"mean_batch\":%.2f,\"batches\":%llu,\"busy_fraction\":%.4f,"
               "\"queue_wait_us\":{\"p50\":%.1f,\"p99\":%.1f},\"batch_latency_us\":{\"p50\":%.1f,\"p99\":%.1f},"
               "\"overlap_fraction\":%s,\"repeats\":%d,\"seconds\":%g}\n",
               backend, hexgpu_cli_json_escape(raw->device, (char[768]){0}, 768), precision,
               hexgpu_cli_json_escape(model_name, (char[8192]){0}, 8192), board_size, batch, o->submitters, k,
               o->slots, ef->boards_per_s, rf->boards_per_s, rf->latency_us, ratio, ef->mean_batch,
               (unsigned long long)ef->batches, ef->busy_fraction, s->queue_wait_p50_us, s->queue_wait_p99_us,
               s->batch_latency_p50_us, s->batch_latency_p99_us, overlap, o->repeats, o->seconds);
    else
        printf("%7d %12.1f %12.1f %6.3f %9.1f %5.3f %10.0f %10.0f %10.0f %10.0f %7s\n", batch, rf->boards_per_s,
               ef->boards_per_s, ratio, ef->mean_batch, ef->busy_fraction, s->queue_wait_p50_us,
               s->queue_wait_p99_us, s->batch_latency_p50_us, s->batch_latency_p99_us, overlap);
    fflush(stdout);
}

int hexgpu_bench_engine(const hexgpu_bench_options *o, const hexgpu_network *net, const char *model_path,
                        const char *model_name) {
    hexgpu_error err = {0};
    hexgpu_bench_raw raw;
    int code = hexgpu_bench_raw_start(o, net, &raw);
    if (code != HEXGPU_EXIT_OK) return code;
    if (!o->json)
        printf("model %s (%dx%d)\nbackend %s, %s, %s\nengine: %d submitters, %s requests in flight each, %d slots, "
               "no cache\n%7s %12s %12s %6s %9s %5s %10s %10s %10s %10s %7s\n",
               model_name, net->board_size, net->board_size, raw.ops->name, raw.precision, raw.device,
               o->submitters, o->in_flight ? "K" : "2 x batch", o->slots, "batch", "raw b/s", "engine b/s", "ratio",
               "meanbatch", "busy", "qwait_p50", "qwait_p99", "lat_p50", "lat_p99", "overlap");
    hexgpu_status st = HEXGPU_OK;
    for (int i = 0; i < o->batch_count && !st; i++) {
        int batch = o->batches[i];
        hexgpu_bench_figure rf;
        engine_figure ef;
        hexgpu_engine *engine = NULL;
        hexgpu_engine_options eo;
        hexgpu_cli_engine_options_default(&eo);
        eo.backend = hexgpu_backend_kind_of(raw.ops); /* the raw run's: a ratio of two backends means nothing */
        eo.device = o->device;
        eo.device_count = o->device_count;
        memcpy(eo.devices, o->devices, sizeof eo.devices);
        eo.precision = raw.precision_used;
        eo.max_batch = batch;
        eo.slots = o->slots;
        eo.cache_entries = 0;
        eo.cpu_threads = o->threads;
        eo.timeline = o->timeline != NULL;
        if ((st = hexgpu_bench_raw_measure(&raw, o, batch, &rf, &err))) break;
        if ((st = hexgpu_engine_open(model_path, &eo, &engine, &err))) break;
        const char *backend = hexgpu_engine_backend_name(engine);
        const char *precision = hexgpu_cli_precision_name(hexgpu_engine_options_used(engine).precision);
        if (hexgpu_engine_options_used(engine).precision != raw.precision_used)
            st = hexgpu_error_set(&err, HEXGPU_ERR_INTERNAL, "bench: the engine runs %s, the raw backend %s", precision,
                                  raw.precision);
        if (!st) st = measure(engine, o, raw.pool, batch, &ef, &err);
        if (!st) print_figure(o, &raw, backend, precision, model_name, net->board_size, batch, &rf, &ef);
        /* The trace of the last batch size only: one file, the size gpu-check looks at. */
        if (!st && o->timeline && i == o->batch_count - 1) st = hexgpu_engine_timeline_write(engine, o->timeline, &err);
        hexgpu_engine_close(engine);
    }
    hexgpu_bench_raw_close(&raw);
    if (st) return hexgpu_cli_fail_status(st, &err);
    return HEXGPU_EXIT_OK;
}
