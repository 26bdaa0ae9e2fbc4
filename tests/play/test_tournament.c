/* The tournament driver on the synthetic backend: the round-robin schedule (pairs in
 * order, each round's two games from one opening with each player Blue once, rounds
 * first), every game played and counted once (records valid, won as stated, the wins
 * table their sum), one engine per model (two players on one engine), the same games for
 * a seed whatever the games in flight, an interrupt keeping every finished game, and a
 * callback's failure or a bad player ending it with its error. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/interrupt.h"
#include "hex/trmph.h"
#include "host/host_support.h"
#include "play/selfplay.h"
#include "play/tournament.h"
#include "support/games_seen.h"

#define SIZE 7
typedef hexgpu_test_games_seen seen;

static hexgpu_status on_game(void *user, const hexgpu_tournament_game *g, hexgpu_error *err) {
    return hexgpu_test_games_seen_record(user, g->index, err);
}

typedef struct fixture {
    hexgpu_engine *engines[2];
    void *contexts[2];
    hexgpu_game_player players[3];
    hexgpu_tournament_config config;
} fixture;

/* Three players: 0 and 1 share engine 0 (one model, two settings), 2 has engine 1. */
static void fixture_open(fixture *f, int64_t rounds, int in_flight) {
    memset(f, 0, sizeof *f);
    hexgpu_synthetic_config sc = {.board_size = SIZE};
    hexgpu_engine_options o;
    hexgpu_engine_options_default(&o);
    o.cache_entries = 0; /* every leaf reaches its engine */
    for (int e = 0; e < 2; e++) f->engines[e] = host_test_engine(&sc, &o, &f->contexts[e]);
    const int sims[3] = {6, 2, 4};
    for (int p = 0; p < 3; p++) {
        f->players[p].engine = f->engines[p == 2];
        hexgpu_mcts_config_default(&f->players[p].mcts);
        f->players[p].mcts.simulations = sims[p];
        f->players[p].mcts.dirichlet_epsilon = 0.0f;
    }
    hexgpu_tournament_config_default(&f->config);
    f->config.players = f->players;
    f->config.player_count = 3;
    f->config.board_size = SIZE;
    f->config.rounds = rounds;
    f->config.games_in_flight = in_flight;
    f->config.seed = 99;
}

static void fixture_close(fixture *f) {
    for (int e = 0; e < 2; e++) hexgpu_engine_close(f->engines[e]);
}

Test(tournament, pairs_and_schedule) {
    int a, b;
    const int want[6][2] = {{0, 1}, {0, 2}, {0, 3}, {1, 2}, {1, 3}, {2, 3}};
    for (int p = 0; p < 6; p++) {
        hexgpu_tournament_pair(4, p, &a, &b);
        cr_assert(a == want[p][0] && b == want[p][1], "pair %d: %d,%d", p, a, b);
    }
    hexgpu_tournament_config c;
    hexgpu_tournament_config_default(&c);
    c.player_count = 3, c.board_size = SIZE, c.rounds = 4;
    int pie[HEXGPU_MAX_CELLS], count = hexgpu_selfplay_pie_openings(SIZE, pie);
    /* Game k: round k/6, pair (k%6)/2, the pair's first player Blue when k is even. */
    const int blue[6] = {0, 1, 0, 2, 1, 2}, red[6] = {1, 0, 2, 0, 2, 1};
    for (int64_t k = 0; k < 24; k++) {
        int64_t round;
        hexgpu_game_setup s;
        hexgpu_tournament_game_setup(&c, k, &round, &s);
        cr_assert_eq(round, k / 6);
        cr_assert(s.blue == blue[k % 6] && s.red == red[k % 6], "game %lld: %d-%d", (long long)k, s.blue, s.red);
        cr_assert_eq(s.opening, pie[round % count]);
    }
    c.pie_openings = 0;
    int64_t round;
    hexgpu_game_setup s;
    hexgpu_tournament_game_setup(&c, 7, &round, &s);
    cr_assert_eq(s.opening, -1);
}

static void run(fixture *f, seen *s, hexgpu_tournament_result *r, hexgpu_status want) {
    hexgpu_error err = {0};
    hexgpu_status st = hexgpu_tournament_run(&f->config, on_game, s, r, &err);
    cr_assert_eq(st, want, "%s", err.message);
}

