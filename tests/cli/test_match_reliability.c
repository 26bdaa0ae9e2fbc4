/* `hexgpu match` never loses a match and never hangs on a signal: --output_dir is made
 * before the first game (an impossible one fails before any game), the result is printed
 * even when the record file cannot be written, and SIGINT/SIGTERM end a match within a
 * second while an --opponent is silent, killing the opponent and what it started. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/timer.h"
#include "support/fixtures.h"
#include "support/folders.h"
#include "support/run_cli.h"

static hexgpu_cli_result run_match(const char *dir, const char *const *extra, const hexgpu_cli_options *options) {
    const char *argv[32] = {"match",     "--model", hexgpu_test_fixture_path("tiny11/model.safetensors"),
                            "--backend", "cpu",     "--sims",
                            "2,1",       "--games", "2",
                            "--seed",    "1",       "--output_dir",
                            dir};
    int n = 13;
    for (int i = 0; extra && extra[i]; i++) argv[n++] = extra[i];
    argv[n] = NULL;
    hexgpu_cli_result r;
    cr_assert_eq(hexgpu_cli_run_with(argv, NULL, options, &r), 0);
    return r;
}

Test(cli_match, output_folder_made_first_and_result_kept, .timeout = 120) {
    char dir[] = "/tmp/hexgpu_match_XXXXXX", nested[128], file[128];
    cr_assert(mkdtemp(dir));
    /* A folder that does not exist yet, two levels deep, is made. */
    snprintf(nested, sizeof nested, "%s/a/b", dir);
    hexgpu_cli_result r = run_match(nested, NULL, NULL);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.out, "records: ") && strstr(r.out, nested), "%s", r.out);
    cr_assert_eq(hexgpu_test_folder_entries(nested), 1);
    hexgpu_cli_result_free(&r);
    /* One that cannot be made (a file is in the way) fails before the first game. */
    snprintf(file, sizeof file, "%s/plain", dir);
    FILE *f = fopen(file, "w");
    fclose(f);
    snprintf(nested, sizeof nested, "%s/plain/sub", dir);
    r = run_match(nested, (const char *[]){"--verbose", NULL}, NULL);
    cr_assert_eq(r.exit_code, 1, "%s", r.err);
    cr_assert(strstr(r.err, "--output_dir: cannot create the folder"), "%s", r.err);
    cr_assert(!strstr(r.err, "game 0:") && r.out[0] == '\0', "games were played: %s%s", r.out, r.err);
    hexgpu_cli_result_free(&r);
    /* A record file that cannot be written (a file size limit): the result is printed all
     * the same, then the error, exit 1; no partial record file is left. */
    snprintf(nested, sizeof nested, "%s/limited", dir);
    hexgpu_cli_options small = {.limit_file_size = 1, .file_size = 100};
    r = run_match(nested, (const char *[]){"--json", NULL}, &small);
    cr_assert_eq(r.exit_code, 1, "%s", r.err);
    cr_assert(strstr(r.out, "\"games\":2,") && strstr(r.out, "\"records\":null"), "%s", r.out);
    cr_assert(strstr(hexgpu_cli_last_line(r.err), "error: cannot write ") &&
                  strstr(hexgpu_cli_last_line(r.err), "File too large"),
              "%s", r.err);
    cr_assert_eq(hexgpu_test_folder_entries(nested), 0);
    hexgpu_cli_result_free(&r);
    hexgpu_test_folder_remove(dir);
}

/* 1 when process pid is gone or a zombie (killed, waiting for init to reap it). */
static int process_ended(pid_t pid) {
    char path[64], stat_line[512] = "";
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return 1;
    char *got = fgets(stat_line, sizeof stat_line, f);
    fclose(f);
    const char *close_paren = got ? strrchr(stat_line, ')') : NULL;
    return !close_paren || close_paren[2] == 'Z' || close_paren[2] == 'X';
}

/* The opponent never answers, and has started a child of its own; the signal comes while
 * the match waits for its first reply (the default wait is 600 s). */
