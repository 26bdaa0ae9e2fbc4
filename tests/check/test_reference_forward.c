/* The direct double-precision reference (check/reference_forward.c) against PyTorch's
 * golden outputs, and its policy: a softmax over the empty cells only. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "model/model_file.h"
#include "model/network.h"
#include "check/position_random.h"
#include "check/reference_forward.h"
#include "check/golden.h"
#include "support/fixtures.h"

static void load_network(const char *fixture, hexgpu_network *net) {
    char relative[256];
    snprintf(relative, sizeof relative, "%s/model.safetensors", fixture);
    hexgpu_tensor_map map = {0};
    hexgpu_error err;
    cr_assert_eq(hexgpu_model_file_load(hexgpu_test_fixture_path(relative), &map, NULL, &err), HEXGPU_OK, "%s",
                 err.message);
    cr_assert_eq(hexgpu_network_build(&map, net, &err), HEXGPU_OK, "%s", err.message);
    hexgpu_tensor_map_free(&map);
}

/* Every golden position: logits within 1e-5 of PyTorch's (largest difference over the
 * largest |logit| of the board), value within 1e-5. */
static void check_golden(const char *fixture) {
    hexgpu_network net;
    load_network(fixture, &net);
    char relative[256];
    snprintf(relative, sizeof relative, "%s/golden.jsonl", fixture);
    hexgpu_golden golden;
    hexgpu_error err;
    cr_assert_eq(hexgpu_golden_load(hexgpu_test_fixture_path(relative), &golden, &err), HEXGPU_OK, "%s",
                 err.message);
    double *workspace = malloc(hexgpu_reference_workspace_size(&net));
    int cells = net.board_size * net.board_size;
    for (size_t i = 0; i < golden.count; i++) {
        const hexgpu_golden_entry *e = &golden.items[i];
        float logits[HEXGPU_MAX_CELLS], value;
        hexgpu_reference_forward(&net, &e->position, workspace, logits, NULL, &value);
        double diff = 0, scale = 0;
        for (int c = 0; c < cells; c++) {
            diff = fmax(diff, fabs((double)logits[c] - e->policy_logits[c]));
            scale = fmax(scale, fabs((double)e->policy_logits[c]));
        }
        cr_assert(scale > 0.1, "%s: the logits are not all near zero", e->trmph);
        cr_assert(diff <= 1e-5 * scale, "%s %s: logits differ by %.3g (scale %.3g)", fixture, e->trmph, diff, scale);
        cr_assert(fabsf(value - e->value) <= 1e-5f, "%s %s: value %.8f, PyTorch %.8f", fixture, e->trmph, value,
                  e->value);
    }
    free(workspace);
    hexgpu_golden_free(&golden);
    hexgpu_network_free(&net);
}

Test(reference_forward, matches_pytorch_on_the_golden_positions) {
    check_golden("tiny13");
    check_golden("tiny11");
}

Test(reference_forward, policy_is_a_softmax_over_the_empty_cells) {
    hexgpu_network net;
    load_network("tiny11", &net);
    double *workspace = malloc(hexgpu_reference_workspace_size(&net));
    const int stones[] = {0, 7, 120, 121};
    for (int k = 0; k < 4; k++) {
        hexgpu_position pos = hexgpu_position_random(11, stones[k], 5 + (uint64_t)k);
        float logits[121], policy[121], value;
        hexgpu_reference_forward(&net, &pos, workspace, logits, policy, &value);
        double sum = 0, best = -INFINITY;
        int argmax = -1;
        for (int c = 0; c < 121; c++) {
            int empty = hexgpu_position_at(&pos, c) == HEXGPU_NONE;
            if (!empty) cr_assert_eq(policy[c], 0.0f, "%d stones: cell %d holds a stone", stones[k], c);
            else cr_assert(policy[c] > 0.0f, "%d stones: empty cell %d", stones[k], c);
            if (empty && logits[c] > best) best = logits[c], argmax = c;
            sum += policy[c];
        }
        cr_assert(fabs(sum - (stones[k] < 121 ? 1.0 : 0.0)) < 1e-6, "%d stones: sum %.9f", stones[k], sum);
        if (argmax >= 0)
            for (int c = 0; c < 121; c++) cr_assert(policy[c] <= policy[argmax], "the largest legal logit wins");
        cr_assert(value > -1.0f && value < 1.0f && value != 0.0f);
    }
    free(workspace);
    hexgpu_network_free(&net);
}
