/* The result cache: position -> (value, policy, logits), LRU per shard, keyed by
 * hexgpu_position_hash with an exact compare of the packed position on hit. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "hexgpu.h"

/* Capacity is split over independently locked shards (a power of two, up to 64, about
 * one per 256 entries; one shard below 512 entries, so small caches are exactly LRU;
 * larger ones are LRU within each shard). Every entry's floats live in one arena
 * allocated at create. The arena is ordinary host memory: results are copied into it
 * from the backend slot's pinned output buffers (about 1.4 KB per 13x13 position, small
 * next to the network's work), which keeps the slot free for its next batch.
 * Thread safety: every function but create/destroy may be called concurrently. */
typedef struct hexgpu_cache hexgpu_cache;

typedef struct hexgpu_cache_stats {
    uint64_t hits, misses, evictions, size, capacity;
} hexgpu_cache_stats;

/* capacity 1..2^31 entries of `cells` policy floats (and as many logits when
 * with_logits). A capacity above that maximum is HEXGPU_ERR_INVALID_ARGUMENT (a bad
 * option); one whose arena cannot be allocated is HEXGPU_ERR_OUT_OF_MEMORY naming the
 * bytes asked for; nothing is left allocated on failure. */
hexgpu_status hexgpu_cache_create(size_t capacity, int cells, int with_logits, hexgpu_cache **cache,
                                  hexgpu_error *err);
void hexgpu_cache_destroy(hexgpu_cache *cache);

/* On a hit copies the stored results into the non-NULL outputs (logits only when the
 * cache holds them), makes the entry most recently used and returns 1; else 0. Counts a
 * hit or a miss. hash must be hexgpu_position_hash(pos). */
int hexgpu_cache_lookup(hexgpu_cache *cache, const hexgpu_position *pos, uint64_t hash, float *value,
                        float *policy, float *logits);

/* Stores results for pos (replacing an existing entry for it), evicting the least
 * recently used entry of its shard when the shard is full. logits may be NULL when the
 * cache holds none. */
void hexgpu_cache_insert(hexgpu_cache *cache, const hexgpu_position *pos, uint64_t hash, float value,
                         const float *policy, const float *logits);

void hexgpu_cache_stats_read(hexgpu_cache *cache, hexgpu_cache_stats *stats);
