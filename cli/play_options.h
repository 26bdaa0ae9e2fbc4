/* Options shared by `hexgpu htp` and `hexgpu match`: the search settings of a player
 * (one value for every player, or "A,B" for match's two) and the engine's options. */
#pragma once

#include <stddef.h>

#include "hexgpu.h"
#include "search/mcts.h"

typedef struct hexgpu_cli_player {
    hexgpu_mcts_config mcts;
    double move_seconds; /* 0 = no time bound */
    int sims_given;      /* --sims was on the command line */
} hexgpu_cli_player;

/* What hexgpu_cli_search_option accepts besides --sims/--mcts_sims, --c-puct and --move-time. */
enum { HEXGPU_CLI_TEMPERATURE = 1 }; /* --temperature, --temperature_end */

/* When o (with value v) is a search option, applies it to players[0..count) and returns 1
 * with *rc set to the exit code (HEXGPU_EXIT_USAGE after printing the error). v is one
 * value for all, or with count 2 "A,B". Returns 0 (nothing done) for other options. */
int hexgpu_cli_search_option(const char *o, const char *v, int accept, hexgpu_cli_player *players, int count, int *rc);

/* The same for the engine options --backend, --device, --precision, --batch_size,
 * --cache_size. */
int hexgpu_cli_engine_option(const char *o, const char *v, hexgpu_engine_options *options, int *rc);

/* The shipped network htp, match and serve play when no --model is given:
 * $HEXGPU_DEFAULT_MODEL when set, else the first of HEXGPU_SHIPPED_MODELS (the strongest
 * first: the 13x13 network once the loop's run has earned it, then the 7x7 one) in the
 * models/ folder of the repository the command was built in (<exe dir>/../models/) or of
 * its install prefix (<exe dir>/../share/hexgpu/models/). Writes the path into out and
 * returns 1; 0 (after printing the places it looked, exit code 2) when none is there. */
#define HEXGPU_DEFAULT_MODEL_NAME "loop-13x13.safetensors"
#define HEXGPU_SHIPPED_MODELS {HEXGPU_DEFAULT_MODEL_NAME, "loop-7x7.safetensors"}
int hexgpu_cli_default_model(char *out, size_t cap);

/* The folder holding the shipped networks (as above, without $HEXGPU_DEFAULT_MODEL) into
 * dir, and the file name of the first shipped network in it into name: 1, or 0 when
 * there is none (nothing printed). */
int hexgpu_cli_shipped_models(char *dir, size_t dir_cap, char *name, size_t name_cap);

/* Opens the engine on model, printing the backend choice on stderr. On failure prints the
 * error and returns the exit code (2 for a bad model, 1 otherwise); 0 on success. */
int hexgpu_cli_open_engine(const char *model, const hexgpu_engine_options *options, hexgpu_engine **engine);

/* A player in words: "<model>: 200 simulations, Gumbel, c_puct 1.5, temperature 0.5 ->
 * 0.01[, at most 5 s a move]" (match and tournament reports). */
void hexgpu_cli_player_describe(const hexgpu_cli_player *player, const char *model, char *out, size_t cap);
