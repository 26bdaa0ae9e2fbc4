/* The reference system's game routes (docs/serve.md, "The reference API"): constants,
 * models, state, apply_move, apply_trmph_sequence. Same fields and meanings; its defects
 * fixed: a finished position is answered (not a 500), the policy covers the empty cells
 * only, moves_applied counts the moves played, errors are JSON with a 4xx status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/status.h"
#include "hex/trmph.h"
#include "serve/game_json.h"
#include "serve/json_fields.h"
#include "server_impl.h"

void hexgpu_api_constants(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res) {
    (void)req;
    hexgpu_json_writer w;
    hexgpu_json_writer_init(&w);
    hexgpu_json_object_begin(&w);
    hexgpu_json_kint(&w, "BOARD_SIZE", hexgpu_model_registry_default_size(s->models));
    hexgpu_json_key(&w, "PIECE_VALUES");
    hexgpu_json_object_begin(&w);
    hexgpu_json_kstring(&w, "EMPTY", "e");
    hexgpu_json_kstring(&w, "BLUE", "b");
    hexgpu_json_kstring(&w, "RED", "r");
    hexgpu_json_object_end(&w);
    hexgpu_json_key(&w, "PLAYER_VALUES");
    hexgpu_json_object_begin(&w);
    hexgpu_json_kint(&w, "BLUE", 0);
    hexgpu_json_kint(&w, "RED", 1);
    hexgpu_json_object_end(&w);
    hexgpu_json_key(&w, "WINNER_VALUES");
    hexgpu_json_object_begin(&w);
    hexgpu_json_kstring(&w, "BLUE", "b");
    hexgpu_json_kstring(&w, "RED", "r");
    hexgpu_json_object_end(&w);
    hexgpu_json_object_end(&w);
    hexgpu_http_reply_json(res, 200, &w);
}

static void model_entry(hexgpu_json_writer *w, const char *id, const char *label, const char *name) {
    char text[HEXGPU_NAME_MAX + 64];
    snprintf(text, sizeof text, "%s (%s)", label, name);
    hexgpu_json_object_begin(w);
    hexgpu_json_kstring(w, "id", id);
    hexgpu_json_kstring(w, "name", text);
    hexgpu_json_kstring(w, "filename", strrchr(name, '/') ? strrchr(name, '/') + 1 : name);
    hexgpu_json_kstring(w, "relative_path", name);
    hexgpu_json_kbool(w, "exists", 1);
    hexgpu_json_object_end(w);
}

/* model1, model2 when there is a second model, then every model by its name (names,
 * never the server's paths). */
void hexgpu_api_models(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res) {
    (void)req;
    hexgpu_confined_entry *list = NULL;
    int n = hexgpu_serve_model_files(s, res, &list);
    if (n < 0) return;
    hexgpu_json_writer w;
    hexgpu_json_writer_init(&w);
    hexgpu_json_object_begin(&w);
    hexgpu_json_key(&w, "models");
    hexgpu_json_array_begin(&w);
    const char *first = hexgpu_model_registry_default_name(s->models);
    model_entry(&w, "model1", "Model model1", first);
    char second[HEXGPU_NAME_MAX + 1];
    hexgpu_model_registry_second_name(s->models, second, sizeof second);
    if (strcmp(second, first) != 0) model_entry(&w, "model2", "Model model2", second);
    for (int i = 0; i < n; i++) model_entry(&w, list[i].name, "Model", list[i].name);
    hexgpu_json_array_end(&w);
    hexgpu_json_object_end(&w);
    free(list);
    hexgpu_http_reply_json(res, 200, &w);
}

/* What a game route needs: the board of `trmph`, the model `model_id`, the temperature. */
typedef struct game_request {
    hexgpu_board board;
    hexgpu_model_ref model;
    double temperature;
} game_request;

