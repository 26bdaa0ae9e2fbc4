/* TRMPH parsing and formatting: spec positions, URL prefixes, round trips, record lines,
 * and every error class with the column it names. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "hex/random_games.h"
#include "hex/trmph.h"

#define COLUMN_G_WIN "#13,g1a7g2b7g3c7g4d7g5e7g6f7g8h7g9i7g10j7g11k7g12l7g13m7g7"

static void parse_ok(const char *text, hexgpu_board *b) {
    hexgpu_error err = {0};
    hexgpu_status st = hexgpu_trmph_parse(text, b, &err);
    cr_assert_eq(st, HEXGPU_OK, "'%s': %s", text, err.message);
}

Test(trmph, spec_positions) {
    hexgpu_board b;
    parse_ok("#13,", &b);
    cr_assert_eq(b.size, 13);
    cr_assert_eq(hexgpu_board_move_count(&b), 0);
    cr_assert_eq(hexgpu_board_to_move(&b), HEXGPU_BLUE);
    parse_ok("#13,a1", &b);
    cr_assert_eq(hexgpu_board_at(&b, 0), HEXGPU_BLUE);
    cr_assert_eq(hexgpu_board_to_move(&b), HEXGPU_RED);
    parse_ok(COLUMN_G_WIN, &b);
    cr_assert_eq(hexgpu_board_winner(&b), HEXGPU_BLUE);
    cr_assert_eq(hexgpu_board_move_count(&b), 25);
    char without_g7[sizeof COLUMN_G_WIN];
    snprintf(without_g7, sizeof without_g7, "%.*s", (int)strlen(COLUMN_G_WIN) - 2, COLUMN_G_WIN);
    parse_ok(without_g7, &b);
    cr_assert_eq(hexgpu_board_winner(&b), HEXGPU_NONE);
    cr_assert_eq(hexgpu_board_to_move(&b), HEXGPU_BLUE);
}

Test(trmph, cell_names_and_corners) {
    hexgpu_board b;
    parse_ok("#13,g7m13", &b);
    cr_assert_eq(b.moves[0], 6 * 13 + 6);
    cr_assert_eq(b.moves[1], 168);
    parse_ok("#19,s19a19s1a1", &b);
    cr_assert_eq(b.moves[0], 360);
    cr_assert_eq(b.moves[1], 342);
    cr_assert_eq(b.moves[2], 18);
    cr_assert_eq(b.moves[3], 0);
    char out[HEXGPU_TRMPH_MAX];
    cr_assert_eq(hexgpu_trmph_format(&b, out, sizeof out), strlen("#19,s19a19s1a1"));
    cr_assert_str_eq(out, "#19,s19a19s1a1");
    char name[4];
    cr_assert_eq(hexgpu_trmph_cell_name(168, 13, name), 3);
    cr_assert_str_eq(name, "m13");
    parse_ok("#1,a1", &b);
    cr_assert_eq(hexgpu_board_winner(&b), HEXGPU_BLUE);
}

Test(trmph, url_prefixes_are_ignored_output_is_bare) {
    const char *inputs[] = {"http://www.trmph.com/hex/board#13,a1b2", "https://trmph.com/hex/board#13,a1b2",
                            "#13,a1b2"};
    for (size_t i = 0; i < 3; i++) {
        hexgpu_board b;
        parse_ok(inputs[i], &b);
        char out[HEXGPU_TRMPH_MAX];
        hexgpu_trmph_format(&b, out, sizeof out);
        cr_assert_str_eq(out, "#13,a1b2");
        cr_assert_eq(hexgpu_board_at(&b, 14), HEXGPU_RED); /* b2 = (1,1) */
    }
}

Test(trmph, format_truncates_like_snprintf) {
    hexgpu_board b;
    parse_ok("#13,a1b2m13", &b);
    char small[6];
    cr_assert_eq(hexgpu_trmph_format(&b, small, sizeof small), 11);
    cr_assert_str_eq(small, "#13,a");
}

