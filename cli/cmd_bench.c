/* hexgpu bench: raw backend throughput (boards/s) and per-batch latency on random legal
 * positions, straight through the backend vtable (no cache, no scheduler); with --engine,
 * through the engine's scheduler and async submitters instead (cli/bench_engine.c). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/bench.h"
#include "cli/cli.h"
#include "cli/describe.h"
#include "cli/model_output.h"
#include "model/export/safetensors_write.h"
#include "base/status.h"

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
            "  --device N            CUDA device (default 0); with --engine also a list N,M,... or all:\n"
            "                        one engine over every listed device (the raw figure is device N's)\n"
            "  --batch LIST          batch sizes, e.g. 1,64,256 (default 1,64,256)\n"
            "  --seconds S           length of each timed repeat (default 1)\n"
            "  --repeats R           timed repeats per batch size (default 5)\n"
            "  --threads T           cpu backend threads (default 0: all cores)\n"
            "  --seed N              position seed (default 1)\n"
            "  --json                one JSON object per batch size instead of a table\n\n"
            "Engine mode: the same positions through hexgpu_engine_submit (max_batch = the batch\n"
            "size, no cache), next to the raw figure at that batch size measured in the same run:\n"
            "  --engine              measure the engine (scheduler, slots, async submitters)\n"
            "  --submitters N        submitting threads, each with its own queue (default 4)\n"
            "  --in-flight K         requests each submitter keeps in flight (default 2 x batch)\n"
            "  --slots S             engine slots, batches in flight at once (default 3)\n"
            "  --timeline PATH       time each batch's h2d, compute and d2h; write the last batch\n"
            "                        size's as a Chrome trace (chrome://tracing, Perfetto) and\n"
            "                        print the share of compute overlapped by other slots' copies\n\n"
            "Search mode: hexgpu bench --selfplay [...] measures self-play's search against a\n"
            "backend that does no work (see hexgpu bench --selfplay --help).\n");
}

static int parse_batches(const char *text, hexgpu_bench_options *o) {
    o->batch_count = 0;
    for (const char *p = text; *p;) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (errno || end == p || v < 1 || v > 1 << 20 || o->batch_count == HEXGPU_BENCH_MAX_BATCHES) return 0;
        o->batches[o->batch_count++] = (int)v;
        if (*end == ',') end++;
        else if (*end) return 0;
        p = end;
    }
    return o->batch_count > 0;
}

static int parse_args(int argc, char **argv, hexgpu_bench_options *o) {
    *o = (hexgpu_bench_options){.backend = HEXGPU_BACKEND_AUTO, .repeats = 5, .seconds = 1.0, .seed = 1,
                                .batches = {1, 64, 256}, .batch_count = 3, .submitters = 4, .slots = 3};
    int rc = HEXGPU_EXIT_OK;
    int engine_only = 0; /* an engine option was given */
    for (int i = 1; i < argc && rc == HEXGPU_EXIT_OK; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int n;
        if (strcmp(a, "--random-init") == 0) o->random_init = 1;
        else if (strcmp(a, "--json") == 0) o->json = 1;
        else if (strcmp(a, "--engine") == 0) o->engine = 1;
        else if (!v)
            return hexgpu_cli_fail(HEXGPU_EXIT_USAGE,
                                   "unknown option or missing value: '%s' (try 'hexgpu bench --help')", a);
        else if (strcmp(a, "--model") == 0) o->model = argv[++i];
        else if (strcmp(a, "--backend") == 0) rc = hexgpu_cli_option_backend(argv[++i], &o->backend);
        else if (strcmp(a, "--precision") == 0) rc = hexgpu_cli_option_precision(argv[++i], &o->precision);
        else if (strcmp(a, "--device") == 0) {
            hexgpu_engine_options d;
            hexgpu_cli_engine_options_default(&d);
            if ((rc = hexgpu_cli_option_devices(argv[++i], &d)) == HEXGPU_EXIT_OK) {
                o->device = d.device, o->device_count = d.device_count;
                memcpy(o->devices, d.devices, sizeof o->devices);
            }
        }
        else if (strcmp(a, "--threads") == 0) rc = hexgpu_cli_option_int(a, argv[++i], 0, 4096, &o->threads);
        else if (strcmp(a, "--repeats") == 0) rc = hexgpu_cli_option_int(a, argv[++i], 1, 1000, &o->repeats);
        else if (strcmp(a, "--submitters") == 0) {
            rc = hexgpu_cli_option_int(a, argv[++i], 1, 256, &o->submitters);
            engine_only = 1;
        } else if (strcmp(a, "--in-flight") == 0) {
            rc = hexgpu_cli_option_int(a, argv[++i], 1, 1 << 24, &o->in_flight);
            engine_only = 1;
        } else if (strcmp(a, "--slots") == 0) {
            rc = hexgpu_cli_option_int(a, argv[++i], 1, 64, &o->slots);
            engine_only = 1;
        } else if (strcmp(a, "--timeline") == 0) {
            o->timeline = argv[++i];
            engine_only = 1;
        } else if (strcmp(a, "--seed") == 0) {
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
    if (o->device_count != 0 && !o->engine)
        return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "a device list (--device N,M or all) needs --engine: the raw backend "
                                                  "measures one device");
    if (engine_only && !o->engine)
        return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "--submitters, --in-flight, --slots and --timeline need --engine");
    return -1;
}

