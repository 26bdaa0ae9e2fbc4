/* The engine on the synthetic backend: answers, many threads against one thread, the
 * cache through the engine, async bulk completion, and refusal of bad requests. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "host_support.h"

#define N 7
#define CELLS (N * N)
#define POOL 300

static hexgpu_engine *open_engine(size_t cache, int slots, int max_batch) {
    hexgpu_synthetic_config cfg = {.board_size = N};
    hexgpu_engine_options o;
    hexgpu_engine_options_default(&o);
    o.cache_entries = cache;
    o.slots = slots;
    o.max_batch = max_batch;
    return host_test_engine(&cfg, &o, NULL);
}

Test(host_engine, evaluate_returns_the_backend_answers) {
    hexgpu_engine *e = open_engine(0, 3, 16);
    cr_assert_eq(hexgpu_engine_board_size(e), N);
    cr_assert_str_eq(hexgpu_engine_backend_name(e), "synthetic");
    enum { COUNT = 100 };
    hexgpu_position pos[COUNT];
    for (int i = 0; i < COUNT; i++) pos[i] = hexgpu_position_random(N, i % 30, (uint64_t)i);
    float *value = malloc(COUNT * sizeof(float)), *policy = malloc(COUNT * CELLS * sizeof(float)),
          *logits = malloc(COUNT * CELLS * sizeof(float));
    hexgpu_error err;
    cr_assert_eq(hexgpu_engine_evaluate(e, pos, COUNT, value, policy, logits, &err), HEXGPU_OK, "%s", err.message);
    for (int i = 0; i < COUNT; i++) {
        float v, p[CELLS], l[CELLS];
        hexgpu_synthetic_outputs(&pos[i], &v, p, l);
        cr_assert_eq(value[i], v, "position %d", i);
        cr_assert_eq(memcmp(policy + i * CELLS, p, sizeof p), 0, "position %d", i);
        cr_assert_eq(memcmp(logits + i * CELLS, l, sizeof l), 0, "position %d", i);
    }
    hexgpu_engine_stats s;
    hexgpu_engine_stats_read(e, &s);
    cr_assert_eq(s.evaluated, COUNT);
    cr_assert_eq(s.completed, COUNT);
    cr_assert_geq(s.batches, (COUNT + 15) / 16); /* no batch above max_batch */
    free(value), free(policy), free(logits);
    hexgpu_engine_close(e);
}

typedef struct submitter {
    hexgpu_engine *engine;
    const hexgpu_position *pool;
    int thread, per_thread;
    float *value, *policy; /* [per_thread], [per_thread][CELLS] */
    int *which;            /* pool index of each request */
    int bulk_seen;         /* largest number of completions one wait returned */
} submitter;

static void collect(submitter *s, hexgpu_queue *q, char *seen) {
    hexgpu_completion done[256];
    size_t got;
    while (hexgpu_queue_wait(q, done, 256, -1, &got) == HEXGPU_OK && got > 0) {
        if ((int)got > s->bulk_seen) s->bulk_seen = (int)got;
        for (size_t i = 0; i < got; i++) {
            cr_assert_eq(done[i].status, HEXGPU_OK);
            cr_assert_lt(done[i].tag, (uint64_t)s->per_thread);
            cr_assert_not(seen[done[i].tag], "tag %llu completed twice", (unsigned long long)done[i].tag);
            seen[done[i].tag] = 1;
        }
    }
}

/* Submits in chunks of 64 and collects every 4 chunks, so later chunks repeat positions
 * whose results are in the cache by then. */
static void *submit_all(void *p) {
    submitter *s = p;
    hexgpu_queue *q;
    hexgpu_error err;
    cr_assert_eq(hexgpu_queue_create(&q, &err), HEXGPU_OK);
    char *seen = calloc((size_t)s->per_thread, 1);
    hexgpu_request req[64];
    for (int base = 0; base < s->per_thread; base += 64) {
        int len = s->per_thread - base < 64 ? s->per_thread - base : 64;
        for (int i = 0; i < len; i++) {
            int k = base + i;
            /* 40 positions per thread, half of them shared with the next thread */
            s->which[k] = (k % 40 + s->thread * 20) % POOL;
            req[i] = (hexgpu_request){.position = s->pool[s->which[k]], .value = &s->value[k],
                                      .policy = s->policy + (size_t)k * CELLS, .tag = (uint64_t)k};
        }
        cr_assert_eq(hexgpu_engine_submit(s->engine, q, req, (size_t)len, &err), HEXGPU_OK, "%s", err.message);
        if (base / 64 % 4 == 3) collect(s, q, seen);
    }
    collect(s, q, seen);
    for (int k = 0; k < s->per_thread; k++) cr_assert(seen[k], "request %d never completed", k);
    free(seen);
    hexgpu_queue_destroy(q);
    return NULL;
}

