/* Seeded random legal positions: the one generator behind `hexgpu check` and every test
 * suite that needs positions (host, stress, CPU backend, GPU). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "hexgpu.h"

/* A legal position of min(stones, n*n) stones placed at random empty cells, Blue and Red
 * alternating (Blue first), side to move from the counts. A function of (n, stones,
 * seed) only. May hold a finished game: the network evaluates any stone configuration. */
hexgpu_position hexgpu_position_random(int n, int stones, uint64_t seed);

/* count positions of an n x n board, each with a random number of stones in 0..n*n - 1
 * (so at least one empty cell). A function of (count, n, seed) only; a longer run with
 * the same seed starts with the same positions. */
void hexgpu_position_random_batch(hexgpu_position *out, size_t count, int n, uint64_t seed);
