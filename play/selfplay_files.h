/* Self-play into files: the one function that plays a run into its record file and the
 * training targets beside it, used by `hexgpu selfplay` and by Python's selfplay(), so
 * that both write the same header, the same files and leave the same thing behind on a
 * failure or an interrupt. The command and the binding keep only their own concerns
 * (flags or keywords, progress lines, signals, returning the games). */
#pragma once

#include <stdint.h>
#include <time.h>

#include "hexgpu.h"
#include "play/selfplay.h"

/* Where and how the files are written. */
typedef struct hexgpu_selfplay_output {
    const char *dir;              /* the record file's folder, created if missing; NULL: no files at all */
    const char *model;            /* the model named in the header ("" if NULL) */
    int streaming;                /* 1: games stay in finishing order (else rewritten in game order at the end) */
    int shard_index, shard_count; /* shard_count > 0: the run is that shard of a larger one */
    time_t when;                  /* names the file (local time); 0: now */
} hexgpu_selfplay_output;

/* What was written. Paths are empty when there are no files (dir NULL, or they could not
 * be created). */
typedef struct hexgpu_selfplay_files {
    char records_path[4096];
    char training_path[4096]; /* empty without config->training_data */
    int64_t games;            /* games in the record file */
    int opened;               /* 1 once the files existed (a failure after it is the run's or a write's) */
    int removed;              /* 1: the run ended before its first game, so the files were removed */
} hexgpu_selfplay_files;

/* Called once the files exist, before the first game is played (never with dir NULL). */
typedef void (*hexgpu_selfplay_on_files)(void *user, const hexgpu_selfplay_files *files);

/* Plays config's games on engine (hexgpu_selfplay_run) and writes each finished game, as
 * it finishes, to <dir>/selfplay_<stamp>.trmph (header with every setting of the run,
 * the reference's keys included) and, with config->training_data, its targets to .train
 * (+ .train.json), then closes both (non-streaming: records in game order). on_files and
 * on_game (each may be NULL) see the files opened and every game after it is written;
 * on_game's failure stops the run as in hexgpu_selfplay_run. A config the driver refuses
 * is refused before the folder or any file is made; a run that fails or is interrupted
 * before its first game leaves no file (files->removed). files and stats
 * (either may be NULL) are filled also on failure. Returns the run's failure, else that
 * of writing or closing the files (the games written before stay, each whole). */
hexgpu_status hexgpu_selfplay_run_to_files(hexgpu_engine *engine, const hexgpu_selfplay_config *config,
                                           const hexgpu_selfplay_output *output, hexgpu_selfplay_on_files on_files,
                                           hexgpu_selfplay_on_game on_game, void *user, hexgpu_selfplay_files *files,
                                           hexgpu_selfplay_stats *stats, hexgpu_error *err);
