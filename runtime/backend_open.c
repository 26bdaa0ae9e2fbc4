/* Choosing a backend and creating its contexts (and, for one-shot callers, a slot): the
 * one place where select, create and slot_create are called in sequence, so the engine,
 * `hexgpu bench` and `hexgpu check` clean up and name failures the same way. */
#include <stdio.h>
#include <string.h>

#include "base/status.h"
#include "base/timer.h"
#include "runtime/backend.h"

hexgpu_status hexgpu_backend_contexts_create(hexgpu_backend_kind kind, const int *devices, int device_count,
                                             const hexgpu_backend_config *config, const hexgpu_network *net,
                                             hexgpu_backend_contexts *out, hexgpu_error *err) {
    memset(out, 0, sizeof *out);
    int first = device_count > 0 ? devices[0] : config->device;
    hexgpu_status st =
        hexgpu_backend_select(kind, first < 0 ? 0 : first, &out->ops, out->chosen, sizeof out->chosen, err);
    if (st != HEXGPU_OK) return st;
    if (device_count == HEXGPU_DEVICES_ALL) {
        int n = out->ops->device_count ? out->ops->device_count() : 1;
        out->count = n < 1 ? 1 : n > HEXGPU_MAX_DEVICES ? HEXGPU_MAX_DEVICES : n;
        for (int i = 0; i < out->count; i++) out->devices[i] = i;
    } else if (device_count > 0 && device_count <= HEXGPU_MAX_DEVICES) {
        out->count = device_count;
        memcpy(out->devices, devices, (size_t)device_count * sizeof *devices);
    } else if (device_count == 0) {
        out->count = 1;
        out->devices[0] = config->device;
    } else {
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "backend: %d devices, outside 1..%d", device_count,
                                HEXGPU_MAX_DEVICES);
    }
    out->max_batch = config->max_batch > 0 ? config->max_batch : out->ops->default_max_batch;
    if (out->max_batch < 1) out->max_batch = 64; /* a table that states no default */
    int64_t start = hexgpu_timer_now_ns();
    for (int i = 0; i < out->count && st == HEXGPU_OK; i++) {
        hexgpu_backend_config one = *config;
        one.device = out->devices[i];
        one.max_batch = out->max_batch;
        st = out->ops->create(net, &one, &out->ctxs[i], err);
        if (st != HEXGPU_OK && out->count > 1) hexgpu_error_prefix(err, st, "device %d", out->devices[i]);
    }
    out->create_ms = (double)(hexgpu_timer_now_ns() - start) * 1e-6;
    if (st != HEXGPU_OK) {
        hexgpu_backend_contexts_destroy(out);
        return hexgpu_error_prefix(err, st, "backend %s", out->ops->name);
    }
    return HEXGPU_OK;
}

void hexgpu_backend_contexts_destroy(hexgpu_backend_contexts *c) {
    for (int i = 0; i < c->count; i++)
        if (c->ctxs[i]) c->ops->destroy(c->ctxs[i]);
    memset(c->ctxs, 0, sizeof c->ctxs);
}

hexgpu_status hexgpu_backend_session_open(hexgpu_backend_kind kind, const hexgpu_backend_config *config,
                                          const hexgpu_network *net, hexgpu_backend_session *out, hexgpu_error *err) {
    memset(out, 0, sizeof *out);
    hexgpu_status st = hexgpu_backend_contexts_create(kind, &config->device, 1, config, net, &out->contexts, err);
    if (st != HEXGPU_OK) return st;
    out->ops = out->contexts.ops;
    out->ctx = out->contexts.ctxs[0];
    st = out->ops->slot_create(out->ctx, &out->slot, err);
    if (st != HEXGPU_OK) {
        hexgpu_backend_session_close(out);
        return hexgpu_error_prefix(err, st, "backend %s", out->contexts.ops->name);
    }
    hexgpu_backend_device_name(out->ops, config->device, config->threads, out->device, sizeof out->device);
    return HEXGPU_OK;
}

void hexgpu_backend_session_close(hexgpu_backend_session *s) {
    if (s->slot) s->ops->slot_destroy(s->slot);
    hexgpu_backend_contexts_destroy(&s->contexts);
    memset(s, 0, sizeof *s);
}
