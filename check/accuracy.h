/* How far a backend's outputs are from a reference's over a set of boards, and whether
 * that is within the limits of a precision: what `hexgpu check` reports and the GPU
 * suite asserts on. An error that is not finite (a NaN or an infinity on either side)
 * counts as infinite, so it fails every limit. */
#pragma once

#include <stddef.h>

#include "hexgpu.h"

/* A near tie: a's best move counts as the reference's when the reference gives it at
 * least (1 - HEXGPU_ACCURACY_TIE) of its own best move's probability. */
#define HEXGPU_ACCURACY_TIE 1e-3

/* Outputs of count boards of cells cells: policy and logits [count][cells], value [count]. */
typedef struct hexgpu_accuracy_outputs {
    const float *policy, *logits, *value;
} hexgpu_accuracy_outputs;

/* The errors of count boards: max and p99 (nearest rank: the ceil(0.99 count)-th
 * smallest) of the per-board figures. */
typedef struct hexgpu_accuracy {
    size_t boards;
    double value_abs_max, value_abs_p99; /* |a - ref| of the value (its range is -1..1) */
    double value_rel_max, value_rel_p99; /* |a - ref| / max(|ref|, 0.01): reported, no limit */
    double logits_rel_max, logits_rel_p99; /* hexgpu_accuracy_logits_error per board */
    size_t same_best;                      /* boards with the same best move, near ties counted */
    double same_best_fraction;             /* same_best / boards (1 when there are none) */
} hexgpu_accuracy;

/* The limits a backend must meet against the reference. */
typedef struct hexgpu_accuracy_limits {
    double value_abs;  /* largest value_abs_max */
    double logits_rel; /* largest logits_rel_max */
    double same_best;  /* smallest same_best_fraction */
} hexgpu_accuracy_limits;

/* One board's logits error: max |a - ref| over the row divided by max |ref| over the
 * row (the scale of that board's logits; 1e-12 when they are all 0). */
double hexgpu_accuracy_logits_error(const float *a, const float *ref, int cells);

/* 1 when a's most probable cell (the first of equals) is ref's, or ref gives it within
 * tie (relatively) of its best cell's probability; else 0. */
int hexgpu_accuracy_same_best(const float *a_policy, const float *ref_policy, int cells, double tie);

/* Measures a against ref over count boards (near ties: HEXGPU_ACCURACY_TIE) into *out.
 * HEXGPU_ERR_OUT_OF_MEMORY (for the sort behind p99) leaves *out zeroed. */
hexgpu_status hexgpu_accuracy_measure(const hexgpu_accuracy_outputs *a, const hexgpu_accuracy_outputs *ref,
                                      size_t count, int cells, hexgpu_accuracy *out, hexgpu_error *err);

/* fp16: 2e-3 for the value and the logits; fp32 (and AUTO): 1e-4; both >= 99.5% of
 * boards with the same best move. */
hexgpu_accuracy_limits hexgpu_accuracy_limits_for(hexgpu_precision precision);

/* NULL when acc meets every limit, else the name of the first it misses, in the order
 * "value abs error", "logits rel error", "same best move". */
const char *hexgpu_accuracy_verdict(const hexgpu_accuracy *acc, const hexgpu_accuracy_limits *limits);