static void many_threads_match_one_thread(size_t cache) {
    enum { THREADS = 4, PER = 3000 };
    hexgpu_position pool[POOL];
    for (int i = 0; i < POOL; i++) pool[i] = hexgpu_position_random(N, i % 40, 1000 + (uint64_t)i);
    /* the single-threaded reference: one synchronous call, no cache */
    hexgpu_engine *ref = open_engine(0, 1, 64);
    float ref_value[POOL], *ref_policy = malloc(POOL * CELLS * sizeof(float));
    cr_assert_eq(hexgpu_engine_evaluate(ref, pool, POOL, ref_value, ref_policy, NULL, NULL), HEXGPU_OK);
    hexgpu_engine_close(ref);

    hexgpu_engine *e = open_engine(cache, 3, 32);
    pthread_t t[THREADS];
    submitter s[THREADS];
    for (int i = 0; i < THREADS; i++) {
        s[i] = (submitter){e, pool, i, PER, malloc(PER * sizeof(float)), malloc((size_t)PER * CELLS * sizeof(float)),
                           malloc(PER * sizeof(int)), 0};
        pthread_create(&t[i], NULL, submit_all, &s[i]);
    }
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
    for (int i = 0; i < THREADS; i++) {
        for (int k = 0; k < PER; k++) {
            int w = s[i].which[k];
            cr_assert_eq(s[i].value[k], ref_value[w], "thread %d request %d", i, k);
            cr_assert_eq(memcmp(s[i].policy + (size_t)k * CELLS, ref_policy + (size_t)w * CELLS, CELLS * sizeof(float)),
                         0);
        }
        free(s[i].value), free(s[i].policy), free(s[i].which);
    }
    hexgpu_engine_stats st;
    hexgpu_engine_stats_read(e, &st);
    cr_assert_eq(st.requests, THREADS * PER);
    cr_assert_eq(st.completed, THREADS * PER);
    cr_assert_eq(st.failed, 0);
    if (cache) {
        cr_assert_eq(st.cache_hits + st.cache_misses, THREADS * PER);
        /* every miss went through the backend once, or joined its position in flight */
        cr_assert_eq(st.cache_misses, st.evaluated + st.coalesced);
        if (cache >= 100) cr_assert_gt(st.cache_hits, THREADS * PER / 2); /* all 100 positions fit */
        else cr_assert_gt(st.cache_evictions, 0);
    } else {
        cr_assert_eq(st.evaluated, THREADS * PER);
    }
    free(ref_policy);
    hexgpu_engine_close(e);
}

Test(host_engine, many_threads_with_duplicates_match_one_thread) { many_threads_match_one_thread(0); }
Test(host_engine, many_threads_with_a_cache_match_one_thread) { many_threads_match_one_thread(128); }
Test(host_engine, many_threads_with_an_evicting_cache_match_one_thread) { many_threads_match_one_thread(48); }

