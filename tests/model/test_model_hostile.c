/* Broken and hostile model files: every one is refused with a clear message (or, for a
 * flipped data byte, loads as a consistent map); nothing crashes or allocates much. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model_file.h"
#include "model/pickle.h"
#include "model/test_model_build.h"
#include "model/test_model_util.h"
#include "support/fixtures.h"

static const char *const forms[] = {"tiny13/model.safetensors", "tiny13/checkpoint.pt", "tiny13/checkpoint.pt.gz",
                                    "tiny13/state_dict.pt", "tiny11/checkpoint.pt.gz"};

/* Loads bytes expecting a refusal whose message contains want (when not NULL). */
static void expect_refused(const uint8_t *bytes, size_t len, const char *want) {
    hexgpu_tensor_map map = {0};
    hexgpu_error err = {0};
    hexgpu_status st = hexgpu_model_bytes_load(bytes, len, &map, NULL, &err);
    cr_assert_neq(st, HEXGPU_OK, "accepted a broken file (%zu bytes); wanted '%s'", len, want ? want : "");
    cr_assert_eq(map.count, 0, "a failed load left tensors behind");
    cr_assert(err.message[0], "no message");
    cr_assert(!strchr(err.message, '\n'), "message is not one line: %s", err.message);
    if (want) cr_assert(strstr(err.message, want), "message '%s' lacks '%s'", err.message, want);
}

static void check_consistent(const hexgpu_tensor_map *map) {
    for (size_t i = 0; i < map->count; i++) {
        int64_t n = 1;
        for (int d = 0; d < map->items[i].ndim; d++) n *= map->items[i].shape[d];
        cr_assert_eq(n, map->items[i].numel);
    }
}

Test(model_hostile, truncated_everywhere) {
    for (size_t f = 0; f < sizeof forms / sizeof forms[0]; f++) {
        size_t len;
        uint8_t *bytes = model_test_read(hexgpu_test_fixture_path(forms[f]), &len);
        for (size_t k = 0; k < 200; k++) {
            size_t cut = len * k / 200;
            expect_refused(bytes, cut, NULL);
        }
        for (size_t back = 1; back <= 24; back++) expect_refused(bytes, len - back, NULL);
        free(bytes);
    }
}

Test(model_hostile, flipped_bytes_never_crash) {
    int loaded = 0, refused = 0;
    for (size_t f = 0; f < 4; f++) { /* the four tiny13 forms */
        size_t len;
        uint8_t *bytes = model_test_read(hexgpu_test_fixture_path(forms[f]), &len);
        /* The first 4 KB hold the headers and the pickle: flip densely there, then spread. */
        for (size_t k = 0; k < 400; k++) {
            size_t at = k < 200 ? (k * 4096 / 200) % len : len * (k - 200) / 200;
            uint8_t saved = bytes[at];
            bytes[at] ^= (uint8_t)(1u << (k % 8)) | 0x40;
            hexgpu_tensor_map map = {0};
            hexgpu_error err = {0};
            if (hexgpu_model_bytes_load(bytes, len, &map, NULL, &err) == HEXGPU_OK) {
                check_consistent(&map);
                loaded++;
            } else {
                cr_assert(err.message[0]);
                cr_assert_eq(map.count, 0);
                refused++;
            }
            hexgpu_tensor_map_free(&map);
            bytes[at] = saved;
        }
        free(bytes);
    }
    cr_assert_gt(refused, 100, "corruption should mostly be caught (%d refused, %d loaded)", refused, loaded);
}

Test(model_hostile, empty_and_garbage) {
    expect_refused((const uint8_t *)"", 0, "empty file");
    expect_refused((const uint8_t *)"hello world, not a model", 24, "unrecognised model file");
    expect_refused((const uint8_t *)"\x80\x02}q\x00.", 6, "legacy");
    uint64_t s = 12345;
    uint8_t buf[4096];
    static const uint8_t magics[4][4] = {{0x1f, 0x8b, 8, 0}, {'P', 'K', 3, 4}, {0x80, 2, 0, 0}, {16, 0, 0, 0}};
    for (int i = 0; i < 1000; i++) {
        size_t len = 1 + (size_t)(i * 37 % 4096);
        for (size_t j = 0; j < len; j++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            buf[j] = (uint8_t)(s >> 56);
        }
        if (i % 5 < 4 && len >= 9) memcpy(buf, magics[i % 5], 4);
        if (i % 5 == 3 && len >= 9) buf[8] = '{';
        expect_refused(buf, len, NULL);
    }
}

