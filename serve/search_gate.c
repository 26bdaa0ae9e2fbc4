/* The bound on concurrent searches (see search_gate.h). */
#include "serve/search_gate.h"

#include <stdio.h>

#include "base/timer.h"

void hexgpu_search_gate_init(hexgpu_search_gate *g, int max_running, int max_waiting) {
    pthread_mutex_init(&g->lock, NULL);
    hexgpu_timer_cond_init(&g->cond);
    g->running = g->waiting = 0;
    g->max_running = max_running < 1 ? 1 : max_running;
    g->max_waiting = max_waiting < 0 ? 0 : max_waiting;
    g->admitted = g->refused = g->timed_out = 0;
}

void hexgpu_search_gate_destroy(hexgpu_search_gate *g) {
    pthread_cond_destroy(&g->cond);
    pthread_mutex_destroy(&g->lock);
}

int hexgpu_search_gate_enter(hexgpu_search_gate *g, int timeout_ms, char *reason, size_t cap) {
    pthread_mutex_lock(&g->lock);
    if (g->running >= g->max_running) {
        if (g->waiting >= g->max_waiting) {
            g->refused++;
            snprintf(reason, cap, "busy: %d searches running and %d waiting (the server's limits); try again shortly",
                     g->running, g->waiting);
            pthread_mutex_unlock(&g->lock);
            return 0;
        }
        g->waiting++;
        struct timespec deadline = hexgpu_timer_deadline((int64_t)timeout_ms * 1000000);
        int timed_out = 0;
        while (g->running >= g->max_running && !timed_out)
            timed_out = pthread_cond_timedwait(&g->cond, &g->lock, &deadline) != 0 && g->running >= g->max_running;
        g->waiting--;
        if (timed_out) {
            g->refused++, g->timed_out++;
            snprintf(reason, cap, "busy: waited %d ms for one of %d searches to finish; try again shortly",
                     timeout_ms, g->max_running);
            pthread_mutex_unlock(&g->lock);
            return 0;
        }
    }
    g->running++;
    g->admitted++;
    pthread_mutex_unlock(&g->lock);
    return 1;
}

void hexgpu_search_gate_leave(hexgpu_search_gate *g) {
    pthread_mutex_lock(&g->lock);
    g->running--;
    pthread_cond_signal(&g->cond);
    pthread_mutex_unlock(&g->lock);
}

void hexgpu_search_gate_read(hexgpu_search_gate *g, int *running, int *waiting, uint64_t *admitted,
                             uint64_t *refused) {
    pthread_mutex_lock(&g->lock);
    *running = g->running, *waiting = g->waiting, *admitted = g->admitted, *refused = g->refused;
    pthread_mutex_unlock(&g->lock);
}
