/* Runs of `hexgpu selfplay` for the CLI suites and checks of their record files. */
#include "cli/selfplay_support.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/fixtures.h"

int selfplay_test_argv(const char *dir, const char *const *extra, const char **argv) {
    const char *base[] = {"selfplay", "--model_path", hexgpu_test_fixture_path("tiny13/model.safetensors"),
                          "--backend", "cpu", "--output_dir", dir, "--progress_interval", "0"};
    int n = 0;
    for (size_t i = 0; i < sizeof base / sizeof base[0]; i++) argv[n++] = base[i];
    for (int i = 0; extra[i]; i++) {
        cr_assert_lt(n, 47);
        argv[n++] = extra[i];
    }
    argv[n] = NULL;
    return n;
}

void selfplay_test_mkdir(char *dir) {
    strcpy(dir, "/tmp/hexgpu_selfplay_XXXXXX");
    cr_assert(mkdtemp(dir));
}

char *selfplay_test_take_file(char *dir, char *name) {
    char *file = NULL;
    DIR *d = opendir(dir);
    cr_assert(d, "no folder %s", dir);
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        char path0[512];
        snprintf(path0, sizeof path0, "%s/%s", dir, e->d_name);
        const char *ext = strrchr(e->d_name, '.');
        /* the training targets beside it, and the progress lines (records/progress_writer.h) */
        if (ext && (strcmp(ext, ".train") == 0 || strcmp(ext, ".json") == 0 || strcmp(ext, ".jsonl") == 0)) {
            unlink(path0);
            continue;
        }
        cr_assert_null(file, "more than one record file in %s: %s and %s", dir, name, e->d_name);
        snprintf(name, 256, "%s", e->d_name);
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        cr_assert(f, "cannot open %s", path);
        file = calloc(1, 1 << 20);
        fread(file, 1, (1 << 20) - 1, f);
        fclose(f);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
    return file;
}

hexgpu_cli_result selfplay_test_run(const char *const *extra, const hexgpu_cli_options *options, char **file,
                                    char *name) {
    char dir[64];
    const char *argv[48];
    selfplay_test_mkdir(dir);
    selfplay_test_argv(dir, extra, argv);
    hexgpu_cli_result r;
    cr_assert_eq(hexgpu_cli_run_with(argv, NULL, options, &r), 0);
    *file = selfplay_test_take_file(dir, name);
    return r;
}

int selfplay_test_check_records(const char *text, char records[][HEXGPU_TRMPH_MAX], int max) {
    int count = 0, headers = 0;
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        cr_assert(end, "a line without its newline (torn): '%s'", line);
        static char copy[1 << 16];
        cr_assert_lt((size_t)(end - line), sizeof copy, "a %zu-byte line", (size_t)(end - line));
        memcpy(copy, line, (size_t)(end - line));
        copy[end - line] = '\0';
        line = end + 1;
        if (hexgpu_trmph_is_header(copy)) {
            cr_assert_eq(count, 0, "header line after a record: %s", copy);
            headers++;
            continue;
        }
        /* 12 fields every run has, then the optional ones and the reference's keys */
        cr_assert_geq(headers, 12, "a record after %d header lines: %s", headers, copy);
        hexgpu_board board;
        hexgpu_color winner;
        hexgpu_error err;
        cr_assert_eq(hexgpu_trmph_parse_record(copy, &board, &winner, &err), HEXGPU_OK, "%s: %s", copy, err.message);
        cr_assert_eq(board.size, 13);
        cr_assert_eq(hexgpu_board_winner(&board), winner);
        if (records && count < max) {
            size_t n = strlen(copy); /* < HEXGPU_TRMPH_MAX: it parsed */
            memcpy(records[count], copy, n + 1);
        }
        count++;
    }
    cr_assert(headers >= 12 || (headers == 0 && count == 0), "%d header lines", headers);
    return count;
}
