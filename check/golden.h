/* golden.jsonl files: the outputs PyTorch gave for positions (the test fixtures, and what
 * `hexgpu check --golden` compares a backend with), one JSON object per line:
 * {trmph, to_move, policy_logits[n*n], value}. */
#pragma once

#include <stddef.h>

#include "hexgpu.h"

typedef struct hexgpu_golden_entry {
    char trmph[1600];
    hexgpu_position position; /* parsed from trmph; to_move checked against the line's */
    float *policy_logits;     /* [n*n], owned */
    float value;
} hexgpu_golden_entry;

typedef struct hexgpu_golden {
    hexgpu_golden_entry *items;
    size_t count;
    int board_size; /* every entry has it (checked) */
} hexgpu_golden;

/* Reads every line of path; messages name the line. On failure *out is empty. A path that
 * is missing, unreadable, not a regular file (refused without blocking on a FIFO) or over
 * 1 GiB is HEXGPU_ERR_INVALID_ARGUMENT, a malformed line HEXGPU_ERR_PARSE. */
hexgpu_status hexgpu_golden_load(const char *path, hexgpu_golden *out, hexgpu_error *err);
void hexgpu_golden_free(hexgpu_golden *golden);
