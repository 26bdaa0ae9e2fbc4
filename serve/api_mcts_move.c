/* POST /api/mcts_move: the engine plays one move for the side to move, with the
 * reference's analysis (mcts_debug_info, tree_data; docs/serve.md). Bounded: simulations
 * per move, searches at once (then a line, then 503). Failures are {"success": false,
 * "error"} with a 4xx/5xx status (the reference answers 200). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex/trmph.h"
#include "serve/engine_move.h"
#include "serve/game_json.h"
#include "serve/json_fields.h"
#include "server_impl.h"

typedef struct move_request {
    hexgpu_board board, after;
    hexgpu_model_ref model;
    hexgpu_engine_move_params params;
    int gumbel_max_sims, enable_gumbel;
    hexgpu_engine_move_result result;
} move_request;

/* Reads the request's fields; replies and returns 0 on a bad one. */
static int read_params(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res, move_request *m,
                       const char **trmph, const char **model_id) {
    hexgpu_error err = {0};
    long long sims = 0, gumbel_max = 0;
    hexgpu_engine_move_params *p = &m->params;
    const hexgpu_json *body = req->json;
    if (hexgpu_field_string(body, "trmph", 1, NULL, trmph, &err) != HEXGPU_OK ||
        hexgpu_field_string(body, "model_id", 0, "model1", model_id, &err) != HEXGPU_OK ||
        hexgpu_field_int(body, "num_simulations", 1, s->config.max_simulations, 200, &sims, &err) != HEXGPU_OK ||
        hexgpu_field_number(body, "exploration_constant", 1e-6, 1000.0, 2.8, &p->c_puct, &err) != HEXGPU_OK ||
        hexgpu_field_number(body, "temperature", 1e-6, 1000.0, 1.0, &p->temperature, &err) != HEXGPU_OK ||
        hexgpu_field_number(body, "temperature_end", 0.0, 1000.0, 0.1, &p->temperature_end, &err) != HEXGPU_OK ||
        hexgpu_field_bool(body, "enable_gumbel", 1, &m->enable_gumbel, &err) != HEXGPU_OK ||
        hexgpu_field_int(body, "gumbel_max_sims", 0, 1000000000, 500, &gumbel_max, &err) != HEXGPU_OK) {
        hexgpu_http_reply_failure(res, 400, "MCTS move generation failed: %s", err.message);
        return 0;
    }
    if (p->temperature_end > p->temperature) p->temperature_end = p->temperature / 10.0;
    p->simulations = (int)sims;
    m->gumbel_max_sims = (int)gumbel_max;
    p->gumbel = m->enable_gumbel && sims <= gumbel_max;
    p->noise = 1; /* Dirichlet at the root on the PUCT path, as the reference's preset */
    p->max_seconds = 60.0;
    p->seed = __atomic_add_fetch(&s->seed, 0x9e3779b97f4a7c15ull, __ATOMIC_RELAXED);
    return 1;
}

static void write_move_map(hexgpu_json_writer *w, const char *key, const move_request *m, const float *value) {
    hexgpu_json_key(w, key);
    hexgpu_json_object_begin(w);
    for (int i = 0; i < m->result.children; i++) {
        char name[8];
        hexgpu_trmph_cell_name(m->result.cells[i], m->board.size, name);
        hexgpu_json_knumber(w, name, value[i]);
    }
    hexgpu_json_object_end(w);
}

