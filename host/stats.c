/* Engine statistics: histograms, counters, busy time and the JSON form (see stats.h). */
#include "host/stats.h"

#include <stdio.h>
#include <string.h>

#include "base/timer.h"
#include "base/status.h"

static int log_bucket(uint64_t v) {
    if (v < HEXGPU_LOG_HIST_SUB) return (int)v;
    if (v >> 48) v = (1ull << 48) - 1;
    int e = 63 - __builtin_clzll(v); /* >= 3 */
    int sub = (int)(v >> (e - 3)) - HEXGPU_LOG_HIST_SUB;
    return HEXGPU_LOG_HIST_SUB + (e - 3) * HEXGPU_LOG_HIST_SUB + sub;
}

static double log_bucket_mid(int idx) {
    if (idx < HEXGPU_LOG_HIST_SUB) return idx;
    int e = (idx - HEXGPU_LOG_HIST_SUB) / HEXGPU_LOG_HIST_SUB + 3;
    int sub = (idx - HEXGPU_LOG_HIST_SUB) % HEXGPU_LOG_HIST_SUB;
    double low = (double)((uint64_t)(HEXGPU_LOG_HIST_SUB + sub) << (e - 3));
    return low + (double)(1ull << (e - 3)) / 2.0;
}

void hexgpu_log_histogram_add(hexgpu_log_histogram *h, uint64_t value) {
    h->buckets[log_bucket(value)]++;
    h->count++;
}

double hexgpu_log_histogram_quantile(const hexgpu_log_histogram *h, double q) {
    if (h->count == 0) return 0.0;
    uint64_t rank = (uint64_t)(q * (double)h->count + 0.999999);
    if (rank < 1) rank = 1;
    uint64_t seen = 0;
    for (int i = 0; i < HEXGPU_LOG_HIST_BUCKETS; i++) {
        seen += h->buckets[i];
        if (seen >= rank) return log_bucket_mid(i);
    }
    return log_bucket_mid(HEXGPU_LOG_HIST_BUCKETS - 1);
}

hexgpu_status hexgpu_stats_init(hexgpu_stats *stats, int device_count, hexgpu_error *err) {
    memset(stats, 0, sizeof *stats);
    stats->device_count = device_count < 1 ? 1 : device_count > HEXGPU_MAX_DEVICES ? HEXGPU_MAX_DEVICES : device_count;
    if (pthread_mutex_init(&stats->lock, NULL) != 0)
        return hexgpu_error_set(err, HEXGPU_ERR_INTERNAL, "statistics: pthread_mutex_init failed");
    stats->start_ns = hexgpu_timer_now_ns();
    return HEXGPU_OK;
}

void hexgpu_stats_destroy(hexgpu_stats *stats) { pthread_mutex_destroy(&stats->lock); }

void hexgpu_stats_add_requests(hexgpu_stats *stats, uint64_t submitted) {
    pthread_mutex_lock(&stats->lock);
    stats->requests += submitted;
    pthread_mutex_unlock(&stats->lock);
}

void hexgpu_stats_add_outcomes(hexgpu_stats *stats, uint64_t completed, uint64_t failed) {
    pthread_mutex_lock(&stats->lock);
    stats->completed += completed;
    stats->failed += failed;
    pthread_mutex_unlock(&stats->lock);
}

void hexgpu_stats_add_coalesced(hexgpu_stats *stats, uint64_t n) {
    pthread_mutex_lock(&stats->lock);
    stats->coalesced += n;
    pthread_mutex_unlock(&stats->lock);
}

void hexgpu_stats_slot_begin(hexgpu_stats *stats, int device, int64_t now_ns) {
    struct hexgpu_stats_device *d = &stats->devices[device];
    pthread_mutex_lock(&stats->lock);
    if (stats->launched++ == 0) stats->busy_since_ns = now_ns;
    if (d->launched++ == 0) d->busy_since_ns = now_ns;
    pthread_mutex_unlock(&stats->lock);
}

void hexgpu_stats_slot_end(hexgpu_stats *stats, int device, int64_t now_ns, int batch, int ok, int64_t latency_ns,
                           const int64_t *waits_ns) {
    struct hexgpu_stats_device *d = &stats->devices[device];
    int bucket = 63 - __builtin_clzll((unsigned long long)(batch > 0 ? batch : 1));
    if (bucket >= HEXGPU_STATS_BATCH_BUCKETS) bucket = HEXGPU_STATS_BATCH_BUCKETS - 1;
    pthread_mutex_lock(&stats->lock);
    if (--stats->launched == 0) stats->busy_ns += now_ns - stats->busy_since_ns;
    if (--d->launched == 0) d->busy_ns += now_ns - d->busy_since_ns;
    d->batches++;
    if (ok) d->evaluated += (uint64_t)batch;
    else d->failed += (uint64_t)batch;
    stats->batches++;
    stats->batched += (uint64_t)batch;
    stats->batch_histogram[bucket]++;
    if (ok) {
        stats->evaluated += (uint64_t)batch;
        stats->completed += (uint64_t)batch;
    } else {
        stats->failed += (uint64_t)batch;
    }
    hexgpu_log_histogram_add(&stats->batch_latency_ns, (uint64_t)(latency_ns > 0 ? latency_ns : 0));
    for (int i = 0; i < batch; i++)
        hexgpu_log_histogram_add(&stats->queue_wait_ns, (uint64_t)(waits_ns[i] > 0 ? waits_ns[i] : 0));
    pthread_mutex_unlock(&stats->lock);
}

