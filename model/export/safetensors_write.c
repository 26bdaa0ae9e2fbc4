/* safetensors writer: builds the JSON header by hand (names escaped), then the data, and
 * commits the file through hexgpu_file_write_atomic (temp file, fsync, rename). */
#include "model/export/safetensors_write.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file_write.h"
#include "base/status.h"

typedef struct text {
    char *s;
    size_t n, cap;
    int failed;
} text;

static void put(text *t, const char *s, size_t n) {
    if (t->failed) return;
    if (t->n + n + 1 > t->cap) {
        size_t nc = (t->n + n + 1) * 2;
        char *p = realloc(t->s, nc);
        if (!p) {
            t->failed = 1;
            return;
        }
        t->s = p;
        t->cap = nc;
    }
    memcpy(t->s + t->n, s, n);
    t->n += n;
    t->s[t->n] = '\0';
}

static void puts_raw(text *t, const char *s) { put(t, s, strlen(s)); }

static void put_json_string(text *t, const char *s) {
    put(t, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\', esc[1] = (char)c;
            put(t, esc, 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            put(t, esc, 6);
        } else {
            put(t, (const char *)&c, 1);
        }
    }
    put(t, "\"", 1);
}

static size_t element_size(const hexgpu_tensor *t) { return t->source_dtype == HEXGPU_DTYPE_I64 ? 8 : 4; }

static int by_name(const void *a, const void *b) {
    return strcmp((*(const hexgpu_tensor *const *)a)->name, (*(const hexgpu_tensor *const *)b)->name);
}

hexgpu_status hexgpu_safetensors_serialize(const hexgpu_tensor_map *map, const hexgpu_safetensors_meta *meta,
                                           size_t meta_count, uint8_t **out, size_t *out_len, hexgpu_error *err) {
    *out = NULL;
    *out_len = 0;
    /* Sorted by name, so the bytes do not depend on the order the source file had. */
    const hexgpu_tensor **order = malloc((map->count ? map->count : 1) * sizeof *order);
    if (!order) return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "safetensors: out of memory");
    for (size_t i = 0; i < map->count; i++) order[i] = &map->items[i];
    qsort(order, map->count, sizeof *order, by_name);
    text h = {0};
    puts_raw(&h, "{");
    if (meta_count) {
        puts_raw(&h, "\"__metadata__\":{");
        for (size_t i = 0; i < meta_count; i++) {
            if (i) puts_raw(&h, ",");
            put_json_string(&h, meta[i].key);
            puts_raw(&h, ":");
            put_json_string(&h, meta[i].value);
        }
        puts_raw(&h, "}");
    }
    uint64_t offset = 0;
    for (size_t i = 0; i < map->count; i++) {
        const hexgpu_tensor *t = order[i];
        char buf[96];
        if (meta_count || i) puts_raw(&h, ",");
        put_json_string(&h, t->name);
        puts_raw(&h, t->source_dtype == HEXGPU_DTYPE_I64 ? ":{\"dtype\":\"I64\",\"shape\":[" : ":{\"dtype\":\"F32\",\"shape\":[");
        for (int d = 0; d < t->ndim; d++) {
            snprintf(buf, sizeof buf, d ? ",%lld" : "%lld", (long long)t->shape[d]);
            puts_raw(&h, buf);
        }
        uint64_t end = offset + (uint64_t)t->numel * element_size(t);
        snprintf(buf, sizeof buf, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)offset, (unsigned long long)end);
        puts_raw(&h, buf);
        offset = end;
    }
    puts_raw(&h, "}");
    while (!h.failed && (8 + h.n) % 8) puts_raw(&h, " ");
    uint8_t *bytes = h.failed ? NULL : malloc(8 + h.n + (size_t)offset);
    if (!bytes) {
        free(h.s);
        free(order);
        return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "safetensors: out of memory serialising %zu tensors",
                                map->count);
    }
    for (int i = 0; i < 8; i++) bytes[i] = (uint8_t)((uint64_t)h.n >> (8 * i));
    memcpy(bytes + 8, h.s, h.n);
    uint8_t *p = bytes + 8 + h.n;
    for (size_t i = 0; i < map->count; i++) {
        const hexgpu_tensor *t = order[i];
        for (int64_t j = 0; j < t->numel; j++) {
            uint64_t bits;
            if (t->source_dtype == HEXGPU_DTYPE_I64) {
                bits = (uint64_t)(int64_t)llrintf(t->data[j]);
            } else {
                uint32_t b32;
                memcpy(&b32, &t->data[j], 4);
                bits = b32;
            }
            for (size_t k = 0; k < element_size(t); k++) *p++ = (uint8_t)(bits >> (8 * k));
        }
    }
    *out_len = 8 + h.n + (size_t)offset;
    *out = bytes;
    free(h.s);
    free(order);
    return HEXGPU_OK;
}

hexgpu_status hexgpu_safetensors_write(const char *path, const hexgpu_tensor_map *map,
                                       const hexgpu_safetensors_meta *meta, size_t meta_count, hexgpu_error *err) {
    uint8_t *bytes;
    size_t len;
    hexgpu_status st = hexgpu_safetensors_serialize(map, meta, meta_count, &bytes, &len, err);
    if (st != HEXGPU_OK) return st;
    st = hexgpu_file_write_atomic(path, bytes, len, err);
    free(bytes);
    return st;
}