Test(trmph, random_games_round_trip) {
    static const int sizes[] = {1, 2, 3, 5, 9, 11, 13, 19};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        for (uint64_t seed = 1; seed <= 10; seed++) {
            hexgpu_board b, back;
            test_random_game(&b, sizes[s], seed, seed % 2 ? HEXGPU_MAX_CELLS : (int)seed * 3);
            char text[HEXGPU_TRMPH_MAX], again[HEXGPU_TRMPH_MAX];
            hexgpu_trmph_format(&b, text, sizeof text);
            parse_ok(text, &back);
            cr_assert_eq(hexgpu_board_hash(&back), hexgpu_board_hash(&b));
            cr_assert_eq(memcmp(back.moves, b.moves, (size_t)b.move_count * sizeof b.moves[0]), 0);
            cr_assert_eq(back.winner, b.winner);
            hexgpu_trmph_format(&back, again, sizeof again);
            cr_assert_str_eq(again, text);
            if (b.winner == HEXGPU_NONE) continue;
            char record[HEXGPU_TRMPH_MAX];
            size_t len;
            cr_assert_eq(hexgpu_trmph_format_record(&b, record, sizeof record, &len, NULL), HEXGPU_OK);
            cr_assert_eq(len, strlen(record));
            cr_assert_eq(record[len - 1], b.winner == HEXGPU_BLUE ? 'b' : 'r');
            hexgpu_color winner = HEXGPU_NONE;
            cr_assert_eq(hexgpu_trmph_parse_record(record, &back, &winner, NULL), HEXGPU_OK, "%s", record);
            cr_assert_eq(winner, b.winner);
        }
    }
}

Test(trmph, records_and_headers) {
    hexgpu_board b;
    hexgpu_color winner = HEXGPU_NONE;
    hexgpu_error err;
    cr_assert_eq(hexgpu_trmph_parse_record(COLUMN_G_WIN " b\n", &b, &winner, &err), HEXGPU_OK, "%s", err.message);
    cr_assert_eq(winner, HEXGPU_BLUE);
    cr_assert_eq(hexgpu_trmph_parse_record(COLUMN_G_WIN " b\r\n", &b, &winner, &err), HEXGPU_OK, "%s", err.message);
    cr_assert(hexgpu_trmph_is_header("# Format: trmph_string winner"));
    cr_assert(hexgpu_trmph_is_header("# "));
    cr_assert_not(hexgpu_trmph_is_header("#13,a1 b"));
    cr_assert_not(hexgpu_trmph_is_header("#"));
    parse_ok("#13,a1", &b);
    char out[HEXGPU_TRMPH_MAX];
    size_t len;
    cr_assert_eq(hexgpu_trmph_format_record(&b, out, sizeof out, &len, &err), HEXGPU_ERR_INVALID_ARGUMENT);
    cr_assert(strstr(err.message, "finished"), "%s", err.message);
}

typedef struct bad_case {
    const char *text;
    int column;
    const char *words; /* a phrase the message must contain */
} bad_case;

enum { AS_GAME, AS_RECORD, AS_STONES };

/* Parses each case as a game, a record line or stones only (as) and checks that it
 * fails with a message that starts "column <c>:" and contains the case's words. */
static void assert_errors(const bad_case *cases, size_t count, int as) {
    for (size_t i = 0; i < count; i++) {
        const char *text = cases[i].text;
        hexgpu_board b;
        hexgpu_position pos;
        hexgpu_error err = {0};
        hexgpu_color winner = HEXGPU_NONE;
        hexgpu_status st = as == AS_RECORD   ? hexgpu_trmph_parse_record(text, &b, &winner, &err)
                           : as == AS_STONES ? hexgpu_trmph_parse_stones(text, &pos, NULL, 0, &err)
                                             : hexgpu_trmph_parse(text, &b, &err);
        cr_assert_eq(st, HEXGPU_ERR_PARSE, "'%s' parsed", text);
        cr_assert_eq(err.status, HEXGPU_ERR_PARSE);
        cr_assert_eq(winner, HEXGPU_NONE, "winner untouched on failure");
        char want[32];
        snprintf(want, sizeof want, "column %d:", cases[i].column);
        cr_assert(strncmp(err.message, want, strlen(want)) == 0, "'%s': want '%s', got '%s'", text, want, err.message);
        cr_assert(strstr(err.message, cases[i].words), "'%s': want '%s' in '%s'", text, cases[i].words, err.message);
    }
}

Test(trmph, each_error_names_its_column) {
    static const bad_case cases[] = {
        {"#13,a1t2", 7, "unknown column letter 't'"},
        {"#13,A1", 5, "unknown column letter 'A'"},
        {"#5,a1f2", 6, "a..e"},
        {"#13,a14", 6, "row 14 is outside 1..13"},
        {"#13,b2a0", 8, "row 0 is outside"},
        {"#13,a", 6, "missing row number after 'a'"},
        {"#13,ab2", 6, "missing row number after 'a'"},
        {"#13,a01", 6, "leading zero"},
        {"#13,a1b2a1", 9, "cell a1 is already taken"},
        {COLUMN_G_WIN "a1", 59, "move a1 after the game was won by blue"},
        {"13,a1", 1, "missing '#<size>,' preamble"},
        {"", 1, "missing '#<size>,' preamble"},
        {"http://www.trmph.com/hex/board", 1, "missing"},
        {"#13a1", 4, "expected ',' after the board size, found 'a'"},
        {"#13", 4, "found the end"},
        {"#,a1", 2, "expected the board size"},
        {"#20,a1", 2, "board size 20 is outside 1..19"},
        {"#0,", 2, "board size 0 is outside"},
        {"#99999999999,", 2, "board size 99999999999 is outside"},
        {"#013,a1", 2, "leading zero"},
        {"#13,a1 ", 7, "unexpected ' ' after the moves (trailing junk)"},
        {"#13,a1xyz", 7, "unexpected 'xyz' after the moves"},
        {"#13,a1;", 7, "trailing junk"},
        {"board#13,a1 b2", 12, "trailing junk"},
    };
    assert_errors(cases, sizeof cases / sizeof cases[0], AS_GAME);
}

