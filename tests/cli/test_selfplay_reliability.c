/* `hexgpu selfplay` when things go wrong: SIGKILL at a random moment loses no finished
 * game (with or without --streaming_save) and leaves only whole lines and whole training
 * records; a header that does
 * not fit leaves no file; a model path cannot forge lines; SIGTERM while the model loads
 * ends the run cleanly; game slots are allocated only for games played, and a
 * configuration larger than the machine's memory is refused at once. */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/selfplay_support.h"
#include "records/training_writer.h"
#include "support/bytes.h"
#include "support/fixtures.h"

/* The largest N of the "progress: N/..." lines in text: games reported finished. */
static int progress_reported(const char *text) {
    int most = 0;
    for (const char *p = text; (p = strstr(p, "progress: ")); p++) {
        int n;
        if (sscanf(p, "progress: %d/", &n) == 1 && n > most) most = n;
    }
    return most;
}

/* The games in dir's training-target file: its size is whole records (a game per
 * write), and each game's rows are together; returns how many games. */
static int training_games(const char *dir) {
    DIR *d = opendir(dir);
    cr_assert(d);
    char path[512] = "";
    for (struct dirent *e; (e = readdir(d));) {
        size_t n = strlen(e->d_name);
        if (n > 6 && strcmp(e->d_name + n - 6, ".train") == 0) snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    }
    closedir(d);
    cr_assert(path[0], "no training-target file in %s", dir);
    size_t len, bytes = hexgpu_training_record_bytes(13);
    unsigned char *data = hexgpu_test_read_file(path, &len);
    cr_assert_eq(len % bytes, 0, "%zu bytes: a torn record", len);
    int games = 0;
    uint64_t last = UINT64_MAX;
    for (size_t i = 0; i < len / bytes; i++) {
        uint64_t game = hexgpu_test_le(data + i * bytes, 8);
        if (game != last) games++, last = game;
    }
    free(data);
    return games;
}

/* Kills a run with SIGKILL at a random moment after its first finished game; the file
 * must hold at least every game reported finished (the game being written when the kill
 * came may be there too, whole), as whole lines after a whole header. mode may be NULL. */
static void kill_trials(const char *mode, int trials) {
    unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid() << 8;
    srand(seed);
    for (int t = 0; t < trials; t++) {
        char dir[64], name[256];
        const char *argv[48];
        const char *extra[] = {"--num_games", "500", "--mcts_sims", "8", "--games-in-flight", "2",
                               "--progress_interval", "1", "--seed", "11", mode, NULL};
        selfplay_test_mkdir(dir);
        selfplay_test_argv(dir, extra, argv);
        hexgpu_cli_child child;
        cr_assert_eq(hexgpu_cli_spawn(argv, NULL, &child), 0);
        cr_assert(hexgpu_cli_child_read(&child, "progress: 1/", 60000), "no game finished: %s", child.output);
        int delay_ms = rand() % 700;
        hexgpu_cli_child_read(&child, NULL, delay_ms);
        kill(child.pid, SIGKILL);
        hexgpu_cli_result r;
        hexgpu_cli_child_finish(&child, &r);
        cr_assert_eq(r.exit_code, 128 + SIGKILL, "exit %d: %s", r.exit_code, r.err);
        int reported = progress_reported(r.err);
        int in_training = training_games(dir);
        char *file = selfplay_test_take_file(dir, name);
        cr_assert(file, "no record file after the kill");
        int in_file = selfplay_test_check_records(file, NULL, 0);
        cr_log_info("%s trial %d (seed %u): killed %d ms after the first game, %d games reported, %d in the file",
                    mode ? mode : "ordered", t, seed, delay_ms, reported, in_file);
        /* A game's targets follow its record line and precede its progress line. */
        cr_assert(in_training >= reported && in_training <= in_file, "%d games with targets, %d reported, %d in file",
                  in_training, reported, in_file);
        cr_assert(in_file >= reported && in_file <= reported + 1,
                  "%s trial %d (seed %u, killed %d ms after the first game): %d games reported finished, %d in "
                  "the file",
                  mode ? mode : "ordered", t, seed, delay_ms, reported, in_file);
        free(file);
        hexgpu_cli_result_free(&r);
    }
}

Test(cli_selfplay_kill, sigkill_loses_no_finished_game, .timeout = 120) { kill_trials(NULL, 3); }
Test(cli_selfplay_kill, sigkill_loses_no_finished_game_streaming, .timeout = 120) {
    kill_trials("--streaming_save", 3);
}

