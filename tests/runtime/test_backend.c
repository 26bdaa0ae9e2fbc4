/* runtime/backend.c: the check that a batch's outputs are finite, naming the output,
 * the position in the batch and the cell. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "runtime/backend.h"

#define BATCH 3
#define CELLS 4

static float value[BATCH], policy[BATCH * CELLS], logits[BATCH * CELLS];

static void finite_outputs(void) {
    for (int i = 0; i < BATCH; i++) value[i] = 0.5f - (float)i;
    for (int i = 0; i < BATCH * CELLS; i++) policy[i] = 0.25f, logits[i] = i % 2 ? 3e38f : -3e38f; /* huge is fine */
}

static void expect_refused(int with_logits, const char *want) {
    hexgpu_slot_buffers buf = {.value = value, .policy = policy, .logits = logits};
    hexgpu_error err = {0};
    cr_assert_eq(hexgpu_slot_outputs_check(&buf, BATCH, CELLS, with_logits, &err), HEXGPU_ERR_MODEL_FORMAT);
    cr_assert(strstr(err.message, want), "'%s' lacks '%s'", err.message, want);
}

Test(backend, outputs_check_names_output_position_and_cell) {
    hexgpu_slot_buffers buf = {.value = value, .policy = policy, .logits = logits};
    finite_outputs();
    cr_assert_eq(hexgpu_slot_outputs_check(&buf, BATCH, CELLS, 1, NULL), HEXGPU_OK);
    logits[1 * CELLS + 2] = INFINITY;
    expect_refused(1, "non-finite output: policy logit of position 1 of the batch, cell 2, is inf");
    /* Logits not copied back are not looked at. */
    cr_assert_eq(hexgpu_slot_outputs_check(&buf, BATCH, CELLS, 0, NULL), HEXGPU_OK);
    value[2] = NAN;
    expect_refused(0, "value of position 2 of the batch is nan");
    finite_outputs();
    policy[BATCH * CELLS - 1] = -INFINITY;
    expect_refused(1, "policy of position 2 of the batch, cell 3, is -inf");
    /* Only the batch's positions count: garbage past them is another batch's. */
    cr_assert_eq(hexgpu_slot_outputs_check(&buf, BATCH - 1, CELLS, 1, NULL), HEXGPU_OK);
}
