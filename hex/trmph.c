/* TRMPH notation: parsing with column-exact errors, formatting, and record lines. */
#include "hex/trmph.h"

#include <stdio.h>
#include <string.h>

#include "base/status.h"

static int is_digit(char c) { return c >= '0' && c <= '9'; }
static const char *color_name(int color) { return color == HEXGPU_BLUE ? "blue" : "red"; }

int hexgpu_trmph_cell_name(int cell, int size, char *name) {
    int row = cell / size + 1, len = 0;
    name[len++] = (char)('a' + cell % size);
    if (row >= 10) name[len++] = (char)('0' + row / 10);
    name[len++] = (char)('0' + row % 10);
    name[len] = '\0';
    return len;
}

/* Index of the first '#' that starts "#<digits>,", or -1. */
static long find_preamble(const char *text, size_t len) {
    for (size_t i = 0; i < len; i++) {
        if (text[i] != '#') continue;
        size_t j = i + 1;
        while (j < len && is_digit(text[j])) j++;
        if (j > i + 1 && j < len && text[j] == ',') return (long)i;
    }
    return -1;
}

/* Explains why text[0..len) has no valid preamble: column of the first '#' (or 1). */
static hexgpu_status preamble_error(const char *text, size_t len, hexgpu_error *err) {
    const char *hash = memchr(text, '#', len);
    if (!hash)
        return hexgpu_error_set(err, HEXGPU_ERR_PARSE, "column 1: missing '#<size>,' preamble (no '#' found)");
    size_t i = (size_t)(hash - text) + 1;
    if (i >= len || !is_digit(text[i]))
        return hexgpu_error_set(err, HEXGPU_ERR_PARSE, "column %zu: expected the board size after '#'", i + 1);
    while (i < len && is_digit(text[i])) i++;
    if (i >= len)
        return hexgpu_error_set(err, HEXGPU_ERR_PARSE, "column %zu: expected ',' after the board size, found the end",
                                i + 1);
    return hexgpu_error_set(err, HEXGPU_ERR_PARSE, "column %zu: expected ',' after the board size, found '%c'", i + 1,
                            text[i]);
}

/* Parses text[0..len); columns in messages count from text[0]. Exactly one target:
 * board plays the moves as a game (none after a win), pos only places the stones. On
 * success *start (when given) is the index of the preamble's '#'. */
static hexgpu_status parse_span(const char *text, size_t len, hexgpu_board *board, hexgpu_position *pos,
                                size_t *start_out, hexgpu_error *err) {
    long start = find_preamble(text, len);
    if (start < 0) return preamble_error(text, len, err);
    size_t i = (size_t)start + 1;
    if (text[i] == '0' && is_digit(text[i + 1]))
        return hexgpu_error_set(err, HEXGPU_ERR_PARSE, "column %zu: board size has a leading zero", i + 1);
    int size = 0;
    size_t size_col = i + 1;
    /* Digits are capped at 1000 so that a long run cannot overflow; the message quotes them. */
    for (; is_digit(text[i]); i++) size = size >= 1000 ? size : size * 10 + (text[i] - '0');
    if (size < HEXGPU_MIN_SIZE || size > HEXGPU_MAX_SIZE)
        return hexgpu_error_set(err, HEXGPU_ERR_PARSE, "column %zu: board size %.*s is outside 1..19", size_col,
                                (int)(i - size_col + 1), text + size_col - 1);
    if (board) hexgpu_board_init(board, size, NULL);
    else hexgpu_position_init(pos, size);
    int stones = 0;
    i++; /* the ',' */
    char name[4];
    while (i < len) {
        char letter = text[i];
        size_t move_col = i + 1;
        int is_letter = (letter >= 'a' && letter <= 'z') || (letter >= 'A' && letter <= 'Z');
        int valid = letter >= 'a' && letter - 'a' < size;
        int row_follows = i + 1 < len && is_digit(text[i + 1]);
        /* A letter followed by a digit is a move with a bad column; anything else that
         * cannot start a move is junk after the game. */
        if (!valid && !(is_letter && row_follows))
            return hexgpu_error_set(err, HEXGPU_ERR_PARSE, "column %zu: unexpected '%.*s' after the moves (trailing junk)",
                                    move_col, (int)(len - i < 16 ? len - i : 16), text + i);
        if (!valid)
            return hexgpu_error_set(err, HEXGPU_ERR_PARSE,
                                    "column %zu: unknown column letter '%c' (a %dx%d board has a..%c)", move_col, letter,
                                    size, size, 'a' + size - 1);
        int col = letter - 'a', row = 0;
        i++;
        size_t row_col = i + 1;
        if (i >= len || !is_digit(text[i]))
            return hexgpu_error_set(err, HEXGPU_ERR_PARSE, "column %zu: missing row number after '%c'", row_col, letter);
        if (text[i] == '0' && i + 1 < len && is_digit(text[i + 1]))
            return hexgpu_error_set(err, HEXGPU_ERR_PARSE, "column %zu: row number has a leading zero", row_col);
        for (; i < len && is_digit(text[i]); i++) row = row >= 1000 ? row : row * 10 + (text[i] - '0');
        if (row < 1 || row > size)
            return hexgpu_error_set(err, HEXGPU_ERR_PARSE, "column %zu: row %.*s is outside 1..%d", row_col,
                                    (int)(i - row_col + 1), text + row_col - 1, size);
        int cell = (row - 1) * size + col;
        hexgpu_trmph_cell_name(cell, size, name);
        if (board && board->winner != HEXGPU_NONE)
            return hexgpu_error_set(err, HEXGPU_ERR_PARSE, "column %zu: move %s after the game was won by %s", move_col,
                                    name, color_name(board->winner));
        if ((board ? hexgpu_board_at(board, cell) : hexgpu_position_at(pos, cell)) != HEXGPU_NONE)
            return hexgpu_error_set(err, HEXGPU_ERR_PARSE, "column %zu: cell %s is already taken", move_col, name);
        if (board) {
            hexgpu_board_play(board, cell, NULL);
        } else {
            uint64_t *mask = stones % 2 ? pos->red : pos->blue;
            mask[cell / 64] |= 1ull << (cell % 64);
        }
        stones++;
    }
    if (pos) pos->to_move = stones % 2 ? HEXGPU_RED : HEXGPU_BLUE;
    if (start_out) *start_out = (size_t)start;
    return HEXGPU_OK;
}

