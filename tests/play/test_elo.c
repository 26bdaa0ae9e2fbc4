/* Elo from wins and losses (the Wilson 95% interval mapped to Elo) and the SPRT's
 * log-likelihood ratio, bounds and verdicts, against values computed independently. */
#include <criterion/criterion.h>
#include <math.h>

#include "play/elo.h"

Test(elo, score_and_elo_are_inverse) {
    cr_assert_float_eq(hexgpu_elo_score(0.0), 0.5, 1e-12);
    cr_assert_float_eq(hexgpu_elo_score(400.0), 10.0 / 11.0, 1e-12);
    cr_assert_float_eq(hexgpu_elo_from_score(0.75), 400.0 * log10(3.0), 1e-9);
    for (double e = -600.0; e <= 600.0; e += 50.0)
        cr_assert_float_eq(hexgpu_elo_from_score(hexgpu_elo_score(e)), e, 1e-7);
    cr_assert(isinf(hexgpu_elo_from_score(1.0)) && hexgpu_elo_from_score(1.0) > 0);
    cr_assert(isinf(hexgpu_elo_from_score(0.0)) && hexgpu_elo_from_score(0.0) < 0);
}

Test(elo, wilson_interval) {
    hexgpu_elo_estimate e;
    hexgpu_elo_estimate_of(15, 5, &e);
    cr_assert_eq(e.games, 20);
    cr_assert_float_eq(e.score, 0.75, 1e-12);
    cr_assert_float_eq(e.elo, 190.848501887865, 1e-6);
    cr_assert_float_eq(e.elo_low, 21.777332724727007, 1e-6);
    cr_assert_float_eq(e.elo_high, 359.91967105100275, 1e-6);
    /* Every game won: the estimate is infinite, the lower bound is not. */
    hexgpu_elo_estimate_of(20, 0, &e);
    cr_assert(isinf(e.elo) && isinf(e.elo_high));
    cr_assert_float_eq(e.elo_low, 286.61352544948346, 1e-6);
    hexgpu_elo_estimate_of(0, 20, &e);
    cr_assert_float_eq(e.elo_high, -286.61352544948346, 1e-6);
    hexgpu_elo_estimate_of(0, 0, &e);
    cr_assert_eq(e.games, 0);
    cr_assert_float_eq(e.elo, 0.0, 1e-12);
}

Test(elo, sprt_bounds_and_verdicts) {
    hexgpu_sprt s = {.elo0 = 0.0, .elo1 = 100.0, .alpha = 0.05, .beta = 0.05};
    double lower, upper;
    hexgpu_sprt_bounds(&s, &lower, &upper);
    cr_assert_float_eq(upper, log(19.0), 1e-12);
    cr_assert_float_eq(lower, -log(19.0), 1e-12);
    cr_assert_float_eq(hexgpu_sprt_llr(&s, 12, 0), 2.9635396195973227, 1e-9);
    cr_assert_float_eq(hexgpu_sprt_llr(&s, 0, 9), -2.958161744538612, 1e-9);
    cr_assert_eq(hexgpu_sprt_decide(&s, 11, 0), HEXGPU_SPRT_CONTINUE);
    cr_assert_eq(hexgpu_sprt_decide(&s, 12, 0), HEXGPU_SPRT_H1);
    cr_assert_eq(hexgpu_sprt_decide(&s, 0, 9), HEXGPU_SPRT_H0);
    cr_assert_eq(hexgpu_sprt_decide(&s, 50, 50), HEXGPU_SPRT_H0); /* an even score is evidence for elo 0 */
    cr_assert_str_eq(hexgpu_sprt_verdict_name(HEXGPU_SPRT_H1), "H1");
    cr_assert_str_eq(hexgpu_sprt_verdict_name(HEXGPU_SPRT_CONTINUE), "continue");
}
