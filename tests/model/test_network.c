/* The reference layout (keys, shapes, inferred sizes) and network construction: shape
 * checks with precise messages, batch-norm folding, parameter and MAC counts. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model_file.h"
#include "model/network.h"
#include "model/reference_layout.h"
#include "support/fixtures.h"

static const hexgpu_layout_dims small_dims = {.board_size = 9, .widths = {8, 8, 16, 16, 24}, .value_channels = 4,
                                              .value_hidden = 12};

static void random_map(const hexgpu_layout_dims *dims, hexgpu_tensor_map *map) {
    hexgpu_error err;
    cr_assert_eq(hexgpu_layout_random_model(dims, 7, 1, map, &err), HEXGPU_OK, "%s", err.message);
}

static hexgpu_tensor *find_mut(hexgpu_tensor_map *map, const char *name) {
    return (hexgpu_tensor *)hexgpu_tensor_map_find(map, name);
}

Test(network, full_size_layout_has_132_keys_and_11_3m_parameters) {
    hexgpu_layout_dims dims = hexgpu_layout_full_size();
    hexgpu_layout_tensor t[HEXGPU_LAYOUT_MAX_TENSORS];
    cr_assert_eq(hexgpu_layout_enumerate(&dims, t), 132);
    cr_assert_str_eq(t[0].name, "input_conv.weight");
    cr_assert_eq(t[0].shape[0], 64);
    cr_assert_eq(t[0].shape[1], 3);
    cr_assert_eq(t[0].shape[3], 5);
    cr_assert_str_eq(t[5].name, "input_bn.num_batches_tracked");
    cr_assert_eq(t[5].ndim, 0);
    cr_assert_str_eq(t[131].name, "value_head.3.bias");
    int found_shortcut = 0;
    for (int i = 0; i < 132; i++) {
        cr_assert(strncmp(t[i].name, "layer1.0.shortcut", 17) != 0, "layer1 keeps 64 channels: no shortcut");
        if (strcmp(t[i].name, "layer3.0.shortcut.0.weight") == 0) {
            found_shortcut = 1;
            cr_assert_eq(t[i].shape[0], 256);
            cr_assert_eq(t[i].shape[1], 128);
            cr_assert_eq(t[i].shape[2], 1);
        }
    }
    cr_assert(found_shortcut);

    hexgpu_tensor_map map = {0};
    random_map(&dims, &map);
    hexgpu_network net;
    hexgpu_error err;
    cr_assert_eq(hexgpu_network_build(&map, &net, &err), HEXGPU_OK, "%s", err.message);
    cr_assert_eq(net.parameter_count, 11283754); /* spec: 11.28 M */
    /* spec/performance.md: 118.7 M multiply-adds per board */
    cr_assert(llabs(hexgpu_network_macs(&net) - 118700000) < 100000, "macs %lld", (long long)hexgpu_network_macs(&net));
    int spatial[5] = {13, 13, 7, 4, 2};
    for (int s = 0; s < 5; s++) cr_assert_eq(net.spatial[s], spatial[s]);
    cr_assert_eq(net.blocks[2].conv1.stride, 2);
    cr_assert_eq(net.blocks[2].shortcut.stride, 2);
    cr_assert_eq(net.blocks[3].conv1.stride, 1);
    cr_assert(!net.blocks[0].has_shortcut && !net.blocks[1].has_shortcut && net.blocks[2].has_shortcut);
    hexgpu_network_free(&net);
    hexgpu_tensor_map_free(&map);
}

