/* A request as the engine keeps it between submit and completion. */
#pragma once

#include <stdint.h>

#include "hexgpu.h"

/* A submitted request waiting for (or in) a batch: everything the scheduler needs,
 * copied at submit so the caller's request array can be reused. */
typedef struct hexgpu_pending {
    hexgpu_position pos;
    float *value, *policy, *logits; /* caller-owned, any may be NULL */
    uint64_t tag;
    hexgpu_queue *queue;
    uint64_t hash;      /* hexgpu_position_hash when the cache is on, else 0 */
    int64_t enqueue_ns; /* for the queue-wait statistic */
    int leader;         /* registered in the in-flight table: its completion serves the followers */
} hexgpu_pending;
