/* Elo and SPRT for win/loss results (Hex has no draws, so the trinomial model engine
 * testers use for chess reduces to a binomial one). */
#include "play/elo.h"

#include <math.h>

double hexgpu_elo_score(double elo) { return 1.0 / (1.0 + pow(10.0, -elo / 400.0)); }

double hexgpu_elo_from_score(double score) {
    if (score <= 0.0) return -INFINITY;
    if (score >= 1.0) return INFINITY;
    return -400.0 * log10(1.0 / score - 1.0);
}

void hexgpu_elo_estimate_of(int64_t wins, int64_t losses, hexgpu_elo_estimate *out) {
    const double z = 1.959963984540054; /* the normal 97.5% quantile */
    int64_t n = wins + losses;
    out->games = n;
    if (n <= 0) {
        out->score = 0.5;
        out->elo = 0.0, out->elo_low = -INFINITY, out->elo_high = INFINITY;
        return;
    }
    double p = (double)wins / (double)n, nn = (double)n;
    /* Wilson: stays inside (0, 1) and is not degenerate when every game went one way, unlike
     * p +- z*sqrt(p(1-p)/n). */
    double centre = (p + z * z / (2.0 * nn)) / (1.0 + z * z / nn);
    double half = z / (1.0 + z * z / nn) * sqrt(p * (1.0 - p) / nn + z * z / (4.0 * nn * nn));
    out->score = p;
    out->elo = hexgpu_elo_from_score(p);
    out->elo_low = wins == 0 ? -INFINITY : hexgpu_elo_from_score(centre - half);
    out->elo_high = losses == 0 ? INFINITY : hexgpu_elo_from_score(centre + half);
}

double hexgpu_sprt_llr(const hexgpu_sprt *sprt, int64_t wins, int64_t losses) {
    double p0 = hexgpu_elo_score(sprt->elo0), p1 = hexgpu_elo_score(sprt->elo1);
    return (double)wins * log(p1 / p0) + (double)losses * log((1.0 - p1) / (1.0 - p0));
}

void hexgpu_sprt_bounds(const hexgpu_sprt *sprt, double *lower, double *upper) {
    *lower = log(sprt->beta / (1.0 - sprt->alpha));
    *upper = log((1.0 - sprt->beta) / sprt->alpha);
}

hexgpu_sprt_verdict hexgpu_sprt_decide(const hexgpu_sprt *sprt, int64_t wins, int64_t losses) {
    double lower, upper, llr = hexgpu_sprt_llr(sprt, wins, losses);
    hexgpu_sprt_bounds(sprt, &lower, &upper);
    if (llr >= upper) return HEXGPU_SPRT_H1;
    if (llr <= lower) return HEXGPU_SPRT_H0;
    return HEXGPU_SPRT_CONTINUE;
}

const char *hexgpu_sprt_verdict_name(hexgpu_sprt_verdict verdict) {
    return verdict == HEXGPU_SPRT_H1 ? "H1" : verdict == HEXGPU_SPRT_H0 ? "H0" : "continue";
}
