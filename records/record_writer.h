/* Self-play record files: `<dir>/selfplay_<YYYYmmdd_HHMMSS>.trmph` with `# ` header lines
 * and one `#n,<moves> <b|r>` line per game.
 *
 * The file is its own journal: the header, then each game's line as the game finishes,
 * each reaches the file with one write() (no user-space buffer), so a kill at any moment
 * (SIGKILL, the OOM killer) leaves a file of whole lines holding every finished game, in
 * finishing order. The file is synced at least once a second (fdatasync), so a power cut
 * loses at most the games of the last second. Without streaming the file is rewritten in
 * game order at close: a temporary `<path>.tmp` written whole, synced and renamed over the
 * journal, so a kill during the rewrite leaves the journal complete (and perhaps a
 * `.tmp` to delete). */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "hexgpu.h"

typedef struct hexgpu_record_writer hexgpu_record_writer;

/* What the header says about the run. Text fields are written escaped (control characters,
 * C1 controls, U+2028/U+2029 and the backslash as C-style escapes), so no field can end
 * the header line or forge a record line. */
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
    int tree_reuse;            /* subtree kept between moves */
    double early_stop;         /* 0 = off */
    int fast_simulations;      /* playout cap: 0 = off */
    double full_probability;
    double bad_move_frequency;    /* the reference's: bad first moves in the pie_rule cycle */
    double random_move_frequency; /* hexgpu's: random moves instead of the search's (0 = off) */
    int training_data;         /* targets in <this file>.train (layout in .train.json) */
    int shard_index, shard_count; /* shard_count > 0: this file is shard shard_index of that many */
    int64_t first_game;        /* the games are first_game .. first_game + games - 1 */
} hexgpu_record_header;

/* Creates <dir>/selfplay_<stamp>.trmph exclusively (stamp from `when`, local time; a name
 * already taken gets a suffix _2, _3, ... rather than being overwritten) and writes the
 * header with one write(). streaming: the lines stay in finishing order (else the file is
 * rewritten in game order at close). Failures, HEXGPU_ERR_IO naming the path: the file cannot be
 * created, or the header does not fit (full disk, file size limit): then the file is
 * removed, so nothing is left behind, and *writer stays NULL. */
hexgpu_status hexgpu_record_writer_open(const char *dir, const hexgpu_record_header *header, int streaming,
                                        time_t when, hexgpu_record_writer **writer, hexgpu_error *err);

const char *hexgpu_record_writer_path(const hexgpu_record_writer *writer);

/* Record lines in the file, each whole. */
int64_t hexgpu_record_writer_games(const hexgpu_record_writer *writer);

/* Appends game `index`'s record line (given without newline) with one write(). On
 * failure (HEXGPU_ERR_IO: full disk, file size limit; HEXGPU_ERR_OUT_OF_MEMORY) the file
 * is cut back to its last whole line: the lines added before stay, each whole. */
hexgpu_status hexgpu_record_writer_add(hexgpu_record_writer *writer, int64_t index, const char *line,
                                       hexgpu_error *err);

/* Syncs, rewrites a non-streaming writer's file in game order (when its lines are not in
 * order already), closes and frees: the writer is gone either way. When the rewrite
 * fails the journal stays, whole, in finishing order, and the error says so. NULL is a
 * no-op. */
hexgpu_status hexgpu_record_writer_close(hexgpu_record_writer *writer, hexgpu_error *err);

/* Closes, removes the file and frees: for a run that ends before its first game, so that
 * it leaves no file of header lines only. NULL is a no-op. */
void hexgpu_record_writer_discard(hexgpu_record_writer *writer);
