/* One game's search tree: selection with PUCT and virtual loss, expansion from the
 * network's policy, backup, root noise (Dirichlet or Gumbel halving), move choice. */
#include "search/mcts.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/status.h"

#define INITIAL_NODES 4096

void hexgpu_mcts_config_default(hexgpu_mcts_config *config) {
    *config = (hexgpu_mcts_config){.simulations = 500, .c_puct = 1.5f, .gumbel = 1, .dirichlet_alpha = 0.3f,
                                   .dirichlet_epsilon = 0.25f, .temperature = 0.5f, .temperature_end = 0.01f,
                                   .tree_reuse = 1, .early_stop = 0.0f};
}

int hexgpu_mcts_uses_gumbel(const hexgpu_mcts_config *config) {
    return config->gumbel && config->simulations <= HEXGPU_GUMBEL_MAX_SIMULATIONS;
}

double hexgpu_mcts_temperature(const hexgpu_mcts_config *config, int move) {
    double t0 = config->temperature, t1 = config->temperature_end;
    if (t0 <= 0.0) return 0.0;
    double progress = move / 50.0 < 1.0 ? move / 50.0 : 1.0;
    return t1 <= 0.0 ? (progress < 1.0 ? t0 * pow(1e-9 / t0, progress) : 0.0) : t0 * pow(t1 / t0, progress);
}

double hexgpu_mcts_memory_bytes(const hexgpu_mcts_config *config, int board_size) {
    /* A move's search expands the root and at most one node per simulation, each with at
     * most n*n children; a kept subtree brings at most REUSE_MAX_FACTOR x simulations
     * expanded nodes more (its visits bound its expansions). The pool grows by doubling
     * from INITIAL_NODES, so its capacity stays under twice the nodes needed, and keeping
     * a subtree briefly copies it (a node and an index per kept node). */
    double expansions = 1.0 + (HEXGPU_MCTS_REUSE_MAX_FACTOR * (config->tree_reuse ? 1.0 : 0.0) + 1.0) *
                                  (double)config->simulations;
    double needed = 1.0 + expansions * board_size * board_size;
    double capacity = needed <= INITIAL_NODES ? INITIAL_NODES : 2.0 * needed;
    double keep_copy = config->tree_reuse ? needed * (double)(sizeof(hexgpu_mcts_node) + sizeof(int32_t)) : 0.0;
    return (double)sizeof(hexgpu_mcts) + capacity * (double)sizeof(hexgpu_mcts_node) + keep_copy;
}

hexgpu_status hexgpu_mcts_create(hexgpu_mcts *s, const hexgpu_mcts_config *config, hexgpu_error *err) {
    memset(s, 0, sizeof *s);
    if (config->simulations < 1)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "mcts: simulations must be >= 1, got %d",
                                config->simulations);
    s->config = *config;
    s->use_gumbel = hexgpu_mcts_uses_gumbel(config);
    s->nodes = malloc(INITIAL_NODES * sizeof *s->nodes);
    if (!s->nodes)
        return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "mcts: cannot allocate %d nodes", INITIAL_NODES);
    s->node_capacity = INITIAL_NODES;
    s->gumbel = (hexgpu_gumbel){.order = s->gumbel_order, .noise = s->gumbel_noise, .logit = s->gumbel_logit};
    return HEXGPU_OK;
}

void hexgpu_mcts_destroy(hexgpu_mcts *s) {
    free(s->nodes);
    s->nodes = NULL;
}

void hexgpu_mcts_begin(hexgpu_mcts *s, const hexgpu_board *board, hexgpu_rng *rng) {
    hexgpu_board_copy(&s->board, board);
    s->rng = rng;
    s->node_count = 1;
    s->nodes[0] = (hexgpu_mcts_node){.prior = 1.0f, .first_child = -1, .parent = -1, .move = -1,
                                     .state = HEXGPU_NODE_NEW, .to_move = (uint8_t)hexgpu_board_to_move(board)};
    s->simulations_done = 0;
    s->in_flight = 0;
    s->root_value = 0.0f;
    s->reused_visits = 0;
    memset(s->base_visits, 0, sizeof s->base_visits);
    s->budget = s->config.simulations;
    s->noise = 1;
}

/* Gives node its children, one per legal move of s->board (the node's position). Indices,
 * not pointers, survive the pool's growth. */
