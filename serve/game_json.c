/* The game routes' shared parts (see game_json.h). */
#include "serve/game_json.h"

#include <math.h>
#include <string.h>

#include "base/status.h"
#include "hex/trmph.h"

hexgpu_status hexgpu_game_parse(const char *text, hexgpu_board *board, hexgpu_error *err) {
    if (strlen(text) >= HEXGPU_TRMPH_MAX)
        return hexgpu_error_set(err, HEXGPU_ERR_PARSE, "Invalid TRMPH: longer than any game");
    if (text[0] != '#')
        return hexgpu_error_set(err, HEXGPU_ERR_PARSE, "Invalid TRMPH: must start with '#<size>,' (e.g. '#13,g7')");
    hexgpu_status st = hexgpu_trmph_parse(text, board, err);
    if (st != HEXGPU_OK) hexgpu_error_prefix(err, st, "Invalid TRMPH");
    return st;
}

int hexgpu_cell_parse(const char *text, size_t len, int size) {
    if (len < 2 || len > 3 || text[0] < 'a' || text[0] >= 'a' + size) return -1;
    int row = 0;
    for (size_t i = 1; i < len; i++) {
        if (text[i] < '0' || text[i] > '9') return -1;
        row = row * 10 + (text[i] - '0');
    }
    if (row < 1 || row > size) return -1;
    return (row - 1) * size + (text[0] - 'a');
}

const char *hexgpu_color_name(hexgpu_color color) {
    return color == HEXGPU_BLUE ? "blue" : color == HEXGPU_RED ? "red" : NULL;
}

void hexgpu_game_write_cell(hexgpu_json_writer *w, const hexgpu_board *board, int cell) {
    char name[8];
    hexgpu_trmph_cell_name(cell, board->size, name);
    hexgpu_json_string(w, name);
}

void hexgpu_game_write_coords(hexgpu_json_writer *w, const hexgpu_board *board, int cell) {
    hexgpu_json_array_begin(w);
    hexgpu_json_int(w, cell / board->size);
    hexgpu_json_int(w, cell % board->size);
    hexgpu_json_array_end(w);
}

void hexgpu_game_write_position(hexgpu_json_writer *w, const hexgpu_board *board) {
    int n = board->size;
    hexgpu_json_key(w, "board");
    hexgpu_json_array_begin(w);
    for (int row = 0; row < n; row++) {
        hexgpu_json_array_begin(w);
        for (int col = 0; col < n; col++) {
            hexgpu_color c = hexgpu_board_at(board, row * n + col);
            hexgpu_json_string(w, c == HEXGPU_BLUE ? "b" : c == HEXGPU_RED ? "r" : "e");
        }
        hexgpu_json_array_end(w);
    }
    hexgpu_json_array_end(w);
    hexgpu_color to_move = hexgpu_board_to_move(board);
    hexgpu_json_kstring(w, "player", hexgpu_color_name(to_move));
    hexgpu_json_kstring(w, "player_enum", to_move == HEXGPU_BLUE ? "BLUE" : "RED");
    hexgpu_json_kint(w, "player_index", to_move == HEXGPU_BLUE ? 0 : 1);
    int cells[HEXGPU_MAX_CELLS];
    int count = hexgpu_board_legal_moves(board, cells);
    hexgpu_json_key(w, "legal_moves");
    hexgpu_json_array_begin(w);
    for (int i = 0; i < count; i++) hexgpu_game_write_cell(w, board, cells[i]);
    hexgpu_json_array_end(w);
    hexgpu_json_kstring(w, "winner", hexgpu_color_name(hexgpu_board_winner(board)));
}

hexgpu_status hexgpu_game_evaluate(hexgpu_engine *engine, const hexgpu_board *board, float *value, float *policy,
                                   float *logits, hexgpu_error *err) {
    hexgpu_position pos;
    hexgpu_board_to_position(board, &pos);
    return hexgpu_engine_evaluate(engine, &pos, 1, value, policy, logits, err);
}

void hexgpu_policy_at_temperature(const hexgpu_board *board, const float *logits, double temperature, float *out) {
    int cells = board->size * board->size, best = -1;
    double top = -INFINITY;
    for (int c = 0; c < cells; c++) {
        out[c] = 0.0f;
        if (hexgpu_board_at(board, c) == HEXGPU_NONE && (best < 0 || logits[c] > top)) best = c, top = logits[c];
    }
    if (best < 0) return;
    if (temperature < 0.02) {
        out[best] = 1.0f;
        return;
    }
    double total = 0.0;
    for (int c = 0; c < cells; c++)
        if (hexgpu_board_at(board, c) == HEXGPU_NONE) total += exp((logits[c] - top) / temperature);
    for (int c = 0; c < cells; c++)
        if (hexgpu_board_at(board, c) == HEXGPU_NONE) out[c] = (float)(exp((logits[c] - top) / temperature) / total);
}

double hexgpu_win_prob_to_move(const hexgpu_board *board, float value_red) {
    double red = ((double)value_red + 1.0) / 2.0;
    return hexgpu_board_to_move(board) == HEXGPU_RED ? red : 1.0 - red;
}

int hexgpu_game_size_mismatch(const hexgpu_board *board, int model_size, hexgpu_error *err) {
    if (board->size == model_size) return 0;
    hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "a %dx%d game for a %dx%d model", board->size, board->size,
                     model_size, model_size);
    return 1;
}
