/* Bradley-Terry ratings by Newton's method on the log-likelihood (ratings.h). Internally
 * a rating is theta = elo * ln(10) / 400, so P(i beats j) = 1 / (1 + exp(theta_j - theta_i))
 * and, with w_ij wins of i over j and n_ij = w_ij + w_ji games,
 *   L(theta) = sum over pairs i<j of  w_ij log p_ij + w_ji log p_ji,
 *   dL/dtheta_i = sum_j (w_ij - n_ij p_ij),
 *   d2L/dtheta_i dtheta_j = n_ij p_ij p_ji (i != j), d2L/dtheta_i^2 = -sum_j n_ij p_ij p_ji.
 * The anchor's theta is fixed at 0 and the others solved for; L is concave, strictly so
 * on a connected set of players, and Newton's steps are halved until L rises. */
#include "play/ratings.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/status.h"

#define MAX_PLAYERS 4096
#define MAX_ITERATIONS 200
#define Z95 1.959963984540054 /* the normal 97.5% quantile */

static const double ELO_PER_THETA = 400.0 / 2.302585092994046; /* 400 / ln(10) */

typedef struct fit {
    int n, m;          /* players, players solved for (rated, less the anchor) */
    int *var;          /* [n]: the variable of a rated player other than the anchor, else -1 */
    double *w;         /* [n*n]: wins with the prior's half draws */
    double *theta;     /* [n] */
    double *grad, *hess, *step, *trial; /* [m], [m*m], [m], [n] */
} fit;

/* log(1 + exp(x)) without overflow. */
static double softplus(double x) { return x > 0.0 ? x + log1p(exp(-x)) : log1p(exp(x)); }

static double log_likelihood(const fit *f, const double *theta) {
    double l = 0.0;
    for (int i = 0; i < f->n; i++)
        for (int j = 0; j < f->n; j++)
            if (i != j && f->w[i * f->n + j] > 0.0) l -= f->w[i * f->n + j] * softplus(theta[j] - theta[i]);
    return l;
}

/* Gradient and negative Hessian at f->theta, over the variables. */
static void derivatives(fit *f) {
    memset(f->grad, 0, (size_t)f->m * sizeof *f->grad);
    memset(f->hess, 0, (size_t)f->m * (size_t)f->m * sizeof *f->hess);
    for (int i = 0; i < f->n; i++)
        for (int j = i + 1; j < f->n; j++) {
            double wij = f->w[i * f->n + j], wji = f->w[j * f->n + i], nij = wij + wji;
            if (nij <= 0.0) continue;
            double p = 1.0 / (1.0 + exp(f->theta[j] - f->theta[i])), info = nij * p * (1.0 - p);
            int a = f->var[i], b = f->var[j];
            if (a >= 0) f->grad[a] += wij - nij * p, f->hess[a * f->m + a] += info;
            if (b >= 0) f->grad[b] += wji - nij * (1.0 - p), f->hess[b * f->m + b] += info;
            if (a >= 0 && b >= 0) f->hess[a * f->m + b] -= info, f->hess[b * f->m + a] -= info;
        }
}

/* Cholesky factor of the m x m symmetric matrix a, in place (lower triangle); 0 when it
 * is not positive definite. */
static int cholesky(double *a, int m) {
    for (int j = 0; j < m; j++) {
        double d = a[j * m + j];
        for (int k = 0; k < j; k++) d -= a[j * m + k] * a[j * m + k];
        if (!(d > 0.0)) return 0;
        a[j * m + j] = sqrt(d);
        for (int i = j + 1; i < m; i++) {
            double s = a[i * m + j];
            for (int k = 0; k < j; k++) s -= a[i * m + k] * a[j * m + k];
            a[i * m + j] = s / a[j * m + j];
        }
    }
    return 1;
}

/* Solves L L^T x = b in place, L from cholesky. */
static void cholesky_solve(const double *l, int m, double *x) {
    for (int i = 0; i < m; i++) {
        for (int k = 0; k < i; k++) x[i] -= l[i * m + k] * x[k];
        x[i] /= l[i * m + i];
    }
    for (int i = m - 1; i >= 0; i--) {
        for (int k = i + 1; k < m; k++) x[i] -= l[k * m + i] * x[k];
        x[i] /= l[i * m + i];
    }
}

/* Marks in seen[] the players reachable from `from` along pairs with games (any
 * direction, edges = 0) or along wins (i -> j when i beat j; reverse: j -> i). */
enum { GAMES, WINS, LOSSES };
static void reach(int n, const int64_t *wins, int from, int edges, const int *inside, int *seen, int *stack) {
    int top = 0;
    memset(seen, 0, (size_t)n * sizeof *seen);
    seen[from] = 1, stack[top++] = from;
    while (top > 0) {
        int i = stack[--top];
        for (int j = 0; j < n; j++) {
            if (j == i || seen[j] || (inside && !inside[j])) continue;
            int64_t ij = wins[i * n + j], ji = wins[j * n + i];
            int linked = edges == GAMES ? ij + ji > 0 : edges == WINS ? ij > 0 : ji > 0;
            if (linked) seen[j] = 1, stack[top++] = j;
        }
    }
}

/* 1 when every player of the component can reach every other along wins. */
static int strongly_connected(int n, const int64_t *wins, int anchor, const int *component, int *seen, int *stack) {
    for (int edges = WINS; edges <= LOSSES; edges++) {
        reach(n, wins, anchor, edges, component, seen, stack);
        for (int i = 0; i < n; i++)
            if (component[i] && !seen[i]) return 0;
    }
    return 1;
}

