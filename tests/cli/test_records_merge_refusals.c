/* `hexgpu records merge` on hostile input: outputs that exist or are inputs (never
 * overwritten), outputs that appear whole or not at all (temporary folder, then renames;
 * a stale temporary blocks nothing), training rows replayed against the records
 * (doubled, missing, of another run, a shard without them), inputs that are not regular
 * files, and crafted Shard header lines. Every refusal is one line, and leaves the folder
 * as it was. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/merge_support.h"
#include "cli/selfplay_support.h"
#include "support/bytes.h"
#include "support/folders.h"

static void write_file(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    cr_assert(f, "cannot write %s", path);
    cr_assert_eq(fwrite(data, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
}

/* The merge exits with code, its error one line holding want, and dir holds what it held. */
static void refused(const char *const *args, int code, const char *want, const char *dir, const char *before) {
    hexgpu_cli_result r = merge_test_run(args, NULL);
    cr_assert_eq(r.exit_code, code, "want exit %d (%s), got %d: %s", code, want, r.exit_code, r.err);
    cr_assert(strstr(r.err, want), "want '%s' in: %s", want, r.err);
    size_t len = strlen(r.err);
    cr_assert(len > 0 && strchr(r.err, '\n') == r.err + len - 1, "not one line: %s", r.err);
    char after[8192];
    merge_test_names(dir, after, sizeof after);
    cr_assert_str_eq(after, before, "the refused merge changed the folder");
    hexgpu_cli_result_free(&r);
}

Test(records_merge_refusals, outputs_that_exist_or_are_inputs, .timeout = 120) {
    char dir[64], shard[3][512], out[600], train[600], sidecar[600], input_train[600], before[8192];
    selfplay_test_mkdir(dir);
    merge_test_shards(dir, shard);
    merge_test_train_path(shard[0], ".train", input_train, sizeof input_train);
    size_t rows_len;
    unsigned char *rows = hexgpu_test_read_file(input_train, &rows_len);
    snprintf(out, sizeof out, "%s/out.trmph", dir);
    merge_test_train_path(out, ".train", train, sizeof train);
    merge_test_train_path(out, ".train.json", sidecar, sizeof sidecar);
    /* Each of the three outputs existing (a dangling link counts) refuses the merge. */
    const char *existing[] = {out, train, sidecar};
    for (int k = 0; k < 3; k++) {
        write_file(existing[k], "mine\n", 5);
        merge_test_names(dir, before, sizeof before);
        refused((const char *[]){"--output", out, shard[0], shard[1], shard[2], NULL}, 2, "exists already", dir, before);
        size_t len;
        unsigned char *kept = hexgpu_test_read_file(existing[k], &len);
        cr_assert(len == 5 && memcmp(kept, "mine\n", 5) == 0, "%s was overwritten", existing[k]);
        free(kept);
        unlink(existing[k]);
    }
    merge_test_names(dir, before, sizeof before);
    refused((const char *[]){"--output", "/nonexistent/folder/out.trmph", shard[0], shard[1], shard[2], NULL}, 2,
            "/nonexistent/folder is not a folder", dir, before);
    cr_assert_eq(symlink("/nonexistent/target", train), 0);
    merge_test_names(dir, before, sizeof before);
    refused((const char *[]){"--output", out, shard[0], shard[1], shard[2], NULL}, 2, "exists already", dir, before);
    unlink(train);
    /* An output that is an input: by its path (the stem of an input shard: its targets),
     * and by its inode (a hard link to an input's targets). */
    char stem_out[600];
    snprintf(stem_out, sizeof stem_out, "%.*s.merged", (int)(strlen(shard[0]) - 6), shard[0]);
    merge_test_names(dir, before, sizeof before);
    refused((const char *[]){"--output", stem_out, shard[0], shard[1], shard[2], NULL}, 2, "is an input", dir, before);
    refused((const char *[]){"--output", shard[1], shard[0], shard[1], shard[2], NULL}, 2, "is an input", dir, before);
    cr_assert_eq(link(input_train, train), 0);
    merge_test_names(dir, before, sizeof before);
    refused((const char *[]){"--output", out, shard[0], shard[1], shard[2], NULL}, 2, "is an input", dir, before);
    unlink(train);
    size_t len;
    unsigned char *kept = hexgpu_test_read_file(input_train, &len);
    cr_assert(len == rows_len && memcmp(kept, rows, len) == 0, "an input's targets changed");
    free(kept), free(rows);
    hexgpu_test_folder_remove(dir);
}