static int add_children(hexgpu_mcts *s, int32_t node, hexgpu_error *err) {
    int cells[HEXGPU_MAX_CELLS];
    int count = hexgpu_board_legal_moves(&s->board, cells);
    if (s->node_count + count > s->node_capacity) {
        int32_t cap = s->node_capacity;
        while (s->node_count + count > cap) cap *= 2;
        hexgpu_mcts_node *grown = realloc(s->nodes, (size_t)cap * sizeof *grown);
        if (!grown) {
            hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "mcts: cannot grow the node pool to %d nodes", cap);
            return -1;
        }
        s->nodes = grown, s->node_capacity = cap;
    }
    uint8_t next = (uint8_t)(1 - s->nodes[node].to_move);
    for (int i = 0; i < count; i++)
        s->nodes[s->node_count + i] = (hexgpu_mcts_node){.first_child = -1, .parent = node, .move = (int16_t)cells[i],
                                                         .state = HEXGPU_NODE_NEW, .to_move = next};
    s->nodes[node].first_child = s->node_count;
    s->nodes[node].child_count = (int16_t)count;
    s->node_count += count;
    return 0;
}

/* Walks from node to the root taking one virtual loss off each node and, when backup
 * is set, adding one visit and x, negated at each level (the players alternate). */
static void release(hexgpu_mcts *s, int32_t node, int backup, float x) {
    for (int32_t n = node; n >= 0; n = s->nodes[n].parent) {
        hexgpu_mcts_node *p = &s->nodes[n];
        p->virtual_loss--;
        if (backup) p->visits++, p->value_sum += x;
        x = -x;
    }
}

static int32_t select_puct(const hexgpu_mcts *s, int32_t parent) {
    const hexgpu_mcts_node *p = &s->nodes[parent];
    double sqrt_n = sqrt(fmax(1.0, (double)(p->visits + p->virtual_loss)));
    /* First-play urgency: an unvisited child is valued like its parent, for the side to
     * move at the parent (the parent's sum is its mover's, the other side's). */
    double fpu = p->visits > 0 ? -(double)p->value_sum / p->visits : 0.0;
    int32_t best = -1;
    double best_score = -INFINITY;
    for (int32_t c = p->first_child; c < p->first_child + p->child_count; c++) {
        const hexgpu_mcts_node *ch = &s->nodes[c];
        int n = ch->visits + ch->virtual_loss;
        /* Virtual loss: each simulation in flight counts as a lost visit for the mover. */
        double q = n > 0 ? ((double)ch->value_sum - ch->virtual_loss) / n : fpu;
        double score = q + s->config.c_puct * ch->prior * sqrt_n / (1.0 + n);
        if (score > best_score) best = c, best_score = score;
    }
    return best;
}

/* Root child values for the root player in [0,1]; unvisited children get the root's
 * own value. Fills s->q01 and returns the largest visit count. */
static int root_values(hexgpu_mcts *s) {
    const hexgpu_mcts_node *root = &s->nodes[0];
    int max_visits = 0;
    for (int i = 0; i < root->child_count; i++) {
        const hexgpu_mcts_node *ch = &s->nodes[root->first_child + i];
        double q = ch->visits > 0 ? (double)ch->value_sum / ch->visits : s->root_value;
        s->q01[i] = (q + 1.0) / 2.0;
        s->used[i] = ch->visits + ch->virtual_loss - s->base_visits[i];
        if (ch->visits > max_visits) max_visits = ch->visits;
    }
    return max_visits;
}

static int32_t select_gumbel(hexgpu_mcts *s) {
    int max_visits = root_values(s);
    int child = hexgpu_gumbel_next(&s->gumbel, s->used, s->q01, max_visits, s->in_flight);
    return child < 0 ? -1 : s->nodes[0].first_child + child;
}

enum { DESCENT_LEAF, DESCENT_TERMINAL, DESCENT_WAIT, DESCENT_ERROR };

