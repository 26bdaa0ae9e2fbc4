/* The request path: submit (validate, cache lookup, enqueue), the slot workers (take a
 * batch as soon as the slot is free, launch, wait, distribute, complete) and the
 * synchronous evaluate built on them. NVTX ranges mark each stage. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine_impl.h"
#include "queue_impl.h"
#include "base/timer.h"
#include "base/trace.h"
#include "base/status.h"

/* Requests are copied in chunks through stack buffers so that submit takes the engine
 * lock once per chunk, not once per request. */
#define SUBMIT_CHUNK 256

static hexgpu_status check_request(const hexgpu_engine *e, const hexgpu_position *pos, int wants_logits, size_t index,
                                   hexgpu_error *err) {
    hexgpu_status st = hexgpu_position_validate(pos, err);
    if (st != HEXGPU_OK) return hexgpu_error_prefix(err, st, "request %zu", index);
    if (pos->size != e->board_size)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_POSITION, "request %zu: a %dx%d position for a %dx%d model", index,
                                pos->size, pos->size, e->board_size, e->board_size);
    if (wants_logits && !e->options.want_logits)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT,
                                "request %zu asks for logits but the engine was opened with want_logits = 0", index);
    return HEXGPU_OK;
}

/* Makes room for n more pending requests and promises it to the caller. Called with
 * the engine lock held. */
static hexgpu_status ring_reserve(hexgpu_engine *e, size_t n, hexgpu_error *err) {
    size_t need = e->pending.count + e->ring_reserved + n;
    if (hexgpu_ring_reserve(&e->pending, need) != 0)
        return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "engine: request queue of %zu entries: out of memory (%zu bytes)",
                                need, need * sizeof(hexgpu_pending));
    e->ring_reserved += n;
    return HEXGPU_OK;
}

/* Pushes done[0..n) to their queues, one lock per run of requests of the same queue. */
static void complete_runs(const hexgpu_pending *items, const hexgpu_completion *done, size_t n,
                          const hexgpu_error *failure) {
    HEXGPU_TRACE_RANGE("complete") {
        for (size_t start = 0; start < n;) {
            size_t end = start + 1;
            while (end < n && items[end].queue == items[start].queue) end++;
            hexgpu_queue_push(items[start].queue, done + start, end - start, failure);
            start = end;
        }
    }
}