Test(tournament, every_game_played_and_counted_once, .timeout = 120) {
    fixture f;
    fixture_open(&f, 3, 5);
    seen s = {0};
    hexgpu_tournament_result r;
    run(&f, &s, &r, HEXGPU_OK);
    cr_assert_eq(r.scheduled, 18);
    cr_assert_eq(r.games, 18);
    cr_assert_eq(s.calls, 18);
    cr_assert(!r.interrupted);
    int pie[HEXGPU_MAX_CELLS];
    hexgpu_selfplay_pie_openings(SIZE, pie);
    int64_t wins[9] = {0}, blue_games[3] = {0}, pair_games[9] = {0}, blue_wins = 0, moves = 0;
    for (int64_t k = 0; k < r.games; k++) {
        const hexgpu_tournament_game *g = &r.list[k];
        cr_assert_eq(g->index, k);
        cr_assert_eq(g->round, k / 6);
        hexgpu_board board;
        hexgpu_color winner;
        hexgpu_error err;
        cr_assert_eq(hexgpu_trmph_parse_record(g->record, &board, &winner, &err), HEXGPU_OK, "%s", g->record);
        cr_assert_eq(hexgpu_board_winner(&board), winner);
        cr_assert_eq(winner, g->winner);
        cr_assert_eq(hexgpu_board_move_count(&board), g->moves);
        cr_assert_eq(board.moves[0], pie[g->round]);
        cr_assert_eq(g->opening, pie[g->round]);
        int w = winner == HEXGPU_BLUE ? g->blue : g->red, l = w == g->blue ? g->red : g->blue;
        wins[w * 3 + l]++;
        blue_games[g->blue]++;
        pair_games[g->blue * 3 + g->red]++;
        blue_wins += winner == HEXGPU_BLUE, moves += g->moves;
    }
    cr_assert_arr_eq(wins, r.wins, sizeof wins);
    cr_assert_eq(r.blue_wins, blue_wins);
    cr_assert_eq(r.moves, moves);
    for (int p = 0; p < 3; p++) cr_assert_eq(blue_games[p], 6, "player %d was Blue %lld times", p, (long long)blue_games[p]);
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++) cr_assert_eq(pair_games[a * 3 + b], a == b ? 0 : 3, "%d blue against %d", a, b);
    /* Both engines worked: players 0 and 1 on the first, 2 on the second. */
    cr_assert_gt(hexgpu_synthetic_batches(f.contexts[0]), 0);
    cr_assert_gt(hexgpu_synthetic_batches(f.contexts[1]), 0);
    hexgpu_tournament_result_free(&r);
    fixture_close(&f);
}

Test(tournament, same_seed_same_games_whatever_in_flight, .timeout = 120) {
    hexgpu_tournament_result r[3];
    for (int i = 0; i < 3; i++) {
        fixture f;
        fixture_open(&f, 2, i == 0 ? 1 : 12);
        if (i == 2) f.config.seed = 100;
        seen s = {0};
        run(&f, &s, &r[i], HEXGPU_OK);
        fixture_close(&f);
    }
    int differ = 0;
    for (int64_t k = 0; k < 12; k++) {
        cr_assert_str_eq(r[0].list[k].record, r[1].list[k].record, "game %lld", (long long)k);
        differ += strcmp(r[0].list[k].record, r[2].list[k].record) != 0;
    }
    cr_assert_arr_eq(r[0].wins, r[1].wins, 9 * sizeof *r[0].wins);
    cr_assert_gt(differ, 0, "another seed, the same games");
    for (int i = 0; i < 3; i++) hexgpu_tournament_result_free(&r[i]);
}

Test(tournament, without_pie_openings_games_start_empty, .timeout = 120) {
    fixture f;
    fixture_open(&f, 1, 4);
    f.config.pie_openings = 0;
    seen s = {0};
    hexgpu_tournament_result r;
    run(&f, &s, &r, HEXGPU_OK);
    cr_assert_eq(r.games, 6);
    for (int64_t k = 0; k < r.games; k++) {
        hexgpu_board board;
        hexgpu_color winner;
        hexgpu_error err;
        cr_assert_eq(r.list[k].opening, -1);
        cr_assert_eq(hexgpu_trmph_parse_record(r.list[k].record, &board, &winner, &err), HEXGPU_OK);
        cr_assert_eq(hexgpu_board_winner(&board), winner);
    }
    hexgpu_tournament_result_free(&r);
    fixture_close(&f);
}

Test(tournament, interrupt_keeps_every_finished_game, .timeout = 120) {
    fixture f;
    fixture_open(&f, 4, 6);
    volatile sig_atomic_t flag = 0;
    f.config.interrupt = &flag;
    seen s = {.interrupt_at = 5, .interrupt = &flag};
    hexgpu_tournament_result r;
    run(&f, &s, &r, HEXGPU_OK);
    cr_assert(r.interrupted);
    cr_assert_eq(r.games, s.calls, "every game reported is kept");
    cr_assert_geq(r.games, 5);
    cr_assert_lt(r.games, r.scheduled);
    int64_t total = 0;
    for (int i = 0; i < 9; i++) total += r.wins[i];
    cr_assert_eq(total, r.games);
    for (int64_t k = 1; k < r.games; k++) cr_assert_gt(r.list[k].index, r.list[k - 1].index);
    hexgpu_tournament_result_free(&r);
    fixture_close(&f);
}

Test(tournament, failures, .timeout = 120) {
    fixture f;
    fixture_open(&f, 2, 3);
    seen s = {.fail_at = 2};
    hexgpu_tournament_result r;
    run(&f, &s, &r, HEXGPU_ERR_IO);
    cr_assert_eq(r.games, 2, "the games finished before the failure are kept");
    hexgpu_tournament_result_free(&r);
    hexgpu_error err = {0};
    f.players[1].mcts.simulations = 0;
    cr_assert_eq(hexgpu_tournament_run(&f.config, NULL, NULL, &r, &err), HEXGPU_ERR_INVALID_ARGUMENT);
    cr_assert_str_eq(err.message, "tournament: player 2 needs simulations >= 1");
    hexgpu_tournament_result_free(&r);
    f.players[1].mcts.simulations = 2;
    f.config.player_count = 1;
    cr_assert_eq(hexgpu_tournament_run(&f.config, NULL, NULL, &r, &err), HEXGPU_ERR_INVALID_ARGUMENT);
    hexgpu_tournament_result_free(&r);
    f.config.player_count = 3;
    f.config.board_size = 9;
    cr_assert_eq(hexgpu_tournament_run(&f.config, NULL, NULL, &r, &err), HEXGPU_ERR_INVALID_ARGUMENT);
    cr_assert(strstr(err.message, "player 1's network plays 7x7, the tournament 9x9"), "%s", err.message);
    hexgpu_tournament_result_free(&r);
    fixture_close(&f);
}
