/* Faults: a failing batch fails exactly its requests, close with work in flight loses
 * no request, a cache above its maximum at open names the size, bad options are refused. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "host/engine_impl.h"
#include "host_support.h"

#define N 6
#define CELLS (N * N)

static hexgpu_engine_options options(int slots, int max_batch, size_t cache) {
    hexgpu_engine_options o;
    hexgpu_engine_options_default(&o);
    o.slots = slots;
    o.max_batch = max_batch;
    o.cache_entries = cache;
    return o;
}

/* COUNT distinct positions: hashes identify which requests were in the failed batch. */
static void failing_batch_fails_exactly_its_requests(int slots) {
    enum { COUNT = 200 };
    hexgpu_synthetic_config cfg = {.board_size = N, .fail_batch = 3};
    hexgpu_engine_options o = options(slots, 16, 0);
    void *ctx;
    hexgpu_engine *e = host_test_engine(&cfg, &o, &ctx);
    hexgpu_queue *q;
    cr_assert_eq(hexgpu_queue_create(&q, NULL), HEXGPU_OK);
    hexgpu_request *req = calloc(COUNT, sizeof *req);
    float *value = calloc(COUNT, sizeof(float));
    for (int i = 0; i < COUNT; i++) {
        req[i] = (hexgpu_request){.position = hexgpu_position_random(N, i % 30, 77 + (uint64_t)i), .value = &value[i],
                                  .tag = (uint64_t)i};
        for (int j = 0; j < i; j++)
            if (hexgpu_position_equal(&req[i].position, &req[j].position)) req[i].position = hexgpu_position_random(N, 31, (uint64_t)i);
    }
    for (int base = 0; base < COUNT; base += 25) cr_assert_eq(hexgpu_engine_submit(e, q, req + base, 25, NULL), HEXGPU_OK);
    hexgpu_completion done[COUNT];
    size_t got, total = 0;
    while (total < COUNT) {
        cr_assert_eq(hexgpu_queue_wait(q, done + total, COUNT - total, 5000, &got), HEXGPU_OK);
        total += got;
    }
    uint64_t failed_hash[16];
    size_t nfailed = hexgpu_synthetic_failed(ctx, failed_hash, 16);
    cr_assert(nfailed >= 1 && nfailed <= 16, "failed batch held %zu", nfailed);
    size_t errors = 0;
    for (size_t i = 0; i < COUNT; i++) {
        uint64_t h = hexgpu_position_hash(&req[done[i].tag].position);
        int in_failed = 0;
        for (size_t f = 0; f < nfailed; f++) in_failed |= failed_hash[f] == h;
        if (in_failed) {
            cr_assert_eq(done[i].status, HEXGPU_ERR_CUDA, "request %llu was in the failed batch",
                         (unsigned long long)done[i].tag);
            errors++;
        } else {
            cr_assert_eq(done[i].status, HEXGPU_OK, "request %llu was not", (unsigned long long)done[i].tag);
            float v;
            hexgpu_synthetic_outputs(&req[done[i].tag].position, &v, NULL, NULL);
            cr_assert_eq(value[done[i].tag], v);
        }
    }
    cr_assert_eq(errors, nfailed);
    hexgpu_error err;
    hexgpu_queue_last_error(q, &err);
    cr_assert_eq(err.status, HEXGPU_ERR_CUDA);
    cr_assert(strstr(err.message, "synthetic failure of batch 3"), "%s", err.message);
    hexgpu_engine_stats s;
    hexgpu_engine_stats_read(e, &s);
    cr_assert_eq(s.failed, nfailed);
    cr_assert_eq(s.completed, COUNT - nfailed);
    /* the engine goes on working after a failed batch */
    float v;
    cr_assert_eq(hexgpu_engine_evaluate(e, &req[0].position, 1, &v, NULL, NULL, NULL), HEXGPU_OK);
    free(req), free(value);
    hexgpu_queue_destroy(q);
    hexgpu_engine_close(e);
}

Test(host_faults, failing_batch_fails_exactly_its_requests_one_slot) { failing_batch_fails_exactly_its_requests(1); }
Test(host_faults, failing_batch_fails_exactly_its_requests_three_slots) { failing_batch_fails_exactly_its_requests(3); }

Test(host_faults, evaluate_reports_the_failed_batch) {
    hexgpu_synthetic_config cfg = {.board_size = N, .fail_batch = 1};
    hexgpu_engine_options o = options(1, 8, 0);
    hexgpu_engine *e = host_test_engine(&cfg, &o, NULL);
    hexgpu_position p[4];
    for (int i = 0; i < 4; i++) p[i] = hexgpu_position_random(N, i, (uint64_t)i);
    hexgpu_error err;
    cr_assert_eq(hexgpu_engine_evaluate(e, p, 4, NULL, NULL, NULL, &err), HEXGPU_ERR_CUDA);
    cr_assert(strstr(err.message, "backend synthetic") && strstr(err.message, "synthetic failure"), "%s", err.message);
    cr_assert_eq(hexgpu_engine_evaluate(e, p, 4, NULL, NULL, NULL, &err), HEXGPU_OK, "%s", err.message);
    hexgpu_engine_close(e);
}

