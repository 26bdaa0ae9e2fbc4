/* The self-play driver on the synthetic backend (records valid and won as stated,
 * reproducible for a seed whatever the workers and games in flight, openings, every
 * simulation counted, callback errors stop the run). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/host_support.h"
#include "play/selfplay.h"
#include "hex/trmph.h"
#include "base/interrupt.h"

#define MAX_GAMES 64

typedef struct collected {
    char records[MAX_GAMES][HEXGPU_TRMPH_MAX];
    int moves[MAX_GAMES];
    hexgpu_color winner[MAX_GAMES];
    int count;
    int fail_at; /* return an I/O error at this game count (0: never) */
    int interrupt_at; /* set *interrupt at this game count (0: never) */
    volatile sig_atomic_t *interrupt;
} collected;

static hexgpu_status collect(void *user, const hexgpu_selfplay_game *game, hexgpu_error *err) {
    collected *c = user;
    cr_assert_lt(game->index, MAX_GAMES);
    cr_assert_eq(c->records[game->index][0], '\0', "game %lld reported twice", (long long)game->index);
    snprintf(c->records[game->index], HEXGPU_TRMPH_MAX, "%s", game->record);
    c->moves[game->index] = game->moves;
    c->winner[game->index] = game->winner;
    ++c->count;
    if (c->count == c->interrupt_at) hexgpu_interrupt_raise(c->interrupt);
    if (c->count == c->fail_at) {
        snprintf(err->message, sizeof err->message, "test: disk full");
        err->status = HEXGPU_ERR_IO;
        return HEXGPU_ERR_IO;
    }
    return HEXGPU_OK;
}

static hexgpu_selfplay_config small_config(int games, int sims, int gumbel) {
    hexgpu_selfplay_config c;
    hexgpu_selfplay_config_default(&c);
    c.games = games;
    c.mcts.simulations = sims;
    c.mcts.gumbel = gumbel;
    c.seed = 1234;
    return c;
}

static hexgpu_status play(const hexgpu_selfplay_config *config, int size, collected *c, hexgpu_selfplay_stats *stats,
                          hexgpu_error *err) {
    hexgpu_synthetic_config sc = {.board_size = size};
    hexgpu_engine_options o;
    hexgpu_engine_options_default(&o);
    o.cache_entries = 4096;
    hexgpu_engine *e = host_test_engine(&sc, &o, NULL);
    hexgpu_status st = hexgpu_selfplay_run(e, config, collect, c, stats, err);
    hexgpu_engine_close(e);
    return st;
}

/* Each record parses, ends in a win by the side it names, and matches what the driver said. */
static void check_records(const collected *c, int games, int size) {
    cr_assert_eq(c->count, games);
    for (int k = 0; k < games; k++) {
        hexgpu_board board;
        hexgpu_color winner;
        hexgpu_error err;
        cr_assert_eq(hexgpu_trmph_parse_record(c->records[k], &board, &winner, &err), HEXGPU_OK, "game %d: %s (%s)",
                     k, err.message, c->records[k]);
        cr_assert_eq(board.size, size);
        cr_assert_eq(hexgpu_board_winner(&board), winner);
        cr_assert_eq(winner, c->winner[k]);
        cr_assert_eq(hexgpu_board_move_count(&board), c->moves[k]);
    }
}

Test(selfplay, records_are_finished_games_and_every_simulation_counts, .timeout = 120) {
    for (int gumbel = 0; gumbel <= 1; gumbel++) {
        hexgpu_selfplay_config config = small_config(12, 24, gumbel);
        config.opening = HEXGPU_OPENING_PIE_RULE;
        config.bad_move_frequency = 0.0; /* the cycle alone (bad first moves: below) */
        config.games_in_flight = 5, config.leaves_per_game = 3;
        collected *c = calloc(1, sizeof *c);
        hexgpu_selfplay_stats stats;
        hexgpu_error err = {0};
        cr_assert_eq(play(&config, 5, c, &stats, &err), HEXGPU_OK, "%s", err.message);
        check_records(c, 12, 5);
        int pie[25];
        int pie_count = hexgpu_selfplay_pie_openings(5, pie);
        cr_assert_eq(pie_count, 8);
        int64_t moves = 0;
        for (int k = 0; k < 12; k++) {
            hexgpu_board board;
            hexgpu_trmph_parse(c->records[k], &board, NULL);
            cr_assert_eq(board.moves[0], pie[k % pie_count], "game %d opened at %d", k, board.moves[0]);
            moves += c->moves[k];
        }
        cr_assert_eq(stats.games, 12);
        cr_assert_eq(stats.moves, moves);
        /* Every searched move (all but the opening stone) spent exactly its budget. */
        cr_assert_eq(stats.simulations, (moves - 12) * 24);
        cr_assert_gt(stats.leaf_requests, 0);
        cr_assert_leq(stats.leaf_requests, stats.simulations + (moves - 12));
        free(c);
    }
}

/* The reference's --bad_move_frequency: with pie_rule openings that share of games opens
 * on the first row off its corners (b1..d1 on 5x5) instead of the balanced cycle; every
 * other game keeps the cycle's cell. */
