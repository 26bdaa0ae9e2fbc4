/* One exit-code rule in every command: each class of broken model file, run through
 * eval, convert, selfplay and bench, exits 2 with one line 'error: ...' that names the
 * file. The files are made here at run time from the tiny13 fixture. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/model_file.h"
#include "model/export/safetensors_write.h"
#include "model/test_model_build.h"
#include "support/fixtures.h"
#include "support/run_cli.h"

enum { EVAL = 1, CONVERT = 2, SELFPLAY = 4, BENCH = 8, ALL = 15, EVALUATING = EVAL | SELFPLAY | BENCH };

static void write_bytes(const char *path, const void *bytes, size_t n) {
    FILE *f = fopen(path, "wb");
    cr_assert(f, "cannot write %s", path);
    cr_assert_eq(fwrite(bytes, 1, n, f), n);
    cr_assert_eq(fclose(f), 0);
}

static void load_tiny13(hexgpu_tensor_map *map) {
    hexgpu_error err;
    *map = (hexgpu_tensor_map){0};
    cr_assert_eq(hexgpu_model_file_load(hexgpu_test_fixture_path("tiny13/model.safetensors"), map, NULL, &err),
                 HEXGPU_OK, "%s", err.message);
}

static hexgpu_tensor *tensor(hexgpu_tensor_map *map, const char *name) {
    hexgpu_tensor *t = (hexgpu_tensor *)hexgpu_tensor_map_find(map, name);
    cr_assert(t, "no %s", name);
    return t;
}

/* tiny13 as safetensors bytes, after edit (may be NULL), with extra bytes appended. */
static void write_tiny13(const char *path, void (*edit)(hexgpu_tensor_map *), const char *extra, size_t extra_len,
                         size_t keep) {
    hexgpu_tensor_map map;
    load_tiny13(&map);
    if (edit) edit(&map);
    uint8_t *bytes;
    size_t len;
    hexgpu_error err;
    cr_assert_eq(hexgpu_safetensors_serialize(&map, NULL, 0, &bytes, &len, &err), HEXGPU_OK, "%s", err.message);
    test_buf t = {0};
    tb_put(&t, bytes, keep ? keep : len);
    if (extra_len) tb_put(&t, extra, extra_len);
    write_bytes(path, t.b, t.n);
    tb_free(&t);
    free(bytes);
    hexgpu_tensor_map_free(&map);
}

static void edit_shape(hexgpu_tensor_map *m) {
    hexgpu_tensor *t = tensor(m, "policy_head.weight"); /* [169, 48] -> [48, 169] */
    int64_t rows = t->shape[0];
    t->shape[0] = t->shape[1];
    t->shape[1] = rows;
}

static void edit_missing(hexgpu_tensor_map *m) {
    hexgpu_tensor *t = tensor(m, "value_head.3.bias");
    free(t->name);
    free(t->data);
    *t = m->items[--m->count];
}

static void edit_nan(hexgpu_tensor_map *m) { tensor(m, "input_conv.weight")->data[7] = 0.0f / 0.0f; }

/* Finite but huge: loads and builds, but the policy logits overflow to inf and the
 * softmax gives nan. */
static void edit_huge(hexgpu_tensor_map *m) {
    hexgpu_tensor *t = tensor(m, "policy_head.weight");
    for (int64_t i = 0; i < t->numel; i++) t->data[i] = i % 2 ? 3e38f : -3e38f;
}

static void make_truncated(const char *p) { write_tiny13(p, NULL, NULL, 0, 300000); }
static void make_trailing(const char *p) { write_tiny13(p, NULL, "junk after the data", 19, 0); }
static void make_bad_magic(const char *p) { write_bytes(p, "hello, this is not a model file\n", 32); }
static void make_shape(const char *p) { write_tiny13(p, edit_shape, NULL, 0, 0); }
static void make_missing_key(const char *p) { write_tiny13(p, edit_missing, NULL, 0, 0); }
static void make_nan(const char *p) { write_tiny13(p, edit_nan, NULL, 0, 0); }
static void make_huge(const char *p) { write_tiny13(p, edit_huge, NULL, 0, 0); }
static void make_legacy(const char *p) { write_bytes(p, "\x80\x02}q\x00.", 6); }
static void make_directory(const char *p) { cr_assert_eq(mkdir(p, 0700), 0); }
static void make_fifo(const char *p) { cr_assert_eq(mkfifo(p, 0600), 0); }
static void make_dev_zero(const char *p) { cr_assert_eq(symlink("/dev/zero", p), 0); }
static void make_nothing(const char *p) { (void)p; }