Test(host_faults, close_with_requests_in_flight_loses_none) {
    enum { COUNT = 240 };
    hexgpu_synthetic_config cfg = {.board_size = N, .delay_ns = 10 * 1000 * 1000};
    hexgpu_engine_options o = options(3, 8, 64);
    hexgpu_engine *e = host_test_engine(&cfg, &o, NULL);
    hexgpu_queue *q[2];
    hexgpu_request *req = calloc(COUNT, sizeof *req);
    float *value = calloc(COUNT, sizeof(float)), *policy = calloc((size_t)COUNT * CELLS, sizeof(float));
    for (int i = 0; i < COUNT; i++)
        req[i] = (hexgpu_request){.position = hexgpu_position_random(N, i % 25, (uint64_t)i), .value = &value[i],
                                  .policy = policy + (size_t)i * CELLS, .tag = (uint64_t)i};
    for (int k = 0; k < 2; k++) {
        cr_assert_eq(hexgpu_queue_create(&q[k], NULL), HEXGPU_OK);
        cr_assert_eq(hexgpu_engine_submit(e, q[k], req + k * (COUNT / 2), COUNT / 2, NULL), HEXGPU_OK);
    }
    hexgpu_engine_close(e); /* 30 batches of 10 ms on 3 slots would take 100 ms */
    int ok = 0, closed = 0;
    char *seen = calloc(COUNT, 1);
    for (int k = 0; k < 2; k++) {
        hexgpu_completion done[COUNT];
        size_t got;
        cr_assert_eq(hexgpu_queue_wait(q[k], done, COUNT, 0, &got), HEXGPU_OK, "all completed before close returned");
        cr_assert_eq(got, COUNT / 2);
        for (size_t i = 0; i < got; i++) {
            cr_assert_not(seen[done[i].tag]);
            seen[done[i].tag] = 1;
            if (done[i].status == HEXGPU_OK) {
                float v, pol[CELLS];
                hexgpu_synthetic_outputs(&req[done[i].tag].position, &v, pol, NULL);
                cr_assert_eq(value[done[i].tag], v);
                cr_assert_eq(memcmp(policy + done[i].tag * CELLS, pol, sizeof pol), 0);
                ok++;
            } else {
                cr_assert_eq(done[i].status, HEXGPU_ERR_CLOSED);
                closed++;
            }
        }
        hexgpu_error err;
        hexgpu_queue_last_error(q[k], &err);
        cr_assert(closed == 0 || err.status == HEXGPU_ERR_CLOSED);
        cr_assert_eq(hexgpu_queue_outstanding(q[k]), 0);
        hexgpu_queue_destroy(q[k]);
    }
    cr_assert_eq(ok + closed, COUNT);
    cr_assert_gt(closed, 0, "close came while most requests were queued");
    free(seen), free(req), free(value), free(policy);
}

Test(host_faults, cache_above_its_maximum_at_open_names_the_size) {
    hexgpu_synthetic_config cfg = {.board_size = N};
    hexgpu_engine_options o = options(3, 8, (size_t)1 << 40);
    hexgpu_engine_options r;
    cr_assert_eq(hexgpu_engine_options_resolve(&o, &hexgpu_backend_synthetic, &r, NULL), HEXGPU_OK);
    void *ctx;
    cr_assert_eq(hexgpu_synthetic_create(&cfg, r.max_batch, &ctx, NULL), HEXGPU_OK);
    hexgpu_engine *e = (hexgpu_engine *)1;
    hexgpu_error err;
    cr_assert_eq(hexgpu_engine_open_backend(&hexgpu_backend_synthetic, ctx, N, &r, NULL, NULL, NULL, &e, &err),
                 HEXGPU_ERR_INVALID_ARGUMENT);
    cr_assert_null(e);
    cr_assert(strstr(err.message, "1099511627776 entries") && strstr(err.message, "bytes"), "%s", err.message);
}

Test(host_faults, bad_options_are_refused) {
    hexgpu_engine_options o = options(0, 8, 0), r;
    hexgpu_error err;
    cr_assert_eq(hexgpu_engine_options_resolve(&o, &hexgpu_backend_synthetic, &r, &err), HEXGPU_ERR_INVALID_ARGUMENT);
    cr_assert(strstr(err.message, "slots 0"), "%s", err.message);
    o = options(3, -1, 0);
    cr_assert_eq(hexgpu_engine_options_resolve(&o, &hexgpu_backend_synthetic, &r, &err), HEXGPU_ERR_INVALID_ARGUMENT);
    cr_assert_eq(hexgpu_engine_options_resolve(NULL, &hexgpu_backend_synthetic, &r, &err), HEXGPU_OK);
    cr_assert_eq(r.max_batch, 64);
    cr_assert_eq(r.slots, 3);
}
