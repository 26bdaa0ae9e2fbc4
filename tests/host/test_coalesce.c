/* Coalescing: a position submitted while its evaluation is queued or running is answered
 * by that evaluation (engine statistics: coalesced), with exactly its outputs, its
 * failure, or its closing; and the in-flight table on its own (probing, deletion). */
#include <criterion/criterion.h>
#include <string.h>

#include "host/engine_impl.h"
#include "host/inflight.h"
#include "host_support.h"

enum { N = 5, CELLS = N * N };

static hexgpu_engine *open_engine(int cache, int64_t delay_ns, int64_t fail_batch, void **ctx) {
    hexgpu_synthetic_config cfg = {.board_size = N, .delay_ns = delay_ns, .fail_batch = fail_batch};
    hexgpu_engine_options o;
    hexgpu_engine_options_default(&o);
    o.max_batch = 8;
    o.slots = 1;
    o.cache_entries = cache;
    o.want_logits = 1;
    return host_test_engine(&cfg, &o, ctx);
}

/* K single-request submits of one position (and one other position), all before the
 * first batch (one slot, 20 ms per batch) can finish. */
enum { K = 6 };
typedef struct outputs {
    float value[K + 1], policy[K + 1][CELLS], logits[K + 1][CELLS];
    hexgpu_completion done[K + 1];
    size_t got;
} outputs;

/* A new queue and outputs (freed by the caller), and the K + 1 submits on them. */
static outputs *submit_repeats(hexgpu_engine *e, hexgpu_queue **q) {
    hexgpu_error err = {0};
    cr_assert_eq(hexgpu_queue_create(q, &err), HEXGPU_OK);
    outputs *out = calloc(1, sizeof *out);
    hexgpu_position same = hexgpu_position_random(N, 0, 1); /* the empty board, as every new game asks */
    hexgpu_position other = hexgpu_position_random(N, 6, 2);
    for (int i = 0; i <= K; i++) {
        hexgpu_request r = {.position = i == K ? other : same, .value = &out->value[i], .policy = out->policy[i],
                            .logits = out->logits[i], .tag = (uint64_t)i};
        cr_assert_eq(hexgpu_engine_submit(e, *q, &r, 1, &err), HEXGPU_OK, "%s", err.message);
    }
    return out;
}

static void collect(hexgpu_queue *q, outputs *out) {
    out->got = 0;
    size_t got;
    while (out->got < K + 1 && hexgpu_queue_wait(q, out->done + out->got, K + 1 - out->got, 5000, &got) == HEXGPU_OK &&
           got > 0)
        out->got += got;
    cr_assert_eq(out->got, K + 1);
}

Test(coalesce, repeats_in_flight_are_evaluated_once) {
    hexgpu_engine *e = open_engine(64, 20000000, 0, NULL);
    hexgpu_queue *q;
    outputs *out = submit_repeats(e, &q);
    collect(q, out);
    for (size_t i = 0; i < out->got; i++) cr_assert_eq(out->done[i].status, HEXGPU_OK);
    float want_value, want_policy[CELLS], want_logits[CELLS];
    hexgpu_position same = hexgpu_position_random(N, 0, 1);
    hexgpu_synthetic_outputs(&same, &want_value, want_policy, want_logits);
    for (int i = 0; i < K; i++) {
        cr_assert_eq(out->value[i], want_value, "request %d", i);
        cr_assert_eq(memcmp(out->policy[i], want_policy, sizeof want_policy), 0, "request %d", i);
        cr_assert_eq(memcmp(out->logits[i], want_logits, sizeof want_logits), 0, "request %d", i);
    }
    hexgpu_engine_stats s;
    hexgpu_engine_stats_read(e, &s);
    /* The first batch may take the first request alone (the others arrive while it runs)
     * or several: either way each position is evaluated exactly once. */
    cr_assert_eq(s.evaluated, 2, "evaluated %llu", (unsigned long long)s.evaluated);
    cr_assert_eq(s.coalesced, K - 1);
    cr_assert_eq(s.cache_misses, K + 1);
    cr_assert_eq(s.cache_hits, 0);
    cr_assert_eq(s.completed, K + 1);
    cr_assert_eq(s.requests, K + 1);
    free(out);
    hexgpu_queue_destroy(q);
    hexgpu_engine_close(e);
}