Test(network, layer1_gets_a_shortcut_when_c0_differs_from_c1) {
    hexgpu_layout_dims dims = small_dims;
    dims.widths[0] = 6;
    hexgpu_layout_tensor t[HEXGPU_LAYOUT_MAX_TENSORS];
    cr_assert_eq(hexgpu_layout_enumerate(&dims, t), 138);
    cr_assert(hexgpu_layout_has_shortcut(&dims, 0, 0));
    cr_assert(!hexgpu_layout_has_shortcut(&dims, 0, 1));
    hexgpu_tensor_map map = {0};
    random_map(&dims, &map);
    hexgpu_network net;
    hexgpu_error err;
    cr_assert_eq(hexgpu_network_build(&map, &net, &err), HEXGPU_OK, "%s", err.message);
    cr_assert(net.blocks[0].has_shortcut);
    cr_assert_eq(net.blocks[0].shortcut.in_channels, 6);
    cr_assert_eq(net.blocks[0].shortcut.stride, 1);
    int spatial[5] = {9, 9, 5, 3, 2};
    for (int s = 0; s < 5; s++) cr_assert_eq(net.spatial[s], spatial[s]);
    hexgpu_network_free(&net);
    hexgpu_tensor_map_free(&map);
}

Test(network, batch_norm_is_folded_into_the_conv_before_it) {
    hexgpu_tensor_map map = {0};
    random_map(&small_dims, &map);
    hexgpu_network net;
    hexgpu_error err;
    cr_assert_eq(hexgpu_network_build(&map, &net, &err), HEXGPU_OK, "%s", err.message);
    const char *convs[] = {"layer2.0.conv2", "layer3.0.shortcut.0", "value_pre.0"};
    const char *bns[] = {"layer2.0.bn2", "layer3.0.shortcut.1", "value_pre.1"};
    const hexgpu_conv *folded[] = {&net.blocks[2].conv2, &net.blocks[4].shortcut, &net.value_conv};
    char name[96];
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "%s.weight", convs[i]);
        const hexgpu_tensor *w = hexgpu_tensor_map_find(&map, name);
        snprintf(name, sizeof name, "%s.weight", bns[i]);
        const float *gamma = hexgpu_tensor_map_find(&map, name)->data;
        snprintf(name, sizeof name, "%s.bias", bns[i]);
        const float *beta = hexgpu_tensor_map_find(&map, name)->data;
        snprintf(name, sizeof name, "%s.running_mean", bns[i]);
        const float *mean = hexgpu_tensor_map_find(&map, name)->data;
        snprintf(name, sizeof name, "%s.running_var", bns[i]);
        const float *var = hexgpu_tensor_map_find(&map, name)->data;
        int64_t per_out = w->numel / w->shape[0];
        for (int64_t o = 0; o < w->shape[0]; o++) {
            double scale = gamma[o] / sqrt(var[o] + 1e-5);
            cr_assert_float_eq(folded[i]->bias[o], beta[o] - mean[o] * scale, 1e-6, "%s bias %lld", convs[i],
                               (long long)o);
            for (int64_t j = 0; j < per_out; j += 5)
                cr_assert_float_eq(folded[i]->weight[o * per_out + j], w->data[o * per_out + j] * scale, 1e-6);
        }
    }
    hexgpu_network_free(&net);
    hexgpu_tensor_map_free(&map);
}

Test(network, names_a_missing_key) {
    hexgpu_tensor_map map = {0};
    random_map(&small_dims, &map);
    strcpy(find_mut(&map, "layer3.1.bn2.running_var")->name, "layer3.1.bn2.running_vax");
    hexgpu_network net;
    hexgpu_error err;
    cr_assert_eq(hexgpu_network_build(&map, &net, &err), HEXGPU_ERR_MODEL_FORMAT);
    cr_assert_str_eq(err.message, "missing tensor 'layer3.1.bn2.running_var' (expected shape [16])");
    cr_assert_null(net.input_conv.weight);
    hexgpu_tensor_map_free(&map);
}

