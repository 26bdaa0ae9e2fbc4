/* A ring of fixed-size records (see ring.h). */
#include "host/ring.h"

#include <stdlib.h>
#include <string.h>

void hexgpu_ring_init(hexgpu_ring *r, size_t elem) {
    memset(r, 0, sizeof *r);
    r->elem = elem;
}

void hexgpu_ring_free(hexgpu_ring *r) {
    free(r->items);
    r->items = NULL;
    r->capacity = r->head = r->count = 0;
}

int hexgpu_ring_reserve(hexgpu_ring *r, size_t need) {
    if (need <= r->capacity) return 0;
    size_t cap = r->capacity ? r->capacity : 256;
    while (cap < need) cap *= 2;
    unsigned char *items = malloc(cap * r->elem);
    if (!items) return -1;
    size_t n = hexgpu_ring_pop(r, items, r->count); /* unwrapped to items[0..n) */
    free(r->items);
    r->items = items;
    r->capacity = cap;
    r->head = 0;
    r->count = n;
    return 0;
}

void hexgpu_ring_push(hexgpu_ring *r, const void *src, size_t n) {
    size_t tail = (r->head + r->count) % r->capacity;
    size_t first = r->capacity - tail < n ? r->capacity - tail : n;
    memcpy(r->items + tail * r->elem, src, first * r->elem);
    memcpy(r->items, (const unsigned char *)src + first * r->elem, (n - first) * r->elem);
    r->count += n;
}

size_t hexgpu_ring_pop(hexgpu_ring *r, void *dst, size_t max) {
    size_t n = r->count < max ? r->count : max;
    if (n == 0) return 0;
    size_t first = r->capacity - r->head < n ? r->capacity - r->head : n;
    memcpy(dst, r->items + r->head * r->elem, first * r->elem);
    memcpy((unsigned char *)dst + first * r->elem, r->items, (n - first) * r->elem);
    r->head = (r->head + n) % r->capacity;
    r->count -= n;
    return n;
}