hexgpu_status hexgpu_engine_submit(hexgpu_engine *e, hexgpu_queue *q, const hexgpu_request *requests, size_t count,
                                   hexgpu_error *err) {
    if (!e || !q || (!requests && count > 0))
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "hexgpu_engine_submit: NULL engine, queue or requests");
    if (count == 0) return HEXGPU_OK;
    hexgpu_trace_push("enqueue");
    hexgpu_status st = HEXGPU_OK;
    for (size_t i = 0; i < count && st == HEXGPU_OK; i++)
        st = check_request(e, &requests[i].position, requests[i].logits != NULL, i, err);
    if (st == HEXGPU_OK) st = hexgpu_queue_reserve(q, count, err);
    if (st == HEXGPU_OK) {
        pthread_mutex_lock(&e->lock);
        st = ring_reserve(e, count, err);
        pthread_mutex_unlock(&e->lock);
        if (st != HEXGPU_OK) hexgpu_queue_unreserve(q, count);
    }
    if (st != HEXGPU_OK) {
        hexgpu_trace_pop();
        return st;
    }
    hexgpu_stats_add_requests(&e->stats, count);
    hexgpu_pending chunk[SUBMIT_CHUNK];
    hexgpu_completion hits[SUBMIT_CHUNK];
    for (size_t base = 0; base < count; base += SUBMIT_CHUNK) {
        size_t len = count - base < SUBMIT_CHUNK ? count - base : SUBMIT_CHUNK;
        size_t misses = 0, nhits = 0;
        int64_t now = hexgpu_timer_now_ns();
        for (size_t i = 0; i < len; i++) {
            const hexgpu_request *r = &requests[base + i];
            uint64_t hash = 0;
            if (e->cache) {
                hash = hexgpu_position_hash(&r->position);
                int hit;
                HEXGPU_TRACE_RANGE("cache lookup") {
                    hit = hexgpu_cache_lookup(e->cache, &r->position, hash, r->value, r->policy, r->logits);
                }
                if (hit) {
                    hits[nhits++] = (hexgpu_completion){.tag = r->tag, .status = HEXGPU_OK, .cached = 1};
                    continue;
                }
            }
            chunk[misses++] = (hexgpu_pending){.pos = r->position, .value = r->value, .policy = r->policy,
                                               .logits = r->logits, .tag = r->tag, .queue = q, .hash = hash,
                                               .enqueue_ns = now};
        }
        /* A miss whose position is already queued or in a batch joins that evaluation. */
        size_t joined = 0;
        if (e->cache && misses > 0) {
            size_t kept = 0;
            pthread_mutex_lock(&e->inflight_lock);
            for (size_t i = 0; i < misses; i++) {
                int joined_or_led = hexgpu_inflight_join_or_lead(&e->inflight, &chunk[i]);
                if (joined_or_led == 1) {
                    joined++;
                    continue;
                }
                chunk[i].leader = joined_or_led == 0; /* -1 (no memory): an ordinary request */
                chunk[kept++] = chunk[i];
            }
            pthread_mutex_unlock(&e->inflight_lock);
            misses = kept;
            if (joined) hexgpu_stats_add_coalesced(&e->stats, joined);
        }
        pthread_mutex_lock(&e->lock);
        hexgpu_ring_push(&e->pending, chunk, misses);
        e->ring_reserved -= len;
        /* One free worker takes up to max_batch; wake more when there is more. */
        if (misses > (size_t)e->options.max_batch) pthread_cond_broadcast(&e->work);
        else if (misses > 0) pthread_cond_signal(&e->work);
        pthread_mutex_unlock(&e->lock);
        if (nhits) {
            hexgpu_stats_add_outcomes(&e->stats, nhits, 0);
            hexgpu_queue_push(q, hits, nhits, NULL);
        }
    }
    hexgpu_trace_pop();
    return HEXGPU_OK;
}

/* Takes the followers of items[0..n) out of the in-flight table (their leaders are
 * done), as one list, oldest first per leader, each with its leader's index in items.
 * NULL without the cache (nothing joins). */
static hexgpu_follower *take_followers(hexgpu_engine *e, const hexgpu_pending *items, size_t n) {
    if (!e->cache) return NULL;
    hexgpu_follower *all = NULL, **tail = &all;
    pthread_mutex_lock(&e->inflight_lock);
    for (size_t i = 0; i < n; i++) {
        if (!items[i].leader) continue; /* another request of the same position may lead */
        *tail = hexgpu_inflight_finish(&e->inflight, &items[i].pos, items[i].hash);
        for (; *tail; tail = &(*tail)->next) (*tail)->leader_index = i;
    }
    pthread_mutex_unlock(&e->inflight_lock);
    return all;
}

/* Completes followers with their leader's status; frees the list. */
static void complete_followers(hexgpu_engine *e, hexgpu_follower *list, hexgpu_status status,
                               const hexgpu_error *failure) {
    uint64_t count = 0;
    for (hexgpu_follower *f = list; f; f = f->next) count++;
    /* Counted before completing, as the batch's own requests are. */
    if (count) hexgpu_stats_add_outcomes(&e->stats, status == HEXGPU_OK ? count : 0, status == HEXGPU_OK ? 0 : count);
    for (hexgpu_follower *f = list; f; f = f->next) {
        hexgpu_completion done = {.tag = f->request.tag, .status = status};
        hexgpu_queue_push(f->request.queue, &done, 1, status == HEXGPU_OK ? NULL : failure);
    }
    hexgpu_follower_free_all(list);
}

