/* Hex rules on an n x n board (n = 1..19): stones as bit masks, play/undo, legal moves,
 * incremental win detection (union-find whose roots carry edge flags, equivalent to
 * virtual edge nodes) and a Zobrist hash. */
#pragma once

#include <stdint.h>

#include "hexgpu.h"

/* A stone has at most 6 neighbours, so one move makes at most 6 unions. */
#define HEXGPU_BOARD_MAX_UNIONS 6
/* Edge flags of a group: it touches its colour's first edge (row 0 for Blue, column 0
 * for Red) and/or its second edge (row n-1, column n-1). Both: the group has connected. */
enum { HEXGPU_EDGE_FIRST = 1, HEXGPU_EDGE_SECOND = 2, HEXGPU_EDGE_BOTH = 3 };

/* Plain value type: no heap memory, copy it with hexgpu_board_copy (cheaper than
 * assignment, which copies the unused tails of the arrays too). Not thread safe; one
 * board per thread. The union-find has no path compression (union by size keeps finds
 * at O(log n)) so that every move's unions can be logged and undone exactly. Each root
 * keeps which of its colour's two edges its group touches, so a win is seen at the
 * root of the new stone's group with no search. */
typedef struct hexgpu_board {
    uint64_t stones[2][HEXGPU_POSITION_WORDS]; /* [hexgpu_color][word], bit = row*n + col */
    uint64_t hash;                             /* Zobrist: stones, side to move, size */
    uint64_t side_key;                         /* hash key for "Red to move" on this size */
    int16_t size, cells;                       /* n and n*n */
    int16_t move_count, empty_count, log_count;
    uint8_t to_move, winner; /* hexgpu_color; winner is HEXGPU_NONE while the game runs */
    uint32_t row_reciprocal; /* ceil(2^16 / n): row = cell * this >> 16 for cell < 361 */
    int16_t parent[HEXGPU_MAX_CELLS];
    int16_t group_size[HEXGPU_MAX_CELLS]; /* meaningful at roots only */
    uint8_t edges[HEXGPU_MAX_CELLS];      /* HEXGPU_EDGE_* flags, meaningful at roots only */
    int16_t empty[HEXGPU_MAX_CELLS];      /* the empty cells, in no particular order */
    int16_t empty_index[HEXGPU_MAX_CELLS];  /* where each cell is (or was) in empty[] */
    int16_t moves[HEXGPU_MAX_CELLS];        /* cells in the order played */
    uint8_t unions[HEXGPU_MAX_CELLS];       /* how many roots each move attached */
    /* Per union: the attached root (low 9 bits) and the surviving root's edge flags
     * before the union (bits 9-10), in the order made. */
    uint16_t union_log[HEXGPU_MAX_CELLS * HEXGPU_BOARD_MAX_UNIONS];
} hexgpu_board;

/* An empty size x size board, Blue to move. Fails (HEXGPU_ERR_INVALID_ARGUMENT) for a
 * size outside 1..19 and leaves board untouched. */
hexgpu_status hexgpu_board_init(hexgpu_board *board, int size, hexgpu_error *err);
void hexgpu_board_copy(hexgpu_board *dst, const hexgpu_board *src);

/* 1 when cell is on the board, empty, and the game is not yet won. */
int hexgpu_board_is_legal(const hexgpu_board *board, int cell);
/* Writes the legal cells in ascending order to cells (room for n*n) and returns their
 * count; 0 once the game is won. */
int hexgpu_board_legal_moves(const hexgpu_board *board, int *cells);

/* Plays cell (row*n + col) for the side to move. HEXGPU_ERR_INVALID_ARGUMENT for a cell
 * off the board, a taken cell or a move after the win; the board is unchanged then. */
hexgpu_status hexgpu_board_play(hexgpu_board *board, int cell, hexgpu_error *err);
/* Takes back the last move, restoring every field exactly (hash, winner, empty list).
 * HEXGPU_ERR_INVALID_ARGUMENT when no move has been played. */
hexgpu_status hexgpu_board_undo(hexgpu_board *board, hexgpu_error *err);

static inline hexgpu_color hexgpu_board_to_move(const hexgpu_board *board) { return (hexgpu_color)board->to_move; }
static inline hexgpu_color hexgpu_board_winner(const hexgpu_board *board) { return (hexgpu_color)board->winner; }
static inline int hexgpu_board_move_count(const hexgpu_board *board) { return board->move_count; }
static inline uint64_t hexgpu_board_hash(const hexgpu_board *board) { return board->hash; }
/* The i-th empty cell (0 <= i < board->empty_count) in an order that changes as moves are
 * played: a uniform random index gives a uniform random empty cell in O(1). */
static inline int hexgpu_board_empty_cell(const hexgpu_board *board, int i) { return board->empty[i]; }
/* The stone on cell: HEXGPU_BLUE, HEXGPU_RED or HEXGPU_NONE. */
hexgpu_color hexgpu_board_at(const hexgpu_board *board, int cell);

/* Packs the stones, size and side to move (hexgpu_position_init layout, reserved zero). */
void hexgpu_board_to_position(const hexgpu_board *board, hexgpu_position *pos);
/* Builds a board holding pos's stones (validated with hexgpu_position_validate). The
 * move stack lists Blue and Red stones alternately in ascending cell order, so undo
 * works, but it is not the order the game was played in. A position that is already
 * won is accepted; its winner is set and no further move is legal. */
hexgpu_status hexgpu_board_from_position(hexgpu_board *board, const hexgpu_position *pos, hexgpu_error *err);
