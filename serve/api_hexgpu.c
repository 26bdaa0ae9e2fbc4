/* hexgpu's own routes under /api/hexgpu/ (docs/serve.md): the inference endpoint (the
 * numbers of `hexgpu eval`), a position's analysis, an engine search with its statistics
 * for the page, the model list, server information and statistics. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex/trmph.h"
#include "serve/engine_move.h"
#include "serve/game_json.h"
#include "serve/json_fields.h"
#include "server_impl.h"

void hexgpu_api_info(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res) {
    (void)req;
    hexgpu_json_writer w;
    hexgpu_json_writer_init(&w);
    hexgpu_json_object_begin(&w);
    hexgpu_json_kstring(&w, "version", hexgpu_version());
    hexgpu_json_kstring(&w, "default_model", hexgpu_model_registry_default_name(s->models));
    hexgpu_json_kint(&w, "board_size", hexgpu_model_registry_default_size(s->models));
    hexgpu_json_kbool(&w, "records", s->records_fd >= 0);
    hexgpu_json_key(&w, "limits");
    hexgpu_json_object_begin(&w);
    hexgpu_json_kint(&w, "max_simulations", s->config.max_simulations);
    hexgpu_json_kint(&w, "max_positions", s->config.max_positions);
    hexgpu_json_kint(&w, "max_body", (long long)s->config.max_body);
    hexgpu_json_kint(&w, "max_searches", s->config.max_searches);
    hexgpu_json_kint(&w, "search_queue", s->config.search_queue);
    hexgpu_json_object_end(&w);
    hexgpu_json_object_end(&w);
    hexgpu_http_reply_json(res, 200, &w);
}

void hexgpu_api_model_list(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res) {
    (void)req;
    hexgpu_confined_entry *list = NULL;
    int n = hexgpu_serve_model_files(s, res, &list);
    if (n < 0) return;
    const char *first = hexgpu_model_registry_default_name(s->models);
    hexgpu_json_writer w;
    hexgpu_json_writer_init(&w);
    hexgpu_json_object_begin(&w);
    hexgpu_json_kstring(&w, "default", first);
    hexgpu_json_key(&w, "models");
    hexgpu_json_array_begin(&w);
    for (int i = 0; i < n; i++) {
        int size = hexgpu_model_registry_loaded_size(s->models, list[i].name);
        hexgpu_json_object_begin(&w);
        hexgpu_json_kstring(&w, "name", list[i].name);
        hexgpu_json_kint(&w, "bytes", (long long)list[i].bytes);
        hexgpu_json_key(&w, "board_size");
        if (size > 0) hexgpu_json_int(&w, size);
        else hexgpu_json_null(&w);
        hexgpu_json_kbool(&w, "default", strcmp(list[i].name, first) == 0);
        hexgpu_json_object_end(&w);
    }
    hexgpu_json_array_end(&w);
    hexgpu_json_object_end(&w);
    free(list);
    hexgpu_http_reply_json(res, 200, &w);
}

/* The model named by the request's "model" (default: the default model); replies on failure. */
static int acquire_model(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res,
                         hexgpu_model_ref *ref) {
    hexgpu_error err = {0};
    const char *id = NULL;
    ref->slot = -1;
    if (hexgpu_field_string(req->json, "model", 0, "model1", &id, &err) != HEXGPU_OK) {
        hexgpu_http_reply_error(res, 400, "%s", err.message);
        return 0;
    }
    hexgpu_status st = hexgpu_model_registry_acquire(s->models, id, ref, &err);
    if (st != HEXGPU_OK) hexgpu_http_reply_error(res, hexgpu_http_status_of(st), "%s", err.message);
    return st == HEXGPU_OK;
}

static void write_floats(hexgpu_json_writer *w, const char *key, const float *v, int n) {
    hexgpu_json_key(w, key);
    hexgpu_json_array_begin(w);
    for (int i = 0; i < n; i++) hexgpu_json_number(w, v[i]);
    hexgpu_json_array_end(w);
}

/* The most likely empty cell, -1 when none. */
static int best_cell(const hexgpu_position *pos, const float *policy, int cells) {
    int best = -1;
    for (int c = 0; c < cells; c++)
        if (hexgpu_position_at(pos, c) == HEXGPU_NONE && (best < 0 || policy[c] > policy[best])) best = c;
    return best;
}

