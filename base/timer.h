/* Monotonic clock readings in nanoseconds: the one time source for statistics, latencies
 * and timeouts, so that every duration is comparable. */
#pragma once

#include <pthread.h>
#include <stdint.h>
#include <time.h>

/* Nanoseconds on CLOCK_MONOTONIC (unaffected by wall-clock changes). */
int64_t hexgpu_timer_now_ns(void);
/* The same clock in seconds, for rates and intervals printed to people. */
double hexgpu_timer_now_seconds(void);

/* Initialises a condition variable whose timed waits measure CLOCK_MONOTONIC, so that a
 * wall-clock step (NTP, an admin) neither stretches nor cuts a fill window or a queue
 * timeout. Returns pthread_cond_init's result. */
int hexgpu_timer_cond_init(pthread_cond_t *cond);

/* The CLOCK_MONOTONIC instant timeout_ns from now, for pthread_cond_timedwait on a
 * condition variable made by hexgpu_timer_cond_init. */
struct timespec hexgpu_timer_deadline(int64_t timeout_ns);

/* Sleeps for ns nanoseconds (resumes after signals). */
void hexgpu_timer_sleep_ns(int64_t ns);
