/* Test helpers shared by the rules, TRMPH and `hexgpu show` suites: a seeded generator,
 * random games, and a deliberately simple flood-fill winner to check the board against. */
#pragma once

#include <stdint.h>

#include "hex/board.h"

uint64_t test_rng_next(uint64_t *state);
/* Uniform in 0..bound-1. */
int test_rng_below(uint64_t *state, int bound);

/* Who connects their two edges on board's stones, found by flood fill from scratch:
 * HEXGPU_BLUE, HEXGPU_RED or HEXGPU_NONE (HEXGPU_NONE too if both would, which Hex forbids;
 * callers check that separately with test_flood_connects). */
hexgpu_color test_flood_winner(const hexgpu_board *board);
/* 1 when color's stones connect its two edges. */
int test_flood_connects(const hexgpu_board *board, hexgpu_color color);

/* Plays up to max_moves uniformly random legal moves (chosen from the ascending legal
 * move list, not the board's empty list) from an empty size x size board, stopping at
 * the win. */
void test_random_game(hexgpu_board *board, int size, uint64_t seed, int max_moves);
