/* hexgpu check, the run: the backend's outputs and the reference's on the same
 * positions, measured against each other (see check.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/check.h"
#include "cli/cli.h"
#include "cli/describe.h"
#include "cli/model_output.h"
#include "base/timer.h"
#include "runtime/backend.h"
#include "check/position_random.h"
#include "check/reference_forward.h"
#include "base/status.h"
#include "check/golden.h"

/* Outputs of count boards: policy and logits [count][cells], value [count]. */
typedef struct outputs {
    float *policy, *logits, *value;
} outputs;

static int outputs_alloc(outputs *o, size_t count, int cells) {
    o->policy = malloc(count * (size_t)cells * sizeof(float));
    o->logits = malloc(count * (size_t)cells * sizeof(float));
    o->value = malloc(count * sizeof(float));
    return o->policy && o->logits && o->value;
}

static void outputs_free(outputs *o) {
    free(o->policy), free(o->logits), free(o->value);
    *o = (outputs){0};
}

static hexgpu_accuracy_outputs view(const outputs *o) {
    return (hexgpu_accuracy_outputs){o->policy, o->logits, o->value};
}

/* The empty board, then random stone counts, then a board with one empty cell. */
static void check_positions(hexgpu_position *pos, size_t count, int n, uint64_t seed) {
    hexgpu_position_random_batch(pos, count, n, seed);
    hexgpu_position_init(&pos[0], n);
    if (count > 1) pos[count - 1] = hexgpu_position_random(n, n * n - 1, seed);
}

/* The backend's context and its one slot, of max_batch o->batch. */
typedef hexgpu_backend_session backend_run;

static int backend_open(const hexgpu_check_options *o, const hexgpu_network *net, backend_run *run,
                        hexgpu_check_report *report) {
    hexgpu_error err = {0};
    hexgpu_backend_config config = {.device = o->device, .precision = o->precision, .max_batch = o->batch,
                                    .threads = o->threads, .log = hexgpu_cli_logger()};
    hexgpu_status st = hexgpu_backend_session_open(o->backend, &config, net, run, &err);
    if (st) return hexgpu_cli_fail_status(st, &err);
    snprintf(report->chosen, sizeof report->chosen, "%s", run->contexts.chosen);
    fprintf(stderr, "check: %s\n", report->chosen);
    report->backend = run->ops->name;
    report->precision = run->ops->precision(run->ctx);
    report->limits = hexgpu_accuracy_limits_for(report->precision);
    snprintf(report->device, sizeof report->device, "%s", run->device);
    return HEXGPU_EXIT_OK;
}

static void backend_close(backend_run *run) { hexgpu_backend_session_close(run); }

static int backend_evaluate(const backend_run *run, const hexgpu_check_options *o, int n, const hexgpu_position *pos,
                            size_t count, outputs *out) {
    hexgpu_error err = {0};
    if (hexgpu_backend_evaluate(run->ops, run->slot, o->batch, n, pos, count, out->policy, out->logits, out->value,
                                &err))
        return hexgpu_cli_fail(HEXGPU_EXIT_FAILURE, "%s backend: %s", run->ops->name, err.message);
    return HEXGPU_EXIT_OK;
}

/* The reference on positions first, first + stride, ... of a job's share. */
typedef struct reference_job {
    const hexgpu_network *net;
    const hexgpu_position *pos;
    size_t count, first, stride;
    const outputs *out;
    int out_of_memory;
} reference_job;

static void *reference_worker(void *arg) {
    reference_job *job = arg;
    double *workspace = malloc(hexgpu_reference_workspace_size(job->net));
    if (!workspace) {
        job->out_of_memory = 1;
        return NULL;
    }
    size_t cells = (size_t)job->net->board_size * (size_t)job->net->board_size;
    for (size_t i = job->first; i < job->count; i += job->stride)
        hexgpu_reference_forward(job->net, &job->pos[i], workspace, job->out->logits + i * cells,
                                 job->out->policy + i * cells, job->out->value + i);
    free(workspace);
    return NULL;
}

/* The positions split over threads workers (the caller is the first). */
static int reference_evaluate(const hexgpu_network *net, const hexgpu_position *pos, size_t count, int threads,
                              const outputs *out) {
    reference_job jobs[256];
    pthread_t ids[256];
    int started = 1, failed = 0;
    for (int t = 0; t < threads; t++)
        jobs[t] = (reference_job){.net = net, .pos = pos, .count = count, .first = (size_t)t,
                                  .stride = (size_t)threads, .out = out};
    for (int t = 1; t < threads; t++, started++)
        if (pthread_create(&ids[t], NULL, reference_worker, &jobs[t])) break;
    for (int t = started; t < threads; t++) reference_worker(&jobs[t]); /* threads that did not start */
    reference_worker(&jobs[0]);
    for (int t = 1; t < started; t++) pthread_join(ids[t], NULL);
    for (int t = 0; t < threads; t++) failed |= jobs[t].out_of_memory;
    if (failed) return hexgpu_cli_fail(HEXGPU_EXIT_FAILURE, "out of memory for the reference's workspace");
    return HEXGPU_EXIT_OK;
}

static int measure(hexgpu_check_set *set, const outputs *got, const outputs *want, size_t count, int cells,
                   const hexgpu_accuracy_limits *limits) {
    hexgpu_error err = {0};
    hexgpu_accuracy_outputs a = view(got), ref = view(want);
    if (hexgpu_accuracy_measure(&a, &ref, count, cells, &set->accuracy, &err))
        return hexgpu_cli_fail(HEXGPU_EXIT_FAILURE, "%s", err.message);
    set->failed = hexgpu_accuracy_verdict(&set->accuracy, limits);
    return HEXGPU_EXIT_OK;
}

