/* A ring of fixed-size records (the engine's pending requests, a queue's completions):
 * growth by unwrapping into a larger buffer, and bulk copies in and out with at most two
 * memcpy each. Not thread safe: the owner's lock guards it. */
#pragma once

#include <stddef.h>

typedef struct hexgpu_ring {
    unsigned char *items;
    size_t elem, capacity, head, count;
} hexgpu_ring;

/* An empty ring of records of elem bytes; nothing allocated until reserve. */
void hexgpu_ring_init(hexgpu_ring *ring, size_t elem);
void hexgpu_ring_free(hexgpu_ring *ring);

/* Makes capacity >= need (doubling from at least 256). Returns 0, or -1 when the larger
 * buffer cannot be allocated (the ring is unchanged then). */
int hexgpu_ring_reserve(hexgpu_ring *ring, size_t need);

/* Appends n records from src; the caller has reserved room for them. */
void hexgpu_ring_push(hexgpu_ring *ring, const void *src, size_t n);

/* Moves up to max of the oldest records into dst; returns how many. */
size_t hexgpu_ring_pop(hexgpu_ring *ring, void *dst, size_t max);
