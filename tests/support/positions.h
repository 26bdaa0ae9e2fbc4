/* Test support: seeded random legal positions, shared by every suite that needs some. */
#pragma once

#include <stdint.h>

#include "hexgpu.h"

/* A legal position of min(stones, n*n) stones placed at random empty cells, Blue and Red
 * alternating (Blue first), side to move from the counts. A function of (n, stones,
 * seed) only. May hold a finished game: the network evaluates any stone configuration. */
hexgpu_position hexgpu_test_position(int n, int stones, uint64_t seed);
