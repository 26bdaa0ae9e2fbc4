/* The CPU slot's helper thread: waits (spinning briefly, then on a condition variable)
 * for a job, runs it, says it is done; a job it has not claimed by the time the caller
 * waits is run by the caller instead. */
#include "runtime/cpu/cpu_helper.h"

#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "base/timer.h"

/* h->state: no job, a job posted and unclaimed, a job the helper is running. */
enum { HELPER_IDLE, HELPER_POSTED, HELPER_RUNNING };

/* How long either side polls before it sleeps: longer than the gap between two
 * convolutions of one board, short enough that an idle slot gives its core back. */
#define SPIN_NS 50000

static int load_state(const hexgpu_cpu_helper *h) { return __atomic_load_n(&h->state, __ATOMIC_ACQUIRE); }

static void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

/* Polls until the state is not `from` (or quit) for up to SPIN_NS; 1 when it changed. */
static int spin_while(const hexgpu_cpu_helper *h, int from) {
    int64_t until = 0;
    for (int i = 0;; i++) {
        if (load_state(h) != from || __atomic_load_n(&h->quit, __ATOMIC_ACQUIRE)) return 1;
        cpu_relax();
        if (i % 64 != 63) continue;
        /* Every ~1 us: let a thread waiting for this core run (more threads than cores:
         * several slots, or other programs), then look at the clock. */
        sched_yield();
        int64_t now = hexgpu_timer_now_ns();
        if (!until) until = now + SPIN_NS;
        else if (now > until) return 0;
    }
}

static void *helper_main(void *arg) {
    hexgpu_cpu_helper *h = arg;
    for (;;) {
        if (!spin_while(h, HELPER_IDLE)) {
            pthread_mutex_lock(&h->mutex);
            h->helper_sleeping = 1;
            while (load_state(h) == HELPER_IDLE && !__atomic_load_n(&h->quit, __ATOMIC_ACQUIRE))
                pthread_cond_wait(&h->wake, &h->mutex);
            h->helper_sleeping = 0;
            pthread_mutex_unlock(&h->mutex);
        }
        if (__atomic_load_n(&h->quit, __ATOMIC_ACQUIRE)) break;
        int posted = HELPER_POSTED;
        /* The caller may have taken the job back (state IDLE again): nothing to do. */
        if (!__atomic_compare_exchange_n(&h->state, &posted, HELPER_RUNNING, 0, __ATOMIC_ACQ_REL,
                                         __ATOMIC_ACQUIRE))
            continue;
        h->job(h->arg); /* job and arg were written before the state said POSTED */
        __atomic_store_n(&h->state, HELPER_IDLE, __ATOMIC_RELEASE);
        pthread_mutex_lock(&h->mutex);
        if (h->caller_sleeping) pthread_cond_signal(&h->done);
        pthread_mutex_unlock(&h->mutex);
    }
    return NULL;
}

hexgpu_cpu_helper *hexgpu_cpu_helper_start(void) {
    /* aligned_alloc wants a multiple of the alignment; sizeof is one (the struct's
     * alignment is 64). */
    hexgpu_cpu_helper *h = aligned_alloc(_Alignof(hexgpu_cpu_helper), sizeof *h);
    if (!h) return NULL;
    memset(h, 0, sizeof *h);
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

void hexgpu_cpu_helpers_start(int count, hexgpu_cpu_helpers *h) {
    h->count = 0;
    if (count > HEXGPU_CPU_MAX_HELPERS) count = HEXGPU_CPU_MAX_HELPERS;
    for (int i = 0; i < count; i++)
        if ((h->each[h->count] = hexgpu_cpu_helper_start())) h->count++;
}

void hexgpu_cpu_helpers_stop(hexgpu_cpu_helpers *h) {
    for (int i = 0; i < h->count; i++) hexgpu_cpu_helper_stop(h->each[i]);
    h->count = 0;
}

void hexgpu_cpu_helpers_run(const hexgpu_cpu_helpers *h, int parts, void (*job)(void *arg), void *args,
                            size_t stride) {
    char *arg = args;
    for (int p = 1; p < parts; p++) hexgpu_cpu_helper_post(h->each[p - 1], job, arg + (size_t)p * stride);
    job(arg);
    for (int p = 1; p < parts; p++) hexgpu_cpu_helper_wait(h->each[p - 1]);
}

void hexgpu_cpu_helper_stop(hexgpu_cpu_helper *h) {
    if (!h) return;
    pthread_mutex_lock(&h->mutex);
    __atomic_store_n(&h->quit, 1, __ATOMIC_RELEASE);
    pthread_cond_signal(&h->wake);
    pthread_mutex_unlock(&h->mutex);
    pthread_join(h->thread, NULL);
    pthread_cond_destroy(&h->done);
    pthread_cond_destroy(&h->wake);
    pthread_mutex_destroy(&h->mutex);
    free(h);
}

void hexgpu_cpu_helper_post(hexgpu_cpu_helper *h, void (*job)(void *arg), void *arg) {
    h->job = job;
    h->arg = arg;
    __atomic_store_n(&h->state, HELPER_POSTED, __ATOMIC_RELEASE);
    /* The helper re-reads the state under the mutex before it sleeps, so a helper
     * that is not seen sleeping here will see the job. */
    pthread_mutex_lock(&h->mutex);
    if (h->helper_sleeping) pthread_cond_signal(&h->wake);
    pthread_mutex_unlock(&h->mutex);
}

void hexgpu_cpu_helper_wait(hexgpu_cpu_helper *h) {
    int posted = HELPER_POSTED;
    if (__atomic_compare_exchange_n(&h->state, &posted, HELPER_IDLE, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        /* The helper has not claimed it yet (its core is busy elsewhere): waiting for
         * it could cost more than the job, so the caller takes the job back. */
        h->job(h->arg);
        return;
    }
    if (spin_while(h, HELPER_RUNNING)) return;
    pthread_mutex_lock(&h->mutex);
    h->caller_sleeping = 1;
    while (load_state(h) == HELPER_RUNNING) pthread_cond_wait(&h->done, &h->mutex);
    h->caller_sleeping = 0;
    pthread_mutex_unlock(&h->mutex);
}