void hexgpu_stats_read(hexgpu_stats *stats, hexgpu_engine_stats *out) {
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&stats->lock);
    int64_t now = hexgpu_timer_now_ns();
    int64_t busy = stats->busy_ns + (stats->launched > 0 ? now - stats->busy_since_ns : 0);
    double wall = (double)(now - stats->start_ns) * 1e-9;
    out->wall_seconds = wall;
    out->requests = stats->requests;
    out->completed = stats->completed;
    out->failed = stats->failed;
    out->evaluated = stats->evaluated;
    out->boards_per_second = wall > 0 ? (double)stats->evaluated / wall : 0.0;
    out->batches = stats->batches;
    out->coalesced = stats->coalesced;
    out->mean_batch = stats->batches ? (double)stats->batched / (double)stats->batches : 0.0;
    memcpy(out->batch_histogram, stats->batch_histogram, sizeof out->batch_histogram);
    out->queue_wait_p50_us = hexgpu_log_histogram_quantile(&stats->queue_wait_ns, 0.50) * 1e-3;
    out->queue_wait_p99_us = hexgpu_log_histogram_quantile(&stats->queue_wait_ns, 0.99) * 1e-3;
    out->batch_latency_p50_us = hexgpu_log_histogram_quantile(&stats->batch_latency_ns, 0.50) * 1e-3;
    out->batch_latency_p99_us = hexgpu_log_histogram_quantile(&stats->batch_latency_ns, 0.99) * 1e-3;
    out->busy_fraction = wall > 0 ? (double)busy * 1e-9 / wall : 0.0;
    out->device_count = stats->device_count;
    for (int i = 0; i < stats->device_count; i++) {
        const struct hexgpu_stats_device *d = &stats->devices[i];
        int64_t dbusy = d->busy_ns + (d->launched > 0 ? now - d->busy_since_ns : 0);
        out->devices[i] = (hexgpu_device_stats){
            .device = i, .evaluated = d->evaluated, .failed = d->failed, .batches = d->batches,
            .boards_per_second = wall > 0 ? (double)d->evaluated / wall : 0.0,
            .busy_fraction = wall > 0 ? (double)dbusy * 1e-9 / wall : 0.0};
    }
    pthread_mutex_unlock(&stats->lock);
}

size_t hexgpu_engine_stats_json(const hexgpu_engine_stats *s, char *buf, size_t len) {
    char hist[HEXGPU_STATS_BATCH_BUCKETS * 24 + 4];
    size_t used = 0;
    hist[0] = '\0';
    for (int b = 0; b < HEXGPU_STATS_BATCH_BUCKETS; b++)
        used += (size_t)snprintf(hist + used, sizeof hist - used, "%s%llu", b ? "," : "",
                                 (unsigned long long)s->batch_histogram[b]);
    char devices[HEXGPU_MAX_DEVICES * 160 + 4];
    size_t dused = 0;
    devices[0] = '\0';
    int ndev = s->device_count < 0 ? 0 : s->device_count > HEXGPU_MAX_DEVICES ? HEXGPU_MAX_DEVICES : s->device_count;
    for (int i = 0; i < ndev; i++) {
        const hexgpu_device_stats *d = &s->devices[i];
        dused += (size_t)snprintf(devices + dused, sizeof devices - dused,
                                  "%s{\"device\":%d,\"evaluated\":%llu,\"failed\":%llu,\"batches\":%llu,"
                                  "\"boards_per_second\":%.1f,\"busy_fraction\":%.4f}",
                                  i ? "," : "", d->device, (unsigned long long)d->evaluated,
                                  (unsigned long long)d->failed, (unsigned long long)d->batches, d->boards_per_second,
                                  d->busy_fraction);
    }
    char overlap[32] = "null"; /* not measured */
    if (s->overlap_fraction >= 0) snprintf(overlap, sizeof overlap, "%.4f", s->overlap_fraction);
    int n = snprintf(buf, len,
                     "{\"wall_seconds\":%.6f,\"requests\":%llu,\"completed\":%llu,\"failed\":%llu,"
                     "\"evaluated\":%llu,\"coalesced\":%llu,\"boards_per_second\":%.1f,\"batches\":%llu,\"mean_batch\":%.3f,"
                     "\"batch_histogram_pow2\":[%s],\"queue_wait_us\":{\"p50\":%.1f,\"p99\":%.1f},"
                     "\"batch_latency_us\":{\"p50\":%.1f,\"p99\":%.1f},\"busy_fraction\":%.4f,"
                     "\"cache\":{\"hits\":%llu,\"misses\":%llu,\"hit_rate\":%.4f,\"evictions\":%llu,"
                     "\"size\":%llu,\"capacity\":%llu},\"overlap_fraction\":%s,"
                     "\"backend\":{\"graphs_captured\":%llu,\"graphs_refused\":%llu,\"conv_fallbacks\":%llu},\"devices\":[%s]}",
                     s->wall_seconds, (unsigned long long)s->requests, (unsigned long long)s->completed,
                     (unsigned long long)s->failed, (unsigned long long)s->evaluated, (unsigned long long)s->coalesced,
                     s->boards_per_second,
                     (unsigned long long)s->batches, s->mean_batch, hist, s->queue_wait_p50_us,
                     s->queue_wait_p99_us, s->batch_latency_p50_us, s->batch_latency_p99_us, s->busy_fraction,
                     (unsigned long long)s->cache_hits, (unsigned long long)s->cache_misses, s->cache_hit_rate,
                     (unsigned long long)s->cache_evictions, (unsigned long long)s->cache_size,
                     (unsigned long long)s->cache_capacity, overlap, (unsigned long long)s->graphs_captured,
                     (unsigned long long)s->graphs_refused, (unsigned long long)s->conv_fallbacks, devices);
    return n < 0 ? 0 : (size_t)n;
}
