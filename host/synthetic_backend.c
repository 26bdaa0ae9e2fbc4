/* The synthetic backend (see synthetic_backend.h): same slot contract as the real ones,
 * so the scheduler, cache and fault handling are tested without a network. */
#include "host/synthetic_backend.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/timer.h"
#include "engine_impl.h"
#include "base/rng.h"
#include "base/status.h"

typedef struct synthetic_ctx {
    hexgpu_synthetic_config config;
    int max_batch;
    pthread_mutex_t lock; /* batches and failed_* */
    int64_t batches;
    uint64_t *failed_hashes; /* [max_batch] */
    size_t failed_count;
} synthetic_ctx;

typedef struct synthetic_slot {
    synthetic_ctx *ctx;
    hexgpu_slot_buffers buf;
    int batch, want_logits;
    int64_t index; /* of the launched batch on the context, 1-based */
    int64_t wait_start, wait_end; /* of the last batch waited on; 0 when none since launch */
} synthetic_slot;

void hexgpu_synthetic_outputs(const hexgpu_position *pos, float *value, float *policy, float *logits) {
    uint64_t h = hexgpu_position_hash(pos);
    int cells = pos->size * pos->size;
    if (value) *value = (float)((double)(h >> 11) * 0x1.0p-53 * 2.0 - 1.0) * 0.999f;
    float l[HEXGPU_MAX_CELLS];
    float top = -INFINITY;
    uint64_t state = h | 1; /* xorshift64* seeded by the hash; it never leaves 0 */
    for (int c = 0; c < cells; c++) {
        l[c] = (float)(hexgpu_xorshift64star_next(&state) >> 40) * 0x1.0p-24f * 4.0f - 2.0f;
        if (hexgpu_position_at(pos, c) == HEXGPU_NONE && l[c] > top) top = l[c];
    }
    if (logits) memcpy(logits, l, (size_t)cells * sizeof(float));
    if (!policy) return;
    double sum = 0.0;
    for (int c = 0; c < cells; c++) {
        policy[c] = hexgpu_position_at(pos, c) == HEXGPU_NONE ? expf(l[c] - top) : 0.0f;
        sum += policy[c];
    }
    for (int c = 0; c < cells && sum > 0.0; c++) policy[c] = (float)(policy[c] / sum);
}

hexgpu_status hexgpu_synthetic_create(const hexgpu_synthetic_config *config, int max_batch, void **out,
                                      hexgpu_error *err) {
    *out = NULL;
    if (max_batch < 1 || config->board_size < HEXGPU_MIN_SIZE || config->board_size > HEXGPU_MAX_SIZE)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "synthetic backend: max_batch %d, board size %d",
                                max_batch, config->board_size);
    synthetic_ctx *c = calloc(1, sizeof *c);
    if (c) c->failed_hashes = calloc((size_t)max_batch, sizeof *c->failed_hashes);
    if (!c || !c->failed_hashes) {
        if (c) free(c);
        return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "synthetic backend: out of memory");
    }
    c->config = *config;
    c->max_batch = max_batch;
    pthread_mutex_init(&c->lock, NULL);
    *out = c;
    return HEXGPU_OK;
}

static int synthetic_available(int device, char *why, size_t why_len) {
    (void)device, (void)why, (void)why_len;
    return 1;
}

static hexgpu_status synthetic_create_from_network(const hexgpu_network *net, const hexgpu_backend_config *config,
                                                   void **ctx, hexgpu_error *err) {
    hexgpu_synthetic_config sc = {.board_size = net->board_size};
    return hexgpu_synthetic_create(&sc, config->max_batch, ctx, err);
}

static void synthetic_destroy(void *ctx) {
    synthetic_ctx *c = ctx;
    pthread_mutex_destroy(&c->lock);
    free(c->failed_hashes);
    free(c);
}

static hexgpu_precision synthetic_precision(void *ctx) {
    (void)ctx;
    return HEXGPU_PRECISION_FP32;
}

static void synthetic_slot_destroy(void *slot) {
    synthetic_slot *s = slot;
    if (!s) return;
    hexgpu_slot_buffers_free(&s->buf);
    free(s);
}

static hexgpu_status synthetic_slot_create(void *ctx, void **out, hexgpu_error *err) {
    synthetic_ctx *c = ctx;
    synthetic_slot *s = calloc(1, sizeof *s);
    if (!s) return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "synthetic backend: out of memory for a slot");
    s->ctx = c;
    hexgpu_status st = hexgpu_slot_buffers_alloc(&s->buf, c->max_batch, c->config.board_size * c->config.board_size, err);
    if (st != HEXGPU_OK) {
        free(s);
        return hexgpu_error_prefix(err, st, "synthetic backend");
    }
    *out = s;
    return HEXGPU_OK;
}

static hexgpu_slot_buffers synthetic_slot_buffers(void *slot) { return ((synthetic_slot *)slot)->buf; }

