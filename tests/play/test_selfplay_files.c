/* Self-play into files (play/selfplay_files.c), the function the command and Python call:
 * the header says every setting (shard fields too), games and targets reach the files,
 * the caller sees each game after it is written, and a run that ends before its first
 * game leaves nothing behind. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/interrupt.h"
#include "host/host_support.h"
#include "play/selfplay_files.h"
#include "support/folders.h"

typedef struct seen {
    int files_calls, games;
    char records_at_open[4096];
    long records_size_at_game[16];
    const hexgpu_selfplay_files *files;
    volatile sig_atomic_t *interrupt_now; /* raised at on_files: no game finishes */
} seen;

static long file_size(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n;
}

static void on_files(void *user, const hexgpu_selfplay_files *files) {
    seen *s = user;
    s->files_calls++;
    snprintf(s->records_at_open, sizeof s->records_at_open, "%s", files->records_path);
    s->files = files;
    if (s->interrupt_now) hexgpu_interrupt_raise(s->interrupt_now);
}

static hexgpu_status on_game(void *user, const hexgpu_selfplay_game *game, hexgpu_error *err) {
    (void)err;
    seen *s = user;
    cr_assert_lt(s->games, 16);
    /* the game is in the record file before the caller hears of it */
    s->records_size_at_game[s->games++] = file_size(s->records_at_open);
    cr_assert(game->record[0] == '#');
    return HEXGPU_OK;
}

static hexgpu_engine *small_engine(void) {
    hexgpu_synthetic_config sc = {.board_size = 5};
    hexgpu_engine_options o;
    hexgpu_engine_options_default(&o);
    return host_test_engine(&sc, &o, NULL);
}

static hexgpu_selfplay_config small_config(int games) {
    hexgpu_selfplay_config c;
    hexgpu_selfplay_config_default(&c);
    c.games = games;
    c.first_game = 6;
    c.mcts.simulations = 8;
    c.seed = 77;
    c.training_data = 1;
    c.opening = HEXGPU_OPENING_RANDOM;
    return c;
}

static char *read_all(const char *path) {
    FILE *f = fopen(path, "rb");
    cr_assert(f, "%s", path);
    static char text[1 << 16];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    return text;
}

Test(selfplay_files, header_games_and_targets_reach_the_files) {
    char dir[] = "/tmp/hexgpu_selfplay_files_XXXXXX";
    cr_assert(mkdtemp(dir));
    hexgpu_engine *e = small_engine();
    hexgpu_selfplay_config c = small_config(4);
    hexgpu_selfplay_output out = {.dir = dir, .model = "net.pt", .shard_index = 1, .shard_count = 3};
    seen s = {0};
    hexgpu_selfplay_files files;
    hexgpu_selfplay_stats stats;
    hexgpu_error err = {0};
    cr_assert_eq(hexgpu_selfplay_run_to_files(e, &c, &out, on_files, on_game, &s, &files, &stats, &err), HEXGPU_OK,
                 "%s", err.message);
    cr_assert_eq(s.files_calls, 1);
    cr_assert_eq(s.games, 4);
    for (int i = 0; i < 4; i++) cr_assert_gt(s.records_size_at_game[i], 0);
    cr_assert_eq(files.games, 4);
    cr_assert(files.opened && !files.removed);
    cr_assert_str_eq(files.records_path, s.records_at_open);
    const char *text = read_all(files.records_path);
    cr_assert(strstr(text, "# Model: net.pt\n"), "%s", text);
    cr_assert(strstr(text, "# Shard: 1/3, games 6..9\n"), "%s", text);
    cr_assert(strstr(text, "# Opening strategy: random\n"), "%s", text);
    cr_assert(strstr(text, "# MCTS simulations: 8\n"), "%s", text);
    /* games in game order (not streaming), each a record line */
    int lines = 0;
    for (const char *p = strstr(text, "\n#5,"); p; p = strstr(p + 1, "\n#5,")) lines++;
    cr_assert_eq(lines, 4, "%s", text);
    /* the targets beside them: whole records of the 5x5 layout */
    cr_assert(strstr(files.training_path, ".train"));
    long bytes = file_size(files.training_path);
    cr_assert_gt(bytes, 0);
    cr_assert_eq(bytes % (120 + 2 * 4 * 25), 0, "%ld", bytes);
    char sidecar[4200];
    snprintf(sidecar, sizeof sidecar, "%s.json", files.training_path);
    cr_assert_gt(file_size(sidecar), 0);
    hexgpu_engine_close(e);
    unlink(sidecar), unlink(files.training_path), unlink(files.records_path);
    cr_assert_eq(rmdir(dir), 0, "files left in %s", dir);
}

