/* hexgpu bench: raw backend throughput (boards/s) and per-batch latency on random legal
 * positions, straight through the backend vtable (no cache, no scheduler). */
#include <cblas.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef HEXGPU_HAVE_CUDA
#include <cuda_runtime_api.h>
#endif

#include "cli/cli.h"
#include "profiling/timer.h"
#include "runtime/backend.h"
#include "runtime/model_file.h"
#include "runtime/reference_layout.h"
#include "selfplay/board.h"

#define MAX_BATCHES 32
#define POSITION_POOL 4096

typedef struct bench_options {
    const char *model;
    int random_init;
    hexgpu_backend_kind backend;
    hexgpu_precision precision;
    int device, threads, repeats, json;
    double seconds;
    int batches[MAX_BATCHES], batch_count;
    uint64_t seed;
} bench_options;

static void usage(FILE *out) {
    fprintf(out,
            "usage: hexgpu bench (--model PATH | --random-init) [options]\n\n"
            "Measures the network alone through a backend: random legal positions (seeded), per\n"
            "batch size a warm-up, then R timed repeats of S seconds each; prints the median\n"
            "boards/s and the median latency of one batch.\n\n"
            "  --model PATH          .pt, .pt.gz or .safetensors checkpoint\n"
            "  --random-init         a full-size reference network (13x13, 64/128/256/512) with\n"
            "                        random weights instead of a file\n"
            "  --backend B           cpu, cuda or auto (default auto: cuda when usable)\n"
            "  --precision P         fp16, fp32 or auto (default auto; the cpu backend is fp32)\n"
            "  --device N            CUDA device (default 0)\n"
            "  --batch LIST          batch sizes, e.g. 1,64,256 (default 1,64,256)\n"
            "  --seconds S           length of each timed repeat (default 1)\n"
            "  --repeats R           timed repeats per batch size (default 5)\n"
            "  --threads T           cpu backend threads (default 0: all cores)\n"
            "  --seed N              position seed (default 1)\n"
            "  --json                one JSON object per batch size instead of a table\n");
}

static int parse_batches(const char *text, bench_options *o) {
    o->batch_count = 0;
    for (const char *p = text; *p;) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (errno || end == p || v < 1 || v > 1 << 20 || o->batch_count == MAX_BATCHES) return 0;
        o->batches[o->batch_count++] = (int)v;
        if (*end == ',') end++;
        else if (*end) return 0;
        p = end;
    }
    return o->batch_count > 0;
}

static int parse_args(int argc, char **argv, bench_options *o) {
    *o = (bench_options){.backend = HEXGPU_BACKEND_AUTO, .repeats = 5, .seconds = 1.0, .seed = 1,
                         .batches = {1, 64, 256}, .batch_count = 3};
    int rc = HEXGPU_EXIT_OK;
    for (int i = 1; i < argc && rc == HEXGPU_EXIT_OK; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int n;
        if (strcmp(a, "--random-init") == 0) o->random_init = 1;
        else if (strcmp(a, "--json") == 0) o->json = 1;
        else if (!v)
            return hexgpu_cli_fail(HEXGPU_EXIT_USAGE,
                                   "unknown option or missing value: '%s' (try 'hexgpu bench --help')", a);
        else if (strcmp(a, "--model") == 0) o->model = argv[++i];
        else if (strcmp(a, "--backend") == 0) rc = hexgpu_cli_option_backend(argv[++i], &o->backend);
        else if (strcmp(a, "--precision") == 0) rc = hexgpu_cli_option_precision(argv[++i], &o->precision);
        else if (strcmp(a, "--device") == 0) rc = hexgpu_cli_option_int(a, argv[++i], 0, 1024, &o->device);
        else if (strcmp(a, "--threads") == 0) rc = hexgpu_cli_option_int(a, argv[++i], 0, 4096, &o->threads);
        else if (strcmp(a, "--repeats") == 0) rc = hexgpu_cli_option_int(a, argv[++i], 1, 1000, &o->repeats);
        else if (strcmp(a, "--seed") == 0) {
            if ((rc = hexgpu_cli_option_int(a, argv[++i], 0, INT_MAX, &n)) == HEXGPU_EXIT_OK) o->seed = (uint64_t)n;
        } else if (strcmp(a, "--batch") == 0) {
            if (!parse_batches(v, o))
                return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "--batch '%s': expected sizes 1..1048576 like 1,64,256", v);
            i++;
        } else if (strcmp(a, "--seconds") == 0) {
            char *end;
            o->seconds = strtod(v, &end);
            if (end == v || *end || !(o->seconds > 0 && o->seconds <= 3600))
                return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "--seconds '%s': expected a number in (0, 3600]", v);
            i++;
        } else
            return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "bad option or value: '%s %s' (try 'hexgpu bench --help')", a, v);
    }
    if (rc != HEXGPU_EXIT_OK) return rc;
    if (!o->model == !o->random_init)
        return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "bench needs exactly one of --model PATH and --random-init");
    return -1;
}

