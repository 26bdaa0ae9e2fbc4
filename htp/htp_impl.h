/* Inside an HTP session (htp/htp.c: framing and the game; htp/htp_search.c:
 * genmove, time and the analysis commands). */
#pragma once

#include <stddef.h>

#include "hex/board.h"
#include "htp/htp.h"
#include "search/move_search.h"
#include "hex/trmph.h"

/* The protocol's colours. A stone of colour c is on our board as colour c ^ swapped. */
enum { HTP_BLACK = 0, HTP_WHITE = 1 };

struct hexgpu_htp {
    hexgpu_engine *engine;
    hexgpu_queue *queue;
    hexgpu_htp_config config;
    int size;
    hexgpu_board board;
    int swapped, allow_swap;
    double time_left[2]; /* seconds per protocol colour from time_left; < 0 unknown */
    hexgpu_move_search search;
    hexgpu_rng rng;
    int searched;          /* search holds a finished search of the position with hash searched_hash */
    uint64_t searched_hash;
    char *body;            /* the reply's text being built */
    size_t body_len, body_cap;
    char quotes[2][HEXGPU_HTP_QUOTE + 4]; /* hexgpu_htp_quote's copies, used in turn */
    int next_quote;
};

/* text as a `?` reply may quote it: itself when at most HEXGPU_HTP_QUOTE bytes, else its
 * first HEXGPU_HTP_QUOTE bytes and "..." (a copy valid for the next two quotes). */
const char *hexgpu_htp_quote(hexgpu_htp *h, const char *text);

/* Appends to the reply text (printf-style); grows the buffer. */
void hexgpu_htp_put(hexgpu_htp *h, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Replaces the reply text with a failure reason; returns -1 (a handler's failure). */
int hexgpu_htp_fail(hexgpu_htp *h, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Our cell for a protocol cell and back (the transpose after a swap; it is its own inverse). */
int hexgpu_htp_map_cell(const hexgpu_htp *h, int cell);
/* The protocol cell's name ("a1") of our cell into name (4 bytes). */
void hexgpu_htp_cell_name(const hexgpu_htp *h, int cell, char *name);
/* "black" or "white"; -1 when text names no colour (b, black, w, white, any case). */
const char *hexgpu_htp_color_name(int color);
int hexgpu_htp_parse_color(const char *text);
/* A command's colour argument: the colour, or -1 after hexgpu_htp_fail naming the text. */
int hexgpu_htp_color_argument(hexgpu_htp *h, const char *text);
/* The protocol colour to move, and the winner (-1 while the game runs). */
int hexgpu_htp_to_move(const hexgpu_htp *h);
int hexgpu_htp_winner(const hexgpu_htp *h);
/* 1 when swap-pieces is legal now: allowed, one stone on the board, not yet swapped. */
int hexgpu_htp_swap_legal(const hexgpu_htp *h);

/* Command handlers: argv[0] is the command name. Return 0 with the reply text built, or
 * -1 after hexgpu_htp_fail. */
int hexgpu_htp_cmd_genmove(hexgpu_htp *h, int argc, char **argv);
int hexgpu_htp_cmd_reg_genmove(hexgpu_htp *h, int argc, char **argv);
int hexgpu_htp_cmd_time_left(hexgpu_htp *h, int argc, char **argv);
int hexgpu_htp_cmd_policy(hexgpu_htp *h, int argc, char **argv);
int hexgpu_htp_cmd_search(hexgpu_htp *h, int argc, char **argv);
int hexgpu_htp_cmd_visits(hexgpu_htp *h, int argc, char **argv);
int hexgpu_htp_cmd_values(hexgpu_htp *h, int argc, char **argv);
