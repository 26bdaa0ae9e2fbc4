/* The CPU slot's helper thread: sleeps on a condition variable, runs the one job it is
 * handed, signals its end; a job it has not started by the time the caller waits is
 * run by the caller instead. */
#include "runtime/cpu/cpu_helper.h"

#include <stdlib.h>

static void *helper_main(void *arg) {
    hexgpu_cpu_helper *h = arg;
    pthread_mutex_lock(&h->mutex);
    for (;;) {
        while (!h->pending && !h->quit) pthread_cond_wait(&h->wake, &h->mutex);
        if (h->quit) break;
        h->taken = 1;
        pthread_mutex_unlock(&h->mutex);
        h->job(h->arg); /* job and arg were set before pending, under the mutex */
        pthread_mutex_lock(&h->mutex);
        h->pending = h->taken = 0;
        pthread_cond_signal(&h->done);
    }
    pthread_mutex_unlock(&h->mutex);
    return NULL;
}

hexgpu_cpu_helper *hexgpu_cpu_helper_start(void) {
    hexgpu_cpu_helper *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    if (pthread_mutex_init(&h->mutex, NULL)) goto no_mutex;
    if (pthread_cond_init(&h->wake, NULL)) goto no_wake;
    if (pthread_cond_init(&h->done, NULL)) goto no_done;
    if (pthread_create(&h->thread, NULL, helper_main, h)) goto no_thread;
    return h;
no_thread:
    pthread_cond_destroy(&h->done);
no_done:
    pthread_cond_destroy(&h->wake);
no_wake:
    pthread_mutex_destroy(&h->mutex);
no_mutex:
    free(h);
    return NULL;
}

void hexgpu_cpu_helper_stop(hexgpu_cpu_helper *h) {
    if (!h) return;
    pthread_mutex_lock(&h->mutex);
    h->quit = 1;
    pthread_cond_signal(&h->wake);
    pthread_mutex_unlock(&h->mutex);
    pthread_join(h->thread, NULL);
    pthread_cond_destroy(&h->done);
    pthread_cond_destroy(&h->wake);
    pthread_mutex_destroy(&h->mutex);
    free(h);
}

void hexgpu_cpu_helper_post(hexgpu_cpu_helper *h, void (*job)(void *arg), void *arg) {
    pthread_mutex_lock(&h->mutex);
    h->job = job;
    h->arg = arg;
    h->pending = 1;
    pthread_cond_signal(&h->wake);
    pthread_mutex_unlock(&h->mutex);
}

void hexgpu_cpu_helper_wait(hexgpu_cpu_helper *h) {
    pthread_mutex_lock(&h->mutex);
    if (h->pending && !h->taken) {
        /* The helper has not woken yet (its core is busy elsewhere): waiting for it
         * could cost more than the job, so the caller takes the job back. */
        h->pending = 0;
        pthread_mutex_unlock(&h->mutex);
        h->job(h->arg);
        return;
    }
    while (h->pending) pthread_cond_wait(&h->done, &h->mutex);
    pthread_mutex_unlock(&h->mutex);
}
