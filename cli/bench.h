/* hexgpu bench, shared between its two modes: the options, the position pool, the raw
 * backend measurement (cli/bench_raw.c) and the engine measurement (cli/bench_engine.c). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "hexgpu.h"
#include "runtime/backend.h"
#include "model/network.h"

#define HEXGPU_BENCH_MAX_BATCHES 32
#define HEXGPU_BENCH_POOL 4096 /* distinct positions cycled through by both modes */

typedef struct hexgpu_bench_options {
    const char *model;
    int random_init;
    hexgpu_backend_kind backend;
    hexgpu_precision precision;
    int device, threads, repeats, json;
    int device_count;                      /* engine mode: a device list (0: just `device`), as in the engine options */
    int devices[HEXGPU_MAX_DEVICES];
    double seconds;
    int batches[HEXGPU_BENCH_MAX_BATCHES], batch_count;
    uint64_t seed;
    int engine;     /* --engine: through hexgpu_engine_submit, compared with the raw backend */
    int submitters; /* submitting threads (engine mode) */
    int in_flight;  /* requests each submitter keeps in flight; 0 = 2 x batch */
    int slots;      /* engine slots */
    const char *timeline; /* --timeline PATH: Chrome trace of the last batch size; NULL = off */
} hexgpu_bench_options;

/* A raw backend session (one context and one slot of max_batch) and the position pool. */
typedef struct hexgpu_bench_raw {
    hexgpu_backend_session session;
    const hexgpu_backend_ops *ops; /* = session.ops */
    hexgpu_position *pool;         /* HEXGPU_BENCH_POOL distinct positions */
    const char *chosen;            /* how the backend was chosen */
    const char *device;            /* the CUDA card, or the CPU, kernel instruction set and threads */
    hexgpu_precision precision_used;
    const char *precision;         /* the precision the backend runs */
    double create_ms;              /* the backend context's creation (weights, plans), wall time */
} hexgpu_bench_raw;

/* Median boards/s and median latency of one batch over the timed repeats. */
typedef struct hexgpu_bench_figure {
    double boards_per_s, latency_us;
    long launches;
    double first_ms; /* the first batch of this size on the slot: includes CUDA's bucket warm-up and graph capture */
} hexgpu_bench_figure;

/* Selects the backend (o->backend, device, precision, threads), makes its context and
 * slot for the largest of o->batches and the seeded pool, and says on stderr which
 * backend was chosen. Returns an exit code; on failure the error is printed and
 * nothing stays allocated. */
int hexgpu_bench_raw_start(const hexgpu_bench_options *o, const hexgpu_network *net, hexgpu_bench_raw *raw);
/* One timed first batch (first_ms), a warm-up (min(seconds, 0.5) s), then o->repeats
 * timed repeats of o->seconds. Batches ask for policy and value only, as self-play and
 * the PyTorch baseline do (no logits copied back). */
hexgpu_status hexgpu_bench_raw_measure(hexgpu_bench_raw *raw, const hexgpu_bench_options *o, int batch,
                                       hexgpu_bench_figure *out, hexgpu_error *err);
void hexgpu_bench_raw_close(hexgpu_bench_raw *raw);

/* Engine mode (--engine): per batch size, the raw figure then the engine's, printed as
 * a table or JSON lines. model_path is a file the engine can open. Returns an exit code. */
int hexgpu_bench_engine(const hexgpu_bench_options *o, const hexgpu_network *net, const char *model_path,
                        const char *model_name);

/* bench --selfplay (cli/bench_selfplay.c): self-play's search on a backend with no work;
 * parses its own options from argv (argv[0] is "bench"). Returns an exit code. */
int hexgpu_bench_selfplay(int argc, char **argv);

/* Median of v[0..n) (sorts v). */
double hexgpu_bench_median(double *v, int n);
