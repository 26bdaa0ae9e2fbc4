/* The safetensors writer and the `convert` / `init-model` commands: round trips are
 * bit-exact, outputs do not depend on the source form, failures leave no file behind. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/model_file.h"
#include "model/network.h"
#include "model/export/safetensors_write.h"
#include "model/test_model_util.h"
#include "support/fixtures.h"
#include "support/folders.h"
#include "support/run_cli.h"

/* A fresh empty folder under /tmp for one test's outputs. */
static char *make_folder(void) {
    char *dir = strdup("/tmp/hexgpu_convert_XXXXXX");
    cr_assert(dir && mkdtemp(dir), "mkdtemp");
    return dir;
}

static void remove_folder(char *dir) {
    DIR *d = opendir(dir);
    if (d) {
        for (struct dirent *e; (e = readdir(d));) {
            if (e->d_name[0] == '.') continue;
            char path[512];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            remove(path);
        }
        closedir(d);
    }
    rmdir(dir);
    free(dir);
}

static void load_or_fail(const char *path, hexgpu_tensor_map *map, hexgpu_model_file_info *info) {
    hexgpu_error err = {0};
    cr_assert_eq(hexgpu_model_file_load(path, map, info, &err), HEXGPU_OK, "%s", err.message);
}

Test(model_convert, writer_round_trip_is_bit_exact) {
    hexgpu_tensor_map map = {0};
    hexgpu_error err = {0};
    const int64_t shape[2] = {2, 3}, none[1] = {0};
    float *a = malloc(6 * sizeof *a), *count = malloc(sizeof *count);
    const float values[6] = {1.5f, -0.0f, 3.4e38f, 1e-45f, -7.25f, 0.1f};
    memcpy(a, values, sizeof values);
    *count = 12345.0f;
    cr_assert_eq(hexgpu_tensor_map_add(&map, "w \"quoted\"\\name", 2, shape, HEXGPU_DTYPE_F16, a, &err), HEXGPU_OK);
    cr_assert_eq(hexgpu_tensor_map_add(&map, "bn.num_batches_tracked", 0, none, HEXGPU_DTYPE_I64, count, &err), HEXGPU_OK);
    const hexgpu_safetensors_meta meta[] = {{"board_size", "9"}, {"arch", "TwoHeadedResNet"}};
    uint8_t *bytes;
    size_t len;
    cr_assert_eq(hexgpu_safetensors_serialize(&map, meta, 2, &bytes, &len, &err), HEXGPU_OK, "%s", err.message);
    uint64_t header = 0;
    for (int i = 0; i < 8; i++) header |= (uint64_t)bytes[i] << (8 * i);
    cr_assert_eq((8 + header) % 8, 0, "data must start 8-byte aligned");
    cr_assert_eq(len, 8 + header + 6 * 4 + 8);
    hexgpu_tensor_map back = {0};
    hexgpu_model_file_info info;
    cr_assert_eq(hexgpu_model_bytes_load(bytes, len, &back, &info, &err), HEXGPU_OK, "%s", err.message);
    cr_assert_eq(info.board_size, 9);
    cr_assert_str_eq(info.arch, "TwoHeadedResNet");
    model_test_assert_same(&map, &back);
    cr_assert_eq(hexgpu_tensor_map_find(&back, "bn.num_batches_tracked")->source_dtype, HEXGPU_DTYPE_I64);
    cr_assert_eq(hexgpu_tensor_map_find(&back, "w \"quoted\"\\name")->source_dtype, HEXGPU_DTYPE_F32);
    free(bytes);
    hexgpu_tensor_map_free(&back);
    hexgpu_tensor_map_free(&map);
}

Test(model_convert, write_failure_leaves_nothing) {
    hexgpu_tensor_map map = {0};
    hexgpu_error err = {0};
    const int64_t shape[1] = {4096};
    float *a = calloc(4096, sizeof *a);
    cr_assert_eq(hexgpu_tensor_map_add(&map, "a", 1, shape, HEXGPU_DTYPE_F32, a, &err), HEXGPU_OK);
    cr_assert_eq(hexgpu_safetensors_write("/nonexistent-folder/x.safetensors", &map, NULL, 0, &err), HEXGPU_ERR_IO);
    cr_assert(strstr(err.message, "/nonexistent-folder/x.safetensors"), "%s", err.message);
    /* A full disk, simulated by a file-size limit (this test runs in its own process):
     * the write fails, and neither the target nor a temporary file is left. */
    char *dir = make_folder();
    char target[512];
    snprintf(target, sizeof target, "%s/out.safetensors", dir);
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit limit = {.rlim_cur = 1000, .rlim_max = RLIM_INFINITY};
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &limit), 0);
    hexgpu_status st = hexgpu_safetensors_write(target, &map, NULL, 0, &err);
    limit.rlim_cur = RLIM_INFINITY;
    setrlimit(RLIMIT_FSIZE, &limit);
    cr_assert_eq(st, HEXGPU_ERR_IO);
    cr_assert(strstr(err.message, "write failed"), "%s", err.message);
    cr_assert_eq(hexgpu_test_folder_entries(dir), 0, "a partial or temporary file was left behind");
    remove_folder(dir);
    hexgpu_tensor_map_free(&map);
}

