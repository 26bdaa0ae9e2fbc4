/* The in-flight table of coalesced requests (see inflight.h). */
#include "host/inflight.h"

#include <stdlib.h>

void hexgpu_inflight_free(hexgpu_inflight *t) {
    for (size_t i = 0; i < t->capacity; i++)
        if (t->entries[i].used) hexgpu_follower_free_all(t->entries[i].followers);
    free(t->entries);
    *t = (hexgpu_inflight){0};
}

void hexgpu_follower_free_all(hexgpu_follower *list) {
    while (list) {
        hexgpu_follower *next = list->next;
        free(list);
        list = next;
    }
}

/* The slot holding pos, or the empty slot where it would go. capacity > 0. */
static size_t probe(const hexgpu_inflight *t, const hexgpu_position *pos, uint64_t hash) {
    size_t mask = t->capacity - 1, i = (size_t)hash & mask;
    while (t->entries[i].used && !(t->entries[i].hash == hash && hexgpu_position_equal(&t->entries[i].pos, pos)))
        i = (i + 1) & mask;
    return i;
}

static int grow(hexgpu_inflight *t) {
    size_t capacity = t->capacity ? 2 * t->capacity : 64;
    hexgpu_inflight_entry *entries = calloc(capacity, sizeof *entries);
    if (!entries) return -1;
    hexgpu_inflight old = *t;
    t->entries = entries;
    t->capacity = capacity;
    for (size_t i = 0; i < old.capacity; i++)
        if (old.entries[i].used) t->entries[probe(t, &old.entries[i].pos, old.entries[i].hash)] = old.entries[i];
    free(old.entries);
    return 0;
}

int hexgpu_inflight_join_or_lead(hexgpu_inflight *t, const hexgpu_pending *request) {
    if (t->capacity) {
        hexgpu_inflight_entry *e = &t->entries[probe(t, &request->pos, request->hash)];
        if (e->used) {
            hexgpu_follower *f = malloc(sizeof *f);
            if (!f) return -1;
            *f = (hexgpu_follower){.request = *request, .next = e->followers};
            e->followers = f;
            return 1;
        }
    }
    if (2 * (t->count + 1) > t->capacity && grow(t) != 0) return -1;
    t->entries[probe(t, &request->pos, request->hash)] =
        (hexgpu_inflight_entry){.pos = request->pos, .hash = request->hash, .used = 1};
    t->count++;
    return 0;
}

hexgpu_follower *hexgpu_inflight_finish(hexgpu_inflight *t, const hexgpu_position *pos, uint64_t hash) {
    if (!t->capacity) return NULL;
    size_t mask = t->capacity - 1, i = probe(t, pos, hash);
    if (!t->entries[i].used) return NULL;
    hexgpu_follower *newest = t->entries[i].followers, *oldest = NULL;
    while (newest) { /* reverse: completions go out in the order the requests came */
        hexgpu_follower *next = newest->next;
        newest->next = oldest;
        oldest = newest;
        newest = next;
    }
    /* Backward-shift deletion: pull later members of the probe run into the hole, so no
     * tombstones accumulate. */
    t->entries[i].used = 0;
    for (size_t j = (i + 1) & mask; t->entries[j].used; j = (j + 1) & mask) {
        size_t home = (size_t)t->entries[j].hash & mask;
        /* j's entry may move to i when i lies cyclically in [home, j). */
        if (((j - home) & mask) >= ((j - i) & mask)) {
            t->entries[i] = t->entries[j];
            t->entries[j].used = 0;
            i = j;
        }
    }
    t->count--;
    return oldest;
}