static void make_bad_json(const char *p) {
    const char *header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},}";
    test_buf t = test_safetensors(header, (const uint8_t *)"\0\0\0\0", 4);
    write_bytes(p, t.b, t.n);
    tb_free(&t);
}

static void make_big_endian(const char *p) {
    const float values[4] = {0, 1, 2, 3};
    test_buf pk = test_tensor_pickle("w", 4, 0, 1, (const int[]){4}, (const int[]){1});
    test_zip_entry entries[] = {{"archive/data.pkl", pk.b, pk.n, 0},
                                {"archive/data/0", (const uint8_t *)values, sizeof values, 0},
                                {"archive/byteorder", (const uint8_t *)"big", 3, 0}};
    test_buf z = test_zip_build(entries, 3);
    write_bytes(p, z.b, z.n);
    tb_free(&z);
    tb_free(&pk);
}

static void make_pickle_global(const char *p) {
    test_buf pk = {0};
    tb_op(&pk, 0x80), tb_op(&pk, 2);
    tb_global(&pk, "os", "system");
    tb_str(&pk, "echo pwned");
    tb_op(&pk, 0x85), tb_op(&pk, 'R'), tb_op(&pk, '.');
    test_buf z = test_torch_zip(&pk, NULL, NULL, 0);
    write_bytes(p, z.b, z.n);
    tb_free(&z);
    tb_free(&pk);
}

static void make_zip_without_end(const char *p) {
    uint8_t bytes[4096] = {'P', 'K', 3, 4};
    write_bytes(p, bytes, sizeof bytes);
}

typedef struct broken_class {
    const char *name;
    void (*make)(const char *path);
    const char *want; /* in the message */
    int commands;     /* where it is an error (huge weights convert fine: nothing is evaluated) */
} broken_class;

static const broken_class classes[] = {
    {"truncated", make_truncated, "truncated", ALL},
    {"trailing bytes", make_trailing, "after the last tensor", ALL},
    {"bad magic", make_bad_magic, "unrecognised model file", ALL},
    {"malformed JSON header", make_bad_json, "JSON", ALL},
    {"wrong shape", make_shape, "policy_head.weight", ALL},
    {"missing key", make_missing_key, "value_head.3.bias", ALL},
    {"NaN weight", make_nan, "not finite", ALL},
    {"huge weights", make_huge, "non-finite output", EVALUATING},
    {"legacy pickle", make_legacy, "legacy", ALL},
    {"big-endian zip", make_big_endian, "little-endian", ALL},
    {"pickle global", make_pickle_global, "'os system' is not allowed", ALL},
    {"zip without end record", make_zip_without_end, "end-of-central-directory", ALL},
    {"directory", make_directory, "a folder, not a regular file", ALL},
    {"FIFO", make_fifo, "a FIFO, not a regular file", ALL},
    {"symlink to /dev/zero", make_dev_zero, "a character device, not a regular file", ALL},
    {"missing file", make_nothing, "cannot open", ALL},
};

/* Runs one command on model; out_dir takes convert's output and selfplay's records. */
static void run_command(int command, const char *model, const char *out_dir, hexgpu_cli_result *r) {
    char out[4200];
    snprintf(out, sizeof out, "%s/out.safetensors", out_dir);
    const char *eval[] = {"eval", "--model", model, "--backend", "cpu", "#13,a1", NULL};
    const char *convert[] = {"convert", "--model", model, "--output", out, NULL};
    const char *selfplay[] = {"selfplay", "--model_path", model, "--backend", "cpu", "--num_games", "1", "--mcts_sims",
                              "2", "--output_dir", out_dir, "--progress_interval", "0", NULL};
    const char *bench[] = {"bench", "--model", model, "--backend", "cpu", "--batch", "2", "--seconds", "0.01",
                           "--repeats", "1", NULL};
    const char *const *argv = command == EVAL ? eval : command == CONVERT ? convert : command == SELFPLAY ? selfplay : bench;
    cr_assert_eq(hexgpu_cli_run(argv, NULL, r), 0);
}

