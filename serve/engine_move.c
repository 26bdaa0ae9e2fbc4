/* One engine move with its analysis (see engine_move.h). */
#include "serve/engine_move.h"

#include <stdlib.h>
#include <string.h>

#include "base/status.h"
#include "base/timer.h"
#include "search/move_search.h"

/* The first legal cell that wins at once for the side to move, or -1. */
static int winning_move(const hexgpu_board *board) {
    hexgpu_board *b = malloc(sizeof *b);
    if (!b) return -1;
    hexgpu_board_copy(b, board);
    int cells[HEXGPU_MAX_CELLS], count = hexgpu_board_legal_moves(b, cells), found = -1;
    hexgpu_color mover = hexgpu_board_to_move(b);
    for (int i = 0; i < count && found < 0; i++) {
        hexgpu_board_play(b, cells[i], NULL);
        if (hexgpu_board_winner(b) == mover) found = cells[i];
        hexgpu_board_undo(b, NULL);
    }
    free(b);
    return found;
}

int hexgpu_engine_move_most_visited(const hexgpu_engine_move_result *r) {
    int best = -1;
    for (int i = 0; i < r->children; i++)
        if (best < 0 || r->visits[i] > r->visits[best]) best = i;
    return best;
}

/* Tree size, depth and the principal variation (most visited child, again and again). */
static void describe_tree(const hexgpu_mcts *m, hexgpu_engine_move_result *r) {
    r->nodes = m->node_count;
    int *depth = malloc((size_t)(m->node_count > 0 ? m->node_count : 1) * sizeof *depth);
    r->max_depth = 0;
    if (depth) {
        /* A child is always made after its parent, so one pass in index order suffices. */
        for (int32_t i = 0; i < m->node_count; i++) {
            int32_t p = m->nodes[i].parent;
            depth[i] = p >= 0 && p < i ? depth[p] + 1 : 0;
            if (m->nodes[i].visits > 0 && depth[i] > r->max_depth) r->max_depth = depth[i];
        }
        free(depth);
    }
    r->pv_len = 0;
    int32_t node = 0;
    while (r->pv_len < HEXGPU_ENGINE_MOVE_PV && m->nodes[node].first_child >= 0) {
        const hexgpu_mcts_node *ch = &m->nodes[m->nodes[node].first_child];
        int best = -1;
        for (int i = 0; i < m->nodes[node].child_count; i++)
            if (ch[i].visits > 0 && (best < 0 || ch[i].visits > ch[best].visits)) best = i;
        if (best < 0) break;
        r->pv[r->pv_len++] = ch[best].move;
        node = m->nodes[node].first_child + best;
    }
}

hexgpu_status hexgpu_engine_move_run(hexgpu_engine *engine, const hexgpu_board *board,
                                     const hexgpu_engine_move_params *params, hexgpu_engine_move_result *r,
                                     hexgpu_error *err) {
    memset(r, 0, sizeof *r);
    r->move = -1;
    double start = hexgpu_timer_now_seconds();
    hexgpu_position pos;
    hexgpu_board_to_position(board, &pos);
    hexgpu_status st = hexgpu_engine_evaluate(engine, &pos, 1, &r->net_value, r->net_policy, r->net_logits, err);
    if (st != HEXGPU_OK) return st;
    double red = r->net_value;
    r->root_value = hexgpu_board_to_move(board) == HEXGPU_RED ? (float)red : (float)-red;
    r->best_child_value = r->root_value;
    r->evaluations = 1;

    hexgpu_mcts_config config;
    hexgpu_mcts_config_default(&config);
    config.simulations = params->simulations;
    config.c_puct = (float)params->c_puct;
    config.gumbel = params->gumbel;
    config.temperature = (float)params->temperature;
    config.temperature_end = (float)params->temperature_end;
    config.dirichlet_epsilon = params->noise ? config.dirichlet_epsilon : 0.0f;
    config.tree_reuse = 0;
    config.early_stop = 0.0f;
    r->temperature = hexgpu_mcts_temperature(&config, hexgpu_board_move_count(board));

    int win = winning_move(board);
    if (win >= 0) {
        r->move = win;
        r->immediate = 1;
        r->root_value = r->best_child_value = 1.0f;
        r->seconds = hexgpu_timer_now_seconds() - start;
        return HEXGPU_OK;
    }
    r->gumbel_used = hexgpu_mcts_uses_gumbel(&config);

    hexgpu_move_search *s = malloc(sizeof *s);
    hexgpu_queue *queue = NULL;
    if (!s) return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "out of memory for a search");
    int leaves = params->simulations < 16 ? params->simulations : 16;
    st = hexgpu_move_search_create(s, &config, leaves < 1 ? 1 : leaves, board->size, err);
    if (st != HEXGPU_OK) {
        free(s);
        return st;
    }
    st = hexgpu_queue_create(&queue, err);
    hexgpu_rng rng = {.state = params->seed};
    double deadline = params->max_seconds > 0 ? start + params->max_seconds : 0.0;
    if (st == HEXGPU_OK) st = hexgpu_move_search_run(s, engine, queue, board, &rng, deadline, err);
    if (st == HEXGPU_OK) {
        float value = 0.0f;
        r->move = hexgpu_move_search_choose(s, &value);
        r->children = hexgpu_mcts_root_children(&s->mcts, r->cells, r->visits, r->q, r->prior);
        r->total_visits = 0;
        r->best_child_value = -1.0f;
        for (int i = 0; i < r->children; i++) {
            r->total_visits += r->visits[i];
            if (r->visits[i] > 0 && r->q[i] > r->best_child_value) r->best_child_value = r->q[i];
        }
        if (r->total_visits == 0) r->best_child_value = r->root_value;
        hexgpu_mcts_targets(&s->mcts, NULL, NULL, &r->root_value);
        r->evaluations += s->mcts.simulations_done;
        describe_tree(&s->mcts, r);
    }
    hexgpu_queue_destroy(queue);
    hexgpu_move_search_destroy(s);
    free(s);
    r->seconds = hexgpu_timer_now_seconds() - start;
    return st;
}