static void write_debug_info(hexgpu_json_writer *w, const move_request *m) {
    const hexgpu_engine_move_result *r = &m->result;
    const hexgpu_board *b = &m->board;
    int n = r->children, legal = hexgpu_board_legal_moves(b, (int[HEXGPU_MAX_CELLS]){0});
    float visits[HEXGPU_MAX_CELLS], share[HEXGPU_MAX_CELLS], scaled[HEXGPU_MAX_CELLS], direct[HEXGPU_MAX_CELLS];
    float at_t0[HEXGPU_MAX_CELLS];
    hexgpu_policy_at_temperature(b, r->net_logits, m->params.temperature, at_t0);
    double total = r->total_visits > 0 ? r->total_visits : 1, scaled_total = 0.0;
    int top_visits = 0, explored = 0;
    for (int i = 0; i < n; i++) top_visits = r->visits[i] > top_visits ? r->visits[i] : top_visits;
    for (int i = 0; i < n; i++) {
        visits[i] = (float)r->visits[i];
        share[i] = (float)(r->visits[i] / total);
        direct[i] = at_t0[r->cells[i]];
        double t = r->temperature > 0.02 ? r->temperature : 0.0;
        scaled[i] = t > 0.0 ? (r->visits[i] > 0 ? (float)pow((double)r->visits[i] / top_visits, 1.0 / t) : 0.0f)
                            : (float)(r->visits[i] == top_visits && top_visits > 0);
        scaled_total += scaled[i];
        explored += r->visits[i] > 0;
    }
    for (int i = 0; i < n && scaled_total > 0; i++) scaled[i] = (float)(scaled[i] / scaled_total);
    const char *algorithm = r->immediate ? "Terminal Move Detection" : r->gumbel_used ? "MCTS (Gumbel on)"
                                                                                       : "MCTS (Gumbel off)";
    hexgpu_json_key(w, "mcts_debug_info");
    hexgpu_json_object_begin(w);
    hexgpu_json_key(w, "algorithm_info");
    hexgpu_json_object_begin(w);
    hexgpu_json_kstring(w, "algorithm", algorithm);
    hexgpu_json_kbool(w, "early_termination", r->immediate);
    hexgpu_json_kstring(w, "early_termination_reason", r->immediate ? "terminal_move" : "none");
    hexgpu_json_key(w, "early_termination_details");
    hexgpu_json_object_begin(w);
    hexgpu_json_kstring(w, "reason", r->immediate ? "terminal_move" : "none");
    hexgpu_json_knumber(w, "win_probability", r->immediate ? 1.0 : 0.0);
    hexgpu_json_key(w, "move");
    if (r->immediate) hexgpu_game_write_coords(w, b, r->move);
    else hexgpu_json_null(w);
    hexgpu_json_object_end(w);
    hexgpu_json_key(w, "parameters");
    hexgpu_json_object_begin(w);
    hexgpu_json_kint(w, "simulations", m->params.simulations);
    hexgpu_json_knumber(w, "exploration_constant", m->params.c_puct);
    hexgpu_json_knumber(w, "temperature", m->params.temperature);
    hexgpu_json_knumber(w, "temperature_end", m->params.temperature_end);
    hexgpu_json_kbool(w, "gumbel_enabled", m->enable_gumbel);
    hexgpu_json_kint(w, "gumbel_max_sims", m->gumbel_max_sims);
    hexgpu_json_object_end(w);
    hexgpu_json_object_end(w);

    hexgpu_json_key(w, "search_stats");
    hexgpu_json_object_begin(w);
    hexgpu_json_kint(w, "num_simulations", r->immediate ? 0 : r->total_visits);
    hexgpu_json_knumber(w, "search_time", r->seconds);
    hexgpu_json_knumber(w, "exploration_constant", m->params.c_puct);
    hexgpu_json_knumber(w, "temperature", r->temperature);
    hexgpu_json_kint(w, "inferences", r->evaluations);
    hexgpu_json_kint(w, "total_inferences", r->evaluations);
    hexgpu_json_kstring(w, "algorithm_used", algorithm);
    hexgpu_json_object_end(w);

    hexgpu_json_key(w, "tree_statistics");
    hexgpu_json_object_begin(w);
    hexgpu_json_kint(w, "total_visits", r->total_visits);
    hexgpu_json_kint(w, "total_nodes", r->nodes);
    hexgpu_json_kint(w, "max_depth", r->max_depth);
    hexgpu_json_kint(w, "inferences", r->immediate ? 0 : r->evaluations);
    hexgpu_json_kstring(w, "algorithm_note", r->immediate ? "an immediately winning move, no search" : "hexgpu search");
    hexgpu_json_object_end(w);

    hexgpu_json_key(w, "move_selection");
    hexgpu_json_object_begin(w);
    hexgpu_json_key(w, "selected_move");
    hexgpu_game_write_cell(w, b, r->move);
    hexgpu_json_key(w, "selected_move_coords");
    hexgpu_game_write_coords(w, b, r->move);
    hexgpu_json_object_end(w);

    hexgpu_json_key(w, "move_probabilities");
    hexgpu_json_object_begin(w);
    hexgpu_json_key(w, "direct_policy");
    hexgpu_json_object_begin(w);
    int cells = b->size * b->size, top_direct = -1;
    for (int c = 0; c < cells; c++) {
        if (!hexgpu_board_is_legal(b, c)) continue;
        char name[8];
        hexgpu_trmph_cell_name(c, b->size, name);
        hexgpu_json_knumber(w, name, at_t0[c]);
        if (top_direct < 0 || at_t0[c] > at_t0[top_direct]) top_direct = c;
    }
    hexgpu_json_object_end(w);
    write_move_map(w, "mcts_visits", m, visits);
    write_move_map(w, "mcts_probabilities", m, share);
    if (r->immediate) {
        hexgpu_json_key(w, "mcts_temperature_scaled_probabilities");
        hexgpu_json_object_begin(w);
        hexgpu_json_object_end(w);
    } else {
        write_move_map(w, "mcts_temperature_scaled_probabilities", m, scaled);
    }
    hexgpu_json_object_end(w);

    hexgpu_json_key(w, "comparison");
    hexgpu_json_object_begin(w);
    hexgpu_json_key(w, "mcts_vs_direct");
    hexgpu_json_object_begin(w);
    for (int i = 0; i < n; i++) {
        char name[8];
        hexgpu_trmph_cell_name(r->cells[i], b->size, name);
        hexgpu_json_key(w, name);
        hexgpu_json_object_begin(w);
        hexgpu_json_knumber(w, "direct_probability", direct[i]);
        hexgpu_json_knumber(w, "mcts_probability", share[i]);
        hexgpu_json_knumber(w, "mcts_temperature_scaled_probability", scaled[i]);
        hexgpu_json_knumber(w, "difference", share[i] - direct[i]);
        hexgpu_json_object_end(w);
    }
    hexgpu_json_object_end(w);
    hexgpu_json_object_end(w);

    hexgpu_json_key(w, "win_rate_analysis");
    hexgpu_json_object_begin(w);
    hexgpu_json_knumber(w, "root_value", r->root_value);
    hexgpu_json_knumber(w, "best_child_value", r->best_child_value);
    hexgpu_json_knumber(w, "win_probability", (r->root_value + 1.0) / 2.0);
    hexgpu_json_knumber(w, "best_child_win_probability", (r->best_child_value + 1.0) / 2.0);
    hexgpu_json_object_end(w);

    hexgpu_json_key(w, "move_sequence_analysis");
    hexgpu_json_object_begin(w);
    int pv = r->pv_len < 11 ? r->pv_len : 11;
    hexgpu_json_key(w, "principal_variation");
    hexgpu_json_array_begin(w);
    for (int i = 0; i < pv; i++) hexgpu_game_write_cell(w, b, r->pv[i]);
    hexgpu_json_array_end(w);
    hexgpu_json_key(w, "alternative_lines");
    hexgpu_json_array_begin(w);
    hexgpu_json_array_end(w);
    hexgpu_json_kint(w, "pv_length", pv);
    hexgpu_json_object_end(w);

    hexgpu_json_key(w, "gumbel_analysis");
    hexgpu_json_object_begin(w);
    hexgpu_json_kbool(w, "gumbel_used", r->gumbel_used);
    hexgpu_json_object_end(w);

    int best = hexgpu_engine_move_most_visited(r);
    hexgpu_json_key(w, "summary");
    hexgpu_json_object_begin(w);
    hexgpu_json_key(w, "top_direct_move");
    if (top_direct >= 0) hexgpu_game_write_cell(w, b, top_direct);
    else hexgpu_json_null(w);
    hexgpu_json_key(w, "top_mcts_move");
    if (best >= 0) hexgpu_game_write_cell(w, b, r->cells[best]);
    else hexgpu_game_write_cell(w, b, r->move);
    hexgpu_json_kint(w, "total_legal_moves", legal);
    hexgpu_json_kint(w, "moves_explored", explored);
    hexgpu_json_knumber(w, "search_efficiency", r->total_visits > 0 ? (double)r->evaluations / r->total_visits : 0.0);
    hexgpu_json_kstring(w, "algorithm_summary", algorithm);
    hexgpu_json_object_end(w);
    hexgpu_json_object_end(w);
}

