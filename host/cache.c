/* The result cache: sharded LRU over a preallocated arena (see cache.h). Each shard
 * keeps a chained hash table of entry indices and a doubly linked recency list through
 * the same entries, so lookup, touch, insert and evict are O(1) under the shard lock. */
#include "host/cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/status.h"

#define NIL UINT32_MAX
#define MAX_SHARDS 64
#define ENTRIES_PER_SHARD 256
#define MAX_CAPACITY ((size_t)1 << 31)

typedef struct cache_entry {
    hexgpu_position pos;
    uint64_t hash;
    uint32_t prev, next; /* recency list: prev towards most recent */
    uint32_t chain;      /* next entry in the same hash bucket */
} cache_entry;

/* Aligned so that two shards' locks and counters never share a cache line. */
typedef struct cache_shard {
    _Alignas(64) pthread_mutex_t lock;
    cache_entry *entries; /* capacity, the slice of the cache's entry array */
    float *arena;         /* capacity * stride floats */
    uint32_t *buckets;    /* bucket_mask + 1 heads */
    uint32_t bucket_mask, capacity, size, head, tail;
    uint64_t hits, misses, evictions;
} cache_shard;

struct hexgpu_cache {
    int cells, with_logits;
    size_t stride; /* floats per entry: value, policy[cells], logits[cells]? */
    size_t capacity;
    unsigned shard_count;
    cache_shard *shards;
    cache_entry *entries;
    float *arena;
    uint32_t *buckets;
};

static unsigned shard_count_for(size_t capacity) {
    unsigned shards = 1;
    while (shards < MAX_SHARDS && (size_t)shards * 2 * ENTRIES_PER_SHARD <= capacity) shards *= 2;
    return shards;
}

static size_t buckets_for(uint32_t capacity) {
    size_t b = 1;
    while (b < (size_t)capacity * 2) b *= 2;
    return b;
}

hexgpu_status hexgpu_cache_create(size_t capacity, int cells, int with_logits, hexgpu_cache **out,
                                  hexgpu_error *err) {
    *out = NULL;
    if (capacity == 0 || cells <= 0)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "result cache: capacity %zu, cells %d", capacity,
                                cells);
    size_t stride = 1 + (size_t)cells * (with_logits ? 2 : 1);
    /* The size asked for is reported even when it cannot be represented in memory. */
    double bytes = (double)capacity * ((double)stride * sizeof(float) + sizeof(cache_entry) + 2 * sizeof(uint32_t));
    if (capacity > MAX_CAPACITY)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT,
                                "result cache of %zu entries would need about %.0f bytes (at most %zu entries)",
                                capacity, bytes, MAX_CAPACITY);
    unsigned shards = shard_count_for(capacity);
    size_t bucket_total = 0;
    for (unsigned s = 0; s < shards; s++)
        bucket_total += buckets_for((uint32_t)(capacity / shards + (s < capacity % shards)));
    hexgpu_cache *c = calloc(1, sizeof *c);
    if (c) c->shards = aligned_alloc(64, shards * sizeof *c->shards);
    if (c) c->entries = malloc(capacity * sizeof *c->entries);
    if (c) c->arena = malloc(capacity * stride * sizeof(float));
    if (c) c->buckets = malloc(bucket_total * sizeof *c->buckets);
    if (!c || !c->shards || !c->entries || !c->arena || !c->buckets) {
        if (c) {
            free(c->shards), free(c->entries), free(c->arena), free(c->buckets);
            free(c);
        }
        return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY,
                                "result cache of %zu entries: out of memory allocating %.0f bytes", capacity, bytes);
    }
    c->cells = cells;
    c->with_logits = with_logits;
    c->stride = stride;
    c->capacity = capacity;
    c->shard_count = shards;
    size_t first = 0, bucket_first = 0;
    for (unsigned s = 0; s < shards; s++) {
        cache_shard *sh = &c->shards[s];
        memset(sh, 0, sizeof *sh);
        pthread_mutex_init(&sh->lock, NULL);
        sh->capacity = (uint32_t)(capacity / shards + (s < capacity % shards));
        size_t nb = buckets_for(sh->capacity);
        sh->entries = c->entries + first;
        sh->arena = c->arena + first * stride;
        sh->buckets = c->buckets + bucket_first;
        sh->bucket_mask = (uint32_t)(nb - 1);
        for (size_t b = 0; b < nb; b++) sh->buckets[b] = NIL;
        sh->head = sh->tail = NIL;
        first += sh->capacity;
        bucket_first += nb;
    }
    *out = c;
    return HEXGPU_OK;
}

