/* The interrupt flag of a self-play run or a match: set by a signal handler, a timer
 * thread or the Python layer, read by every worker thread. Both sides go through
 * atomic accesses (lock-free on an int, so safe in a signal handler too): a plain
 * volatile read in one thread of a write from another is a data race, which
 * ThreadSanitizer reports and C11 leaves undefined. */
#pragma once

#include <signal.h>

_Static_assert(__atomic_always_lock_free(sizeof(sig_atomic_t), 0),
               "the interrupt flag is set in signal handlers: its atomics must not take a lock");

static inline int hexgpu_interrupt_is_set(const volatile sig_atomic_t *flag) {
    return flag && __atomic_load_n(flag, __ATOMIC_RELAXED);
}

static inline void hexgpu_interrupt_raise(volatile sig_atomic_t *flag) { __atomic_store_n(flag, 1, __ATOMIC_RELAXED); }
