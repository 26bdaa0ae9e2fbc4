/* The error measures and limits behind `hexgpu check`: known errors give the expected
 * figures, and each limit that is missed is the one named. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "check/accuracy.h"

enum { BOARDS = 200, CELLS = 4 };

typedef struct outputs {
    float policy[BOARDS * CELLS], logits[BOARDS * CELLS], value[BOARDS];
} outputs;

/* Board b: logits (1, -2, 0.5, b / 100), policy favouring cell 0, value 0.5 - b / 1000. */
static void reference(outputs *o) {
    for (int b = 0; b < BOARDS; b++) {
        const float logits[CELLS] = {1.0f, -2.0f, 0.5f, (float)b / 100}, policy[CELLS] = {0.5f, 0.1f, 0.3f, 0.1f};
        memcpy(o->logits + b * CELLS, logits, sizeof logits);
        memcpy(o->policy + b * CELLS, policy, sizeof policy);
        o->value[b] = 0.5f - (float)b / 1000;
    }
}

static hexgpu_accuracy measure(const outputs *a, const outputs *ref) {
    hexgpu_accuracy acc;
    hexgpu_error err;
    hexgpu_accuracy_outputs x = {a->policy, a->logits, a->value}, y = {ref->policy, ref->logits, ref->value};
    cr_assert_eq(hexgpu_accuracy_measure(&x, &y, BOARDS, CELLS, &acc, &err), HEXGPU_OK, "%s", err.message);
    cr_assert_eq(acc.boards, BOARDS);
    return acc;
}

Test(accuracy, equal_outputs_pass_both_precisions) {
    static outputs ref;
    reference(&ref);
    hexgpu_accuracy acc = measure(&ref, &ref);
    cr_assert_eq(acc.value_abs_max, 0.0);
    cr_assert_eq(acc.logits_rel_max, 0.0);
    cr_assert_eq(acc.same_best, BOARDS);
    cr_assert_eq(acc.same_best_fraction, 1.0);
    hexgpu_accuracy_limits fp32 = hexgpu_accuracy_limits_for(HEXGPU_PRECISION_FP32);
    hexgpu_accuracy_limits fp16 = hexgpu_accuracy_limits_for(HEXGPU_PRECISION_FP16);
    cr_assert(fp32.value_abs == 1e-4 && fp32.logits_rel == 1e-4 && fp32.same_best == 0.995);
    cr_assert(fp16.value_abs == 2e-3 && fp16.logits_rel == 2e-3 && fp16.same_best == 0.995);
    cr_assert_null(hexgpu_accuracy_verdict(&acc, &fp32));
    cr_assert_null(hexgpu_accuracy_verdict(&acc, &fp16));
}

/* Errors of 5e-4 on the logits of boards 0..9 (scale 2: relative 2.5e-4) and 1e-3 on the
 * value of board 7: within the fp16 limits, beyond the fp32 ones; max and p99 (the 198th
 * of 200 sorted errors) as computed by hand. */
Test(accuracy, known_errors_give_max_p99_and_the_failed_metric) {
    static outputs ref, a;
    reference(&ref);
    a = ref;
    for (int b = 0; b < 10; b++) a.logits[b * CELLS + 1] += 5e-4f;
    a.value[7] += 1e-3f;
    hexgpu_accuracy acc = measure(&a, &ref);
    cr_assert(fabs(acc.logits_rel_max - 2.5e-4) < 1e-6, "logits max %g", acc.logits_rel_max);
    cr_assert(fabs(acc.logits_rel_p99 - 2.5e-4) < 1e-6, "10 of 200 boards are off, so is p99: %g", acc.logits_rel_p99);
    cr_assert(fabs(acc.value_abs_max - 1e-3) < 1e-6, "value max %g", acc.value_abs_max);
    cr_assert_eq(acc.value_abs_p99, 0.0, "1 of 200 boards is off: p99 is 0, got %g", acc.value_abs_p99);
    cr_assert(fabs(acc.value_rel_max - 1e-3 / (0.5 - 0.007)) < 1e-5, "value rel %g", acc.value_rel_max);
    hexgpu_accuracy_limits fp32 = hexgpu_accuracy_limits_for(HEXGPU_PRECISION_FP32);
    hexgpu_accuracy_limits fp16 = hexgpu_accuracy_limits_for(HEXGPU_PRECISION_FP16);
    cr_assert_null(hexgpu_accuracy_verdict(&acc, &fp16));
    cr_assert_str_eq(hexgpu_accuracy_verdict(&acc, &fp32), "value abs error");
    a.value[7] = ref.value[7];
    acc = measure(&a, &ref);
    cr_assert_str_eq(hexgpu_accuracy_verdict(&acc, &fp32), "logits rel error");
    cr_assert_null(hexgpu_accuracy_verdict(&acc, &fp16));
}

/* One board in 200 with another best move is 99.5%: the limit exactly; two fail. A near
 * tie (within 1e-3) counts as the same move. */
Test(accuracy, best_move_agreement_and_near_ties) {
    static outputs ref, a;
    reference(&ref);
    a = ref;
    hexgpu_accuracy_limits fp16 = hexgpu_accuracy_limits_for(HEXGPU_PRECISION_FP16);
    a.policy[3 * CELLS + 2] = 0.9f; /* board 3: cell 2 over cell 0 */
    hexgpu_accuracy acc = measure(&a, &ref);
    cr_assert_eq(acc.same_best, BOARDS - 1);
    cr_assert_null(hexgpu_accuracy_verdict(&acc, &fp16), "99.5%% meets the limit");
    a.policy[4 * CELLS + 3] = 0.9f;
    acc = measure(&a, &ref);
    cr_assert_eq(acc.same_best, BOARDS - 2);
    cr_assert_str_eq(hexgpu_accuracy_verdict(&acc, &fp16), "same best move");
    ref.policy[4 * CELLS + 3] = 0.4996f; /* the reference's cell 3 within 1e-3 of its cell 0 */
    acc = measure(&a, &ref);
    cr_assert_eq(acc.same_best, BOARDS - 1, "a near tie counts as agreement");
    cr_assert_eq(hexgpu_accuracy_same_best(a.policy + 4 * CELLS, ref.policy + 4 * CELLS, CELLS, 0.0), 0);
}

/* A NaN anywhere is an infinite error: it fails, never hides behind fmax. */
Test(accuracy, not_finite_outputs_fail) {
    static outputs ref, a;
    reference(&ref);
    a = ref;
    a.logits[50 * CELLS + 2] = NAN;
    hexgpu_accuracy acc = measure(&a, &ref);
    cr_assert(isinf(acc.logits_rel_max), "logits %g", acc.logits_rel_max);
    hexgpu_accuracy_limits fp16 = hexgpu_accuracy_limits_for(HEXGPU_PRECISION_FP16);
    cr_assert_str_eq(hexgpu_accuracy_verdict(&acc, &fp16), "logits rel error");
    a = ref;
    a.value[0] = NAN;
    acc = measure(&a, &ref);
    cr_assert(isinf(acc.value_abs_max));
    cr_assert_str_eq(hexgpu_accuracy_verdict(&acc, &fp16), "value abs error");
}
