/* Engine.evaluate's engine work: the positions go through the engine's asynchronous
 * API with a bounded number in flight, the GIL released, and Python's signal handlers
 * given a turn every CHECK_NS. A Ctrl-C therefore stops a batch of any size within
 * about the time of the requests in flight (a few of the engine's batches), where one
 * synchronous hexgpu_engine_evaluate call would hold it until the whole batch was done. */
#include "pyhexgpu.h"

#include "base/status.h"
#include "base/timer.h"

#define CHUNK 256                     /* requests per submit, completions per wait */
#define CHECK_NS (50 * 1000 * 1000LL) /* how often the signal handlers run */

/* Requests kept in flight: two rounds of every slot's largest batch, enough to keep all
 * slots of all devices busy while the finished ones are collected. */
static size_t window_of(hexgpu_engine *engine) {
    hexgpu_engine_options used = hexgpu_engine_options_used(engine);
    size_t devices = used.device_count > 0 ? (size_t)used.device_count : 1;
    size_t slots = used.slots > 0 ? (size_t)used.slots : 1;
    size_t batch = used.max_batch > 0 ? (size_t)used.max_batch : 1;
    size_t window = 2 * batch * slots * devices;
    return window < CHUNK ? CHUNK : window;
}

int hexgpu_py_evaluate(hexgpu_engine *engine, const hexgpu_position *positions, size_t count, float *value,
                       float *policy, float *logits, unsigned char *cached) {
    if (count == 0) return 0;
    hexgpu_error err = {0};
    hexgpu_queue *queue = NULL;
    if (hexgpu_queue_create(&queue, &err) != HEXGPU_OK) {
        hexgpu_py_raise(&err, NULL);
        return -1;
    }
    size_t cells = (size_t)hexgpu_engine_board_size(engine) * (size_t)hexgpu_engine_board_size(engine);
    size_t window = window_of(engine), next = 0, outstanding = 0;
    hexgpu_status failure = HEXGPU_OK;
    int interrupted = 0;
    hexgpu_request requests[CHUNK];
    hexgpu_completion done[CHUNK];
    PyThreadState *ts = PyEval_SaveThread();
    int64_t checked = hexgpu_timer_now_ns();
    for (;;) {
        int stop = interrupted || failure != HEXGPU_OK;
        while (!stop && next < count && outstanding < window) {
            size_t len = count - next;
            if (len > CHUNK) len = CHUNK;
            if (len > window - outstanding) len = window - outstanding;
            for (size_t i = 0; i < len; i++) {
                size_t k = next + i;
                requests[i] = (hexgpu_request){.position = positions[k],
                                               .value = value ? value + k : NULL,
                                               .policy = policy ? policy + k * cells : NULL,
                                               .logits = logits ? logits + k * cells : NULL,
                                               .tag = k};
            }
            hexgpu_status st = hexgpu_engine_submit(engine, queue, requests, len, &err);
            if (st != HEXGPU_OK) {
                failure = st;
                stop = 1;
                break;
            }
            next += len, outstanding += len;
        }
        if (outstanding == 0) break; /* everything answered, or nothing more will be submitted */
        size_t got = 0;
        hexgpu_status st = hexgpu_queue_wait(queue, done, CHUNK, (int)(CHECK_NS / 1000000), &got);
        if (st == HEXGPU_OK && got == 0) { /* the queue owes nothing: cannot happen */
            failure =
                hexgpu_error_set(&err, HEXGPU_ERR_INTERNAL, "evaluate: %zu requests were never answered", outstanding);
            break;
        }
        for (size_t i = 0; i < got; i++) {
            outstanding--;
            if (cached) cached[done[i].tag] = (unsigned char)(done[i].cached != 0);
            if (done[i].status != HEXGPU_OK && failure == HEXGPU_OK) {
                failure = done[i].status;
                hexgpu_queue_last_error(queue, &err);
            }
        }
        int64_t now = hexgpu_timer_now_ns();
        if (!interrupted && now - checked >= CHECK_NS) {
            PyEval_RestoreThread(ts);
            interrupted = PyErr_CheckSignals() < 0; /* the handler's exception is left set */
            ts = PyEval_SaveThread();
            checked = now;
        }
    }
    hexgpu_queue_destroy(queue); /* nothing is in flight: returns at once */
    PyEval_RestoreThread(ts);
    if (interrupted) return -1;
    if (failure != HEXGPU_OK) {
        hexgpu_py_raise(&err, NULL);
        return -1;
    }
    return 0;
}