Test(model_hostile, safetensors_header_lies) {
    test_buf t = test_safetensors("{}", NULL, 0);
    t.b[0] = 100; /* claims 100 header bytes, the file has 2 */
    expect_refused(t.b, t.n, "header claims 100 bytes");
    for (int i = 0; i < 8; i++) t.b[i] = 0;
    t.b[7] = 0x80; /* 2^63 */
    expect_refused(t.b, t.n, "exceeds the");
    tb_free(&t);
    t = test_safetensors("{}", NULL, 0);
    expect_refused(t.b, t.n, "no tensors");
    tb_free(&t);
}

static void refused_header(const char *header, size_t data_len, const char *want) {
    uint8_t data[64] = {0};
    test_buf t = test_safetensors(header, data, data_len);
    expect_refused(t.b, t.n, want);
    tb_free(&t);
}

Test(model_hostile, safetensors_bad_tensors) {
    refused_header("{\"a\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "dtype 'I32' is not supported");
    refused_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4, "needs 8");
    refused_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,8]}}", 4, "past the data");
    refused_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", 4, "begin <= end");
    refused_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, "non-negative");
    refused_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,4]}}", 4,
                   "too large");
    refused_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4, "non-negative integers");
    refused_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},}", 4, "JSON");
    refused_header("{\"a\":1,\"a\":2}", 4, "duplicate key");
    refused_header("{\"__metadata__\":{\"board_size\":\"99\"}}", 0, "board_size");
    refused_header("{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", 0, "too deep");
    /* Many tensors aliasing the same bytes cannot multiply the memory a file costs. */
    test_buf h = {0};
    tb_put(&h, "{", 1);
    for (int i = 0; i < 3000; i++) {
        char entry[96];
        snprintf(entry, sizeof entry, "%s\"t%d\":{\"dtype\":\"F32\",\"shape\":[256],\"data_offsets\":[0,1024]}",
                 i ? "," : "", i);
        tb_put(&h, entry, strlen(entry));
    }
    tb_put(&h, "}", 2);
    uint8_t *data = calloc(1024, 1);
    test_buf t = test_safetensors((const char *)h.b, data, 1024);
    expect_refused(t.b, t.n, "exceed the output allowed");
    free(data);
    tb_free(&t);
    tb_free(&h);
}

Test(model_hostile, safetensors_f16_bf16_convert) {
    /* 1.0 and -2.0 as F16 (3c00, c000) and BF16 (3f80, c000). */
    const uint8_t data[] = {0x00, 0x3c, 0x00, 0xc0, 0x80, 0x3f, 0x00, 0xc0};
    test_buf t = test_safetensors("{\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},"
                                  "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[4,8]}}",
                                  data, sizeof data);
    hexgpu_tensor_map map = {0};
    hexgpu_error err = {0};
    cr_assert_eq(hexgpu_model_bytes_load(t.b, t.n, &map, NULL, &err), HEXGPU_OK, "%s", err.message);
    const hexgpu_tensor *h = hexgpu_tensor_map_find(&map, "h"), *b = hexgpu_tensor_map_find(&map, "b");
    cr_assert(h && b);
    cr_assert(h->data[0] == 1.0f && h->data[1] == -2.0f && b->data[0] == 1.0f && b->data[1] == -2.0f);
    cr_assert_eq(h->source_dtype, HEXGPU_DTYPE_F16);
    hexgpu_tensor_map_free(&map);
    tb_free(&t);
}

Test(model_hostile, pickle_global_os_system_is_refused_by_name) {
    test_buf p = {0};
    tb_op(&p, 0x80), tb_op(&p, 2);
    tb_global(&p, "os", "system");
    tb_str(&p, "echo pwned");
    tb_op(&p, 0x85);
    tb_op(&p, 'R');
    tb_op(&p, '.');
    test_buf z = test_torch_zip(&p, NULL, NULL, 0);
    expect_refused(z.b, z.n, "pickle global 'os system' is not allowed (offset 2)");
    tb_free(&z);
    /* The same through the unpickler alone, and a builtin that would execute. */
    hexgpu_pickle *pk;
    const hexgpu_pickle_value *root;
    hexgpu_error err = {0};
    cr_assert_neq(hexgpu_pickle_load(p.b, p.n, &pk, &root, &err), HEXGPU_OK);
    cr_assert(strstr(err.message, "'os system'"), "%s", err.message);
    tb_free(&p);
    tb_op(&p, 0x80), tb_op(&p, 2);
    tb_global(&p, "builtins", "eval");
    tb_op(&p, '.');
    cr_assert_neq(hexgpu_pickle_load(p.b, p.n, &pk, &root, &err), HEXGPU_OK);
    cr_assert(strstr(err.message, "'builtins eval' is not allowed"), "%s", err.message);
    tb_free(&p);
}

