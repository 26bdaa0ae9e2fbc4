/* `hexgpu htp` driven through a pipe on the tiny13 fixture: every command once, the
 * reply framing (ids, '='/'?', the blank line), malformed input of every kind (the
 * process goes on), the swap rule both ways, the end of a game, the time bound,
 * resignation and the command's own usage errors. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex/trmph.h"
#include "htp/htp.h"
#include "support/fixtures.h"
#include "support/run_cli.h"

#define MAX_REPLIES 128

typedef struct session {
    hexgpu_cli_result r;
    char *replies[MAX_REPLIES]; /* pointers into r.out, each reply without its blank line */
    int count;
} session;

/* Runs htp with the extra arguments on script and splits standard output into replies. */
static void run(session *s, const char *const *extra, const char *script) {
    const char *argv[32] = {"htp", "--model", hexgpu_test_fixture_path("tiny13/model.safetensors"), "--backend", "cpu"};
    int n = 5;
    for (int i = 0; extra && extra[i]; i++) argv[n++] = extra[i];
    argv[n] = NULL;
    memset(s, 0, sizeof *s);
    cr_assert_eq(hexgpu_cli_run(argv, script, &s->r), 0);
    cr_assert_eq(s->r.exit_code, 0, "exit %d, stderr: %s", s->r.exit_code, s->r.err);
    size_t len = strlen(s->r.out);
    cr_assert(len == 0 || (len >= 2 && strcmp(s->r.out + len - 2, "\n\n") == 0), "output does not end in a blank line");
    char *p = s->r.out;
    while (*p) {
        char *end = strstr(p, "\n\n");
        cr_assert(end, "a reply without its blank line: %s", p);
        *end = '\0';
        cr_assert_lt(s->count, MAX_REPLIES);
        s->replies[s->count++] = p;
        p = end + 2;
    }
}

static void done(session *s) { hexgpu_cli_result_free(&s->r); }

/* Reply i is a success ("=id text"): returns the text. id NULL: the id is i+1. */
static const char *ok(const session *s, int i, const char *id) {
    cr_assert_lt(i, s->count, "reply %d missing (%d replies)", i, s->count);
    char head[80];
    if (id) snprintf(head, sizeof head, "=%s ", id);
    else snprintf(head, sizeof head, "=%d ", i + 1);
    cr_assert(strncmp(s->replies[i], head, strlen(head)) == 0, "reply %d: want '%s...', got '%s'", i, head,
              s->replies[i]);
    return s->replies[i] + strlen(head);
}

/* Reply i is a failure ("? reason") whose reason contains want. */
static void failed(const session *s, int i, const char *want) {
    cr_assert_lt(i, s->count, "reply %d missing (%d replies)", i, s->count);
    const char *r = s->replies[i];
    cr_assert(r[0] == '?' && r[1 + strspn(r + 1, "0123456789")] == ' ', "reply %d: want a failure, got '%s'", i, r);
    cr_assert(strstr(s->replies[i], want), "reply %d: want '%s' in '%s'", i, want, s->replies[i]);
}

static int is_cell(const char *text) {
    return text[0] >= 'a' && text[0] <= 'm' && atoi(text + 1) >= 1 && atoi(text + 1) <= 13;
}