static const char *const forms[] = {"checkpoint.pt", "checkpoint.pt.gz", "state_dict.pt", "model.safetensors"};

static void convert_all_forms(const char *fixture, int board) {
    char *dir = make_folder();
    char rel[128], out[4][512];
    snprintf(rel, sizeof rel, "%s/model.safetensors", fixture);
    hexgpu_tensor_map ref = {0};
    load_or_fail(hexgpu_test_fixture_path(rel), &ref, NULL);
    size_t first_len = 0;
    uint8_t *first = NULL;
    for (int f = 0; f < 4; f++) {
        snprintf(rel, sizeof rel, "%s/%s", fixture, forms[f]);
        char input[512];
        snprintf(input, sizeof input, "%s", hexgpu_test_fixture_path(rel));
        snprintf(out[f], sizeof out[f], "%s/%d.safetensors", dir, f);
        const char *argv[] = {"convert", "--model", input, "--output", out[f], NULL};
        hexgpu_cli_result r;
        cr_assert_eq(hexgpu_cli_run(argv, NULL, &r), 0);
        cr_assert_eq(r.exit_code, 0, "convert %s: %s", rel, r.err);
        cr_assert(strstr(r.out, "132 tensors"), "%s", r.out);
        hexgpu_cli_result_free(&r);
        hexgpu_tensor_map back = {0};
        hexgpu_model_file_info info;
        load_or_fail(out[f], &back, &info);
        cr_assert_eq(info.board_size, board);
        model_test_assert_same(&ref, &back);
        hexgpu_network net;
        hexgpu_error err = {0};
        cr_assert_eq(hexgpu_network_build(&back, &net, &err), HEXGPU_OK, "%s", err.message);
        hexgpu_network_free(&net);
        hexgpu_tensor_map_free(&back);
        size_t len;
        uint8_t *bytes = model_test_read(out[f], &len);
        if (!first) {
            first = bytes;
            first_len = len;
        } else {
            cr_assert(len == first_len && memcmp(bytes, first, len) == 0, "%s converts to different bytes", rel);
            free(bytes);
        }
    }
    free(first);
    hexgpu_tensor_map_free(&ref);
    remove_folder(dir);
}

Test(model_convert, every_form_converts_to_the_same_file) {
    convert_all_forms("tiny13", 13);
    convert_all_forms("tiny11", 11);
}

Test(model_convert, bad_input_exits_2_and_writes_nothing) {
    char *dir = make_folder();
    char out[512];
    snprintf(out, sizeof out, "%s/out.safetensors", dir);
    const char *golden = hexgpu_test_fixture_path("tiny13/golden.jsonl");
    char input[512];
    snprintf(input, sizeof input, "%s", golden);
    const char *argv[] = {"convert", "--model", input, "--output", out, NULL};
    hexgpu_cli_result r;
    cr_assert_eq(hexgpu_cli_run(argv, NULL, &r), 0);
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strncmp(r.err, "error: ", 7) == 0 && strstr(r.err, "unrecognised model file"), "%s", r.err);
    cr_assert_eq(strchr(r.err, '\n'), r.err + strlen(r.err) - 1, "one line: %s", r.err);
    hexgpu_cli_result_free(&r);
    cr_assert_eq(hexgpu_test_folder_entries(dir), 0);
    const char *missing[] = {"convert", "--model", "/nonexistent.pt", "--output", out, NULL};
    cr_assert_eq(hexgpu_cli_run(missing, NULL, &r), 0);
    cr_assert_eq(r.exit_code, 2, "a missing model file is bad input: %s", r.err);
    hexgpu_cli_result_free(&r);
    const char *usage[] = {"convert", "--model", input, NULL};
    cr_assert_eq(hexgpu_cli_run(usage, NULL, &r), 0);
    cr_assert_eq(r.exit_code, 2);
    hexgpu_cli_result_free(&r);
    cr_assert_eq(hexgpu_test_folder_entries(dir), 0);
    remove_folder(dir);
}

