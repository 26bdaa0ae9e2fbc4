/* host_stress: the scheduler, cache and queues under many threads, as a plain program
 * (no Criterion: its runner cannot start under ThreadSanitizer), so CI runs it in the
 * TSan build. Prints one line per check and "N passed, N failed"; exit 1 on failure. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hexgpu.h"
#include "host/engine_impl.h"
#include "host/synthetic_backend.h"
#include "check/position_random.h"
#include "base/rng.h"

#define BOARD 9
#define CELLS (BOARD * BOARD)
#define THREADS 4
#define REQUESTS_PER_THREAD 3000
#define DISTINCT 700 /* fewer distinct positions than requests: duplicates and cache hits */

static int passed, failed;

static void check(int ok, const char *what) {
    printf("%s: %s\n", ok ? "ok" : "FAIL", what);
    if (ok) passed++;
    else failed++;
}

/* Position number k: k % 40 random alternating stones, a function of k only. */
static hexgpu_position position_number(uint64_t k) { return hexgpu_position_random(BOARD, (int)(k % 40), k * 7919 + 1); }

static hexgpu_engine *open_synthetic(size_t cache_entries, int64_t delay_ns) {
    hexgpu_error err = {0};
    hexgpu_engine_options options, resolved;
    hexgpu_engine_options_default(&options);
    options.max_batch = 32;
    options.slots = 3;
    options.cache_entries = cache_entries;
    if (hexgpu_engine_options_resolve(&options, &hexgpu_backend_synthetic, &resolved, &err) != HEXGPU_OK) goto fail;
    /* Two stand-in devices: their workers share the pending ring, the cache and the
     * statistics, the paths a data race would take. */
    hexgpu_synthetic_config config = {.board_size = BOARD, .delay_ns = delay_ns};
    void *ctxs[2] = {NULL, NULL};
    for (int d = 0; d < 2; d++)
        if (hexgpu_synthetic_create(&config, resolved.max_batch, &ctxs[d], &err) != HEXGPU_OK) goto fail;
    hexgpu_engine *engine = NULL;
    if (hexgpu_engine_open_backends(&hexgpu_backend_synthetic, ctxs, 2, BOARD, &resolved, "synthetic", NULL, NULL,
                                    &engine, &err) != HEXGPU_OK)
        goto fail;
    return engine;
fail:
    fprintf(stderr, "error: %s\n", err.message);
    exit(1);
}

typedef struct submitter {
    hexgpu_engine *engine;
    int index;
    int wrong; /* answers that differ from the backend's function */
    int errors;
} submitter;

/* Keeps up to 64 requests in flight on its own queue and checks every answer. */
static void *submit_async(void *arg) {
    submitter *s = arg;
    hexgpu_queue *queue = NULL;
    if (hexgpu_queue_create(&queue, NULL) != HEXGPU_OK) {
        s->errors++;
        return NULL;
    }
    enum { IN_FLIGHT = 64 };
    static _Thread_local float values[IN_FLIGHT], policies[IN_FLIGHT][CELLS];
    static _Thread_local uint64_t numbers[IN_FLIGHT];
    int free_slots[IN_FLIGHT], free_count = IN_FLIGHT;
    for (int i = 0; i < IN_FLIGHT; i++) free_slots[i] = i;
    uint64_t seed = (uint64_t)s->index + 1;
    int sent = 0, received = 0;
    while (received < REQUESTS_PER_THREAD) {
        while (free_count > 0 && sent < REQUESTS_PER_THREAD) {
            int slot = free_slots[--free_count];
            numbers[slot] = hexgpu_splitmix64_next(&seed) % DISTINCT;
            hexgpu_request r = {.position = position_number(numbers[slot]),
                                .value = &values[slot],
                                .policy = policies[slot],
                                .tag = (uint64_t)slot};
            if (hexgpu_engine_submit(s->engine, queue, &r, 1, NULL) != HEXGPU_OK) s->errors++;
            sent++;
        }
        hexgpu_completion done[IN_FLIGHT];
        size_t got = 0;
        if (hexgpu_queue_wait(queue, done, IN_FLIGHT, 10000, &got) != HEXGPU_OK) {
            s->errors++;
            break;
        }
        for (size_t i = 0; i < got; i++) {
            int slot = (int)done[i].tag;
            if (done[i].status != HEXGPU_OK) s->errors++;
            hexgpu_position p = position_number(numbers[slot]);
            float value, policy[CELLS], logits[CELLS];
            hexgpu_synthetic_outputs(&p, &value, policy, logits);
            if (value != values[slot] || memcmp(policy, policies[slot], sizeof policy) != 0) s->wrong++;
            free_slots[free_count++] = slot;
            received++;
        }
    }
    hexgpu_queue_destroy(queue);
    return NULL;
}

