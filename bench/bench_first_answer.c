/* The engine's first answer: the wall time from hexgpu_engine_open to the first
 * hexgpu_engine_evaluate returning (one position, a fresh process: the CUDA module,
 * driver context, weights, slots, and the first bucket's plan, warm-up run and capture
 * all fall inside). Target on an H100: 1.5 s. A second evaluate of the same bucket shows
 * the steady state. One JSON line on stdout; HEXGPU_CUDA_VERBOSE=1 adds the backend's
 * bring-up lines (context, plan, first use) on stderr.
 * usage: bench_first_answer MODEL [cuda|cpu|auto (cuda)] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hexgpu.h"
#include "base/timer.h"
#include "runtime/backend.h"

/* s with '"' and '\' escaped into out (JSON string contents). */
static const char *json_text(const char *s, char *out, size_t len) {
    size_t at = 0;
    for (; *s && at + 2 < len; s++) {
        if (*s == '"' || *s == '\\') out[at++] = '\\';
        out[at++] = *s;
    }
    out[at] = '\0';
    return out;
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: bench_first_answer MODEL [cuda|cpu|auto]\n");
        return 2;
    }
    hexgpu_engine_options o;
    hexgpu_engine_options_default(&o);
    const char *backend = argc > 2 ? argv[2] : "cuda";
    if (!hexgpu_backend_kind_parse(backend, &o.backend)) {
        fprintf(stderr, "error: backend must be cuda, cpu or auto, got '%s'\n", backend);
        return 2;
    }
    const char *verbose = getenv("HEXGPU_CUDA_VERBOSE");
    if (verbose && strcmp(verbose, "1") == 0) o.log_level = HEXGPU_LOG_INFO;
    hexgpu_error err = {0};
    hexgpu_engine *engine = NULL;
    int64_t t0 = hexgpu_timer_now_ns();
    hexgpu_status st = hexgpu_engine_open(argv[1], &o, &engine, &err);
    int64_t t1 = hexgpu_timer_now_ns();
    if (st != HEXGPU_OK) {
        fprintf(stderr, "error: %s\n", err.message);
        return 1;
    }
    int n = hexgpu_engine_board_size(engine);
    hexgpu_position pos;
    hexgpu_position_init(&pos, n);
    float value, *policy = malloc((size_t)n * (size_t)n * sizeof(float));
    st = policy ? hexgpu_engine_evaluate(engine, &pos, 1, &value, policy, NULL, &err) : HEXGPU_ERR_OUT_OF_MEMORY;
    int64_t t2 = hexgpu_timer_now_ns();
    if (st == HEXGPU_OK) {
        pos.blue[0] = 1, pos.to_move = HEXGPU_RED; /* another position: the cache (off by default) answers nothing */
        st = hexgpu_engine_evaluate(engine, &pos, 1, &value, policy, NULL, &err);
    }
    int64_t t3 = hexgpu_timer_now_ns();
    if (st == HEXGPU_OK) {
        char choice[1024];
        printf("{\"bench\":\"first_answer\",\"backend\":\"%s\",\"choice\":\"%s\",\"open_ms\":%.1f,"
               "\"first_evaluate_ms\":%.1f,\"first_answer_ms\":%.1f,\"second_evaluate_ms\":%.2f,\"target_ms\":1500}\n",
               hexgpu_engine_backend_name(engine),
               json_text(hexgpu_engine_backend_choice(engine), choice, sizeof choice), (double)(t1 - t0) * 1e-6,
               (double)(t2 - t1) * 1e-6, (double)(t2 - t0) * 1e-6, (double)(t3 - t2) * 1e-6);
    } else {
        fprintf(stderr, "error: %s\n", st == HEXGPU_ERR_OUT_OF_MEMORY && !policy ? "out of memory" : err.message);
    }
    free(policy);
    hexgpu_engine_close(engine);
    return st == HEXGPU_OK ? 0 : 1;
}
