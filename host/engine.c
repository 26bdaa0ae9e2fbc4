/* The engine's life cycle: options, opening on a backend context (slots, workers, cache),
 * closing, and the read-only accessors and statistics. The request path is scheduler.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_impl.h"
#include "base/timer.h"
#include "base/status.h"

#define MAX_SLOTS 64
#define MAX_BATCH_LIMIT (1 << 20)

void hexgpu_engine_options_default(hexgpu_engine_options *o) {
    memset(o, 0, sizeof *o);
    o->backend = HEXGPU_BACKEND_AUTO;
    o->precision = HEXGPU_PRECISION_AUTO;
    o->slots = 3;
    o->want_logits = 1;
    o->log_level = HEXGPU_LOG_WARNING;
}

hexgpu_status hexgpu_engine_options_resolve(const hexgpu_engine_options *in, const hexgpu_backend_ops *ops,
                                            hexgpu_engine_options *out, hexgpu_error *err) {
    if (in) *out = *in;
    else hexgpu_engine_options_default(out);
    if (out->slots < 1 || out->slots > MAX_SLOTS)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "engine options: slots %d is outside 1..%d", out->slots,
                                MAX_SLOTS);
    if (out->max_batch < 0 || out->max_batch > MAX_BATCH_LIMIT)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "engine options: max_batch %d is outside 1..%d",
                                out->max_batch, MAX_BATCH_LIMIT);
    if (out->fill_window_us < 0 || out->cpu_threads < 0 || out->device < 0)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT,
                                "engine options: fill_window_us %d, cpu_threads %d, device %d must not be negative",
                                out->fill_window_us, out->cpu_threads, out->device);
    if (out->device_count != HEXGPU_DEVICES_ALL && (out->device_count < 0 || out->device_count > HEXGPU_MAX_DEVICES))
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "engine options: device_count %d is outside 0..%d",
                                out->device_count, HEXGPU_MAX_DEVICES);
    for (int i = 0; i < out->device_count; i++)
        if (out->devices[i] < 0)
            return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "engine options: devices[%d] = %d is negative", i,
                                    out->devices[i]);
    if (out->device_count == 0) {
        out->device_count = 1;
        out->devices[0] = out->device;
    }
    if (out->device_count > 0) out->device = out->devices[0];
    if (out->max_batch == 0 && ops) out->max_batch = ops->default_max_batch > 0 ? ops->default_max_batch : 64;
    if (out->log_level != HEXGPU_LOG_WARNING && out->log_level != HEXGPU_LOG_INFO)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "engine options: log_level %d is not a level",
                                (int)out->log_level);
    out->want_logits = out->want_logits != 0;
    out->timeline = out->timeline != 0;
    return HEXGPU_OK;
}

/* Workers are stopped by close; this is also the failure path of open, so it copes
 * with a half-built engine (NULL members, workers not started). */
static void engine_free(hexgpu_engine *e) {
    pthread_mutex_lock(&e->lock);
    e->closing = 1;
    pthread_cond_broadcast(&e->work);
    pthread_mutex_unlock(&e->lock);
    hexgpu_scheduler_fail_queued(e);
    for (int i = 0; i < e->worker_count; i++)
        if (e->workers[i].started) pthread_join(e->workers[i].thread, NULL);
    for (int i = 0; i < e->worker_count; i++) {
        hexgpu_worker *w = &e->workers[i];
        if (w->slot) e->ops->slot_destroy(w->slot);
        free(w->batch), free(w->waits_ns), free(w->done);
    }
    free(e->workers);
    for (int i = 0; i < e->ctx_count; i++)
        if (e->ctxs[i]) e->ops->destroy(e->ctxs[i]);
    if (e->borrowed_free) e->borrowed_free(e->borrowed);
    hexgpu_cache_destroy(e->cache);
    if (e->timeline) hexgpu_timeline_destroy(e->timeline);
    free(e->timeline);
    free(e->model_path);
    hexgpu_ring_free(&e->pending);
    hexgpu_inflight_free(&e->inflight);
    pthread_mutex_destroy(&e->inflight_lock);
    hexgpu_stats_destroy(&e->stats);
    pthread_cond_destroy(&e->work);
    pthread_mutex_destroy(&e->lock);
    free(e);
}

