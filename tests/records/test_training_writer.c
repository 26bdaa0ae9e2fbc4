/* The training-target file: records at the documented offsets, a whole game per write,
 * the sidecar's numpy fields adding up to the record size. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/json.h"
#include "support/bytes.h"
#include "hex/board.h"
#include "records/training_writer.h"

Test(training_writer, records_and_sidecar) {
    enum { N = 5, CELLS = N * N };
    char dir[] = "/tmp/hexgpu-train-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char records[4200];
    snprintf(records, sizeof records, "%s/selfplay_x.trmph", dir);
    hexgpu_training_writer *w;
    hexgpu_error err = {0};
    cr_assert_eq(hexgpu_training_writer_open(records, N, &w, &err), HEXGPU_OK, "%s", err.message);
    cr_assert(strstr(hexgpu_training_writer_path(w), "/selfplay_x.train"));

    /* Game 7: three positions of a real game (Blue, Red, Blue to move); Red wins. */
    hexgpu_board board;
    cr_assert_eq(hexgpu_board_init(&board, N, &err), HEXGPU_OK);
    float visits[3][CELLS] = {{0}}, improved[3][CELLS] = {{0}};
    hexgpu_training_row rows[3];
    const int moves[3] = {12, 6, 18};
    for (int i = 0; i < 3; i++) {
        visits[i][moves[i]] = 0.75f, visits[i][(moves[i] + 1) % CELLS] = 0.25f;
        improved[i][moves[i]] = 1.0f;
        rows[i] = (hexgpu_training_row){.move = (int16_t)moves[i], .full_search = 1, .policy_target = i != 1,
                                        .root_value = 0.5f - 0.25f * (float)i, .visits = visits[i],
                                        .improved = improved[i]};
        hexgpu_board_to_position(&board, &rows[i].position);
        cr_assert_eq(hexgpu_board_play(&board, moves[i], &err), HEXGPU_OK);
    }
    cr_assert_eq(hexgpu_training_writer_add_game(w, 7, HEXGPU_RED, rows, 3, &err), HEXGPU_OK, "%s", err.message);
    cr_assert_eq(hexgpu_training_writer_add_game(w, 8, HEXGPU_BLUE, rows, 1, &err), HEXGPU_OK);
    const char *path_copy = strdup(hexgpu_training_writer_path(w));
    cr_assert_eq(hexgpu_training_writer_close(w, &err), HEXGPU_OK);

    size_t bytes = hexgpu_training_record_bytes(N), len;
    cr_assert_eq(bytes, 120 + 8 * CELLS);
    unsigned char *data = hexgpu_test_read_file(path_copy, &len);
    cr_assert_eq(len, 4 * bytes);
    for (int i = 0; i < 4; i++) {
        const unsigned char *r = data + (size_t)i * bytes;
        int row = i < 3 ? i : 0;
        cr_assert_eq(hexgpu_test_le(r, 8), i < 3 ? 7u : 8u);
        cr_assert_eq(hexgpu_test_le(r + 8, 2), (uint64_t)row, "ply");
        cr_assert_eq(hexgpu_test_le(r + 10, 2), (uint64_t)moves[row]);
        cr_assert_eq(r[12], row % 2, "to_move");
        int won = i < 3 ? r[12] == HEXGPU_RED : r[12] == HEXGPU_BLUE;
        cr_assert_eq((int8_t)r[13], won ? 1 : -1, "result of record %d", i);
        cr_assert_eq(r[14], 1);
        cr_assert_eq(r[15], row != 1);
        cr_assert_eq(hexgpu_test_f32(r + 16), 0.5f - 0.25f * (float)row);
        cr_assert_eq(hexgpu_test_le(r + 20, 4), 0u);
        for (int k = 0; k < HEXGPU_POSITION_WORDS; k++) {
            cr_assert_eq(hexgpu_test_le(r + 24 + 8 * k, 8), rows[row].position.blue[k]);
            cr_assert_eq(hexgpu_test_le(r + 72 + 8 * k, 8), rows[row].position.red[k]);
        }
        for (int c = 0; c < CELLS; c++) {
            cr_assert_eq(hexgpu_test_f32(r + 120 + 4 * c), visits[row][c]);
            cr_assert_eq(hexgpu_test_f32(r + 120 + 4 * (CELLS + c)), improved[row][c]);
        }
    }
    free(data);

    char sidecar[4300];
    snprintf(sidecar, sizeof sidecar, "%s/selfplay_x.train.json", dir);
    char *text = (char *)hexgpu_test_read_file(sidecar, &len);
    hexgpu_json j;
    cr_assert_eq(hexgpu_json_parse(text, len, &j, &err), HEXGPU_OK, "%s", err.message);
    cr_assert_eq(hexgpu_json_get(&j, "record_bytes")->integer, (int64_t)bytes);
    cr_assert_eq(hexgpu_json_get(&j, "board_size")->integer, N);
    cr_assert_str_eq(hexgpu_json_get(&j, "records")->string, "selfplay_x.trmph");
    cr_assert_str_eq(hexgpu_json_get(&j, "data")->string, "selfplay_x.train");
    /* The fields, packed in order, cover the record exactly. */
    const hexgpu_json *fields = hexgpu_json_get(&j, "fields");
    size_t total = 0;
    for (size_t f = 0; f < fields->count; f++) {
        const hexgpu_json *field = &fields->items[f];
        const char *dtype = field->items[1].string;
        size_t item = (size_t)(dtype[strlen(dtype) - 1] - '0'), count = 1;
        for (size_t d = 0; d < field->items[2].count; d++) count *= (size_t)field->items[2].items[d].integer;
        total += item * count;
    }
    cr_assert_eq(total, bytes);
    hexgpu_json_free(&j);
    free(text);
    free((void *)path_copy);
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}
