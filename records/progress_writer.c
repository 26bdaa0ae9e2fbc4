/* Self-play progress lines (see progress_writer.h). */
#include "records/progress_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/status.h"
#include "base/timer.h"

#define PROGRESS_SUFFIX ".progress.jsonl"
#define INTERVAL_SECONDS 1.0

struct hexgpu_progress_writer {
    char path[4096 + sizeof PROGRESS_SUFFIX];
    int fd;            /* -1 until the first line */
    int failed;        /* a write failed: no more lines */
    hexgpu_error error;
    double opened, last;
    int64_t games, positions, wins[2];
    int64_t last_games, last_positions;
    uint64_t last_evaluated;
};

hexgpu_progress_writer *hexgpu_progress_writer_open(const char *records_path) {
    hexgpu_progress_writer *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    snprintf(w->path, sizeof w->path, "%s%s", records_path, PROGRESS_SUFFIX);
    w->fd = -1;
    w->opened = w->last = hexgpu_timer_now_seconds();
    return w;
}

const char *hexgpu_progress_writer_path(const hexgpu_progress_writer *w) { return w ? w->path : ""; }

/* One line into buf; returns its length (0 when it does not fit). */
static size_t format_line(hexgpu_progress_writer *w, const hexgpu_engine_stats *s, double now, int final,
                          char *buf, size_t cap) {
    double span = now - w->last > 1e-9 ? now - w->last : 1e-9;
    size_t n = 0;
#define PUT(...)                                                                                                    \
    do {                                                                                                            \
        int k = snprintf(buf + n, n < cap ? cap - n : 0, __VA_ARGS__);                                             \
        n += k > 0 ? (size_t)k : 0;                                                                                 \
    } while (0)
    PUT("{\"time\":%lld,\"seconds\":%.3f,\"games\":%lld,\"positions\":%lld,\"wins\":{\"blue\":%lld,\"red\":%lld},",
        (long long)time(NULL), now - w->opened, (long long)w->games, (long long)w->positions, (long long)w->wins[0],
        (long long)w->wins[1]);
    PUT("\"games_per_second\":%.4f,\"positions_per_second\":%.2f,\"evaluations_per_second\":%.1f,",
        (double)(w->games - w->last_games) / span, (double)(w->positions - w->last_positions) / span,
        (double)(s->evaluated - w->last_evaluated) / span);
    PUT("\"evaluated\":%llu,\"cache_hit_rate\":%.4f,\"mean_batch\":%.2f,\"batch_histogram\":[",
        (unsigned long long)s->evaluated, s->cache_hit_rate, s->mean_batch);
    for (int b = 0; b < HEXGPU_STATS_BATCH_BUCKETS; b++)
        PUT("%s%llu", b ? "," : "", (unsigned long long)s->batch_histogram[b]);
    PUT("],\"devices\":[");
    for (int d = 0; d < s->device_count && d < HEXGPU_MAX_DEVICES; d++)
        PUT("%s{\"device\":%d,\"evaluated\":%llu,\"boards_per_second\":%.1f,\"busy_fraction\":%.4f}", d ? "," : "",
            s->devices[d].device, (unsigned long long)s->devices[d].evaluated, s->devices[d].boards_per_second,
            s->devices[d].busy_fraction);
    PUT("],\"final\":%s}\n", final ? "true" : "false");
#undef PUT
    return n < cap ? n : 0;
}

static void write_line(hexgpu_progress_writer *w, hexgpu_engine *engine, double now, int final) {
    if (w->failed) return;
    hexgpu_engine_stats stats;
    hexgpu_engine_stats_read(engine, &stats);
    char line[4096];
    size_t len = format_line(w, &stats, now, final, line, sizeof line);
    if (w->fd < 0) w->fd = open(w->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    ssize_t wrote = w->fd >= 0 && len > 0 ? write(w->fd, line, len) : -1;
    if (wrote != (ssize_t)len || len == 0) {
        w->failed = 1;
        hexgpu_error_set(&w->error, HEXGPU_ERR_IO, "progress file %s: %s", w->path,
                         w->fd < 0 || wrote < 0 ? strerror(errno) : "short write");
        return;
    }
    w->last = now;
    w->last_games = w->games, w->last_positions = w->positions, w->last_evaluated = stats.evaluated;
}

void hexgpu_progress_writer_game(hexgpu_progress_writer *w, hexgpu_engine *engine, int moves, hexgpu_color winner) {
    if (!w) return;
    w->games++;
    w->positions += moves;
    w->wins[winner == HEXGPU_RED]++;
    double now = hexgpu_timer_now_seconds();
    if (w->games == 1 || now - w->last >= INTERVAL_SECONDS) write_line(w, engine, now, 0);
}

hexgpu_status hexgpu_progress_writer_close(hexgpu_progress_writer *w, hexgpu_engine *engine, hexgpu_error *err) {
    if (!w) return HEXGPU_OK;
    if (w->games > 0) write_line(w, engine, hexgpu_timer_now_seconds(), 1);
    if (w->fd >= 0) close(w->fd);
    hexgpu_status st = w->failed ? w->error.status : HEXGPU_OK;
    if (st != HEXGPU_OK && err) *err = w->error;
    free(w);
    return st;
}