static hexgpu_status alloc_worker(hexgpu_engine *e, hexgpu_worker *w, int device, hexgpu_error *err) {
    size_t n = (size_t)e->options.max_batch;
    w->engine = e;
    w->device = device;
    w->batch = malloc(n * sizeof *w->batch);
    w->waits_ns = malloc(n * sizeof *w->waits_ns);
    w->done = malloc(n * sizeof *w->done);
    if (!w->batch || !w->waits_ns || !w->done)
        return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "engine: out of memory for a slot's %zu request records (%zu bytes)",
                                n, n * (sizeof *w->batch + sizeof *w->waits_ns + sizeof *w->done));
    void *slot = NULL;
    hexgpu_status st = e->ops->slot_create(e->ctxs[device], &slot, err);
    if (st == HEXGPU_OK) w->slot = slot;
    return st;
}

hexgpu_status hexgpu_engine_open_backend(const hexgpu_backend_ops *ops, void *ctx, int board_size,
                                         const hexgpu_engine_options *options, const char *choice,
                                         void *borrowed, void (*borrowed_free)(void *), hexgpu_engine **out,
                                         hexgpu_error *err) {
    return hexgpu_engine_open_backends(ops, &ctx, 1, board_size, options, choice, borrowed, borrowed_free, out, err);
}

hexgpu_status hexgpu_engine_open_backends(const hexgpu_backend_ops *ops, void *const *ctxs, int count, int board_size,
                                          const hexgpu_engine_options *options, const char *choice, void *borrowed,
                                          void (*borrowed_free)(void *), hexgpu_engine **out, hexgpu_error *err) {
    *out = NULL;
    hexgpu_engine *e = count >= 1 && count <= HEXGPU_MAX_DEVICES ? calloc(1, sizeof *e) : NULL;
    if (!e) {
        for (int i = 0; i < count && i < HEXGPU_MAX_DEVICES; i++)
            if (ctxs[i]) ops->destroy(ctxs[i]);
        if (borrowed_free) borrowed_free(borrowed);
        if (count < 1 || count > HEXGPU_MAX_DEVICES)
            return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "engine: %d backend contexts, outside 1..%d", count,
                                    HEXGPU_MAX_DEVICES);
        return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "engine: out of memory (%zu bytes)", sizeof *e);
    }
    e->ops = ops;
    hexgpu_ring_init(&e->pending, sizeof(hexgpu_pending));
    for (int i = 0; i < count; i++) e->ctxs[i] = ctxs[i];
    e->ctx_count = count;
    e->borrowed = borrowed;
    e->borrowed_free = borrowed_free;
    pthread_mutex_init(&e->lock, NULL);
    pthread_mutex_init(&e->inflight_lock, NULL);
    hexgpu_timer_cond_init(&e->work);
    hexgpu_status st = hexgpu_stats_init(&e->stats, count, err);
    if (st == HEXGPU_OK) st = hexgpu_engine_options_resolve(options, ops, &e->options, err);
    if (st == HEXGPU_OK && e->options.device_count != count) {
        for (int i = 0; i < count; i++) e->options.devices[i] = i;
        e->options.device_count = count;
        e->options.device = 0;
    }
    if (st == HEXGPU_OK && (board_size < HEXGPU_MIN_SIZE || board_size > HEXGPU_MAX_SIZE))
        st = hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT, "engine: board size %d is outside 1..19", board_size);
    if (st != HEXGPU_OK) {
        engine_free(e);
        return st;
    }
    e->board_size = board_size;
    e->cells = board_size * board_size;
    snprintf(e->backend_choice, sizeof e->backend_choice, "%s", choice ? choice : ops->name);
    if (ops->precision) e->options.precision = ops->precision(ctxs[0]);
    if (e->options.cache_entries > 0)
        st = hexgpu_cache_create(e->options.cache_entries, e->cells, e->options.want_logits, &e->cache, err);
    if (st == HEXGPU_OK && e->options.timeline && hexgpu_backend_slot_timing(ops)) {
        e->slot_timing = hexgpu_backend_slot_timing(ops);
        e->timeline = calloc(1, sizeof *e->timeline);
        st = e->timeline ? hexgpu_timeline_init(e->timeline, HEXGPU_TIMELINE_CAPACITY, err)
                         : hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "engine: out of memory for the timeline");
    }
    /* Workers of the devices interleaved (device 0's first slot, device 1's first, ...), so
     * that the first free slots to wait on the ring belong to different devices. */
    int slots = e->options.slots;
    if (st == HEXGPU_OK) {
        e->workers = calloc((size_t)slots * (size_t)count, sizeof *e->workers);
        if (!e->workers)
            st = hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "engine: out of memory for %d slots", slots * count);
        else e->worker_count = slots * count;
    }
    for (int i = 0; st == HEXGPU_OK && i < e->worker_count; i++) {
        int device = i % count;
        st = alloc_worker(e, &e->workers[i], device, err);
        if (st != HEXGPU_OK)
            hexgpu_error_prefix(err, st, "engine: device %d, slot %d of %d", e->options.devices[device], i / count + 1, slots);
    }
    for (int i = 0; st == HEXGPU_OK && i < e->worker_count; i++) {
        if (pthread_create(&e->workers[i].thread, NULL, hexgpu_worker_main, &e->workers[i]) != 0)
            st = hexgpu_error_set(err, HEXGPU_ERR_INTERNAL, "engine: could not start worker thread %d", i + 1);
        else e->workers[i].started = 1;
    }
    if (st != HEXGPU_OK) {
        engine_free(e);
        return st;
    }
    *out = e;
    return HEXGPU_OK;
}