/* Runs one batch through the worker's slot and completes its requests. */
static void run_batch(hexgpu_worker *w, size_t n) {
    hexgpu_engine *e = w->engine;
    const hexgpu_backend_ops *ops = e->ops;
    hexgpu_slot_buffers buf = ops->slot_buffers(w->slot);
    size_t cells = (size_t)e->cells;
    int need_logits = 0;
    int64_t t0 = hexgpu_timer_now_ns();
    HEXGPU_TRACE_RANGE("batch assembly") {
        for (size_t i = 0; i < n; i++) {
            buf.input[i] = w->batch[i].pos;
            w->waits_ns[i] = t0 - w->batch[i].enqueue_ns;
            need_logits |= w->batch[i].logits != NULL;
        }
    }
    /* Logits are copied back only when someone asked, or the cache keeps them. */
    need_logits = e->options.want_logits && (need_logits || e->cache);
    hexgpu_stats_slot_begin(&e->stats, w->device, t0);
    hexgpu_error berr;
    hexgpu_error_clear(&berr);
    hexgpu_trace_push("launch (h2d)");
    hexgpu_status st = ops->slot_launch(w->slot, (int)n, need_logits, &berr);
    hexgpu_trace_pop();
    if (st == HEXGPU_OK) {
        hexgpu_trace_push("compute wait");
        st = ops->slot_wait(w->slot, &berr);
        hexgpu_trace_pop();
    }
    /* inf/nan outputs fail the batch here, before anyone (or the cache) sees them; the
     * model is to blame, so the message names it. */
    int non_finite = 0;
    if (st == HEXGPU_OK) {
        st = hexgpu_slot_outputs_check(&buf, (int)n, e->cells, need_logits, &berr);
        non_finite = st != HEXGPU_OK;
    }
    if (st == HEXGPU_OK && e->timeline) {
        /* A timing that cannot be read is left out of the timeline; the batch is fine. */
        hexgpu_timeline_entry entry = {.slot = (int)(w - e->workers), .batch = (int)n};
        if (e->slot_timing(w->slot, &entry.phases, NULL) == HEXGPU_OK) hexgpu_timeline_add(e->timeline, &entry);
    }
    if (st == HEXGPU_OK) {
        HEXGPU_TRACE_RANGE("distribute (d2h)") {
            for (size_t i = 0; i < n; i++) {
                const hexgpu_pending *p = &w->batch[i];
                const float *policy = buf.policy + i * cells;
                const float *logits = need_logits ? buf.logits + i * cells : NULL;
                if (p->value) *p->value = buf.value[i];
                if (p->policy) memcpy(p->policy, policy, cells * sizeof(float));
                if (p->logits) memcpy(p->logits, logits, cells * sizeof(float));
                if (e->cache) hexgpu_cache_insert(e->cache, &p->pos, p->hash, buf.value[i], policy, logits);
            }
        }
    }
    /* After the cache inserts: a request that misses the in-flight table from here on
     * finds the results in the cache (or, evicted meanwhile, is evaluated again). */
    hexgpu_follower *followers = take_followers(e, w->batch, n);
    if (st == HEXGPU_OK) {
        HEXGPU_TRACE_RANGE("distribute to coalesced") {
            for (hexgpu_follower *f = followers; f; f = f->next) {
                const hexgpu_pending *p = &f->request;
                size_t i = f->leader_index;
                if (p->value) *p->value = buf.value[i];
                if (p->policy) memcpy(p->policy, buf.policy + i * cells, cells * sizeof(float));
                /* a follower asks for logits only when the engine keeps them: need_logits */
                if (p->logits) memcpy(p->logits, buf.logits + i * cells, cells * sizeof(float));
            }
        }
    } else {
        if (berr.status == HEXGPU_OK) hexgpu_error_set(&berr, st, "backend %s failed without a message", ops->name);
        hexgpu_error_prefix(&berr, st, "batch of %zu on backend %s", n, ops->name);
        if (non_finite && e->model_path) hexgpu_error_prefix(&berr, st, "%s", e->model_path);
    }
    for (size_t i = 0; i < n; i++) w->done[i] = (hexgpu_completion){.tag = w->batch[i].tag, .status = st, .cached = 0};
    /* Counted before completing, so a caller who got its completion sees it counted. */
    int64_t t1 = hexgpu_timer_now_ns();
    hexgpu_stats_slot_end(&e->stats, w->device, t1, (int)n, st == HEXGPU_OK, t1 - t0, w->waits_ns);
    complete_runs(w->batch, w->done, n, st == HEXGPU_OK ? NULL : &berr);
    complete_followers(e, followers, st, &berr);
}

