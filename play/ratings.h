/* Ratings of many players from the wins and losses of their games (Hex has no draws):
 * the Bradley-Terry model, P(i beats j) = 1 / (1 + 10^((r_j - r_i) / 400)), fitted by
 * maximum likelihood over all games at once, as Ordo and BayesElo do, so a player's
 * rating reflects whom it played and not only its score. Ratings are relative to an
 * anchor player (rated 0) and come with 95% intervals of that difference from the
 * observed Fisher information (the inverse of the log-likelihood's negative Hessian at
 * the maximum: the normal approximation; no bootstrap).
 *
 * The maximum exists (is finite) exactly when every player who has played can be reached
 * from every other by a chain "beat someone who beat ..." (the win graph is strongly
 * connected; Zermelo, Ford). When it is not, e.g. a player won or lost every game, a weak
 * prior is added: one virtual draw (half a win each way) for every pair that played at
 * least one game (BayesElo's prior, at half its default of two draws). Players that
 * cannot be linked to the anchor through games at all (none played yet) are not rated. */
#pragma once

#include <stdint.h>

#include "hexgpu.h"

typedef struct hexgpu_rating {
    int rated;        /* 0: no chain of games links the player to the anchor; elo, low, high are NAN */
    double elo;       /* relative to the anchor (0 for the anchor itself) */
    double low, high; /* 95% interval of elo: elo -+ 1.96 standard errors (the anchor's is 0 .. 0) */
    double se;        /* standard error of elo */
    int64_t games, wins; /* the real games (the prior's virtual draws not counted) */
} hexgpu_rating;

typedef struct hexgpu_ratings_info {
    double virtual_draws; /* per pair that played: 0, or 1 when the prior was needed (or as asked) */
    int iterations;       /* Newton steps taken */
    int rated;            /* players rated (the anchor's component) */
} hexgpu_ratings_info;

/* Fits the ratings of n players (1..4096) from wins[i * n + j] = games player i won
 * against player j (>= 0; the diagonal is ignored). anchor in 0..n-1. virtual_draws < 0:
 * the rule above (0 when the maximum exists, else 1); >= 0: that many virtual draws per
 * pair that played, always. out[n] gets each player's rating; info may be NULL. Fails
 * with HEXGPU_ERR_INVALID_ARGUMENT for a bad n, anchor or count, HEXGPU_ERR_OUT_OF_MEMORY,
 * or HEXGPU_ERR_INTERNAL should Newton's method not converge (not seen in practice:
 * the log-likelihood is concave and each step is halved until it rises). */
hexgpu_status hexgpu_ratings_fit(int n, const int64_t *wins, int anchor, double virtual_draws, hexgpu_rating *out,
                                 hexgpu_ratings_info *info, hexgpu_error *err);
