/* Zip central-directory reader for PyTorch checkpoints. Every offset and size read from
 * the file is checked against the buffer before use; nothing is decompressed. The end
 * records can also be checked alone, from the archive's last bytes (model_file.c and
 * gzip.c do so before reading or inflating the rest). */
#include "model/zip.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "base/status.h"

#define SIG_EOCD 0x06054b50u
#define SIG_EOCD64 0x06064b50u
#define SIG_EOCD64_LOCATOR 0x07064b50u
#define SIG_CENTRAL 0x02014b50u
#define SIG_LOCAL 0x04034b50u
#define EOCD_SIZE 22u
#define CENTRAL_SIZE 46u
#define LOCAL_SIZE 30u

static uint64_t le(const uint8_t *p, int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static hexgpu_status corrupt(hexgpu_error *err, const char *what, uint64_t offset) {
    return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT, "zip: %s (offset %llu)", what, (unsigned long long)offset);
}

/* The last end-of-central-directory record whose comment runs exactly to the end. */
static int find_eocd(const uint8_t *b, size_t len, size_t *at) {
    if (len < EOCD_SIZE) return 0;
    size_t lowest = len - EOCD_SIZE > 0xFFFF ? len - EOCD_SIZE - 0xFFFF : 0;
    for (size_t i = len - EOCD_SIZE + 1; i-- > lowest;) {
        if (le(b + i, 4) == SIG_EOCD && i + EOCD_SIZE + le(b + i + 20, 2) == len) {
            *at = i;
            return 1;
        }
    }
    return 0;
}

/* Replaces 0xFFFFFFFF sizes/offset with their ZIP64 extra-field values. */
static hexgpu_status apply_zip64(hexgpu_zip_entry *e, const uint8_t *extra, size_t extra_len, uint64_t at,
                                 hexgpu_error *err) {
    int need_size = e->size == 0xFFFFFFFFu, need_csize = e->compressed_size == 0xFFFFFFFFu,
        need_offset = e->local_offset == 0xFFFFFFFFu;
    if (!need_size && !need_csize && !need_offset) return HEXGPU_OK;
    size_t pos = 0;
    while (pos + 4 <= extra_len) {
        uint64_t id = le(extra + pos, 2), n = le(extra + pos + 2, 2);
        if (pos + 4 + n > extra_len) break;
        if (id == 1) {
            const uint8_t *f = extra + pos + 4;
            size_t used = 0;
            uint64_t *fields[3] = {need_size ? &e->size : NULL, need_csize ? &e->compressed_size : NULL,
                                   need_offset ? &e->local_offset : NULL};
            for (int k = 0; k < 3; k++) {
                if (!fields[k]) continue;
                if (used + 8 > n) return corrupt(err, "ZIP64 extra field too short", at);
                *fields[k] = le(f + used, 8);
                used += 8;
            }
            return HEXGPU_OK;
        }
        pos += 4 + n;
    }
    return corrupt(err, "entry needs a ZIP64 extra field but has none", at);
}

static int entry_cmp(const void *a, const void *b) {
    const hexgpu_zip_entry *x = a, *y = b;
    size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
    int c = memcmp(x->name, y->name, n);
    if (c) return c;
    return (x->name_len > y->name_len) - (x->name_len < y->name_len);
}

/* What the end records declare: the central directory's entry count, size and offset. */
typedef struct zip_end {
    uint64_t count, cd_size, cd_offset;
} zip_end;

/* Reads the end records from b, which holds the archive's bytes [base, archive_len): the
 * end-of-central-directory record (whose comment runs to the end), the ZIP64 locator
 * and record when present. The central directory must end exactly where the end records
 * begin (ZIP64 record, else the end record): so the records account for every byte
 * from the directory on, and a stream of archive_len bytes is what they declare. */
static hexgpu_status read_end(const uint8_t *b, size_t len, uint64_t base, zip_end *out, hexgpu_error *err) {
    size_t eocd;
    if (!find_eocd(b, len, &eocd))
        return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT,
                                "zip: no end-of-central-directory record (file truncated?)");
    uint64_t at_eocd = base + eocd;
    if (le(b + eocd + 4, 2) != 0 || le(b + eocd + 6, 2) != 0)
        return corrupt(err, "multi-disk archives are not supported", at_eocd);
    zip_end e = {le(b + eocd + 10, 2), le(b + eocd + 12, 4), le(b + eocd + 16, 4)};
    int needs_zip64 = e.count == 0xFFFF || e.cd_size == 0xFFFFFFFFu || e.cd_offset == 0xFFFFFFFFu;
    uint64_t records_at = at_eocd; /* where the end records begin */
    if (eocd >= 20 && le(b + eocd - 20, 4) == SIG_EOCD64_LOCATOR) {
        uint64_t at = le(b + eocd - 20 + 8, 8);
        if (at < base || at > at_eocd - 20 || at_eocd - 20 - at < 56 || le(b + (at - base), 4) != SIG_EOCD64)
            return corrupt(err, "bad ZIP64 end-of-central-directory record", at_eocd - 20);
        const uint8_t *r = b + (at - base);
        if (needs_zip64) e = (zip_end){le(r + 32, 8), le(r + 40, 8), le(r + 48, 8)};
        records_at = at;
    } else if (needs_zip64) {
        return corrupt(err, "ZIP64 end-of-central-directory locator missing", at_eocd);
    }
    if (e.cd_offset > records_at || e.cd_size != records_at - e.cd_offset)
        return corrupt(err, "the central directory does not end where the end records begin", at_eocd);
    if (e.count > HEXGPU_ZIP_MAX_ENTRIES || e.count > e.cd_size / CENTRAL_SIZE)
        return corrupt(err, "implausible entry count", at_eocd);
    *out = e;
    return HEXGPU_OK;
}

