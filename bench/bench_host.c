/* Host overhead of the engine: requests/s through submit -> batch -> slot -> complete
 * with a backend that does no work (host/synthetic_backend.c, no_work), so what is
 * measured is the scheduler, queues and copies alone.
 * usage: bench_host [seconds per run (1.0)] [max threads (4)] */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hexgpu.h"
#include "host/engine_impl.h"
#include "host/synthetic_backend.h"
#include "base/timer.h"

#define N 13
#define CELLS (N * N)
#define CHUNK 256
#define IN_FLIGHT 4 /* chunks each submitter keeps outstanding */
#define POOL 1024

typedef struct submitter {
    hexgpu_engine *engine;
    const hexgpu_position *pool;
    int with_policy;
    int64_t deadline_ns;
    uint64_t done;
} submitter;

static void *submit_loop(void *arg) {
    submitter *s = arg;
    hexgpu_queue *q;
    if (hexgpu_queue_create(&q, NULL) != HEXGPU_OK) return NULL;
    /* One output area per in-flight chunk, reused round robin. */
    float *value = malloc(IN_FLIGHT * CHUNK * sizeof(float));
    float *policy = s->with_policy ? malloc((size_t)IN_FLIGHT * CHUNK * CELLS * sizeof(float)) : NULL;
    hexgpu_request req[CHUNK];
    hexgpu_completion done[IN_FLIGHT * CHUNK];
    size_t got;
    int pending[IN_FLIGHT] = {0}; /* requests of each area not yet completed */
    uint64_t submitted = 0;
    for (int round = 0; hexgpu_timer_now_ns() < s->deadline_ns; round++) {
        int area = round % IN_FLIGHT;
        /* Batches complete out of order across slots: wait for this area's own chunk. */
        while (pending[area] > 0 && hexgpu_queue_wait(q, done, IN_FLIGHT * CHUNK, -1, &got) == HEXGPU_OK) {
            for (size_t i = 0; i < got; i++) pending[done[i].tag / CHUNK % IN_FLIGHT]--;
            s->done += got;
        }
        float *v = value + (size_t)area * CHUNK, *pol = policy ? policy + (size_t)area * CHUNK * CELLS : NULL;
        for (int i = 0; i < CHUNK; i++)
            req[i] = (hexgpu_request){.position = s->pool[(submitted + (uint64_t)i) % POOL], .value = v + i,
                                      .policy = pol ? pol + (size_t)i * CELLS : NULL, .tag = submitted + (uint64_t)i};
        if (hexgpu_engine_submit(s->engine, q, req, CHUNK, NULL) != HEXGPU_OK) break;
        pending[area] = CHUNK;
        submitted += CHUNK;
    }
    while (hexgpu_queue_wait(q, done, IN_FLIGHT * CHUNK, -1, &got) == HEXGPU_OK && got > 0) s->done += got;
    hexgpu_queue_destroy(q);
    free(value), free(policy);
    return NULL;
}

static double run(int threads, int slots, int with_policy, double seconds, const hexgpu_position *pool) {
    hexgpu_synthetic_config cfg = {.board_size = N, .no_work = 1};
    hexgpu_engine_options o;
    hexgpu_engine_options_default(&o);
    o.max_batch = CHUNK;
    o.slots = slots;
    hexgpu_error err;
    void *ctx;
    hexgpu_engine *e;
    if (hexgpu_synthetic_create(&cfg, o.max_batch, &ctx, &err) != HEXGPU_OK ||
        hexgpu_engine_open_backend(&hexgpu_backend_synthetic, ctx, N, &o, NULL, NULL, NULL, &e, &err) != HEXGPU_OK) {
        fprintf(stderr, "bench_host: %s\n", err.message);
        exit(1);
    }
    submitter s[64];
    pthread_t t[64];
    int64_t start = hexgpu_timer_now_ns();
    for (int i = 0; i < threads; i++) {
        s[i] = (submitter){e, pool, with_policy, start + (int64_t)(seconds * 1e9), 0};
        pthread_create(&t[i], NULL, submit_loop, &s[i]);
    }
    uint64_t total = 0;
    for (int i = 0; i < threads; i++) pthread_join(t[i], NULL), total += s[i].done;
    double elapsed = (double)(hexgpu_timer_now_ns() - start) * 1e-9;
    hexgpu_engine_stats st;
    hexgpu_engine_stats_read(e, &st);
    printf("threads %d  slots %d  outputs %-12s  %10.0f requests/s  (mean batch %.1f, queue wait p50 %.0f us)\n",
           threads, slots, with_policy ? "value+policy" : "value", (double)total / elapsed, st.mean_batch,
           st.queue_wait_p50_us);
    hexgpu_engine_close(e);
    return (double)total / elapsed;
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 1.0;
    int max_threads = argc > 2 ? atoi(argv[2]) : 4;
    if (seconds <= 0 || max_threads < 1 || max_threads > 64) {
        fprintf(stderr, "usage: bench_host [seconds per run > 0] [max threads 1..64]\n");
        return 2;
    }
    static hexgpu_position pool[POOL];
    for (int i = 0; i < POOL; i++) {
        hexgpu_position_init(&pool[i], N);
        for (int k = 0; k < i % 40; k++) { /* distinct valid positions: Blue/Red alternate on cells */
            int cell = (i * 7 + k * 13) % CELLS;
            while (hexgpu_position_at(&pool[i], cell) != HEXGPU_NONE) cell = (cell + 1) % CELLS;
            uint64_t *mask = k % 2 == 0 ? pool[i].blue : pool[i].red;
            mask[cell / 64] |= 1ull << (cell % 64);
            pool[i].to_move = k % 2 == 0 ? HEXGPU_RED : HEXGPU_BLUE;
        }
    }
    printf("bench_host: no-work backend, batches of %d, %d chunks of %d in flight per thread, %.1f s per run\n", CHUNK,
           IN_FLIGHT, CHUNK, seconds);
    double best = 0;
    for (int threads = 1; threads <= max_threads; threads *= 2)
        for (int with_policy = 0; with_policy <= 1; with_policy++) {
            double r = run(threads, 3, with_policy, seconds, pool);
            if (r > best) best = r;
        }
    printf("best: %.0f requests/s\n", best);
    return 0;
}
