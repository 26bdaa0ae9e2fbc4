/* The engine's fields and the internal entry points: opening on an already created
 * backend context (how tests inject a synthetic backend) and the scheduler's workers. */
#pragma once

#include <pthread.h>

#include "hexgpu.h"
#include "host/cache.h"
#include "host/inflight.h"
#include "host/pending.h"
#include "host/ring.h"
#include "host/timeline.h"
#include "host/stats.h"
#include "runtime/backend.h"

/* One slot in flight: a backend slot driven by its own thread. */
typedef struct hexgpu_worker {
    hexgpu_engine *engine;
    int device; /* index into the engine's device list (ctxs) */
    void *slot;
    pthread_t thread;
    int started;
    hexgpu_pending *batch;     /* [max_batch]: the batch taken from the queue */
    int64_t *waits_ns;         /* [max_batch] */
    hexgpu_completion *done;   /* [max_batch] */
} hexgpu_worker;

struct hexgpu_engine {
    const hexgpu_backend_ops *ops;
    void *ctxs[HEXGPU_MAX_DEVICES]; /* the backend's, one per device, destroyed at close */
    int ctx_count;
    int board_size, cells;
    hexgpu_engine_options options; /* resolved */
    char backend_choice[512];
    char *model_path; /* the file opened (names the model in a non-finite-output error); NULL when injected */
    /* What the backend context borrows (the network): released after it is destroyed. */
    void *borrowed;
    void (*borrowed_free)(void *borrowed);

    hexgpu_cache *cache; /* NULL when off */
    /* Each batch's phases, when options.timeline is on and the backend measures them. */
    hexgpu_timeline *timeline; /* NULL when off */
    hexgpu_slot_timing_fn slot_timing;
    hexgpu_stats stats;
    /* Requests queued or in a batch, by position, for coalescing (only with the cache on:
     * the hash is computed for it). Its own lock: submit and batch completion take it
     * once per chunk / batch. */
    pthread_mutex_t inflight_lock;
    hexgpu_inflight inflight;

    pthread_mutex_t lock; /* guards the pending ring and closing */
    pthread_cond_t work;  /* requests queued, or closing */
    hexgpu_ring pending;  /* of hexgpu_pending, oldest first */
    size_t ring_reserved; /* room promised to submit calls still copying their requests in */
    int closing;

    hexgpu_worker *workers;
    int worker_count;
};

/* Validates options (NULL = defaults) and fills the defaults that depend on the backend
 * (max_batch: its default_max_batch; left 0 when ops is NULL). */
hexgpu_status hexgpu_engine_options_resolve(const hexgpu_engine_options *in, const hexgpu_backend_ops *ops,
                                            hexgpu_engine_options *out, hexgpu_error *err);

/* Opens an engine on ctxs[0..count) (1..HEXGPU_MAX_DEVICES contexts of ops, one per
 * device, each created with options->max_batch; resolved options): options->slots workers
 * per context, all taking batches from the one pending ring, one cache. The engine owns
 * every context from here on, also on failure (they are destroyed), and likewise
 * borrowed (released with borrowed_free after the contexts; both may be NULL). choice
 * (may be NULL) says how the backend was chosen. When options->device_count differs from
 * count (injected stand-ins), the devices are numbered 0..count-1. */
hexgpu_status hexgpu_engine_open_backends(const hexgpu_backend_ops *ops, void *const *ctxs, int count, int board_size,
                                          const hexgpu_engine_options *options, const char *choice, void *borrowed,
                                          void (*borrowed_free)(void *), hexgpu_engine **engine, hexgpu_error *err);

/* hexgpu_engine_open_backends on the one context ctx. */
hexgpu_status hexgpu_engine_open_backend(const hexgpu_backend_ops *ops, void *ctx, int board_size,
                                         const hexgpu_engine_options *options, const char *choice,
                                         void *borrowed, void (*borrowed_free)(void *), hexgpu_engine **engine,
                                         hexgpu_error *err);

/* The worker thread's body (scheduler.c). */
void *hexgpu_worker_main(void *worker);
/* Takes every queued request out and fails it with HEXGPU_ERR_CLOSED (scheduler.c);
 * called with closing set. */
void hexgpu_scheduler_fail_queued(hexgpu_engine *engine);
