/* Engine statistics: counters, a batch-size histogram, log-scale latency histograms and
 * the backend's busy time, collected by the scheduler and read into the public
 * hexgpu_engine_stats. One lock, taken once per submit call and once per batch. */
#pragma once

#include <pthread.h>
#include <stdint.h>

#include "hexgpu.h"

/* Values in nanoseconds: exact below 8, then 8 buckets per power of two (each bucket
 * spans 1/8 of its octave, so a quantile is within ~6%), up to 2^48 ns. */
#define HEXGPU_LOG_HIST_SUB 8
#define HEXGPU_LOG_HIST_BUCKETS (HEXGPU_LOG_HIST_SUB + 45 * HEXGPU_LOG_HIST_SUB)

typedef struct hexgpu_log_histogram {
    uint64_t count;
    uint64_t buckets[HEXGPU_LOG_HIST_BUCKETS];
} hexgpu_log_histogram;

void hexgpu_log_histogram_add(hexgpu_log_histogram *h, uint64_t value);
/* The value below which a fraction q of the samples lie (bucket midpoint); 0 when empty. */
double hexgpu_log_histogram_quantile(const hexgpu_log_histogram *h, double q);

typedef struct hexgpu_stats {
    pthread_mutex_t lock;
    int64_t start_ns;
    uint64_t requests, completed, failed, evaluated, batches;
    uint64_t batched; /* positions in batches, failed ones included */
    uint64_t coalesced; /* requests that joined an evaluation already queued or running */
    uint64_t batch_histogram[HEXGPU_STATS_BATCH_BUCKETS];
    hexgpu_log_histogram queue_wait_ns, batch_latency_ns;
    int launched;          /* slots between launch and the end of their batch */
    int64_t busy_since_ns; /* when launched went 0 -> 1 */
    int64_t busy_ns;       /* closed busy intervals */
    /* The same per device (index into the engine's device list). */
    struct hexgpu_stats_device {
        uint64_t evaluated, failed, batches;
        int launched;
        int64_t busy_since_ns, busy_ns;
    } devices[HEXGPU_MAX_DEVICES];
    int device_count;
} hexgpu_stats;

/* device_count: 1..HEXGPU_MAX_DEVICES, the devices whose batches are counted apart. */
hexgpu_status hexgpu_stats_init(hexgpu_stats *stats, int device_count, hexgpu_error *err);
void hexgpu_stats_destroy(hexgpu_stats *stats);

void hexgpu_stats_add_requests(hexgpu_stats *stats, uint64_t submitted);
/* Requests that ended without a batch (failed at close, or answered from the cache). */
void hexgpu_stats_add_outcomes(hexgpu_stats *stats, uint64_t completed, uint64_t failed);
/* n requests joined an evaluation in flight (their outcomes come through add_outcomes). */
void hexgpu_stats_add_coalesced(hexgpu_stats *stats, uint64_t n);
/* A slot of device (an index into the device list) starts / ends a batch: the busy
 * fraction counts time with >= 1 slot launched, in total and per device. */
void hexgpu_stats_slot_begin(hexgpu_stats *stats, int device, int64_t now_ns);
/* Ends the slot's batch of `batch` positions: ok or failed as a whole, latency from
 * launch to distributed, waits_ns[i] each request's time in the queue. */
void hexgpu_stats_slot_end(hexgpu_stats *stats, int device, int64_t now_ns, int batch, int ok, int64_t latency_ns,
                           const int64_t *waits_ns);

/* Fills every field but the cache_* ones and the devices' ordinals (devices[i].device = i). */
void hexgpu_stats_read(hexgpu_stats *stats, hexgpu_engine_stats *out);
