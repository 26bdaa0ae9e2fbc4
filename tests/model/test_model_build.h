/* Test helpers that build model files by hand: pickles opcode by opcode, stored (or
 * deflated) zip archives, safetensors with a given header, gzip streams and bombs. */
#pragma once

#include <stddef.h>
#include <stdint.h>

typedef struct test_buf {
    uint8_t *b;
    size_t n, cap;
} test_buf;

void tb_put(test_buf *t, const void *bytes, size_t n);
void tb_op(test_buf *t, uint8_t opcode);
void tb_u32(test_buf *t, uint32_t v);
void tb_str(test_buf *t, const char *s);                       /* BINUNICODE */
void tb_int(test_buf *t, int32_t v);                           /* BININT */
void tb_global(test_buf *t, const char *module, const char *name); /* GLOBAL */
void tb_free(test_buf *t);

typedef struct test_zip_entry {
    const char *name;
    const uint8_t *data;
    size_t size;
    uint16_t method; /* recorded method; the data is stored as given either way */
} test_zip_entry;

/* A zip archive of the entries (local headers, central directory, end record). */
test_buf test_zip_build(const test_zip_entry *entries, size_t n);

/* A torch-style archive "archive/data.pkl" + "archive/data/<i>" for each storage. */
test_buf test_torch_zip(const test_buf *pickle, const uint8_t *const *storages, const size_t *sizes, size_t n);

/* The pickle of {name: tensor} for one FloatStorage '0' of storage_numel elements,
 * with the given offset, shape and stride (ndim of each). */
test_buf test_tensor_pickle(const char *name, int storage_numel, int offset, int ndim, const int *shape,
                            const int *stride);

/* 8-byte length + header + data. */
test_buf test_safetensors(const char *header, const uint8_t *data, size_t data_len);

/* data gzipped (one member, a valid trailer). */
test_buf test_gzip(const uint8_t *data, size_t n);

/* A gzip bomb, cheap to make: prefix then `mib` MiB of zeros, each MiB one repeated
 * full-flush deflate chunk of about 1 KB; a valid trailer. */
test_buf test_gzip_zeros(const uint8_t *prefix, size_t prefix_len, size_t mib);
