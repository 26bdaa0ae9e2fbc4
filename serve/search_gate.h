/* How many engine searches run at once: up to max_running, then up to max_waiting wait
 * in line (each at most a timeout), and any more are turned away at once, so a crowd of
 * clients gets quick 503s instead of a server whose memory and latency grow without end. */
#pragma once

#include <pthread.h>
#include <stdint.h>

typedef struct hexgpu_search_gate {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int running, waiting, max_running, max_waiting;
    uint64_t admitted, refused, timed_out;
} hexgpu_search_gate;

void hexgpu_search_gate_init(hexgpu_search_gate *g, int max_running, int max_waiting);
void hexgpu_search_gate_destroy(hexgpu_search_gate *g);

/* 1 when the caller may search (call leave after), 0 when turned away: the line was full
 * or timeout_ms passed in it; reason then says which (for the 503's message). */
int hexgpu_search_gate_enter(hexgpu_search_gate *g, int timeout_ms, char *reason, size_t cap);
void hexgpu_search_gate_leave(hexgpu_search_gate *g);

/* A consistent reading of the counters. */
void hexgpu_search_gate_read(hexgpu_search_gate *g, int *running, int *waiting, uint64_t *admitted,
                             uint64_t *refused);