typedef struct batch {
    int count, cells;
    hexgpu_position *positions;
    char (*games)[HEXGPU_TRMPH_MAX];
    float *value, *policy, *logits;
} batch;

static void batch_free(batch *b) {
    free(b->positions), free(b->games), free(b->value), free(b->policy), free(b->logits);
}

/* Reads "positions" into b (stones as `hexgpu eval` reads them); replies on failure. */
static int batch_read(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res, int size,
                      batch *b) {
    const hexgpu_json *list = hexgpu_json_get(req->json, "positions");
    if (!list || list->type != HEXGPU_JSON_ARRAY || list->count == 0) {
        hexgpu_http_reply_error(res, 400, "'positions' must be a non-empty array of TRMPH strings");
        return 0;
    }
    if (list->count > (size_t)s->config.max_positions) {
        hexgpu_http_reply_error(res, 413, "%zu positions: at most %d per request", list->count,
                                s->config.max_positions);
        return 0;
    }
    b->count = (int)list->count;
    b->cells = size * size;
    b->positions = malloc((size_t)b->count * sizeof *b->positions);
    b->games = malloc((size_t)b->count * sizeof *b->games);
    b->value = malloc((size_t)b->count * sizeof *b->value);
    b->policy = malloc((size_t)b->count * (size_t)b->cells * sizeof *b->policy);
    b->logits = malloc((size_t)b->count * (size_t)b->cells * sizeof *b->logits);
    if (!b->positions || !b->games || !b->value || !b->policy || !b->logits) {
        hexgpu_http_reply_error(res, 500, "out of memory for %d positions", b->count);
        return 0;
    }
    for (int i = 0; i < b->count; i++) {
        const hexgpu_json *item = &list->items[i];
        hexgpu_error err = {0};
        if (item->type != HEXGPU_JSON_STRING) {
            hexgpu_http_reply_error(res, 400, "position %d: not a string", i + 1);
            return 0;
        }
        if (strlen(item->string) >= HEXGPU_TRMPH_MAX ||
            hexgpu_trmph_parse_stones(item->string, &b->positions[i], b->games[i], HEXGPU_TRMPH_MAX, &err) !=
                HEXGPU_OK) {
            hexgpu_http_reply_error(res, 400, "position %d: %s", i + 1, err.message[0] ? err.message : "too long");
            return 0;
        }
        if (b->positions[i].size != size) {
            hexgpu_http_reply_error(res, 400, "position %d: a %dx%d game for a %dx%d model", i + 1,
                                    b->positions[i].size, b->positions[i].size, size, size);
            return 0;
        }
    }
    return 1;
}

void hexgpu_api_evaluate(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res) {
    hexgpu_model_ref ref;
    if (!acquire_model(s, req, res, &ref)) return;
    hexgpu_error err = {0};
    int logits = 0;
    batch b = {0};
    if (hexgpu_field_bool(req->json, "logits", 0, &logits, &err) != HEXGPU_OK) {
        hexgpu_http_reply_error(res, 400, "%s", err.message);
    } else if (batch_read(s, req, res, ref.board_size, &b)) {
        hexgpu_status st = hexgpu_engine_evaluate(ref.engine, b.positions, (size_t)b.count, b.value, b.policy,
                                                  b.logits, &err);
        if (st != HEXGPU_OK) {
            hexgpu_http_reply_error(res, hexgpu_http_status_of(st), "evaluation failed: %s", err.message);
        } else {
            hexgpu_json_writer w;
            hexgpu_json_writer_init(&w);
            hexgpu_json_object_begin(&w);
            hexgpu_json_kstring(&w, "model", ref.name);
            hexgpu_json_kint(&w, "board_size", ref.board_size);
            hexgpu_json_key(&w, "results");
            hexgpu_json_array_begin(&w);
            for (int i = 0; i < b.count; i++) {
                const hexgpu_position *pos = &b.positions[i];
                const float *policy = b.policy + (size_t)i * b.cells;
                hexgpu_json_object_begin(&w);
                hexgpu_json_kstring(&w, "trmph", b.games[i]);
                hexgpu_json_kstring(&w, "to_move", hexgpu_color_name((hexgpu_color)pos->to_move));
                hexgpu_json_knumber(&w, "value", b.value[i]);
                hexgpu_json_knumber(&w, "win_prob_red", ((double)b.value[i] + 1.0) / 2.0);
                if (logits) write_floats(&w, "policy_logits", b.logits + (size_t)i * b.cells, b.cells);
                write_floats(&w, "policy", policy, b.cells);
                int best = best_cell(pos, policy, b.cells);
                char name[8];
                if (best >= 0) hexgpu_trmph_cell_name(best, pos->size, name);
                hexgpu_json_kstring(&w, "best_move", best >= 0 ? name : NULL);
                hexgpu_json_object_end(&w);
            }
            hexgpu_json_array_end(&w);
            hexgpu_json_object_end(&w);
            hexgpu_http_reply_json(res, 200, &w);
        }
    }
    batch_free(&b);
    hexgpu_model_registry_release(s->models, &ref);
}

