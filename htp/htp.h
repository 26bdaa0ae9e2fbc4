/* The Hex text protocol (HTP) as MoHex/benzene and HexGui speak it: GTP framing (an
 * optional numeric id, replies "=[id] text" or "?[id] reason" followed by a blank line),
 * black moves first and joins top and bottom (our Blue), white joins left and right (our
 * Red), cells a1.., and the swap rule as `swap-pieces`: the first stone is replaced by a
 * stone of the other colour mirrored across the long diagonal (a1..m13 on 13x13) and
 * black moves next. genmove runs the self-play search (search/move_search.h).
 *
 * A session keeps the game as a Hex board in the usual form (Blue first, alternating)
 * plus a `swapped` flag: after swap-pieces the board is the same and the players have
 * exchanged colours, so the protocol's black is our Red and cells are transposed. The
 * network therefore always sees a position of the kind it was trained on. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "hexgpu.h"
#include "search/mcts.h"

typedef struct hexgpu_htp_config {
    hexgpu_mcts_config mcts;  /* the search; temperature 0 and no Dirichlet noise play the best move */
    int leaves;               /* leaves per round, kept apart by virtual loss (8) */
    double move_seconds;      /* time bound per genmove, 0 = none (then only the simulations) */
    double resign;            /* genmove resigns below this win probability; 0 = never (default) */
    int allow_swap;           /* param_game allow_swap at the start (0) */
} hexgpu_htp_config;

/* 400 simulations, c_puct 1.5, Gumbel, temperature 0, no noise, 8 leaves, no time bound,
 * no resignation, swap off. */
void hexgpu_htp_config_default(hexgpu_htp_config *config);

typedef struct hexgpu_htp hexgpu_htp;

/* A session playing on engine (borrowed; its board size is the only one accepted). */
hexgpu_status hexgpu_htp_create(hexgpu_engine *engine, const hexgpu_htp_config *config, hexgpu_htp **session,
                                hexgpu_error *err);
void hexgpu_htp_destroy(hexgpu_htp *session);

/* Limits on input. A line holds at most HEXGPU_HTP_MAX_LINE bytes (its newline not
 * counted); a command id at most HEXGPU_HTP_MAX_ID digits (echoed whole: "=ID"); a `?`
 * reply quotes at most HEXGPU_HTP_QUOTE bytes of any word of the input, then "...". */
#define HEXGPU_HTP_MAX_LINE 65536
#define HEXGPU_HTP_MAX_ID 64
#define HEXGPU_HTP_QUOTE 40

/* Executes one line of input (its newline optional). Returns the whole reply, ending in
 * the blank line, valid until the next call; NULL when the line holds no command (empty,
 * only a comment). Malformed input of any kind gets a `?` reply and leaves the session as
 * it was (a line over HEXGPU_HTP_MAX_LINE bytes as hexgpu_htp_reject_line, an id over
 * HEXGPU_HTP_MAX_ID digits "? id too long ..."); *quit becomes 1 after `quit`. */
const char *hexgpu_htp_execute(hexgpu_htp *session, const char *line, int *quit);

/* The reply to a line of length bytes, more than HEXGPU_HTP_MAX_LINE, of which prefix
 * holds the first ones (NUL-terminated, at most HEXGPU_HTP_MAX_LINE bytes are looked at):
 * "?[id] line too long (N bytes, at most M)", the id echoed when the line starts with
 * one. For a reader that keeps only the prefix of an over-long line and discards the
 * rest. Valid until the next call. */
const char *hexgpu_htp_reject_line(hexgpu_htp *session, const char *prefix, size_t length);

/* A protocol cell name ("a1".."s19", any case, no leading zero) on an n x n board as
 * row*n + col; -1 when text is not one. */
int hexgpu_htp_parse_cell(const char *text, int size);
