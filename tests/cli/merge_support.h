/* Shared by the `hexgpu records merge` suites: a sharded self-play run to merge, the
 * merge run as a user runs it, and what a folder holds. */
#pragma once

#include <stddef.h>

#include "support/run_cli.h"

/* Runs selfplay into dir with extra flags (NULL-terminated); the path of the record file
 * it made goes to path (room for 512). */
void merge_test_play(const char *dir, const char *const *extra, char *path);

/* A run of 5 games, seed 8, 4 simulations, with training targets, in 3 shards in dir:
 * shard[i] is shard i's record file (room for 512 each). */
void merge_test_shards(const char *dir, char shard[3][512]);

/* `hexgpu records merge ARGS...` (args NULL-terminated, at most 14) with options (may be NULL). */
hexgpu_cli_result merge_test_run(const char *const *args, const hexgpu_cli_options *options);

/* Every name in dir but "." and "..", dot files included, sorted, one per line, into out. */
void merge_test_names(const char *dir, char *out, size_t cap);

/* The path of a record file's training data (`.train`) or sidecar (`.train.json`). */
void merge_test_train_path(const char *records, const char *ext, char *out, size_t cap);