/* A file size limit below the header's size stands in for a disk full at the start. */
Test(cli_selfplay_reliability, header_that_does_not_fit_leaves_no_file, .timeout = 120) {
    const long long limits[] = {0, 200};
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        char name[256], *file;
        const hexgpu_cli_options limit = {.limit_file_size = 1, .file_size = limits[i]};
        const char *extra[] = {"--num_games", "2", "--mcts_sims", "2", NULL};
        hexgpu_cli_result r = selfplay_test_run(extra, &limit, &file, name);
        cr_assert_eq(r.exit_code, 1, "limit %lld: exit %d, stderr %s", limits[i], r.exit_code, r.err);
        cr_assert(strstr(r.err, "error: cannot write ") && strstr(r.err, "File too large") &&
                      strstr(r.err, "0 games written; the file was removed"),
                  "%s", r.err);
        cr_assert_null(file, "limit %lld left %s: '%s'", limits[i], name, file);
        hexgpu_cli_result_free(&r);
    }
}

Test(cli_selfplay_reliability, control_characters_in_the_model_path_are_escaped, .timeout = 120) {
    char links[64], link[256], name[256], *file;
    selfplay_test_mkdir(links);
    snprintf(link, sizeof link, "%s/m\n#13,a1 b\x01.safetensors", links);
    cr_assert_eq(symlink(hexgpu_test_fixture_path("tiny13/model.safetensors"), link), 0);
    const char *extra[] = {"--model_path", link, "--num_games", "1", "--mcts_sims", "4", "--seed", "2", NULL};
    hexgpu_cli_result r = selfplay_test_run(extra, NULL, &file, name);
    unlink(link), rmdir(links);
    cr_assert_eq(r.exit_code, 0, "stderr %s", r.err);
    cr_assert(file);
    cr_assert(strstr(file, "/m\\n#13,a1 b\\x01.safetensors\n"), "%s", file);
    cr_assert_eq(selfplay_test_check_records(file, NULL, 0), 1, "%s", file);
    free(file);
    hexgpu_cli_result_free(&r);
}

/* SIGTERM sent at once, before the program could install anything (blocked across exec,
 * so it arrives when the program unblocks it): handled, not the default action. */
Test(cli_selfplay_reliability, sigterm_at_start_ends_cleanly, .timeout = 120) {
    char dir[64], name[256];
    const char *argv[48], *extra[] = {"--num_games", "3", "--mcts_sims", "4", NULL};
    selfplay_test_mkdir(dir);
    selfplay_test_argv(dir, extra, argv);
    hexgpu_cli_child child;
    const hexgpu_cli_options block = {.block_sigterm = 1};
    cr_assert_eq(hexgpu_cli_spawn(argv, &block, &child), 0);
    kill(child.pid, SIGTERM);
    hexgpu_cli_result r;
    hexgpu_cli_child_finish(&child, &r);
    cr_assert_eq(r.exit_code, 1, "exit %d: %s", r.exit_code, r.err);
    cr_assert(strstr(r.err, "error: interrupted while loading the model; no game was played and no file was written"),
              "%s", r.err);
    char *file = selfplay_test_take_file(dir, name);
    cr_assert_null(file, "a file was left: %s", name);
    hexgpu_cli_result_free(&r);
}

/* 1 when process pid has a file open whose path ends with tail. */
static int has_open(pid_t pid, const char *tail) {
    char fds[64], link[PATH_MAX + 64], target[PATH_MAX];
    snprintf(fds, sizeof fds, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(fds);
    int found = 0;
    for (struct dirent *e; d && !found && (e = readdir(d));) {
        snprintf(link, sizeof link, "%s/%s", fds, e->d_name);
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n > 0) target[n] = '\0', found = (size_t)n >= strlen(tail) && !strcmp(target + n - strlen(tail), tail);
    }
    if (d) closedir(d);
    return found;
}

/* SIGTERM while a full-size model (45 MB) is being read: the run ends with the interrupt
 * message and exit 1, not by the signal, and leaves no file. */
