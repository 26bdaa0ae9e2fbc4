/* MCTS on small boards with a test evaluator: immediate wins found and immediate losses
 * blocked (PUCT and Gumbel), every simulation counted with leaves in flight, no leaf
 * handed out twice, the Gumbel m formula and halving, the temperature schedule, subtree
 * reuse (visit totals, tree structure, bounded pool) and the early stop. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "host/synthetic_backend.h"
#include "search/mcts.h"
#include "hex/trmph.h"

static void board_from(const char *trmph, hexgpu_board *board) {
    hexgpu_error err;
    cr_assert_eq(hexgpu_trmph_parse(trmph, board, &err), HEXGPU_OK, "%s", err.message);
}

/* Value 0 and uniform priors, or the synthetic backend's deterministic outputs. */
static void evaluate(const hexgpu_position *pos, int synthetic, float *value, float *policy) {
    if (synthetic) {
        float logits[HEXGPU_MAX_CELLS];
        hexgpu_synthetic_outputs(pos, value, policy, logits);
        return;
    }
    int cells = pos->size * pos->size, empty = 0;
    for (int c = 0; c < cells; c++) empty += hexgpu_position_at(pos, c) == HEXGPU_NONE;
    for (int c = 0; c < cells; c++) policy[c] = hexgpu_position_at(pos, c) == HEXGPU_NONE ? 1.0f / empty : 0.0f;
    *value = 0.0f;
}

/* Runs one move's search, up to `batch` leaves in flight, applying each batch in reverse
 * order (the engine completes out of order). Checks no node is handed out twice while
 * pending. Returns the leaves evaluated. */
static int run_search(hexgpu_mcts *s, int batch, int synthetic) {
    hexgpu_error err;
    hexgpu_mcts_leaf leaves[64];
    float value[64], policy[64][HEXGPU_MAX_CELLS];
    int evaluated = 0;
    while (!hexgpu_mcts_done(s)) {
        int n = hexgpu_mcts_gather(s, leaves, batch, &err);
        cr_assert_geq(n, 0, "%s", err.message);
        if (n == 0) { /* only when simulations ending in won positions finished the search */
            cr_assert(hexgpu_mcts_done(s), "gather gave no leaf before the search was done");
            break;
        }
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < i; j++) cr_assert_neq(leaves[i].node, leaves[j].node, "leaf handed out twice");
            cr_assert_eq(s->nodes[leaves[i].node].state, HEXGPU_NODE_PENDING);
            evaluate(&leaves[i].position, synthetic, &value[i], policy[i]);
        }
        cr_assert_eq(s->in_flight, n);
        for (int i = n - 1; i >= 0; i--) hexgpu_mcts_apply(s, leaves[i].node, value[i], policy[i]);
        evaluated += n;
        if (hexgpu_mcts_done(s)) break;
        n = hexgpu_mcts_gather(s, leaves, 0, &err);
        cr_assert_eq(n, 0);
    }
    return evaluated;
}

static int search(hexgpu_mcts *s, const hexgpu_board *board, hexgpu_rng *rng, int batch, int synthetic) {
    hexgpu_mcts_begin(s, board, rng);
    return run_search(s, batch, synthetic);
}

static hexgpu_mcts_config config(int sims, int gumbel) {
    hexgpu_mcts_config c;
    hexgpu_mcts_config_default(&c);
    c.simulations = sims;
    c.gumbel = gumbel;
    c.temperature = 0.0f; /* argmax: the test asks for the best move */
    c.dirichlet_epsilon = 0.0f;
    return c;
}

static int best_move(const char *trmph, int sims, int gumbel, int batch) {
    hexgpu_board board;
    board_from(trmph, &board);
    hexgpu_mcts_config c = config(sims, gumbel);
    hexgpu_mcts s;
    hexgpu_error err;
    cr_assert_eq(hexgpu_mcts_create(&s, &c, &err), HEXGPU_OK, "%s", err.message);
    hexgpu_rng rng = {42};
    search(&s, &board, &rng, batch, 0);
    int move = hexgpu_mcts_choose(&s);
    hexgpu_mcts_destroy(&s);
    return move;
}

/* 4x4, Blue b1 b2 b3 (column b, rows 1-3), Red d1 d2 d3; Blue to move wins at a4 or b4. */
#define WIN_POSITION "#4,b1d1b2d2b3d3"
/* 4x4, Red a2 b2 c2 threatens d2 only (Blue holds d1); Blue must block at d2. */
#define THREAT_POSITION "#4,d1a2a4b2b4c2"

