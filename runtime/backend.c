/* Backend dispatch: the static table of built-in backends and the AUTO choice; host slot buffers. */
#include "runtime/backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/status.h"

hexgpu_status hexgpu_backend_select(hexgpu_backend_kind kind, int device, const hexgpu_backend_ops **ops,
                                    char *chosen, size_t chosen_len, hexgpu_error *err) {
    char why[256] = "this build has no CUDA backend (configured without the CUDA toolkit)";
    *ops = NULL;
    if (kind == HEXGPU_BACKEND_CPU) {
        *ops = &hexgpu_backend_cpu;
        if (chosen) snprintf(chosen, chosen_len, "backend cpu (asked for)");
        return HEXGPU_OK;
    }
    if (kind != HEXGPU_BACKEND_AUTO && kind != HEXGPU_BACKEND_CUDA)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "unknown backend kind %d", (int)kind);
#ifdef HEXGPU_HAVE_CUDA
    if (hexgpu_backend_cuda.available(device, why, sizeof why)) {
        *ops = &hexgpu_backend_cuda;
        if (chosen) snprintf(chosen, chosen_len, "backend cuda (device %d)", device);
        return HEXGPU_OK;
    }
#else
    (void)device;
#endif
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

hexgpu_slot_timing_fn hexgpu_backend_slot_timing(const hexgpu_backend_ops *ops) {
    return ops && ops->abi_version >= 2 ? ops->slot_timing : NULL;
}

void hexgpu_backend_counters_read(const hexgpu_backend_ops *ops, void *ctx, hexgpu_backend_counters *out) {
    *out = (hexgpu_backend_counters){0};
    if (ops && ops->abi_version >= 3 && ops->counters && ctx) ops->counters(ctx, out);
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
