/* A synthetic backend for tests and the host-overhead benchmark: it computes a cheap
 * deterministic function of each position instead of a network, can be told to fail a
 * chosen batch, to take a given time per batch, or to do no work at all. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "runtime/backend.h"

typedef struct hexgpu_synthetic_config {
    int board_size;
    int64_t delay_ns;   /* slot_wait takes at least this long: a slow backend */
    int64_t fail_batch; /* the k-th batch launched on the context (1-based) fails in slot_wait; 0 = none */
    int no_work;        /* leave the outputs untouched (host-overhead measurement) */
} hexgpu_synthetic_config;

extern const hexgpu_backend_ops hexgpu_backend_synthetic;

/* A context of hexgpu_backend_synthetic whose slots hold max_batch positions. (The ops'
 * create makes one from a network: board size from it, everything else default.) */
hexgpu_status hexgpu_synthetic_create(const hexgpu_synthetic_config *config, int max_batch, void **ctx,
                                      hexgpu_error *err);

/* An engine on one synthetic context (options NULL = defaults; max_batch resolved as for
 * any backend), named choice ("backend synthetic (...)"): for the host benchmarks and
 * tests. *ctx (may be NULL) gets the context, which the engine owns. */
hexgpu_status hexgpu_engine_open_synthetic(const hexgpu_synthetic_config *config, const hexgpu_engine_options *options,
                                           const char *choice, hexgpu_engine **engine, void **ctx, hexgpu_error *err);

/* What the backend answers for pos: value in (-1, 1), logits [n*n] in [-2, 2), policy
 * [n*n] the softmax of the logits over the empty cells (occupied cells 0). */
void hexgpu_synthetic_outputs(const hexgpu_position *pos, float *value, float *policy, float *logits);

/* Batches launched so far, and the positions of the batch that failed (their hashes,
 * up to max; returns how many it held, 0 when none failed yet). */
int64_t hexgpu_synthetic_batches(void *ctx);
size_t hexgpu_synthetic_failed(void *ctx, uint64_t *hashes, size_t max);
