/* Random playouts to the end of the game on one core, using the board's incremental win
 * detection: prints playouts/s (median of the repetitions) and the Blue win rate. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/rng.h"
#include "hex/board.h"

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One playout from start: uniform random empty cells until someone connects. */
static hexgpu_color playout(hexgpu_board *board, const hexgpu_board *start, uint64_t *rng, long *moves) {
    hexgpu_board_copy(board, start);
    while (hexgpu_board_winner(board) == HEXGPU_NONE) {
        /* xorshift64*: fast enough not to show in the timing, good enough for move choice.
         * Multiply-shift maps 32 random bits to 0..count-1 without a division. */
        uint32_t pick = (uint32_t)(((hexgpu_xorshift64star_next(rng) >> 32) * (uint64_t)board->empty_count) >> 32);
        hexgpu_board_play(board, hexgpu_board_empty_cell(board, (int)pick), NULL);
    }
    *moves += board->move_count - start->move_count;
    return hexgpu_board_winner(board);
}

int main(int argc, char **argv) {
    int size = argc > 1 ? atoi(argv[1]) : 13;
    long playouts = argc > 2 ? atol(argv[2]) : 200000;
    int reps = argc > 3 ? atoi(argv[3]) : 7;
    if (argc > 4 || playouts <= 0 || reps <= 0 || reps > 101) {
        fprintf(stderr, "usage: bench_playouts [size=13] [playouts per repetition=200000] [repetitions=7]\n");
        return 2;
    }
    hexgpu_board start, board;
    hexgpu_error err;
    if (hexgpu_board_init(&start, size, &err) != HEXGPU_OK) {
        fprintf(stderr, "error: %s\n", err.message);
        return 2;
    }
    uint64_t rng = 0x853c49e6748fea9bull;
    double rate[101];
    long blue_wins = 0, moves = 0, total = 0;
    for (int r = 0; r < reps; r++) {
        double t0 = now_s();
        for (long i = 0; i < playouts; i++) blue_wins += playout(&board, &start, &rng, &moves) == HEXGPU_BLUE;
        rate[r] = (double)playouts / (now_s() - t0);
        total += playouts;
    }
    qsort(rate, (size_t)reps, sizeof rate[0], cmp_double);
    printf("board %dx%d, %d x %ld random playouts, one thread\n", size, size, reps, playouts);
    printf("moves per playout %.1f, blue wins %.3f\n", (double)moves / (double)total, (double)blue_wins / (double)total);
    printf("playouts/s median %.0f (min %.0f, max %.0f)\n", rate[reps / 2], rate[0], rate[reps - 1]);
    return 0;
}