Test(cli_htp, every_command, .timeout = 120) {
    session s;
    run(&s, (const char *[]){"--sims", "16", NULL},
        "1 name\n2 version\n3 protocol_version\n4 known_command genmove\n5 known_command frobnicate\n"
        "6 list_commands\n7 boardsize 13 13\n8 boardsize 13\n9 clear_board\n10 play black g7\n11 genmove white\n"
        "12 reg_genmove black\n13 all_legal_moves black\n14 undo\n15 showboard\n16 time_left white 60 0\n"
        "17 time_left\n18 final_score\n19 param_game\n20 param_game allow_swap 1\n21 hexgui-analyze_commands\n"
        "22 hexgpu-policy\n23 hexgpu-search\n24 hexgpu-visits\n25 hexgpu-values\n26 quit\n27 name\n");
    cr_assert_eq(s.count, 26, "nothing may follow quit: %d replies", s.count);
    /* Command i has id i+1. */
    static const struct {
        int reply;
        const char *text;
    } plain[] = {{0, "hexgpu"}, {1, "0.1.0"}, {2, "2"}, {3, "true"}, {4, "false"}, {6, ""}, {7, ""}, {8, ""}, {9, ""},
                 {13, ""}, {15, ""}, {16, "black - white 60.0"}, {17, "cannot score"}, {18, "\n[bool] allow_swap 0"},
                 {19, ""}, {25, ""}};
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        cr_assert_str_eq(ok(&s, plain[i].reply, NULL), plain[i].text, "reply %d", plain[i].reply);
    const char *list = ok(&s, 5, NULL);
    const char *all[] = {"name", "version", "protocol_version", "known_command", "list_commands", "quit", "boardsize",
                         "clear_board", "play", "genmove", "undo", "showboard", "time_left", "final_score",
                         "all_legal_moves", "param_game", "hexgui-analyze_commands", "reg_genmove", "hexgpu-policy",
                         "hexgpu-search", "hexgpu-visits", "hexgpu-values"};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        cr_assert(strstr(list, all[i]), "list_commands lacks %s", all[i]);
    const char *white = ok(&s, 10, NULL), *black = ok(&s, 11, NULL);
    cr_assert(is_cell(white) && strcmp(white, "g7") != 0, "genmove white: %s", white);
    cr_assert(is_cell(black) && strcmp(black, "g7") != 0 && strcmp(black, white) != 0, "reg_genmove: %s", black);
    /* reg_genmove did not play: black's cell is still legal, and 169 - 2 cells are free. */
    const char *legal = ok(&s, 12, NULL);
    int cells = 0;
    for (const char *p = legal; *p; p++) cells += *p == ' ';
    cr_assert_eq(cells + 1, 167, "%s", legal);
    cr_assert(strstr(legal, black) && !strstr(legal, "g7 "), "%s", legal);
    /* undo took white's move back: one black stone, white to move. */
    const char *board = ok(&s, 14, NULL);
    cr_assert(board[0] == '\n' && strstr(board, " 7  . . . . . . B . . . . . .  7\n"), "%s", board);
    cr_assert(strstr(board, "white to move") && strchr(board, 'W') == strrchr(board, 'W'), "%s", board);
    const char *analyze = ok(&s, 20, NULL);
    cr_assert(strstr(analyze, "gfx/Policy Heat Map/hexgpu-policy\n") &&
                  strstr(analyze, "gfx/Search Heat Map/hexgpu-search\n") &&
                  strstr(analyze, "pspairs/Search Visits/hexgpu-visits\n") &&
                  strstr(analyze, "pspairs/Search Values/hexgpu-values\n"),
              "%s", analyze);
    /* The heat maps: INFLUENCE pairs in [0,1] with 1 at the top cell, then TEXT. */
    for (int i = 21; i <= 22; i++) {
        const char *gfx = ok(&s, i, NULL);
        cr_assert(strncmp(gfx, "INFLUENCE ", 10) == 0 && strstr(gfx, " 1.000") && strstr(gfx, "\nTEXT "), "%s", gfx);
        cr_assert(!strstr(gfx, " g7 "), "an occupied cell in the heat map: %s", gfx);
    }
    cr_assert(strstr(ok(&s, 21, NULL), "TEXT network: white wins"), "%s", s.replies[21]);
    cr_assert(strstr(ok(&s, 22, NULL), "TEXT search: 16 simulations, white wins"), "%s", s.replies[22]);
    /* Visits: cell-count pairs summing to the simulations; values: one per visited cell. */
    char visits[2048];
    snprintf(visits, sizeof visits, "%s", ok(&s, 23, NULL));
    int total = 0, pairs = 0;
    char *save = NULL;
    for (char *w = strtok_r(visits, " ", &save); w; w = strtok_r(NULL, " ", &save), pairs++) {
        cr_assert(is_cell(w), "not a cell: %s", w);
        w = strtok_r(NULL, " ", &save);
        cr_assert(w, "a cell without its count");
        total += atoi(w);
    }
    cr_assert_eq(total, 16);
    int values = 0;
    for (const char *p = ok(&s, 24, NULL); *p; p++) values += *p == ' ';
    cr_assert_eq(values + 1, 2 * pairs);
    done(&s);
}

