/* The `hexgpu records merge` suites' helpers (merge_support.h). */
#include "cli/merge_support.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/selfplay_support.h"

void merge_test_play(const char *dir, const char *const *extra, char *path) {
    const char *argv[48];
    selfplay_test_argv(dir, extra, argv);
    hexgpu_cli_result r;
    cr_assert_eq(hexgpu_cli_run(argv, NULL, &r), 0);
    cr_assert_eq(r.exit_code, 0, "stderr %s", r.err);
    const char *at = strstr(r.err, "games go to ");
    cr_assert(at, "%s", r.err);
    sscanf(at, "games go to %511s", path);
    hexgpu_cli_result_free(&r);
}

void merge_test_shards(const char *dir, char shard[3][512]) {
    const char *names[] = {"0/3", "1/3", "2/3"};
    for (int i = 0; i < 3; i++)
        merge_test_play(dir, (const char *[]){"--num_games", "5", "--mcts_sims", "4", "--seed", "8", "--shard", names[i],
                                              NULL},
                        shard[i]);
}

hexgpu_cli_result merge_test_run(const char *const *args, const hexgpu_cli_options *options) {
    const char *argv[16] = {"records", "merge"};
    int n = 2;
    for (int i = 0; args[i]; i++) {
        cr_assert_lt(n, 15);
        argv[n++] = args[i];
    }
    argv[n] = NULL;
    hexgpu_cli_result r;
    cr_assert_eq(hexgpu_cli_run_with(argv, NULL, options, &r), 0);
    return r;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

void merge_test_names(const char *dir, char *out, size_t cap) {
    char *names[256];
    int n = 0;
    DIR *d = opendir(dir);
    cr_assert(d, "no folder %s", dir);
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 && n < 256) names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, by_name);
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        used += (size_t)snprintf(out + used, used < cap ? cap - used : 0, "%s\n", names[i]);
        free(names[i]);
    }
    cr_assert_lt(used, cap, "the names in %s do not fit", dir);
}

void merge_test_train_path(const char *records, const char *ext, char *out, size_t cap) {
    size_t len = strlen(records);
    cr_assert(len > 6 && strcmp(records + len - 6, ".trmph") == 0, "%s", records);
    snprintf(out, cap, "%.*s%s", (int)(len - 6), records, ext);
}