static int run_bench(const hexgpu_bench_options *o, const hexgpu_network *net, const char *model_name) {
    hexgpu_error err = {0};
    hexgpu_bench_raw raw;
    int code = hexgpu_bench_raw_start(o, net, &raw);
    if (code != HEXGPU_EXIT_OK) return code;
    double mflop = 2.0 * (double)hexgpu_network_macs(net) * 1e-6;
    if (!o->json)
        printf("model %s (%dx%d, %.1f MFLOP/board)\nbackend %s, %s, %s, context created in %.1f ms\n"
               "%7s %12s %14s %10s %9s %10s\n",
               model_name, net->board_size, net->board_size, mflop, raw.ops->name, raw.precision, raw.device,
               raw.create_ms, "batch", "boards/s", "latency_us", "GFLOP/s", "launches", "first_ms");
    hexgpu_status st = HEXGPU_OK;
    for (int i = 0; i < o->batch_count && !st; i++) {
        int batch = o->batches[i];
        hexgpu_bench_figure f;
        if ((st = hexgpu_bench_raw_measure(&raw, o, batch, &f, &err))) {
            hexgpu_error_prefix(&err, st, "%s: batch of %d on backend %s", model_name, batch, raw.ops->name);
            break;
        }
        if (o->json)
            printf("{\"backend\":\"%s\",\"device\":\"%s\",\"precision\":\"%s\",\"model\":\"%s\",\"board_size\":%d,"
                   "\"batch\":%d,\"boards_per_s\":%.1f,\"latency_us\":%.1f,\"gflops\":%.2f,\"repeats\":%d,"
                   "\"seconds\":%g,\"launches\":%ld,\"create_ms\":%.1f,\"first_launch_ms\":%.2f}\n",
                   raw.ops->name, hexgpu_cli_json_escape(raw.device, (char[768]){0}, 768), raw.precision,
                   hexgpu_cli_json_escape(model_name, (char[8192]){0}, 8192), net->board_size, batch,
                   f.boards_per_s, f.latency_us, f.boards_per_s * mflop * 1e-3, o->repeats, o->seconds, f.launches,
                   raw.create_ms, f.first_ms);
        else
            printf("%7d %12.1f %14.1f %10.2f %9ld %10.2f\n", batch, f.boards_per_s, f.latency_us,
                   f.boards_per_s * mflop * 1e-3, f.launches, f.first_ms);
        fflush(stdout);
    }
    hexgpu_bench_raw_close(&raw);
    if (st) return hexgpu_cli_fail_status(st, &err);
    return HEXGPU_EXIT_OK;
}

/* The engine opens models from a path: --random-init's network goes to a temporary
 * safetensors file in a fresh private folder ($TMPDIR or /tmp), removed afterwards. */
static int engine_bench_random(const hexgpu_bench_options *o, const hexgpu_network *net,
                               const hexgpu_tensor_map *map, const char *model_name) {
    const char *tmp = getenv("TMPDIR");
    char dir[4096], path[4200];
    snprintf(dir, sizeof dir, "%s/hexgpu-bench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) return hexgpu_cli_fail(HEXGPU_EXIT_FAILURE, "cannot create a folder like '%s'", dir);
    snprintf(path, sizeof path, "%s/random-init.safetensors", dir);
    hexgpu_error err = {0};
    int code;
    hexgpu_status st = hexgpu_safetensors_write(path, map, NULL, 0, &err);
    if (st) code = hexgpu_cli_fail_status(st, &err);
    else
        code = hexgpu_bench_engine(o, net, path, model_name);
    remove(path);
    rmdir(dir);
    return code;
}

int hexgpu_cmd_bench(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--selfplay") == 0) return hexgpu_bench_selfplay(argc, argv);
    if (hexgpu_cli_wants_help(argc, argv)) {
        usage(stdout);
        return HEXGPU_EXIT_OK;
    }
    hexgpu_bench_options o;
    int code = parse_args(argc, argv, &o);
    if (code >= 0) return code;
    hexgpu_tensor_map map;
    hexgpu_network net;
    hexgpu_error err = {0};
    hexgpu_status st = hexgpu_cli_network_open(o.random_init ? NULL : o.model, o.seed, &map, &net, &err);
    if (st) return hexgpu_cli_fail_status(st, &err);
    const char *name = o.random_init ? "random-init (full size)" : o.model;
    if (!o.engine) code = run_bench(&o, &net, name);
    else if (o.random_init) code = engine_bench_random(&o, &net, &map, name);
    else code = hexgpu_bench_engine(&o, &net, o.model, name);
    hexgpu_tensor_map_free(&map);
    hexgpu_network_free(&net);
    return code;
}
