/* Merging the shard files of a sharded self-play run (`hexgpu selfplay --shard I/N`) into
 * one record file and one training-target file, as one unsharded run with the same seed
 * would have written them (records in game order). Every input is checked first:
 * whole lines only, every record a legal finished game, one board size, the same run
 * (model, seed, search settings, shard count) in every header, each shard at most once,
 * disjoint game ranges; training targets whole records of the shard's own games. Nothing
 * is written unless every check passes; the outputs appear whole (temporary name, then
 * rename). */
#pragma once

#include <stdint.h>

#include "hexgpu.h"

typedef struct hexgpu_shard_merge_totals {
    int shards, shard_count;   /* shards merged, of how many the run had */
    int64_t games, expected;   /* games found; games the merged shards were to play */
    int64_t blue_wins, red_wins;
    int64_t training_rows;     /* -1 when the shards carry no training targets */
    char missing[256];         /* the shard indices absent, "" when none (e.g. "1, 3") */
} hexgpu_shard_merge_totals;

/* Merges inputs[0..count) (record files `....trmph`; their training targets are taken
 * from the `.train` / `.train.json` beside each, when every shard has them) into output
 * (a record file path that must not exist yet) and, with targets, output's `.train` and
 * `.train.json`. HEXGPU_ERR_INVALID_ARGUMENT / HEXGPU_ERR_PARSE naming the file and line
 * for a bad input, HEXGPU_ERR_IO for a file that cannot be read or written. */
/* Unless allow_incomplete, a run with a shard missing or a shard short of its games (an
 * interrupted one) is refused too, naming them. */
hexgpu_status hexgpu_shard_merge(const char *const *inputs, int count, const char *output, int allow_incomplete,
                                 hexgpu_shard_merge_totals *totals, hexgpu_error *err);
