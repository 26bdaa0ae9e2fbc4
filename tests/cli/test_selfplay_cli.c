/* `hexgpu selfplay` on the tiny13 fixture (CPU backend, few games, few simulations): the
 * record file's name, header and lines; the same games for the same seed; flags that
 * change the header; exit codes of bad flags, an unwritable output directory and a full
 * disk (which keeps the games already written, each whole). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/selfplay_support.h"
#include "support/fixtures.h"

static hexgpu_cli_result selfplay(const char *const *extra, char **file, char *name) {
    return selfplay_test_run(extra, NULL, file, name);
}

static int check_records(char *text, char records[][HEXGPU_TRMPH_MAX], int max) {
    return selfplay_test_check_records(text, records, max);
}

Test(cli_selfplay, writes_a_record_file_of_won_games, .timeout = 120) {
    char name[256], *file;
    const char *extra[] = {"--num_games", "3", "--mcts_sims", "16", "--seed", "5", "--games-in-flight", "2", NULL};
    hexgpu_cli_result r = selfplay(extra, &file, name);
    cr_assert_eq(r.exit_code, 0, "stderr: %s", r.err);
    cr_assert(file, "no record file");
    int y, mo, d, h, mi, s;
    char tail[16];
    cr_assert_eq(sscanf(name, "selfplay_%4d%2d%2d_%2d%2d%2d%15s", &y, &mo, &d, &h, &mi, &s, tail), 7, "%s", name);
    cr_assert_str_eq(tail, ".trmph");
    const char *want[] = {"# Date: ", "# Model: ", "tiny13/model.safetensors", "# MCTS simulations: 16\n",
                          "# c_puct: 1.5\n", "# Gumbel: on\n", "# Temperature: 0.5 -> 0.01\n", "# Seed: 5\n",
                          "# Format: trmph_string winner\n"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) cr_assert(strstr(file, want[i]), "no '%s'", want[i]);
    char records[8][HEXGPU_TRMPH_MAX];
    cr_assert_eq(check_records(file, records, 8), 3);
    cr_assert(strstr(r.out, "wrote 3 games to"), "%s", r.out);
    cr_assert(strstr(r.out, "network evaluations/s"), "%s", r.out);
    free(file);
    hexgpu_cli_result_free(&r);
}

/* The same seed gives the same games, also with streaming and two workers; --disable-gumbel
 * and --c-puct reach the header. */
Test(cli_selfplay, same_seed_same_games, .timeout = 120) {
    char name[256], *a, *b;
    const char *one[] = {"--num_games", "2", "--mcts_sims", "12", "--seed", "9", "--disable-gumbel",
                         "--c-puct", "2.5", "--opening_strategy", "random", NULL};
    const char *two[] = {"--num_games", "2", "--mcts_sims", "12", "--seed", "9", "--disable-gumbel", "--c-puct", "2.5",
                         "--opening_strategy", "random", "--streaming_save", "--num_workers", "2", "--verbose", NULL};
    hexgpu_cli_result r1 = selfplay(one, &a, name);
    hexgpu_cli_result r2 = selfplay(two, &b, name);
    cr_assert_eq(r1.exit_code, 0, "stderr: %s", r1.err);
    cr_assert_eq(r2.exit_code, 0, "stderr: %s", r2.err);
    cr_assert(strstr(a, "# Gumbel: off\n") && strstr(a, "# c_puct: 2.5\n"), "%s", a);
    cr_assert(strstr(r2.err, "game 0: ") && strstr(r2.err, "engine stats: {"), "%s", r2.err);
    char ra[4][HEXGPU_TRMPH_MAX], rb[4][HEXGPU_TRMPH_MAX];
    cr_assert_eq(check_records(a, ra, 4), 2);
    cr_assert_eq(check_records(b, rb, 4), 2);
    /* Streaming writes in finishing order: compare as sets. */
    int swapped = strcmp(ra[0], rb[0]) != 0;
    cr_assert_str_eq(ra[0], rb[swapped]);
    cr_assert_str_eq(ra[1], rb[!swapped]);
    free(a), free(b);
    hexgpu_cli_result_free(&r1), hexgpu_cli_result_free(&r2);
}

static void assert_usage_error(const char *const *argv) {
    hexgpu_cli_result r;
    cr_assert_eq(hexgpu_cli_run(argv, NULL, &r), 0);
    cr_assert_eq(r.exit_code, 2, "%s: exit %d, stderr %s", argv[1], r.exit_code, r.err);
    cr_assert(strncmp(r.err, "error: ", 7) == 0, "%s", r.err);
    hexgpu_cli_result_free(&r);
}

