/* Backend dispatch: the CPU backend or the CUDA module (backend_module.c) and the AUTO
 * choice; the optional entries defaulted; host slot buffers and the check that a batch's
 * outputs are finite. Creating contexts and sessions: backend_open.c. */
#include "runtime/backend.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/status.h"

hexgpu_status hexgpu_backend_select(hexgpu_backend_kind kind, int device, const hexgpu_backend_ops **ops,
                                    char *chosen, size_t chosen_len, hexgpu_error *err) {
    char why[448];
    *ops = NULL;
    if (kind == HEXGPU_BACKEND_CPU) {
        *ops = &hexgpu_backend_cpu;
        if (chosen) snprintf(chosen, chosen_len, "backend cpu (asked for)");
        return HEXGPU_OK;
    }
    if (kind != HEXGPU_BACKEND_AUTO && kind != HEXGPU_BACKEND_CUDA)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "unknown backend kind %d", (int)kind);
    /* The module is loaded here, not before: commands that never ask for a backend
     * (show, --help, --version) load no CUDA library at all. */
    const hexgpu_backend_ops *cuda = hexgpu_backend_cuda_module(why, sizeof why);
    if (cuda && cuda->available(device, why, sizeof why)) {
        *ops = cuda;
        const char *libraries = hexgpu_backend_cuda_module_libraries();
        if (chosen)
            snprintf(chosen, chosen_len, "backend cuda (device %d%s%s)", device, libraries[0] ? "; " : "", libraries);
        return HEXGPU_OK;
    }
    if (kind == HEXGPU_BACKEND_CUDA)
        return hexgpu_error_set(err, HEXGPU_ERR_NO_DEVICE, "--backend cuda: %s", why);
    *ops = &hexgpu_backend_cpu;
    if (chosen) snprintf(chosen, chosen_len, "backend cpu (no usable GPU: %s)", why);
    return HEXGPU_OK;
}

hexgpu_status hexgpu_backend_evaluate(const hexgpu_backend_ops *ops, void *slot, int max_batch, int board_size,
                                      const hexgpu_position *positions, size_t count, float *policy,
                                      float *logits, float *value, hexgpu_error *err) {
    hexgpu_slot_buffers buf = ops->slot_buffers(slot);
    size_t cells = (size_t)board_size * (size_t)board_size;
    for (size_t done = 0; done < count;) {
        int batch = (int)(count - done < (size_t)max_batch ? count - done : (size_t)max_batch);
        memcpy(buf.input, positions + done, (size_t)batch * sizeof *positions);
        hexgpu_status st = ops->slot_launch(slot, batch, logits != NULL, err);
        if (st == HEXGPU_OK) st = ops->slot_wait(slot, err);
        if (st != HEXGPU_OK) return st;
        if (policy) memcpy(policy + done * cells, buf.policy, (size_t)batch * cells * sizeof(float));
        if (logits) memcpy(logits + done * cells, buf.logits, (size_t)batch * cells * sizeof(float));
        if (value) memcpy(value + done, buf.value, (size_t)batch * sizeof(float));
        done += (size_t)batch;
    }
    return HEXGPU_OK;
}

/* Index of the first inf or nan in v[0..n), or n. The exponent test on the bits is an
 * integer OR-reduction the compiler vectorises; only a hit is searched for again. */
static size_t first_non_finite(const float *v, size_t n) {
    uint32_t any = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, &v[i], sizeof bits);
        any |= (uint32_t)((bits & 0x7f800000u) == 0x7f800000u);
    }
    if (!any) return n;
    for (size_t i = 0;; i++)
        if (!isfinite(v[i])) return i;
}

hexgpu_status hexgpu_slot_outputs_check(const hexgpu_slot_buffers *buf, int batch, int cells, int with_logits,
                                        hexgpu_error *err) {
    const size_t n = (size_t)batch, c = (size_t)cells;
    const struct {
        const char *name;
        const float *v;
        size_t per_position;
    } outputs[] = {{"policy logit", buf->logits, c}, {"value", buf->value, 1}, {"policy", buf->policy, c}};
    for (int o = with_logits ? 0 : 1; o < 3; o++) { /* the logits first: an inf there is the cause */
        size_t at = first_non_finite(outputs[o].v, n * outputs[o].per_position);
        if (at == n * outputs[o].per_position) continue;
        float bad = outputs[o].v[at];
        const char *shown = isnan(bad) ? "nan" : bad > 0 ? "inf" : "-inf";
        if (outputs[o].per_position == 1)
            return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT,
                                    "non-finite output: %s of position %zu of the batch is %s (weights too large?)",
                                    outputs[o].name, at, shown);
        return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT,
                                "non-finite output: %s of position %zu of the batch, cell %zu, is %s (weights too "
                                "large?)",
                                outputs[o].name, at / c, at % c, shown);
    }
    return HEXGPU_OK;
}

int hexgpu_backend_kind_parse(const char *name, hexgpu_backend_kind *out) {
    static const char *const names[HEXGPU_BACKEND_KIND_COUNT] = {
        [HEXGPU_BACKEND_AUTO] = "auto", [HEXGPU_BACKEND_CPU] = "cpu", [HEXGPU_BACKEND_CUDA] = "cuda"};
    for (int k = 0; k < HEXGPU_BACKEND_KIND_COUNT; k++)
        if (name && strcmp(name, names[k]) == 0) {
            *out = (hexgpu_backend_kind)k;
            return 1;
        }
    return 0;
}

hexgpu_backend_kind hexgpu_backend_kind_of(const hexgpu_backend_ops *ops) {
    char why[8];
    if (ops == &hexgpu_backend_cpu) return HEXGPU_BACKEND_CPU;
    if (ops && ops == hexgpu_backend_cuda_module(why, sizeof why)) return HEXGPU_BACKEND_CUDA;
    return HEXGPU_BACKEND_AUTO;
}

hexgpu_slot_timing_fn hexgpu_backend_slot_timing(const hexgpu_backend_ops *ops) {
    return ops ? ops->slot_timing : NULL;
}

void hexgpu_backend_counters_read(const hexgpu_backend_ops *ops, void *ctx, hexgpu_backend_counters *out) {
    *out = (hexgpu_backend_counters){0};
    if (ops && ops->counters && ctx) ops->counters(ctx, out);
}

void hexgpu_backend_device_name(const hexgpu_backend_ops *ops, int device, int threads, char *name, size_t len) {
    if (len == 0) return;
    if (!ops || !ops->device_name || !ops->device_name(device, threads, name, len)) snprintf(name, len, "unknown");
}

hexgpu_status hexgpu_slot_buffers_alloc(hexgpu_slot_buffers *buf, int max_batch, int cells, hexgpu_error *err) {
    size_t n = (size_t)max_batch;
    buf->input = calloc(n, sizeof *buf->input);
    buf->policy = calloc(n * (size_t)cells, sizeof(float));
    buf->logits = calloc(n * (size_t)cells, sizeof(float));
    buf->value = calloc(n, sizeof(float));
    if (buf->input && buf->policy && buf->logits && buf->value) return HEXGPU_OK;
    hexgpu_slot_buffers_free(buf);
    return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "out of memory for a slot of batch %d", max_batch);
}

void hexgpu_slot_buffers_free(hexgpu_slot_buffers *buf) {
    free(buf->input), free(buf->policy), free(buf->logits), free(buf->value);
    *buf = (hexgpu_slot_buffers){0};
}
