/* Several devices in one engine, with stand-ins: synthetic backend contexts (and the CPU
 * backend on tiny13) as devices. The same answers as one device, every device used under
 * load from several submitters, a failing device fails only its own batches and the
 * engine goes on serving, and the options and statistics of the device list. */
#include <criterion/criterion.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/engine_impl.h"
#include "host_support.h"
#include "check/golden.h"
#include "support/fixtures.h"

#define N 6
#define CELLS (N * N)
#define DEVICES 3
#define SUBMITTERS 4
#define PER_SUBMITTER 240

/* An engine on DEVICES synthetic contexts; config[d] is device d's. */
static hexgpu_engine *devices_engine(const hexgpu_synthetic_config *config, int slots, int max_batch, void **ctxs) {
    hexgpu_engine_options o;
    hexgpu_engine_options_default(&o);
    o.slots = slots;
    o.max_batch = max_batch;
    hexgpu_error err = {0};
    hexgpu_engine_options r;
    cr_assert_eq(hexgpu_engine_options_resolve(&o, &hexgpu_backend_synthetic, &r, &err), HEXGPU_OK, "%s", err.message);
    for (int d = 0; d < DEVICES; d++)
        cr_assert_eq(hexgpu_synthetic_create(&config[d], r.max_batch, &ctxs[d], &err), HEXGPU_OK, "%s", err.message);
    hexgpu_engine *e = NULL;
    cr_assert_eq(hexgpu_engine_open_backends(&hexgpu_backend_synthetic, ctxs, DEVICES, N, &r, "synthetic devices", NULL,
                                             NULL, &e, &err),
                 HEXGPU_OK, "%s", err.message);
    return e;
}

/* One submitter: PER_SUBMITTER distinct positions (by seed), submitted in small chunks
 * on its own queue, every completion collected. */
typedef struct submitter {
    hexgpu_engine *engine;
    int index;
    hexgpu_request req[PER_SUBMITTER];
    float value[PER_SUBMITTER];
    float policy[PER_SUBMITTER][CELLS];
    hexgpu_status status[PER_SUBMITTER];
    size_t completed;
} submitter;

static void *submit_all(void *arg) {
    submitter *s = arg;
    hexgpu_queue *q;
    if (hexgpu_queue_create(&q, NULL) != HEXGPU_OK) return NULL;
    for (int i = 0; i < PER_SUBMITTER; i++) {
        uint64_t seed = 1000003ull * (uint64_t)s->index + (uint64_t)i;
        s->req[i] = (hexgpu_request){.position = hexgpu_position_random(N, 1 + (int)(seed % 29), seed),
                                     .value = &s->value[i], .policy = s->policy[i], .tag = (uint64_t)i};
    }
    for (int base = 0; base < PER_SUBMITTER; base += 12) hexgpu_engine_submit(s->engine, q, s->req + base, 12, NULL);
    hexgpu_completion done[64];
    size_t got;
    while (s->completed < PER_SUBMITTER && hexgpu_queue_wait(q, done, 64, 10000, &got) == HEXGPU_OK && got > 0)
        for (size_t i = 0; i < got; i++, s->completed++) s->status[done[i].tag] = done[i].status;
    hexgpu_queue_destroy(q);
    return NULL;
}

static submitter *run_submitters(hexgpu_engine *e) {
    submitter *s = calloc(SUBMITTERS, sizeof *s);
    pthread_t threads[SUBMITTERS];
    for (int t = 0; t < SUBMITTERS; t++) {
        s[t].engine = e, s[t].index = t;
        cr_assert_eq(pthread_create(&threads[t], NULL, submit_all, &s[t]), 0);
    }
    for (int t = 0; t < SUBMITTERS; t++) pthread_join(threads[t], NULL);
    for (int t = 0; t < SUBMITTERS; t++) cr_assert_eq(s[t].completed, PER_SUBMITTER, "submitter %d", t);
    return s;
}

static void expect_answer(const hexgpu_position *pos, float value, const float *policy) {
    float v, p[CELLS];
    hexgpu_synthetic_outputs(pos, &v, p, NULL);
    cr_assert_eq(value, v);
    cr_assert_eq(memcmp(policy, p, sizeof p), 0);
}

