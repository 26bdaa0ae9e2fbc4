/* Round-robin tournaments between N players (engines of ours with their search settings,
 * or external Hex text protocol engines), played by the game runner (game_runner.h): many
 * games in flight, one engine per distinct model.
 *
 * Schedule: pairs (a, b), a < b, in the order (0,1), (0,2), ..., (0,N-1), (1,2), ...;
 * `rounds` rounds per pair, each of two games from the same opening, a Blue in the first
 * and b Blue in the second, so every opening is played from both sides. Rounds come
 * first in the game order (game k is round k / (2 pairs)), so a tournament stopped early
 * has played every pair about equally often. With pie-rule openings, round r's games start
 * from cell r (mod the cycle) of self-play's pie-rule cycle played for Blue; without, from
 * the empty board. No swap is played. */
#pragma once

#include <signal.h>
#include <stdint.h>
#include <time.h>

#include "hexgpu.h"
#include "play/game_runner.h"

typedef struct hexgpu_tournament_config {
    const hexgpu_game_player *players;
    int player_count;    /* 2..256 */
    int board_size;      /* must be the engines' */
    int64_t rounds;      /* per pair: 2 games each */
    int pie_openings;    /* 1: round r opens with pie-rule cell r; 0: the empty board */
    int games_in_flight; /* games played at once when every player is ours (16); else 1 */
    int leaves_per_game; /* (4) */
    uint64_t seed;       /* game k's noise is seeded from (seed, k) */
    double reply_seconds;                   /* external engines' longest reply (600); 0 = no limit */
    const volatile sig_atomic_t *interrupt; /* may be NULL; non-zero stops the tournament (finished games count) */
} hexgpu_tournament_config;

/* Defaults: 50 rounds (the reference's --num-games), pie-rule openings, the counts
 * above; no players (the caller's). */
void hexgpu_tournament_config_default(hexgpu_tournament_config *config);

/* The players of pair `pair` (0 .. N(N-1)/2 - 1) in the schedule's order. */
void hexgpu_tournament_pair(int player_count, int64_t pair, int *a, int *b);

/* Game index's place in the schedule: its round, its pair's players and colours, its
 * opening cell (-1 for none). */
void hexgpu_tournament_game_setup(const hexgpu_tournament_config *config, int64_t index, int64_t *round,
                                  hexgpu_game_setup *setup);

typedef struct hexgpu_tournament_game {
    int64_t index, round;
    int blue, red;       /* players */
    int opening;         /* the opening cell, -1 for none */
    hexgpu_color winner; /* the colour that won */
    int resigned;        /* ended by the loser's resignation */
    int moves;           /* stones on the board, the opening's included */
    char *record;        /* `#n,<moves> <b|r>` (a resigned game: `#n,<moves>`); NULL: not played */
    time_t finished;     /* when it ended */
} hexgpu_tournament_game;

/* Called for each game as it finishes (any order), from one thread at a time. A status
 * other than HEXGPU_OK stops the tournament with that status. */
typedef hexgpu_status (*hexgpu_tournament_on_game)(void *user, const hexgpu_tournament_game *game, hexgpu_error *err);

typedef struct hexgpu_tournament_result {
    int64_t scheduled;             /* rounds * 2 * pairs */
    int64_t games;                 /* finished: every one counts, also after an interrupt */
    hexgpu_tournament_game *list;  /* [games], the finished games in index order */
    int64_t *wins;                 /* [N*N]: wins[a*N + b] = games a won against b */
    int64_t blue_wins, resignations, moves;
    int interrupted;
    char (*names)[128];            /* [N]: external players' name and version, else "" */
    double seconds;
} hexgpu_tournament_result;

/* Plays the tournament. result is filled (also on failure, with the games finished so
 * far) and must be freed with hexgpu_tournament_result_free. Failures: a bad config
 * (HEXGPU_ERR_INVALID_ARGUMENT, naming the player "1", "2", ... by its place), those of
 * hexgpu_game_runner_run, or the callback's status. */
hexgpu_status hexgpu_tournament_run(const hexgpu_tournament_config *config, hexgpu_tournament_on_game on_game,
                                    void *user, hexgpu_tournament_result *result, hexgpu_error *err);
void hexgpu_tournament_result_free(hexgpu_tournament_result *result);