Test(trmph, record_errors_name_their_column) {
    static const bad_case cases[] = {
        {COLUMN_G_WIN " r", 60, "the record says red won, but blue connected"},
        {"#13,a1b2 b", 10, "nobody has connected"},
        {"#13,a1b2", 9, "missing the winner"},
        {"#1,a1 x", 7, "must be 'b' or 'r', found 'x'"},
        {"#1,a1 blue", 7, "found 'blue'"},
        {"#1,a1  b", 6, "trailing junk"},
        {"#1,z1 b", 4, "unknown column letter 'z'"},
    };
    assert_errors(cases, sizeof cases / sizeof cases[0], AS_RECORD);
}

/* Stones only: every game the strict parser reads gives the same position and bare form,
 * and a game may go on after a win (the golden positions do). */
Test(trmph, stones_match_the_game_and_go_on_after_a_win) {
    static const char *games[] = {"#13,", "#13,a1", "#5,a1e5c3", "http://www.trmph.com/hex/board#11,a1k11f6",
                                  COLUMN_G_WIN};
    for (size_t i = 0; i < sizeof games / sizeof games[0]; i++) {
        hexgpu_board b;
        parse_ok(games[i], &b);
        hexgpu_position want, got;
        hexgpu_board_to_position(&b, &want);
        char bare[HEXGPU_TRMPH_MAX], formatted[HEXGPU_TRMPH_MAX];
        hexgpu_error err = {0};
        cr_assert_eq(hexgpu_trmph_parse_stones(games[i], &got, bare, sizeof bare, &err), HEXGPU_OK, "%s: %s", games[i],
                     err.message);
        cr_assert(hexgpu_position_equal(&got, &want), "'%s': stones differ from the game's", games[i]);
        cr_assert_eq(got.to_move, want.to_move, "'%s'", games[i]);
        hexgpu_trmph_format(&b, formatted, sizeof formatted);
        cr_assert_str_eq(bare, formatted);
    }
    hexgpu_position pos;
    char bare[HEXGPU_TRMPH_MAX];
    hexgpu_error err = {0};
    cr_assert_eq(hexgpu_trmph_parse_stones(COLUMN_G_WIN "a1m13", &pos, bare, sizeof bare, &err), HEXGPU_OK, "%s",
                 err.message);
    cr_assert_str_eq(bare, COLUMN_G_WIN "a1m13");
    cr_assert_eq(hexgpu_position_at(&pos, 0), HEXGPU_RED, "a1 is move 26: Red");
    cr_assert_eq(hexgpu_position_at(&pos, 168), HEXGPU_BLUE, "m13 is move 27: Blue");
    cr_assert_eq(pos.to_move, HEXGPU_RED);
    cr_assert_eq(hexgpu_position_validate(&pos, &err), HEXGPU_OK, "%s", err.message);
    /* A bare form that does not fit is truncated like snprintf. */
    char small[6];
    cr_assert_eq(hexgpu_trmph_parse_stones("#13,a1b2", &pos, small, sizeof small, &err), HEXGPU_OK);
    cr_assert_str_eq(small, "#13,a");
}

Test(trmph, stones_errors_name_their_column) {
    static const bad_case cases[] = {
        {"#13,a1t2", 7, "unknown column letter 't'"},
        {"#13,a14", 6, "row 14 is outside 1..13"},
        {"#13,a01", 6, "leading zero"},
        {"#13,a1b2a1", 9, "cell a1 is already taken"},
        {COLUMN_G_WIN "g7", 59, "cell g7 is already taken"},
        {"13,a1", 1, "missing '#<size>,' preamble"},
        {"#20,a1", 2, "board size 20 is outside 1..19"},
        {COLUMN_G_WIN "a1x", 61, "trailing junk"},
    };
    assert_errors(cases, sizeof cases / sizeof cases[0], AS_STONES);
}
