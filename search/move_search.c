/* A player's search of one move: rounds of leaves through the engine, backed up in the
 * order handed out, until the simulations are spent or the deadline passes. */
#include "search/move_search.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/timer.h"
#include "base/status.h"

hexgpu_status hexgpu_move_search_create(hexgpu_move_search *s, const hexgpu_mcts_config *config, int max_leaves,
                                        int size, hexgpu_error *err) {
    memset(s, 0, sizeof *s);
    if (max_leaves < 1 || max_leaves > 1024 || size < HEXGPU_MIN_SIZE || size > HEXGPU_MAX_SIZE)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT,
                                "move search: leaves must be 1..1024 and the board 1..19, got %d and %d", max_leaves,
                                size);
    hexgpu_status st = hexgpu_mcts_create(&s->mcts, config, err);
    if (st != HEXGPU_OK) return st;
    s->max_leaves = max_leaves;
    s->cells = size * size;
    s->leaves = malloc((size_t)max_leaves * sizeof *s->leaves);
    s->value = malloc((size_t)max_leaves * sizeof *s->value);
    s->policy = malloc((size_t)max_leaves * (size_t)s->cells * sizeof *s->policy);
    if (!s->leaves || !s->value || !s->policy) {
        hexgpu_move_search_destroy(s);
        return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "move search: cannot allocate %d leaves", max_leaves);
    }
    return HEXGPU_OK;
}

void hexgpu_move_search_destroy(hexgpu_move_search *s) {
    hexgpu_mcts_destroy(&s->mcts);
    free(s->leaves), free(s->value), free(s->policy);
    s->leaves = NULL, s->value = NULL, s->policy = NULL;
}

void hexgpu_move_search_begin(hexgpu_move_search *s, const hexgpu_board *board, hexgpu_rng *rng, double deadline) {
    hexgpu_mcts_begin(&s->mcts, board, rng);
    s->leaf_count = s->outstanding = s->rounds = s->stopped = 0;
    s->deadline = deadline;
}

int hexgpu_move_search_finished(const hexgpu_move_search *s) {
    return s->rounds > 0 && s->outstanding == 0 && (s->stopped || hexgpu_mcts_done(&s->mcts));
}

int hexgpu_move_search_gather(hexgpu_move_search *s, hexgpu_request *requests, uint64_t tag, hexgpu_error *err) {
    if (s->outstanding > 0 || hexgpu_move_search_finished(s)) return 0;
    if (s->rounds > 0 && s->deadline > 0.0 && hexgpu_timer_now_seconds() >= s->deadline) {
        s->stopped = 1;
        return 0;
    }
    int n = hexgpu_mcts_gather(&s->mcts, s->leaves, s->max_leaves, err);
    if (n < 0) return -1;
    /* Simulations that end in won positions are backed up inside gather, so it may finish
     * the search by itself; no leaf and not done, with nothing in flight, is a bug. */
    if (n == 0 && !hexgpu_mcts_done(&s->mcts)) {
        hexgpu_error_set(err, HEXGPU_ERR_INTERNAL, "move search: stalled with no leaf in flight");
        return -1;
    }
    for (int i = 0; i < n; i++)
        requests[i] = (hexgpu_request){.position = s->leaves[i].position, .value = &s->value[i],
                                       .policy = s->policy + (size_t)i * (size_t)s->cells, .tag = tag + (uint64_t)i};
    s->leaf_count = s->outstanding = n;
    return n;
}

void hexgpu_move_search_arrived(hexgpu_move_search *s) {
    if (--s->outstanding > 0) return;
    for (int i = 0; i < s->leaf_count; i++)
        hexgpu_mcts_apply(&s->mcts, s->leaves[i].node, s->value[i], s->policy + (size_t)i * (size_t)s->cells);
    s->leaf_count = 0;
    s->rounds++;
}

hexgpu_status hexgpu_move_search_run(hexgpu_move_search *s, hexgpu_engine *engine, hexgpu_queue *queue,
                                     const hexgpu_board *board, hexgpu_rng *rng, double deadline, hexgpu_error *err) {
    hexgpu_request requests[1024];
    hexgpu_completion done[1024];
    hexgpu_move_search_begin(s, board, rng, deadline);
    for (;;) {
        int n = hexgpu_move_search_gather(s, requests, 0, err);
        if (n < 0) return err ? err->status : HEXGPU_ERR_INTERNAL;
        if (n == 0) return HEXGPU_OK;
        hexgpu_status st = hexgpu_engine_submit(engine, queue, requests, (size_t)n, err);
        if (st != HEXGPU_OK) {
            s->outstanding = 0; /* nothing was submitted */
            return st;
        }
        /* After a failed completion the rest of the round is still collected (its outputs
         * point into this search) but nothing is backed up. */
        hexgpu_status failed = HEXGPU_OK;
        while (s->outstanding > 0) {
            size_t got = 0;
            hexgpu_queue_wait(queue, done, (size_t)n, -1, &got);
            if (got == 0) break; /* nothing left on the queue: cannot happen while outstanding */
            for (size_t i = 0; i < got; i++) {
                if (done[i].status != HEXGPU_OK && failed == HEXGPU_OK) {
                    failed = done[i].status;
                    hexgpu_queue_last_error(queue, err);
                }
                if (failed == HEXGPU_OK) hexgpu_move_search_arrived(s);
                else s->outstanding--;
            }
        }
        if (failed != HEXGPU_OK) return failed;
    }
}

int hexgpu_move_search_choose(hexgpu_move_search *s, float *value) {
    int move = hexgpu_mcts_choose(&s->mcts);
    if (value) {
        int cells[HEXGPU_MAX_CELLS];
        float values[HEXGPU_MAX_CELLS];
        int count = hexgpu_mcts_root_children(&s->mcts, cells, NULL, values, NULL);
        *value = s->mcts.root_value;
        for (int i = 0; i < count; i++)
            if (cells[i] == move) *value = values[i];
    }
    return move;
}