Test(devices, same_answers_and_every_device_used, .timeout = 120) {
    hexgpu_synthetic_config cfg[DEVICES];
    for (int d = 0; d < DEVICES; d++) cfg[d] = (hexgpu_synthetic_config){.board_size = N, .delay_ns = 300000};
    void *ctxs[DEVICES];
    hexgpu_engine *e = devices_engine(cfg, 2, 8, ctxs);
    hexgpu_engine_options used = hexgpu_engine_options_used(e);
    cr_assert_eq(used.device_count, DEVICES);
    submitter *s = run_submitters(e);
    for (int t = 0; t < SUBMITTERS; t++)
        for (int i = 0; i < PER_SUBMITTER; i++) {
            cr_assert_eq(s[t].status[i], HEXGPU_OK);
            expect_answer(&s[t].req[i].position, s[t].value[i], s[t].policy[i]);
        }
    hexgpu_engine_stats st;
    hexgpu_engine_stats_read(e, &st);
    cr_assert_eq(st.device_count, DEVICES);
    uint64_t evaluated = 0, batches = 0;
    for (int d = 0; d < DEVICES; d++) {
        cr_assert_eq(st.devices[d].device, d);
        cr_assert_gt(st.devices[d].evaluated, 0, "device %d took no batch", d);
        cr_assert_gt(st.devices[d].busy_fraction, 0.0);
        cr_assert_leq(st.devices[d].busy_fraction, st.busy_fraction + 1e-9);
        cr_assert_eq(st.devices[d].failed, 0);
        cr_assert_eq((uint64_t)hexgpu_synthetic_batches(ctxs[d]), st.devices[d].batches);
        evaluated += st.devices[d].evaluated, batches += st.devices[d].batches;
    }
    cr_assert_eq(evaluated, st.evaluated);
    cr_assert_eq(evaluated, (uint64_t)SUBMITTERS * PER_SUBMITTER);
    cr_assert_eq(batches, st.batches);
    char json[8192];
    size_t len = hexgpu_engine_stats_json(&st, json, sizeof json);
    cr_assert_lt(len, sizeof json);
    cr_assert(strstr(json, "\"devices\":[{\"device\":0,"), "%s", json);
    cr_assert(strstr(json, "{\"device\":2,"), "%s", json);
    free(s);
    hexgpu_engine_close(e);
}

Test(devices, failing_device_fails_only_its_batches, .timeout = 120) {
    hexgpu_synthetic_config cfg[DEVICES];
    for (int d = 0; d < DEVICES; d++) cfg[d] = (hexgpu_synthetic_config){.board_size = N, .delay_ns = 300000};
    cfg[1].fail_batch = 2;
    void *ctxs[DEVICES];
    hexgpu_engine *e = devices_engine(cfg, 1, 8, ctxs);
    submitter *s = run_submitters(e);
    uint64_t failed_hash[8];
    size_t nfailed = hexgpu_synthetic_failed(ctxs[1], failed_hash, 8);
    cr_assert(nfailed >= 1 && nfailed <= 8, "device 1's failed batch held %zu", nfailed);
    size_t errors = 0;
    for (int t = 0; t < SUBMITTERS; t++)
        for (int i = 0; i < PER_SUBMITTER; i++) {
            /* A failed request was in the failed batch (by position: a position drawn twice
             * may have one copy there and the other in a good batch); the rest are right. */
            uint64_t h = hexgpu_position_hash(&s[t].req[i].position);
            int in_failed = 0;
            for (size_t f = 0; f < nfailed; f++) in_failed |= failed_hash[f] == h;
            if (s[t].status[i] != HEXGPU_OK) {
                cr_assert_eq(s[t].status[i], HEXGPU_ERR_CUDA);
                cr_assert(in_failed, "submitter %d request %d failed outside device 1's failed batch", t, i);
                errors++;
            } else {
                expect_answer(&s[t].req[i].position, s[t].value[i], s[t].policy[i]);
            }
        }
    cr_assert_eq(errors, nfailed);
    hexgpu_engine_stats st;
    hexgpu_engine_stats_read(e, &st);
    cr_assert_eq(st.failed, nfailed);
    cr_assert_eq(st.devices[1].failed, nfailed);
    cr_assert_eq(st.devices[0].failed + st.devices[2].failed, 0);
    cr_assert_gt(st.devices[0].evaluated + st.devices[2].evaluated, 0);
    /* the engine, the failed device included, goes on serving */
    enum { AFTER = 96 };
    hexgpu_position pos[AFTER];
    float value[AFTER], policy[AFTER][CELLS];
    for (int i = 0; i < AFTER; i++) pos[i] = hexgpu_position_random(N, i % 20, 555 + (uint64_t)i);
    hexgpu_error err = {0};
    cr_assert_eq(hexgpu_engine_evaluate(e, pos, AFTER, value, &policy[0][0], NULL, &err), HEXGPU_OK, "%s", err.message);
    for (int i = 0; i < AFTER; i++) expect_answer(&pos[i], value[i], policy[i]);
    free(s);
    hexgpu_engine_close(e);
}

