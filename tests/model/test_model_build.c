/* Hand-built model files for the reader tests (see test_model_build.h). */
#include "model/test_model_build.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

void tb_put(test_buf *t, const void *bytes, size_t n) {
    if (t->n + n > t->cap) {
        t->cap = (t->n + n) * 2 + 64;
        t->b = realloc(t->b, t->cap);
        cr_assert(t->b);
    }
    memcpy(t->b + t->n, bytes, n);
    t->n += n;
}

void tb_op(test_buf *t, uint8_t opcode) { tb_put(t, &opcode, 1); }

void tb_u32(test_buf *t, uint32_t v) {
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    tb_put(t, b, 4);
}

static void tb_u16(test_buf *t, uint16_t v) {
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    tb_put(t, b, 2);
}

void tb_str(test_buf *t, const char *s) {
    tb_op(t, 'X');
    tb_u32(t, (uint32_t)strlen(s));
    tb_put(t, s, strlen(s));
}

void tb_int(test_buf *t, int32_t v) {
    tb_op(t, 'J');
    tb_u32(t, (uint32_t)v);
}

void tb_global(test_buf *t, const char *module, const char *name) {
    tb_op(t, 'c');
    tb_put(t, module, strlen(module));
    tb_op(t, '\n');
    tb_put(t, name, strlen(name));
    tb_op(t, '\n');
}

void tb_free(test_buf *t) {
    free(t->b);
    memset(t, 0, sizeof *t);
}

test_buf test_zip_build(const test_zip_entry *entries, size_t n) {
    test_buf z = {0}, cd = {0};
    for (size_t i = 0; i < n; i++) {
        const test_zip_entry *e = &entries[i];
        uint32_t crc = (uint32_t)crc32(0L, e->data, (uInt)e->size);
        uint32_t offset = (uint32_t)z.n;
        uint16_t name_len = (uint16_t)strlen(e->name);
        tb_u32(&z, 0x04034b50u);
        tb_u16(&z, 20), tb_u16(&z, 0), tb_u16(&z, e->method), tb_u16(&z, 0), tb_u16(&z, 0);
        tb_u32(&z, crc), tb_u32(&z, (uint32_t)e->size), tb_u32(&z, (uint32_t)e->size);
        tb_u16(&z, name_len), tb_u16(&z, 0);
        tb_put(&z, e->name, name_len);
        tb_put(&z, e->data, e->size);
        tb_u32(&cd, 0x02014b50u);
        tb_u16(&cd, 20), tb_u16(&cd, 20), tb_u16(&cd, 0), tb_u16(&cd, e->method), tb_u16(&cd, 0), tb_u16(&cd, 0);
        tb_u32(&cd, crc), tb_u32(&cd, (uint32_t)e->size), tb_u32(&cd, (uint32_t)e->size);
        tb_u16(&cd, name_len), tb_u16(&cd, 0), tb_u16(&cd, 0), tb_u16(&cd, 0), tb_u16(&cd, 0);
        tb_u32(&cd, 0), tb_u32(&cd, offset);
        tb_put(&cd, e->name, name_len);
    }
    uint32_t cd_offset = (uint32_t)z.n;
    tb_put(&z, cd.b, cd.n);
    tb_u32(&z, 0x06054b50u);
    tb_u16(&z, 0), tb_u16(&z, 0), tb_u16(&z, (uint16_t)n), tb_u16(&z, (uint16_t)n);
    tb_u32(&z, (uint32_t)cd.n), tb_u32(&z, cd_offset), tb_u16(&z, 0);
    tb_free(&cd);
    return z;
}

test_buf test_torch_zip(const test_buf *pickle, const uint8_t *const *storages, const size_t *sizes, size_t n) {
    test_zip_entry entries[8];
    char names[8][40]; /* "archive/data/" + any size_t: no truncation warning */
    cr_assert(n < 7);
    entries[0] = (test_zip_entry){"archive/data.pkl", pickle->b, pickle->n, 0};
    entries[1] = (test_zip_entry){"archive/byteorder", (const uint8_t *)"little", 6, 0};
    for (size_t i = 0; i < n; i++) {
        snprintf(names[i], sizeof names[i], "archive/data/%zu", i);
        entries[2 + i] = (test_zip_entry){names[i], storages[i], sizes[i], 0};
    }
    return test_zip_build(entries, n + 2);
}