static hexgpu_status newton(fit *f, int *iterations, hexgpu_error *err) {
    double l = log_likelihood(f, f->theta);
    for (int it = 1; it <= MAX_ITERATIONS; it++) {
        derivatives(f);
        if (!cholesky(f->hess, f->m))
            return hexgpu_error_set(err, HEXGPU_ERR_INTERNAL, "ratings: the information matrix is singular");
        memcpy(f->step, f->grad, (size_t)f->m * sizeof *f->step);
        cholesky_solve(f->hess, f->m, f->step);
        double largest = 0.0;
        for (int v = 0; v < f->m; v++) largest = fmax(largest, fabs(f->step[v]));
        /* Halve the step until the likelihood does not fall (the first full step nearly
         * always does; a far-off start can overshoot). */
        double t = 1.0, next = l;
        for (int halvings = 0; halvings < 60; halvings++, t *= 0.5) {
            for (int i = 0; i < f->n; i++) f->trial[i] = f->theta[i] + (f->var[i] >= 0 ? t * f->step[f->var[i]] : 0.0);
            next = log_likelihood(f, f->trial);
            if (next >= l - 1e-12 * fabs(l)) break;
        }
        memcpy(f->theta, f->trial, (size_t)f->n * sizeof *f->theta);
        l = next;
        *iterations = it;
        if (largest * t < 1e-10) return HEXGPU_OK;
    }
    return hexgpu_error_set(err, HEXGPU_ERR_INTERNAL, "ratings: Newton's method did not converge in %d steps",
                            MAX_ITERATIONS);
}

/* The variances of the variables: the diagonal of the inverse of the negative Hessian
 * (already factored by the last Newton step's cholesky, at a theta within 1e-10). */
static void variances(fit *f, double *variance) {
    derivatives(f);
    cholesky(f->hess, f->m);
    for (int v = 0; v < f->m; v++) {
        memset(f->step, 0, (size_t)f->m * sizeof *f->step);
        f->step[v] = 1.0;
        cholesky_solve(f->hess, f->m, f->step);
        variance[v] = f->step[v];
    }
}

hexgpu_status hexgpu_ratings_fit(int n, const int64_t *wins, int anchor, double virtual_draws, hexgpu_rating *out,
                                 hexgpu_ratings_info *info, hexgpu_error *err) {
    hexgpu_ratings_info own;
    if (!info) info = &own;
    memset(info, 0, sizeof *info);
    if (n < 1 || n > MAX_PLAYERS || anchor < 0 || anchor >= n || !(virtual_draws < 1e9))
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "ratings: %d players (1..%d), anchor %d", n,
                                MAX_PLAYERS, anchor);
    for (int i = 0; i < n * n; i++)
        if (wins[i] < 0)
            return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "ratings: a negative count of wins");
    fit f = {.n = n};
    size_t nn = (size_t)n;
    int *component = calloc(nn, sizeof *component), *seen = calloc(nn, sizeof *seen);
    int *stack = calloc(nn, sizeof *stack);
    f.var = calloc(nn, sizeof *f.var);
    f.w = calloc(nn * nn, sizeof *f.w);
    f.theta = calloc(nn, sizeof *f.theta);
    f.trial = calloc(nn, sizeof *f.trial);
    f.grad = calloc(nn, sizeof *f.grad);
    f.step = calloc(nn, sizeof *f.step);
    f.hess = calloc(nn * nn, sizeof *f.hess);
    double *variance = calloc(nn, sizeof *variance);
    hexgpu_status st = HEXGPU_OK;
    if (!component || !seen || !stack || !f.var || !f.w || !f.theta || !f.trial || !f.grad || !f.step || !f.hess ||
        !variance) {
        st = hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "ratings: no memory for %d players", n);
        goto done;
    }
    reach(n, wins, anchor, GAMES, NULL, component, stack);
    if (virtual_draws < 0.0) virtual_draws = strongly_connected(n, wins, anchor, component, seen, stack) ? 0.0 : 1.0;
    for (int i = 0; i < n; i++) {
        f.var[i] = component[i] && i != anchor ? f.m++ : -1;
        info->rated += component[i];
        out[i] = (hexgpu_rating){.rated = component[i], .elo = NAN, .low = NAN, .high = NAN, .se = NAN};
        for (int j = 0; j < n; j++) {
            if (i == j) continue;
            int64_t ij = wins[i * n + j], ji = wins[j * n + i];
            out[i].games += ij + ji, out[i].wins += ij;
            if (component[i] && ij + ji > 0) f.w[i * n + j] = (double)ij + 0.5 * virtual_draws;
        }
    }
    info->virtual_draws = virtual_draws;
    if (f.m > 0 && (st = newton(&f, &info->iterations, err)) != HEXGPU_OK) goto done;
    if (f.m > 0) variances(&f, variance);
    for (int i = 0; i < n; i++) {
        if (!component[i]) continue;
        double se = f.var[i] >= 0 ? sqrt(variance[f.var[i]]) * ELO_PER_THETA : 0.0, elo = f.theta[i] * ELO_PER_THETA;
        out[i].elo = elo, out[i].se = se;
        out[i].low = elo - Z95 * se, out[i].high = elo + Z95 * se;
    }
done:
    free(component), free(seen), free(stack), free(f.var), free(f.w), free(f.theta), free(f.trial), free(f.grad);
    free(f.step), free(f.hess), free(variance);
    return st;
}
