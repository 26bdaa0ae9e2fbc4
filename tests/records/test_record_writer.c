/* The record writer: header then lines; each line in the file as soon as it is added
 * (the file is the journal), an ordered writer's file put in game order at close; a
 * header that does not fit leaves no file; header fields cannot break their line. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "records/record_writer.h"
#include "support/folders.h"

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    cr_assert(f, "cannot open %s", path);
    static char text[8192];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    return text;
}

/* The lines after the header line "# Format: ...". */
static const char *body(const char *text) {
    const char *format = strstr(text, "# Format: trmph_string winner\n");
    cr_assert(format, "no format line in: %s", text);
    return format + strlen("# Format: trmph_string winner\n");
}

static const hexgpu_record_header header = {.model = "m.safetensors", .board_size = 3, .simulations = 50,
                                            .c_puct = 1.5, .gumbel = 1, .temperature = 0.5,
                                            .temperature_end = 0.01, .opening = "none", .seed = 77, .games = 2};

Test(record_writer, header_then_lines_in_game_order) {
    char dir[] = "/tmp/hexgpu_records_XXXXXX";
    cr_assert(mkdtemp(dir));
    hexgpu_record_writer *w = NULL, *w2 = NULL;
    hexgpu_error err = {0};
    time_t when = 1700000000;
    cr_assert_eq(hexgpu_record_writer_open(dir, &header, 0, when, &w, &err), HEXGPU_OK, "%s", err.message);
    cr_assert_eq(hexgpu_record_writer_open(dir, &header, 0, when, &w2, &err), HEXGPU_OK, "%s", err.message);
    char path[4096], path2[4096];
    snprintf(path, sizeof path, "%s", hexgpu_record_writer_path(w));
    snprintf(path2, sizeof path2, "%s", hexgpu_record_writer_path(w2));
    cr_assert_str_neq(path, path2, "the second file of the same second must not overwrite the first");
    cr_assert(strstr(path, "/selfplay_") && strstr(path, ".trmph"), "%s", path);
    cr_assert_eq(hexgpu_record_writer_add(w, 1, "#3,b1a2b2a3b3 b", &err), HEXGPU_OK);
    cr_assert_eq(hexgpu_record_writer_add(w, 0, "#3,a1a2b1b2c1b3 r", &err), HEXGPU_OK);
    /* Before close (as after a kill) every line is in the file already, in finishing order. */
    cr_assert_str_eq(body(slurp(path)), "#3,b1a2b2a3b3 b\n#3,a1a2b1b2c1b3 r\n");
    cr_assert_eq(hexgpu_record_writer_games(w), 2);
    cr_assert_eq(hexgpu_record_writer_close(w, &err), HEXGPU_OK, "%s", err.message);
    cr_assert_eq(hexgpu_record_writer_close(w2, &err), HEXGPU_OK, "%s", err.message);
    const char *text = slurp(path);
    const char *want[] = {"# Model: m.safetensors\n", "# MCTS simulations: 50\n", "# c_puct: 1.5\n", "# Gumbel: on\n",
                          "# Temperature: 0.5 -> 0.01\n", "# Seed: 77\n", "# Format: trmph_string winner\n",
                          "# Date: "};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) cr_assert(strstr(text, want[i]), "no '%s'", want[i]);
    cr_assert_str_eq(body(text), "#3,a1a2b1b2c1b3 r\n#3,b1a2b2a3b3 b\n");
    cr_assert_eq(hexgpu_test_folder_entries(dir), 2, "the rewrite left its temporary file");
    unlink(path), unlink(path2), rmdir(dir);
}

