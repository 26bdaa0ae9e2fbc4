/* Merging the shard files of a sharded self-play run (`hexgpu selfplay --shard I/N`) into
 * one record file and one training-target file, as one unsharded run with the same seed
 * would have written them (records in game order). Every input is checked first:
 * regular files only, whole lines, every record a legal finished game, one board size,
 * the same run (model, seed, search settings, shard count, training data) in every
 * header, a well-formed Shard line within bounds, each shard at most once, disjoint game
 * ranges, no game twice; training targets replayed against the records: every row of one
 * of the shard's games, each game's rows whole and its game one of the shard's record
 * lines, every record line with its rows. Nothing is in place unless every check
 * passes: the outputs are written in a temporary folder beside OUT and moved into place
 * at the end, targets first and the record file last, never over an existing file. */
#pragma once

#include <stdint.h>

#include "hexgpu.h"

typedef struct hexgpu_shard_merge_options {
    int allow_incomplete; /* merge a run with shards missing or short of their games */
    int no_training;      /* merge the records alone, even when the shards have targets */
} hexgpu_shard_merge_options;

typedef struct hexgpu_shard_merge_totals {
    int shards, shard_count;   /* shards merged, of how many the run had */
    int64_t games, expected;   /* games found; games the merged shards were to play */
    int64_t blue_wins, red_wins;
    int64_t training_rows;     /* -1 when no training targets were written */
    int targets_left_out;      /* the shards have targets and no_training left them out */
    char missing[256];         /* the shard indices absent, "" when none (e.g. "1, 3") */
} hexgpu_shard_merge_totals;

/* Merges inputs[0..count) (record files `....trmph`; their training targets are the
 * `.train` / `.train.json` beside each) into output and, with targets, output's `.train`
 * and `.train.json`. Shards whose header says they have targets must all have them
 * (HEXGPU_ERR_IO naming the one missing) unless options->no_training. None of the three
 * outputs may exist (HEXGPU_ERR_INVALID_ARGUMENT, naming the input when it is one).
 * HEXGPU_ERR_INVALID_ARGUMENT / HEXGPU_ERR_PARSE naming the file and line for a bad
 * input (not a regular file, malformed, of another run, inconsistent), HEXGPU_ERR_IO for
 * a file that cannot be read or written, HEXGPU_ERR_OUT_OF_MEMORY when the records do
 * not fit in memory. Unless options->allow_incomplete, a run with a shard missing or a
 * shard short of its games (an interrupted one) is refused too, naming them. */
hexgpu_status hexgpu_shard_merge(const char *const *inputs, int count, const char *output,
                                 const hexgpu_shard_merge_options *options, hexgpu_shard_merge_totals *totals,
                                 hexgpu_error *err);