/* One simulation's selection from the root. Leaves s->board at the root position. */
static int descend(hexgpu_mcts *s, hexgpu_mcts_leaf *leaf, hexgpu_error *err) {
    int32_t node = 0;
    int depth = 0, outcome;
    s->nodes[0].virtual_loss++;
    while (s->nodes[node].state == HEXGPU_NODE_EXPANDED) {
        int32_t child = node == 0 && s->use_gumbel ? select_gumbel(s) : select_puct(s, node);
        if (child < 0) {
            release(s, node, 0, 0.0f);
            outcome = DESCENT_WAIT;
            goto done;
        }
        node = child;
        s->nodes[node].virtual_loss++;
        hexgpu_board_play(&s->board, s->nodes[node].move, NULL);
        depth++;
    }
    if (s->nodes[node].state == HEXGPU_NODE_NEW && hexgpu_board_winner(&s->board) != HEXGPU_NONE)
        s->nodes[node].state = HEXGPU_NODE_TERMINAL;
    switch (s->nodes[node].state) {
    case HEXGPU_NODE_TERMINAL: /* the player who just moved has won: exact value, no network */
        release(s, node, 1, 1.0f);
        s->simulations_done++;
        outcome = DESCENT_TERMINAL;
        break;
    case HEXGPU_NODE_NEW:
        if (add_children(s, node, err) < 0) {
            release(s, node, 0, 0.0f);
            outcome = DESCENT_ERROR;
            break;
        }
        s->nodes[node].state = HEXGPU_NODE_PENDING;
        leaf->node = node;
        hexgpu_board_to_position(&s->board, &leaf->position);
        s->in_flight++;
        outcome = DESCENT_LEAF;
        break;
    default: /* being evaluated already: wait for it rather than ask twice */
        release(s, node, 0, 0.0f);
        outcome = DESCENT_WAIT;
        break;
    }
done:
    while (depth-- > 0) hexgpu_board_undo(&s->board, NULL);
    return outcome;
}

/* early_stop: the root's mean value for its side to move has passed the threshold after
 * an eighth of the simulations (the position is decided; more search changes little). */
static int stopped_early(const hexgpu_mcts *s) {
    const hexgpu_mcts_node *root = &s->nodes[0];
    if (s->config.early_stop <= 0.0f || root->visits == 0) return 0;
    int floor = s->budget / 8 > 0 ? s->budget / 8 : 1;
    if (s->simulations_done < floor) return 0;
    double q = -(double)root->value_sum / root->visits; /* the sum is the other side's view */
    return fabs(q) >= s->config.early_stop;
}

int hexgpu_mcts_gather(hexgpu_mcts *s, hexgpu_mcts_leaf *leaves, int max, hexgpu_error *err) {
    hexgpu_mcts_node *root = &s->nodes[0];
    if (root->state != HEXGPU_NODE_EXPANDED) {
        if (root->state != HEXGPU_NODE_NEW || max < 1) return 0;
        if (add_children(s, 0, err) < 0) return -1;
        s->nodes[0].state = HEXGPU_NODE_PENDING;
        leaves[0].node = 0;
        hexgpu_board_to_position(&s->board, &leaves[0].position);
        s->in_flight++;
        return 1;
    }
    int count = 0;
    while (count < max && s->simulations_done + s->in_flight < s->budget && !stopped_early(s)) {
        int outcome = descend(s, &leaves[count], err);
        if (outcome == DESCENT_ERROR) return -1;
        if (outcome == DESCENT_WAIT) break;
        if (outcome == DESCENT_LEAF) count++;
    }
    return count;
}

/* Root priors: Dirichlet noise in PUCT mode, Gumbel candidates otherwise. */
static void prepare_root(hexgpu_mcts *s) {
    hexgpu_mcts_node *root = &s->nodes[0];
    hexgpu_mcts_node *ch = &s->nodes[root->first_child];
    float prior[HEXGPU_MAX_CELLS];
    for (int i = 0; i < root->child_count; i++) prior[i] = ch[i].prior;
    if (s->use_gumbel) {
        double t = hexgpu_mcts_temperature(&s->config, hexgpu_board_move_count(&s->board));
        hexgpu_gumbel_begin(&s->gumbel, prior, root->child_count, s->budget, s->noise ? t : 0.0, s->rng);
    } else if (s->noise && s->config.dirichlet_epsilon > 0.0f) {
        float noise[HEXGPU_MAX_CELLS];
        hexgpu_rng_dirichlet(s->rng, s->config.dirichlet_alpha, noise, root->child_count);
        float eps = s->config.dirichlet_epsilon;
        for (int i = 0; i < root->child_count; i++) ch[i].prior = (1.0f - eps) * prior[i] + eps * noise[i];
    }
}

