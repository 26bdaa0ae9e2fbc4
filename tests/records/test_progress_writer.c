/* Self-play progress lines: none and no file before the first game, the first game's
 * line at once, then at most one a second, a final line at close with the totals; each
 * line one JSON object; a file that cannot be written is reported by close. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/json.h"
#include "records/progress_writer.h"
#include "support/fixtures.h"

static hexgpu_engine *open_engine(void) {
    hexgpu_engine_options o;
    hexgpu_engine_options_default(&o);
    o.backend = HEXGPU_BACKEND_CPU;
    o.cpu_threads = 1;
    hexgpu_engine *e = NULL;
    hexgpu_error err;
    cr_assert_eq(hexgpu_engine_open(hexgpu_test_fixture_path("tiny13/model.safetensors"), &o, &e, &err), HEXGPU_OK,
                 "%s", err.message);
    return e;
}

static int read_lines(const char *path, hexgpu_json *lines, int max) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[8192];
    int n = 0;
    while (n < max && fgets(line, sizeof line, f)) {
        cr_assert(strchr(line, '\n'), "every line whole");
        cr_assert_eq(hexgpu_json_parse(line, strlen(line), &lines[n], NULL), HEXGPU_OK, "%s", line);
        n++;
    }
    fclose(f);
    return n;
}

static double number(const hexgpu_json *obj, const char *key) {
    const hexgpu_json *v = hexgpu_json_get(obj, key);
    cr_assert(v && v->type == HEXGPU_JSON_NUMBER, "%s", key);
    return v->number;
}

Test(progress_writer, first_game_then_one_a_second_then_final) {
    char dir[] = "/tmp/hexgpu_progress_XXXXXX", records[256];
    cr_assert(mkdtemp(dir));
    snprintf(records, sizeof records, "%s/selfplay_x.trmph", dir);
    hexgpu_engine *engine = open_engine();
    hexgpu_progress_writer *w = hexgpu_progress_writer_open(records);
    char expected[300];
    snprintf(expected, sizeof expected, "%s.progress.jsonl", records);
    cr_assert_str_eq(hexgpu_progress_writer_path(w), expected);
    cr_assert_neq(access(expected, F_OK), 0, "no file before the first game");
    hexgpu_progress_writer_game(w, engine, 30, HEXGPU_BLUE);
    hexgpu_progress_writer_game(w, engine, 40, HEXGPU_RED);
    hexgpu_progress_writer_game(w, engine, 50, HEXGPU_RED);
    hexgpu_error err;
    cr_assert_eq(hexgpu_progress_writer_close(w, engine, &err), HEXGPU_OK);
    hexgpu_json lines[8];
    int n = read_lines(expected, lines, 8);
    cr_assert_eq(n, 2, "the first game's line and the final one (the others came within a second)");
    cr_assert_eq(number(&lines[0], "games"), 1);
    cr_assert_eq(number(&lines[0], "positions"), 30);
    cr_assert_eq(hexgpu_json_get(&lines[0], "final")->boolean, 0);
    cr_assert_eq(number(&lines[1], "games"), 3);
    cr_assert_eq(number(&lines[1], "positions"), 120);
    const hexgpu_json *wins = hexgpu_json_get(&lines[1], "wins");
    cr_assert_eq(number(wins, "blue"), 1);
    cr_assert_eq(number(wins, "red"), 2);
    cr_assert_eq(hexgpu_json_get(&lines[1], "final")->boolean, 1);
    cr_assert_eq(hexgpu_json_get(&lines[1], "batch_histogram")->count, HEXGPU_STATS_BATCH_BUCKETS);
    cr_assert_eq(hexgpu_json_get(&lines[1], "devices")->count, 1);
    cr_assert_geq(number(&lines[1], "positions_per_second"), 0.0);
    for (int i = 0; i < n; i++) hexgpu_json_free(&lines[i]);
    hexgpu_engine_close(engine);
    unlink(expected);
    rmdir(dir);
}

Test(progress_writer, no_game_no_file_and_failures_reported_by_close) {
    hexgpu_engine *engine = open_engine();
    char dir[] = "/tmp/hexgpu_progress_XXXXXX", records[256], path[300];
    cr_assert(mkdtemp(dir));
    snprintf(records, sizeof records, "%s/r.trmph", dir);
    hexgpu_error err;
    cr_assert_eq(hexgpu_progress_writer_close(hexgpu_progress_writer_open(records), engine, &err), HEXGPU_OK);
    snprintf(path, sizeof path, "%s.progress.jsonl", records);
    cr_assert_neq(access(path, F_OK), 0, "a run with no game leaves no progress file");
    rmdir(dir);
    hexgpu_progress_writer *w = hexgpu_progress_writer_open("/nonexistent-folder/r.trmph");
    hexgpu_progress_writer_game(w, engine, 10, HEXGPU_BLUE);
    hexgpu_progress_writer_game(w, engine, 10, HEXGPU_BLUE);
    cr_assert_eq(hexgpu_progress_writer_close(w, engine, &err), HEXGPU_ERR_IO);
    cr_assert(strstr(err.message, "/nonexistent-folder/r.trmph.progress.jsonl"), "%s", err.message);
    hexgpu_progress_writer_game(NULL, engine, 1, HEXGPU_RED); /* no writer: no-op */
    cr_assert_eq(hexgpu_progress_writer_close(NULL, engine, &err), HEXGPU_OK);
    hexgpu_engine_close(engine);
}
