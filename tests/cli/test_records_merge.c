/* Sharded self-play and `hexgpu records merge`: N shards of a run merge into exactly the
 * records of one unsharded run with the same seed (and the same training rows); a shard
 * given twice, a missing shard, a torn line, a shard of another run and an existing output
 * are refused, writing nothing. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/merge_support.h"
#include "cli/selfplay_support.h"
#include "records/training_writer.h"
#include "support/bytes.h"
#include "support/folders.h"

/* The record lines of a file (header dropped), malloc'd. */
static char *record_lines(const char *path) {
    size_t len;
    char *text = (char *)hexgpu_test_read_file(path, &len), *out = calloc(1, len + 1), *o = out;
    for (char *line = text; *line;) {
        char *end = strchr(line, '\n') + 1;
        if (strncmp(line, "# ", 2) != 0) memcpy(o, line, (size_t)(end - line)), o += end - line;
        line = end;
    }
    free(text);
    return out;
}

static int compare_rows(const void *a, const void *b) {
    return memcmp(a, b, hexgpu_training_record_bytes(13));
}

/* The training rows of a record file, sorted (their order is the finishing order). */
static unsigned char *sorted_rows(const char *records, size_t *count) {
    char path[600];
    snprintf(path, sizeof path, "%.*s.train", (int)(strlen(records) - 6), records);
    size_t len;
    unsigned char *rows = hexgpu_test_read_file(path, &len);
    *count = len / hexgpu_training_record_bytes(13);
    qsort(rows, *count, hexgpu_training_record_bytes(13), compare_rows);
    return rows;
}

