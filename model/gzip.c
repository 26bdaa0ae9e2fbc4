/* Inflating a .pt.gz with bounded memory. The output must be a zip archive: its first
 * four bytes are checked as soon as they are out, so a bomb of anything else costs
 * nothing. A stream that inflates to at most HEXGPU_MODEL_GZIP_ONE_PASS_BYTES is kept as
 * it comes out; a longer one is inflated twice: the first pass keeps only its last bytes,
 * whose zip end records must declare exactly the length inflated (the central directory
 * ends where they begin), and only then the second pass fills a buffer of that length.
 * So memory past the one-pass size goes only to archives that declare it. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "model/model_bytes.h"
#include "model/model_file.h"
#include "base/status.h"
#include "model/zip.h"

#define WINDOW ((size_t)1 << 20) /* zlib writes here; pieces go on to a sink */

typedef hexgpu_status (*sink_fn)(void *ctx, const uint8_t *piece, size_t n, hexgpu_error *err);

/* Runs zlib over every member of the stream and hands each piece of output to sink. */
static hexgpu_status inflate_stream(const uint8_t *bytes, size_t len, uint8_t *window, sink_fn sink, void *ctx,
                                    hexgpu_error *err) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
        return hexgpu_error_set(err, HEXGPU_ERR_INTERNAL, "gzip: inflateInit2 failed");
    size_t in_pos = 0;
    hexgpu_status st = HEXGPU_OK;
    for (;;) {
        if (zs.avail_in == 0 && in_pos < len) {
            size_t n = len - in_pos > (1u << 30) ? (1u << 30) : len - in_pos;
            zs.next_in = (Bytef *)(bytes + in_pos);
            zs.avail_in = (uInt)n;
            in_pos += n;
        }
        zs.next_out = window;
        zs.avail_out = (uInt)WINDOW;
        size_t consumed_before = in_pos - zs.avail_in;
        int ret = inflate(&zs, Z_NO_FLUSH);
        size_t produced = WINDOW - zs.avail_out;
        if (produced && (st = sink(ctx, window, produced, err)) != HEXGPU_OK) break;
        if (ret == Z_STREAM_END) {
            size_t at = in_pos - zs.avail_in;
            if (at == len) break;
            if (!hexgpu_bytes_are_gzip(bytes + at, len - at)) {
                st = hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT, "gzip: trailing bytes after the stream (offset %zu)",
                                      at);
                break;
            }
            inflateReset(&zs); /* another gzip member follows */
            continue;
        }
        if (ret == Z_DATA_ERROR || ret == Z_NEED_DICT || ret == Z_STREAM_ERROR || ret == Z_MEM_ERROR) {
            st = hexgpu_error_set(err, ret == Z_MEM_ERROR ? HEXGPU_ERR_OUT_OF_MEMORY : HEXGPU_ERR_MODEL_FORMAT,
                                  "gzip: corrupt stream near input offset %zu (%s)", in_pos - zs.avail_in,
                                  zs.msg ? zs.msg : "inflate failed");
            break;
        }
        int progressed = produced || consumed_before != in_pos - zs.avail_in;
        if (!progressed && zs.avail_in == 0 && in_pos == len) {
            st = hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT,
                                  "gzip: stream truncated after %zu bytes (file incomplete?)", len);
            break;
        }
    }
    inflateEnd(&zs);
    return st;
}

/* The first pass: the output itself up to one_pass bytes, beyond that only its tail. */
typedef struct collect {
    uint64_t max_out, one_pass, total;
    uint8_t head[4];
    uint8_t *buf; /* the output while total <= one_pass */
    size_t cap;
    int spilled;  /* total went past one_pass: buf is freed, tail holds the last bytes */
    uint8_t *tail; /* 2 x HEXGPU_ZIP_END_BYTES, the last tail_len bytes of the output */
    size_t tail_len;
} collect;

static void tail_append(collect *c, const uint8_t *d, size_t n) {
    const size_t keep_max = HEXGPU_ZIP_END_BYTES;
    if (n >= keep_max) {
        memcpy(c->tail, d + n - keep_max, keep_max);
        c->tail_len = keep_max;
        return;
    }
    if (c->tail_len + n > 2 * keep_max) { /* keep the last keep_max - n bytes, room for n */
        size_t keep = keep_max - n;
        memmove(c->tail, c->tail + c->tail_len - keep, keep);
        c->tail_len = keep;
    }
    memcpy(c->tail + c->tail_len, d, n);
    c->tail_len += n;
}

static hexgpu_status not_a_zip(const collect *c, hexgpu_error *err) {
    return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT,
                            "gzip: the decompressed data is not a PyTorch zip archive (first bytes %02x %02x %02x %02x)",
                            c->head[0], c->head[1], c->head[2], c->head[3]);
}