/* PyTorch's outputs of a golden file as a reference: its logits and values, and the
 * policy they give (the legal softmax in double). */
static int golden_reference(const hexgpu_golden *golden, int cells, outputs *want) {
    if (!outputs_alloc(want, golden->count, cells)) return hexgpu_cli_fail(HEXGPU_EXIT_FAILURE, "out of memory");
    double logits[HEXGPU_MAX_CELLS];
    for (size_t i = 0; i < golden->count; i++) {
        const hexgpu_golden_entry *e = &golden->items[i];
        for (int c = 0; c < cells; c++) logits[c] = e->policy_logits[c];
        memcpy(want->logits + i * (size_t)cells, e->policy_logits, (size_t)cells * sizeof(float));
        hexgpu_reference_softmax(&e->position, logits, want->policy + i * (size_t)cells);
        want->value[i] = e->value;
    }
    return HEXGPU_EXIT_OK;
}

/* Each golden file against the backend, as the sets after the first. */
static int check_golden(const hexgpu_check_options *o, const hexgpu_network *net, const backend_run *run,
                        const hexgpu_golden *golden, hexgpu_check_report *report) {
    int n = net->board_size, cells = n * n, code = HEXGPU_EXIT_OK;
    for (int g = 0; g < o->golden_count && code == HEXGPU_EXIT_OK; g++) {
        outputs got = {0}, want = {0};
        hexgpu_position *pos = malloc(golden[g].count * sizeof *pos);
        if (!pos || !outputs_alloc(&got, golden[g].count, cells))
            code = hexgpu_cli_fail(HEXGPU_EXIT_FAILURE, "out of memory");
        for (size_t i = 0; code == HEXGPU_EXIT_OK && i < golden[g].count; i++) pos[i] = golden[g].items[i].position;
        if (code == HEXGPU_EXIT_OK) code = backend_evaluate(run, o, n, pos, golden[g].count, &got);
        if (code == HEXGPU_EXIT_OK) code = golden_reference(&golden[g], cells, &want);
        hexgpu_check_set *set = &report->sets[report->set_count++];
        *set = (hexgpu_check_set){.name = o->golden[g], .reference = "outputs PyTorch recorded"};
        if (code == HEXGPU_EXIT_OK) code = measure(set, &got, &want, golden[g].count, cells, &report->limits);
        free(pos);
        outputs_free(&got), outputs_free(&want);
    }
    return code;
}

static int load_golden(const hexgpu_check_options *o, int n, hexgpu_golden *golden) {
    for (int g = 0; g < o->golden_count; g++) {
        hexgpu_error err = {0};
        hexgpu_status st = hexgpu_golden_load(o->golden[g], &golden[g], &err);
        if (st) return hexgpu_cli_fail(hexgpu_cli_exit_code(st), "--golden: %s", err.message);
        if (golden[g].board_size != n)
            return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "--golden %s holds %dx%d positions, the model plays %dx%d",
                                   o->golden[g], golden[g].board_size, golden[g].board_size, n, n);
    }
    return HEXGPU_EXIT_OK;
}

static int reference_threads(const hexgpu_check_options *o) {
    long cores = o->threads > 0 ? o->threads : sysconf(_SC_NPROCESSORS_ONLN);
    if (cores > o->positions) cores = o->positions;
    return cores < 1 ? 1 : cores > 256 ? 256 : (int)cores;
}

int hexgpu_check_run(const hexgpu_check_options *o, const hexgpu_network *net, hexgpu_check_report *report) {
    *report = (hexgpu_check_report){.reference_threads = reference_threads(o)};
    int n = net->board_size, cells = n * n;
    size_t count = (size_t)o->positions;
    hexgpu_golden golden[HEXGPU_CHECK_MAX_GOLDEN] = {0};
    backend_run run = {0};
    outputs got = {0}, want = {0};
    hexgpu_position *pos = malloc(count * sizeof *pos);
    int code = load_golden(o, n, golden);
    if (code == HEXGPU_EXIT_OK && (!pos || !outputs_alloc(&got, count, cells) || !outputs_alloc(&want, count, cells)))
        code = hexgpu_cli_fail(HEXGPU_EXIT_FAILURE, "out of memory for %zu positions", count);
    if (code == HEXGPU_EXIT_OK) code = backend_open(o, net, &run, report);
    if (code == HEXGPU_EXIT_OK) {
        check_positions(pos, count, n, o->seed);
        int64_t start = hexgpu_timer_now_ns();
        code = backend_evaluate(&run, o, n, pos, count, &got);
        report->backend_s = (double)(hexgpu_timer_now_ns() - start) * 1e-9;
    }
    report->sets[0] = (hexgpu_check_set){.name = "random positions", .reference = "direct double reference"};
    report->set_count = 1;
    if (code == HEXGPU_EXIT_OK) code = check_golden(o, net, &run, golden, report);
    backend_close(&run);
    if (code == HEXGPU_EXIT_OK) {
        int64_t start = hexgpu_timer_now_ns();
        code = reference_evaluate(net, pos, count, report->reference_threads, &want);
        report->reference_s = (double)(hexgpu_timer_now_ns() - start) * 1e-9;
    }
    if (code == HEXGPU_EXIT_OK) code = measure(&report->sets[0], &got, &want, count, cells, &report->limits);
    for (int g = 0; g < o->golden_count; g++) hexgpu_golden_free(&golden[g]);
    outputs_free(&got), outputs_free(&want);
    free(pos);
    return code;
}
