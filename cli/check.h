/* hexgpu check: a backend against the direct double-precision reference on seeded random
 * positions, and against PyTorch's recorded outputs (golden.jsonl) when given. The run
 * (cli/check_run.c) fills a report that the command (cli/cmd_check.c) prints. */
#pragma once

#include <stdint.h>

#include "hexgpu.h"
#include "check/accuracy.h"
#include "model/network.h"

#define HEXGPU_CHECK_MAX_GOLDEN 8
#define HEXGPU_CHECK_DEFAULT_POSITIONS 400 /* the full-size network: ~20 s of reference on 2 idle cores */
#define HEXGPU_CHECK_DEFAULT_BATCH 256

typedef struct hexgpu_check_options {
    const char *model; /* NULL with random_init */
    int random_init;   /* a full-size network with random weights of seed */
    hexgpu_backend_kind backend;
    hexgpu_precision precision;
    int device;
    int threads;   /* cpu backend threads and reference threads; 0 = every core */
    int positions; /* random positions */
    int batch;     /* the backend's max_batch: positions go through in batches of this */
    int json;
    uint64_t seed; /* the positions' (and --random-init's weights') */
    const char *golden[HEXGPU_CHECK_MAX_GOLDEN];
    int golden_count;
} hexgpu_check_options;

/* One comparison: the random positions against the reference, or one golden file. */
typedef struct hexgpu_check_set {
    const char *name;      /* "random positions" or the golden file's path */
    const char *reference; /* "direct double reference" or "outputs PyTorch recorded" */
    hexgpu_accuracy accuracy;
    const char *failed; /* the first limit missed (hexgpu_accuracy_verdict); NULL = within all */
} hexgpu_check_set;

typedef struct hexgpu_check_report {
    const char *backend;           /* "cpu", "cuda" */
    char chosen[512], device[384]; /* how the backend was chosen; the card or the CPU */
    hexgpu_precision precision;    /* what the backend runs (AUTO resolved) */
    hexgpu_accuracy_limits limits; /* for that precision */
    int reference_threads;
    hexgpu_check_set sets[1 + HEXGPU_CHECK_MAX_GOLDEN]; /* the random positions first */
    int set_count;
    double backend_s, reference_s; /* wall time of the backend's batches and of the reference */
} hexgpu_check_report;

/* Reads the golden files (each must be of net's board size), runs the backend o asks for
 * on o->positions seeded random positions of net's board (the empty board first, a
 * board with one empty cell last, random stone counts between) and on the golden
 * positions, then the reference on the random ones, and measures each set against the
 * limits of the precision the backend runs. Returns HEXGPU_EXIT_OK with *report filled
 * (pass or fail is in its sets), else an exit code after printing the error: 2 for a
 * malformed golden file or one of another board size, 1 for one that cannot be read,
 * no usable backend or a failure while running. */
int hexgpu_check_run(const hexgpu_check_options *o, const hexgpu_network *net, hexgpu_check_report *report);
