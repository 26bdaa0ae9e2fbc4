/* Bradley-Terry ratings (play/ratings.c) against answers found another way: closed forms
 * (two players: 400 log10(wins/losses) with the binomial standard error; three players
 * whose scores are exactly the model's probabilities), Hunter's MM algorithm (a
 * different fixed-point iteration for the same maximum) on made-up results, and the
 * covariance against the inverse of a finite-difference Hessian of the log-likelihood
 * written out here. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "play/ratings.h"

#define ELO (400.0 / log(10.0))

/* Hunter (2004): gamma_i <- W_i / sum_j n_ij / (gamma_i + gamma_j), on wins plus half
 * of `draws` each way per pair that met. Elo relative to the anchor. */
static void mm_ratings(int n, const int64_t *wins, double draws, int anchor, double *elo) {
    double gamma[16], next[16];
    for (int i = 0; i < n; i++) gamma[i] = 1.0;
    for (int it = 0; it < 200000; it++) {
        double change = 0.0;
        for (int i = 0; i < n; i++) {
            double w = 0.0, d = 0.0;
            for (int j = 0; j < n; j++) {
                if (j == i || wins[i * n + j] + wins[j * n + i] == 0) continue;
                double nij = (double)(wins[i * n + j] + wins[j * n + i]) + draws;
                w += (double)wins[i * n + j] + draws / 2.0;
                d += nij / (gamma[i] + gamma[j]);
            }
            next[i] = w / d;
        }
        for (int i = 0; i < n; i++) {
            change = fmax(change, fabs(log(next[i] / next[anchor]) - log(gamma[i] / gamma[anchor])));
            gamma[i] = next[i];
        }
        if (change < 1e-13) break;
    }
    for (int i = 0; i < n; i++) elo[i] = ELO * log(gamma[i] / gamma[anchor]);
}

static hexgpu_rating *fit(int n, const int64_t *wins, int anchor, double draws, hexgpu_ratings_info *info) {
    hexgpu_rating *r = calloc((size_t)n, sizeof *r);
    hexgpu_error err = {0};
    cr_assert_eq(hexgpu_ratings_fit(n, wins, anchor, draws, r, info, &err), HEXGPU_OK, "%s", err.message);
    return r;
}

Test(ratings, two_players_closed_form) {
    const int64_t wins[4] = {0, 30, 10, 0}; /* player 0 won 30 of 40 */
    hexgpu_ratings_info info;
    hexgpu_rating *r = fit(2, wins, 1, -1.0, &info);
    double diff = 400.0 * log10(30.0 / 10.0);
    cr_assert_float_eq(r[0].elo, diff, 1e-9);
    cr_assert_float_eq(r[1].elo, 0.0, 1e-12);
    /* var(theta) = 1 / (n p (1-p)) */
    double se = ELO / sqrt(40.0 * 0.75 * 0.25);
    cr_assert_float_eq(r[0].se, se, 1e-9);
    cr_assert_float_eq(r[0].low, diff - 1.959963984540054 * se, 1e-9);
    cr_assert_float_eq(r[0].high, diff + 1.959963984540054 * se, 1e-9);
    cr_assert(r[1].se == 0.0 && r[1].low == 0.0 && r[1].high == 0.0);
    cr_assert_eq(r[0].games, 40);
    cr_assert_eq(r[0].wins, 30);
    cr_assert_eq(r[1].wins, 10);
    cr_assert_eq(info.virtual_draws, 0.0);
    cr_assert_eq(info.rated, 2);
    free(r);
    /* The other anchor: the same difference, the other sign. */
    r = fit(2, wins, 0, -1.0, NULL);
    cr_assert_float_eq(r[1].elo, -diff, 1e-9);
    free(r);
}

