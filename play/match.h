/* Matches between two players: engines of ours (a model and search settings; many games
 * in flight share one engine per model) or external Hex text protocol engines run as
 * child processes. Game k starts from the (k/2)-th cell of self-play's pie-rule opening
 * cycle, played for Blue; player A is Blue in even games and Red in odd ones, so every
 * opening is played from both sides. No swap, no komi: the first stone is given. */
#pragma once

#include <signal.h>
#include <stdint.h>

#include "hexgpu.h"
#include "play/elo.h"
#include "play/game_runner.h"
#include "search/mcts.h"

/* A player: an engine of ours with its search, or an external engine's command line
 * (play/game_runner.h). */
typedef hexgpu_game_player hexgpu_match_player;

typedef struct hexgpu_match_config {
    hexgpu_match_player players[2]; /* A, B */
    int board_size;                 /* must be the engines' */
    int64_t games;
    int games_in_flight;            /* games played at once when both players are ours (16); else 1 */
    int leaves_per_game;            /* leaves a search has in flight at once (4) */
    uint64_t seed;                  /* game k's noise is seeded from (seed, k) */
    hexgpu_sprt sprt;
    int sprt_stop;                  /* stop once the SPRT accepts H0 or H1 */
    double reply_seconds;           /* the longest an external engine may take per reply; 0 = no limit */
    const volatile sig_atomic_t *interrupt; /* may be NULL; non-zero stops the match (games so far count) */
} hexgpu_match_config;

void hexgpu_match_config_default(hexgpu_match_config *config);

typedef struct hexgpu_match_game {
    int64_t index;
    int a_blue;           /* player A had Blue (black: moved first, top-bottom) */
    hexgpu_color winner;  /* the colour that won */
    int resigned;         /* ended by the loser's resignation, not by a connection */
    int moves;
    char *record;         /* `#n,<moves> <b|r>`; a resigned game is `#n,<moves>` (unfinished) */
} hexgpu_match_game;

/* Called for each game as it finishes (any order), never from two threads at once. A
 * status other than HEXGPU_OK stops the match with that status. */
typedef hexgpu_status (*hexgpu_match_on_game)(void *user, const hexgpu_match_game *game, hexgpu_error *err);

typedef struct hexgpu_match_result {
    /* The counted games. After an SPRT stop, the longest run of finished games from game
     * 0, so that the result does not depend on which games in flight happened to finish
     * first; after an interrupt or a failure, every game that finished (indices may then
     * have gaps: the games still in flight). */
    int64_t games, a_wins, a_blue_games, a_blue_wins, blue_wins, resignations, moves;
    hexgpu_match_game *list; /* [games], in index order */
    hexgpu_sprt_verdict verdict; /* of the counted games */
    int stopped_early, interrupted;
    char names[2][128];      /* external players: what `name` and `version` answered */
    double seconds;
} hexgpu_match_result;

/* Plays the match. result is filled (also on failure, with the games counted so far) and
 * must be freed with hexgpu_match_result_free. The interrupt flag stops it within about
 * 100 ms even while an external engine is silent (which is then killed with its process
 * group): result->interrupted, HEXGPU_OK. Failures: a bad config
 * (HEXGPU_ERR_INVALID_ARGUMENT), an engine error, an external engine that cannot be
 * started, refuses a command, answers an illegal move or scores a game otherwise than the
 * rules (final_score) (HEXGPU_ERR_IO) or does not answer in time (HEXGPU_ERR_TIMEOUT), or
 * the callback's status. */
hexgpu_status hexgpu_match_run(const hexgpu_match_config *config, hexgpu_match_on_game on_game, void *user,
                               hexgpu_match_result *result, hexgpu_error *err);
void hexgpu_match_result_free(hexgpu_match_result *result);
