/* The completion queue: a ring of finished requests guarded by one mutex, filled by the
 * scheduler's workers and emptied in bulk by hexgpu_queue_wait. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "queue_impl.h"
#include "base/timer.h"
#include "base/status.h"

hexgpu_status hexgpu_queue_init(hexgpu_queue *q, hexgpu_error *err) {
    memset(q, 0, sizeof *q);
    hexgpu_ring_init(&q->done, sizeof(hexgpu_completion));
    if (pthread_mutex_init(&q->lock, NULL) != 0)
        return hexgpu_error_set(err, HEXGPU_ERR_INTERNAL, "completion queue: pthread_mutex_init failed");
    if (hexgpu_timer_cond_init(&q->changed) != 0) {
        pthread_mutex_destroy(&q->lock);
        return hexgpu_error_set(err, HEXGPU_ERR_INTERNAL, "completion queue: pthread_cond_init failed");
    }
    return HEXGPU_OK;
}

void hexgpu_queue_deinit(hexgpu_queue *q) {
    pthread_mutex_lock(&q->lock);
    while (q->outstanding > q->done.count) pthread_cond_wait(&q->changed, &q->lock);
    pthread_mutex_unlock(&q->lock);
    pthread_cond_destroy(&q->changed);
    pthread_mutex_destroy(&q->lock);
    hexgpu_ring_free(&q->done);
}

hexgpu_status hexgpu_queue_create(hexgpu_queue **queue, hexgpu_error *err) {
    *queue = NULL;
    hexgpu_queue *q = malloc(sizeof *q);
    if (!q) return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "completion queue: out of memory (%zu bytes)", sizeof *q);
    hexgpu_status st = hexgpu_queue_init(q, err);
    if (st != HEXGPU_OK) {
        free(q);
        return st;
    }
    *queue = q;
    return HEXGPU_OK;
}

void hexgpu_queue_destroy(hexgpu_queue *q) {
    if (!q) return;
    hexgpu_queue_deinit(q);
    free(q);
}

hexgpu_status hexgpu_queue_reserve(hexgpu_queue *q, size_t n, hexgpu_error *err) {
    pthread_mutex_lock(&q->lock);
    size_t need = q->outstanding + n;
    if (hexgpu_ring_reserve(&q->done, need) != 0) {
        pthread_mutex_unlock(&q->lock);
        return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "completion queue of %zu entries: out of memory (%zu bytes)",
                                need, need * sizeof(hexgpu_completion));
    }
    q->outstanding = need;
    pthread_mutex_unlock(&q->lock);
    return HEXGPU_OK;
}

void hexgpu_queue_unreserve(hexgpu_queue *q, size_t n) {
    pthread_mutex_lock(&q->lock);
    q->outstanding -= n;
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->lock);
}

void hexgpu_queue_push(hexgpu_queue *q, const hexgpu_completion *done, size_t n, const hexgpu_error *failure) {
    pthread_mutex_lock(&q->lock);
    hexgpu_ring_push(&q->done, done, n);
    if (failure) q->last_error = *failure;
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->lock);
}

hexgpu_status hexgpu_queue_wait(hexgpu_queue *q, hexgpu_completion *done, size_t max, int timeout_ms, size_t *got) {
    *got = 0;
    if (!q || (!done && max > 0)) return HEXGPU_ERR_INVALID_ARGUMENT;
    struct timespec deadline = hexgpu_timer_deadline((int64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000000);
    pthread_mutex_lock(&q->lock);
    while (q->done.count == 0) {
        if (q->outstanding == 0) {
            pthread_mutex_unlock(&q->lock);
            return HEXGPU_OK;
        }
        if (timeout_ms == 0) break;
        if (timeout_ms < 0) {
            pthread_cond_wait(&q->changed, &q->lock);
        } else if (pthread_cond_timedwait(&q->changed, &q->lock, &deadline) == ETIMEDOUT && q->done.count == 0) {
            break;
        }
    }
    size_t n = hexgpu_ring_pop(&q->done, done, max);
    q->outstanding -= n;
    pthread_mutex_unlock(&q->lock);
    *got = n;
    return n > 0 || max == 0 ? HEXGPU_OK : HEXGPU_ERR_TIMEOUT;
}

size_t hexgpu_queue_outstanding(hexgpu_queue *q) {
    pthread_mutex_lock(&q->lock);
    size_t n = q->outstanding;
    pthread_mutex_unlock(&q->lock);
    return n;
}

void hexgpu_queue_last_error(hexgpu_queue *q, hexgpu_error *err) {
    if (!err) return;
    pthread_mutex_lock(&q->lock);
    *err = q->last_error;
    pthread_mutex_unlock(&q->lock);
}