/* Synchronous evaluate of small groups from several threads. */
static void *submit_sync(void *arg) {
    submitter *s = arg;
    uint64_t seed = (uint64_t)s->index + 100;
    for (int round = 0; round < REQUESTS_PER_THREAD / 8; round++) {
        hexgpu_position group[8];
        float values[8];
        for (int i = 0; i < 8; i++) group[i] = position_number(hexgpu_splitmix64_next(&seed) % DISTINCT);
        if (hexgpu_engine_evaluate(s->engine, group, 8, values, NULL, NULL, NULL) != HEXGPU_OK) {
            s->errors++;
            continue;
        }
        for (int i = 0; i < 8; i++) {
            float value, policy[CELLS], logits[CELLS];
            hexgpu_synthetic_outputs(&group[i], &value, policy, logits);
            if (value != values[i]) s->wrong++;
        }
    }
    return NULL;
}

static void run_threads(size_t cache_entries, void *(*body)(void *), const char *what) {
    hexgpu_engine *engine = open_synthetic(cache_entries, 0);
    pthread_t threads[THREADS];
    submitter subs[THREADS];
    for (int t = 0; t < THREADS; t++) {
        subs[t] = (submitter){.engine = engine, .index = t};
        pthread_create(&threads[t], NULL, body, &subs[t]);
    }
    int wrong = 0, errors = 0;
    for (int t = 0; t < THREADS; t++) {
        pthread_join(threads[t], NULL);
        wrong += subs[t].wrong;
        errors += subs[t].errors;
    }
    hexgpu_engine_stats stats;
    hexgpu_engine_stats_read(engine, &stats);
    char line[256];
    snprintf(line, sizeof line, "%s (cache %zu): %d wrong answers, %d errors, %llu cache hits", what, cache_entries,
             wrong, errors, (unsigned long long)stats.cache_hits);
    check(wrong == 0 && errors == 0 && (cache_entries == 0 || stats.cache_hits > 0), line);
    hexgpu_engine_close(engine);
}

/* Close while a slow backend still has work queued and launched: every request must
 * come back, either answered or failed with HEXGPU_ERR_CLOSED. */
static void close_with_work_in_flight(void) {
    hexgpu_engine *engine = open_synthetic(0, 2000000 /* 2 ms a batch */);
    hexgpu_queue *queue = NULL;
    hexgpu_queue_create(&queue, NULL);
    enum { COUNT = 500 };
    static float values[COUNT];
    static hexgpu_request requests[COUNT];
    for (int i = 0; i < COUNT; i++)
        requests[i] = (hexgpu_request){.position = position_number((uint64_t)i), .value = &values[i], .tag = (uint64_t)i};
    int submitted = hexgpu_engine_submit(engine, queue, requests, COUNT, NULL) == HEXGPU_OK;
    hexgpu_engine_close(engine);
    int ok = 0, closed = 0, other = 0;
    for (;;) {
        hexgpu_completion done[COUNT];
        size_t got = 0;
        hexgpu_queue_wait(queue, done, COUNT, 0, &got);
        if (got == 0) break;
        for (size_t i = 0; i < got; i++) {
            if (done[i].status == HEXGPU_OK) ok++;
            else if (done[i].status == HEXGPU_ERR_CLOSED) closed++;
            else other++;
        }
    }
    hexgpu_queue_destroy(queue);
    char line[256];
    snprintf(line, sizeof line, "close with work in flight: %d answered + %d closed of %d, %d other", ok, closed, COUNT,
             other);
    check(submitted && ok + closed == COUNT && other == 0, line);
}

int main(void) {
    run_threads(0, submit_async, "async submitters, no cache");
    run_threads(256, submit_async, "async submitters, evicting cache");
    run_threads(4096, submit_async, "async submitters, cache holds everything");
    run_threads(256, submit_sync, "synchronous evaluators, evicting cache");
    close_with_work_in_flight();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
