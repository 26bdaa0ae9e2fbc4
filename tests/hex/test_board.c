/* Hex rules: known positions, incremental win detection against a flood fill, undo,
 * hash, packed-position conversion, corners and tiny boards. */
#include <criterion/criterion.h>
#include <string.h>

#include "hex/board.h"
#include "hex/random_games.h"

static const int sizes[] = {1, 2, 3, 5, 11, 13, 19};
#define SIZE_COUNT ((int)(sizeof sizes / sizeof sizes[0]))

static int cell_of(int n, int row, int col) { return row * n + col; }

/* Every field undo promises to restore, compared over the part of each array in use. */
static void assert_same_board(const hexgpu_board *a, const hexgpu_board *b) {
    cr_assert_eq(a->size, b->size);
    cr_assert_eq(a->move_count, b->move_count);
    cr_assert_eq(a->empty_count, b->empty_count);
    cr_assert_eq(a->log_count, b->log_count);
    cr_assert_eq(a->to_move, b->to_move);
    cr_assert_eq(a->winner, b->winner);
    cr_assert_eq(a->hash, b->hash);
    cr_assert_eq(memcmp(a->stones, b->stones, sizeof a->stones), 0);
    size_t cells = (size_t)a->cells;
    cr_assert_eq(memcmp(a->parent, b->parent, cells * sizeof a->parent[0]), 0);
    cr_assert_eq(memcmp(a->group_size, b->group_size, cells * sizeof a->group_size[0]), 0);
    /* Edge flags matter at roots only: an empty cell's flags are reset when it is played. */
    for (int c = 0; c < a->cells; c++)
        if (a->parent[c] == c && hexgpu_board_at(a, c) != HEXGPU_NONE) cr_assert_eq(a->edges[c], b->edges[c]);
    cr_assert_eq(memcmp(a->empty, b->empty, (size_t)a->empty_count * sizeof a->empty[0]), 0);
    cr_assert_eq(memcmp(a->moves, b->moves, (size_t)a->move_count * sizeof a->moves[0]), 0);
}

Test(board, empty_board_blue_to_move_then_red) {
    hexgpu_board b;
    cr_assert_eq(hexgpu_board_init(&b, 13, NULL), HEXGPU_OK);
    cr_assert_eq(hexgpu_board_to_move(&b), HEXGPU_BLUE);
    cr_assert_eq(hexgpu_board_winner(&b), HEXGPU_NONE);
    cr_assert_eq(b.empty_count, 169);
    cr_assert_eq(hexgpu_board_play(&b, 0, NULL), HEXGPU_OK);
    cr_assert_eq(hexgpu_board_to_move(&b), HEXGPU_RED);
    cr_assert_eq(hexgpu_board_at(&b, 0), HEXGPU_BLUE);
    cr_assert_eq(hexgpu_board_move_count(&b), 1);
}

Test(board, rejects_bad_sizes_and_illegal_moves) {
    hexgpu_board b;
    hexgpu_error err;
    cr_assert_eq(hexgpu_board_init(&b, 0, &err), HEXGPU_ERR_INVALID_ARGUMENT);
    cr_assert_eq(hexgpu_board_init(&b, 20, &err), HEXGPU_ERR_INVALID_ARGUMENT);
    cr_assert(strstr(err.message, "20"), "%s", err.message);
    hexgpu_board_init(&b, 5, NULL);
    cr_assert_eq(hexgpu_board_play(&b, 25, &err), HEXGPU_ERR_INVALID_ARGUMENT);
    cr_assert_eq(hexgpu_board_play(&b, -1, &err), HEXGPU_ERR_INVALID_ARGUMENT);
    hexgpu_board_play(&b, 7, NULL);
    uint64_t hash = hexgpu_board_hash(&b);
    cr_assert_eq(hexgpu_board_play(&b, 7, &err), HEXGPU_ERR_INVALID_ARGUMENT);
    cr_assert(strstr(err.message, "taken"), "%s", err.message);
    cr_assert_eq(hexgpu_board_hash(&b), hash);
    cr_assert_eq(hexgpu_board_move_count(&b), 1);
    cr_assert_not(hexgpu_board_is_legal(&b, 7));
    cr_assert(hexgpu_board_is_legal(&b, 8));
    hexgpu_board_undo(&b, NULL);
    cr_assert_eq(hexgpu_board_undo(&b, &err), HEXGPU_ERR_INVALID_ARGUMENT);
}

