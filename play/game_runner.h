/* The game runner shared by matches and tournaments: plays a numbered list of games
 * between players, each game's players and opening given by the caller. Players are
 * engines of ours (a model and search settings; players may share an engine) or external
 * Hex text protocol engines run as child processes. With only players of ours, many
 * games are in flight at once, their searches' leaves batched through one engine per
 * distinct model; with an external player, one game at a time. A game's moves depend
 * only on the seed, its index, its players and the networks, never on what else is in
 * flight. */
#pragma once

#include <signal.h>
#include <stdint.h>

#include "hexgpu.h"
#include "search/mcts.h"

typedef struct hexgpu_game_player {
    hexgpu_engine *engine;   /* ours: the engine (players may share one); NULL for an external one */
    const char *command;     /* external: the HTP engine's command line, run by /bin/sh */
    hexgpu_mcts_config mcts; /* ours: the search */
    double move_seconds;     /* ours: time bound per move, 0 = simulations only */
} hexgpu_game_player;

/* Who plays a game and how it opens. */
typedef struct hexgpu_game_setup {
    int blue, red; /* indices into the players, different: Blue (black) moves first and joins top and bottom */
    int opening;   /* a cell played for Blue before the players' first move, or -1: the empty board */
} hexgpu_game_setup;

/* A finished game, valid during the done callback only. */
typedef struct hexgpu_game_played {
    int64_t index;
    int blue, red;       /* as the setup gave them */
    hexgpu_color winner; /* the colour that won */
    int resigned;        /* ended by the loser's resignation, not by a connection */
    int moves;           /* stones on the board, the opening's included */
    const char *record;  /* `#n,<moves> <b|r>`; a resigned game is `#n,<moves>` (unfinished) */
} hexgpu_game_played;

/* Fills the setup of game index (called when the game starts). */
typedef void (*hexgpu_game_setup_fn)(void *user, int64_t index, hexgpu_game_setup *setup);

/* Called for each game as it finishes (in any order), on the runner's thread. Setting
 * *stop ends the run: no game starts any more and the games in flight are dropped. A
 * status other than HEXGPU_OK ends the run with that status. */
typedef hexgpu_status (*hexgpu_game_done_fn)(void *user, const hexgpu_game_played *game, int *stop,
                                             hexgpu_error *err);

typedef struct hexgpu_game_runner_config {
    const hexgpu_game_player *players;
    int player_count;
    int board_size;      /* must be the engines' */
    int64_t games;       /* games 0..games-1 are started in index order */
    int games_in_flight; /* games played at once when every player is ours; else 1 */
    int leaves_per_game; /* leaves a search has in flight at once, 1..1024 */
    uint64_t seed;       /* game k's noise is seeded from (seed, k) */
    double reply_seconds; /* the longest an external engine may take per reply; 0 = no limit */
    const volatile sig_atomic_t *interrupt; /* may be NULL; non-zero ends the run as *stop does */
    hexgpu_game_setup_fn setup;
    hexgpu_game_done_fn done;
    void *user;          /* for setup and done */
} hexgpu_game_runner_config;

/* Checks one player against the board: an engine or a command (not both), the engine's
 * board size, simulations >= 1. Errors (HEXGPU_ERR_INVALID_ARGUMENT) read
 * "<what>: player <label> ...", e.g. "match: player A needs simulations >= 1". */
hexgpu_status hexgpu_game_player_check(const hexgpu_game_player *player, int board_size, const char *what,
                                       const char *label, hexgpu_error *err);

/* Plays the games. names (may be NULL; else [player_count]) gets each external player's
 * `name` and `version` answers. *interrupted (may be NULL) is set when the interrupt flag
 * ended the run. Failures: an engine error, an external engine that cannot be started,
 * refuses a command, answers an illegal move or scores a game otherwise than the rules
 * (final_score) (HEXGPU_ERR_IO) or does not answer in time (HEXGPU_ERR_TIMEOUT), no
 * memory, or the done callback's status. The players are not checked here
 * (hexgpu_game_player_check). */
hexgpu_status hexgpu_game_runner_run(const hexgpu_game_runner_config *config, char (*names)[128], int *interrupted,
                                     hexgpu_error *err);