Test(network, names_a_wrong_shape_with_expected_and_found) {
    hexgpu_tensor_map map = {0};
    random_map(&small_dims, &map);
    hexgpu_tensor *t = find_mut(&map, "layer4.0.conv2.weight");
    t->shape[3] = 1; /* [24, 24, 3, 3] -> [24, 24, 3, 1] */
    hexgpu_network net;
    hexgpu_error err;
    cr_assert_eq(hexgpu_network_build(&map, &net, &err), HEXGPU_ERR_MODEL_FORMAT);
    cr_assert_str_eq(err.message,
                     "tensor 'layer4.0.conv2.weight': expected shape [24, 24, 3, 3], found [24, 24, 3, 1]");
    hexgpu_tensor_map_free(&map);
}

Test(network, refuses_policy_rows_that_are_not_a_square_board) {
    hexgpu_layout_dims dims = small_dims;
    hexgpu_tensor_map map = {0};
    random_map(&dims, &map);
    find_mut(&map, "policy_head.weight")->shape[0] = 80;
    hexgpu_network net;
    hexgpu_error err;
    cr_assert_eq(hexgpu_network_build(&map, &net, &err), HEXGPU_ERR_MODEL_FORMAT);
    cr_assert(strstr(err.message, "policy_head.weight") && strstr(err.message, "80 rows"), "%s", err.message);
    find_mut(&map, "policy_head.weight")->shape[0] = 400; /* 20x20: a square, but too big */
    cr_assert_eq(hexgpu_network_build(&map, &net, &err), HEXGPU_ERR_MODEL_FORMAT);
    cr_assert(strstr(err.message, "400 rows"), "%s", err.message);
    hexgpu_tensor_map_free(&map);
}

Test(network, refuses_a_negative_variance) {
    hexgpu_tensor_map map = {0};
    random_map(&small_dims, &map);
    find_mut(&map, "input_bn.running_var")->data[3] = -0.5f;
    hexgpu_network net;
    hexgpu_error err;
    cr_assert_eq(hexgpu_network_build(&map, &net, &err), HEXGPU_ERR_MODEL_FORMAT);
    cr_assert(strstr(err.message, "input_bn.running_var") && strstr(err.message, "element 3"), "%s", err.message);
    hexgpu_tensor_map_free(&map);
}

/* A diverged training run saves NaN/Inf weights; PyTorch would print NaN values, which
 * are not JSON and not a usable policy, so the build refuses them naming the tensor. */
Test(network, refuses_non_finite_values_naming_the_tensor) {
    const struct { const char *name; int index; float value; } cases[] = {
        {"input_conv.weight", 5, NAN},       {"layer2.0.bn1.running_mean", 1, INFINITY},
        {"input_bn.running_var", 2, INFINITY}, {"policy_head.weight", 7, -INFINITY},
        {"value_head.3.bias", 0, NAN},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hexgpu_tensor_map map = {0};
        random_map(&small_dims, &map);
        find_mut(&map, cases[i].name)->data[cases[i].index] = cases[i].value;
        hexgpu_network net;
        hexgpu_error err;
        cr_assert_eq(hexgpu_network_build(&map, &net, &err), HEXGPU_ERR_MODEL_FORMAT, "%s", cases[i].name);
        char where[32];
        snprintf(where, sizeof where, "element %d", cases[i].index);
        cr_assert(strstr(err.message, cases[i].name) && strstr(err.message, where) &&
                      strstr(err.message, "not finite"), "%s", err.message);
        hexgpu_tensor_map_free(&map);
    }
}

/* Finite inputs can still fold to Inf: gamma near FLT_MAX over sqrt(0 + eps). */
Test(network, refuses_a_fold_that_overflows) {
    hexgpu_tensor_map map = {0};
    random_map(&small_dims, &map);
    find_mut(&map, "input_bn.weight")->data[0] = 3e38f;
    find_mut(&map, "input_bn.running_var")->data[0] = 0.0f;
    hexgpu_network net;
    hexgpu_error err;
    cr_assert_eq(hexgpu_network_build(&map, &net, &err), HEXGPU_ERR_MODEL_FORMAT);
    cr_assert(strstr(err.message, "input_bn") && strstr(err.message, "not finite"), "%s", err.message);
    hexgpu_tensor_map_free(&map);
}