void hexgpu_mcts_apply(hexgpu_mcts *s, int32_t node, float value, const float *policy) {
    hexgpu_mcts_node *n = &s->nodes[node];
    hexgpu_mcts_node *ch = &s->nodes[n->first_child];
    double sum = 0.0;
    for (int i = 0; i < n->child_count; i++) sum += policy[ch[i].move];
    for (int i = 0; i < n->child_count; i++)
        ch[i].prior = sum > 0.0 ? (float)(policy[ch[i].move] / sum) : 1.0f / (float)n->child_count;
    n->state = HEXGPU_NODE_EXPANDED;
    s->in_flight--;
    float for_side_to_move = n->to_move == HEXGPU_RED ? value : -value;
    if (node == 0) {
        s->root_value = for_side_to_move;
        prepare_root(s);
        return;
    }
    /* The node's sum is its mover's view: the opposite of the side to move there. */
    release(s, node, 1, -for_side_to_move);
    s->simulations_done++;
}

/* Moves the subtree of old node `top` to the front of the pool, top at index 0, in
 * breadth-first order (children stay contiguous); returns 0, or -1 when the scratch copy
 * cannot be allocated (the pool is then unchanged). */
static int keep_subtree(hexgpu_mcts *s, int32_t top) {
    /* Breadth-first list of the subtree's old indices: every node with children brings
     * all of them along. */
    int32_t count = 1;
    int32_t *order = malloc((size_t)s->node_count * sizeof *order);
    hexgpu_mcts_node *copy = NULL;
    if (!order) return -1;
    order[0] = top;
    for (int32_t head = 0; head < count; head++) {
        const hexgpu_mcts_node *n = &s->nodes[order[head]];
        for (int32_t c = 0; n->first_child >= 0 && c < n->child_count; c++) order[count++] = n->first_child + c;
    }
    copy = malloc((size_t)count * sizeof *copy);
    if (!copy) {
        free(order);
        return -1;
    }
    /* New index of old node order[i] is i; a node's children are consecutive in order[],
     * so its new first_child is the new index of its old first child. */
    int32_t next = 1;
    for (int32_t i = 0; i < count; i++) {
        copy[i] = s->nodes[order[i]];
        if (copy[i].first_child >= 0) {
            copy[i].first_child = next;
            next += copy[i].child_count;
        }
    }
    for (int32_t i = 0; i < count; i++)
        for (int32_t c = 0; copy[i].first_child >= 0 && c < copy[i].child_count; c++)
            copy[copy[i].first_child + c].parent = i;
    copy[0].parent = -1;
    memcpy(s->nodes, copy, (size_t)count * sizeof *copy);
    s->node_count = count;
    free(copy);
    free(order);
    return 0;
}

int hexgpu_mcts_begin_budget(hexgpu_mcts *s, int after_move, const hexgpu_board *board, hexgpu_rng *rng,
                             int simulations, int noise) {
    int32_t child = -1;
    const hexgpu_mcts_node *root = &s->nodes[0];
    if (after_move >= 0 && s->config.tree_reuse && root->state == HEXGPU_NODE_EXPANDED && s->in_flight == 0)
        for (int32_t c = root->first_child; c < root->first_child + root->child_count; c++)
            if (s->nodes[c].move == after_move) child = c;
    if (child < 0 || s->nodes[child].state != HEXGPU_NODE_EXPANDED || s->nodes[child].visits < 1 ||
        s->nodes[child].visits > HEXGPU_MCTS_REUSE_MAX_FACTOR * s->config.simulations || keep_subtree(s, child) != 0) {
        hexgpu_mcts_begin(s, board, rng);
        s->budget = simulations > 0 ? simulations : 1;
        s->noise = noise;
        return 0;
    }
    hexgpu_board_copy(&s->board, board);
    s->rng = rng;
    s->simulations_done = 0;
    s->in_flight = 0;
    s->budget = simulations > 0 ? simulations : 1;
    s->noise = noise;
    hexgpu_mcts_node *top = &s->nodes[0];
    top->prior = 1.0f;
    top->move = -1;
    /* The root's value for its side to move: its mean so far (its sum is the other
     * side's view); the network's own value of it is not kept. */
    s->root_value = -top->value_sum / (float)top->visits;
    s->reused_visits = top->visits;
    memset(s->base_visits, 0, sizeof s->base_visits);
    for (int i = 0; i < top->child_count; i++) s->base_visits[i] = s->nodes[top->first_child + i].visits;
    prepare_root(s); /* fresh Dirichlet noise or Gumbel candidates over the network priors */
    return 1;
}

int hexgpu_mcts_begin_after(hexgpu_mcts *s, int move, const hexgpu_board *board, hexgpu_rng *rng) {
    return hexgpu_mcts_begin_budget(s, move, board, rng, s->config.simulations, 1);
}

int hexgpu_mcts_done(const hexgpu_mcts *s) {
    return s->nodes[0].state == HEXGPU_NODE_EXPANDED &&
           (s->simulations_done >= s->budget || (s->in_flight == 0 && stopped_early(s)));
}