Test(cli_htp, malformed_input_gets_a_reason_and_the_engine_goes_on, .timeout = 120) {
    static char script[300000];
    char *p = script;
    p += sprintf(p, "frobnicate\n42 frobnicate\n42\nplay\nplay black\nplay black a1 b2\nplay purple a1\n"
                    "play black z9\nplay black a0\nplay black a01\nplay black a14\nplay black n1\nplay black 1a\n"
                    "play black pass\nplay white a1\nplay black a1\nplay white b2\nplay black a1\ngenmove\n"
                    "genmove white\ngenmove purple\nboardsize\nboardsize 11\nboardsize 13 11\nboardsize x\n"
                    "boardsize 99999999999999999999\nknown_command\nparam_game allow_swap\nparam_game foo 1\n"
                    "param_game allow_swap maybe\ntime_left black\ntime_left black -5\ntime_left green 5\n"
                    "all_legal_moves a b\nundo\nundo\nundo\n");
    p += sprintf(p, "\n   \n# only a comment\n\t\r\n\x01\x02\x7f\n"); /* no command: no reply */
    p += sprintf(p, "play black c3 # a comment after a move\r\n");
    p += sprintf(p, "genmove\twhite\n"); /* a tab separates like a space */
    memset(p, 'x', 200000);           /* one very long word */
    p += 200000;
    p += sprintf(p, "\nplay %s\n", "a b c d e f g h i j k l m n o p q r s t u v w x y z");
    p += sprintf(p, "\xff\xfe\x80 garbage \xc3\n" "7 name\n");
    session s;
    run(&s, (const char *[]){"--sims", "4", NULL}, script);
    const char *want[] = {"unknown command", "unknown command", "missing command", "play takes", "play takes",
                          "play takes", "not a colour", "not a cell", "not a cell", "not a cell", "not a cell",
                          "not a cell", "not a cell", "not a cell", "white a1 (black is to move)", NULL, NULL,
                          "occupied", "genmove takes", "black is to move", "not a colour", "boardsize takes",
                          "unacceptable size 11x11", "unacceptable size 13x11", "not a size", "not a size",
                          "known_command takes", "param_game takes", "unknown parameter: foo", "must be 0 or 1",
                          "time_left takes", "not a number", "not a colour", "at most a colour", NULL, NULL,
                          "no move played"};
    size_t n = sizeof want / sizeof want[0];
    for (size_t i = 0; i < n; i++) {
        if (want[i]) failed(&s, (int)i, want[i]);
        else ok(&s, (int)i, "");
    }
    ok(&s, (int)n, "");                                /* play black c3 with a comment */
    cr_assert(is_cell(ok(&s, (int)n + 1, "")));        /* genmove<TAB>white */
    failed(&s, (int)n + 2, "line too long (200000 bytes"); /* the long word */
    failed(&s, (int)n + 3, "too many arguments");
    failed(&s, (int)n + 4, "unknown command");         /* bytes that are no command */
    cr_assert_str_eq(ok(&s, (int)n + 5, "7"), "hexgpu"); /* still there */
    cr_assert_eq(s.count, (int)n + 6);
    done(&s);
}

/* Input is bounded: a line over 64 KiB is read, dropped and refused by length (echoing its
 * id), whatever its size, in bounded memory; a `?` reply quotes 40 bytes of a word at
 * most; ids are echoed whole up to 64 digits, longer ones refused; the session goes on. */
