/* Root exploration for the search: a seeded random generator with the draws it needs
 * (uniform, Gumbel, Dirichlet) and Gumbel AlphaZero's root selection by sequential halving. */
#pragma once

#include <stdint.h>

#include "hexgpu.h"
#include "base/rng.h"

/* splitmix64: one 64-bit word of state, so a game's generator is a function of its seed. */
typedef struct hexgpu_rng {
    uint64_t state;
} hexgpu_rng;

static inline uint64_t hexgpu_rng_next(hexgpu_rng *rng) {
    return hexgpu_splitmix64_next(&rng->state);
}

/* Uniform in the open interval (0, 1): safe to take the log of. */
static inline double hexgpu_rng_uniform(hexgpu_rng *rng) {
    return ((double)(hexgpu_rng_next(rng) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

/* Uniform in 0..bound-1 (bound >= 1). */
static inline int hexgpu_rng_below(hexgpu_rng *rng, int bound) {
    return (int)(hexgpu_rng_uniform(rng) * bound) % bound;
}

/* A standard Gumbel draw, -log(-log(u)). */
double hexgpu_rng_gumbel(hexgpu_rng *rng);
/* Fills out[0..count) with a Dirichlet(alpha, ..., alpha) sample (sums to 1). */
void hexgpu_rng_dirichlet(hexgpu_rng *rng, double alpha, float *out, int count);

/* Gumbel AlphaZero is used when simulations <= this (the reference system's rule). */
#define HEXGPU_GUMBEL_MAX_SIMULATIONS 750
#define HEXGPU_GUMBEL_C_VISIT 50.0
#define HEXGPU_GUMBEL_C_SCALE 1.0

/* m, the number of root actions sampled: min(legal, sims, min(48, max(8, 4 + sims/8))). */
int hexgpu_gumbel_sample_count(int legal, int simulations);

/* The root's halving state. Candidates are child indices of the root (0..legal-1). */
typedef struct hexgpu_gumbel {
    int count;            /* m */
    int remaining;        /* candidates still in play: the first `remaining` of order[] */
    int phases;           /* ceil(log2(m)), at least 1 */
    int target;           /* visits each remaining candidate gets by the end of this phase */
    int simulations;      /* the whole budget */
    int *order;           /* [legal]: candidates, best first after each halving */
    float *noise;         /* [legal]: temperature * Gumbel draw, per child */
    float *logit;         /* [legal]: log prior, per child */
} hexgpu_gumbel;

/* The score used to halve: noise + logit + sigma(q), where q is the child's mean value
 * for the root player mapped to [0,1] and sigma(q) = (c_visit + max_visits) * c_scale * q. */
double hexgpu_gumbel_score(const hexgpu_gumbel *g, int child, double q01, int max_visits);

/* Starts halving over a root with `legal` children of the given priors: draws a Gumbel
 * per child scaled by temperature (sampling without replacement from softmax(logit/T);
 * T = 1 is the paper's rule) and keeps the top m of logit + noise. order, noise and logit
 * must have room for legal entries and are owned by the caller. */
void hexgpu_gumbel_begin(hexgpu_gumbel *g, const float *prior, int legal, int simulations, double temperature,
                         hexgpu_rng *rng);

/* Which root child the next simulation must go through, given each child's completed
 * visits plus simulations in flight (used), mean values for the root player in [0,1]
 * (q01), the largest child visit count and how many simulations are in flight. Halves
 * the candidates when every remaining one has reached the phase's target and nothing is
 * in flight (so halving sees final values). Returns the child, or -1 when the next
 * simulation must wait for ones in flight or the survivor has the whole budget. */
int hexgpu_gumbel_next(hexgpu_gumbel *g, const int *used, const double *q01, int max_visits, int in_flight);

/* The action to play once the budget is spent: the surviving candidate, or the best
 * scored of the remaining ones when the budget ended inside a phase. */
int hexgpu_gumbel_choose(const hexgpu_gumbel *g, const double *q01, int max_visits);