/* The spec's pinned position: Blue fills column g (Red answers along row 7), g7 last. */
Test(board, column_g_wins_for_blue_only_with_g7) {
    hexgpu_board b;
    hexgpu_board_init(&b, 13, NULL);
    for (int row = 0; row < 13; row++) {
        if (row == 6) continue;
        cr_assert_eq(hexgpu_board_play(&b, cell_of(13, row, 6), NULL), HEXGPU_OK);
        cr_assert_eq(hexgpu_board_play(&b, cell_of(13, 6, row), NULL), HEXGPU_OK);
        cr_assert_eq(hexgpu_board_winner(&b), HEXGPU_NONE);
    }
    cr_assert_eq(hexgpu_board_to_move(&b), HEXGPU_BLUE);
    cr_assert_eq(hexgpu_board_play(&b, cell_of(13, 6, 6), NULL), HEXGPU_OK);
    cr_assert_eq(hexgpu_board_winner(&b), HEXGPU_BLUE);
    cr_assert_eq(hexgpu_board_legal_moves(&b, (int[HEXGPU_MAX_CELLS]){0}), 0);
    hexgpu_error err;
    cr_assert_eq(hexgpu_board_play(&b, cell_of(13, 7, 0), &err), HEXGPU_ERR_INVALID_ARGUMENT);
    cr_assert(strstr(err.message, "won"), "%s", err.message);
    hexgpu_board_undo(&b, NULL);
    cr_assert_eq(hexgpu_board_winner(&b), HEXGPU_NONE);
    cr_assert(hexgpu_board_is_legal(&b, cell_of(13, 7, 0)));
}

Test(board, one_by_one_first_move_wins_for_blue) {
    hexgpu_board b;
    hexgpu_board_init(&b, 1, NULL);
    cr_assert_eq(hexgpu_board_legal_moves(&b, (int[1]){0}), 1);
    cr_assert_eq(hexgpu_board_play(&b, 0, NULL), HEXGPU_OK);
    cr_assert_eq(hexgpu_board_winner(&b), HEXGPU_BLUE);
    cr_assert_eq(hexgpu_board_to_move(&b), HEXGPU_RED);
    cr_assert_eq(b.empty_count, 0);
}

/* s1 touches Blue's top edge and Red's right edge; s19 the bottom and right; a19 the
 * bottom and left. Each corner stone carries the right edge flags. */
Test(board, corners_of_19x19_join_their_edges) {
    hexgpu_board b;
    hexgpu_board_init(&b, 19, NULL);
    /* Blue walks column s from s1 down while Red walks row 19 from a19. */
    for (int row = 0; row < 19; row++) {
        cr_assert_eq(hexgpu_board_play(&b, cell_of(19, row, 18), NULL), HEXGPU_OK);
        cr_assert_eq(hexgpu_board_winner(&b), row == 18 ? HEXGPU_BLUE : HEXGPU_NONE);
        if (row < 18) cr_assert_eq(hexgpu_board_play(&b, cell_of(19, 18, row), NULL), HEXGPU_OK);
        cr_assert_eq(hexgpu_board_winner(&b), test_flood_winner(&b));
    }
    cr_assert_eq(hexgpu_board_at(&b, 18), HEXGPU_BLUE);  /* s1 */
    cr_assert_eq(hexgpu_board_at(&b, 360), HEXGPU_BLUE); /* s19 */
    cr_assert_eq(hexgpu_board_at(&b, 342), HEXGPU_RED);  /* a19 */
    /* The same walk with Red completing the bottom row instead: a19..s19 for Red. */
    hexgpu_board_init(&b, 19, NULL);
    for (int col = 0; col < 19; col++) {
        cr_assert_eq(hexgpu_board_play(&b, cell_of(19, 0, col), NULL), HEXGPU_OK); /* Blue on row 1 */
        cr_assert_eq(hexgpu_board_play(&b, cell_of(19, 18, col), NULL), HEXGPU_OK);
        cr_assert_eq(hexgpu_board_winner(&b), col == 18 ? HEXGPU_RED : HEXGPU_NONE);
    }
}

/* After every move of many random games, the incremental winner equals the flood fill. */
Test(board, random_games_match_flood_fill_after_every_move) {
    int legal[HEXGPU_MAX_CELLS];
    for (int s = 0; s < SIZE_COUNT; s++) {
        for (uint64_t seed = 1; seed <= 20; seed++) {
            hexgpu_board b;
            uint64_t rng = seed * 1000 + (uint64_t)sizes[s];
            hexgpu_board_init(&b, sizes[s], NULL);
            for (;;) {
                int count = hexgpu_board_legal_moves(&b, legal);
                cr_assert_eq(count, hexgpu_board_winner(&b) == HEXGPU_NONE ? b.empty_count : 0);
                if (count == 0) break;
                cr_assert_eq(hexgpu_board_play(&b, legal[test_rng_below(&rng, count)], NULL), HEXGPU_OK);
                cr_assert_eq(hexgpu_board_winner(&b), test_flood_winner(&b), "size %d seed %llu move %d",
                             sizes[s], (unsigned long long)seed, b.move_count);
            }
            cr_assert_neq(hexgpu_board_winner(&b), HEXGPU_NONE, "a game ends with a winner");
            /* The winner is the side that moved last. */
            cr_assert_eq(hexgpu_board_winner(&b), hexgpu_board_to_move(&b) ^ 1);
        }
    }
}

