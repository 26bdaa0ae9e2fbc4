/* Requests in flight, for coalescing: while a position's evaluation is queued or running
 * (its "leader"), a request for the same position joins it as a follower instead of being
 * evaluated again, and gets the leader's results when its batch completes. At the start
 * of a self-play run every game asks for the empty board at once: one evaluation serves
 * them all.
 *
 * An open-addressing table of leaders keyed by hexgpu_position_hash (exact compare on the
 * packed position), linear probing with backward-shift deletion, grown at half full;
 * followers are a list per leader, allocated only when a request joins. Not thread safe:
 * the engine calls it under its own lock. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "host/pending.h"

typedef struct hexgpu_follower {
    hexgpu_pending request;
    size_t leader_index; /* set by the engine when the leader's batch completes: its row */
    struct hexgpu_follower *next;
} hexgpu_follower;

typedef struct hexgpu_inflight_entry {
    hexgpu_position pos;
    uint64_t hash;
    hexgpu_follower *followers; /* newest first */
    int used;
} hexgpu_inflight_entry;

typedef struct hexgpu_inflight {
    hexgpu_inflight_entry *entries;
    size_t capacity; /* a power of two, or 0 before the first leader */
    size_t count;
} hexgpu_inflight;

void hexgpu_inflight_free(hexgpu_inflight *t);

/* request (its hash set) becomes a follower of the leader for its position when there is
 * one (returns 1: the request is stored and must not be queued), or is registered as the
 * leader (returns 0: queue it). -1 when memory runs out: nothing stored, queue it as an
 * ordinary request (it is then simply evaluated twice). */
int hexgpu_inflight_join_or_lead(hexgpu_inflight *t, const hexgpu_pending *request);

/* Removes the leader for pos and returns its followers (oldest first; NULL when none, or
 * when pos has no leader). The caller completes and frees them (hexgpu_follower_free_all). */
hexgpu_follower *hexgpu_inflight_finish(hexgpu_inflight *t, const hexgpu_position *pos, uint64_t hash);

void hexgpu_follower_free_all(hexgpu_follower *list);