static hexgpu_status synthetic_slot_launch(void *slot, int batch, int want_logits, hexgpu_error *err) {
    synthetic_slot *s = slot;
    if (batch < 1 || batch > s->ctx->max_batch)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "synthetic backend: batch %d outside 1..%d", batch,
                                s->ctx->max_batch);
    s->batch = batch;
    s->want_logits = want_logits;
    s->wait_end = 0;
    pthread_mutex_lock(&s->ctx->lock);
    s->index = ++s->ctx->batches;
    pthread_mutex_unlock(&s->ctx->lock);
    return HEXGPU_OK;
}

static hexgpu_status synthetic_slot_wait(void *slot, hexgpu_error *err) {
    synthetic_slot *s = slot;
    synthetic_ctx *c = s->ctx;
    int64_t start = hexgpu_timer_now_ns();
    size_t cells = (size_t)c->config.board_size * (size_t)c->config.board_size;
    if (s->index == c->config.fail_batch) {
        pthread_mutex_lock(&c->lock);
        for (int i = 0; i < s->batch; i++) c->failed_hashes[i] = hexgpu_position_hash(&s->buf.input[i]);
        c->failed_count = (size_t)s->batch;
        pthread_mutex_unlock(&c->lock);
        return hexgpu_error_set(err, HEXGPU_ERR_CUDA, "synthetic failure of batch %lld (as configured)",
                                (long long)s->index);
    }
    if (!c->config.no_work)
        for (int i = 0; i < s->batch; i++)
            hexgpu_synthetic_outputs(&s->buf.input[i], &s->buf.value[i], s->buf.policy + (size_t)i * cells,
                                     s->want_logits ? s->buf.logits + (size_t)i * cells : NULL);
    if (c->config.delay_ns > 0) {
        int64_t left = c->config.delay_ns - (hexgpu_timer_now_ns() - start);
        if (left > 0) hexgpu_timer_sleep_ns(left);
    }
    s->wait_start = start;
    s->wait_end = hexgpu_timer_now_ns();
    return HEXGPU_OK;
}

/* Fake phases for the timeline: the wait's span, its first quarter h2d, the middle half
 * compute, the last quarter d2h (as if the delay were a device's work). */
static hexgpu_status synthetic_slot_timing(void *slot, hexgpu_slot_timing *out, hexgpu_error *err) {
    const synthetic_slot *s = slot;
    if (s->wait_end == 0)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "synthetic backend: slot_timing without a batch waited on");
    int64_t a = s->wait_start, span = s->wait_end - s->wait_start;
    *out = (hexgpu_slot_timing){.h2d_start = a, .h2d_end = a + span / 4, .compute_start = a + span / 4,
                                .compute_end = a + span - span / 4, .d2h_start = a + span - span / 4,
                                .d2h_end = a + span};
    return HEXGPU_OK;
}

int64_t hexgpu_synthetic_batches(void *ctx) {
    synthetic_ctx *c = ctx;
    pthread_mutex_lock(&c->lock);
    int64_t n = c->batches;
    pthread_mutex_unlock(&c->lock);
    return n;
}

size_t hexgpu_synthetic_failed(void *ctx, uint64_t *hashes, size_t max) {
    synthetic_ctx *c = ctx;
    pthread_mutex_lock(&c->lock);
    size_t n = c->failed_count < max ? c->failed_count : max;
    memcpy(hashes, c->failed_hashes, n * sizeof *hashes);
    size_t all = c->failed_count;
    pthread_mutex_unlock(&c->lock);
    return all;
}

static int synthetic_device_count(void) { return 1; }

const hexgpu_backend_ops hexgpu_backend_synthetic = {
    .abi_version = HEXGPU_BACKEND_ABI_VERSION,
    .name = "synthetic",
    .default_max_batch = 64,
    .available = synthetic_available,
    .device_count = synthetic_device_count,
    .create = synthetic_create_from_network,
    .destroy = synthetic_destroy,
    .precision = synthetic_precision,
    .slot_create = synthetic_slot_create,
    .slot_destroy = synthetic_slot_destroy,
    .slot_buffers = synthetic_slot_buffers,
    .slot_launch = synthetic_slot_launch,
    .slot_wait = synthetic_slot_wait,
    .slot_timing = synthetic_slot_timing,
};

hexgpu_status hexgpu_engine_open_synthetic(const hexgpu_synthetic_config *config, const hexgpu_engine_options *options,
                                           const char *choice, hexgpu_engine **engine, void **ctx_out,
                                           hexgpu_error *err) {
    *engine = NULL;
    hexgpu_engine_options resolved;
    void *ctx = NULL;
    hexgpu_status st = hexgpu_engine_options_resolve(options, &hexgpu_backend_synthetic, &resolved, err);
    if (st == HEXGPU_OK) st = hexgpu_synthetic_create(config, resolved.max_batch, &ctx, err);
    if (st == HEXGPU_OK)
        st = hexgpu_engine_open_backend(&hexgpu_backend_synthetic, ctx, config->board_size, &resolved, choice, NULL,
                                        NULL, engine, err);
    if (ctx_out) *ctx_out = st == HEXGPU_OK ? ctx : NULL;
    return st;
}