/* Random play/undo walks: each undo restores the board exactly as it was. */
Test(board, undo_restores_every_field) {
    static hexgpu_board history[HEXGPU_MAX_CELLS + 1];
    for (int s = 0; s < SIZE_COUNT; s++) {
        uint64_t rng = 77 + (uint64_t)s;
        hexgpu_board b;
        hexgpu_board_init(&b, sizes[s], NULL);
        hexgpu_board_copy(&history[0], &b);
        for (int step = 0; step < 3000; step++) {
            int undo = b.move_count > 0 && (b.winner != HEXGPU_NONE || test_rng_below(&rng, 10) < 4);
            if (undo) {
                cr_assert_eq(hexgpu_board_undo(&b, NULL), HEXGPU_OK);
                assert_same_board(&b, &history[b.move_count]);
            } else {
                int cell = hexgpu_board_empty_cell(&b, test_rng_below(&rng, b.empty_count));
                cr_assert_eq(hexgpu_board_play(&b, cell, NULL), HEXGPU_OK);
                hexgpu_board_copy(&history[b.move_count], &b);
            }
            cr_assert_eq(hexgpu_board_winner(&b), test_flood_winner(&b));
        }
        while (b.move_count > 0) {
            hexgpu_board_undo(&b, NULL);
            assert_same_board(&b, &history[b.move_count]);
        }
        hexgpu_board fresh;
        hexgpu_board_init(&fresh, sizes[s], NULL);
        assert_same_board(&b, &fresh);
    }
}

Test(board, hash_follows_stones_size_and_side) {
    hexgpu_board a, b;
    /* Transposition: the same stones reached in another order hash the same. */
    hexgpu_board_init(&a, 7, NULL);
    hexgpu_board_init(&b, 7, NULL);
    int order_a[] = {3, 10, 24, 40}, order_b[] = {24, 40, 3, 10};
    for (int i = 0; i < 4; i++) {
        hexgpu_board_play(&a, order_a[i], NULL);
        hexgpu_board_play(&b, order_b[i], NULL);
    }
    cr_assert_eq(hexgpu_board_hash(&a), hexgpu_board_hash(&b));
    /* Swapping which colour holds which cells changes the hash. */
    hexgpu_board_init(&b, 7, NULL);
    int swapped[] = {10, 3, 40, 24};
    for (int i = 0; i < 4; i++) hexgpu_board_play(&b, swapped[i], NULL);
    cr_assert_neq(hexgpu_board_hash(&a), hexgpu_board_hash(&b));
    /* Every size's empty board and every size's board with a1 differ. */
    uint64_t seen[2 * HEXGPU_MAX_SIZE];
    for (int n = 1; n <= HEXGPU_MAX_SIZE; n++) {
        hexgpu_board_init(&a, n, NULL);
        seen[2 * (n - 1)] = hexgpu_board_hash(&a);
        hexgpu_board_play(&a, 0, NULL);
        seen[2 * (n - 1) + 1] = hexgpu_board_hash(&a);
    }
    for (int i = 0; i < 2 * HEXGPU_MAX_SIZE; i++)
        for (int j = 0; j < i; j++) cr_assert_neq(seen[i], seen[j], "hash %d equals hash %d", i, j);
    /* Side to move: on a board the side follows from the stones, so it shows in the
     * packed position, whose hash must tell the sides apart as well. */
    hexgpu_position p;
    hexgpu_board_to_position(&a, &p);
    uint64_t red_to_move = hexgpu_position_hash(&p);
    p.to_move = HEXGPU_BLUE;
    cr_assert_neq(hexgpu_position_hash(&p), red_to_move);
    /* No two positions in one random game share a hash. */
    uint64_t game[HEXGPU_MAX_CELLS + 1];
    uint64_t rng = 5;
    hexgpu_board_init(&a, 11, NULL);
    game[0] = hexgpu_board_hash(&a);
    while (hexgpu_board_winner(&a) == HEXGPU_NONE) {
        hexgpu_board_play(&a, hexgpu_board_empty_cell(&a, test_rng_below(&rng, a.empty_count)), NULL);
        game[a.move_count] = hexgpu_board_hash(&a);
        for (int j = 0; j < a.move_count; j++) cr_assert_neq(game[j], game[a.move_count]);
    }
}

