/* Training targets of self-play, beside the record file: `<records>.train`, fixed-size
 * little-endian records, one per searched position, appended a whole game per write as
 * games finish (a kill loses at most the games in flight; a torn last record is cut off
 * by readers: size / record_bytes whole records), and `<records>.train.json`, the
 * sidecar that describes the layout as numpy dtype fields (written once at open, whole).
 * Rows are in the order the games finished ("row_order": "finishing" in the sidecar),
 * also when the record file is rewritten in game order at close: sort by `game` (a
 * stable sort keeps each game's plies in order) to line them up with the records.
 *
 * Record layout (offsets in bytes, cells = n*n; docs/selfplay.md has the numpy reader):
 *     0 game          int64    the game's index in the run (the same game's record line)
 *     8 ply           int16    stones on the board before the move
 *    10 move          int16    the cell played (row*n + col)
 *    12 to_move       uint8    0 Blue, 1 Red: the side to move (and the values' view)
 *    13 result        int8     +1 when the side to move won the game, -1 when it lost
 *    14 full_search   uint8    1: a full search (0: a cheap playout-cap search)
 *    15 policy_target uint8    1: train the policy here (full search, move not a random one)
 *    16 root_value    float32  the search's value of the position for the side to move
 *    20 reserved      uint32   0
 *    24 blue          uint64[6] the stones as hexgpu_position's bit masks
 *    72 red           uint64[6]
 *   120 visits        float32[cells] the root's visit distribution (sums to 1)
 *   120+4*cells improved float32[cells] Gumbel's improved policy (PUCT: the visits) */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "hexgpu.h"

#define HEXGPU_TRAINING_FORMAT_VERSION 1

typedef struct hexgpu_training_writer hexgpu_training_writer;

/* One searched position of a game, as the driver keeps it until the game ends. */
typedef struct hexgpu_training_row {
    hexgpu_position position; /* before the move */
    int16_t move;
    uint8_t full_search, policy_target;
    float root_value;
    float *visits, *improved; /* [n*n] each */
} hexgpu_training_row;

/* The data and sidecar paths beside a record file: its extension replaced by `.train`
 * and `.train.json`. 0 when either does not fit its buffer. */
int hexgpu_training_paths(const char *records_path, char *data, size_t data_len, char *sidecar, size_t sidecar_len);

/* Bytes per record for an n x n board. */
size_t hexgpu_training_record_bytes(int board_size);

/* records_path is the record file (`....trmph`); the data goes to records_path with the
 * extension replaced by `.train`, the sidecar to `.train.json`. Created or truncated.
 * HEXGPU_ERR_IO naming the path on failure (nothing is left open). */
hexgpu_status hexgpu_training_writer_open(const char *records_path, int board_size, hexgpu_training_writer **writer,
                                          hexgpu_error *err);
const char *hexgpu_training_writer_path(const hexgpu_training_writer *writer);

/* Appends a finished game's rows (in ply order) in one write; winner is the game's.
 * HEXGPU_ERR_IO on a write error (a full disk: what reached the file before stays whole
 * up to a torn last record). */
hexgpu_status hexgpu_training_writer_add_game(hexgpu_training_writer *writer, int64_t game, hexgpu_color winner,
                                              const hexgpu_training_row *rows, int count, hexgpu_error *err);

/* Appends records already in the file layout (len a multiple of the record size), in one
 * write, as add_game does: for merging shard files. */
hexgpu_status hexgpu_training_writer_add_encoded(hexgpu_training_writer *writer, const void *records, size_t len,
                                                 hexgpu_error *err);

/* Closes, removes both files (a run that finished no game leaves none) and frees. */
void hexgpu_training_writer_discard(hexgpu_training_writer *writer);

/* Closes and frees; NULL is a no-op. */
hexgpu_status hexgpu_training_writer_close(hexgpu_training_writer *writer, hexgpu_error *err);