/* Strengths 1, 2, 4 and scores that are exactly the model's: 2/3, 4/5, 2/3. */
Test(ratings, three_players_at_the_model_probabilities) {
    int64_t w[9] = {0};
    w[1 * 3 + 0] = 20, w[0 * 3 + 1] = 10;
    w[2 * 3 + 0] = 24, w[0 * 3 + 2] = 6;
    w[2 * 3 + 1] = 20, w[1 * 3 + 2] = 10;
    hexgpu_rating *r = fit(3, w, 0, -1.0, NULL);
    cr_assert_float_eq(r[0].elo, 0.0, 1e-12);
    cr_assert_float_eq(r[1].elo, 400.0 * log10(2.0), 1e-8);
    cr_assert_float_eq(r[2].elo, 400.0 * log10(4.0), 1e-8);
    free(r);
}

static double log_likelihood(int n, const int64_t *w, const double *theta) {
    double l = 0.0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            if (i != j) l += (double)w[i * n + j] * log(1.0 / (1.0 + exp(theta[j] - theta[i])));
    return l;
}

/* Made-up results of five players, some pairs lopsided: Newton's maximum is MM's, and
 * the standard errors are the square roots of the diagonal of the inverse of a
 * finite-difference Hessian of the log-likelihood (the four players other than the
 * anchor; inverted by Gauss-Jordan here). */
Test(ratings, five_players_match_mm_and_finite_differences) {
    const int n = 5;
    const int64_t w[25] = {
        0,  12, 7,  15, 3, /* row i: player i's wins against players 0..4 */
        8,  0,  9,  11, 2,  //
        13, 11, 0,  18, 6,  //
        5,  9,  2,  0,  1,  //
        17, 18, 14, 19, 0,
    };
    hexgpu_ratings_info info;
    hexgpu_rating *r = fit(n, w, 3, -1.0, &info);
    cr_assert_eq(info.virtual_draws, 0.0);
    double mm[5];
    mm_ratings(n, w, 0.0, 3, mm);
    for (int i = 0; i < n; i++) cr_assert_float_eq(r[i].elo, mm[i], 1e-6, "player %d: %f vs %f", i, r[i].elo, mm[i]);
    /* The Hessian of the log-likelihood over the four free players, by central
     * differences, and its inverse by Gauss-Jordan. */
    double theta[5], h[4][8];
    for (int i = 0; i < n; i++) theta[i] = r[i].elo / ELO;
    const int free_player[4] = {0, 1, 2, 4};
    const double e = 1e-4;
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 4; b++) {
            double t[5], f[4];
            for (int k = 0; k < 4; k++) {
                memcpy(t, theta, sizeof t);
                t[free_player[a]] += (k & 1 ? -e : e);
                t[free_player[b]] += (k & 2 ? -e : e);
                f[k] = log_likelihood(n, w, t);
            }
            h[a][b] = -(f[0] - f[1] - f[2] + f[3]) / (4.0 * e * e);
            h[a][4 + b] = a == b;
        }
    for (int c = 0; c < 4; c++) {
        double pivot = h[c][c];
        for (int k = 0; k < 8; k++) h[c][k] /= pivot;
        for (int row = 0; row < 4; row++) {
            if (row == c) continue;
            double factor = h[row][c];
            for (int k = 0; k < 8; k++) h[row][k] -= factor * h[c][k];
        }
    }
    for (int a = 0; a < 4; a++) {
        double se = ELO * sqrt(h[a][4 + a]);
        cr_assert_float_eq(r[free_player[a]].se, se, 1e-3 * se, "player %d: se %f vs %f", free_player[a],
                           r[free_player[a]].se, se);
    }
    /* The best player is 4, the worst 3 (the anchor, so every other rating is positive). */
    for (int i = 0; i < 4; i++) cr_assert_gt(r[4].elo, r[i].elo);
    for (int i = 0; i < 3; i++) cr_assert_gt(r[i].elo, 0.0);
    /* Another anchor moves every rating by the same amount. */
    hexgpu_rating *s = fit(n, w, 0, -1.0, NULL);
    for (int i = 0; i < n; i++) cr_assert_float_eq(s[i].elo, r[i].elo - r[0].elo, 1e-7);
    free(r), free(s);
}

/* A player who won every game, one who lost every game: no finite maximum, so the rule
 * adds one virtual draw per pair; the answer is MM's with those draws, in the right order. */