Test(records_merge_refusals, outputs_appear_whole_or_not_at_all, .timeout = 120) {
    char dir[64], shard[3][512], out[600], stale[600], before[8192], after[8192];
    selfplay_test_mkdir(dir);
    merge_test_shards(dir, shard);
    snprintf(out, sizeof out, "%s/out.trmph", dir);
    /* What a merge killed mid-write leaves, a temporary folder of partial files, blocks nothing. */
    snprintf(stale, sizeof stale, "%s/.out.trmph.merge-AbCdEf", dir);
    cr_assert_eq(mkdir(stale, 0755), 0);
    snprintf(stale, sizeof stale, "%s/.out.trmph.merge-AbCdEf/out.train", dir);
    write_file(stale, "partial", 7);
    merge_test_names(dir, before, sizeof before);
    /* A write that fails (a file size limit below the targets' size): exit 1, nothing left. */
    hexgpu_cli_options small = {.limit_file_size = 1, .file_size = 100000};
    const char *args[] = {"--output", out, shard[0], shard[1], shard[2], NULL};
    hexgpu_cli_result r = merge_test_run(args, &small);
    cr_assert_eq(r.exit_code, 1, "%s", r.err);
    cr_assert(strstr(r.err, "cannot write") || strstr(r.err, "File too large"), "%s", r.err);
    hexgpu_cli_result_free(&r);
    merge_test_names(dir, after, sizeof after);
    cr_assert_str_eq(after, before, "a failed write left files");
    /* A refusal found in the last shard's rows, after the first shards' rows were copied. */
    char last_train[600];
    merge_test_train_path(shard[2], ".train", last_train, sizeof last_train);
    size_t len;
    unsigned char *rows = hexgpu_test_read_file(last_train, &len);
    const size_t record = 120 + 8 * 13 * 13;
    write_file(last_train, rows, len / record / 2 * record);
    refused(args, 2, last_train, dir, before);
    write_file(last_train, rows, len);
    free(rows);
    /* The merge: exactly the three outputs appear. */
    r = merge_test_run(args, NULL);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    hexgpu_cli_result_free(&r);
    merge_test_names(dir, after, sizeof after);
    char want[8192];
    snprintf(want, sizeof want, "%s", before);
    const char *added[] = {"out.train\n", "out.train.json\n", "out.trmph\n"};
    /* before is sorted; the outputs sort after the shards (o < s) and the dot folder before. */
    char *at = strstr(want, "selfplay_");
    cr_assert(at);
    char tail[8192];
    snprintf(tail, sizeof tail, "%s", at);
    *at = '\0';
    for (int i = 0; i < 3; i++) strcat(want, added[i]);
    strcat(want, tail);
    cr_assert_str_eq(after, want, "the outputs and nothing else");
    hexgpu_test_folder_remove(dir);
}

/* Runs the merge of shard with shard i's targets replaced by bytes; expects code and want. */
static void rows_refused(char shard[3][512], const char *dir, int i, const void *bytes, size_t len, int code,
                         const char *want) {
    char train[600], keep[640], out[600], before[8192];
    merge_test_train_path(shard[i], ".train", train, sizeof train);
    snprintf(keep, sizeof keep, "%s.keep", train);
    cr_assert_eq(rename(train, keep), 0);
    if (bytes) write_file(train, bytes, len);
    snprintf(out, sizeof out, "%s/out.trmph", dir);
    merge_test_names(dir, before, sizeof before);
    refused((const char *[]){"--output", out, shard[0], shard[1], shard[2], NULL}, code, want, dir, before);
    unlink(train);
    cr_assert_eq(rename(keep, train), 0);
}