static void write_tree_data(hexgpu_json_writer *w, const move_request *m) {
    const hexgpu_engine_move_result *r = &m->result;
    hexgpu_json_key(w, "tree_data");
    hexgpu_json_object_begin(w);
    hexgpu_json_key(w, "visit_counts");
    hexgpu_json_array_begin(w);
    for (int i = 0; i < r->children; i++) hexgpu_json_int(w, r->visits[i]);
    hexgpu_json_array_end(w);
    hexgpu_json_knumber(w, "v_ptm_ref_signed_root", r->root_value);
    hexgpu_json_knumber(w, "v_ptm_ref_signed_best_child", r->best_child_value);
    hexgpu_json_kint(w, "total_visits", r->total_visits);
    hexgpu_json_kint(w, "inferences", r->evaluations);
    hexgpu_json_kint(w, "total_nodes", r->nodes);
    hexgpu_json_kint(w, "max_depth", r->max_depth);
    hexgpu_json_key(w, "principal_variation");
    hexgpu_json_array_begin(w);
    for (int i = 0; i < r->pv_len; i++) hexgpu_game_write_coords(w, &m->board, r->pv[i]);
    hexgpu_json_array_end(w);
    hexgpu_json_key(w, "detailed_exploration");
    hexgpu_json_object_begin(w);
    hexgpu_json_kbool(w, "enabled", 0);
    hexgpu_json_object_end(w);
    hexgpu_json_object_end(w);
}

