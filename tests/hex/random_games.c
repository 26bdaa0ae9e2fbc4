/* Seeded random games and a flood-fill winner, written independently of hex/board.c. */
#include "hex/random_games.h"

#include <string.h>

#include "base/rng.h"

uint64_t test_rng_next(uint64_t *state) {
    return hexgpu_splitmix64_next(state);
}

int test_rng_below(uint64_t *state, int bound) { return (int)(test_rng_next(state) % (uint64_t)bound); }

int test_flood_connects(const hexgpu_board *board, hexgpu_color color) {
    int n = board->size;
    static const int dr[6] = {0, 0, -1, 1, 1, -1}, dc[6] = {-1, 1, 0, 0, -1, 1};
    char seen[HEXGPU_MAX_CELLS];
    int stack[HEXGPU_MAX_CELLS], top = 0;
    memset(seen, 0, sizeof seen);
    /* Start from every stone on the first edge (row 0 for Blue, column 0 for Red). */
    for (int k = 0; k < n; k++) {
        int cell = color == HEXGPU_BLUE ? k : k * n;
        if (hexgpu_board_at(board, cell) == color) {
            seen[cell] = 1;
            stack[top++] = cell;
        }
    }
    while (top > 0) {
        int cell = stack[--top], r = cell / n, c = cell % n;
        if ((color == HEXGPU_BLUE ? r : c) == n - 1) return 1;
        for (int d = 0; d < 6; d++) {
            int rr = r + dr[d], cc = c + dc[d];
            if (rr < 0 || rr >= n || cc < 0 || cc >= n) continue;
            int next = rr * n + cc;
            if (!seen[next] && hexgpu_board_at(board, next) == color) {
                seen[next] = 1;
                stack[top++] = next;
            }
        }
    }
    return 0;
}

hexgpu_color test_flood_winner(const hexgpu_board *board) {
    int blue = test_flood_connects(board, HEXGPU_BLUE), red = test_flood_connects(board, HEXGPU_RED);
    if (blue && !red) return HEXGPU_BLUE;
    if (red && !blue) return HEXGPU_RED;
    return HEXGPU_NONE;
}

void test_random_game(hexgpu_board *board, int size, uint64_t seed, int max_moves) {
    int legal[HEXGPU_MAX_CELLS];
    hexgpu_board_init(board, size, NULL);
    for (int m = 0; m < max_moves; m++) {
        int count = hexgpu_board_legal_moves(board, legal);
        if (count == 0) break;
        hexgpu_board_play(board, legal[test_rng_below(&seed, count)], NULL);
    }
}