int hexgpu_mcts_choose(hexgpu_mcts *s) {
    const hexgpu_mcts_node *root = &s->nodes[0];
    const hexgpu_mcts_node *ch = &s->nodes[root->first_child];
    if (s->use_gumbel) {
        int max_visits = root_values(s);
        return ch[hexgpu_gumbel_choose(&s->gumbel, s->q01, max_visits)].move;
    }
    int best = 0;
    for (int i = 1; i < root->child_count; i++)
        if (ch[i].visits > ch[best].visits) best = i;
    double t = hexgpu_mcts_temperature(&s->config, hexgpu_board_move_count(&s->board));
    if (t <= 0.0 || ch[best].visits == 0) return ch[best].move;
    /* Visits^(1/T), relative to the most visited child so tiny T cannot overflow. */
    double weight[HEXGPU_MAX_CELLS], total = 0.0, top = log((double)ch[best].visits);
    for (int i = 0; i < root->child_count; i++)
        total += weight[i] = ch[i].visits > 0 ? exp((log((double)ch[i].visits) - top) / t) : 0.0;
    double r = hexgpu_rng_uniform(s->rng) * total;
    for (int i = 0; i < root->child_count; i++) {
        if (weight[i] > 0.0 && (r -= weight[i]) <= 0.0) return ch[i].move;
    }
    return ch[best].move;
}

int hexgpu_mcts_root_visits(const hexgpu_mcts *s, int *cells, int *visits) {
    return hexgpu_mcts_root_children(s, cells, visits, NULL, NULL);
}

void hexgpu_mcts_targets(const hexgpu_mcts *s, float *visits, float *improved, float *root_value) {
    const hexgpu_mcts_node *root = &s->nodes[0];
    int cells = s->board.size * s->board.size, count = root->first_child >= 0 ? root->child_count : 0;
    const hexgpu_mcts_node *ch = count > 0 ? &s->nodes[root->first_child] : NULL;
    double total = 0.0;
    int max_visits = 0;
    for (int i = 0; i < count; i++) {
        total += ch[i].visits;
        if (ch[i].visits > max_visits) max_visits = ch[i].visits;
    }
    /* The root's value for its side to move: the mean of its subtree, or the network's
     * when nothing was backed up (its sum is the other side's view). */
    double v = root->visits > 0 ? -(double)root->value_sum / root->visits : s->root_value;
    if (root_value) *root_value = (float)v;
    if (visits) {
        memset(visits, 0, (size_t)cells * sizeof *visits);
        for (int i = 0; i < count; i++) visits[ch[i].move] = total > 0 ? (float)(ch[i].visits / total) : 0.0f;
    }
    if (!improved) return;
    memset(improved, 0, (size_t)cells * sizeof *improved);
    if (!s->use_gumbel) {
        for (int i = 0; i < count; i++) improved[ch[i].move] = total > 0 ? (float)(ch[i].visits / total) : 0.0f;
        return;
    }
    double score[HEXGPU_MAX_CELLS], top = -INFINITY, sum = 0.0;
    for (int i = 0; i < count; i++) {
        double q = ch[i].visits > 0 ? (double)ch[i].value_sum / ch[i].visits : v; /* completed Q */
        double q01 = (q + 1.0) / 2.0;
        score[i] = (double)s->gumbel.logit[i] + (HEXGPU_GUMBEL_C_VISIT + max_visits) * HEXGPU_GUMBEL_C_SCALE * q01;
        if (score[i] > top) top = score[i];
    }
    for (int i = 0; i < count; i++) sum += score[i] = exp(score[i] - top);
    for (int i = 0; i < count; i++) improved[ch[i].move] = (float)(score[i] / sum);
}

int hexgpu_mcts_root_children(const hexgpu_mcts *s, int *cells, int *visits, float *values, float *priors) {
    const hexgpu_mcts_node *root = &s->nodes[0];
    if (root->state != HEXGPU_NODE_EXPANDED) return 0;
    for (int i = 0; i < root->child_count; i++) {
        const hexgpu_mcts_node *ch = &s->nodes[root->first_child + i];
        if (cells) cells[i] = ch->move;
        if (visits) visits[i] = ch->visits;
        if (values) values[i] = ch->visits > 0 ? ch->value_sum / (float)ch->visits : s->root_value;
        if (priors) priors[i] = ch->prior;
    }
    return root->child_count;
}