/* Reads trmph, model_id and temperature; on failure replies and returns 0. */
static int game_request_open(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res,
                             game_request *g) {
    hexgpu_error err = {0};
    const char *trmph = NULL, *model_id = NULL;
    g->model.slot = -1;
    if (hexgpu_field_string(req->json, "trmph", 1, NULL, &trmph, &err) != HEXGPU_OK ||
        hexgpu_field_string(req->json, "model_id", 0, "model1", &model_id, &err) != HEXGPU_OK ||
        hexgpu_field_number(req->json, "temperature", 0.0, 1e6, 1.0, &g->temperature, &err) != HEXGPU_OK) {
        hexgpu_http_reply_error(res, 400, "%s", err.message);
        return 0;
    }
    if (hexgpu_game_parse(trmph, &g->board, &err) != HEXGPU_OK) {
        hexgpu_http_reply_error(res, 400, "%s", err.message);
        return 0;
    }
    hexgpu_status st = hexgpu_model_registry_acquire(s->models, model_id, &g->model, &err);
    if (st != HEXGPU_OK) {
        hexgpu_http_reply_error(res, hexgpu_http_status_of(st), "%s", err.message);
        return 0;
    }
    if (hexgpu_game_size_mismatch(&g->board, g->model.board_size, &err)) {
        hexgpu_model_registry_release(s->models, &g->model);
        hexgpu_http_reply_error(res, 400, "%s", err.message);
        return 0;
    }
    return 1;
}

/* policy (every cell by name), value_signed (Red's view) and win_prob (side to move). */
static int write_analysis(hexgpu_json_writer *w, game_request *g, hexgpu_http_response *res) {
    float value, logits[HEXGPU_MAX_CELLS], policy[HEXGPU_MAX_CELLS];
    hexgpu_error err = {0};
    hexgpu_status st = hexgpu_game_evaluate(g->model.engine, &g->board, &value, NULL, logits, &err);
    if (st != HEXGPU_OK) {
        hexgpu_http_reply_error(res, hexgpu_http_status_of(st), "evaluation failed: %s", err.message);
        return 0;
    }
    hexgpu_policy_at_temperature(&g->board, logits, g->temperature, policy);
    hexgpu_json_key(w, "policy");
    hexgpu_json_object_begin(w);
    int cells = g->board.size * g->board.size;
    for (int c = 0; c < cells; c++) {
        char name[8];
        hexgpu_trmph_cell_name(c, g->board.size, name);
        hexgpu_json_knumber(w, name, policy[c]);
    }
    hexgpu_json_object_end(w);
    hexgpu_json_knumber(w, "value_signed", value);
    hexgpu_json_knumber(w, "win_prob", hexgpu_win_prob_to_move(&g->board, value));
    return 1;
}

/* A game request read from the body, or NULL after replying. */
static game_request *game_request_new(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res) {
    game_request *g = malloc(sizeof *g);
    if (!g) hexgpu_http_reply_error(res, 500, "out of memory");
    else if (!game_request_open(s, req, res, g)) free(g), g = NULL;
    return g;
}

static void finish(hexgpu_server *s, game_request *g, hexgpu_json_writer *w, hexgpu_http_response *res, int ok) {
    hexgpu_model_registry_release(s->models, &g->model);
    if (ok) hexgpu_http_reply_json(res, 200, w);
    else hexgpu_json_writer_free(w);
    free(g);
}

static void write_trmph(hexgpu_json_writer *w, const char *key, const hexgpu_board *board) {
    char text[HEXGPU_TRMPH_MAX];
    hexgpu_trmph_format(board, text, sizeof text);
    hexgpu_json_kstring(w, key, text);
}

void hexgpu_api_state(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res) {
    game_request *g = game_request_new(s, req, res);
    if (!g) return;
    hexgpu_json_writer w;
    hexgpu_json_writer_init(&w);
    hexgpu_json_object_begin(&w);
    hexgpu_game_write_position(&w, &g->board);
    int ok = write_analysis(&w, g, res);
    write_trmph(&w, "trmph", &g->board);
    hexgpu_json_object_end(&w);
    finish(s, g, &w, res, ok);
}

void hexgpu_api_apply_move(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res) {
    hexgpu_error err = {0};
    const char *move = NULL;
    if (hexgpu_field_string(req->json, "move", 1, NULL, &move, &err) != HEXGPU_OK) {
        hexgpu_http_reply_error(res, 400, "Invalid move: %s", err.message);
        return;
    }
    game_request *g = game_request_new(s, req, res);
    if (!g) return;
    int cell = hexgpu_cell_parse(move, strlen(move), g->board.size);
    const char *why = cell < 0 ? "not a cell of this board" : hexgpu_board_winner(&g->board) != HEXGPU_NONE
                                                                  ? "the game is already over"
                                                                  : !hexgpu_board_is_legal(&g->board, cell)
                                                                        ? "the cell is occupied"
                                                                        : NULL;
    if (why) {
        hexgpu_http_reply_error(res, 400, "Invalid move: '%.16s': %s", move, why);
        hexgpu_model_registry_release(s->models, &g->model);
        free(g);
        return;
    }
    hexgpu_board_play(&g->board, cell, NULL);
    hexgpu_json_writer w;
    hexgpu_json_writer_init(&w);
    hexgpu_json_object_begin(&w);
    write_trmph(&w, "new_trmph", &g->board);
    hexgpu_game_write_position(&w, &g->board);
    hexgpu_json_knull(&w, "model_move");
    int ok = write_analysis(&w, g, res);
    hexgpu_json_object_end(&w);
    finish(s, g, &w, res, ok);
}