void hexgpu_engine_close(hexgpu_engine *engine) {
    if (engine) engine_free(engine);
}

int hexgpu_engine_board_size(const hexgpu_engine *engine) { return engine->board_size; }
const char *hexgpu_engine_backend_name(const hexgpu_engine *engine) { return engine->ops->name; }
const char *hexgpu_engine_backend_choice(const hexgpu_engine *engine) { return engine->backend_choice; }
hexgpu_engine_options hexgpu_engine_options_used(const hexgpu_engine *engine) { return engine->options; }

/* The timeline, oldest batch first (*entries malloc'd, NULL when empty); HEXGPU_ERR_UNSUPPORTED
 * when the engine keeps none. */
static hexgpu_status timeline_copy(hexgpu_engine *e, hexgpu_timeline_entry **entries, size_t *n, hexgpu_error *err) {
    *entries = NULL;
    *n = 0;
    if (!e->timeline) {
        if (!e->options.timeline)
            return hexgpu_error_set(err, HEXGPU_ERR_UNSUPPORTED, "engine timeline: the engine was opened with timeline = 0");
        return hexgpu_error_set(err, HEXGPU_ERR_UNSUPPORTED, "engine timeline: backend %s does not time its phases",
                                e->ops->name);
    }
    pthread_mutex_lock(&e->timeline->lock);
    size_t held = e->timeline->count;
    pthread_mutex_unlock(&e->timeline->lock);
    *n = hexgpu_timeline_copy(e->timeline, entries);
    if (*n == 0 && held > 0)
        return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "engine timeline: out of memory copying %zu batches", held);
    return HEXGPU_OK;
}

hexgpu_status hexgpu_engine_timeline_write(hexgpu_engine *engine, const char *path, hexgpu_error *err) {
    if (!engine || !path)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "hexgpu_engine_timeline_write: NULL engine or path");
    hexgpu_timeline_entry *entries;
    size_t n;
    hexgpu_status st = timeline_copy(engine, &entries, &n, err);
    if (st == HEXGPU_OK) st = hexgpu_timeline_write_chrome(entries, n, path, err);
    free(entries);
    return st;
}

void hexgpu_engine_stats_read(hexgpu_engine *engine, hexgpu_engine_stats *stats) {
    hexgpu_stats_read(&engine->stats, stats);
    stats->overlap_fraction = -1.0;
    hexgpu_timeline_entry *entries;
    size_t n;
    if (engine->timeline && timeline_copy(engine, &entries, &n, NULL) == HEXGPU_OK) {
        stats->overlap_fraction = hexgpu_timeline_overlap(entries, n);
        free(entries);
    }
    for (int i = 0; i < stats->device_count; i++) stats->devices[i].device = engine->options.devices[i];
    for (int i = 0; i < engine->ctx_count; i++) {
        hexgpu_backend_counters counters;
        hexgpu_backend_counters_read(engine->ops, engine->ctxs[i], &counters);
        stats->graphs_captured += counters.graphs_captured;
        stats->graphs_refused += counters.graphs_refused;
        stats->conv_fallbacks += counters.conv_fallbacks;
    }
    if (!engine->cache) return;
    hexgpu_cache_stats c;
    hexgpu_cache_stats_read(engine->cache, &c);
    stats->cache_hits = c.hits;
    stats->cache_misses = c.misses;
    stats->cache_evictions = c.evictions;
    stats->cache_size = c.size;
    stats->cache_capacity = c.capacity;
    stats->cache_hit_rate = c.hits + c.misses ? (double)c.hits / (double)(c.hits + c.misses) : 0.0;
}