/* Positions from random legal games of random length, seeded: what self-play asks. */
static hexgpu_status random_positions(int size, uint64_t seed, hexgpu_position *out, int count, hexgpu_error *err) {
    hexgpu_board *board = malloc(sizeof *board);
    int *legal = malloc(HEXGPU_MAX_CELLS * sizeof *legal);
    hexgpu_status st = board && legal ? HEXGPU_OK : HEXGPU_ERR_OUT_OF_MEMORY;
    uint64_t s = seed * 0x9e3779b97f4a7c15ull + 1;
    for (int i = 0; i < count && !st; i++) {
        st = hexgpu_board_init(board, size, err);
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        int moves = (int)((s >> 33) % (uint64_t)(size * size));
        for (int m = 0; m < moves && !st && hexgpu_board_winner(board) == HEXGPU_NONE; m++) {
            int n = hexgpu_board_legal_moves(board, legal);
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            st = hexgpu_board_play(board, legal[(s >> 33) % (uint64_t)n], err);
        }
        if (!st) hexgpu_board_to_position(board, &out[i]);
    }
    free(board);
    free(legal);
    return st;
}

/* The CUDA card's name, or the CPU model, its cores, OpenBLAS's kernel family and the
 * threads a batch is split over (threads 0 = every core). */
static void device_name(const hexgpu_backend_ops *ops, int device, int threads, char *name, size_t len) {
    snprintf(name, len, "unknown");
#ifdef HEXGPU_HAVE_CUDA
    struct cudaDeviceProp prop;
    if (strcmp(ops->name, "cuda") == 0) {
        if (cudaGetDeviceProperties(&prop, device) == cudaSuccess) snprintf(name, len, "%s", prop.name);
        return;
    }
#else
    (void)device;
#endif
    (void)ops;
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512], model[256] = "CPU";
    int cores = 0;
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "processor", 9) == 0) cores++;
        char *colon = strchr(line, ':');
        if (cores == 1 && colon && strncmp(line, "model name", 10) == 0) {
            snprintf(model, sizeof model, "%s", colon + 2);
            model[strcspn(model, "\n")] = '\0';
        }
    }
    if (f) fclose(f);
    snprintf(name, len, "%s, %d cores, OpenBLAS %s, %d threads", model, cores, openblas_get_corename(),
             threads > 0 ? threads : cores);
}

static int compare_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, compare_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

typedef struct bench_result {
    double boards_per_s, latency_us;
    long launches;
} bench_result;

/* Launches batches of `batch` positions (a fresh slice of the pool each time) for
 * `seconds`; at least one launch. */
static hexgpu_status timed_loop(const hexgpu_backend_ops *ops, void *slot, const hexgpu_position *pool, int batch,
                                double seconds, bench_result *r, hexgpu_error *err) {
    hexgpu_slot_buffers buf = ops->slot_buffers(slot);
    int64_t start = hexgpu_timer_now_ns(), limit = (int64_t)(seconds * 1e9), now = start;
    long launches = 0;
    int offset = 0;
    do {
        for (int b = 0; b < batch; b++) buf.input[b] = pool[(offset + b) % POSITION_POOL];
        offset = (offset + batch) % POSITION_POOL;
        hexgpu_status st = ops->slot_launch(slot, batch, 1, err);
        if (!st) st = ops->slot_wait(slot, err);
        if (st) return st;
        launches++;
        now = hexgpu_timer_now_ns();
    } while (now - start < limit);
    double elapsed = (double)(now - start) * 1e-9;
    r->launches = launches;
    r->boards_per_s = (double)launches * batch / elapsed;
    r->latency_us = elapsed / (double)launches * 1e6;
    return HEXGPU_OK;
}

/* text as a JSON string body: quotes, backslashes and control characters escaped. */
static const char *json_escape(const char *text, char *out, size_t len) {
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p && o + 7 < len; p++) {
        if (*p == '"' || *p == '\\') o += (size_t)snprintf(out + o, len - o, "\\%c", *p);
        else if (*p < 0x20) o += (size_t)snprintf(out + o, len - o, "\\u%04x", *p);
        else out[o++] = (char)*p;
    }
    out[o] = '\0';
    return out;
}

static const char *precision_name(hexgpu_precision p) {
    return p == HEXGPU_PRECISION_FP16 ? "fp16" : p == HEXGPU_PRECISION_FP32 ? "fp32" : "auto";
}