Test(host_engine, cache_counters_exact_through_the_engine) {
    hexgpu_engine *e = open_engine(2, 2, 8);
    hexgpu_position a = hexgpu_position_random(N, 3, 1), b = hexgpu_position_random(N, 4, 2), c = hexgpu_position_random(N, 5, 3);
    float v1, v2;
    cr_assert_eq(hexgpu_engine_evaluate(e, &a, 1, &v1, NULL, NULL, NULL), HEXGPU_OK);
    cr_assert_eq(hexgpu_engine_evaluate(e, &b, 1, NULL, NULL, NULL, NULL), HEXGPU_OK);
    cr_assert_eq(hexgpu_engine_evaluate(e, &a, 1, &v2, NULL, NULL, NULL), HEXGPU_OK); /* hit; a is newest */
    cr_assert_eq(v1, v2);
    hexgpu_position cc[2] = {c, c}; /* duplicates in one call both miss; the second joins the first */
    cr_assert_eq(hexgpu_engine_evaluate(e, cc, 2, NULL, NULL, NULL, NULL), HEXGPU_OK); /* evicts b */
    cr_assert_eq(hexgpu_engine_evaluate(e, &b, 1, NULL, NULL, NULL, NULL), HEXGPU_OK); /* miss */
    hexgpu_engine_stats s;
    hexgpu_engine_stats_read(e, &s);
    cr_assert_eq(s.cache_hits, 1);
    cr_assert_eq(s.cache_misses, 5);
    cr_assert_eq(s.cache_size, 2);
    cr_assert_eq(s.cache_capacity, 2);
    cr_assert_eq(s.cache_evictions, 2); /* c evicts b, then b evicts a */
    cr_assert_eq(s.evaluated, 4);
    cr_assert_eq(s.coalesced, 1);
    cr_assert_float_eq(s.cache_hit_rate, 1.0 / 6.0, 1e-12);
    hexgpu_engine_close(e);
}

Test(host_engine, capacity_zero_means_no_cache) {
    hexgpu_engine *e = open_engine(0, 1, 8);
    hexgpu_position a = hexgpu_position_random(N, 3, 1);
    for (int i = 0; i < 3; i++) cr_assert_eq(hexgpu_engine_evaluate(e, &a, 1, NULL, NULL, NULL, NULL), HEXGPU_OK);
    hexgpu_engine_stats s;
    hexgpu_engine_stats_read(e, &s);
    cr_assert_eq(s.evaluated, 3);
    cr_assert_eq(s.cache_hits + s.cache_misses + s.cache_capacity + s.cache_size, 0);
    hexgpu_engine_close(e);
}

Test(host_engine, async_queue_completes_in_bulk) {
    hexgpu_synthetic_config cfg = {.board_size = N, .delay_ns = 20 * 1000 * 1000};
    hexgpu_engine_options o;
    hexgpu_engine_options_default(&o);
    o.slots = 2;
    o.max_batch = 100;
    hexgpu_engine *e = host_test_engine(&cfg, &o, NULL);
    hexgpu_queue *q;
    cr_assert_eq(hexgpu_queue_create(&q, NULL), HEXGPU_OK);
    size_t got = 99;
    hexgpu_completion done[400];
    cr_assert_eq(hexgpu_queue_wait(q, done, 400, -1, &got), HEXGPU_OK); /* nothing outstanding: no wait */
    cr_assert_eq(got, 0);
    enum { COUNT = 400 };
    hexgpu_request *req = calloc(COUNT, sizeof *req);
    float value[COUNT];
    for (int i = 0; i < COUNT; i++)
        req[i] = (hexgpu_request){.position = hexgpu_position_random(N, i % 20, (uint64_t)i), .value = &value[i],
                                  .tag = 5000 + (uint64_t)i};
    cr_assert_eq(hexgpu_engine_submit(e, q, req, COUNT, NULL), HEXGPU_OK);
    cr_assert_eq(hexgpu_queue_outstanding(q), COUNT);
    cr_assert_eq(hexgpu_queue_wait(q, done, 400, 0, &got), HEXGPU_ERR_TIMEOUT); /* 20 ms per batch */
    cr_assert_eq(got, 0);
    size_t total = 0, calls = 0, largest = 0;
    while (total < COUNT) {
        cr_assert_eq(hexgpu_queue_wait(q, done, 400, 5000, &got), HEXGPU_OK);
        for (size_t i = 0; i < got; i++) {
            cr_assert_eq(done[i].status, HEXGPU_OK);
            uint64_t k = done[i].tag - 5000;
            float v;
            hexgpu_synthetic_outputs(&req[k].position, &v, NULL, NULL);
            cr_assert_eq(value[k], v);
        }
        total += got, calls++;
        if (got > largest) largest = got;
    }
    cr_assert_eq(total, COUNT);
    cr_assert_geq(largest, 100, "a whole batch completes at once (largest %zu)", largest);
    cr_assert_leq(calls, 4);
    cr_assert_eq(hexgpu_queue_outstanding(q), 0);
    free(req);
    hexgpu_queue_destroy(q);
    hexgpu_engine_close(e);
}