Test(selfplay_files, interrupted_before_the_first_game_leaves_nothing) {
    char dir[] = "/tmp/hexgpu_selfplay_files_XXXXXX";
    cr_assert(mkdtemp(dir));
    hexgpu_engine *e = small_engine();
    hexgpu_selfplay_config c = small_config(50);
    volatile sig_atomic_t interrupt = 0;
    c.interrupt = &interrupt;
    hexgpu_selfplay_output out = {.dir = dir};
    seen s = {.interrupt_now = &interrupt};
    hexgpu_selfplay_files files;
    hexgpu_selfplay_stats stats;
    hexgpu_error err = {0};
    cr_assert_eq(hexgpu_selfplay_run_to_files(e, &c, &out, on_files, on_game, &s, &files, &stats, &err), HEXGPU_OK,
                 "%s", err.message);
    cr_assert(stats.interrupted);
    cr_assert_eq(s.files_calls, 1);
    cr_assert(files.removed);
    cr_assert_eq(hexgpu_test_folder_entries(dir), 0);
    hexgpu_engine_close(e);
    rmdir(dir);
}

Test(selfplay_files, no_folder_means_no_files) {
    hexgpu_engine *e = small_engine();
    hexgpu_selfplay_config c = small_config(2);
    hexgpu_selfplay_output out = {.dir = NULL};
    seen s = {0};
    hexgpu_selfplay_files files;
    hexgpu_error err = {0};
    cr_assert_eq(hexgpu_selfplay_run_to_files(e, &c, &out, on_files, on_game, &s, &files, NULL, &err), HEXGPU_OK,
                 "%s", err.message);
    cr_assert_eq(s.files_calls, 0);
    cr_assert_eq(s.games, 2);
    cr_assert(!files.opened && files.records_path[0] == '\0' && files.training_path[0] == '\0');
    hexgpu_engine_close(e);
}

Test(selfplay_files, a_folder_that_cannot_be_made_fails_before_any_game) {
    hexgpu_engine *e = small_engine();
    hexgpu_selfplay_config c = small_config(2);
    hexgpu_selfplay_output out = {.dir = "/proc/hexgpu-cannot-be-here"};
    seen s = {0};
    hexgpu_selfplay_files files;
    hexgpu_error err = {0};
    cr_assert_eq(hexgpu_selfplay_run_to_files(e, &c, &out, on_files, on_game, &s, &files, NULL, &err), HEXGPU_ERR_IO);
    cr_assert(strstr(err.message, "/proc/hexgpu-cannot-be-here"), "%s", err.message);
    cr_assert_eq(s.files_calls + s.games, 0);
    cr_assert(!files.opened);
    hexgpu_engine_close(e);
}

/* A configuration the driver refuses is refused before anything is made: no folder, no
 * file, no on_files. */
Test(selfplay_files, a_bad_configuration_makes_no_folder) {
    char dir[] = "/tmp/hexgpu_selfplay_files_XXXXXX", sub[64];
    cr_assert(mkdtemp(dir));
    snprintf(sub, sizeof sub, "%s/records", dir);
    hexgpu_engine *e = small_engine();
    hexgpu_selfplay_config c = small_config(2);
    c.mcts.simulations = 0;
    hexgpu_selfplay_output out = {.dir = sub};
    seen s = {0};
    hexgpu_selfplay_files files;
    hexgpu_error err = {0};
    cr_assert_eq(hexgpu_selfplay_run_to_files(e, &c, &out, on_files, on_game, &s, &files, NULL, &err),
                 HEXGPU_ERR_INVALID_ARGUMENT);
    cr_assert(strstr(err.message, "simulations"), "%s", err.message);
    cr_assert_eq(s.files_calls + s.games, 0);
    cr_assert(!files.opened && !files.removed);
    cr_assert_eq(hexgpu_test_folder_entries(dir), 0, "%s was made for a run that could not start", sub);
    hexgpu_engine_close(e);
    rmdir(dir);
}