Test(records_merge_refusals, training_rows_checked_against_records, .timeout = 120) {
    char dir[64], shard[3][512], other_dir[600], other[512], train[600], out[600];
    selfplay_test_mkdir(dir);
    merge_test_shards(dir, shard);
    const size_t record = 120 + 8 * 13 * 13;
    /* Shard 2 holds games 3 and 4: its rows, by game. */
    merge_test_train_path(shard[2], ".train", train, sizeof train);
    size_t len;
    unsigned char *rows = hexgpu_test_read_file(train, &len);
    size_t count = len / record, first_game_rows = 0;
    cr_assert(count > 2 && len % record == 0);
    /* Rows are in finishing order: one game's rows, then the other's. */
    uint64_t first_game = hexgpu_test_le(rows, 8);
    cr_assert(first_game == 3 || first_game == 4, "shard 2 holds games 3 and 4, not %llu", (unsigned long long)first_game);
    while (first_game_rows < count && hexgpu_test_le(rows + first_game_rows * record, 8) == first_game) first_game_rows++;
    cr_assert(first_game_rows > 0 && first_game_rows < count, "one game's rows, then the other's");
    /* Doubled: the rows of the second game once more. */
    unsigned char *doubled = malloc(len + (count - first_game_rows) * record);
    memcpy(doubled, rows, len);
    memcpy(doubled + len, rows + first_game_rows * record, (count - first_game_rows) * record);
    rows_refused(shard, dir, 2, doubled, len + (count - first_game_rows) * record, 2, "given twice");
    /* The first game's rows missing. */
    rows_refused(shard, dir, 2, rows + first_game_rows * record, len - first_game_rows * record, 2,
                 "has no training rows");
    /* A game's last row missing: the rows end before the game does. */
    rows_refused(shard, dir, 2, rows, len - record, 2, "before the game does");
    /* A row of a game outside the shard's range (game 0 belongs to shard 0). */
    unsigned char *moved = malloc(len);
    memcpy(moved, rows, len);
    for (size_t i = 0; i < first_game_rows; i++) memset(moved + i * record, 0, 8);
    rows_refused(shard, dir, 2, moved, len, 2, "not one of the shard's 3..4");
    /* Rows of another run (seed 9), of the same games' indices. */
    snprintf(other_dir, sizeof other_dir, "%s/other", dir);
    cr_assert_eq(mkdir(other_dir, 0755), 0);
    merge_test_play(other_dir,
                    (const char *[]){"--num_games", "5", "--mcts_sims", "4", "--seed", "9", "--shard", "2/3", NULL},
                    other);
    char other_train[600];
    merge_test_train_path(other, ".train", other_train, sizeof other_train);
    size_t other_len;
    unsigned char *other_rows = hexgpu_test_read_file(other_train, &other_len);
    hexgpu_test_folder_remove(other_dir);
    rows_refused(shard, dir, 2, other_rows, other_len, 2, "not the game of any record line");
    /* A shard without its targets: refused (exit 1) unless --no-training. */
    rows_refused(shard, dir, 1, NULL, 0, 1, "--no-training merges the records alone");
    free(rows), free(doubled), free(moved), free(other_rows);

    snprintf(out, sizeof out, "%s/full.trmph", dir);
    hexgpu_cli_result r = merge_test_run((const char *[]){"--output", out, shard[0], shard[1], shard[2], NULL}, NULL);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    hexgpu_cli_result_free(&r);
    merge_test_train_path(shard[1], ".train", train, sizeof train);
    cr_assert_eq(unlink(train), 0);
    snprintf(out, sizeof out, "%s/records.trmph", dir);
    r = merge_test_run((const char *[]){"--output", out, "--no-training", shard[0], shard[1], shard[2], NULL}, NULL);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.out, "5 games") && strstr(r.out, "records only"), "%s", r.out);
    hexgpu_cli_result_free(&r);
    merge_test_train_path(out, ".train", train, sizeof train);
    cr_assert_neq(access(train, F_OK), 0, "--no-training wrote targets");
    size_t a_len, b_len;
    char full_path[600];
    snprintf(full_path, sizeof full_path, "%s/full.trmph", dir);
    char *full = (char *)hexgpu_test_read_file(full_path, &a_len), *records = (char *)hexgpu_test_read_file(out, &b_len);
    cr_assert(strstr(records, "# Training data: none (left out of the merge: --no-training)\n"), "%s", records);
    cr_assert(strstr(full, "# Training data: this file's name with .train"), "%s", full);
    cr_assert_str_eq(strstr(records, "# C_PUCT"), strstr(full, "# C_PUCT"), "the same records");
    free(full), free(records);
    hexgpu_test_folder_remove(dir);
}

