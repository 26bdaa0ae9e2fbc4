/* One engine move for the web routes: the network's view of the position, an immediate
 * win played at once, else the search (search/move_search.h) with the client's settings,
 * and what the page shows of it (root children with visits, Q and prior, principal
 * variation, tree size). */
#pragma once

#include "hexgpu.h"
#include "hex/board.h"

typedef struct hexgpu_engine_move_params {
    int simulations;
    double c_puct;
    double temperature, temperature_end; /* T0, T1 of the schedule T(k) = T0 (T1/T0)^min(k/50, 1) */
    int gumbel;                          /* Gumbel root selection (when simulations allow it) */
    int noise;                           /* Dirichlet noise at the root (PUCT only) */
    double max_seconds;                  /* stop starting rounds after this (0: no limit) */
    uint64_t seed;
} hexgpu_engine_move_params;

#define HEXGPU_ENGINE_MOVE_PV 32

typedef struct hexgpu_engine_move_result {
    int move;        /* the cell to play */
    int immediate;   /* 1: an immediately winning move, played without search */
    int gumbel_used;
    int children;    /* root children below (0 with immediate) */
    int cells[HEXGPU_MAX_CELLS], visits[HEXGPU_MAX_CELLS];
    float q[HEXGPU_MAX_CELLS];     /* mean value for the side to move, -1..1 */
    float prior[HEXGPU_MAX_CELLS]; /* after any root noise */
    int total_visits, nodes, max_depth;
    int evaluations;               /* the root's evaluation plus the simulations backed up */
    float root_value;              /* the search's value for the side to move (the network's with immediate) */
    float best_child_value;        /* the highest child mean, side to move */
    double temperature;            /* T(k) of this position */
    int pv[HEXGPU_ENGINE_MOVE_PV], pv_len;
    double seconds;
    /* The network at the root: value in Red's view, policy over empty cells, raw logits. */
    float net_value;
    float net_policy[HEXGPU_MAX_CELLS], net_logits[HEXGPU_MAX_CELLS];
} hexgpu_engine_move_result;

/* Chooses the move for the side to move of board (not won). */
hexgpu_status hexgpu_engine_move_run(hexgpu_engine *engine, const hexgpu_board *board,
                                     const hexgpu_engine_move_params *params, hexgpu_engine_move_result *result,
                                     hexgpu_error *err);

/* The index in result->cells of the most visited child (-1 when none). */
int hexgpu_engine_move_most_visited(const hexgpu_engine_move_result *result);
