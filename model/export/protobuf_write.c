/* Protobuf wire format (developers.google.com/protocol-buffers/docs/encoding): a key is
 * (field << 3 | wire type) as a varint; varints are 7 bits a byte, least significant
 * first, the high bit set on every byte but the last. Only the canonical (shortest)
 * encodings are written. */
#include "model/export/protobuf_write.h"

#include <stdlib.h>
#include <string.h>

enum { WIRE_VARINT = 0, WIRE_LENGTH_DELIMITED = 2 };

void hexgpu_pb_free(hexgpu_pb *b) {
    free(b->data);
    *b = (hexgpu_pb){0};
}

/* Room for n more bytes; 0 (and b->failed) when there is none. */
static int reserve(hexgpu_pb *b, size_t n) {
    if (b->failed) return 0;
    if (n > SIZE_MAX / 2 - b->len) {
        b->failed = 1;
        return 0;
    }
    if (b->len + n <= b->cap) return 1;
    size_t cap = (b->len + n) * 2 < 256 ? 256 : (b->len + n) * 2;
    uint8_t *p = realloc(b->data, cap);
    if (!p) {
        b->failed = 1;
        return 0;
    }
    b->data = p;
    b->cap = cap;
    return 1;
}

static void put_raw_varint(hexgpu_pb *b, uint64_t v) {
    if (!reserve(b, 10)) return;
    while (v >= 0x80) {
        b->data[b->len++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    b->data[b->len++] = (uint8_t)v;
}

static void put_key(hexgpu_pb *b, uint32_t field, int wire_type) {
    put_raw_varint(b, (uint64_t)field << 3 | (uint64_t)wire_type);
}

void hexgpu_pb_varint(hexgpu_pb *b, uint32_t field, uint64_t value) {
    put_key(b, field, WIRE_VARINT);
    put_raw_varint(b, value);
}

void hexgpu_pb_bytes(hexgpu_pb *b, uint32_t field, const void *bytes, size_t n) {
    put_key(b, field, WIRE_LENGTH_DELIMITED);
    put_raw_varint(b, n);
    if (n && reserve(b, n)) {
        memcpy(b->data + b->len, bytes, n);
        b->len += n;
    }
}

void hexgpu_pb_string(hexgpu_pb *b, uint32_t field, const char *s) { hexgpu_pb_bytes(b, field, s, strlen(s)); }

void hexgpu_pb_message(hexgpu_pb *b, uint32_t field, const hexgpu_pb *sub) {
    if (sub->failed) b->failed = 1;
    else hexgpu_pb_bytes(b, field, sub->data, sub->len);
}

void hexgpu_pb_append(hexgpu_pb *b, const hexgpu_pb *other) {
    if (other->failed) b->failed = 1;
    if (other->len && reserve(b, other->len)) {
        memcpy(b->data + b->len, other->data, other->len);
        b->len += other->len;
    }
}

void hexgpu_pb_floats_le(hexgpu_pb *b, uint32_t field, const float *values, size_t n) {
    put_key(b, field, WIRE_LENGTH_DELIMITED);
    if (n > SIZE_MAX / 8) {
        b->failed = 1;
        return;
    }
    put_raw_varint(b, 4 * (uint64_t)n);
    if (!reserve(b, 4 * n)) return;
    for (size_t i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, &values[i], 4);
        for (int k = 0; k < 4; k++) b->data[b->len++] = (uint8_t)(bits >> (8 * k));
    }
}
