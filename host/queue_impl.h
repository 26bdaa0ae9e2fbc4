/* The completion queue's fields and the calls the scheduler makes on it. The ring always
 * has room for every outstanding request (reserved at submit), so completing a request
 * never allocates and cannot fail. */
#pragma once

#include <pthread.h>

#include "hexgpu.h"
#include "host/ring.h"

struct hexgpu_queue {
    pthread_mutex_t lock;
    pthread_cond_t changed;  /* completions arrived (waiters, destroy) */
    hexgpu_ring done;   /* of hexgpu_completion; capacity >= outstanding */
    size_t outstanding; /* submitted and not yet collected (done.count of them are in the ring) */
    hexgpu_error last_error;
};

/* For queues embedded in another object (the synchronous evaluate keeps one on its stack). */
hexgpu_status hexgpu_queue_init(hexgpu_queue *queue, hexgpu_error *err);
/* Waits until nothing submitted on it is still running, then frees its ring. */
void hexgpu_queue_deinit(hexgpu_queue *queue);

/* Counts n more outstanding requests and makes room for their completions. On failure
 * (HEXGPU_ERR_OUT_OF_MEMORY) nothing changes. unreserve takes back a reservation whose
 * requests were never submitted. */
hexgpu_status hexgpu_queue_reserve(hexgpu_queue *queue, size_t n, hexgpu_error *err);
void hexgpu_queue_unreserve(hexgpu_queue *queue, size_t n);

/* Appends n completions of reserved requests and wakes the waiters. failure (may be
 * NULL) is the error of the failed ones among them, kept as the queue's last error. */
void hexgpu_queue_push(hexgpu_queue *queue, const hexgpu_completion *done, size_t n, const hexgpu_error *failure);
