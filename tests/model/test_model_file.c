/* Model files that should load: every form of both fixtures gives the same tensors. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model_file.h"
#include "model/export/safetensors_write.h"
#include "model/test_model_util.h"
#include "support/fixtures.h"

static const char *const forms[] = {"model.safetensors", "checkpoint.pt", "checkpoint.pt.gz", "state_dict.pt"};
static const hexgpu_model_format formats[] = {HEXGPU_MODEL_FORMAT_SAFETENSORS, HEXGPU_MODEL_FORMAT_TORCH_ZIP,
                                              HEXGPU_MODEL_FORMAT_TORCH_GZIP, HEXGPU_MODEL_FORMAT_TORCH_ZIP};
static const int trainer[] = {0, 1, 1, 0};

static void load_fixture(const char *dir, const char *form, hexgpu_tensor_map *map, hexgpu_model_file_info *info) {
    char rel[256];
    snprintf(rel, sizeof rel, "%s/%s", dir, form);
    hexgpu_error err = {0};
    hexgpu_status st = hexgpu_model_file_load(hexgpu_test_fixture_path(rel), map, info, &err);
    cr_assert_eq(st, HEXGPU_OK, "%s: %s", rel, err.message);
}

static void check_all_forms(const char *dir, int board_size, int64_t policy_rows, int64_t c0) {
    hexgpu_tensor_map ref = {0};
    hexgpu_model_file_info info;
    load_fixture(dir, forms[0], &ref, &info);
    cr_assert_eq(info.board_size, board_size);
    cr_assert_str_eq(info.arch, "TwoHeadedResNet");
    cr_assert_eq(ref.count, 132, "%s: %zu tensors, the reference layout has 132", dir, ref.count);
    const hexgpu_tensor *policy = hexgpu_tensor_map_find(&ref, "policy_head.weight");
    cr_assert(policy);
    cr_assert_eq(policy->shape[0], policy_rows);
    const hexgpu_tensor *conv = hexgpu_tensor_map_find(&ref, "input_conv.weight");
    cr_assert(conv && conv->ndim == 4 && conv->shape[0] == c0 && conv->shape[1] == 3 && conv->shape[2] == 5);
    const hexgpu_tensor *nbt = hexgpu_tensor_map_find(&ref, "input_bn.num_batches_tracked");
    cr_assert(nbt && nbt->ndim == 0 && nbt->numel == 1 && nbt->source_dtype == HEXGPU_DTYPE_I64);
    const hexgpu_tensor *var = hexgpu_tensor_map_find(&ref, "input_bn.running_var");
    cr_assert(var);
    for (int64_t i = 0; i < var->numel; i++) cr_assert_gt(var->data[i], 0.0f, "running_var must be positive");
    int nonzero = 0;
    for (int64_t i = 0; i < conv->numel; i++) nonzero += conv->data[i] != 0.0f;
    cr_assert_gt(nonzero, conv->numel / 2, "input_conv.weight looks empty");
    for (size_t f = 1; f < sizeof forms / sizeof forms[0]; f++) {
        hexgpu_tensor_map other = {0};
        load_fixture(dir, forms[f], &other, &info);
        cr_assert_eq(info.format, formats[f], "%s/%s detected as %s", dir, forms[f], hexgpu_model_format_name(info.format));
        cr_assert_eq(info.trainer_checkpoint, trainer[f], "%s/%s trainer flag", dir, forms[f]);
        model_test_assert_same(&ref, &other);
        hexgpu_tensor_map_free(&other);
    }
    hexgpu_tensor_map_free(&ref);
}

Test(model_file, tiny13_all_forms_identical) { check_all_forms("tiny13", 13, 169, 16); }
Test(model_file, tiny11_all_forms_identical) { check_all_forms("tiny11", 11, 121, 12); }

Test(model_file, format_comes_from_bytes_not_name) {
    /* The gzip fixture's bytes under a .safetensors-looking name still load as pt.gz. */
    size_t len;
    uint8_t *bytes = model_test_read(hexgpu_test_fixture_path("tiny13/checkpoint.pt.gz"), &len);
    char path[] = "/tmp/hexgpu_model_XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    cr_assert_eq(fwrite(bytes, 1, len, f), len);
    fclose(f);
    hexgpu_tensor_map map = {0};
    hexgpu_model_file_info info;
    hexgpu_error err = {0};
    cr_assert_eq(hexgpu_model_file_load(path, &map, &info, &err), HEXGPU_OK, "%s", err.message);
    cr_assert_eq(info.format, HEXGPU_MODEL_FORMAT_TORCH_GZIP);
    cr_assert_eq(map.count, 132);
    hexgpu_tensor_map_free(&map);
    remove(path);
    free(bytes);
}

Test(model_file, missing_file_is_bad_input_naming_path) {
    hexgpu_tensor_map map = {0};
    hexgpu_error err = {0};
    cr_assert_eq(hexgpu_model_file_load("/nonexistent/model.pt", &map, NULL, &err), HEXGPU_ERR_INVALID_ARGUMENT);
    cr_assert(strstr(err.message, "/nonexistent/model.pt"), "%s", err.message);
}