/* The game of "trmph" for a model (absent: the model's empty board); replies on failure. */
static int read_game(const hexgpu_http_request *req, hexgpu_http_response *res, const hexgpu_model_ref *ref,
                     hexgpu_board *board) {
    hexgpu_error err = {0};
    const char *trmph = NULL;
    char empty[16];
    snprintf(empty, sizeof empty, "#%d,", ref->board_size);
    if (hexgpu_field_string(req->json, "trmph", 0, empty, &trmph, &err) != HEXGPU_OK ||
        hexgpu_game_parse(trmph, board, &err) != HEXGPU_OK || hexgpu_game_size_mismatch(board, ref->board_size, &err)) {
        hexgpu_http_reply_error(res, 400, "%s", err.message);
        return 0;
    }
    return 1;
}

static void write_win_probs(hexgpu_json_writer *w, const char *key, double red) {
    hexgpu_json_key(w, key);
    hexgpu_json_object_begin(w);
    hexgpu_json_knumber(w, "blue", 1.0 - red);
    hexgpu_json_knumber(w, "red", red);
    hexgpu_json_object_end(w);
}

static void write_game_head(hexgpu_json_writer *w, const hexgpu_board *board) {
    char text[HEXGPU_TRMPH_MAX];
    hexgpu_trmph_format(board, text, sizeof text);
    hexgpu_json_kstring(w, "trmph", text);
    hexgpu_json_kint(w, "size", board->size);
    hexgpu_json_kint(w, "moves", hexgpu_board_move_count(board));
    hexgpu_json_kstring(w, "to_move", hexgpu_color_name(hexgpu_board_to_move(board)));
    hexgpu_json_kstring(w, "winner", hexgpu_color_name(hexgpu_board_winner(board)));
}

void hexgpu_api_analyse(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res) {
    hexgpu_model_ref ref;
    if (!acquire_model(s, req, res, &ref)) return;
    hexgpu_board *board = malloc(sizeof *board);
    float value, policy[HEXGPU_MAX_CELLS];
    hexgpu_error err = {0};
    if (!board) {
        hexgpu_http_reply_error(res, 500, "out of memory");
    } else if (read_game(req, res, &ref, board)) {
        hexgpu_status st = hexgpu_game_evaluate(ref.engine, board, &value, policy, NULL, &err);
        if (st != HEXGPU_OK) {
            hexgpu_http_reply_error(res, hexgpu_http_status_of(st), "evaluation failed: %s", err.message);
        } else {
            int cells = board->size * board->size;
            hexgpu_json_writer w;
            hexgpu_json_writer_init(&w);
            hexgpu_json_object_begin(&w);
            hexgpu_json_kstring(&w, "model", ref.name);
            write_game_head(&w, board);
            hexgpu_json_knumber(&w, "value", value);
            write_win_probs(&w, "win_prob", ((double)value + 1.0) / 2.0);
            write_floats(&w, "policy", policy, cells);
            hexgpu_json_object_end(&w);
            hexgpu_http_reply_json(res, 200, &w);
        }
    }
    free(board);
    hexgpu_model_registry_release(s->models, &ref);
}

typedef struct search_request {
    hexgpu_board board;
    hexgpu_engine_move_params params;
    hexgpu_engine_move_result result;
} search_request;