void hexgpu_cache_destroy(hexgpu_cache *c) {
    if (!c) return;
    for (unsigned s = 0; s < c->shard_count; s++) pthread_mutex_destroy(&c->shards[s].lock);
    free(c->shards), free(c->entries), free(c->arena), free(c->buckets);
    free(c);
}

/* The top bits pick the shard, the low bits the bucket, so the two are independent. */
static cache_shard *shard_of(hexgpu_cache *c, uint64_t hash) {
    return &c->shards[(hash >> 58) & (c->shard_count - 1)];
}

static uint32_t find(cache_shard *sh, const hexgpu_position *pos, uint64_t hash) {
    for (uint32_t i = sh->buckets[hash & sh->bucket_mask]; i != NIL; i = sh->entries[i].chain)
        if (sh->entries[i].hash == hash && hexgpu_position_equal(&sh->entries[i].pos, pos)) return i;
    return NIL;
}

static void list_unlink(cache_shard *sh, uint32_t i) {
    cache_entry *e = &sh->entries[i];
    if (e->prev != NIL) sh->entries[e->prev].next = e->next;
    else sh->head = e->next;
    if (e->next != NIL) sh->entries[e->next].prev = e->prev;
    else sh->tail = e->prev;
}

static void list_push_front(cache_shard *sh, uint32_t i) {
    cache_entry *e = &sh->entries[i];
    e->prev = NIL;
    e->next = sh->head;
    if (sh->head != NIL) sh->entries[sh->head].prev = i;
    sh->head = i;
    if (sh->tail == NIL) sh->tail = i;
}

static void bucket_remove(cache_shard *sh, uint32_t i) {
    uint32_t *link = &sh->buckets[sh->entries[i].hash & sh->bucket_mask];
    while (*link != i) link = &sh->entries[*link].chain;
    *link = sh->entries[i].chain;
}

int hexgpu_cache_lookup(hexgpu_cache *c, const hexgpu_position *pos, uint64_t hash, float *value, float *policy,
                        float *logits) {
    cache_shard *sh = shard_of(c, hash);
    size_t cells = (size_t)c->cells;
    pthread_mutex_lock(&sh->lock);
    uint32_t i = find(sh, pos, hash);
    if (i == NIL) {
        sh->misses++;
        pthread_mutex_unlock(&sh->lock);
        return 0;
    }
    sh->hits++;
    if (sh->head != i) {
        list_unlink(sh, i);
        list_push_front(sh, i);
    }
    const float *slot = sh->arena + (size_t)i * c->stride;
    if (value) *value = slot[0];
    if (policy) memcpy(policy, slot + 1, cells * sizeof(float));
    if (logits && c->with_logits) memcpy(logits, slot + 1 + cells, cells * sizeof(float));
    pthread_mutex_unlock(&sh->lock);
    return 1;
}

void hexgpu_cache_insert(hexgpu_cache *c, const hexgpu_position *pos, uint64_t hash, float value,
                         const float *policy, const float *logits) {
    cache_shard *sh = shard_of(c, hash);
    size_t cells = (size_t)c->cells;
    pthread_mutex_lock(&sh->lock);
    uint32_t i = find(sh, pos, hash);
    if (i != NIL) {
        list_unlink(sh, i);
    } else {
        if (sh->size < sh->capacity) {
            i = sh->size++;
        } else {
            i = sh->tail;
            list_unlink(sh, i);
            bucket_remove(sh, i);
            sh->evictions++;
        }
        sh->entries[i].pos = *pos;
        sh->entries[i].hash = hash;
        uint32_t *head = &sh->buckets[hash & sh->bucket_mask];
        sh->entries[i].chain = *head;
        *head = i;
    }
    list_push_front(sh, i);
    float *slot = sh->arena + (size_t)i * c->stride;
    slot[0] = value;
    memcpy(slot + 1, policy, cells * sizeof(float));
    if (c->with_logits) {
        if (logits) memcpy(slot + 1 + cells, logits, cells * sizeof(float));
        else memset(slot + 1 + cells, 0, cells * sizeof(float));
    }
    pthread_mutex_unlock(&sh->lock);
}

void hexgpu_cache_stats_read(hexgpu_cache *c, hexgpu_cache_stats *stats) {
    memset(stats, 0, sizeof *stats);
    stats->capacity = c->capacity;
    for (unsigned s = 0; s < c->shard_count; s++) {
        cache_shard *sh = &c->shards[s];
        pthread_mutex_lock(&sh->lock);
        stats->hits += sh->hits;
        stats->misses += sh->misses;
        stats->evictions += sh->evictions;
        stats->size += sh->size;
        pthread_mutex_unlock(&sh->lock);
    }
}
