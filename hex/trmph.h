/* TRMPH game notation (`#13,a1b2m13`) and game-record lines (`#13,... b`), both ways.
 * Parse errors are HEXGPU_ERR_PARSE with a message "column <c>: <what>", c 1-based. */
#pragma once

#include <stddef.h>

#include "hexgpu.h"
#include "hex/board.h"

/* "#19," + 361 moves of at most 3 characters + " b" + NUL. */
#define HEXGPU_TRMPH_MAX (4 + 3 * HEXGPU_MAX_CELLS + 3)

/* Parses a whole NUL-terminated TRMPH game into board (initialised to the game's size).
 * Any text before the last '#' is ignored (URL prefixes); nothing may follow the moves.
 * On failure err says what and at which column; board holds the moves before the bad
 * one, or is untouched when the `#<n>,` preamble itself is bad. */
hexgpu_status hexgpu_trmph_parse(const char *text, hexgpu_board *board, hexgpu_error *err);

/* Reads the stones of a TRMPH string into pos, Blue and Red alternating, with the same
 * checks and messages as hexgpu_trmph_parse except that moves may go on after a win: a
 * network evaluates any stone configuration, finished games included. to_move is the side
 * whose turn it is by the stone count. bare gets the `#<n>,<moves>` part (the text from the
 * preamble on, truncated to cap like snprintf; bare may be NULL when cap is 0). On failure
 * pos is unspecified. */
hexgpu_status hexgpu_trmph_parse_stones(const char *text, hexgpu_position *pos, char *bare, size_t cap,
                                        hexgpu_error *err);

/* Writes the bare `#<n>,<moves>` form of board's game to out (NUL-terminated, truncated
 * to cap like snprintf) and returns its length without the NUL. */
size_t hexgpu_trmph_format(const hexgpu_board *board, char *out, size_t cap);

/* Writes cell's name ("a1", "m13") to name (room for 4 bytes); returns its length. */
int hexgpu_trmph_cell_name(int cell, int size, char *name);

/* 1 for a record-file header line: one starting with "# ". */
int hexgpu_trmph_is_header(const char *line);

/* Parses a record line `<trmph> <b|r>` (one trailing "\n" or "\r\n" allowed) into board
 * and *winner. The game must end with a win, by the side the line names. */
hexgpu_status hexgpu_trmph_parse_record(const char *line, hexgpu_board *board, hexgpu_color *winner,
                                        hexgpu_error *err);

/* Writes `#<n>,<moves> <b|r>` for a won game like hexgpu_trmph_format. A game not yet won
 * is HEXGPU_ERR_INVALID_ARGUMENT (records hold finished games only); *length gets the
 * length without the NUL. */
hexgpu_status hexgpu_trmph_format_record(const hexgpu_board *board, char *out, size_t cap, size_t *length,
                                         hexgpu_error *err);
