/* Match statistics for a game without draws: the Elo difference from wins and losses with
 * a 95% interval, and the sequential probability ratio test (SPRT) between two Elo
 * hypotheses, as engine testers use them to decide whether a change is stronger. */
#pragma once

#include <stdint.h>

/* The score (expected share of wins) of a player elo points stronger: 1/(1+10^(-elo/400)). */
double hexgpu_elo_score(double elo);
/* The inverse: -400*log10(1/score - 1); -INFINITY at 0 and +INFINITY at 1. */
double hexgpu_elo_from_score(double score);

typedef struct hexgpu_elo_estimate {
    int64_t games;
    double score;           /* wins / games (0.5 with no game) */
    double elo;             /* from score; infinite when every game went one way */
    double elo_low, elo_high; /* 95% interval: the Wilson score interval mapped to Elo */
} hexgpu_elo_estimate;

void hexgpu_elo_estimate_of(int64_t wins, int64_t losses, hexgpu_elo_estimate *out);

typedef enum hexgpu_sprt_verdict {
    HEXGPU_SPRT_CONTINUE = 0, /* neither bound reached */
    HEXGPU_SPRT_H0,           /* elo <= elo0 accepted: not (enough) stronger */
    HEXGPU_SPRT_H1            /* elo >= elo1 accepted: stronger */
} hexgpu_sprt_verdict;

/* H0: elo = elo0 against H1: elo = elo1 (elo0 < elo1), with error rates alpha (accepting
 * H1 when H0 holds) and beta (the reverse), both in (0, 0.5). */
typedef struct hexgpu_sprt {
    double elo0, elo1, alpha, beta;
} hexgpu_sprt;

/* The log-likelihood ratio of H1 to H0 after wins and losses (binomial: no draws). */
double hexgpu_sprt_llr(const hexgpu_sprt *sprt, int64_t wins, int64_t losses);
/* Wald's bounds: log(beta/(1-alpha)) below, log((1-beta)/alpha) above. */
void hexgpu_sprt_bounds(const hexgpu_sprt *sprt, double *lower, double *upper);
hexgpu_sprt_verdict hexgpu_sprt_decide(const hexgpu_sprt *sprt, int64_t wins, int64_t losses);
/* "H0", "H1" or "continue". */
const char *hexgpu_sprt_verdict_name(hexgpu_sprt_verdict verdict);
