/* The CPU backend: fp32 reference implementation of the backend interface, always built
 * and the default where no GPU is present. Synchronous; a batch is split over all cores. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/timer.h"
#include "runtime/backend.h"
#include "kernels/cpu/cpu_conv_kernel.h"
#include "runtime/cpu/cpu_network.h"
#include "base/status.h"

typedef struct cpu_context {
    hexgpu_cpu_network net;
    int max_batch;
    int threads; /* a batch is split over this many threads */
} cpu_context;

typedef struct cpu_slot {
    const cpu_context *ctx;
    hexgpu_cpu_workspace ws;
    hexgpu_slot_buffers buf;
    int64_t compute_start, compute_end; /* of the last batch run; 0 when none since launch */
} cpu_slot;

static int cpu_available(int device, char *why, size_t why_len) {
    (void)device;
    if (why && why_len) why[0] = '\0';
    return 1;
}

static int cpu_device_count(void) { return 1; }

/* The model name of the first processor in /proc/cpuinfo and the processors counted. */
static int cpu_device_name(int device, int threads, char *name, size_t len) {
    (void)device;
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
    snprintf(name, len, "%s, %d cores, %s kernels, %d threads", model, cores, hexgpu_cpu_conv_isa(),
             threads > 0 ? threads : cores);
    return 1;
}

static hexgpu_status cpu_create(const hexgpu_network *net, const hexgpu_backend_config *config, void **ctx,
                                hexgpu_error *err) {
    *ctx = NULL;
    if (config->max_batch < 1)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "cpu backend: max_batch %d (must be >= 1)",
                                config->max_batch);
    if (config->threads < 0)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "cpu backend: threads %d (must be >= 0)",
                                config->threads);
    cpu_context *c = calloc(1, sizeof *c);
    if (!c) return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "cpu backend: out of memory");
    hexgpu_status st = hexgpu_cpu_network_create(net, &c->net, err);
    if (st) {
        free(c);
        return st;
    }
    c->max_batch = config->max_batch;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    c->threads = config->threads > 0 ? config->threads : cores > 0 ? (int)cores : 1;
    *ctx = c;
    return HEXGPU_OK;
}

static void cpu_destroy(void *ctx) {
    cpu_context *c = ctx;
    if (!c) return;
    hexgpu_cpu_network_destroy(&c->net);
    free(c);
}

/* FP16 or AUTO asked for: the CPU backend always computes in fp32. */
static hexgpu_precision cpu_precision(void *ctx) {
    (void)ctx;
    return HEXGPU_PRECISION_FP32;
}

static void cpu_slot_destroy(void *slot) {
    cpu_slot *s = slot;
    if (!s) return;
    hexgpu_cpu_workspace_destroy(&s->ws);
    hexgpu_slot_buffers_free(&s->buf);
    free(s);
}

static hexgpu_status cpu_slot_create(void *ctx, void **slot, hexgpu_error *err) {
    const cpu_context *c = ctx;
    *slot = NULL;
    cpu_slot *s = calloc(1, sizeof *s);
    if (!s) return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "cpu backend: out of memory for a slot");
    s->ctx = c;
    hexgpu_status st = hexgpu_slot_buffers_alloc(&s->buf, c->max_batch, c->net.board_size * c->net.board_size, err);
    if (st) {
        free(s);
        return hexgpu_error_prefix(err, st, "cpu backend");
    }
    st = hexgpu_cpu_workspace_create(&c->net, c->max_batch, c->threads, &s->ws, err);
    if (st) {
        cpu_slot_destroy(s);
        return st;
    }
    *slot = s;
    return HEXGPU_OK;
}

static hexgpu_slot_buffers cpu_slot_buffers(void *slot) { return ((cpu_slot *)slot)->buf; }

/* Runs the whole batch before returning; want_logits is moot since logits are needed
 * for the softmax and already sit in host memory. */
static hexgpu_status cpu_slot_launch(void *slot, int batch, int want_logits, hexgpu_error *err) {
    (void)want_logits;
    cpu_slot *s = slot;
    const cpu_context *c = s->ctx;
    if (batch < 1 || batch > c->max_batch)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "cpu backend: batch %d outside 1..%d", batch,
                                c->max_batch);
    for (int b = 0; b < batch; b++)
        if (s->buf.input[b].size != c->net.board_size)
            return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT,
                                    "cpu backend: position %d of the batch is %dx%d, the network plays %dx%d", b,
                                    s->buf.input[b].size, s->buf.input[b].size, c->net.board_size,
                                    c->net.board_size);
    s->compute_end = 0;
    s->compute_start = hexgpu_timer_now_ns();
    hexgpu_cpu_network_forward(&c->net, &s->ws, s->buf.input, batch, s->buf.logits, s->buf.policy, s->buf.value);
    s->compute_end = hexgpu_timer_now_ns();
    return HEXGPU_OK;
}

static hexgpu_status cpu_slot_wait(void *slot, hexgpu_error *err) {
    (void)slot, (void)err;
    return HEXGPU_OK;
}

/* Host memory only: no copies, so h2d and d2h are empty phases at the edges of compute. */
static hexgpu_status cpu_slot_timing(void *slot, hexgpu_slot_timing *out, hexgpu_error *err) {
    const cpu_slot *s = slot;
    if (s->compute_end == 0)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "cpu backend: slot_timing without a batch run");
    *out = (hexgpu_slot_timing){.h2d_start = s->compute_start, .h2d_end = s->compute_start,
                                .compute_start = s->compute_start, .compute_end = s->compute_end,
                                .d2h_start = s->compute_end, .d2h_end = s->compute_end};
    return HEXGPU_OK;
}

const hexgpu_backend_ops hexgpu_backend_cpu = {
    .abi_version = HEXGPU_BACKEND_ABI_VERSION,
    .name = "cpu",
    .default_max_batch = 64,
    .available = cpu_available,
    .device_count = cpu_device_count,
    .create = cpu_create,
    .destroy = cpu_destroy,
    .precision = cpu_precision,
    .slot_create = cpu_slot_create,
    .slot_destroy = cpu_slot_destroy,
    .slot_buffers = cpu_slot_buffers,
    .slot_launch = cpu_slot_launch,
    .slot_wait = cpu_slot_wait,
    .slot_timing = cpu_slot_timing,
    .device_name = cpu_device_name,
};