hexgpu_status hexgpu_trmph_parse(const char *text, hexgpu_board *board, hexgpu_error *err) {
    return parse_span(text, strlen(text), board, NULL, NULL, err);
}

hexgpu_status hexgpu_trmph_parse_stones(const char *text, hexgpu_position *pos, char *bare, size_t cap,
                                        hexgpu_error *err) {
    size_t len = strlen(text), start = 0;
    hexgpu_status st = parse_span(text, len, NULL, pos, &start, err);
    if (st == HEXGPU_OK && cap > 0) snprintf(bare, cap, "%.*s", (int)(len - start), text + start);
    return st;
}

size_t hexgpu_trmph_format(const hexgpu_board *board, char *out, size_t cap) {
    char buf[HEXGPU_TRMPH_MAX];
    int len = snprintf(buf, sizeof buf, "#%d,", board->size);
    for (int m = 0; m < board->move_count; m++) len += hexgpu_trmph_cell_name(board->moves[m], board->size, buf + len);
    if (cap > 0) snprintf(out, cap, "%s", buf);
    return (size_t)len;
}

int hexgpu_trmph_is_header(const char *line) { return line[0] == '#' && line[1] == ' '; }

hexgpu_status hexgpu_trmph_parse_record(const char *line, hexgpu_board *board, hexgpu_color *winner,
                                        hexgpu_error *err) {
    size_t len = strlen(line);
    if (len > 0 && line[len - 1] == '\n') len--;
    if (len > 0 && line[len - 1] == '\r') len--;
    const char *space = NULL;
    for (size_t i = len; i > 0; i--)
        if (line[i - 1] == ' ') {
            space = line + i - 1;
            break;
        }
    if (!space)
        return hexgpu_error_set(err, HEXGPU_ERR_PARSE, "column %zu: missing the winner (' b' or ' r') after the game",
                                len + 1);
    size_t at = (size_t)(space - line) + 1;
    if (len - at != 1 || (line[at] != 'b' && line[at] != 'r'))
        return hexgpu_error_set(err, HEXGPU_ERR_PARSE, "column %zu: the winner must be 'b' or 'r', found '%.*s'", at + 1,
                                (int)(len - at), line + at);
    hexgpu_status st = parse_span(line, at - 1, board, NULL, NULL, err);
    if (st != HEXGPU_OK) return st;
    hexgpu_color stated = line[at] == 'b' ? HEXGPU_BLUE : HEXGPU_RED;
    if (board->winner == HEXGPU_NONE)
        return hexgpu_error_set(err, HEXGPU_ERR_PARSE, "column %zu: the record says %s won, but nobody has connected",
                                at + 1, color_name(stated));
    if (board->winner != stated)
        return hexgpu_error_set(err, HEXGPU_ERR_PARSE, "column %zu: the record says %s won, but %s connected", at + 1,
                                color_name(stated), color_name(board->winner));
    *winner = stated;
    return HEXGPU_OK;
}

hexgpu_status hexgpu_trmph_format_record(const hexgpu_board *board, char *out, size_t cap, size_t *length,
                                         hexgpu_error *err) {
    if (board->winner == HEXGPU_NONE)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT,
                                "a record needs a finished game; this one has %d moves and no winner", board->move_count);
    char buf[HEXGPU_TRMPH_MAX];
    size_t len = hexgpu_trmph_format(board, buf, sizeof buf);
    len += (size_t)snprintf(buf + len, sizeof buf - len, " %c", board->winner == HEXGPU_BLUE ? 'b' : 'r');
    if (cap > 0) snprintf(out, cap, "%s", buf);
    if (length) *length = len;
    return HEXGPU_OK;
}