static void assert_wins(int move) {
    hexgpu_board board;
    board_from(WIN_POSITION, &board);
    cr_assert(move == 3 * 4 + 0 || move == 3 * 4 + 1, "played cell %d, not a winning one", move);
    cr_assert_eq(hexgpu_board_play(&board, move, NULL), HEXGPU_OK);
    cr_assert_eq(hexgpu_board_winner(&board), HEXGPU_BLUE);
}

Test(mcts, puct_finds_the_immediate_win) {
    assert_wins(best_move(WIN_POSITION, 200, 0, 1));
    assert_wins(best_move(WIN_POSITION, 200, 0, 8));
}

Test(mcts, gumbel_finds_the_immediate_win) {
    assert_wins(best_move(WIN_POSITION, 64, 1, 1));
    assert_wins(best_move(WIN_POSITION, 64, 1, 8));
}

Test(mcts, puct_and_gumbel_block_the_immediate_loss) {
    int d2 = 1 * 4 + 3;
    cr_assert_eq(best_move(THREAT_POSITION, 300, 0, 1), d2);
    cr_assert_eq(best_move(THREAT_POSITION, 300, 0, 8), d2);
    cr_assert_eq(best_move(THREAT_POSITION, 200, 1, 4), d2);
}

/* Every simulation is backed up exactly once: root child visits sum to the budget, for
 * several budgets, leaf batches and both root rules, on 5x5 with the synthetic outputs. */
Test(mcts, visits_sum_to_the_simulations) {
    hexgpu_board board;
    board_from("#5,c3b4", &board);
    const int sims[] = {1, 7, 16, 200, 800};
    for (int gumbel = 0; gumbel <= 1; gumbel++)
        for (size_t k = 0; k < sizeof sims / sizeof sims[0]; k++)
            for (int batch = 1; batch <= 16; batch *= 4) {
                hexgpu_mcts_config c = config(sims[k], gumbel);
                c.dirichlet_epsilon = 0.25f;
                hexgpu_mcts s;
                cr_assert_eq(hexgpu_mcts_create(&s, &c, NULL), HEXGPU_OK);
                hexgpu_rng rng = {7};
                int evaluated = search(&s, &board, &rng, batch, 1);
                int cells[HEXGPU_MAX_CELLS], visits[HEXGPU_MAX_CELLS], total = 0;
                int n = hexgpu_mcts_root_visits(&s, cells, visits);
                cr_assert_eq(n, 23);
                for (int i = 0; i < n; i++) total += visits[i];
                cr_assert_eq(total, sims[k], "gumbel %d sims %d batch %d: visits sum %d", gumbel, sims[k], batch, total);
                cr_assert_eq(s.nodes[0].visits, sims[k]);
                cr_assert_leq(evaluated, sims[k] + 1); /* the root plus at most one per simulation */
                for (int i = 0; i < s.node_count; i++) cr_assert_eq(s.nodes[i].virtual_loss, 0);
                int move = hexgpu_mcts_choose(&s);
                cr_assert(hexgpu_board_is_legal(&board, move));
                hexgpu_mcts_destroy(&s);
            }
}

Test(mcts, gumbel_sample_count_formula) {
    cr_assert_eq(hexgpu_gumbel_sample_count(169, 200), 29);
    cr_assert_eq(hexgpu_gumbel_sample_count(169, 16), 8);
    cr_assert_eq(hexgpu_gumbel_sample_count(169, 500), 48);
    cr_assert_eq(hexgpu_gumbel_sample_count(169, 5), 5);
    cr_assert_eq(hexgpu_gumbel_sample_count(3, 200), 3);
    hexgpu_mcts_config c = config(800, 1);
    cr_assert_eq(hexgpu_mcts_uses_gumbel(&c), 0);
    c.simulations = 750;
    cr_assert_eq(hexgpu_mcts_uses_gumbel(&c), 1);
    c.gumbel = 0;
    cr_assert_eq(hexgpu_mcts_uses_gumbel(&c), 0);
}

/* Sequential halving with 16 simulations over 8 candidates in 3 phases: 8 x 1 visit
 * (16/(3*8) rounds up to 1), 4 x 1 more (16/(3*4)), 2 x 2 more (16/(3*2)): 16 spent with
 * two candidates left at 4 visits each; the better scored one is played, and the
 * best-valued candidates are the ones that survived. */
