/* Output errors against a reference, and the limits per precision (see accuracy.h). */
#include "check/accuracy.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/status.h"

/* x, or infinity when x is not finite: a NaN must never look small. */
static double finite_or_inf(double x) { return isfinite(x) ? x : INFINITY; }

double hexgpu_accuracy_logits_error(const float *a, const float *ref, int cells) {
    double diff = 0.0, scale = 1e-12;
    for (int i = 0; i < cells; i++) {
        diff = fmax(diff, finite_or_inf(fabs((double)a[i] - (double)ref[i])));
        scale = fmax(scale, fabs((double)ref[i]));
    }
    return diff / scale;
}

int hexgpu_accuracy_same_best(const float *a_policy, const float *ref_policy, int cells, double tie) {
    int best_a = 0, best_ref = 0;
    for (int i = 1; i < cells; i++) {
        if (a_policy[i] > a_policy[best_a]) best_a = i;
        if (ref_policy[i] > ref_policy[best_ref]) best_ref = i;
    }
    return best_a == best_ref || (double)ref_policy[best_a] >= (double)ref_policy[best_ref] * (1.0 - tie);
}

static int compare_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Largest and p99 (nearest rank) of v[0..count), count >= 1; sorts v. */
static void max_and_p99(double *v, size_t count, double *max, double *p99) {
    qsort(v, count, sizeof *v, compare_double);
    size_t rank = (size_t)ceil(0.99 * (double)count);
    *max = v[count - 1];
    *p99 = v[rank > 0 ? rank - 1 : 0];
}

hexgpu_status hexgpu_accuracy_measure(const hexgpu_accuracy_outputs *a, const hexgpu_accuracy_outputs *ref,
                                      size_t count, int cells, hexgpu_accuracy *out, hexgpu_error *err) {
    memset(out, 0, sizeof *out);
    out->same_best_fraction = 1.0;
    if (count == 0) return HEXGPU_OK;
    double *abs_err = malloc(3 * count * sizeof(double)), *rel_err = abs_err + count, *logits_err = rel_err + count;
    if (!abs_err)
        return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "out of memory measuring %zu boards", count);
    size_t same = 0;
    for (size_t b = 0; b < count; b++) {
        size_t row = b * (size_t)cells;
        abs_err[b] = finite_or_inf(fabs((double)a->value[b] - (double)ref->value[b]));
        rel_err[b] = abs_err[b] / fmax(fabs((double)ref->value[b]), 0.01);
        logits_err[b] = hexgpu_accuracy_logits_error(a->logits + row, ref->logits + row, cells);
        same += (size_t)hexgpu_accuracy_same_best(a->policy + row, ref->policy + row, cells, HEXGPU_ACCURACY_TIE);
    }
    out->boards = count;
    max_and_p99(abs_err, count, &out->value_abs_max, &out->value_abs_p99);
    max_and_p99(rel_err, count, &out->value_rel_max, &out->value_rel_p99);
    max_and_p99(logits_err, count, &out->logits_rel_max, &out->logits_rel_p99);
    out->same_best = same;
    out->same_best_fraction = (double)same / (double)count;
    free(abs_err);
    return HEXGPU_OK;
}

hexgpu_accuracy_limits hexgpu_accuracy_limits_for(hexgpu_precision precision) {
    double limit = precision == HEXGPU_PRECISION_FP16 ? 2e-3 : 1e-4;
    return (hexgpu_accuracy_limits){.value_abs = limit, .logits_rel = limit, .same_best = 0.995};
}

const char *hexgpu_accuracy_verdict(const hexgpu_accuracy *acc, const hexgpu_accuracy_limits *limits) {
    if (!(acc->value_abs_max <= limits->value_abs)) return "value abs error";
    if (!(acc->logits_rel_max <= limits->logits_rel)) return "logits rel error";
    if (!(acc->same_best_fraction >= limits->same_best)) return "same best move";
    return NULL;
}