Test(cli_htp, long_lines_quotes_and_ids, .timeout = 120) {
    enum { HUGE = 32 << 20, LONG_MOVE = 60000 };
    size_t cap = HUGE + LONG_MOVE + HEXGPU_HTP_MAX_LINE + 8192;
    char *script = malloc(cap), *p = script;
    p += sprintf(p, "1 name\n2 play black ");
    memset(p, 'a', LONG_MOVE), p += LONG_MOVE;
    p += sprintf(p, "\n3 play black ");
    memset(p, 'b', HUGE), p += HUGE;
    p += sprintf(p, "\n  4\t");
    memset(p, 'c', HEXGPU_HTP_MAX_LINE), p += HEXGPU_HTP_MAX_LINE; /* one byte over with "  4\t" */
    p += sprintf(p, "\n1234567890123456789012345678901234567890123456789012345678901234 name\n");
    memset(p, '9', 65), p += 65;
    p += sprintf(p, " name\n5 boardsize ");
    memset(p, '7', 1000), p += 1000;
    p += sprintf(p, "\n6 time_left ");
    memset(p, 'w', 41), p += 41;
    p += sprintf(p, " 5\n7 name\n");
    session s;
    run(&s, (const char *[]){"--sims", "4", NULL}, script);
    cr_assert_str_eq(ok(&s, 0, "1"), "hexgpu");
    failed(&s, 1, "illegal move: black aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa... (not a cell of the 13x13 board)");
    cr_assert_lt(strlen(s.replies[1]), 120, "%.200s", s.replies[1]);
    cr_assert_str_eq(s.replies[2], "?3 line too long (33554445 bytes, at most 65536)");
    cr_assert_str_eq(s.replies[3], "?4 line too long (65540 bytes, at most 65536)");
    cr_assert_str_eq(ok(&s, 4, "1234567890123456789012345678901234567890123456789012345678901234"), "hexgpu");
    cr_assert_str_eq(s.replies[5], "? id too long (65 digits, at most 64)");
    failed(&s, 6, "boardsize: '7777777777777777777777777777777777777777...' is not a size");
    cr_assert_str_eq(s.replies[7],
                     "?6 'wwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwww...' is not a colour (black, white, b or w)");
    cr_assert_str_eq(ok(&s, 8, "7"), "hexgpu");
    cr_assert_eq(s.count, 9);
    long long_rss = s.r.max_rss_kb;
    done(&s);
    /* The 32 MiB line cost no memory: the peak is that of a session without it, within 8 MiB. */
    run(&s, (const char *[]){"--sims", "4", NULL}, "1 name\n");
    cr_assert_lt(long_rss, s.r.max_rss_kb + 8192, "peak %ld KiB with the long line, %ld KiB without", long_rss,
                 s.r.max_rss_kb);
    done(&s);
    free(script);
}

/* The first stone a2 (row 2, column a) mirrored across the long diagonal is b1. */
Test(cli_htp, swap_pieces, .timeout = 120) {
    session s;
    run(&s, (const char *[]){"--sims", "8", NULL},
        "play black a2\nplay white swap-pieces\ngenmove white\nparam_game allow_swap 1\nall_legal_moves\n"
        "play black swap-pieces\n");
    ok(&s, 0, "");
    failed(&s, 1, "swap is off");
    cr_assert(is_cell(ok(&s, 2, "")), "without the swap rule genmove answers a cell: %s", s.replies[2]);
    ok(&s, 3, "");
    cr_assert(strstr(ok(&s, 4, ""), "swap-pieces") == NULL, "swap is legal only as the second move");
    failed(&s, 5, "only as the second move");
    done(&s);

    run(&s, (const char *[]){"--sims", "8", NULL},
        "param_game allow_swap 1\nplay black a2\nall_legal_moves\nplay white swap-pieces\nshowboard\n"
        "play white c3\nplay black swap-pieces\nplay black b1\nplay black c3\nshowboard\nundo\nundo\nshowboard\n"
        "undo\nshowboard\nundo\nplay black a2\nplay white swap-pieces\nundo\nundo\nundo\n");
    ok(&s, 0, ""), ok(&s, 1, "");
    cr_assert(strstr(ok(&s, 2, ""), " swap-pieces"), "%s", s.replies[2]);
    ok(&s, 3, "");
    /* The stone is white's now, on b1, and black moves next. */
    const char *board = ok(&s, 4, "");
    cr_assert(strstr(board, " 1  . W . .") && strstr(board, " 2  . . . .") && strstr(board, "black to move (swapped)"),
              "%s", board);
    failed(&s, 5, "(black is to move)");
    failed(&s, 6, "only as the second move");
    failed(&s, 7, "occupied");
    ok(&s, 8, "");
    board = ok(&s, 9, "");
    cr_assert(strstr(board, " 1  . W . .") && strstr(board, " 3  . . B .") && strstr(board, "white to move"), "%s",
              board);
    ok(&s, 10, ""), ok(&s, 11, ""); /* c3, then the swap */
    board = ok(&s, 12, "");
    cr_assert(strstr(board, " 2  B . . .") && strstr(board, "white to move") && !strstr(board, "swapped"), "%s", board);
    ok(&s, 13, "");
    cr_assert(strstr(ok(&s, 14, ""), "black to move"));
    failed(&s, 15, "no move played");
    ok(&s, 16, ""), ok(&s, 17, ""), ok(&s, 18, ""), ok(&s, 19, "");
    failed(&s, 20, "no move played");
    done(&s);

    /* genmove may swap only with the rule on (the fixture judges every first stone good
     * for black, so it swaps whenever it may), and then black is to move. */
    run(&s, (const char *[]){"--sims", "8", "--allow-swap", NULL},
        "play black g7\ngenmove white\nshowboard\ngenmove black\n");
    cr_assert_str_eq(ok(&s, 1, ""), "swap-pieces");
    cr_assert(strstr(ok(&s, 2, ""), " 7  . . . . . . W . . . . . .  7\n"), "%s", s.replies[2]);
    cr_assert(is_cell(ok(&s, 3, "")));
    done(&s);
}

