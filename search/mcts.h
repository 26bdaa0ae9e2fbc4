/* Monte Carlo tree search for one game: PUCT with virtual loss so several leaves can be
 * evaluated at once, Dirichlet noise or Gumbel sequential halving at the root, and the
 * choice of the move to play. The search never calls the network itself: it hands out
 * leaves (gather) and takes their evaluations back (apply), so the caller can batch the
 * leaves of many games through the engine's async API. */
#pragma once

#include <stdint.h>

#include "hexgpu.h"
#include "hex/board.h"
#include "search/gumbel.h"

typedef struct hexgpu_mcts_config {
    int simulations;         /* visits per move, every one counted */
    float c_puct;            /* 1.5 */
    int gumbel;              /* 1: Gumbel root selection when simulations <= 750 */
    float dirichlet_alpha;   /* 0.3 (PUCT mode only) */
    float dirichlet_epsilon; /* 0.25; 0 = no noise */
    float temperature;       /* T0 = 0.5 */
    float temperature_end;   /* T1 = 0.01 */
    int tree_reuse;          /* 1: the next move's search starts from the played child's subtree */
    float early_stop;        /* > 0: a move's search ends once |root value| >= this (after an
                                eighth of its simulations); 0 = off (the reference uses 0.85) */
} hexgpu_mcts_config;

void hexgpu_mcts_config_default(hexgpu_mcts_config *config);
/* 1 when a search with config uses Gumbel root selection. */
int hexgpu_mcts_uses_gumbel(const hexgpu_mcts_config *config);
/* T = T0 * (T1/T0)^min(move/50, 1), move = stones on the board. */
double hexgpu_mcts_temperature(const hexgpu_mcts_config *config, int move);

enum { HEXGPU_NODE_NEW = 0, HEXGPU_NODE_PENDING, HEXGPU_NODE_EXPANDED, HEXGPU_NODE_TERMINAL };

/* A node of the pool. value_sum is from the view of the player who moved into the node,
 * so a parent picks the child with the highest mean. Children are contiguous:
 * first_child .. first_child + child_count - 1. */
typedef struct hexgpu_mcts_node {
    float prior;
    float value_sum;
    int32_t visits;
    int32_t first_child; /* -1 until the node's legal moves are known */
    int32_t parent;      /* -1 at the root */
    int16_t move;        /* the cell played to reach the node */
    int16_t child_count;
    int16_t virtual_loss; /* simulations in flight through this node */
    uint8_t state;        /* HEXGPU_NODE_* */
    uint8_t to_move;      /* side to move at the node */
} hexgpu_mcts_node;

/* A leaf waiting for the network: which node, and the position to evaluate. */
typedef struct hexgpu_mcts_leaf {
    int32_t node;
    hexgpu_position position;
} hexgpu_mcts_leaf;

/* One game's search. Not thread safe; one search per thread at a time. The node pool
 * grows on demand and is reused from move to move. With tree_reuse the subtree of the
 * move played is kept (compacted to the front of the pool) and the next search adds its
 * simulations to it; a subtree with more than HEXGPU_MCTS_REUSE_MAX_FACTOR times the
 * simulations of a move in visits is dropped instead, so the pool's size is bounded by
 * the simulations per move, not by the length of the game. */
#define HEXGPU_MCTS_REUSE_MAX_FACTOR 2
typedef struct hexgpu_mcts {
    hexgpu_mcts_config config;
    int use_gumbel;
    hexgpu_board board; /* the root position; descents play and undo on it */
    hexgpu_mcts_node *nodes;
    int32_t node_count, node_capacity;
    int simulations_done; /* backed-up simulations of this move */
    int in_flight;        /* leaves handed out and not yet applied */
    float root_value;     /* the network's value of the root, for the side to move */
    hexgpu_rng *rng;
    hexgpu_gumbel gumbel;
    int gumbel_order[HEXGPU_MAX_CELLS];
    float gumbel_noise[HEXGPU_MAX_CELLS], gumbel_logit[HEXGPU_MAX_CELLS];
    int used[HEXGPU_MAX_CELLS];     /* scratch: root child visits + in flight */
    double q01[HEXGPU_MAX_CELLS];   /* scratch: root child values in [0,1] */
    int base_visits[HEXGPU_MAX_CELLS]; /* root child visits kept from the previous move: Gumbel
                                          halving schedules this move's simulations only */
    int reused_visits;    /* the root's visits when the search began (0 for a fresh tree) */
    int budget;           /* this move's simulations (the config's unless begin_budget said otherwise) */
    int noise;            /* root noise on for this move */
} hexgpu_mcts;