static int error_lines(const char *text) {
    int n = 0;
    for (const char *p = text; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) n += strncmp(p, "error: ", 7) == 0;
    return n;
}

static void empty_folder(const char *dir) {
    char cmd[4300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'/*", dir);
    cr_assert_eq(system(cmd), 0);
}

Test(cli_exit_codes, every_broken_model_class_exits_2_in_every_command, .timeout = 120) {
    char dir[] = "/tmp/hexgpu_exit_codes_XXXXXX", out_dir[64], model[128];
    cr_assert(mkdtemp(dir));
    snprintf(out_dir, sizeof out_dir, "%s/out", dir);
    static const char *const names[] = {"eval", "convert", "selfplay", "bench"};
    for (size_t c = 0; c < sizeof classes / sizeof classes[0]; c++) {
        const broken_class *k = &classes[c];
        snprintf(model, sizeof model, "%s/model-%zu", dir, c);
        k->make(model);
        for (int cmd = 0; cmd < 4; cmd++) {
            if (!(k->commands & (1 << cmd))) continue;
            cr_assert_eq(mkdir(out_dir, 0700), 0);
            hexgpu_cli_result r;
            run_command(1 << cmd, model, out_dir, &r);
            const char *last = hexgpu_cli_last_line(r.err);
            cr_assert_eq(r.exit_code, 2, "%s in %s: exit %d, stderr: %s", k->name, names[cmd], r.exit_code, r.err);
            cr_assert(strncmp(last, "error: ", 7) == 0, "%s in %s: %s", k->name, names[cmd], r.err);
            cr_assert(strstr(last, model), "%s in %s: the error does not name the file: %s", k->name, names[cmd], last);
            cr_assert(strstr(last, k->want), "%s in %s: '%s' lacks '%s'", k->name, names[cmd], last, k->want);
            cr_assert_eq(error_lines(r.err), 1, "%s in %s: %s", k->name, names[cmd], r.err);
            cr_assert_null(strstr(r.out, "nan"), "%s in %s printed a nan: %s", k->name, names[cmd], r.out);
            hexgpu_cli_result_free(&r);
            empty_folder(out_dir);
            cr_assert_eq(rmdir(out_dir), 0);
        }
        char rm[256];
        snprintf(rm, sizeof rm, "rm -rf '%s'", model);
        cr_assert_eq(system(rm), 0);
    }
    cr_assert_eq(rmdir(dir), 0);
}

/* Numeric flags beyond what they can mean are usage errors, not failures of the run. */
Test(cli_exit_codes, out_of_range_numeric_flags_exit_2) {
    const char *model = hexgpu_test_fixture_path("tiny13/model.safetensors");
    char m[4096];
    snprintf(m, sizeof m, "%s", model);
    char dir[] = "/tmp/hexgpu_flags_XXXXXX";
    cr_assert(mkdtemp(dir));
    const char *cases[][16] = {
        {"selfplay", "--model_path", m, "--backend", "cpu", "--output_dir", dir, "--cache_size", "9999999999", NULL},
        {"selfplay", "--model_path", m, "--backend", "cpu", "--output_dir", dir, "--batch_size", "99999999", NULL},
        {"eval", "--model", m, "--backend", "cpu", "--threads", "65", "#13,", NULL},
        {"eval", "--model", m, "--backend", "cpu", "--max-batch", "99999999", "#13,", NULL},
        {"bench", "--model", m, "--backend", "cpu", "--repeats", "1001", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hexgpu_cli_result r;
        cr_assert_eq(hexgpu_cli_run(cases[i], NULL, &r), 0);
        cr_assert_eq(r.exit_code, 2, "case %zu (%s): exit %d: %s", i, cases[i][0], r.exit_code, r.err);
        cr_assert(strncmp(hexgpu_cli_last_line(r.err), "error: ", 7) == 0, "%s", r.err);
        hexgpu_cli_result_free(&r);
    }
    empty_folder(dir);
    cr_assert_eq(rmdir(dir), 0);
}
