/* Threads kept per CPU slot, each running one job at a time for the thread that
 * launches a batch: a range of its boards, or a part of a lone board's convolution. */
#pragma once

#include <pthread.h>

typedef struct hexgpu_cpu_helper {
    /* What both sides poll, on a cache line of its own (the struct is allocated aligned):
     * the rest changes while they poll. */
    _Alignas(64) int state; /* HELPER_* in cpu_helper.c; atomic */
    int quit;               /* atomic */
    _Alignas(64) pthread_t thread;
    pthread_mutex_t mutex;
    pthread_cond_t wake, done;
    int helper_sleeping, caller_sleeping; /* under mutex */
    void (*job)(void *arg);
    void *arg;
} hexgpu_cpu_helper;

/* Starts the thread; NULL when it (or its memory) cannot be had, and then the caller
 * does all the work itself: slower, never wrong. */
hexgpu_cpu_helper *hexgpu_cpu_helper_start(void);

/* The helpers of one slot: with `threads` T, T - 1 of them take ranges of a batch's
 * boards, or parts of a lone board's convolutions, beside the thread that launches it. */
#define HEXGPU_CPU_MAX_HELPERS 255
typedef struct hexgpu_cpu_helpers {
    hexgpu_cpu_helper *each[HEXGPU_CPU_MAX_HELPERS];
    int count; /* started; may be fewer than asked (then the work has fewer hands) */
} hexgpu_cpu_helpers;

/* Starts up to `count` (at most HEXGPU_CPU_MAX_HELPERS) helpers into *h. */
void hexgpu_cpu_helpers_start(int count, hexgpu_cpu_helpers *h);
void hexgpu_cpu_helpers_stop(hexgpu_cpu_helpers *h);

/* Runs job on parts (1 <= parts <= h->count + 1) arguments, args[p] = args + p * stride
 * bytes: part 0 on the calling thread, part p on helper p - 1; returns when all are done. */
void hexgpu_cpu_helpers_run(const hexgpu_cpu_helpers *h, int parts, void (*job)(void *arg), void *args,
                            size_t stride);

/* Stops the thread and frees h (NULL allowed). */
void hexgpu_cpu_helper_stop(hexgpu_cpu_helper *h);

/* Hands job(arg) to the helper and returns at once; hexgpu_cpu_helper_wait returns when it
 * is done, having run it on the caller's thread if the helper had not started it yet (so
 * a busy machine costs at most the hand-over). One job at a time. Both sides spin for a
 * short while before they sleep: a lone board hands over one job per convolution, and
 * a sleep and wake-up of each (futex) cost more than the split saved. */
void hexgpu_cpu_helper_post(hexgpu_cpu_helper *h, void (*job)(void *arg), void *arg);
void hexgpu_cpu_helper_wait(hexgpu_cpu_helper *h);