hexgpu_status hexgpu_zip_check_end(const uint8_t *tail, size_t tail_len, uint64_t archive_len, hexgpu_error *err) {
    if (tail_len > archive_len)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "zip: %zu tail bytes of a %llu-byte archive",
                                tail_len, (unsigned long long)archive_len);
    zip_end e;
    return read_end(tail, tail_len, archive_len - tail_len, &e, err);
}

hexgpu_status hexgpu_zip_open(hexgpu_zip *zip, const uint8_t *b, size_t len, hexgpu_error *err) {
    memset(zip, 0, sizeof *zip);
    zip_end ends;
    hexgpu_status st = read_end(b, len, 0, &ends, err);
    if (st != HEXGPU_OK) return st;
    uint64_t count = ends.count, cd_size = ends.cd_size, cd_offset = ends.cd_offset;
    zip->entries = calloc(count ? count : 1, sizeof *zip->entries);
    if (!zip->entries) return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "zip: out of memory");
    uint64_t pos = cd_offset, end = cd_offset + cd_size;
    for (uint64_t i = 0; i < count; i++) {
        if (end - pos < CENTRAL_SIZE || le(b + pos, 4) != SIG_CENTRAL) {
            hexgpu_zip_close(zip);
            return corrupt(err, "bad central directory entry", pos);
        }
        const uint8_t *h = b + pos;
        uint64_t name_len = le(h + 28, 2), extra_len = le(h + 30, 2), comment_len = le(h + 32, 2);
        if (end - pos - CENTRAL_SIZE < name_len + extra_len + comment_len) {
            hexgpu_zip_close(zip);
            return corrupt(err, "central directory entry runs past the directory", pos);
        }
        hexgpu_zip_entry *e = &zip->entries[i];
        e->name = (const char *)h + CENTRAL_SIZE;
        e->name_len = name_len;
        e->flags = (uint16_t)le(h + 8, 2);
        e->method = (uint16_t)le(h + 10, 2);
        e->crc32 = (uint32_t)le(h + 16, 4);
        e->compressed_size = le(h + 20, 4);
        e->size = le(h + 24, 4);
        e->local_offset = le(h + 42, 4);
        st = apply_zip64(e, h + CENTRAL_SIZE + name_len, extra_len, pos, err);
        if (st != HEXGPU_OK) {
            hexgpu_zip_close(zip);
            return st;
        }
        pos += CENTRAL_SIZE + name_len + extra_len + comment_len;
    }
    zip->bytes = b;
    zip->len = len;
    zip->count = count;
    qsort(zip->entries, count, sizeof *zip->entries, entry_cmp);
    return HEXGPU_OK;
}

void hexgpu_zip_close(hexgpu_zip *zip) {
    free(zip->entries);
    memset(zip, 0, sizeof *zip);
}

const hexgpu_zip_entry *hexgpu_zip_find(const hexgpu_zip *zip, const char *name) {
    hexgpu_zip_entry key = {.name = name, .name_len = strlen(name)};
    return bsearch(&key, zip->entries, zip->count, sizeof key, entry_cmp);
}

hexgpu_status hexgpu_zip_entry_data(const hexgpu_zip *zip, const hexgpu_zip_entry *e, const uint8_t **data,
                                    size_t *size, hexgpu_error *err) {
    int name_len = e->name_len > 200 ? 200 : (int)e->name_len;
    if (e->method != 0)
        return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT,
                                "zip: entry '%.*s' is compressed (method %u); PyTorch files store entries "
                                "uncompressed and only those are supported",
                                name_len, e->name, e->method);
    if (e->flags & 1)
        return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT, "zip: entry '%.*s' is encrypted", name_len, e->name);
    uint64_t at = e->local_offset;
    if (at > zip->len || zip->len - at < LOCAL_SIZE || le(zip->bytes + at, 4) != SIG_LOCAL)
        return corrupt(err, "bad local file header", at);
    uint64_t start = at + LOCAL_SIZE + le(zip->bytes + at + 26, 2) + le(zip->bytes + at + 28, 2);
    if (start > zip->len || e->compressed_size != e->size || e->size > zip->len - start)
        return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT,
                                "zip: entry '%.*s' (%llu bytes at offset %llu) runs past the end of the file "
                                "(truncated?)",
                                name_len, e->name, (unsigned long long)e->size, (unsigned long long)start);
    /* zlib's crc32 takes a uInt length: feed it in chunks. */
    uLong crc = crc32(0L, Z_NULL, 0);
    for (uint64_t done = 0; done < e->size;) {
        uInt n = e->size - done > (1u << 30) ? (1u << 30) : (uInt)(e->size - done);
        crc = crc32(crc, zip->bytes + start + done, n);
        done += n;
    }
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION /* libFuzzer convention: let mutations past checksums */
    if ((uint32_t)crc != e->crc32)
        return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT, "zip: entry '%.*s' fails its CRC-32 check (corrupt file)",
                                name_len, e->name);
#endif
    *data = zip->bytes + start;
    *size = (size_t)e->size;
    return HEXGPU_OK;
}