void *hexgpu_worker_main(void *arg) {
    hexgpu_worker *w = arg;
    hexgpu_engine *e = w->engine;
    size_t max = (size_t)e->options.max_batch;
    for (;;) {
        pthread_mutex_lock(&e->lock);
        while (e->pending.count == 0 && !e->closing) pthread_cond_wait(&e->work, &e->lock);
        if (e->pending.count > 0 && e->pending.count < max && e->options.fill_window_us > 0 && !e->closing) {
            struct timespec deadline = hexgpu_timer_deadline((int64_t)e->options.fill_window_us * 1000);
            while (e->pending.count < max && !e->closing)
                if (pthread_cond_timedwait(&e->work, &e->lock, &deadline) == ETIMEDOUT) break;
        }
        if (e->pending.count == 0) {
            int stop = e->closing;
            pthread_mutex_unlock(&e->lock);
            if (stop) break;
            continue; /* another slot took them during the fill window */
        }
        size_t n;
        HEXGPU_TRACE_RANGE("take batch") { n = hexgpu_ring_pop(&e->pending, w->batch, max); }
        int more = e->pending.count > 0;
        pthread_mutex_unlock(&e->lock);
        if (more) pthread_cond_signal(&e->work);
        run_batch(w, n);
    }
    return NULL;
}

void hexgpu_scheduler_fail_queued(hexgpu_engine *e) {
    hexgpu_pending items[SUBMIT_CHUNK];
    hexgpu_completion done[SUBMIT_CHUNK];
    hexgpu_error closed;
    hexgpu_error_set(&closed, HEXGPU_ERR_CLOSED, "the engine was closed before this request was evaluated");
    for (;;) {
        pthread_mutex_lock(&e->lock);
        size_t n = hexgpu_ring_pop(&e->pending, items, SUBMIT_CHUNK);
        pthread_mutex_unlock(&e->lock);
        if (n == 0) break;
        for (size_t i = 0; i < n; i++) done[i] = (hexgpu_completion){.tag = items[i].tag, .status = HEXGPU_ERR_CLOSED};
        hexgpu_stats_add_outcomes(&e->stats, 0, n);
        complete_runs(items, done, n, &closed);
        complete_followers(e, take_followers(e, items, n), HEXGPU_ERR_CLOSED, &closed);
    }
}

hexgpu_status hexgpu_engine_evaluate(hexgpu_engine *e, const hexgpu_position *positions, size_t count, float *value,
                                     float *policy, float *logits, hexgpu_error *err) {
    if (!e || (!positions && count > 0))
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "hexgpu_engine_evaluate: NULL engine or positions");
    /* All are checked before any is submitted, so a bad one leaves nothing running. */
    for (size_t i = 0; i < count; i++) {
        hexgpu_status st = check_request(e, &positions[i], logits != NULL, i, err);
        if (st != HEXGPU_OK) return st;
    }
    hexgpu_queue q;
    hexgpu_status st = hexgpu_queue_init(&q, err);
    if (st != HEXGPU_OK) return st;
    size_t cells = (size_t)e->cells;
    hexgpu_request reqs[SUBMIT_CHUNK];
    for (size_t base = 0; base < count && st == HEXGPU_OK; base += SUBMIT_CHUNK) {
        size_t len = count - base < SUBMIT_CHUNK ? count - base : SUBMIT_CHUNK;
        for (size_t i = 0; i < len; i++) {
            size_t k = base + i;
            reqs[i] = (hexgpu_request){.position = positions[k], .value = value ? value + k : NULL,
                                       .policy = policy ? policy + k * cells : NULL,
                                       .logits = logits ? logits + k * cells : NULL, .tag = k};
        }
        st = hexgpu_engine_submit(e, &q, reqs, len, err);
    }
    hexgpu_status first_failure = HEXGPU_OK;
    hexgpu_completion done[SUBMIT_CHUNK];
    size_t got;
    while (hexgpu_queue_wait(&q, done, SUBMIT_CHUNK, -1, &got) == HEXGPU_OK && got > 0)
        for (size_t i = 0; i < got; i++)
            if (done[i].status != HEXGPU_OK && first_failure == HEXGPU_OK) first_failure = done[i].status;
    if (st == HEXGPU_OK && first_failure != HEXGPU_OK) {
        hexgpu_queue_last_error(&q, err);
        st = first_failure;
    }
    hexgpu_queue_deinit(&q);
    return st;
}
