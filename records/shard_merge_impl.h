/* Inside `hexgpu records merge` (shard_merge.h): one shard file as the merge sees it, and
 * the steps each file of the merge implements.
 *     shard_records.c   reading inputs (regular files only, bounded), the header, the record lines
 *     shard_training.c  a shard's training rows, streamed: checked against its record lines
 *     shard_output.c    the outputs: refusals, the temporary folder, publishing them
 *     shard_merge.c     the merge: one run, completeness, the order of the records */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "hexgpu.h"

/* Header fields that must agree between the shards of one run. */
#define SHARD_RUN_FIELDS 15
extern const char *const hexgpu_shard_run_fields[SHARD_RUN_FIELDS];

#define SHARD_MAX_COUNT (1 << 20)      /* shards of a run: selfplay's --shard bound */
#define SHARD_MAX_GAME (INT64_MAX / 2) /* games of a run: selfplay's --num_games bound */

/* One record line of a shard: where it is, the hash of its game (hexgpu_shard_game_hash)
 * and, once its training rows claim it, the game's index in the run (-1 before). */
typedef struct shard_line {
    size_t offset, length; /* into the shard's text, without the newline */
    uint64_t hash;
    int64_t game;
    int number; /* the line's number in the file, for messages */
} shard_line;

typedef struct shard_file {
    const char *path;
    char *text;
    size_t len, body; /* body: offset of the first record line */
    const char *fields[SHARD_RUN_FIELDS];
    size_t field_len[SHARD_RUN_FIELDS];
    int index, count, size;
    int64_t first, last, games, wins[2];
    shard_line *lines;  /* [games], in file order */
    shard_line **by_hash; /* [games], the lines sorted by hash (for the rows to find theirs); once
                           * the rows have claimed every line, by game (in_game_order) */
    int in_game_order;
    int64_t rows;       /* training rows checked */
    char train[4200], sidecar[4200];
} shard_file;

/* A whole regular file of at most max bytes (opened without blocking: a FIFO, a device or
 * a folder is refused at once, HEXGPU_ERR_INVALID_ARGUMENT, as are a missing or
 * unreadable path; HEXGPU_ERR_IO when a read fails). NUL-terminated, malloc'd. */
hexgpu_status hexgpu_shard_read_file(const char *path, size_t max, char **text, size_t *len, hexgpu_error *err);

/* Opens a regular file for reading without blocking (refusals as hexgpu_shard_read_file);
 * its size goes to *size. Returns the descriptor, or -1 with err filled. */
int hexgpu_shard_open_regular(const char *path, int64_t *size, hexgpu_error *err);

/* The hash of a finished game: board size, moves, winner. Lines and rows meet by it. */
uint64_t hexgpu_shard_game_hash(int size, const int16_t *moves, int count, int winner);

/* Reads f->path and checks its header (one '# Shard: I/N, games A..B' line within the
 * bounds above) and record lines (whole, legal finished games of one size, at most the
 * shard's share); fills f. */
hexgpu_status hexgpu_shard_read_records(shard_file *f, hexgpu_error *err);

/* Refuses two identical record lines in a shard (without training rows nothing tells
 * two games apart). */
hexgpu_status hexgpu_shard_check_distinct(const shard_file *f, hexgpu_error *err);

/* Fills the paths of f's training targets; 1 when both exist. */
int hexgpu_shard_training_paths(shard_file *f);

/* Checks f's sidecar, then streams its rows: each row of one of the shard's games, each
 * game's rows one unbroken run from its opening to its last move, their positions those
 * of the game, the game one of the shard's record lines (which it then claims, setting
 * the line's game), no line claimed twice; every row checked goes to writer (a
 * hexgpu_training_writer; NULL: checked only). At the end every line must be claimed. */
struct hexgpu_training_writer;
hexgpu_status hexgpu_shard_check_training(shard_file *f, int size, struct hexgpu_training_writer *writer,
                                          hexgpu_error *err);

/* The outputs of a merge: OUT and, with targets, OUT's .train and .train.json, written in
 * a temporary folder beside OUT and published together. */
typedef struct shard_output {
    char path[3][4200];  /* records, .train, .train.json */
    char dir[4200];      /* the folder they go to */
    char temp[3][4400];  /* their names in the temporary folder */
    char folder[4300];   /* the temporary folder, "" until made */
    int published[3];
} shard_output;

/* Names the outputs of output and refuses any that exists already (as anything, even a
 * dangling link), naming the input it would overwrite when it is one (path or device and
 * inode). HEXGPU_ERR_INVALID_ARGUMENT. */
hexgpu_status hexgpu_shard_output_prepare(shard_output *o, const char *output, const shard_file *files, int count,
                                          hexgpu_error *err);
/* Makes the temporary folder beside the records' path. HEXGPU_ERR_IO. */
hexgpu_status hexgpu_shard_output_begin(shard_output *o, hexgpu_error *err);
/* Moves the temporaries into place, targets first and records last (so a record file
 * that is there implies its targets are), never over an existing file; syncs the folder
 * and removes the temporary one. On failure what was published is taken back. */
hexgpu_status hexgpu_shard_output_publish(shard_output *o, int with_training, hexgpu_error *err);
/* Removes the temporaries and the temporary folder (after a failure; a no-op after a
 * publish). */
void hexgpu_shard_output_abandon(shard_output *o);