static int run_bench(const bench_options *o, const hexgpu_network *net, const char *model_name) {
    hexgpu_error err = {0};
    const hexgpu_backend_ops *ops;
    char chosen[384], device[384];
    if (hexgpu_backend_select(o->backend, o->device, &ops, chosen, sizeof chosen, &err))
        return hexgpu_cli_fail(HEXGPU_EXIT_FAILURE, "%s", err.message);
    fprintf(stderr, "bench: %s\n", chosen);
    int max_batch = 0;
    for (int i = 0; i < o->batch_count; i++) max_batch = o->batches[i] > max_batch ? o->batches[i] : max_batch;
    hexgpu_backend_config config = {.device = o->device, .precision = o->precision, .max_batch = max_batch,
                                    .threads = o->threads};
    void *ctx = NULL, *slot = NULL;
    hexgpu_position *pool = malloc(POSITION_POOL * sizeof *pool);
    if (!pool) return hexgpu_cli_fail(HEXGPU_EXIT_FAILURE, "out of memory");
    hexgpu_status st = random_positions(net->board_size, o->seed, pool, POSITION_POOL, &err);
    if (!st) st = ops->create(net, &config, &ctx, &err);
    if (!st) st = ops->slot_create(ctx, &slot, &err);
    if (st) {
        if (ctx) ops->destroy(ctx);
        free(pool);
        return hexgpu_cli_fail(HEXGPU_EXIT_FAILURE, "%s", err.message);
    }
    device_name(ops, o->device, o->threads, device, sizeof device);
    const char *precision = precision_name(ops->precision(ctx));
    double mflop = 2.0 * (double)hexgpu_network_macs(net) * 1e-6;
    if (!o->json)
        printf("model %s (%dx%d, %.1f MFLOP/board)\nbackend %s, %s, %s\n%7s %12s %14s %10s %9s\n", model_name,
               net->board_size, net->board_size, mflop, ops->name, precision, device, "batch", "boards/s",
               "latency_us", "GFLOP/s", "launches");
    for (int i = 0; i < o->batch_count && !st; i++) {
        int batch = o->batches[i];
        bench_result warm, runs[1000];
        double rate[1000], latency[1000];
        long launches = 0;
        st = timed_loop(ops, slot, pool, batch, o->seconds < 0.5 ? o->seconds : 0.5, &warm, &err);
        for (int r = 0; r < o->repeats && !st; r++) {
            st = timed_loop(ops, slot, pool, batch, o->seconds, &runs[r], &err);
            rate[r] = runs[r].boards_per_s;
            latency[r] = runs[r].latency_us;
            launches += runs[r].launches;
        }
        if (st) break;
        double boards = median(rate, o->repeats), us = median(latency, o->repeats);
        if (o->json)
            printf("{\"backend\":\"%s\",\"device\":\"%s\",\"precision\":\"%s\",\"model\":\"%s\",\"board_size\":%d,"
                   "\"batch\":%d,\"boards_per_s\":%.1f,\"latency_us\":%.1f,\"gflops\":%.2f,\"repeats\":%d,"
                   "\"seconds\":%g,\"launches\":%ld}\n",
                   ops->name, json_escape(device, (char[768]){0}, 768), precision,
                   json_escape(model_name, (char[8192]){0}, 8192), net->board_size, batch, boards, us,
                   boards * mflop * 1e-3, o->repeats, o->seconds, launches);
        else
            printf("%7d %12.1f %14.1f %10.2f %9ld\n", batch, boards, us, boards * mflop * 1e-3, launches);
        fflush(stdout);
    }
    ops->slot_destroy(slot);
    ops->destroy(ctx);
    free(pool);
    if (st) return hexgpu_cli_fail(HEXGPU_EXIT_FAILURE, "%s", err.message);
    return HEXGPU_EXIT_OK;
}

int hexgpu_cmd_bench(int argc, char **argv) {
    if (hexgpu_cli_wants_help(argc, argv)) {
        usage(stdout);
        return HEXGPU_EXIT_OK;
    }
    bench_options o;
    int code = parse_args(argc, argv, &o);
    if (code >= 0) return code;
    hexgpu_tensor_map map = {0};
    hexgpu_error err = {0};
    hexgpu_status st;
    if (o.random_init) {
        hexgpu_layout_dims dims = hexgpu_layout_full_size();
        st = hexgpu_layout_random_model(&dims, o.seed, 1, &map, &err);
    } else
        st = hexgpu_model_file_load(o.model, &map, NULL, &err);
    hexgpu_network net;
    if (!st) st = hexgpu_network_build(&map, &net, &err);
    hexgpu_tensor_map_free(&map);
    if (st) return hexgpu_cli_fail(HEXGPU_EXIT_FAILURE, "%s", err.message);
    code = run_bench(&o, &net, o.random_init ? "random-init (full size)" : o.model);
    hexgpu_network_free(&net);
    return code;
}
