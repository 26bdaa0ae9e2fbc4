/* Test support: what a driver's per-game callback (match, tournament) was handed, and a
 * stop or a failure made from inside it at a chosen call. */
#pragma once

#include <signal.h>
#include <stdint.h>

#include "base/status.h"

#define HEXGPU_TEST_MAX_GAMES 64

typedef struct hexgpu_test_games_seen {
    int calls;
    int64_t index[HEXGPU_TEST_MAX_GAMES]; /* the games' indices in the order they came */
    int interrupt_at;                     /* at this call (1-based) raise *interrupt; 0: never */
    int fail_at;                          /* at this call fail as a full disk would (HEXGPU_ERR_IO); 0: never */
    volatile sig_atomic_t *interrupt;
} hexgpu_test_games_seen;

/* Records one call for game `index`; what the callback returns. */
hexgpu_status hexgpu_test_games_seen_record(hexgpu_test_games_seen *s, int64_t index, hexgpu_error *err);
