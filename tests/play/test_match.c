/* The match driver on the synthetic backend: an interrupt or a failure keeps every game
 * that finished (counted, in the list in index order), also those that finished after a
 * game still in flight; an SPRT stop counts games in index order only. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/interrupt.h"
#include "host/host_support.h"
#include "play/match.h"
#include "support/games_seen.h"

#define SIZE 7
/* The games the callback saw, and the wins of player A among them. */
typedef struct seen {
    hexgpu_test_games_seen games;
    int a_wins;
} seen;

static hexgpu_status on_game(void *user, const hexgpu_match_game *g, hexgpu_error *err) {
    seen *s = user;
    s->a_wins += (g->winner == HEXGPU_BLUE) == g->a_blue;
    return hexgpu_test_games_seen_record(&s->games, g->index, err);
}

static int by_index(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Plays a match of 40 games, 16 in flight, stopped by s's interrupt or failure; checks that
 * the result holds exactly the games reported to the callback. Returns whether a game
 * finished after one with a smaller index was still in flight (the case that matters). */
static int stopped_match_keeps_every_finished_game(seen *s, hexgpu_status want) {
    hexgpu_test_games_seen *games = &s->games;
    hexgpu_synthetic_config sc = {.board_size = SIZE};
    hexgpu_engine_options o;
    hexgpu_engine_options_default(&o);
    o.cache_entries = 0;
    hexgpu_engine *engine = host_test_engine(&sc, &o, NULL);
    hexgpu_match_config c;
    hexgpu_match_config_default(&c);
    c.board_size = SIZE, c.games = 40, c.games_in_flight = 16, c.seed = 7;
    const int sims[2] = {8, 2}; /* games of different lengths finish out of index order */
    for (int p = 0; p < 2; p++) c.players[p].engine = engine, c.players[p].mcts.simulations = sims[p];
    volatile sig_atomic_t flag = 0;
    c.interrupt = games->interrupt = &flag;
    hexgpu_match_result r;
    hexgpu_error err = {0};
    hexgpu_status st = hexgpu_match_run(&c, on_game, s, &r, &err);
    cr_assert_eq(st, want, "%s", err.message);
    cr_assert_eq(r.interrupted, games->interrupt_at > 0);
    cr_assert_eq(r.games, games->calls, "%lld games counted of the %d finished", (long long)r.games, games->calls);
    qsort(games->index, (size_t)games->calls, sizeof games->index[0], by_index);
    int64_t moves = 0;
    int a_wins = 0;
    for (int i = 0; i < games->calls; i++) {
        const hexgpu_match_game *g = &r.list[i];
        cr_assert_eq(g->index, games->index[i], "list[%d] is game %lld, not %lld", i, (long long)g->index,
                     (long long)games->index[i]);
        cr_assert(g->record && g->record[0] == '#', "game %lld's record", (long long)g->index);
        cr_assert_eq(g->a_blue, g->index % 2 == 0);
        moves += g->moves;
        a_wins += (g->winner == HEXGPU_BLUE) == g->a_blue;
    }
    cr_assert_eq(r.moves, moves);
    cr_assert_eq(r.a_wins, a_wins);
    cr_assert_eq(s->a_wins, a_wins);
    int gap = games->calls > 0 && games->index[games->calls - 1] >= games->calls;
    hexgpu_match_result_free(&r);
    hexgpu_engine_close(engine);
    return gap;
}

Test(match, an_interrupt_keeps_every_finished_game, .timeout = 120) {
    int gaps = 0;
    for (int at = 3; at <= 9; at += 3) {
        seen s = {.games = {.interrupt_at = at}};
        gaps += stopped_match_keeps_every_finished_game(&s, HEXGPU_OK);
    }
    cr_assert_gt(gaps, 0, "no game ever finished past one in flight: the test did not test the case");
}

Test(match, a_failure_keeps_every_finished_game, .timeout = 120) {
    seen s = {.games = {.fail_at = 6}};
    stopped_match_keeps_every_finished_game(&s, HEXGPU_ERR_IO);
}
