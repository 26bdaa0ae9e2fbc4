/* The self-play driver: worker threads, each playing several games at once, whose
 * search leaves all go through the engine's async API in bulk. Each finished game is
 * handed to a callback as a TRMPH record line. */
#pragma once

#include <signal.h>
#include <stdint.h>

#include "hexgpu.h"
#include "search/mcts.h"
#include "records/training_writer.h"

typedef enum hexgpu_opening {
    HEXGPU_OPENING_NONE = 0, /* every game from the empty board */
    HEXGPU_OPENING_RANDOM,   /* 10%: empty board; else one uniformly random first stone */
    HEXGPU_OPENING_PIE_RULE  /* game k starts with the k-th cell of a fixed cycle of balanced first moves */
} hexgpu_opening;

typedef struct hexgpu_selfplay_config {
    hexgpu_mcts_config mcts;
    int64_t games;          /* 1000 */
    int64_t first_game;     /* the games played are first_game .. first_game + games - 1 (0; a shard's share) */
    int workers;            /* threads, 1 */
    int games_in_flight;    /* games each worker plays at once, 16 */
    int leaves_per_game;    /* leaves one game may have in flight at once (virtual loss), 4 */
    hexgpu_opening opening; /* pie_rule */
    uint64_t seed;          /* game k's generator is seeded from (seed, k) */
    int training_data;      /* 1: keep each searched position's targets and hand them to on_game */
    /* Playout-cap randomisation (KataGo): with fast_simulations > 0, a move gets the full
     * mcts.simulations (with root noise) with probability full_probability, else a cheap
     * search of fast_simulations without noise that is not a policy target. */
    int fast_simulations;
    double full_probability;
    /* The reference's --bad_move_frequency (0.1): with the pie_rule opening, this share of
     * games opens with a deliberately bad first move instead of the cycle's balanced one:
     * a cell of the first row other than its corners (b1..l1 on 13x13), uniformly, drawn
     * from the game's generator. No effect with the other openings. */
    double bad_move_frequency;
    /* hexgpu's own exploration (0): this share of moves is a uniformly random legal move
     * instead of the search's choice (searched all the same; not a policy target). */
    double random_move_frequency;
    /* May be NULL. When *interrupt becomes non-zero (a signal handler may set it) the
     * workers stop starting games and searching, abandon the games in progress and the
     * run returns HEXGPU_OK with stats->interrupted set; finished games were reported. */
    const volatile sig_atomic_t *interrupt;
} hexgpu_selfplay_config;

void hexgpu_selfplay_config_default(hexgpu_selfplay_config *config);

/* "pie_rule", "random", "none" (as the reference's --opening_strategy spells them), and
 * back: 1 when name is one of them (*out set), else 0. */
const char *hexgpu_selfplay_opening_name(hexgpu_opening opening);
int hexgpu_selfplay_opening_parse(const char *name, hexgpu_opening *out);

/* The opening cells of HEXGPU_OPENING_PIE_RULE for an n x n board, in cycle order;
 * returns how many (cells needs room for n*n). */
int hexgpu_selfplay_pie_openings(int size, int *cells);

/* A finished game, as handed to the callback. record is `#n,<moves> <b|r>`. */
typedef struct hexgpu_selfplay_game {
    int64_t index; /* 0-based; a game's moves depend only on the seed and its index */
    const char *record;
    int moves;
    hexgpu_color winner;
    /* With training_data: one row per searched position, in ply order (positions of the
     * opening and after the last search have none); valid during the callback only. */
    const hexgpu_training_row *rows;
    int row_count;
} hexgpu_selfplay_game;

/* Called once per finished game, never by two threads at once. A status other than
 * HEXGPU_OK (with err filled) stops the run: games in progress are abandoned, and
 * hexgpu_selfplay_run returns that status. */
typedef hexgpu_status (*hexgpu_selfplay_on_game)(void *user, const hexgpu_selfplay_game *game, hexgpu_error *err);

typedef struct hexgpu_selfplay_stats {
    int64_t games, moves;
    int64_t simulations;  /* backed up, terminal ones included */
    int64_t leaf_requests; /* positions submitted to the engine (root evaluations included) */
    int64_t cached;        /* of those, answered from the engine's cache */
    double seconds;
    int interrupted; /* the run stopped early on config->interrupt */
} hexgpu_selfplay_stats;

/* An upper bound, in bytes, of the memory the games of a run with config take on an
 * n x n board (not counting the engine's): one slot per game played at once, that is
 * min(games, workers x games_in_flight), each with its buffers and its search at its
 * largest. For refusing at start a configuration the machine cannot hold. */
double hexgpu_selfplay_memory_bytes(const hexgpu_selfplay_config *config, int board_size);

/* HEXGPU_OK when hexgpu_selfplay_run would take config, else HEXGPU_ERR_INVALID_ARGUMENT
 * saying which setting is wrong. */
hexgpu_status hexgpu_selfplay_config_check(const hexgpu_selfplay_config *config, hexgpu_error *err);

/* Plays config->games games on engine (whose board size they use). stats (may be NULL)
 * is filled also on failure. Failures: invalid config (HEXGPU_ERR_INVALID_ARGUMENT), an
 * engine error, or the callback's status. */
hexgpu_status hexgpu_selfplay_run(hexgpu_engine *engine, const hexgpu_selfplay_config *config,
                                  hexgpu_selfplay_on_game on_game, void *user, hexgpu_selfplay_stats *stats,
                                  hexgpu_error *err);