Test(records_merge_refusals, inputs_that_are_not_regular_files, .timeout = 120) {
    char dir[64], fifo[600], out[600], before[8192];
    selfplay_test_mkdir(dir);
    snprintf(fifo, sizeof fifo, "%s/fifo.trmph", dir);
    cr_assert_eq(mkfifo(fifo, 0644), 0);
    snprintf(out, sizeof out, "%s/out.trmph", dir);
    merge_test_names(dir, before, sizeof before);
    struct {
        const char *input, *want;
    } cases[] = {{fifo, "not a regular file (a FIFO)"},
                 {"/dev/zero", "not a regular file (a device)"},
                 {dir, "not a regular file (a folder)"},
                 {"/nonexistent/shard.trmph", "No such file or directory"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hexgpu_cli_options alarm = {.alarm_seconds = 10};
        hexgpu_cli_result r = merge_test_run((const char *[]){"--output", out, cases[i].input, NULL}, &alarm);
        cr_assert_eq(r.exit_code, 2, "%s: exit %d, %s", cases[i].input, r.exit_code, r.err);
        cr_assert(strstr(r.err, cases[i].want), "%s", r.err);
        cr_assert_lt(r.seconds, 2.0, "%s took %.1f s", cases[i].input, r.seconds);
        hexgpu_cli_result_free(&r);
    }
    char after[8192];
    merge_test_names(dir, after, sizeof after);
    cr_assert_str_eq(after, before);
    hexgpu_test_folder_remove(dir);
}

/* A copy of shard file from with its Shard line's value replaced by value, at to; returns
 * the Shard line's number. */
static int with_shard_line(const char *from, const char *to, const char *value) {
    size_t len;
    char *text = (char *)hexgpu_test_read_file(from, &len), *at = strstr(text, "# Shard: ");
    cr_assert(at);
    int line = 1;
    for (const char *p = text; p < at; p++) line += *p == '\n';
    char *end = strchr(at, '\n');
    FILE *f = fopen(to, "wb");
    fprintf(f, "%.*s# Shard: %s%s", (int)(at - text), text, value, end);
    fclose(f);
    free(text);
    return line;
}

Test(records_merge_refusals, crafted_shard_headers_and_games_twice, .timeout = 120) {
    char dir[64], shard[3][512], crafted[600], out[600], want[128], before[8192];
    selfplay_test_mkdir(dir);
    merge_test_shards(dir, shard);
    snprintf(crafted, sizeof crafted, "%s/crafted.trmph", dir);
    snprintf(out, sizeof out, "%s/out.trmph", dir);
    const char *values[] = {"2/3, games 2..9223372036854775807", /* B + 1 overflows */
                            "4294967297/3, games 3..4",          /* 2^32 + 1: not 1 */
                            "1/2000000000, games 3..4",          /* far more shards than selfplay allows */
                            "2/3, games 4..2",
                            "2/3, games -1..4",
                            "2/3, games 3..4 and more",
                            "3/3, games 3..4"};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        int line = with_shard_line(shard[2], crafted, values[i]);
        snprintf(want, sizeof want, "crafted.trmph: line %d: a malformed Shard header", line);
        merge_test_names(dir, before, sizeof before);
        hexgpu_cli_result r = merge_test_run((const char *[]){"--output", out, "--no-training", crafted, NULL}, NULL);
        cr_assert_eq(r.exit_code, 2, "'%s': exit %d, %s", values[i], r.exit_code, r.err);
        cr_assert(strstr(r.err, want), "'%s': %s", values[i], r.err);
        cr_assert_lt(r.seconds, 2.0, "'%s' took %.1f s", values[i], r.seconds);
        hexgpu_cli_result_free(&r);
    }
    /* Two Shard lines. */
    size_t len;
    char *text = (char *)hexgpu_test_read_file(shard[2], &len), *at = strstr(text, "# Shard: ");
    FILE *f = fopen(crafted, "wb");
    fprintf(f, "%.*s# Shard: 0/3, games 0..0\n%s", (int)(at - text), text, at);
    fclose(f);
    free(text);
    merge_test_names(dir, before, sizeof before);
    refused((const char *[]){"--output", out, "--no-training", crafted, NULL}, 2, "a second Shard header line", dir,
            before);
    unlink(crafted);
    /* Shard 1 (games 1..2) with its second line replaced by its first: the same game twice. */
    text = (char *)hexgpu_test_read_file(shard[1], &len);
    char *last = text + len - 1;
    while (last > text && last[-1] != '\n') last--;
    char *first = last - 1;
    while (first > text && first[-1] != '\n') first--;
    cr_assert_eq(strncmp(first, "#13,", 4), 0);
    f = fopen(shard[1], "wb");
    fprintf(f, "%.*s%.*s", (int)(last - text), text, (int)(last - first), first);
    fclose(f);
    free(text);
    merge_test_names(dir, before, sizeof before);
    refused((const char *[]){"--output", out, "--no-training", shard[0], shard[1], shard[2], NULL}, 2,
            "hold the same game", dir, before);
    refused((const char *[]){"--output", out, shard[0], shard[1], shard[2], NULL}, 2, "not the game of any record line",
            dir, before);
    hexgpu_test_folder_remove(dir);
}
