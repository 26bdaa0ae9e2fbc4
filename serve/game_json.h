/* What every game route shares: parsing a game and a cell, the position's fields in the
 * reference's conventions (board rows of "e"/"b"/"r", player names, TRMPH legal moves,
 * winner), and the network's view of it (value, policy at a temperature). */
#pragma once

#include "hexgpu.h"
#include "hex/board.h"
#include "serve/json_writer.h"

/* The game in text (a TRMPH string: "#<n>,<moves>"), played move by move: occupied
 * cells and moves after the win are refused. err: "Invalid TRMPH: column 7: ...". */
hexgpu_status hexgpu_game_parse(const char *text, hexgpu_board *board, hexgpu_error *err);

/* The cell named by text[0..len) ("g7", "a01" as "a1") on an n x n board, or -1. */
int hexgpu_cell_parse(const char *text, size_t len, int size);

/* "blue" / "red" (NULL for HEXGPU_NONE). */
const char *hexgpu_color_name(hexgpu_color color);

/* Members board, player, player_enum, player_index, legal_moves, winner. */
void hexgpu_game_write_position(hexgpu_json_writer *w, const hexgpu_board *board);
/* The TRMPH name of cell as a string value, and its [row, col]. */
void hexgpu_game_write_cell(hexgpu_json_writer *w, const hexgpu_board *board, int cell);
void hexgpu_game_write_coords(hexgpu_json_writer *w, const hexgpu_board *board, int cell);

/* The network's outputs for board's stones: value (Red's view), policy over the empty
 * cells and raw logits (each [n*n]; any may be NULL). */
hexgpu_status hexgpu_game_evaluate(hexgpu_engine *engine, const hexgpu_board *board, float *value, float *policy,
                                   float *logits, hexgpu_error *err);

/* softmax(logits / T) over the empty cells of board into out[n*n] (occupied cells 0);
 * T < 0.02 gives all the mass to the highest logit, as the reference does. */
void hexgpu_policy_at_temperature(const hexgpu_board *board, const float *logits, double temperature, float *out);

/* The probability that the side to move wins, from a value in Red's view. */
double hexgpu_win_prob_to_move(const hexgpu_board *board, float value_red);

/* A model of another board size than the game's: a 400 message. 0 when they match. */
int hexgpu_game_size_mismatch(const hexgpu_board *board, int model_size, hexgpu_error *err);