Test(record_writer, streaming_keeps_finishing_order_and_discard_removes) {
    char dir[] = "/tmp/hexgpu_records_XXXXXX";
    cr_assert(mkdtemp(dir));
    hexgpu_record_writer *w = NULL;
    hexgpu_error err = {0};
    cr_assert_eq(hexgpu_record_writer_open(dir, &header, 1, 0, &w, &err), HEXGPU_OK, "%s", err.message);
    char path[4096];
    snprintf(path, sizeof path, "%s", hexgpu_record_writer_path(w));
    cr_assert_eq(hexgpu_record_writer_add(w, 1, "#3,b1a2b2a3b3 b", &err), HEXGPU_OK);
    cr_assert_eq(hexgpu_record_writer_add(w, 0, "#3,a1a2b1b2c1b3 r", &err), HEXGPU_OK);
    cr_assert_eq(hexgpu_record_writer_close(w, &err), HEXGPU_OK, "%s", err.message);
    cr_assert_str_eq(body(slurp(path)), "#3,b1a2b2a3b3 b\n#3,a1a2b1b2c1b3 r\n");
    unlink(path);
    cr_assert_eq(hexgpu_record_writer_open(dir, &header, 0, 0, &w, &err), HEXGPU_OK, "%s", err.message);
    hexgpu_record_writer_discard(w);
    cr_assert_eq(hexgpu_test_folder_entries(dir), 0);
    rmdir(dir);
}

/* A file size limit smaller than the header stands in for a disk full at the start: the
 * header is written whole or not at all, and a file that got none is removed. */
Test(record_writer, header_that_does_not_fit_leaves_no_file) {
    char dir[] = "/tmp/hexgpu_records_XXXXXX";
    cr_assert(mkdtemp(dir));
    signal(SIGXFSZ, SIG_IGN);
    const rlim_t limits[] = {0, 1, 100};
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        struct rlimit limit = {.rlim_cur = limits[i], .rlim_max = RLIM_INFINITY};
        cr_assert_eq(setrlimit(RLIMIT_FSIZE, &limit), 0);
        hexgpu_record_writer *w = NULL;
        hexgpu_error err = {0};
        cr_assert_eq(hexgpu_record_writer_open(dir, &header, 0, 0, &w, &err), HEXGPU_ERR_IO);
        cr_assert_null(w);
        cr_assert(strstr(err.message, "cannot write ") && strstr(err.message, dir) &&
                      strstr(err.message, "0 games written; the file was removed"),
                  "%s", err.message);
        cr_assert_eq(hexgpu_test_folder_entries(dir), 0, "limit %d: a partial header was left", (int)limits[i]);
    }
    rmdir(dir);
    hexgpu_record_writer *w = NULL;
    hexgpu_error err = {0};
    /* A folder that cannot be made (a device stands where its parent should be). */
    cr_assert_eq(hexgpu_record_writer_open("/dev/null/dir", &header, 0, 0, &w, &err), HEXGPU_ERR_IO);
    cr_assert(strstr(err.message, "cannot create the folder /dev/null/dir"), "%s", err.message);
    cr_assert_null(w);
}

/* A newline in the model path once forged a record line; every control character (and
 * the backslash, C1 controls, U+2028/9) is escaped, and the header keeps its 17 lines. */
Test(record_writer, header_fields_are_escaped) {
    char dir[] = "/tmp/hexgpu_records_XXXXXX";
    cr_assert(mkdtemp(dir));
    hexgpu_record_header h = header;
    h.model = "a\n#13,a1 b\r\x01\t\\z\x7f\xc2\x85\xe2\x80\xa8\xc3\xa9.pt";
    h.opening = "x\ny";
    hexgpu_record_writer *w = NULL;
    hexgpu_error err = {0};
    cr_assert_eq(hexgpu_record_writer_open(dir, &h, 0, 0, &w, &err), HEXGPU_OK, "%s", err.message);
    char path[4096];
    snprintf(path, sizeof path, "%s", hexgpu_record_writer_path(w));
    cr_assert_eq(hexgpu_record_writer_close(w, &err), HEXGPU_OK, "%s", err.message);
    const char *text = slurp(path);
    cr_assert(strstr(text, "# Model: a\\n#13,a1 b\\r\\x01\\t\\\\z\\x7f\\u0085\\u2028\xc3\xa9.pt\n"), "%s", text);
    cr_assert(strstr(text, "# Opening strategy: x\\ny\n"), "%s", text);
    int lines = 0;
    for (const char *p = text; *p; p++) lines += *p == '\n';
    cr_assert_eq(lines, 17, "%s", text); /* 12 fields, tree reuse, training data, C_PUCT, Gumbel, commit */
    for (const char *line = text; *line; line = strchr(line, '\n') + 1)
        cr_assert(strncmp(line, "# ", 2) == 0, "a header field started a line: %s", line);
    unlink(path), rmdir(dir);
}
