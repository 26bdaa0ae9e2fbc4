/* The engine's batch timeline: a bounded ring of each batch's phases (from the backend's
 * slot_timing), the overlap of one slot's compute with other slots' copies, and a Chrome
 * trace writer (chrome://tracing, Perfetto). */
#pragma once

#include <pthread.h>
#include <stddef.h>

#include "hexgpu.h"
#include "runtime/backend.h"

#define HEXGPU_TIMELINE_CAPACITY 65536 /* batches kept by an engine; older ones are dropped */

typedef struct hexgpu_timeline_entry {
    int slot;  /* the engine's slot index, 0-based */
    int batch; /* positions in the batch */
    hexgpu_slot_timing phases;
} hexgpu_timeline_entry;

typedef struct hexgpu_timeline {
    pthread_mutex_t lock; /* guards the ring: workers add, readers copy out */
    hexgpu_timeline_entry *entries; /* [capacity], circular */
    size_t capacity, next, count;
} hexgpu_timeline;

/* An empty ring of capacity (>= 1) entries. HEXGPU_ERR_OUT_OF_MEMORY leaves nothing. */
hexgpu_status hexgpu_timeline_init(hexgpu_timeline *timeline, size_t capacity, hexgpu_error *err);
void hexgpu_timeline_destroy(hexgpu_timeline *timeline);

/* Appends one batch, dropping the oldest when full. Thread safe. */
void hexgpu_timeline_add(hexgpu_timeline *timeline, const hexgpu_timeline_entry *entry);

/* The entries held, oldest first, in a malloc'd array the caller frees (*out NULL when
 * none, or when out of memory: then returns 0 too). Thread safe. */
size_t hexgpu_timeline_copy(hexgpu_timeline *timeline, hexgpu_timeline_entry **out);

/* The share of all compute time (summed over entries) during which a copy phase (h2d or
 * d2h) of another slot was running; copies of several other slots at once count once.
 * -1 when the entries hold no compute time at all. */
double hexgpu_timeline_overlap(const hexgpu_timeline_entry *entries, size_t n);

/* Writes entries as a Chrome trace JSON file: one "X" event per phase (names h2d,
 * compute, d2h; ts and dur in microseconds from the earliest instant), tid = slot, with
 * a thread name per slot. HEXGPU_ERR_IO names the path when it cannot be written. */
hexgpu_status hexgpu_timeline_write_chrome(const hexgpu_timeline_entry *entries, size_t n, const char *path,
                                           hexgpu_error *err);