Test(model_convert, init_model_is_deterministic_and_builds) {
    char *dir = make_folder();
    char a[512], b[512], c[512];
    snprintf(a, sizeof a, "%s/a.safetensors", dir);
    snprintf(b, sizeof b, "%s/b.safetensors", dir);
    snprintf(c, sizeof c, "%s/c.safetensors", dir);
    const char *paths[3] = {a, b, c}, *seeds[3] = {"42", "42", "43"};
    for (int i = 0; i < 3; i++) {
        const char *argv[] = {"init-model", "--widths", "8,12,16,20", "--stem", "6", "--board-size", "9",
                              "--value-channels", "4", "--value-hidden", "10", "--seed", seeds[i],
                              "--output", paths[i], NULL};
        hexgpu_cli_result r;
        cr_assert_eq(hexgpu_cli_run(argv, NULL, &r), 0);
        cr_assert_eq(r.exit_code, 0, "%s", r.err);
        hexgpu_cli_result_free(&r);
    }
    size_t la, lb, lc;
    uint8_t *ba = model_test_read(a, &la), *bb = model_test_read(b, &lb), *bc = model_test_read(c, &lc);
    cr_assert(la == lb && memcmp(ba, bb, la) == 0, "same seed, different bytes");
    cr_assert(la == lc && memcmp(ba, bc, la) != 0, "different seeds, same bytes");
    free(ba), free(bb), free(bc);
    hexgpu_tensor_map map = {0};
    hexgpu_model_file_info info;
    load_or_fail(a, &map, &info);
    cr_assert_eq(info.board_size, 9);
    hexgpu_network net;
    hexgpu_error err = {0};
    cr_assert_eq(hexgpu_network_build(&map, &net, &err), HEXGPU_OK, "%s", err.message);
    cr_assert_eq(net.board_size, 9);
    cr_assert(net.widths[0] == 6 && net.widths[1] == 8 && net.widths[4] == 20);
    cr_assert(net.value_channels == 4 && net.value_hidden == 10);
    hexgpu_network_free(&net);
    const hexgpu_tensor *var = hexgpu_tensor_map_find(&map, "layer2.0.bn1.running_var");
    cr_assert(var);
    int not_one = 0;
    for (int64_t i = 0; i < var->numel; i++) {
        cr_assert_gt(var->data[i], 0.0f);
        not_one += var->data[i] != 1.0f;
    }
    cr_assert_gt(not_one, 0, "batch-norm statistics should be random");
    hexgpu_tensor_map_free(&map);
    const char *bad[] = {"init-model", "--widths", "8,12,16", "--seed", "1", "--output", a, NULL};
    hexgpu_cli_result r;
    cr_assert_eq(hexgpu_cli_run(bad, NULL, &r), 0);
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strstr(r.err, "--widths"), "%s", r.err);
    hexgpu_cli_result_free(&r);
    const char *no_seed[] = {"init-model", "--output", a, NULL};
    cr_assert_eq(hexgpu_cli_run(no_seed, NULL, &r), 0);
    cr_assert_eq(r.exit_code, 2);
    hexgpu_cli_result_free(&r);
    remove_folder(dir);
}

/* The atomic write renames over its target: run as root with --output /dev/full it
 * replaced the device node with a regular file. A target that exists and is not a regular
 * file (a device, a FIFO, a directory) is refused and left as it is. */
Test(model_convert, a_target_that_is_not_a_regular_file_is_refused_and_kept) {
    hexgpu_tensor_map map = {0};
    hexgpu_error err = {0};
    cr_assert_eq(hexgpu_model_file_load(hexgpu_test_fixture_path("tiny13/model.safetensors"), &map, NULL, &err),
                 HEXGPU_OK, "%s", err.message);
    char dir[] = "/tmp/hexgpu_fifo_XXXXXX", fifo[64];
    cr_assert(mkdtemp(dir));
    snprintf(fifo, sizeof fifo, "%s/out.safetensors", dir);
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    cr_assert_eq(hexgpu_safetensors_write(fifo, &map, NULL, 0, &err), HEXGPU_ERR_IO);
    cr_assert(strstr(err.message, fifo) && strstr(err.message, "not a regular file"), "%s", err.message);
    struct stat sb;
    cr_assert_eq(stat(fifo, &sb), 0);
    cr_assert(S_ISFIFO(sb.st_mode), "the FIFO was replaced");
    DIR *d = opendir(dir);
    int entries = 0;
    for (struct dirent *e; (e = readdir(d));) entries += e->d_name[0] != '.';
    closedir(d);
    cr_assert_eq(entries, 1, "a temporary file was left next to the target");
    unlink(fifo);
    rmdir(dir);
    hexgpu_tensor_map_free(&map);
}