Test(devices, options_resolve_the_device_list) {
    hexgpu_engine_options o, r;
    hexgpu_engine_options_default(&o);
    o.device = 3;
    cr_assert_eq(hexgpu_engine_options_resolve(&o, &hexgpu_backend_synthetic, &r, NULL), HEXGPU_OK);
    cr_assert_eq(r.device_count, 1);
    cr_assert_eq(r.devices[0], 3);
    o.device_count = 2, o.devices[0] = 1, o.devices[1] = 0;
    cr_assert_eq(hexgpu_engine_options_resolve(&o, &hexgpu_backend_synthetic, &r, NULL), HEXGPU_OK);
    cr_assert_eq(r.device, 1);
    cr_assert_eq(r.device_count, 2);
    hexgpu_error err;
    o.device_count = HEXGPU_MAX_DEVICES + 1;
    cr_assert_eq(hexgpu_engine_options_resolve(&o, &hexgpu_backend_synthetic, &r, &err), HEXGPU_ERR_INVALID_ARGUMENT);
    cr_assert(strstr(err.message, "device_count"), "%s", err.message);
    o.device_count = 2, o.devices[1] = -1;
    cr_assert_eq(hexgpu_engine_options_resolve(&o, &hexgpu_backend_synthetic, &r, &err), HEXGPU_ERR_INVALID_ARGUMENT);
    cr_assert(strstr(err.message, "devices[1]"), "%s", err.message);
    /* no contexts: refused, nothing leaked */
    hexgpu_engine *e = (hexgpu_engine *)&o;
    cr_assert_eq(hexgpu_engine_open_backends(&hexgpu_backend_synthetic, NULL, 0, N, NULL, NULL, NULL, NULL, &e, &err),
                 HEXGPU_ERR_INVALID_ARGUMENT);
    cr_assert_null(e);
}

/* The CPU backend with two stand-in devices answers as with one, and both take work. */
Test(devices, cpu_stand_ins_match_one_device, .timeout = 120) {
    char model[4096], golden_path[4096];
    snprintf(model, sizeof model, "%s/model.safetensors", hexgpu_test_fixture_path("tiny13"));
    snprintf(golden_path, sizeof golden_path, "%s/golden.jsonl", hexgpu_test_fixture_path("tiny13"));
    hexgpu_golden g;
    hexgpu_error err;
    cr_assert_eq(hexgpu_golden_load(golden_path, &g, &err), HEXGPU_OK, "%s", err.message);
    size_t n = g.count, cells = (size_t)g.board_size * (size_t)g.board_size;
    hexgpu_position *pos = malloc(n * sizeof *pos);
    for (size_t i = 0; i < n; i++) pos[i] = g.items[i].position;
    float *value[2], *logits[2];
    for (int run = 0; run < 2; run++) {
        hexgpu_engine_options o;
        hexgpu_engine_options_default(&o);
        o.backend = HEXGPU_BACKEND_CPU;
        o.max_batch = 2; /* many small batches: both devices get some */
        o.slots = 1;
        o.cpu_threads = 1;
        if (run == 1) o.device_count = 2, o.devices[0] = 0, o.devices[1] = 1;
        hexgpu_engine *e;
        cr_assert_eq(hexgpu_engine_open(model, &o, &e, &err), HEXGPU_OK, "%s", err.message);
        value[run] = malloc(n * sizeof(float)), logits[run] = malloc(n * cells * sizeof(float));
        cr_assert_eq(hexgpu_engine_evaluate(e, pos, n, value[run], NULL, logits[run], &err), HEXGPU_OK, "%s",
                     err.message);
        hexgpu_engine_stats st;
        hexgpu_engine_stats_read(e, &st);
        cr_assert_eq(st.device_count, run + 1);
        if (run == 1) {
            cr_assert_eq(st.devices[1].device, 1);
            cr_assert_eq(st.devices[0].evaluated + st.devices[1].evaluated, n);
        }
        hexgpu_engine_close(e);
    }
    for (size_t i = 0; i < n; i++) {
        cr_assert(fabsf(value[0][i] - value[1][i]) <= 1e-6f, "%s: %g vs %g", g.items[i].trmph, value[0][i], value[1][i]);
        cr_assert(fabsf(value[1][i] - g.items[i].value) <= 1e-5f);
        for (size_t c = 0; c < cells; c++) cr_assert(fabsf(logits[0][i * cells + c] - logits[1][i * cells + c]) <= 1e-6f);
    }
    /* "all" on the CPU backend is one device */
    hexgpu_engine_options o;
    hexgpu_engine_options_default(&o);
    o.backend = HEXGPU_BACKEND_CPU;
    o.device_count = HEXGPU_DEVICES_ALL;
    o.cpu_threads = 1;
    hexgpu_engine *e;
    cr_assert_eq(hexgpu_engine_open(model, &o, &e, &err), HEXGPU_OK, "%s", err.message);
    cr_assert_eq(hexgpu_engine_options_used(e).device_count, 1);
    hexgpu_engine_close(e);
    for (int run = 0; run < 2; run++) free(value[run]), free(logits[run]);
    free(pos);
    hexgpu_golden_free(&g);
}