static void check_fixture(const char *relative, hexgpu_layout_dims want, int64_t parameters, int spatial_last) {
    hexgpu_tensor_map map = {0};
    hexgpu_error err;
    cr_assert_eq(hexgpu_model_file_load(hexgpu_test_fixture_path(relative), &map, NULL, &err), HEXGPU_OK, "%s",
                 err.message);
    hexgpu_layout_dims dims;
    cr_assert_eq(hexgpu_layout_infer(&map, &dims, &err), HEXGPU_OK, "%s", err.message);
    cr_assert_eq(dims.board_size, want.board_size);
    for (int i = 0; i < 5; i++) cr_assert_eq(dims.widths[i], want.widths[i], "C%d", i);
    cr_assert_eq(dims.value_channels, want.value_channels);
    cr_assert_eq(dims.value_hidden, want.value_hidden);
    hexgpu_network net;
    cr_assert_eq(hexgpu_network_build(&map, &net, &err), HEXGPU_OK, "%s", err.message);
    cr_assert_eq(net.parameter_count, parameters); /* fixtures/README.md */
    cr_assert_eq(net.spatial[4], spatial_last);
    hexgpu_network_free(&net);
    hexgpu_tensor_map_free(&map);
}

Test(network, infers_the_fixture_sizes) {
    check_fixture("tiny13/model.safetensors",
                  (hexgpu_layout_dims){.board_size = 13, .widths = {16, 16, 24, 32, 48}, .value_channels = 8,
                                       .value_hidden = 32},
                  152906, 2);
    check_fixture("tiny11/model.safetensors",
                  (hexgpu_layout_dims){.board_size = 11, .widths = {12, 12, 20, 28, 36}, .value_channels = 8,
                                       .value_hidden = 24},
                  97106, 2);
}

Test(network, random_model_follows_pytorch_initialisation) {
    hexgpu_tensor_map a = {0}, b = {0};
    hexgpu_error err;
    cr_assert_eq(hexgpu_layout_random_model(&small_dims, 11, 0, &a, &err), HEXGPU_OK, "%s", err.message);
    cr_assert_eq(hexgpu_layout_random_model(&small_dims, 11, 0, &b, &err), HEXGPU_OK, "%s", err.message);
    cr_assert_eq(a.count, 132);
    const hexgpu_tensor *w = hexgpu_tensor_map_find(&a, "layer2.0.conv1.weight"); /* fan_in 8*9 */
    float bound = 1.0f / sqrtf(72.0f), largest = 0;
    for (int64_t i = 0; i < w->numel; i++) largest = fmaxf(largest, fabsf(w->data[i]));
    cr_assert(largest <= bound && largest > 0.9f * bound, "largest |w| %g, bound %g", largest, bound);
    cr_assert(memcmp(w->data, hexgpu_tensor_map_find(&b, "layer2.0.conv1.weight")->data, w->numel * 4) == 0);
    cr_assert_eq(hexgpu_tensor_map_find(&a, "layer2.0.bn1.weight")->data[3], 1.0f);
    cr_assert_eq(hexgpu_tensor_map_find(&a, "layer2.0.bn1.running_var")->data[3], 1.0f);
    cr_assert_eq(hexgpu_tensor_map_find(&a, "layer2.0.bn1.running_mean")->data[3], 0.0f);
    cr_assert_eq(hexgpu_tensor_map_find(&a, "value_pre.1.num_batches_tracked")->source_dtype, HEXGPU_DTYPE_I64);
    hexgpu_layout_dims bad = small_dims;
    bad.board_size = 20;
    cr_assert_eq(hexgpu_layout_random_model(&bad, 1, 0, &b, &err), HEXGPU_ERR_INVALID_ARGUMENT);
    hexgpu_tensor_map_free(&a);
    hexgpu_tensor_map_free(&b);
}