Test(model_hostile, pickle_structural_errors) {
    struct {
        const char *bytes;
        size_t len;
        const char *want;
    } cases[] = {
        {"\x80\x02}q", 4, "truncated pickle (offset 3)"},
        {"\x80\x02r\xff\xff\xff\xff.", 8, "empty stack"},
        {"\x80\x02}r\xff\xff\xff\xff.", 9, "memo index out of range"},
        {"\x80\x02h\x05.", 5, "memo index not set"},
        {"\x80\x02X\xff\xff\xff\x7f", 7, "truncated pickle"},
        {"\x80\x02t.", 4, "no MARK"},
        {"\x80\x02}}.", 5, "STOP with 2 values"},
        {"\x80\x02\x8a\x09\x01\x02\x03\x04\x05\x06\x07\x08\x09.", 14, "wider than 64 bits"},
        {"\x80\x02(s.", 5, "stack underflow"},
        {"\x80\x02}]a.", 6, "not a list"},
        {"\x80\x02\x63torch\nFloatStorage\n)R.", 25, "cannot be called"},
        {"\x80\x02I1\n.", 6, "opcode 0x49 is not supported"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hexgpu_pickle *pk = NULL;
        const hexgpu_pickle_value *root;
        hexgpu_error err = {0};
        hexgpu_status st = hexgpu_pickle_load((const uint8_t *)cases[i].bytes, cases[i].len, &pk, &root, &err);
        cr_assert_neq(st, HEXGPU_OK, "case %zu accepted", i);
        cr_assert(pk == NULL);
        cr_assert(strstr(err.message, cases[i].want), "case %zu: '%s' lacks '%s'", i, err.message, cases[i].want);
    }
}

Test(model_hostile, zip_entry_problems) {
    const float values[4] = {0, 1, 2, 3};
    const uint8_t *storages[1] = {(const uint8_t *)values};
    size_t sizes[1] = {sizeof values};
    /* A deflated data.pkl is refused naming the method. */
    test_buf p = test_tensor_pickle("w", 4, 0, 1, (const int[]){4}, (const int[]){1});
    test_zip_entry entries[] = {{"archive/data.pkl", p.b, p.n, 8}};
    test_buf z = test_zip_build(entries, 1);
    expect_refused(z.b, z.n, "is compressed (method 8)");
    tb_free(&z);
    /* No data.pkl at all. */
    entries[0].name = "archive/other.pkl";
    entries[0].method = 0;
    z = test_zip_build(entries, 1);
    expect_refused(z.b, z.n, "no <prefix>/data.pkl");
    tb_free(&z);
    /* The storage entry is missing. */
    z = test_torch_zip(&p, NULL, NULL, 0);
    expect_refused(z.b, z.n, "storage entry data/0 is missing");
    tb_free(&z);
    /* A tensor reaching past its storage, and a storage shorter than it claims. */
    tb_free(&p);
    p = test_tensor_pickle("w", 4, 2, 1, (const int[]){4}, (const int[]){1});
    z = test_torch_zip(&p, storages, sizes, 1);
    expect_refused(z.b, z.n, "reaches past its storage");
    tb_free(&z);
    tb_free(&p);
    p = test_tensor_pickle("w", 8, 0, 1, (const int[]){4}, (const int[]){1});
    z = test_torch_zip(&p, storages, sizes, 1);
    expect_refused(z.b, z.n, "too few for 8");
    tb_free(&z);
    /* A zero stride expanding one element a billion times costs nothing. */
    tb_free(&p);
    p = test_tensor_pickle("w", 4, 0, 1, (const int[]){1000000000}, (const int[]){0});
    z = test_torch_zip(&p, storages, sizes, 1);
    expect_refused(z.b, z.n, "exceed the output allowed");
    tb_free(&z);
    tb_free(&p);
}

Test(model_hostile, strided_tensor_is_gathered) {
    /* A transposed 2x2 view of storage [0 1 2 3]: element [i][j] = storage[i + 2j]. */
    const float values[4] = {0, 1, 2, 3};
    const uint8_t *storages[1] = {(const uint8_t *)values};
    size_t sizes[1] = {sizeof values};
    test_buf p = test_tensor_pickle("t", 4, 0, 2, (const int[]){2, 2}, (const int[]){1, 2});
    test_buf z = test_torch_zip(&p, storages, sizes, 1);
    hexgpu_tensor_map map = {0};
    hexgpu_model_file_info info;
    hexgpu_error err = {0};
    cr_assert_eq(hexgpu_model_bytes_load(z.b, z.n, &map, &info, &err), HEXGPU_OK, "%s", err.message);
    const hexgpu_tensor *t = hexgpu_tensor_map_find(&map, "t");
    cr_assert(t && t->ndim == 2 && t->shape[0] == 2 && t->shape[1] == 2);
    cr_assert(t->data[0] == 0 && t->data[1] == 2 && t->data[2] == 1 && t->data[3] == 3);
    cr_assert_eq(info.trainer_checkpoint, 0);
    hexgpu_tensor_map_free(&map);
    tb_free(&z);
    tb_free(&p);
}

Test(model_hostile, pickle_small_valid_forms) {
    /* An empty tuple from MARK+TUPLE (a fuzz finding), and protocol-4 framing opcodes. */
    hexgpu_pickle *pk;
    const hexgpu_pickle_value *root;
    hexgpu_error err = {0};
    cr_assert_eq(hexgpu_pickle_load((const uint8_t *)"\x80\x02(t.", 5, &pk, &root, &err), HEXGPU_OK, "%s", err.message);
    cr_assert(root->type == HEXGPU_PICKLE_TUPLE && root->count == 0);
    hexgpu_pickle_destroy(pk);
    static const char p4[] = "\x80\x04\x95\x0a\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01" "a\x94K\x07s\x8c\x01" "b\x94h\x00s.";
    cr_assert_eq(hexgpu_pickle_load((const uint8_t *)p4, sizeof p4 - 1, &pk, &root, &err), HEXGPU_OK, "%s", err.message);
    const hexgpu_pickle_value *a = hexgpu_pickle_dict_get(root, "a"), *b = hexgpu_pickle_dict_get(root, "b");
    cr_assert(a && a->type == HEXGPU_PICKLE_INT && a->integer == 7);
    cr_assert(b == root, "memo 0 is the dict itself");
    hexgpu_pickle_destroy(pk);
    static const char sg[] = "\x80\x04\x8c\x02os\x8c\x06system\x93.";
    cr_assert_neq(hexgpu_pickle_load((const uint8_t *)sg, sizeof sg - 1, &pk, &root, &err), HEXGPU_OK);
    cr_assert(strstr(err.message, "pickle global 'os system' is not allowed"), "%s", err.message);
}

/* A header of n zero-size tensors (and __metadata__ when with_metadata); the first
 * tensor's dtype is I32, refused as soon as the tensors are read. */
static test_buf many_tensors(int n, int with_metadata) {
    test_buf h = {0};
    tb_put(&h, "{", 1);
    if (with_metadata) tb_put(&h, "\"__metadata__\":{\"arch\":\"x\"},", 28);
    for (int i = 0; i < n; i++) {
        char entry[96];
        snprintf(entry, sizeof entry, "%s\"t%d\":{\"dtype\":\"%s\",\"shape\":[0],\"data_offsets\":[0,0]}",
                 i ? "," : "", i, i ? "F32" : "I32");
        tb_put(&h, entry, strlen(entry));
    }
    tb_put(&h, "}", 2);
    test_buf t = test_safetensors((const char *)h.b, NULL, 0);
    tb_free(&h);
    return t;
}

Test(model_hostile, tensor_limit_counts_tensors_not_metadata) {
    char want[96];
    snprintf(want, sizeof want, "%d tensors exceed the limit of %d", HEXGPU_MODEL_MAX_TENSORS + 1,
             HEXGPU_MODEL_MAX_TENSORS);
    for (int with_metadata = 0; with_metadata < 2; with_metadata++) {
        /* One too many, with or without __metadata__ beside them; the count is what the
         * file holds (read before the header is freed). */
        test_buf t = many_tensors(HEXGPU_MODEL_MAX_TENSORS + 1, with_metadata);
        expect_refused(t.b, t.n, want);
        tb_free(&t);
        /* Exactly the limit passes the count (and is then refused for its first tensor). */
        t = many_tensors(HEXGPU_MODEL_MAX_TENSORS, with_metadata);
        expect_refused(t.b, t.n, "dtype 'I32' is not supported");
        tb_free(&t);
    }
}

Test(model_hostile, safetensors_header_depth_is_bounded_by_the_format) {
    /* A tensor's shape sits at depth 3; nesting past HEXGPU_MODEL_MAX_HEADER_DEPTH is
     * refused, however the JSON parser's own default allows more. */
    refused_header("{\"__metadata__\":{\"a\":[[[[[[[[[1]]]]]]]]]}}", 0, "nesting too deep");
}
