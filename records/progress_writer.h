/* A self-play run's progress as JSON lines beside its record file
 * (`<records>.progress.jsonl`), which `hexgpu serve`'s dashboard plots: one line at the
 * first game, then at most one a second (every game counted), and a last one at close.
 * Each line: {"time" (unix s), "seconds" (since open), "games", "positions" (moves
 * played), "wins": {"blue", "red"}, "games_per_second", "positions_per_second" and
 * "evaluations_per_second" (over the interval since the previous line), "evaluated",
 * "cache_hit_rate", "mean_batch", "batch_histogram" (counts of sizes 1, 2-3, 4-7, ...),
 * "devices": [{"device", "evaluated", "boards_per_second", "busy_fraction"}], "final"}.
 * The file is created at the first line (a run that finishes no game leaves none), each
 * line reaches it with one write(). Writing is best effort: a failed write turns the
 * writer off and is reported once by close; the run goes on. Not thread safe (self-play
 * calls it under its lock). */
#pragma once

#include "hexgpu.h"

typedef struct hexgpu_progress_writer hexgpu_progress_writer;

/* A writer for records_path's progress file (nothing is created yet). NULL when out of
 * memory (progress is then not written). */
hexgpu_progress_writer *hexgpu_progress_writer_open(const char *records_path);

/* The file's path ("" once discarded). */
const char *hexgpu_progress_writer_path(const hexgpu_progress_writer *writer);

/* Counts a finished game of `moves` moves won by winner; writes a line when one is due,
 * reading engine's statistics then. NULL writer: no-op. */
void hexgpu_progress_writer_game(hexgpu_progress_writer *writer, hexgpu_engine *engine, int moves,
                                 hexgpu_color winner);

/* Writes the last line ("final": true) when any game was counted, closes and frees.
 * Returns HEXGPU_OK, or the first write failure (err says which file and why). NULL: OK. */
hexgpu_status hexgpu_progress_writer_close(hexgpu_progress_writer *writer, hexgpu_engine *engine,
                                           hexgpu_error *err);