Test(board, packed_position_round_trip) {
    for (int s = 0; s < SIZE_COUNT; s++) {
        for (uint64_t seed = 1; seed <= 5; seed++) {
            hexgpu_board b, back;
            test_random_game(&b, sizes[s], seed, (int)(seed * 7));
            hexgpu_position p;
            hexgpu_board_to_position(&b, &p);
            cr_assert_eq(hexgpu_position_validate(&p, NULL), HEXGPU_OK);
            cr_assert_eq(p.to_move, b.to_move);
            for (int c = 0; c < b.cells; c++) cr_assert_eq(hexgpu_position_at(&p, c), hexgpu_board_at(&b, c));
            cr_assert_eq(hexgpu_board_from_position(&back, &p, NULL), HEXGPU_OK);
            cr_assert_eq(hexgpu_board_hash(&back), hexgpu_board_hash(&b), "the hash depends on stones, not order");
            cr_assert_eq(back.winner, b.winner);
            cr_assert_eq(back.to_move, b.to_move);
            cr_assert_eq(back.move_count, b.move_count);
            hexgpu_position again;
            hexgpu_board_to_position(&back, &again);
            cr_assert(hexgpu_position_equal(&p, &again));
        }
    }
    hexgpu_position bad;
    hexgpu_position_init(&bad, 5);
    bad.red[0] = 1; /* a red stone with no blue one */
    hexgpu_board b;
    hexgpu_error err;
    cr_assert_eq(hexgpu_board_from_position(&b, &bad, &err), HEXGPU_ERR_INVALID_POSITION);
}

/* Full boards (random stones, Blue one ahead or level): exactly one side connects. */
Test(board, full_board_has_exactly_one_winner) {
    for (int s = 0; s < SIZE_COUNT; s++) {
        int n = sizes[s], cells = n * n;
        for (uint64_t seed = 1; seed <= 30; seed++) {
            uint64_t rng = seed;
            int order[HEXGPU_MAX_CELLS];
            for (int c = 0; c < cells; c++) order[c] = c;
            for (int c = cells - 1; c > 0; c--) {
                int j = test_rng_below(&rng, c + 1), t = order[c];
                order[c] = order[j];
                order[j] = t;
            }
            hexgpu_position p;
            hexgpu_position_init(&p, n);
            for (int i = 0; i < cells; i++) {
                uint64_t *mask = i % 2 == 0 ? p.blue : p.red;
                mask[order[i] / 64] |= 1ull << (order[i] % 64);
            }
            p.to_move = cells % 2 ? HEXGPU_RED : HEXGPU_BLUE;
            hexgpu_board b;
            cr_assert_eq(hexgpu_board_from_position(&b, &p, NULL), HEXGPU_OK);
            int blue = test_flood_connects(&b, HEXGPU_BLUE), red = test_flood_connects(&b, HEXGPU_RED);
            cr_assert_eq(blue + red, 1, "size %d seed %llu: blue %d red %d", n, (unsigned long long)seed, blue, red);
            cr_assert_eq(hexgpu_board_winner(&b), blue ? HEXGPU_BLUE : HEXGPU_RED);
            cr_assert_eq(hexgpu_board_legal_moves(&b, order), 0);
            /* Undo on a board built from a won position keeps the winner right. */
            while (b.move_count > 0) {
                hexgpu_board_undo(&b, NULL);
                cr_assert_eq(hexgpu_board_winner(&b), test_flood_winner(&b));
            }
            /* Back to empty: the empty list is every cell once, each where its index says. */
            cr_assert_eq(b.empty_count, cells);
            for (int i = 0; i < cells; i++) {
                cr_assert_eq(b.empty_index[b.empty[i]], i);
                cr_assert_eq(b.parent[i], i);
                cr_assert_eq(b.group_size[i], 1);
            }
        }
    }
}

Test(board, copy_is_independent_and_complete) {
    hexgpu_board a, b;
    test_random_game(&a, 13, 9, 40);
    hexgpu_board_copy(&b, &a);
    assert_same_board(&a, &b);
    while (b.move_count > 0) hexgpu_board_undo(&b, NULL);
    cr_assert_eq(a.move_count, 40);
    hexgpu_board fresh;
    hexgpu_board_init(&fresh, 13, NULL);
    assert_same_board(&b, &fresh);
}