Test(records_merge, shards_merge_into_the_unsharded_run, .timeout = 120) {
    char dir[64], shard[3][512], whole[512], out[600], other[512];
    selfplay_test_mkdir(dir);
    const char *base[] = {"--num_games", "5", "--mcts_sims", "4", "--seed", "8", "--shard", NULL, NULL};
    const char *names[] = {"2/3", "0/3", "1/3"};
    for (int i = 0; i < 3; i++) {
        base[7] = names[i];
        merge_test_play(dir, base, shard[i]);
    }
    base[6] = NULL;
    merge_test_play(dir, base, whole);
    snprintf(out, sizeof out, "%s/merged.trmph", dir);
    hexgpu_cli_result r = merge_test_run((const char *[]){"--output", out, shard[0], shard[1], shard[2], NULL}, NULL);
    cr_assert_eq(r.exit_code, 0, "stderr %s", r.err);
    cr_assert(strstr(r.out, "merged 3 of 3 shards") && strstr(r.out, ": 5 games"), "%s", r.out);
    hexgpu_cli_result_free(&r);
    char *merged = record_lines(out), *one = record_lines(whole);
    cr_assert_str_eq(merged, one, "the merged shards are the unsharded run's games, in game order");
    size_t len, a, b;
    char *text = (char *)hexgpu_test_read_file(out, &len);
    cr_assert_eq(selfplay_test_check_records(text, NULL, 0), 5);
    cr_assert(strstr(text, "# Games: 5\n# ") && strstr(text, "# Merged: 3 of 3 shards, games 0..4\n"), "%s", text);
    free(text);
    free(merged), free(one);
    unsigned char *rows_merged = sorted_rows(out, &a), *rows_whole = sorted_rows(whole, &b);
    cr_assert(a == b && a > 0, "%zu training rows merged, %zu in the unsharded run", a, b);
    cr_assert_eq(memcmp(rows_merged, rows_whole, a * hexgpu_training_record_bytes(13)), 0, "the same training rows");
    free(rows_merged), free(rows_whole);

    /* Refusals: nothing is written. */
    char bad_out[600];
    snprintf(bad_out, sizeof bad_out, "%s/bad.trmph", dir);
    struct {
        const char *args[8];
        const char *why;
    } cases[] = {
        {{"--output", bad_out, shard[1], shard[1], shard[0], shard[2], NULL}, "given twice"},
        {{"--output", bad_out, shard[1], shard[2], NULL}, "missing shards 2"},
        {{"--output", out, shard[0], shard[1], shard[2], NULL}, "exists already"},
        {{"--output", bad_out, shard[1], whole, NULL}, "not a shard"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        r = merge_test_run(cases[i].args, NULL);
        cr_assert_eq(r.exit_code, 2, "case %zu: exit %d, %s", i, r.exit_code, r.err);
        cr_assert(strstr(r.err, cases[i].why), "case %zu: %s", i, r.err);
        cr_assert_neq(access(bad_out, F_OK), 0, "case %zu wrote %s", i, bad_out);
        hexgpu_cli_result_free(&r);
    }
    /* A shard of another run (another seed), and a torn last line. */
    base[5] = "9", base[6] = "--shard", base[7] = "1/3";
    merge_test_play(dir, base, other);
    r = merge_test_run((const char *[]){"--output", bad_out, shard[1], other, shard[0], NULL}, NULL);
    cr_assert_eq(r.exit_code, 2, "%s", r.err);
    cr_assert(strstr(r.err, "'Seed' header fields differ"), "%s", r.err);
    hexgpu_cli_result_free(&r);
    FILE *f = fopen(shard[2], "a");
    fputs("#13,a1b2", f); /* no winner, no newline */
    fclose(f);
    r = merge_test_run((const char *[]){"--output", bad_out, shard[0], shard[1], shard[2], NULL}, NULL);
    cr_assert_eq(r.exit_code, 2, "%s", r.err);
    cr_assert(strstr(r.err, "is not whole"), "%s", r.err);
    cr_assert_neq(access(bad_out, F_OK), 0);
    hexgpu_cli_result_free(&r);
    hexgpu_test_folder_remove(dir);
}

/* --shard-from-env reads a Slurm job array task (id - min of count); bad shards are
 * usage errors. */
Test(records_merge, shard_from_slurm_environment, .timeout = 120) {
    char dir[64], path[512];
    selfplay_test_mkdir(dir);
    setenv("SLURM_ARRAY_TASK_ID", "5", 1);
    setenv("SLURM_ARRAY_TASK_MIN", "4", 1);
    setenv("SLURM_ARRAY_TASK_COUNT", "3", 1);
    merge_test_play(dir, (const char *[]){"--num_games", "4", "--mcts_sims", "2", "--seed", "1", "--shard-from-env", NULL}, path);
    cr_assert(strstr(path, "_shard-1-of-3.trmph"), "%s", path);
    size_t len;
    char *text = (char *)hexgpu_test_read_file(path, &len);
    cr_assert(strstr(text, "# Shard: 1/3, games 1..1\n"), "4 games in 3 shards: 0..0, 1..1, 2..3: %s", text);
    free(text);
    setenv("SLURM_ARRAY_TASK_ID", "8", 1); /* past min + count */
    char name[256], *file;
    const char *from_env[] = {"--shard-from-env", NULL}, *too_big[] = {"--shard", "3/3", NULL},
               *malformed[] = {"--shard", "1-3", NULL};
    const char *const *bad[] = {from_env, too_big, malformed};
    for (size_t i = 0; i < 3; i++) {
        hexgpu_cli_result r = selfplay_test_run(bad[i], NULL, &file, name);
        cr_assert_eq(r.exit_code, 2, "case %zu: %s", i, r.err);
        cr_assert(strstr(r.err, "shard"), "%s", r.err);
        cr_assert_null(file);
        hexgpu_cli_result_free(&r);
    }
    unsetenv("SLURM_ARRAY_TASK_ID"), unsetenv("SLURM_ARRAY_TASK_MIN"), unsetenv("SLURM_ARRAY_TASK_COUNT");
    hexgpu_test_folder_remove(dir);
}