Test(selfplay, bad_first_moves_replace_that_share_of_pie_openings, .timeout = 120) {
    int pie[25];
    int pie_count = hexgpu_selfplay_pie_openings(5, pie);
    const double shares[] = {0.0, 0.25, 1.0};
    for (int s = 0; s < 3; s++) {
        hexgpu_selfplay_config config = small_config(MAX_GAMES, 2, 1);
        config.opening = HEXGPU_OPENING_PIE_RULE;
        config.bad_move_frequency = shares[s];
        collected *c = calloc(1, sizeof *c);
        hexgpu_error err = {0};
        cr_assert_eq(play(&config, 5, c, NULL, &err), HEXGPU_OK, "%s", err.message);
        check_records(c, MAX_GAMES, 5);
        int bad = 0;
        for (int k = 0; k < MAX_GAMES; k++) {
            hexgpu_board board;
            hexgpu_trmph_parse(c->records[k], &board, NULL);
            int first = board.moves[0];
            if (first >= 1 && first <= 3) bad++; /* b1, c1, d1 */
            else cr_assert_eq(first, pie[k % pie_count], "game %d opened at %d", k, first);
        }
        if (shares[s] == 0.0) cr_assert_eq(bad, 0);
        else if (shares[s] == 1.0) cr_assert_eq(bad, MAX_GAMES);
        else cr_assert(bad >= 6 && bad <= 28, "%d of %d games opened badly at share 0.25", bad, MAX_GAMES);
        free(c);
    }
}

/* A game is a function of the seed and its index: the same records with one worker and
 * one game at a time as with three workers and several games and leaves in flight. */
Test(selfplay, reproducible_for_a_seed, .timeout = 120) {
    hexgpu_selfplay_config a = small_config(10, 16, 1);
    a.opening = HEXGPU_OPENING_RANDOM;
    a.workers = 1, a.games_in_flight = 1, a.leaves_per_game = 2;
    hexgpu_selfplay_config b = a;
    b.workers = 3, b.games_in_flight = 4;
    collected *x = calloc(1, sizeof *x), *y = calloc(1, sizeof *y), *z = calloc(1, sizeof *z);
    hexgpu_error err = {0};
    cr_assert_eq(play(&a, 6, x, NULL, &err), HEXGPU_OK, "%s", err.message);
    cr_assert_eq(play(&b, 6, y, NULL, &err), HEXGPU_OK, "%s", err.message);
    check_records(x, 10, 6);
    for (int k = 0; k < 10; k++) cr_assert_str_eq(x->records[k], y->records[k], "game %d differs", k);
    /* Another seed gives other games. */
    a.seed = 99;
    cr_assert_eq(play(&a, 6, z, NULL, &err), HEXGPU_OK, "%s", err.message);
    int same = 0;
    for (int k = 0; k < 10; k++) same += strcmp(x->records[k], z->records[k]) == 0;
    cr_assert_lt(same, 10);
    free(x), free(y), free(z);
}

Test(selfplay, callback_error_stops_the_run, .timeout = 120) {
    hexgpu_selfplay_config config = small_config(40, 8, 1);
    collected *c = calloc(1, sizeof *c);
    c->fail_at = 3;
    hexgpu_error err = {0};
    hexgpu_selfplay_stats stats;
    cr_assert_eq(play(&config, 4, c, &stats, &err), HEXGPU_ERR_IO);
    cr_assert_str_eq(err.message, "test: disk full");
    cr_assert_eq(c->count, 3);
    free(c);
}

/* What a signal handler does: the run stops soon, without error, and says so. */
Test(selfplay, interrupt_stops_the_run, .timeout = 120) {
    static volatile sig_atomic_t flag;
    hexgpu_selfplay_config config = small_config(60, 8, 1);
    config.games_in_flight = 2;
    config.interrupt = &flag;
    collected *c = calloc(1, sizeof *c);
    c->interrupt_at = 2, c->interrupt = &flag;
    hexgpu_error err = {0};
    hexgpu_selfplay_stats stats;
    cr_assert_eq(play(&config, 4, c, &stats, &err), HEXGPU_OK, "%s", err.message);
    cr_assert_eq(stats.interrupted, 1);
    cr_assert_geq(c->count, 2);
    cr_assert_leq(c->count, 3); /* the other game in flight may finish in the same round */
    cr_assert_eq(stats.games, c->count);
    free(c);
}

Test(selfplay, invalid_config_is_refused) {
    hexgpu_selfplay_config config = small_config(1, 0, 1);
    hexgpu_synthetic_config sc = {.board_size = 3};
    hexgpu_engine *e = host_test_engine(&sc, NULL, NULL);
    hexgpu_error err = {0};
    cr_assert_eq(hexgpu_selfplay_run(e, &config, NULL, NULL, NULL, &err), HEXGPU_ERR_INVALID_ARGUMENT);
    cr_assert(strstr(err.message, "simulations"), "%s", err.message);
    config = small_config(1, 4, 1);
    config.workers = 0;
    cr_assert_eq(hexgpu_selfplay_run(e, &config, NULL, NULL, NULL, &err), HEXGPU_ERR_INVALID_ARGUMENT);
    hexgpu_engine_close(e);
}