Test(coalesce, followers_share_the_failure_of_their_batch) {
    void *ctx;
    hexgpu_engine *e = open_engine(64, 20000000, 1, &ctx); /* the first batch fails */
    hexgpu_queue *q;
    outputs *out = submit_repeats(e, &q);
    collect(q, out);
    int failed = 0;
    for (size_t i = 0; i < out->got; i++)
        if (out->done[i].tag < K) {
            cr_assert_neq(out->done[i].status, HEXGPU_OK, "request %llu of the failed position",
                          (unsigned long long)out->done[i].tag);
            failed++;
        }
    cr_assert_eq(failed, K);
    hexgpu_error err = {0};
    hexgpu_queue_last_error(q, &err);
    cr_assert(err.message[0], "the failure's message reaches the queue");
    hexgpu_engine_stats s;
    hexgpu_engine_stats_read(e, &s);
    cr_assert_eq(s.failed + s.completed, K + 1);
    cr_assert_geq(s.failed, K);
    free(out);
    hexgpu_queue_destroy(q);
    hexgpu_engine_close(e);
}

Test(coalesce, off_without_the_cache) {
    hexgpu_engine *e = open_engine(0, 0, 0, NULL);
    hexgpu_position same[4];
    for (int i = 0; i < 4; i++) same[i] = hexgpu_position_random(N, 0, 1);
    cr_assert_eq(hexgpu_engine_evaluate(e, same, 4, NULL, NULL, NULL, NULL), HEXGPU_OK);
    hexgpu_engine_stats s;
    hexgpu_engine_stats_read(e, &s);
    cr_assert_eq(s.evaluated, 4);
    cr_assert_eq(s.coalesced, 0);
    hexgpu_engine_close(e);
}

/* The table alone: many leaders on few home slots (equal low hash bits), followers,
 * deletion from the middle of probe runs, growth. */
Test(coalesce, inflight_table_probing_and_deletion) {
    hexgpu_inflight t = {0};
    enum { M = 300 };
    hexgpu_pending p[M];
    for (int i = 0; i < M; i++) {
        p[i] = (hexgpu_pending){.pos = hexgpu_position_random(N, 8 + i % 10, (uint64_t)i + 100), .tag = (uint64_t)i};
        p[i].hash = (uint64_t)(i % 7) << 40; /* collide: same home slot for every 7th */
    }
    for (int i = 0; i < M; i++) {
        int dup = 0;
        for (int j = 0; j < i && !dup; j++) dup = hexgpu_position_equal(&p[i].pos, &p[j].pos) && p[i].hash == p[j].hash;
        cr_assert_eq(hexgpu_inflight_join_or_lead(&t, &p[i]), dup ? 1 : 0, "request %d", i);
    }
    /* A follower for every leader (same position and hash, another tag). */
    for (int i = 0; i < M; i++) {
        hexgpu_pending f = p[i];
        f.tag = 1000 + (uint64_t)i;
        cr_assert_eq(hexgpu_inflight_join_or_lead(&t, &f), 1);
    }
    /* Finish in an order that deletes from the middle of runs; each leader's followers
     * come back once, oldest first, and a finished position is gone. */
    size_t leaders = t.count, finished = 0;
    for (int step = 0; step < 2; step++)
        for (int i = step; i < M; i += 2) {
            hexgpu_follower *f = hexgpu_inflight_finish(&t, &p[i].pos, p[i].hash);
            if (!f) continue; /* a duplicate position already finished */
            finished++;
            cr_assert(f->request.tag == 1000 + (uint64_t)i || hexgpu_position_equal(&f->request.pos, &p[i].pos));
            for (hexgpu_follower *g = f; g; g = g->next) cr_assert(hexgpu_position_equal(&g->request.pos, &p[i].pos));
            hexgpu_follower_free_all(f);
            cr_assert_null(hexgpu_inflight_finish(&t, &p[i].pos, p[i].hash));
        }
    cr_assert_eq(finished, leaders);
    cr_assert_eq(t.count, 0);
    hexgpu_inflight_free(&t);
}

/* Closing with a queued leader and its followers: every follower ends as its leader does
 * (evaluated by a worker that took it first, or failed as closed), and none is lost. */
Test(coalesce, close_ends_followers_with_their_leader) {
    hexgpu_engine *e = open_engine(64, 30000000, 0, NULL);
    hexgpu_queue *q;
    outputs *out = submit_repeats(e, &q);
    hexgpu_engine_close(e); /* returns after every completion was delivered */
    collect(q, out);
    hexgpu_status leader = HEXGPU_OK;
    int seen = 0;
    for (size_t i = 0; i < out->got; i++) {
        if (out->done[i].tag == K) continue;
        if (!seen++) leader = out->done[i].status;
        cr_assert_eq(out->done[i].status, leader, "request %llu", (unsigned long long)out->done[i].tag);
        cr_assert(leader == HEXGPU_OK || leader == HEXGPU_ERR_CLOSED, "%s", hexgpu_status_str(leader));
    }
    cr_assert_eq(seen, K);
    free(out);
    hexgpu_queue_destroy(q);
}