void hexgpu_api_apply_sequence(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res) {
    const hexgpu_json *seq = hexgpu_json_get(req->json, "trmph_sequence");
    if (seq && seq->type != HEXGPU_JSON_STRING && seq->type != HEXGPU_JSON_NULL) {
        hexgpu_http_reply_error(res, 400, "Invalid TRMPH sequence: 'trmph_sequence' must be a string");
        return;
    }
    const char *text = seq && seq->type == HEXGPU_JSON_STRING ? seq->string : "";
    while (*text == ' ' || *text == '\t' || *text == '\n' || *text == '\r') text++;
    size_t len = strlen(text);
    while (len && (text[len - 1] == ' ' || text[len - 1] == '\t' || text[len - 1] == '\n' || text[len - 1] == '\r'))
        len--;
    if (len == 0) {
        hexgpu_http_reply_error(res, 400, "No TRMPH sequence provided");
        return;
    }
    game_request *g = game_request_new(s, req, res);
    if (!g) return;
    /* Every move is checked before the board changes: all or nothing. */
    int moves[HEXGPU_MAX_CELLS], count = 0, applied = 0, skipped = 0;
    const char *bad = NULL;
    size_t i = 0;
    while (i < len && !bad) {
        size_t j = i + 1;
        while (j < len && j - i < 3 && text[j] >= '0' && text[j] <= '9') j++;
        int cell = hexgpu_cell_parse(text + i, j - i, g->board.size);
        if (cell < 0 || count == HEXGPU_MAX_CELLS) bad = text + i;
        else moves[count++] = cell, i = j;
    }
    hexgpu_board *trial = bad ? NULL : malloc(sizeof *trial);
    if (!bad && !trial) {
        hexgpu_model_registry_release(s->models, &g->model);
        free(g);
        hexgpu_http_reply_error(res, 500, "out of memory");
        return;
    }
    int occupied = -1;
    if (trial) {
        hexgpu_board_copy(trial, &g->board);
        for (int k = 0; k < count && occupied < 0; k++) {
            if (hexgpu_board_winner(trial) != HEXGPU_NONE) skipped++; /* after the win: skipped, as the reference */
            else if (!hexgpu_board_is_legal(trial, moves[k])) occupied = moves[k];
            else hexgpu_board_play(trial, moves[k], NULL), applied++;
        }
    }
    if (bad || occupied >= 0) {
        char name[8] = "";
        if (occupied >= 0) hexgpu_trmph_cell_name(occupied, g->board.size, name);
        if (bad) hexgpu_http_reply_error(res, 400, "Invalid TRMPH sequence: '%.8s' at character %zu is not a move",
                                         bad, (size_t)(bad - text) + 1);
        else hexgpu_http_reply_error(res, 400, "Invalid TRMPH sequence: %s is occupied", name);
        hexgpu_model_registry_release(s->models, &g->model);
        free(trial);
        free(g);
        return;
    }
    hexgpu_board_copy(&g->board, trial);
    free(trial);
    hexgpu_json_writer w;
    hexgpu_json_writer_init(&w);
    hexgpu_json_object_begin(&w);
    write_trmph(&w, "new_trmph", &g->board);
    hexgpu_game_write_position(&w, &g->board);
    int ok = write_analysis(&w, g, res);
    hexgpu_json_kint(&w, "moves_applied", applied);
    hexgpu_json_kint(&w, "moves_skipped", skipped);
    hexgpu_json_kbool(&w, "game_over", hexgpu_board_winner(&g->board) != HEXGPU_NONE);
    hexgpu_json_object_end(&w);
    finish(s, g, &w, res, ok);
}