Test(mcts, gumbel_halving_schedule) {
    int order[16];
    float noise[16], logit[16], prior[16];
    for (int i = 0; i < 16; i++) prior[i] = 1.0f / 16;
    hexgpu_gumbel g = {.order = order, .noise = noise, .logit = logit};
    hexgpu_rng rng = {5};
    hexgpu_gumbel_begin(&g, prior, 16, 16, 1.0, &rng);
    cr_assert_eq(g.count, 8);
    cr_assert_eq(g.phases, 3);
    int used[16] = {0};
    double q[16];
    for (int i = 0; i < 16; i++) q[i] = i / 16.0; /* higher index, higher value */
    int spent = 0, max_visits = 0;
    while (spent < 16) {
        int c = hexgpu_gumbel_next(&g, used, q, max_visits, 0);
        cr_assert_geq(c, 0);
        used[c]++, spent++;
        if (used[c] > max_visits) max_visits = used[c];
    }
    int sampled = 0;
    for (int i = 0; i < 16; i++) sampled += used[i] > 0;
    cr_assert_eq(sampled, 8);
    cr_assert_eq(g.remaining, 2);
    cr_assert_eq(max_visits, 4);
    for (int i = 0; i < 2; i++) cr_assert_eq(used[order[i]], 4);
    int winner = hexgpu_gumbel_choose(&g, q, max_visits);
    cr_assert_eq(used[winner], max_visits);
    /* sigma(q) spans (50 + max_visits) * 1/16 per index step, far above the noise and
     * logit differences, so the survivor is the highest-valued sampled candidate. */
    for (int i = 0; i < 16; i++)
        if (used[i] > 0) cr_assert_leq(i, winner);
}

Test(mcts, temperature_schedule) {
    hexgpu_mcts_config c;
    hexgpu_mcts_config_default(&c);
    cr_assert_float_eq(hexgpu_mcts_temperature(&c, 0), 0.5, 1e-6);
    cr_assert_float_eq(hexgpu_mcts_temperature(&c, 25), 0.5 * sqrt(0.02), 1e-6);
    cr_assert_float_eq(hexgpu_mcts_temperature(&c, 50), 0.01, 1e-6);
    cr_assert_float_eq(hexgpu_mcts_temperature(&c, 120), 0.01, 1e-6);
    c.temperature = 1.0f, c.temperature_end = 1.0f;
    cr_assert_float_eq(hexgpu_mcts_temperature(&c, 30), 1.0, 1e-12);
}

/* At temperature 1 the played move follows the visit counts: over many draws from one
 * finished search, each move's frequency is close to its visit share. */
Test(mcts, temperature_draw_follows_visits) {
    hexgpu_board board;
    board_from("#3,", &board);
    hexgpu_mcts_config c = config(300, 0);
    c.temperature = 1.0f, c.temperature_end = 1.0f;
    hexgpu_mcts s;
    cr_assert_eq(hexgpu_mcts_create(&s, &c, NULL), HEXGPU_OK);
    hexgpu_rng rng = {11};
    search(&s, &board, &rng, 4, 1);
    int cells[9], visits[9], count[9] = {0};
    int n = hexgpu_mcts_root_visits(&s, cells, visits);
    const int draws = 20000;
    for (int i = 0; i < draws; i++) {
        int move = hexgpu_mcts_choose(&s);
        count[move]++;
    }
    for (int i = 0; i < n; i++)
        cr_assert_float_eq((double)count[cells[i]] / draws, visits[i] / 300.0, 0.02, "cell %d", cells[i]);
    hexgpu_mcts_destroy(&s);
}

/* Every node's children point back to it and lie inside the pool. */
static void assert_tree_consistent(const hexgpu_mcts *s) {
    cr_assert_eq(s->nodes[0].parent, -1);
    for (int32_t i = 0; i < s->node_count; i++) {
        const hexgpu_mcts_node *n = &s->nodes[i];
        if (n->first_child < 0) continue;
        cr_assert(n->first_child > i && n->first_child + n->child_count <= s->node_count, "node %d", i);
        for (int32_t c = n->first_child; c < n->first_child + n->child_count; c++) cr_assert_eq(s->nodes[c].parent, i);
    }
}

static int child_visit_sum(const hexgpu_mcts *s) {
    int cells[HEXGPU_MAX_CELLS], visits[HEXGPU_MAX_CELLS], sum = 0;
    int n = hexgpu_mcts_root_visits(s, cells, visits);
    for (int i = 0; i < n; i++) sum += visits[i];
    return sum;
}

/* A whole game with tree reuse: each search adds exactly its simulations to the kept
 * visits, the kept tree is well formed, and the pool stays within the reuse bound. */