Test(cli_selfplay, bad_flags_exit_2) {
    const char *model = hexgpu_test_fixture_path("tiny13/model.safetensors");
    assert_usage_error((const char *[]){"selfplay", "--num_games", "3", NULL});
    assert_usage_error((const char *[]){"selfplay", "--model", model, "--mcts_sims", "0", NULL});
    assert_usage_error((const char *[]){"selfplay", "--model", model, "--num_games", "x", NULL});
    assert_usage_error((const char *[]){"selfplay", "--model", model, "--opening_strategy", "swap", NULL});
    assert_usage_error((const char *[]){"selfplay", "--model", model, "--temperature", "-1", NULL});
    assert_usage_error((const char *[]){"selfplay", "--model", model, "--backend", "tpu", NULL});
    assert_usage_error((const char *[]){"selfplay", "--model", model, "--frobnicate", NULL});
    assert_usage_error((const char *[]){"selfplay", "--model", model, "--seed", NULL});
}

/* A missing --output_dir is created with its parents (as the reference does); one that
 * cannot be (a file stands in the way) is an I/O error naming it. */
Test(cli_selfplay, output_dir_created_or_named_when_it_cannot_be) {
    char dir[64];
    selfplay_test_mkdir(dir);
    char nested[128], blocked[128];
    snprintf(nested, sizeof nested, "%s/new/deeper", dir);
    const char *argv[] = {"selfplay", "--model", hexgpu_test_fixture_path("tiny13/model.safetensors"), "--backend",
                          "cpu", "--num_games", "1", "--mcts_sims", "4", "--output_dir", nested, NULL};
    hexgpu_cli_result r;
    cr_assert_eq(hexgpu_cli_run(argv, NULL, &r), 0);
    cr_assert_eq(r.exit_code, 0, "stderr %s", r.err);
    cr_assert(strstr(r.err, "games go to ") && strstr(r.err, "/new/deeper/selfplay_"), "%s", r.err);
    hexgpu_cli_result_free(&r);
    char name[256];
    free(selfplay_test_take_file(nested, name));
    snprintf(blocked, sizeof blocked, "%s/new", dir);
    rmdir(blocked);
    FILE *f = fopen(blocked, "w"); /* a file where a folder should be */
    cr_assert_not_null(f);
    fclose(f);
    snprintf(nested, sizeof nested, "%s/new/deeper", dir);
    cr_assert_eq(hexgpu_cli_run(argv, NULL, &r), 0);
    cr_assert_eq(r.exit_code, 1, "stderr %s", r.err);
    cr_assert(strstr(r.err, "error: cannot create the folder") && strstr(r.err, "/new/deeper"), "%s", r.err);
    hexgpu_cli_result_free(&r);
    unlink(blocked);
    rmdir(dir);
}

/* A file size limit stands in for a full disk: writes past it fail with EFBIG (SIGXFSZ is
 * ignored in the child). The games written before stay, whole, the run fails with exit
 * code 1 and says how many games the file holds. */
static void full_disk_run(const char *mode) {
    char name[256], *file;
    const hexgpu_cli_options limit = {.limit_file_size = 1, .file_size = 1500};
    const char *extra[] = {"--num_games", "12", "--mcts_sims", "2", "--seed", "3", mode, NULL};
    hexgpu_cli_result r = selfplay_test_run(extra, &limit, &file, name);
    cr_assert_eq(r.exit_code, 1, "%s: exit %d, stderr %s", mode, r.exit_code, r.err);
    cr_assert(strstr(r.err, "error: cannot write ") && strstr(r.err, name), "%s", r.err);
    cr_assert(file, "the partial record file was removed");
    cr_assert_leq(strlen(file), 1500);
    cr_assert_eq(file[strlen(file) - 1], '\n', "a half-written line was left");
    char records[12][HEXGPU_TRMPH_MAX];
    int n = check_records(file, records, 12);
    cr_assert(n >= 1 && n < 12, "%s: %d records", mode, n);
    char said[64];
    snprintf(said, sizeof said, "the %d finished games are in ", n);
    cr_assert(strstr(r.err, said), "%s", r.err);
    free(file);
    hexgpu_cli_result_free(&r);
}

Test(cli_selfplay, full_disk_streaming_keeps_whole_games, .timeout = 120) { full_disk_run("--streaming_save"); }
Test(cli_selfplay, full_disk_at_the_end_keeps_whole_games, .timeout = 120) { full_disk_run("--verbose"); }
