/* Monotonic clock readings in nanoseconds: the one time source for statistics, latencies
 * and timeouts, so that every duration is comparable. */
#pragma once

#include <stdint.h>
#include <time.h>

/* Nanoseconds on CLOCK_MONOTONIC (unaffected by wall-clock changes). */
int64_t hexgpu_timer_now_ns(void);

/* The CLOCK_REALTIME instant timeout_ns from now, for pthread_cond_timedwait (which
 * measures against the realtime clock by default). */
struct timespec hexgpu_timer_deadline(int64_t timeout_ns);

/* Sleeps for ns nanoseconds (resumes after signals). */
void hexgpu_timer_sleep_ns(int64_t ns);