static void reuse_through_a_game(int gumbel, int batch) {
    enum { SIMS = 48, N = 6 };
    hexgpu_mcts_config c = config(SIMS, gumbel);
    c.temperature = 0.5f; /* varied games */
    hexgpu_mcts s;
    hexgpu_error err;
    cr_assert_eq(hexgpu_mcts_create(&s, &c, &err), HEXGPU_OK, "%s", err.message);
    hexgpu_board board;
    cr_assert_eq(hexgpu_board_init(&board, N, &err), HEXGPU_OK);
    hexgpu_rng rng = {7};
    hexgpu_mcts_begin(&s, &board, &rng);
    int reused_moves = 0, max_nodes = 0;
    while (hexgpu_board_winner(&board) == HEXGPU_NONE) {
        int kept_root = s.nodes[0].visits, kept_children = child_visit_sum(&s);
        cr_assert_eq(kept_root, s.reused_visits);
        run_search(&s, batch, 1);
        assert_tree_consistent(&s);
        /* Terminal simulations can end a search early only with the budget spent. */
        cr_assert_eq(s.simulations_done, SIMS);
        cr_assert_eq(s.nodes[0].visits, kept_root + SIMS, "root visits %d, kept %d", s.nodes[0].visits, kept_root);
        cr_assert_eq(child_visit_sum(&s), kept_children + SIMS);
        if (s.node_count > max_nodes) max_nodes = s.node_count;
        int move = hexgpu_mcts_choose(&s);
        cr_assert_eq(hexgpu_board_play(&board, move, &err), HEXGPU_OK);
        if (hexgpu_board_winner(&board) == HEXGPU_NONE) reused_moves += hexgpu_mcts_begin_after(&s, move, &board, &rng);
    }
    cr_assert_gt(reused_moves, 3, "reused %d times", reused_moves);
    /* Expanded nodes <= visits <= (factor + 1) * SIMS, each with at most N*N children. */
    cr_assert_leq(max_nodes, 1 + (HEXGPU_MCTS_REUSE_MAX_FACTOR + 1) * SIMS * N * N, "pool of %d nodes", max_nodes);
    hexgpu_mcts_destroy(&s);
}

Test(mcts, tree_reuse_puct_keeps_visits_and_adds_the_simulations) { reuse_through_a_game(0, 8); }
Test(mcts, tree_reuse_gumbel_keeps_visits_and_adds_the_simulations) { reuse_through_a_game(1, 4); }

Test(mcts, tree_reuse_off_or_unexpanded_child_starts_fresh) {
    hexgpu_mcts_config c = config(32, 0);
    c.tree_reuse = 0;
    hexgpu_mcts s;
    hexgpu_error err;
    cr_assert_eq(hexgpu_mcts_create(&s, &c, &err), HEXGPU_OK);
    hexgpu_board board;
    cr_assert_eq(hexgpu_board_init(&board, 5, &err), HEXGPU_OK);
    hexgpu_rng rng = {3};
    search(&s, &board, &rng, 4, 1);
    int move = hexgpu_mcts_choose(&s);
    hexgpu_board_play(&board, move, NULL);
    cr_assert_eq(hexgpu_mcts_begin_after(&s, move, &board, &rng), 0);
    cr_assert_eq(s.node_count, 1);
    cr_assert_eq(s.nodes[0].visits, 0);
    /* On: a child that was never expanded cannot be kept either. */
    s.config.tree_reuse = 1;
    search(&s, &board, &rng, 4, 1);
    const hexgpu_mcts_node *root = &s.nodes[0];
    int unexpanded = -1;
    for (int i = 0; i < root->child_count; i++)
        if (s.nodes[root->first_child + i].state == HEXGPU_NODE_NEW) unexpanded = s.nodes[root->first_child + i].move;
    cr_assert_geq(unexpanded, 0, "32 simulations on 24 cells leave some child unexpanded");
    hexgpu_board_play(&board, unexpanded, NULL);
    cr_assert_eq(hexgpu_mcts_begin_after(&s, unexpanded, &board, &rng), 0);
    cr_assert_eq(s.node_count, 1);
    hexgpu_mcts_destroy(&s);
}

/* A network that says Red is winning by 0.95 everywhere: with Red to move the root value
 * passes an early-stop threshold of 0.85 at once, so the search ends after an eighth of
 * its simulations; with the threshold off it runs them all. */