/* Re-serialises tiny13 with every key renamed "<prefix><key>" and loads it back. */
static void load_renamed(const char *prefix_of_all, const char *prefix_of_first, hexgpu_tensor_map *out,
                         hexgpu_model_file_info *info, hexgpu_status *st, hexgpu_error *err) {
    hexgpu_tensor_map ref = {0}, renamed = {0};
    load_fixture("tiny13", "model.safetensors", &ref, info);
    for (size_t i = 0; i < ref.count; i++) {
        const hexgpu_tensor *t = &ref.items[i];
        char name[256];
        snprintf(name, sizeof name, "%s%s%s", i == 0 ? prefix_of_first : "", prefix_of_all, t->name);
        float *copy = malloc((size_t)t->numel * sizeof(float));
        memcpy(copy, t->data, (size_t)t->numel * sizeof(float));
        cr_assert_eq(hexgpu_tensor_map_add(&renamed, name, t->ndim, t->shape, t->source_dtype, copy, NULL), HEXGPU_OK);
    }
    uint8_t *bytes = NULL;
    size_t len = 0;
    cr_assert_eq(hexgpu_safetensors_serialize(&renamed, NULL, 0, &bytes, &len, NULL), HEXGPU_OK);
    *st = hexgpu_model_bytes_load(bytes, len, out, info, err);
    free(bytes);
    hexgpu_tensor_map_free(&renamed);
    hexgpu_tensor_map_free(&ref);
}

Test(model_file, wrapper_prefixes_of_every_key_are_removed) {
    /* torch.compile around DataParallel saves "_orig_mod.module.<key>". */
    hexgpu_tensor_map map = {0}, ref = {0};
    hexgpu_model_file_info info;
    hexgpu_status st;
    hexgpu_error err = {0};
    load_renamed("_orig_mod.module.", "", &map, &info, &st, &err);
    cr_assert_eq(st, HEXGPU_OK, "%s", err.message);
    cr_assert_str_eq(info.stripped_prefix, "_orig_mod.module.");
    load_fixture("tiny13", "model.safetensors", &ref, &info);
    cr_assert_str_eq(info.stripped_prefix, "");
    model_test_assert_same(&ref, &map);
    hexgpu_tensor_map_free(&map);
    hexgpu_tensor_map_free(&ref);
}

Test(model_file, a_prefix_on_some_keys_only_is_kept) {
    hexgpu_tensor_map map = {0};
    hexgpu_model_file_info info;
    hexgpu_status st;
    hexgpu_error err = {0};
    load_renamed("", "module.", &map, &info, &st, &err);
    cr_assert_eq(st, HEXGPU_OK, "%s", err.message);
    cr_assert_str_eq(info.stripped_prefix, "");
    hexgpu_tensor_map ref = {0};
    load_fixture("tiny13", "model.safetensors", &ref, &info);
    char first[256];
    snprintf(first, sizeof first, "module.%s", ref.items[0].name);
    cr_assert_not_null(hexgpu_tensor_map_find(&map, first), "the one prefixed key keeps its prefix");
    cr_assert_not_null(hexgpu_tensor_map_find(&map, ref.items[1].name));
    cr_assert_null(hexgpu_tensor_map_find(&map, ref.items[0].name));
    hexgpu_tensor_map_free(&ref);
    hexgpu_tensor_map_free(&map);
}

/* convert refused a safetensors whose metadata board_size disagrees with policy_head
 * while eval and selfplay used it: the loader itself refuses the contradiction. */
Test(model_file, metadata_board_size_must_match_the_policy_head) {
    hexgpu_tensor_map ref = {0}, map = {0};
    hexgpu_model_file_info info;
    load_fixture("tiny13", "model.safetensors", &ref, &info);
    const hexgpu_safetensors_meta lie[] = {{"board_size", "11"}}, truth[] = {{"board_size", "13"}};
    uint8_t *bytes = NULL;
    size_t len = 0;
    hexgpu_error err = {0};
    cr_assert_eq(hexgpu_safetensors_serialize(&ref, lie, 1, &bytes, &len, &err), HEXGPU_OK, "%s", err.message);
    cr_assert_eq(hexgpu_model_bytes_load(bytes, len, &map, &info, &err), HEXGPU_ERR_MODEL_FORMAT);
    cr_assert(strstr(err.message, "board_size 11") && strstr(err.message, "169"), "%s", err.message);
    cr_assert_eq(map.count, 0, "a refused file leaves the map empty");
    free(bytes);
    cr_assert_eq(hexgpu_safetensors_serialize(&ref, truth, 1, &bytes, &len, &err), HEXGPU_OK, "%s", err.message);
    cr_assert_eq(hexgpu_model_bytes_load(bytes, len, &map, &info, &err), HEXGPU_OK, "%s", err.message);
    cr_assert_eq(info.board_size, 13);
    free(bytes);
    hexgpu_tensor_map_free(&map);
    hexgpu_tensor_map_free(&ref);
}
