/* Self-play record files: `<dir>/selfplay_<YYYYmmdd_HHMMSS>.trmph` with `# ` header lines
 * and one `#n,<moves> <b|r>` line per game, written as games finish (streaming: each
 * line flushed at once) or all at the end in game order. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "hexgpu.h"

typedef struct hexgpu_record_writer hexgpu_record_writer;

/* What the header says about the run. */
typedef struct hexgpu_record_header {
    const char *model;
    int board_size;
    int simulations;
    double c_puct;
    int gumbel; /* 1 when Gumbel root selection is in use */
    double temperature, temperature_end;
    const char *opening;
    uint64_t seed;
    int64_t games;
} hexgpu_record_header;

/* Creates <dir>/selfplay_<stamp>.trmph (stamp from `when`, local time; a name already
 * taken gets a suffix _2, _3, ... rather than being overwritten), writes and flushes the
 * header. HEXGPU_ERR_IO naming the path when it cannot be created or written. */
hexgpu_status hexgpu_record_writer_open(const char *dir, const hexgpu_record_header *header, int streaming,
                                        time_t when, hexgpu_record_writer **writer, hexgpu_error *err);
/* The same on an exact path (created or truncated). */
hexgpu_status hexgpu_record_writer_open_path(const char *path, const hexgpu_record_header *header, int streaming,
                                             time_t when, hexgpu_record_writer **writer, hexgpu_error *err);

const char *hexgpu_record_writer_path(const hexgpu_record_writer *writer);

/* Adds game `index`'s record line (without newline). Streaming: written and flushed now
 * (HEXGPU_ERR_IO on a write error; lines written before stay in the file). Otherwise
 * kept until close. */
hexgpu_status hexgpu_record_writer_add(hexgpu_record_writer *writer, int64_t index, const char *line,
                                       hexgpu_error *err);

/* Writes the kept lines in game order, closes and frees (also on failure: the writer is
 * gone either way). NULL is a no-op. */
hexgpu_status hexgpu_record_writer_close(hexgpu_record_writer *writer, hexgpu_error *err);