static int simulations_with_early_stop(float threshold) {
    hexgpu_mcts_config c = config(64, 0);
    c.early_stop = threshold;
    hexgpu_mcts s;
    hexgpu_error err;
    cr_assert_eq(hexgpu_mcts_create(&s, &c, &err), HEXGPU_OK);
    hexgpu_board board;
    board_from("#7,d4", &board); /* Red to move */
    hexgpu_rng rng = {5};
    hexgpu_mcts_begin(&s, &board, &rng);
    hexgpu_mcts_leaf leaf;
    float policy[HEXGPU_MAX_CELLS];
    while (!hexgpu_mcts_done(&s)) {
        int n = hexgpu_mcts_gather(&s, &leaf, 1, &err);
        cr_assert_eq(n, 1, "one leaf at a time until done");
        float value;
        evaluate(&leaf.position, 0, &value, policy);
        hexgpu_mcts_apply(&s, leaf.node, 0.95f, policy);
    }
    int done = s.simulations_done;
    hexgpu_mcts_destroy(&s);
    return done;
}

Test(mcts, early_stop_ends_a_decided_search) {
    cr_assert_eq(simulations_with_early_stop(0.85f), 64 / 8);
    cr_assert_eq(simulations_with_early_stop(0.0f), 64);
    cr_assert_eq(simulations_with_early_stop(0.99f), 64, "0.95 never passes 0.99");
}

/* Targets: the visit distribution is the root's visits normalised, zero on occupied
 * cells; the improved policy sums to 1 over legal cells (Gumbel) or equals the visits
 * (PUCT); a winning move dominates both. */
static void check_targets(int gumbel) {
    hexgpu_board board;
    board_from(WIN_POSITION, &board); /* Blue (to move) wins at a4 or b4 */
    hexgpu_mcts_config c = config(64, gumbel);
    hexgpu_mcts s;
    hexgpu_error err;
    cr_assert_eq(hexgpu_mcts_create(&s, &c, &err), HEXGPU_OK);
    hexgpu_rng rng = {11};
    search(&s, &board, &rng, 4, 0);
    float visits[HEXGPU_MAX_CELLS], improved[HEXGPU_MAX_CELLS], value;
    hexgpu_mcts_targets(&s, visits, improved, &value);
    int cells[HEXGPU_MAX_CELLS], counts[HEXGPU_MAX_CELLS];
    int n = hexgpu_mcts_root_visits(&s, cells, counts), total = 0;
    for (int i = 0; i < n; i++) total += counts[i];
    double vsum = 0.0, isum = 0.0;
    for (int cell = 0; cell < 16; cell++) {
        vsum += visits[cell], isum += improved[cell];
        if (hexgpu_board_at(&board, cell) != HEXGPU_NONE) cr_assert(visits[cell] == 0.0f && improved[cell] == 0.0f);
    }
    for (int i = 0; i < n; i++) cr_assert_float_eq(visits[cells[i]], (float)counts[i] / total, 1e-6);
    cr_assert_float_eq(vsum, 1.0, 1e-5);
    cr_assert_float_eq(isum, 1.0, 1e-5);
    float win_improved = improved[12] + improved[13], win_visits = visits[12] + visits[13]; /* a4, b4 */
    cr_assert_gt(win_improved, 0.5f, "improved policy at the winning cells: %g", win_improved);
    cr_assert_gt(win_visits, 0.2f, "visits at the winning cells: %g", win_visits);
    cr_assert_gt(value, 0.0f, "the side to move is winning: %g", value);
    if (!gumbel)
        for (int cell = 0; cell < 16; cell++) cr_assert_eq(improved[cell], visits[cell]);
    hexgpu_mcts_destroy(&s);
}

Test(mcts, targets_puct) { check_targets(0); }
Test(mcts, targets_gumbel) { check_targets(1); }

/* A budget of 8 instead of the config's 64; without noise the PUCT search does not depend
 * on the generator. */
Test(mcts, budget_and_noise_per_move) {
    hexgpu_mcts_config c = config(64, 0);
    c.dirichlet_epsilon = 0.25f;
    hexgpu_mcts s;
    hexgpu_error err;
    cr_assert_eq(hexgpu_mcts_create(&s, &c, &err), HEXGPU_OK);
    hexgpu_board board;
    cr_assert_eq(hexgpu_board_init(&board, 5, &err), HEXGPU_OK);
    int counts[2][HEXGPU_MAX_CELLS], cells[HEXGPU_MAX_CELLS];
    for (int r = 0; r < 2; r++) {
        hexgpu_rng rng = {(uint64_t)r + 1};
        hexgpu_mcts_begin_budget(&s, -1, &board, &rng, 8, 0);
        run_search(&s, 2, 1);
        cr_assert_eq(s.simulations_done, 8);
        hexgpu_mcts_root_visits(&s, cells, counts[r]);
    }
    cr_assert_eq(memcmp(counts[0], counts[1], 25 * sizeof(int)), 0, "no noise: the same search for any seed");
    hexgpu_mcts_destroy(&s);
}
