/* Random draws for root exploration and Gumbel AlphaZero sequential halving
 * (Danihelka et al., "Policy improvement by planning with Gumbel", 2022). */
#include "search/gumbel.h"

#include <math.h>

double hexgpu_rng_gumbel(hexgpu_rng *rng) { return -log(-log(hexgpu_rng_uniform(rng))); }

static double normal(hexgpu_rng *rng) {
    return sqrt(-2.0 * log(hexgpu_rng_uniform(rng))) * cos(6.283185307179586 * hexgpu_rng_uniform(rng));
}

/* Marsaglia-Tsang; shape < 1 by the boost Gamma(a) = Gamma(a+1) * U^(1/a). */
static double gamma_draw(hexgpu_rng *rng, double shape) {
    double boost = 1.0;
    if (shape < 1.0) {
        boost = pow(hexgpu_rng_uniform(rng), 1.0 / shape);
        shape += 1.0;
    }
    double d = shape - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
    for (;;) {
        double x = normal(rng), v = 1.0 + c * x;
        if (v <= 0.0) continue;
        v = v * v * v;
        double u = hexgpu_rng_uniform(rng);
        if (log(u) < 0.5 * x * x + d - d * v + d * log(v)) return boost * d * v;
    }
}

void hexgpu_rng_dirichlet(hexgpu_rng *rng, double alpha, float *out, int count) {
    double sum = 0.0;
    double draws[HEXGPU_MAX_CELLS];
    for (int i = 0; i < count; i++) sum += draws[i] = gamma_draw(rng, alpha);
    for (int i = 0; i < count; i++) out[i] = sum > 0.0 ? (float)(draws[i] / sum) : 1.0f / (float)count;
}

int hexgpu_gumbel_sample_count(int legal, int simulations) {
    int m = 4 + simulations / 8;
    if (m < 8) m = 8;
    if (m > 48) m = 48;
    if (m > simulations) m = simulations;
    if (m > legal) m = legal;
    return m < 1 ? 1 : m;
}

double hexgpu_gumbel_score(const hexgpu_gumbel *g, int child, double q01, int max_visits) {
    return g->noise[child] + g->logit[child] + (HEXGPU_GUMBEL_C_VISIT + max_visits) * HEXGPU_GUMBEL_C_SCALE * q01;
}

/* Visits each remaining candidate gets in the phase that starts now; the survivor gets
 * whatever is left of the budget. */
static void next_phase_target(hexgpu_gumbel *g) {
    if (g->remaining == 1) {
        g->target = g->simulations;
        return;
    }
    int per = g->simulations / (g->phases * g->remaining);
    g->target += per < 1 ? 1 : per;
}

/* Sorts the first n of order by key, best first; insertion sort keeps ties in order so
 * equal scores break the same way every run (m <= 48). */
static void sort_desc(int *order, const double *key, int n) {
    for (int i = 1; i < n; i++) {
        int c = order[i];
        double k = key[c];
        int j = i;
        for (; j > 0 && key[order[j - 1]] < k; j--) order[j] = order[j - 1];
        order[j] = c;
    }
}

void hexgpu_gumbel_begin(hexgpu_gumbel *g, const float *prior, int legal, int simulations, double temperature,
                         hexgpu_rng *rng) {
    double key[HEXGPU_MAX_CELLS];
    for (int c = 0; c < legal; c++) {
        g->logit[c] = prior[c] > 0.0f ? logf(prior[c]) : -1e30f;
        g->noise[c] = (float)(temperature * hexgpu_rng_gumbel(rng));
        key[c] = (double)g->logit[c] + g->noise[c];
        g->order[c] = c;
    }
    sort_desc(g->order, key, legal);
    g->simulations = simulations;
    g->count = hexgpu_gumbel_sample_count(legal, simulations);
    g->remaining = g->count;
    g->phases = 1;
    while ((1 << g->phases) < g->count) g->phases++;
    g->target = 0;
    next_phase_target(g);
}

static void halve(hexgpu_gumbel *g, const double *q01, int max_visits) {
    double key[HEXGPU_MAX_CELLS];
    for (int i = 0; i < g->remaining; i++) {
        int c = g->order[i];
        key[c] = hexgpu_gumbel_score(g, c, q01[c], max_visits);
    }
    sort_desc(g->order, key, g->remaining);
    g->remaining = (g->remaining + 1) / 2;
    next_phase_target(g);
}

int hexgpu_gumbel_next(hexgpu_gumbel *g, const int *used, const double *q01, int max_visits, int in_flight) {
    for (;;) {
        int best = -1;
        for (int i = 0; i < g->remaining; i++) {
            int c = g->order[i];
            if (used[c] < g->target && (best < 0 || used[c] < used[best])) best = c;
        }
        if (best >= 0) return best;
        if (g->remaining == 1 || in_flight > 0) return -1;
        halve(g, q01, max_visits);
    }
}

int hexgpu_gumbel_choose(const hexgpu_gumbel *g, const double *q01, int max_visits) {
    int best = g->order[0];
    double best_score = hexgpu_gumbel_score(g, best, q01[best], max_visits);
    for (int i = 1; i < g->remaining; i++) {
        int c = g->order[i];
        double s = hexgpu_gumbel_score(g, c, q01[c], max_visits);
        if (s > best_score) best = c, best_score = s;
    }
    return best;
}