static void signal_silent_opponent(int sig, const char *flag, const char *want) {
    char dir[] = "/tmp/hexgpu_match_XXXXXX", opponent[256], pid_file[128];
    cr_assert(mkdtemp(dir));
    snprintf(pid_file, sizeof pid_file, "%s/child.pid", dir);
    snprintf(opponent, sizeof opponent, "sh -c 'sleep 300 & echo $! > %s; sleep 300'", pid_file);
    const char *argv[] = {"match",
                          "--model",
                          hexgpu_test_fixture_path("tiny11/model.safetensors"),
                          "--backend",
                          "cpu",
                          "--opponent",
                          opponent,
                          "--games",
                          "2",
                          "--output_dir",
                          dir,
                          flag,
                          NULL};
    hexgpu_cli_child child;
    hexgpu_cli_options bounded = {.alarm_seconds = 30}; /* a match that ignores the signal fails, not hangs */
    cr_assert_eq(hexgpu_cli_spawn(argv, &bounded, &child), 0);
    pid_t grandchild = 0;
    for (int i = 0; i < 400 && !grandchild; i++) { /* until the opponent has started its child */
        FILE *f = fopen(pid_file, "r");
        int pid = 0;
        if (f && fscanf(f, "%d", &pid) == 1) grandchild = pid;
        if (f) fclose(f);
        if (!grandchild) hexgpu_cli_child_read(&child, NULL, 25);
    }
    cr_assert_gt(grandchild, 0, "the opponent did not start: %s", child.output);
    hexgpu_cli_child_read(&child, NULL, 200); /* the match is waiting for the opponent's name */
    double sent = hexgpu_timer_now_seconds();
    cr_assert_eq(kill(child.pid, sig), 0);
    hexgpu_cli_result r;
    hexgpu_cli_child_finish(&child, &r);
    double took = hexgpu_timer_now_seconds() - sent;
    cr_assert_lt(took, 1.0, "the match took %.2f s to end after the signal: %s", took, r.err);
    cr_assert_eq(r.exit_code, 1, "%s", r.err);
    cr_assert(strstr(r.err, want), "%s", r.err);
    cr_assert(strstr(r.err, "error: interrupted after 0 of 2 games"), "%s", r.err);
    int ended = 0;
    for (int i = 0; i < 100 && !(ended = process_ended(grandchild)); i++) {
        struct timespec pause = {0, 10 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    if (!ended) kill(grandchild, SIGKILL);
    cr_assert(ended, "the opponent's own child (pid %d) outlived the match", (int)grandchild);
    hexgpu_cli_result_free(&r);
    hexgpu_test_folder_remove(dir);
}

Test(cli_match, sigint_ends_a_match_with_a_silent_opponent, .timeout = 120) {
    signal_silent_opponent(SIGINT, "--verbose", "games 0: A won 0, B won 0");
}

Test(cli_match, sigterm_ends_a_match_with_a_silent_opponent, .timeout = 120) {
    signal_silent_opponent(SIGTERM, "--json", "\"games\":0,");
}

/* Against a real opponent (`hexgpu htp`), stopped after its first game: the games finished
 * so far are counted, printed and written. */
Test(cli_match, sigint_keeps_the_games_finished_so_far, .timeout = 120) {
    char dir[] = "/tmp/hexgpu_match_XXXXXX", opponent[1024];
    cr_assert(mkdtemp(dir));
    const char *model = hexgpu_test_fixture_path("tiny11/model.safetensors");
    snprintf(opponent, sizeof opponent, "%s htp --model %s --backend cpu --sims 1", HEXGPU_CLI_PATH, model);
    const char *argv[] = {"match", "--model", model, "--backend",    "cpu", "--opponent", opponent, "--sims",
                          "1",     "--games", "40",  "--output_dir", dir,   "--verbose",  NULL};
    hexgpu_cli_child child;
    hexgpu_cli_options bounded = {.alarm_seconds = 60};
    cr_assert_eq(hexgpu_cli_spawn(argv, &bounded, &child), 0);
    cr_assert(hexgpu_cli_child_read(&child, "game 0: ", 60000), "no game finished: %s", child.output);
    cr_assert_eq(kill(child.pid, SIGINT), 0);
    hexgpu_cli_result r;
    hexgpu_cli_child_finish(&child, &r);
    cr_assert_eq(r.exit_code, 1, "%s", r.err);
    long long games = -1;
    const char *at = strstr(r.err, "error: interrupted after ");
    cr_assert(at && sscanf(at, "error: interrupted after %lld of 40 games", &games) == 1, "%s", r.err);
    cr_assert(games >= 1 && games < 40, "%s", r.err);
    char want[64];
    snprintf(want, sizeof want, "games %lld: A won", games);
    cr_assert(strstr(r.err, want), "the result of the games so far: %s", r.err);
    cr_assert_eq(hexgpu_test_folder_entries(dir), 1, "the record file");
    hexgpu_cli_result_free(&r);
    hexgpu_test_folder_remove(dir);
}
