/* One move's search for a player (HTP genmove, match games): the self-play search
 * (search/mcts.h) bounded by its simulations and, optionally, a deadline, with its
 * leaves handed out in rounds as engine requests. Many searches can share one engine and
 * completion queue (a match's games in flight), or one search can run on its own
 * (hexgpu_move_search_run). */
#pragma once

#include "hexgpu.h"
#include "search/mcts.h"

/* Not thread safe; one thread drives a search. */
typedef struct hexgpu_move_search {
    hexgpu_mcts mcts;
    int max_leaves, cells;
    hexgpu_mcts_leaf *leaves; /* [max_leaves]: the round in flight */
    float *value, *policy;    /* [max_leaves], [max_leaves][cells]: its outputs */
    int leaf_count, outstanding;
    int rounds;      /* rounds backed up; the root is expanded once this is >= 1 */
    int stopped;     /* the deadline passed: no more rounds */
    double deadline; /* hexgpu_timer_now_seconds() seconds; 0 = none */
} hexgpu_move_search;

/* config as for hexgpu_mcts_create; max_leaves (1..1024) leaves per round, kept apart by
 * virtual loss; size n of the n x n board. On failure nothing is left allocated. */
hexgpu_status hexgpu_move_search_create(hexgpu_move_search *s, const hexgpu_mcts_config *config, int max_leaves,
                                        int size, hexgpu_error *err);
void hexgpu_move_search_destroy(hexgpu_move_search *s);

/* Starts the search of board (not won). rng is borrowed for the search's noise (none
 * with temperature 0 and no Dirichlet epsilon: then the search is deterministic).
 * deadline: stop starting rounds after this time (0 = only the simulations bound); the
 * root is evaluated even after it, so a move can always be chosen. */
void hexgpu_move_search_begin(hexgpu_move_search *s, const hexgpu_board *board, hexgpu_rng *rng, double deadline);

/* Hands out the next round: writes requests[0..n) for the search's leaves (outputs into
 * the search's buffers, tags tag, tag+1, ...) and returns n. 0 when the search is
 * finished; -1 on failure (err filled: the node pool could not grow, or the search
 * stalled). Call only when nothing is outstanding; requests needs room for max_leaves. */
int hexgpu_move_search_gather(hexgpu_move_search *s, hexgpu_request *requests, uint64_t tag, hexgpu_error *err);

/* One request of the round completed successfully; when it is the round's last, the
 * round is backed up (in the order handed out, so completion order does not matter). */
void hexgpu_move_search_arrived(hexgpu_move_search *s);

/* 1 when the root is expanded, nothing is outstanding and the simulations are spent or
 * the deadline has passed. */
int hexgpu_move_search_finished(const hexgpu_move_search *s);

/* Runs a whole search of board on engine through queue (which must have nothing else
 * outstanding). On failure (an engine error) err says what. */
hexgpu_status hexgpu_move_search_run(hexgpu_move_search *s, hexgpu_engine *engine, hexgpu_queue *queue,
                                     const hexgpu_board *board, hexgpu_rng *rng, double deadline, hexgpu_error *err);

/* After a finished search: the move to play (hexgpu_mcts_choose) and, in *value, the
 * search's mean value of that move for the side to move (-1..1). */
int hexgpu_move_search_choose(hexgpu_move_search *s, float *value);