/* Blue (black) fills column g: the rules' winner, final_score B+, nothing more to play. */
Test(cli_htp, end_of_game, .timeout = 120) {
    const char *moves = "g1a7g2b7g3c7g4d7g5e7g6f7g8h7g9i7g10j7g11k7g12l7g13m7g7";
    char script[4096], *p = script;
    for (int i = 0; *moves; i++) {
        int len = moves[2] >= '0' && moves[2] <= '9' && (moves[1] == '1') ? 3 : 2;
        p += sprintf(p, "play %s %.*s\n", i % 2 ? "white" : "black", len, moves);
        moves += len;
    }
    p += sprintf(p, "final_score\ngenmove white\nplay white a1\nshowboard\nundo\nfinal_score\n");
    session s;
    run(&s, (const char *[]){"--sims", "4", NULL}, script);
    for (int i = 0; i < 25; i++) ok(&s, i, "");
    cr_assert_str_eq(ok(&s, 25, ""), "B+");
    cr_assert_str_eq(ok(&s, 26, ""), "resign");
    failed(&s, 27, "the game is over");
    cr_assert(strstr(ok(&s, 28, ""), "black has won"));
    ok(&s, 29, "");
    cr_assert_str_eq(ok(&s, 30, ""), "cannot score");
    done(&s);
}

Test(cli_htp, time_bound_and_resignation, .timeout = 120) {
    session s;
    /* --move-time alone: the time decides (100000 simulations would take minutes here). */
    run(&s, (const char *[]){"--move-time", "0.2", NULL},
        "genmove black\ntime_left white 0.3 0\ngenmove white\ntime_left\n");
    cr_assert(is_cell(ok(&s, 0, "")));
    cr_assert(is_cell(ok(&s, 2, "")));
    cr_assert(strncmp(ok(&s, 3, ""), "black - white 0.", 16) == 0, "genmove charges its time: %s", s.replies[3]);
    done(&s);
    /* The fixture gives white no chance after any first stone. */
    run(&s, (const char *[]){"--sims", "8", "--resign", "0.05", NULL}, "play black a2\ngenmove white\nshowboard\n");
    cr_assert_str_eq(ok(&s, 1, ""), "resign");
    cr_assert(strstr(ok(&s, 2, ""), "white to move"), "a resignation plays nothing");
    done(&s);
}

Test(cli_htp, usage_errors) {
    const char *const cases[][6] = {
        {"htp", "--model", "x.safetensors", "--frob", NULL},
        {"htp", "--model", "x.safetensors", "--sims", "0", NULL},
        {"htp", "--model", "x.safetensors", "--resign", "1.5", NULL},
        {"htp", "--model", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hexgpu_cli_result r;
        cr_assert_eq(hexgpu_cli_run(cases[i], NULL, &r), 0);
        cr_assert_eq(r.exit_code, 2, "case %zu: exit %d (%s)", i, r.exit_code, r.err);
        cr_assert(strncmp(r.err, "error: ", 7) == 0 && strchr(r.err, '\n') == r.err + strlen(r.err) - 1, "%s", r.err);
        hexgpu_cli_result_free(&r);
    }
    hexgpu_cli_result r;
    const char *missing[] = {"htp", "--model", "/nonexistent/model.safetensors", NULL};
    cr_assert_eq(hexgpu_cli_run(missing, "name\n", &r), 0);
    cr_assert_eq(r.exit_code, 2, "a missing model is bad input (docs/reliability.md): %s", r.err);
    hexgpu_cli_result_free(&r);
}
