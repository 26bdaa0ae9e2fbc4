/* hexgpu show: draws a TRMPH game as a Hex rhombus, then one machine-readable status line. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "hex/board.h"
#include "hex/board_draw.h"
#include "hex/trmph.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: hexgpu show <trmph>\n\n"
            "Draws the game as a board (B = Blue stone, R = Red stone, . = empty; Blue joins the\n"
            "top and bottom rows, Red the left and right columns), then prints as the last line\n"
            "  to_move=<blue|red> winner=<blue|red|none> moves=<N>\n"
            "to_move follows from the stone counts, also once the game is won (the side that would\n"
            "move next). Text before '#<n>,' is ignored, so trmph.com URLs work:\n"
            "  hexgpu show '#13,a1b2m13'\n"
            "  hexgpu show 'http://www.trmph.com/hex/board#13,g7'\n"
            "Invalid input prints 'error: column <c>: ...' and exits with 2.\n");
}

static const char *color_word(hexgpu_color c) { return c == HEXGPU_BLUE ? "blue" : c == HEXGPU_RED ? "red" : "none"; }

static void draw(const hexgpu_board *b) {
    char marks[HEXGPU_MAX_CELLS], text[4096];
    for (int cell = 0; cell < b->cells; cell++) {
        hexgpu_color s = hexgpu_board_at(b, cell);
        marks[cell] = s == HEXGPU_BLUE ? 'B' : s == HEXGPU_RED ? 'R' : '.';
    }
    hexgpu_board_draw(marks, b->size, text, sizeof text);
    fputs(text, stdout);
    printf("B = blue (top-bottom), R = red (left-right), . = empty\n");
}

int hexgpu_cmd_show(int argc, char **argv) {
    if (hexgpu_cli_wants_help(argc, argv)) {
        usage(stdout);
        return HEXGPU_EXIT_OK;
    }
    const char *game = NULL;
    int options_done = 0;
    for (int i = 1; i < argc; i++) {
        if (!options_done && strcmp(argv[i], "--") == 0) {
            options_done = 1;
            continue;
        }
        if (!options_done && argv[i][0] == '-')
            return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "unknown option '%s' (try 'hexgpu show --help')", argv[i]);
        if (game) return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "show takes one TRMPH game, got '%s' too", argv[i]);
        game = argv[i];
    }
    if (!game) {
        usage(stderr);
        return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "missing the TRMPH game to show");
    }
    hexgpu_board board;
    hexgpu_error err;
    hexgpu_status st = hexgpu_trmph_parse(game, &board, &err);
    if (st != HEXGPU_OK) return hexgpu_cli_fail_status(st, &err);
    draw(&board);
    printf("to_move=%s winner=%s moves=%d\n", color_word(hexgpu_board_to_move(&board)),
           color_word(hexgpu_board_winner(&board)), hexgpu_board_move_count(&board));
    return HEXGPU_EXIT_OK;
}