Test(cli_selfplay_reliability, sigterm_while_the_model_loads_ends_cleanly, .timeout = 120) {
    char dir[64], models[64], model[128], name[256];
    selfplay_test_mkdir(models);
    snprintf(model, sizeof model, "%s/full.safetensors", models);
    hexgpu_cli_result made;
    const char *init[] = {"init-model", "--seed", "1", "--output", model, NULL};
    cr_assert_eq(hexgpu_cli_run(init, NULL, &made), 0);
    cr_assert_eq(made.exit_code, 0, "%s", made.err);
    hexgpu_cli_result_free(&made);
    const char *argv[48], *extra[] = {"--model_path", model, "--num_games", "1", "--mcts_sims", "1000", NULL};
    selfplay_test_mkdir(dir);
    selfplay_test_argv(dir, extra, argv);
    hexgpu_cli_child child;
    cr_assert_eq(hexgpu_cli_spawn(argv, NULL, &child), 0);
    /* Watch for the model file among the child's open files (the model is being read). */
    int caught = 0;
    const char *tail = model + strlen("/tmp"); /* /tmp may be a link */
    for (time_t until = time(NULL) + 20; !caught && time(NULL) < until;) caught = has_open(child.pid, tail);
    kill(child.pid, SIGTERM);
    hexgpu_cli_result r;
    hexgpu_cli_child_finish(&child, &r);
    unlink(model), rmdir(models);
    cr_log_info("SIGTERM %s the model file was open; exit %d", caught ? "while" : "after", r.exit_code);
    cr_assert_eq(r.exit_code, 1, "exit %d: %s", r.exit_code, r.err);
    cr_assert(strstr(r.err, "error: interrupted "), "%s", r.err);
    char *file = selfplay_test_take_file(dir, name);
    cr_assert_null(file, "a file was left: %s", name);
    hexgpu_cli_result_free(&r);
}

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

/* Bounds for the memory tests, so that a regression fails rather than take the machine:
 * 4 GiB of address space (not under AddressSanitizer, whose shadow needs far more) and
 * 60 s. */
static hexgpu_cli_options memory_bounds(void) {
    hexgpu_cli_options bounds = {.alarm_seconds = 60};
#ifndef UNDER_ASAN
    bounds.address_space = 4LL << 30;
#endif
    return bounds;
}

/* --games-in-flight 65536 for 4 games allocated 65536 slots (1.9 GB for 8 games); now only the 4. */
Test(cli_selfplay_reliability, slots_only_for_the_games_played, .timeout = 120) {
    char name[256], *file;
    long rss[2];
    const char *in_flight[] = {"65536", "8"};
    for (int i = 0; i < 2; i++) {
        const char *extra[] = {"--num_games", "4", "--mcts_sims", "4", "--seed", "4", "--games-in-flight",
                               in_flight[i], NULL};
        const hexgpu_cli_options bounds = memory_bounds();
        hexgpu_cli_result r = selfplay_test_run(extra, &bounds, &file, name);
        cr_assert_eq(r.exit_code, 0, "stderr %s", r.err);
        cr_assert_eq(selfplay_test_check_records(file, NULL, 0), 4);
        rss[i] = r.max_rss_kb;
        free(file);
        hexgpu_cli_result_free(&r);
    }
    cr_log_info("peak memory: %ld KB with 65536 games in flight, %ld KB with 8", rss[0], rss[1]);
    cr_assert_leq(rss[0], rss[1] + 64 * 1024, "%ld KB with 65536 games in flight, %ld KB with 8", rss[0], rss[1]);
}

Test(cli_selfplay_reliability, a_configuration_beyond_the_memory_is_refused_at_once, .timeout = 120) {
    char name[256], *file;
    const char *extra[] = {"--num_games", "1000000000", "--num_workers", "256", "--games-in-flight", "65536", NULL};
    const hexgpu_cli_options bounds = memory_bounds();
    hexgpu_cli_result r = selfplay_test_run(extra, &bounds, &file, name);
    cr_assert_eq(r.exit_code, 2, "exit %d: %s", r.exit_code, r.err);
    cr_assert(strstr(r.err, "error: 16777216 games at once (--num_workers 256 x --games-in-flight 65536") &&
                  strstr(r.err, " bytes (") && strstr(r.err, "available"),
              "%s", r.err);
    cr_assert_eq(strchr(r.err, '\n'), r.err + strlen(r.err) - 1, "more than one line: %s", r.err);
    cr_assert_lt(r.seconds, 10.0);
    cr_assert_lt(r.max_rss_kb, 512 * 1024);
    cr_assert_null(file, "a file was left: %s", name);
    hexgpu_cli_result_free(&r);
}