static hexgpu_status collect_piece(void *ctx, const uint8_t *piece, size_t n, hexgpu_error *err) {
    collect *c = ctx;
    if (c->total < 4) {
        size_t k = 4 - (size_t)c->total < n ? 4 - (size_t)c->total : n;
        memcpy(c->head + c->total, piece, k);
        if (c->total + k == 4 && !hexgpu_bytes_are_zip(c->head, 4)) return not_a_zip(c, err);
    }
    if (n > c->max_out - c->total)
        return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT, "gzip: inflates to more than %llu bytes",
                                (unsigned long long)c->max_out);
    uint64_t end = c->total + n;
    if (!c->spilled && end <= c->one_pass) {
        if (end > c->cap) {
            uint64_t nc = (uint64_t)c->cap * 2 > end ? (uint64_t)c->cap * 2 : end;
            if (nc > c->one_pass) nc = c->one_pass;
            uint8_t *nb = realloc(c->buf, (size_t)nc);
            if (!nb)
                return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "gzip: out of memory at %llu bytes",
                                        (unsigned long long)nc);
            c->buf = nb;
            c->cap = (size_t)nc;
        }
        memcpy(c->buf + c->total, piece, n);
    } else {
        if (!c->spilled) {
            if (!(c->tail = malloc(2 * HEXGPU_ZIP_END_BYTES)))
                return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "gzip: out of memory");
            size_t kept = c->total < HEXGPU_ZIP_END_BYTES ? (size_t)c->total : HEXGPU_ZIP_END_BYTES;
            tail_append(c, c->buf + c->total - kept, kept);
            free(c->buf);
            c->buf = NULL;
            c->spilled = 1;
        }
        tail_append(c, piece, n);
    }
    c->total = end;
    return HEXGPU_OK;
}

/* The second pass: into a buffer of exactly the length the first pass found. */
typedef struct fill {
    uint8_t *buf;
    size_t len, at;
} fill;

static hexgpu_status fill_piece(void *ctx, const uint8_t *piece, size_t n, hexgpu_error *err) {
    fill *f = ctx;
    if (n > f->len - f->at)
        return hexgpu_error_set(err, HEXGPU_ERR_INTERNAL, "gzip: the second pass inflates past the first");
    memcpy(f->buf + f->at, piece, n);
    f->at += n;
    return HEXGPU_OK;
}

/* The ISIZE trailer, trusted only up to deflate's maximum ratio (about 1032:1), as the
 * size of the first allocation. */
static uint64_t size_hint(const uint8_t *bytes, size_t len, uint64_t limit) {
    uint64_t hint = len >= 4 ? ((uint64_t)bytes[len - 4] | (uint64_t)bytes[len - 3] << 8 |
                                (uint64_t)bytes[len - 2] << 16 | (uint64_t)bytes[len - 1] << 24)
                             : 0;
    uint64_t ratio_limit = (uint64_t)len * 1032 + 65536;
    if (hint > ratio_limit) hint = ratio_limit;
    if (hint > limit) hint = limit;
    return hint < 4096 ? 4096 : hint;
}

hexgpu_status hexgpu_gzip_inflate(const uint8_t *bytes, size_t len, uint64_t max_out, uint8_t **out,
                                  size_t *out_len, hexgpu_error *err) {
    *out = NULL;
    *out_len = 0;
    uint64_t one_pass = HEXGPU_MODEL_GZIP_ONE_PASS_BYTES < max_out ? HEXGPU_MODEL_GZIP_ONE_PASS_BYTES : max_out;
    collect c = {.max_out = max_out, .one_pass = one_pass};
    c.cap = (size_t)size_hint(bytes, len, one_pass);
    c.buf = malloc(c.cap);
    uint8_t *window = malloc(WINDOW);
    hexgpu_status st = HEXGPU_OK;
    if (!c.buf || !window) st = hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "gzip: out of memory");
    if (st == HEXGPU_OK) st = inflate_stream(bytes, len, window, collect_piece, &c, err);
    if (st == HEXGPU_OK && c.total < 4) st = not_a_zip(&c, err);
    if (st == HEXGPU_OK && c.spilled) {
        size_t kept = c.tail_len < HEXGPU_ZIP_END_BYTES ? c.tail_len : HEXGPU_ZIP_END_BYTES;
        st = hexgpu_zip_check_end(c.tail + c.tail_len - kept, kept, c.total, err);
        if (st != HEXGPU_OK) hexgpu_error_prefix(err, st, "gzip: %llu inflated bytes", (unsigned long long)c.total);
        fill f = {.len = (size_t)c.total};
        if (st == HEXGPU_OK && !(f.buf = malloc(f.len)))
            st = hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "gzip: out of memory for %zu inflated bytes", f.len);
        if (st == HEXGPU_OK) st = inflate_stream(bytes, len, window, fill_piece, &f, err);
        if (st == HEXGPU_OK && f.at != f.len)
            st = hexgpu_error_set(err, HEXGPU_ERR_INTERNAL, "gzip: the second pass inflates less than the first");
        if (st == HEXGPU_OK) c.buf = f.buf;
        else free(f.buf);
    }
    free(window);
    free(c.tail);
    if (st != HEXGPU_OK) {
        free(c.buf);
        return st;
    }
    *out = c.buf;
    *out_len = (size_t)c.total;
    return HEXGPU_OK;
}