Test(ratings, perfect_scores_get_the_weak_prior) {
    const int n = 3;
    const int64_t w[9] = {0, 10, 10, 0, 0, 6, 0, 4, 0}; /* 0 beat everyone, 1 and 2 split 6-4 */
    hexgpu_ratings_info info;
    hexgpu_rating *r = fit(n, w, 1, -1.0, &info);
    cr_assert_eq(info.virtual_draws, 1.0);
    double mm[3];
    mm_ratings(n, w, 1.0, 1, mm);
    for (int i = 0; i < n; i++) cr_assert_float_eq(r[i].elo, mm[i], 1e-6);
    cr_assert(isfinite(r[0].elo) && r[0].elo > 300.0, "%f", r[0].elo);
    cr_assert_lt(r[2].elo, 0.0);
    cr_assert(isfinite(r[0].high) && r[0].low < r[0].elo);
    free(r);
    /* Two players, 10-0: the prior's closed form, 400 log10(10.5 / 0.5). */
    const int64_t two[4] = {0, 10, 0, 0};
    r = fit(2, two, 1, -1.0, &info);
    cr_assert_eq(info.virtual_draws, 1.0);
    cr_assert_float_eq(r[0].elo, 400.0 * log10(10.5 / 0.5), 1e-8);
    free(r);
    /* Asked for explicitly, the prior is used even where it is not needed. */
    const int64_t even[4] = {0, 3, 1, 0};
    r = fit(2, even, 1, 2.0, &info);
    cr_assert_eq(info.virtual_draws, 2.0);
    cr_assert_float_eq(r[0].elo, 400.0 * log10(4.0 / 2.0), 1e-8);
    free(r);
}

/* A cycle 0 > 1 > 2 > 0 with nothing else is strongly connected: no prior, all equal. */
Test(ratings, a_cycle_needs_no_prior) {
    const int64_t w[9] = {0, 5, 0, 0, 0, 5, 5, 0, 0};
    hexgpu_ratings_info info;
    hexgpu_rating *r = fit(3, w, 0, -1.0, &info);
    cr_assert_eq(info.virtual_draws, 0.0);
    for (int i = 0; i < 3; i++) cr_assert_float_eq(r[i].elo, 0.0, 1e-8);
    free(r);
}

/* Player 2 has not played: unrated, and no prior needed for the others. */
Test(ratings, players_without_games_are_not_rated) {
    const int64_t w[9] = {0, 3, 0, 1, 0, 0, 0, 0, 0};
    hexgpu_ratings_info info;
    hexgpu_rating *r = fit(3, w, 0, -1.0, &info);
    cr_assert_eq(info.rated, 2);
    cr_assert_eq(info.virtual_draws, 0.0);
    cr_assert(!r[2].rated && isnan(r[2].elo));
    cr_assert_eq(r[2].games, 0);
    cr_assert_float_eq(r[1].elo, -400.0 * log10(3.0), 1e-8);
    free(r);
    /* The anchor alone (it has not played): only it is rated. */
    r = fit(3, w, 2, -1.0, &info);
    cr_assert_eq(info.rated, 1);
    cr_assert(r[2].rated && r[2].elo == 0.0 && !r[0].rated && !r[1].rated);
    free(r);
}

Test(ratings, bad_arguments) {
    const int64_t w[4] = {0, 1, -1, 0};
    hexgpu_rating r[2];
    hexgpu_error err = {0};
    cr_assert_eq(hexgpu_ratings_fit(2, w, 0, -1.0, r, NULL, &err), HEXGPU_ERR_INVALID_ARGUMENT);
    const int64_t ok[4] = {0, 1, 1, 0};
    cr_assert_eq(hexgpu_ratings_fit(2, ok, 2, -1.0, r, NULL, &err), HEXGPU_ERR_INVALID_ARGUMENT);
    cr_assert_eq(hexgpu_ratings_fit(0, ok, 0, -1.0, r, NULL, &err), HEXGPU_ERR_INVALID_ARGUMENT);
    cr_assert_eq(hexgpu_ratings_fit(2, ok, 0, NAN, r, NULL, &err), HEXGPU_ERR_INVALID_ARGUMENT);
}