static int read_search_params(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res,
                              hexgpu_engine_move_params *p, int *pie) {
    hexgpu_error err = {0};
    long long sims = 0;
    const hexgpu_json *b = req->json;
    if (hexgpu_field_int(b, "simulations", 1, s->config.max_simulations, 200, &sims, &err) != HEXGPU_OK ||
        hexgpu_field_number(b, "c_puct", 1e-6, 1000.0, 1.5, &p->c_puct, &err) != HEXGPU_OK ||
        hexgpu_field_number(b, "temperature", 0.0, 1000.0, 0.0, &p->temperature, &err) != HEXGPU_OK ||
        hexgpu_field_number(b, "temperature_end", 0.0, 1000.0, 0.0, &p->temperature_end, &err) != HEXGPU_OK ||
        hexgpu_field_bool(b, "gumbel", 1, &p->gumbel, &err) != HEXGPU_OK ||
        hexgpu_field_bool(b, "noise", 0, &p->noise, &err) != HEXGPU_OK ||
        hexgpu_field_bool(b, "pie", 0, pie, &err) != HEXGPU_OK) {
        hexgpu_http_reply_error(res, 400, "%s", err.message);
        return 0;
    }
    if (p->temperature_end > p->temperature) p->temperature_end = p->temperature;
    p->simulations = (int)sims;
    p->max_seconds = 60.0;
    p->seed = __atomic_add_fetch(&s->seed, 0x9e3779b97f4a7c15ull, __ATOMIC_RELAXED);
    return 1;
}

/* The children by visits, most first (indices into r->cells). */
static int by_visits(const hexgpu_engine_move_result *r, int *order) {
    for (int i = 0; i < r->children; i++) order[i] = i;
    for (int i = 1; i < r->children; i++)
        for (int j = i; j > 0 && r->visits[order[j]] > r->visits[order[j - 1]]; j--) {
            int t = order[j];
            order[j] = order[j - 1], order[j - 1] = t;
        }
    return r->children;
}

static void write_search(hexgpu_json_writer *w, const search_request *q, const hexgpu_model_ref *ref, int pie) {
    const hexgpu_engine_move_result *r = &q->result;
    const hexgpu_board *b = &q->board;
    hexgpu_color mover = hexgpu_board_to_move(b);
    int chosen = -1;
    for (int i = 0; i < r->children; i++)
        if (r->cells[i] == r->move) chosen = i;
    float move_value = r->immediate ? 1.0f : chosen >= 0 && r->visits[chosen] > 0 ? r->q[chosen] : r->root_value;
    /* The pie rule: the second player takes the first stone when its best reply is still
     * worse than even (as `hexgpu htp` decides swap-pieces). */
    int swap = pie && hexgpu_board_move_count(b) == 1 && move_value < 0.0f;
    hexgpu_json_object_begin(w);
    hexgpu_json_kstring(w, "model", ref->name);
    write_game_head(w, b);
    hexgpu_json_key(w, "move");
    hexgpu_game_write_cell(w, b, r->move);
    hexgpu_json_kbool(w, "swap", swap);
    hexgpu_json_kstring(w, "algorithm", r->immediate ? "immediate win" : r->gumbel_used ? "gumbel" : "puct");
    hexgpu_json_knumber(w, "root_value", r->root_value);
    double red = mover == HEXGPU_RED ? (r->root_value + 1.0) / 2.0 : (1.0 - r->root_value) / 2.0;
    write_win_probs(w, "win_prob", red);
    hexgpu_json_knumber(w, "network_value", r->net_value);
    write_win_probs(w, "network_win_prob", ((double)r->net_value + 1.0) / 2.0);
    hexgpu_json_kint(w, "simulations", r->total_visits);
    hexgpu_json_knumber(w, "seconds", r->seconds);
    hexgpu_json_kint(w, "nodes", r->nodes);
    hexgpu_json_kint(w, "max_depth", r->max_depth);
    hexgpu_json_key(w, "pv");
    hexgpu_json_array_begin(w);
    for (int i = 0; i < r->pv_len; i++) hexgpu_game_write_cell(w, b, r->pv[i]);
    hexgpu_json_array_end(w);
    int order[HEXGPU_MAX_CELLS], n = by_visits(r, order);
    hexgpu_json_key(w, "top");
    hexgpu_json_array_begin(w);
    for (int k = 0; k < n && k < 16; k++) {
        int i = order[k];
        if (r->visits[i] == 0 && k > 0) break;
        hexgpu_json_object_begin(w);
        hexgpu_json_key(w, "move");
        hexgpu_game_write_cell(w, b, r->cells[i]);
        hexgpu_json_kint(w, "visits", r->visits[i]);
        hexgpu_json_knumber(w, "q", r->q[i]);
        hexgpu_json_knumber(w, "prior", r->prior[i]);
        hexgpu_json_object_end(w);
    }
    hexgpu_json_array_end(w);
    hexgpu_json_object_end(w);
}