/* An upper bound of one search's memory with config on an n x n board (the struct and
 * its node pool at its largest), in bytes. */
double hexgpu_mcts_memory_bytes(const hexgpu_mcts_config *config, int board_size);

/* Allocates the node pool. On failure nothing is left allocated. */
hexgpu_status hexgpu_mcts_create(hexgpu_mcts *search, const hexgpu_mcts_config *config, hexgpu_error *err);
void hexgpu_mcts_destroy(hexgpu_mcts *search);

/* Starts the search of a move from board (copied; it must not be won). rng is borrowed
 * for the search's noise. */
void hexgpu_mcts_begin(hexgpu_mcts *search, const hexgpu_board *board, hexgpu_rng *rng);

/* Starts the search of the next move after `move` was played from the current root:
 * board is the root's position with that move played (not won). With tree_reuse and the
 * move's child already expanded (and not over the reuse bound), its subtree becomes the
 * new tree: its visits and values stay, root noise (Dirichlet or Gumbel) is drawn anew,
 * and this move's simulations come on top. Otherwise the same as begin. Returns 1 when
 * the subtree was kept. */
int hexgpu_mcts_begin_after(hexgpu_mcts *search, int move, const hexgpu_board *board, hexgpu_rng *rng);

/* begin / begin_after with this move's budget: `simulations` (>= 1) instead of the
 * config's, and root noise (Dirichlet or Gumbel) only when `noise` is set. Playout-cap
 * randomisation runs most moves as cheap searches this way. after_move < 0: begin. */
int hexgpu_mcts_begin_budget(hexgpu_mcts *search, int after_move, const hexgpu_board *board, hexgpu_rng *rng,
                             int simulations, int noise);

/* Hands out up to max leaves to evaluate (virtual loss keeps their paths apart).
 * Simulations that end at a won position are backed up at once (no network call).
 * Returns how many leaves were written, or -1 when the pool could not grow (err says
 * so). Returns 0 when the search is done, or when it must wait for leaves in flight (a
 * selection reached a leaf already being evaluated: never evaluated twice, and the
 * simulation is not spent). The first leaf of a move is its root, which is not a
 * simulation. */
int hexgpu_mcts_gather(hexgpu_mcts *search, hexgpu_mcts_leaf *leaves, int max, hexgpu_error *err);

/* The evaluation of a leaf handed out by gather: value is the network's (Red's view),
 * policy [n*n] its probabilities (only legal cells are read; renormalised over them). */
void hexgpu_mcts_apply(hexgpu_mcts *search, int32_t node, float value, const float *policy);

/* 1 when every simulation of the move has been backed up, or (early_stop) the root's
 * value has passed the threshold with nothing in flight. */
int hexgpu_mcts_done(const hexgpu_mcts *search);

/* The move to play once done: the surviving Gumbel candidate, or (PUCT) a draw from the
 * visit counts at the scheduled temperature. */
int hexgpu_mcts_choose(hexgpu_mcts *search);

/* Training targets of a finished search, over all n*n cells (0 on occupied ones):
 * visits: the root's visit distribution (sums to 1); improved: in Gumbel mode the
 * improved policy softmax(log prior + sigma(completed Q)) of Gumbel AlphaZero (completed
 * Q: a child's mean value, the root's value where unvisited; sigma as the halving uses),
 * in PUCT mode the visit distribution; *root_value: the root's mean value for its side to
 * move after the search. Any output may be NULL. */
void hexgpu_mcts_targets(const hexgpu_mcts *search, float *visits, float *improved, float *root_value);

/* The root's children as (cell, visits); returns the child count. cells and visits
 * need room for n*n entries. */
int hexgpu_mcts_root_visits(const hexgpu_mcts *search, int *cells, int *visits);

/* The root's children with what the search knows of them, for players and analysis:
 * cell, completed visits, mean value for the side to move at the root (-1..1; the root's
 * own network value while unvisited) and prior (after any root noise). Any array may be
 * NULL; each needs room for n*n entries. Returns the child count (0 before the root's
 * evaluation has been applied). May be called during a search (nothing in flight is
 * counted) or after it. */
int hexgpu_mcts_root_children(const hexgpu_mcts *search, int *cells, int *visits, float *values, float *priors);