static void int_tuple(test_buf *t, int n, const int *v) {
    tb_op(t, '(');
    for (int i = 0; i < n; i++) tb_int(t, v[i]);
    tb_op(t, 't');
}

test_buf test_tensor_pickle(const char *name, int storage_numel, int offset, int ndim, const int *shape,
                            const int *stride) {
    test_buf p = {0};
    tb_op(&p, 0x80), tb_op(&p, 2);
    tb_op(&p, '}');
    tb_op(&p, '(');
    tb_str(&p, name);
    tb_global(&p, "torch._utils", "_rebuild_tensor_v2");
    tb_op(&p, '(');
    tb_op(&p, '(');
    tb_str(&p, "storage");
    tb_global(&p, "torch", "FloatStorage");
    tb_str(&p, "0");
    tb_str(&p, "cpu");
    tb_int(&p, storage_numel);
    tb_op(&p, 't');
    tb_op(&p, 'Q');
    tb_int(&p, offset);
    int_tuple(&p, ndim, shape);
    int_tuple(&p, ndim, stride);
    tb_op(&p, 0x89);
    tb_global(&p, "collections", "OrderedDict");
    tb_op(&p, ')');
    tb_op(&p, 'R');
    tb_op(&p, 't');
    tb_op(&p, 'R');
    tb_op(&p, 'u');
    tb_op(&p, '.');
    return p;
}

test_buf test_safetensors(const char *header, const uint8_t *data, size_t data_len) {
    test_buf t = {0};
    uint64_t n = strlen(header);
    uint8_t len[8];
    for (int i = 0; i < 8; i++) len[i] = (uint8_t)(n >> (8 * i));
    tb_put(&t, len, 8);
    tb_put(&t, header, n);
    if (data_len) tb_put(&t, data, data_len);
    return t;
}

/* Deflates in (with flush) into t; gzip wrapper (window bits 31). */
static void deflate_into(z_stream *zs, test_buf *t, const uint8_t *in, size_t n, int flush) {
    uint8_t out[1 << 16];
    zs->next_in = (Bytef *)in;
    zs->avail_in = (uInt)n;
    do {
        zs->next_out = out;
        zs->avail_out = sizeof out;
        int ret = deflate(zs, flush);
        cr_assert(ret == Z_OK || ret == Z_STREAM_END || ret == Z_BUF_ERROR, "deflate: %d", ret);
        tb_put(t, out, sizeof out - zs->avail_out);
    } while (zs->avail_out == 0 || zs->avail_in > 0);
}

test_buf test_gzip(const uint8_t *data, size_t n) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    cr_assert_eq(deflateInit2(&zs, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
    test_buf t = {0};
    deflate_into(&zs, &t, data, n, Z_FINISH);
    deflateEnd(&zs);
    return t;
}

test_buf test_gzip_zeros(const uint8_t *prefix, size_t prefix_len, size_t mib) {
    static const uint8_t zeros[1 << 20];
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    cr_assert_eq(deflateInit2(&zs, 9, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
    test_buf t = {0}, chunk = {0};
    deflate_into(&zs, &t, prefix, prefix_len, Z_NO_FLUSH);
    deflate_into(&zs, &t, zeros, sizeof zeros, Z_FULL_FLUSH);
    deflate_into(&zs, &chunk, zeros, sizeof zeros, Z_FULL_FLUSH); /* independent of what came before */
    for (size_t i = 1; i < mib; i++) tb_put(&t, chunk.b, chunk.n);
    deflate_into(&zs, &t, NULL, 0, Z_FINISH);
    deflateEnd(&zs);
    tb_free(&chunk);
    /* The trailer deflate wrote covers two MiB: make it the whole stream's. */
    uLong zeros_crc = crc32(0L, zeros, sizeof zeros), crc = crc32(0L, prefix, (uInt)prefix_len);
    for (size_t i = 0; i < mib; i++) crc = crc32_combine(crc, zeros_crc, sizeof zeros);
    uint64_t total = prefix_len + (uint64_t)mib * sizeof zeros;
    for (int i = 0; i < 4; i++) {
        t.b[t.n - 8 + i] = (uint8_t)(crc >> (8 * i));
        t.b[t.n - 4 + i] = (uint8_t)(total >> (8 * i));
    }
    return t;
}
