/* The result cache: exact counters, LRU eviction order, stored values, sharded
 * capacity, concurrent use and the out-of-memory report. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "host/cache.h"
#include "host_support.h"

#define N 5
#define CELLS (N * N)

/* Distinct results per position, so a wrong entry is noticed. */
static void results_for(const hexgpu_position *p, float *value, float *policy, float *logits) {
    hexgpu_synthetic_outputs(p, value, policy, logits);
}

static void put(hexgpu_cache *c, const hexgpu_position *p) {
    float v, pol[CELLS], lg[CELLS];
    results_for(p, &v, pol, lg);
    hexgpu_cache_insert(c, p, hexgpu_position_hash(p), v, pol, lg);
}

static int get(hexgpu_cache *c, const hexgpu_position *p) {
    float v = 0, pol[CELLS], lg[CELLS];
    int hit = hexgpu_cache_lookup(c, p, hexgpu_position_hash(p), &v, pol, lg);
    if (hit) {
        float ev, epol[CELLS], elg[CELLS];
        results_for(p, &ev, epol, elg);
        cr_assert_eq(v, ev);
        cr_assert_eq(memcmp(pol, epol, sizeof pol), 0);
        cr_assert_eq(memcmp(lg, elg, sizeof lg), 0);
    }
    return hit;
}

static hexgpu_cache *make(size_t capacity) {
    hexgpu_cache *c = NULL;
    hexgpu_error err;
    cr_assert_eq(hexgpu_cache_create(capacity, CELLS, 1, &c, &err), HEXGPU_OK, "%s", err.message);
    return c;
}

Test(host_cache, counters_exact_for_a_known_sequence) {
    hexgpu_cache *c = make(4);
    hexgpu_position a = hexgpu_position_random(N, 0, 1), b = hexgpu_position_random(N, 1, 2), d = hexgpu_position_random(N, 2, 3);
    cr_assert_not(get(c, &a));
    put(c, &a);
    cr_assert(get(c, &a));
    cr_assert(get(c, &a));
    cr_assert_not(get(c, &b));
    put(c, &b);
    put(c, &b); /* replacing keeps one entry */
    cr_assert(get(c, &b));
    cr_assert_not(get(c, &d));
    hexgpu_cache_stats s;
    hexgpu_cache_stats_read(c, &s);
    cr_assert_eq(s.hits, 3);
    cr_assert_eq(s.misses, 3);
    cr_assert_eq(s.size, 2);
    cr_assert_eq(s.evictions, 0);
    cr_assert_eq(s.capacity, 4);
    hexgpu_cache_destroy(c);
}

Test(host_cache, evicts_least_recently_used_first) {
    hexgpu_cache *c = make(3);
    hexgpu_position p[5];
    for (int i = 0; i < 5; i++) p[i] = hexgpu_position_random(N, i, 100 + (uint64_t)i);
    put(c, &p[0]), put(c, &p[1]), put(c, &p[2]);
    cr_assert(get(c, &p[0])); /* recency now 0, 2, 1: 1 is the oldest */
    put(c, &p[3]);
    cr_assert_not(get(c, &p[1]));
    cr_assert(get(c, &p[2]));
    cr_assert(get(c, &p[0]));
    cr_assert(get(c, &p[3])); /* recency 3, 0, 2 */
    put(c, &p[4]);
    cr_assert_not(get(c, &p[2]));
    cr_assert(get(c, &p[0]) && get(c, &p[3]) && get(c, &p[4]));
    hexgpu_cache_stats s;
    hexgpu_cache_stats_read(c, &s);
    cr_assert_eq(s.evictions, 2);
    cr_assert_eq(s.size, 3);
    hexgpu_cache_destroy(c);
}

Test(host_cache, same_stones_on_another_board_size_is_another_entry) {
    hexgpu_cache *c = make(8);
    hexgpu_position a = hexgpu_position_random(N, 0, 1), b = a;
    b.size = 4; /* the same (empty) stones on another board size */
    put(c, &a);
    float v, pol[CELLS];
    cr_assert_not(hexgpu_cache_lookup(c, &b, hexgpu_position_hash(&b), &v, pol, NULL));
    /* same hash, different bytes: the exact compare refuses it */
    cr_assert_not(hexgpu_cache_lookup(c, &b, hexgpu_position_hash(&a), &v, pol, NULL));
    cr_assert(hexgpu_cache_lookup(c, &a, hexgpu_position_hash(&a), &v, pol, NULL));
    hexgpu_cache_destroy(c);
}

Test(host_cache, sharded_capacity_is_filled_exactly) {
    size_t cap = 100000;
    hexgpu_cache *c = make(cap);
    for (uint64_t i = 0; i < 3 * cap; i++) {
        hexgpu_position p = hexgpu_position_random(N, (int)(i % 12), i);
        p.blue[1] = i; /* distinct beyond the board on purpose: the cache compares bytes, not validity */
        hexgpu_cache_insert(c, &p, hexgpu_position_hash(&p), 0.5f, (float[CELLS]){0}, NULL);
    }
    hexgpu_cache_stats s;
    hexgpu_cache_stats_read(c, &s);
    cr_assert_eq(s.size, cap);
    cr_assert_eq(s.evictions, 3 * cap - cap);
    hexgpu_cache_destroy(c);
}

Test(host_cache, above_the_maximum_names_the_size) {
    hexgpu_cache *c = (hexgpu_cache *)1;
    hexgpu_error err;
    /* Above 2^31 entries is a bad option (exit 2 in every command), not a memory failure. */
    cr_assert_eq(hexgpu_cache_create(SIZE_MAX / 4, CELLS, 1, &c, &err), HEXGPU_ERR_INVALID_ARGUMENT);
    cr_assert_null(c);
    cr_assert(strstr(err.message, "bytes") && strstr(err.message, "entries"), "%s", err.message);
}

typedef struct hammer_arg {
    hexgpu_cache *cache;
    uint64_t seed;
    int hits;
} hammer_arg;

static void *hammer(void *p) {
    hammer_arg *a = p;
    for (int i = 0; i < 20000; i++) {
        hexgpu_position pos = hexgpu_position_random(N, i % 7, (a->seed + (uint64_t)i * 7) % 300);
        if (get(a->cache, &pos)) a->hits++;
        else put(a->cache, &pos);
    }
    return NULL;
}

Test(host_cache, concurrent_use_returns_the_right_entries) {
    hexgpu_cache *c = make(4096); /* 8 shards */
    pthread_t t[4];
    hammer_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (hammer_arg){c, (uint64_t)i * 13, 0};
        pthread_create(&t[i], NULL, hammer, &args[i]);
    }
    int hits = 0;
    for (int i = 0; i < 4; i++) pthread_join(t[i], NULL), hits += args[i].hits;
    hexgpu_cache_stats s;
    hexgpu_cache_stats_read(c, &s);
    cr_assert_eq(s.hits, (uint64_t)hits);
    cr_assert_eq(s.hits + s.misses, 80000);
    cr_assert_gt(hits, 70000); /* 2100 distinct positions fit: only first sightings miss */
    hexgpu_cache_destroy(c);
}