Test(host_engine, invalid_requests_are_refused_at_submit) {
    hexgpu_synthetic_config cfg = {.board_size = N};
    hexgpu_engine_options o;
    hexgpu_engine_options_default(&o);
    o.want_logits = 0;
    hexgpu_engine *e = host_test_engine(&cfg, &o, NULL);
    hexgpu_queue *q;
    cr_assert_eq(hexgpu_queue_create(&q, NULL), HEXGPU_OK);
    hexgpu_request req[8];
    for (int i = 0; i < 8; i++) req[i] = (hexgpu_request){.position = hexgpu_position_random(N, i, (uint64_t)i)};
    req[5].position.to_move ^= 1; /* the stone counts say otherwise */
    hexgpu_error err;
    cr_assert_eq(hexgpu_engine_submit(e, q, req, 8, &err), HEXGPU_ERR_INVALID_POSITION);
    cr_assert(strstr(err.message, "request 5"), "%s", err.message);
    req[5].position = hexgpu_position_random(N + 2, 1, 0);
    cr_assert_eq(hexgpu_engine_submit(e, q, req, 8, &err), HEXGPU_ERR_INVALID_POSITION);
    cr_assert(strstr(err.message, "9x9 position for a 7x7 model"), "%s", err.message);
    req[5].position = hexgpu_position_random(N, 1, 0);
    float logits[CELLS];
    req[2].logits = logits;
    cr_assert_eq(hexgpu_engine_submit(e, q, req, 8, &err), HEXGPU_ERR_INVALID_ARGUMENT);
    cr_assert(strstr(err.message, "request 2") && strstr(err.message, "want_logits"), "%s", err.message);
    cr_assert_eq(hexgpu_queue_outstanding(q), 0);
    hexgpu_engine_stats s;
    hexgpu_engine_stats_read(e, &s);
    cr_assert_eq(s.requests, 0);
    cr_assert_eq(s.batches, 0);
    hexgpu_position bad = hexgpu_position_random(N, 2, 0);
    bad.reserved[0] = 1;
    hexgpu_position many[3] = {hexgpu_position_random(N, 1, 0), hexgpu_position_random(N, 1, 0), bad};
    cr_assert_eq(hexgpu_engine_evaluate(e, many, 3, NULL, NULL, NULL, &err), HEXGPU_ERR_INVALID_POSITION);
    cr_assert(strstr(err.message, "request 2") && strstr(err.message, "reserved"), "%s", err.message);
    hexgpu_engine_stats_read(e, &s);
    cr_assert_eq(s.requests, 0);
    hexgpu_queue_destroy(q);
    hexgpu_engine_close(e);
}

Test(host_engine, fill_window_gathers_a_fuller_batch) {
    hexgpu_synthetic_config cfg = {.board_size = N};
    hexgpu_engine_options o;
    hexgpu_engine_options_default(&o);
    o.max_batch = 64;
    o.fill_window_us = 300000;
    hexgpu_engine *e = host_test_engine(&cfg, &o, NULL);
    hexgpu_queue *q;
    cr_assert_eq(hexgpu_queue_create(&q, NULL), HEXGPU_OK);
    for (int i = 0; i < 10; i++) {
        hexgpu_request r = {.position = hexgpu_position_random(N, i, (uint64_t)i)};
        cr_assert_eq(hexgpu_engine_submit(e, q, &r, 1, NULL), HEXGPU_OK);
    }
    hexgpu_completion done[10];
    size_t got, total = 0;
    while (total < 10 && hexgpu_queue_wait(q, done, 10, 5000, &got) == HEXGPU_OK) total += got;
    cr_assert_eq(total, 10);
    hexgpu_engine_stats s;
    hexgpu_engine_stats_read(e, &s);
    cr_assert_eq(s.batches, 1, "10 single submits within the window form one batch, got %llu",
                 (unsigned long long)s.batches);
    cr_assert_eq(s.batch_histogram[3], 1); /* 8..15 */
    hexgpu_queue_destroy(q);
    hexgpu_engine_close(e);
}
