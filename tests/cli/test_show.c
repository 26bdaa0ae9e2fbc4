/* `hexgpu show`: the drawn board and the status line against the board API, on random
 * games and on malformed input (exit code 2, one `error:` line naming the column). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "hex/random_games.h"
#include "hex/trmph.h"
#include "support/run_cli.h"

static hexgpu_cli_result show(const char *arg) {
    hexgpu_cli_result r;
    const char *argv[] = {"show", arg, NULL};
    cr_assert_eq(hexgpu_cli_run(argv, NULL, &r), 0);
    return r;
}

static const char *word(hexgpu_color c) { return c == HEXGPU_BLUE ? "blue" : c == HEXGPU_RED ? "red" : "none"; }

/* Checks the rhombus: row r's cells start r columns further right than row 0's, and
 * read B/R/. exactly as the board holds them. */
static void assert_drawing(const char *out, const hexgpu_board *b) {
    int n = b->size, first_col = -1;
    const char *line = strchr(out, '\n'); /* skip the column letters */
    cr_assert(line);
    for (int r = 0; r < n; r++) {
        line++;
        const char *end = strchr(line, '\n');
        cr_assert(end, "row %d missing", r + 1);
        int label;
        cr_assert_eq(sscanf(line, "%d", &label), 1, "row %d: '%.*s'", r + 1, (int)(end - line), line);
        cr_assert_eq(label, r + 1);
        int seen = 0;
        for (const char *p = line; p < end && seen < n; p++) {
            if (*p != 'B' && *p != 'R' && *p != '.') continue;
            if (seen == 0) {
                int col = (int)(p - line);
                if (r == 0) first_col = col;
                cr_assert_eq(col, first_col + r, "row %d is not indented one more", r + 1);
            }
            hexgpu_color s = hexgpu_board_at(b, r * n + seen);
            char want = s == HEXGPU_BLUE ? 'B' : s == HEXGPU_RED ? 'R' : '.';
            cr_assert_eq(*p, want, "row %d col %d: '%c' want '%c'", r + 1, seen, *p, want);
            seen++;
        }
        cr_assert_eq(seen, n, "row %d has %d cells", r + 1, seen);
        line = end;
    }
}

Test(cli_show, spec_game_column_g) {
    hexgpu_cli_result r = show("#13,g1a7g2b7g3c7g4d7g5e7g6f7g8h7g9i7g10j7g11k7g12l7g13m7g7");
    cr_assert_eq(r.exit_code, 0, "stderr: %s", r.err);
    cr_assert_str_eq(hexgpu_cli_last_line(r.out), "to_move=red winner=blue moves=25");
    cr_assert(strstr(r.out, "B = blue"), "legend missing: %s", r.out);
    hexgpu_cli_result_free(&r);
    r = show("http://www.trmph.com/hex/board#13,");
    cr_assert_eq(r.exit_code, 0);
    cr_assert_str_eq(hexgpu_cli_last_line(r.out), "to_move=blue winner=none moves=0");
    hexgpu_cli_result_free(&r);
}

Test(cli_show, random_games_match_the_board) {
    static const int sizes[] = {1, 2, 5, 11, 13, 19};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        for (uint64_t seed = 1; seed <= 4; seed++) {
            hexgpu_board b;
            test_random_game(&b, sizes[s], seed * 31, seed == 4 ? HEXGPU_MAX_CELLS : (int)(seed * 9));
            char text[HEXGPU_TRMPH_MAX], want[96];
            hexgpu_trmph_format(&b, text, sizeof text);
            hexgpu_cli_result r = show(text);
            cr_assert_eq(r.exit_code, 0, "%s: %s", text, r.err);
            cr_assert_str_eq(r.err, "");
            snprintf(want, sizeof want, "to_move=%s winner=%s moves=%d", word(b.to_move), word(b.winner), b.move_count);
            cr_assert_str_eq(hexgpu_cli_last_line(r.out), want, "%s", text);
            assert_drawing(r.out, &b);
            hexgpu_cli_result_free(&r);
        }
    }
}

Test(cli_show, malformed_input_is_exit_2_with_column) {
    static const struct {
        const char *text, *column;
    } cases[] = {
        {"#13,a1t2", "column 7:"}, {"#13,a14", "column 6:"},   {"#13,a1a1", "column 7:"},
        {"13,a1", "column 1:"},    {"#13a1", "column 4:"},     {"#20,a1", "column 2:"},
        {"#13,a1 ", "column 7:"},  {"#13,a1xyz", "column 7:"}, {"#1,a1a1", "column 6:"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hexgpu_cli_result r = show(cases[i].text);
        cr_assert_eq(r.exit_code, 2, "'%s' exited %d", cases[i].text, r.exit_code);
        cr_assert_str_eq(r.out, "", "'%s' printed a board", cases[i].text);
        cr_assert(strncmp(r.err, "error: ", 7) == 0, "'%s': %s", cases[i].text, r.err);
        cr_assert(strstr(r.err, cases[i].column), "'%s': want %s in %s", cases[i].text, cases[i].column, r.err);
        cr_assert_eq(strchr(r.err, '\n'), r.err + strlen(r.err) - 1, "one line: %s", r.err);
        hexgpu_cli_result_free(&r);
    }
}

Test(cli_show, usage) {
    hexgpu_cli_result r;
    const char *help[] = {"show", "--help", NULL};
    cr_assert_eq(hexgpu_cli_run(help, NULL, &r), 0);
    cr_assert_eq(r.exit_code, 0);
    cr_assert(strstr(r.out, "usage: hexgpu show"), "%s", r.out);
    cr_assert(strstr(r.out, "to_move"), "%s", r.out);
    hexgpu_cli_result_free(&r);
    const char *none[] = {"show", NULL};
    const char *two[] = {"show", "#13,", "#13,a1", NULL};
    const char *option[] = {"show", "--color", NULL};
    const char *const *bad[] = {none, two, option};
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(hexgpu_cli_run(bad[i], NULL, &r), 0);
        cr_assert_eq(r.exit_code, 2, "case %d", i);
        cr_assert(strstr(r.err, "error: "), "case %d: %s", i, r.err);
        hexgpu_cli_result_free(&r);
    }
}