static void write_reply(hexgpu_json_writer *w, const move_request *m, int moved) {
    char text[HEXGPU_TRMPH_MAX];
    const hexgpu_board *now = moved ? &m->after : &m->board;
    hexgpu_json_object_begin(w);
    hexgpu_json_kbool(w, "success", 1);
    hexgpu_trmph_format(now, text, sizeof text);
    hexgpu_json_kstring(w, "new_trmph", text);
    hexgpu_game_write_position(w, now);
    hexgpu_json_key(w, "move_made");
    if (moved) hexgpu_game_write_cell(w, &m->board, m->result.move);
    else hexgpu_json_null(w);
    hexgpu_json_kbool(w, "game_over", hexgpu_board_winner(now) != HEXGPU_NONE);
    if (moved) {
        write_debug_info(w, m);
        write_tree_data(w, m);
    } else {
        hexgpu_json_key(w, "mcts_debug_info");
        hexgpu_json_object_begin(w);
        hexgpu_json_object_end(w);
    }
    hexgpu_json_object_end(w);
}

void hexgpu_api_mcts_move(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res) {
    move_request *m = calloc(1, sizeof *m);
    if (!m) {
        hexgpu_http_reply_failure(res, 500, "out of memory");
        return;
    }
    m->model.slot = -1;
    const char *trmph = NULL, *model_id = NULL;
    hexgpu_error err = {0};
    hexgpu_json_writer w;
    hexgpu_json_writer_init(&w);
    if (!read_params(s, req, res, m, &trmph, &model_id)) goto done;
    if (hexgpu_game_parse(trmph, &m->board, &err) != HEXGPU_OK) {
        hexgpu_http_reply_failure(res, 400, "MCTS move generation failed: %s", err.message);
        goto done;
    }
    if (hexgpu_board_winner(&m->board) != HEXGPU_NONE) {
        write_reply(&w, m, 0);
        hexgpu_http_reply_json(res, 200, &w);
        goto done;
    }
    hexgpu_status st = hexgpu_model_registry_acquire(s->models, model_id, &m->model, &err);
    if (st != HEXGPU_OK) {
        hexgpu_http_reply_failure(res, hexgpu_http_status_of(st), "Model loading failed: %s", err.message);
        goto done;
    }
    if (hexgpu_game_size_mismatch(&m->board, m->model.board_size, &err)) {
        hexgpu_http_reply_failure(res, 400, "MCTS move generation failed: %s", err.message);
        goto done;
    }
    char reason[256];
    if (!hexgpu_search_gate_enter(&s->gate, s->config.search_wait_ms, reason, sizeof reason)) {
        hexgpu_http_reply_failure(res, 503, "%s", reason);
        goto done;
    }
    st = hexgpu_engine_move_run(m->model.engine, &m->board, &m->params, &m->result, &err);
    hexgpu_search_gate_leave(&s->gate);
    if (st != HEXGPU_OK) {
        hexgpu_http_reply_failure(res, hexgpu_http_status_of(st), "MCTS move generation failed: %s", err.message);
        goto done;
    }
    hexgpu_board_copy(&m->after, &m->board);
    hexgpu_board_play(&m->after, m->result.move, NULL);
    write_reply(&w, m, 1);
    hexgpu_http_reply_json(res, 200, &w);
done:
    hexgpu_json_writer_free(&w);
    hexgpu_model_registry_release(s->models, &m->model);
    free(m);
}
