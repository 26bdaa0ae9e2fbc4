/* Self-play into files (selfplay_files.h): the record header built from the run's
 * settings, the record and training writers opened, fed game by game and closed. */
#include "play/selfplay_files.h"

#include <stdio.h>
#include <string.h>

#include "base/status.h"
#include "records/record_writer.h"
#include "records/training_writer.h"
#include "search/mcts.h"

typedef struct files_run {
    hexgpu_record_writer *records;    /* NULL: no files */
    hexgpu_training_writer *training; /* NULL: no targets */
    hexgpu_selfplay_on_game on_game;
    void *user;
} files_run;

static hexgpu_record_header header_of(const hexgpu_selfplay_config *c, const hexgpu_selfplay_output *o,
                                      int board_size) {
    return (hexgpu_record_header){.model = o->model ? o->model : "",
                                  .board_size = board_size,
                                  .simulations = c->mcts.simulations,
                                  .c_puct = c->mcts.c_puct,
                                  .gumbel = hexgpu_mcts_uses_gumbel(&c->mcts),
                                  .temperature = c->mcts.temperature,
                                  .temperature_end = c->mcts.temperature_end,
                                  .opening = hexgpu_selfplay_opening_name(c->opening),
                                  .seed = c->seed,
                                  .games = c->games,
                                  .tree_reuse = c->mcts.tree_reuse,
                                  .early_stop = c->mcts.early_stop,
                                  .fast_simulations = c->fast_simulations,
                                  .full_probability = c->full_probability,
                                  .bad_move_frequency = c->bad_move_frequency,
                                  .random_move_frequency = c->random_move_frequency,
                                  .training_data = c->training_data,
                                  .shard_index = o->shard_index,
                                  .shard_count = o->shard_count,
                                  .first_game = c->first_game};
}

/* Called by the driver one game at a time: the record line, the targets, then the caller. */
static hexgpu_status write_game(void *user, const hexgpu_selfplay_game *game, hexgpu_error *err) {
    files_run *r = user;
    hexgpu_status st = HEXGPU_OK;
    if (r->records) st = hexgpu_record_writer_add(r->records, game->index, game->record, err);
    if (st == HEXGPU_OK && r->training)
        st = hexgpu_training_writer_add_game(r->training, game->index, game->winner, game->rows, game->row_count, err);
    if (st == HEXGPU_OK && r->on_game) st = r->on_game(r->user, game, err);
    return st;
}

static hexgpu_status open_files(hexgpu_engine *engine, const hexgpu_selfplay_config *config,
                                const hexgpu_selfplay_output *output, files_run *r, hexgpu_selfplay_files *files,
                                hexgpu_error *err) {
    int size = hexgpu_engine_board_size(engine);
    hexgpu_record_header header = header_of(config, output, size);
    hexgpu_status st = hexgpu_record_writer_open(output->dir, &header, output->streaming,
                                                 output->when ? output->when : time(NULL), &r->records, err);
    if (st != HEXGPU_OK) return st;
    snprintf(files->records_path, sizeof files->records_path, "%s", hexgpu_record_writer_path(r->records));
    if (config->training_data) {
        st = hexgpu_training_writer_open(files->records_path, size, &r->training, err);
        if (st != HEXGPU_OK) {
            hexgpu_record_writer_discard(r->records);
            r->records = NULL;
            files->records_path[0] = '\0';
            return st;
        }
        snprintf(files->training_path, sizeof files->training_path, "%s", hexgpu_training_writer_path(r->training));
    }
    files->opened = 1;
    return HEXGPU_OK;
}

hexgpu_status hexgpu_selfplay_run_to_files(hexgpu_engine *engine, const hexgpu_selfplay_config *config,
                                           const hexgpu_selfplay_output *output, hexgpu_selfplay_on_files on_files,
                                           hexgpu_selfplay_on_game on_game, void *user, hexgpu_selfplay_files *files,
                                           hexgpu_selfplay_stats *stats, hexgpu_error *err) {
    hexgpu_selfplay_files own_files;
    hexgpu_selfplay_stats own_stats;
    if (!files) files = &own_files;
    if (!stats) stats = &own_stats;
    memset(files, 0, sizeof *files);
    memset(stats, 0, sizeof *stats);
    files_run r = {.on_game = on_game, .user = user};
    hexgpu_selfplay_config c = *config;
    if (!output || !output->dir) c.training_data = 0; /* nowhere to put them */
    if (output && output->dir) {
        /* A run that cannot start makes no folder and no file. */
        hexgpu_status st = hexgpu_selfplay_config_check(&c, err);
        if (st == HEXGPU_OK) st = open_files(engine, &c, output, &r, files, err);
        if (st != HEXGPU_OK) return st;
        if (on_files) on_files(user, files);
    }
    hexgpu_status st = hexgpu_selfplay_run(engine, &c, write_game, &r, stats, err);
    if (!r.records) return st;

    files->games = hexgpu_record_writer_games(r.records);
    if (files->games == 0 && (st != HEXGPU_OK || stats->interrupted)) {
        hexgpu_record_writer_discard(r.records);
        hexgpu_training_writer_discard(r.training);
        files->removed = 1;
        return st;
    }
    /* A failed run's own error wins; the files are closed (and kept, each whole) either way. */
    hexgpu_error close_err = {0};
    hexgpu_status closed = hexgpu_record_writer_close(r.records, &close_err);
    hexgpu_status training_closed = hexgpu_training_writer_close(r.training, closed ? NULL : &close_err);
    if (closed == HEXGPU_OK) closed = training_closed;
    if (st != HEXGPU_OK) return st;
    if (closed != HEXGPU_OK && err) *err = close_err;
    return closed;
}