void hexgpu_api_search(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res) {
    hexgpu_model_ref ref;
    if (!acquire_model(s, req, res, &ref)) return;
    search_request *q = calloc(1, sizeof *q);
    hexgpu_error err = {0};
    int pie = 0;
    char reason[256];
    if (!q) {
        hexgpu_http_reply_error(res, 500, "out of memory");
    } else if (read_game(req, res, &ref, &q->board) && read_search_params(s, req, res, &q->params, &pie)) {
        if (hexgpu_board_winner(&q->board) != HEXGPU_NONE) {
            hexgpu_http_reply_error(res, 400, "the game is over: %s won", 
                                    hexgpu_color_name(hexgpu_board_winner(&q->board)));
        } else if (!hexgpu_search_gate_enter(&s->gate, s->config.search_wait_ms, reason, sizeof reason)) {
            hexgpu_http_reply_error(res, 503, "%s", reason);
        } else {
            hexgpu_status st = hexgpu_engine_move_run(ref.engine, &q->board, &q->params, &q->result, &err);
            hexgpu_search_gate_leave(&s->gate);
            if (st != HEXGPU_OK) {
                hexgpu_http_reply_error(res, hexgpu_http_status_of(st), "search failed: %s", err.message);
            } else {
                hexgpu_json_writer w;
                hexgpu_json_writer_init(&w);
                write_search(&w, q, &ref, pie);
                hexgpu_http_reply_json(res, 200, &w);
            }
        }
    }
    free(q);
    hexgpu_model_registry_release(s->models, &ref);
}

static void write_model_stats(void *user, const char *name, int board_size, const hexgpu_engine_stats *stats) {
    hexgpu_json_writer *w = user;
    char json[8192];
    size_t len = hexgpu_engine_stats_json(stats, json, sizeof json);
    hexgpu_json_object_begin(w);
    hexgpu_json_kstring(w, "name", name);
    hexgpu_json_kint(w, "board_size", board_size);
    if (len < sizeof json) {
        hexgpu_json_key(w, "engine");
        hexgpu_json_raw(w, json, len);
    }
    hexgpu_json_object_end(w);
}

void hexgpu_api_status(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res) {
    (void)req;
    int running, waiting;
    uint64_t admitted, refused;
    hexgpu_search_gate_read(&s->gate, &running, &waiting, &admitted, &refused);
    hexgpu_json_writer w;
    hexgpu_json_writer_init(&w);
    hexgpu_json_object_begin(&w);
    hexgpu_json_kint(&w, "requests", (long long)__atomic_load_n(&s->requests, __ATOMIC_RELAXED));
    hexgpu_json_kint(&w, "client_errors", (long long)__atomic_load_n(&s->client_errors, __ATOMIC_RELAXED));
    hexgpu_json_kint(&w, "server_errors", (long long)__atomic_load_n(&s->server_errors, __ATOMIC_RELAXED));
    hexgpu_json_kint(&w, "busy", (long long)__atomic_load_n(&s->busy, __ATOMIC_RELAXED));
    hexgpu_json_key(&w, "searches");
    hexgpu_json_object_begin(&w);
    hexgpu_json_kint(&w, "running", running);
    hexgpu_json_kint(&w, "waiting", waiting);
    hexgpu_json_kint(&w, "admitted", (long long)admitted);
    hexgpu_json_kint(&w, "refused", (long long)refused);
    hexgpu_json_object_end(&w);
    hexgpu_json_key(&w, "models");
    hexgpu_json_array_begin(&w);
    hexgpu_model_registry_each_loaded(s->models, write_model_stats, &w);
    hexgpu_json_array_end(&w);
    hexgpu_json_object_end(&w);
    hexgpu_http_reply_json(res, 200, &w);
}
