/* The test-side protobuf reader (see test_pb_read.h). */
#include "model/test_pb_read.h"

#include <criterion/criterion.h>
#include <string.h>

static uint64_t read_varint(pb_message *m) {
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        cr_assert(m->p < m->end, "protobuf: varint runs past the end");
        uint8_t b = *m->p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) return v;
    }
    cr_assert_fail("protobuf: varint longer than ten bytes");
    return 0;
}

int pb_next(pb_message *m, pb_field *f) {
    if (m->p >= m->end) return 0;
    uint64_t key = read_varint(m);
    *f = (pb_field){.number = (uint32_t)(key >> 3), .wire_type = (int)(key & 7)};
    cr_assert(f->number > 0, "protobuf: field number 0");
    if (f->wire_type == 0) {
        f->value = read_varint(m);
    } else {
        cr_assert_eq(f->wire_type, 2, "protobuf: field %u has wire type %d", f->number, f->wire_type);
        uint64_t len = read_varint(m);
        cr_assert(len <= (uint64_t)(m->end - m->p), "protobuf: field %u's length %llu runs past the end", f->number,
                  (unsigned long long)len);
        f->data = m->p;
        f->len = (size_t)len;
        m->p += len;
    }
    return 1;
}

int pb_find(pb_message msg, uint32_t number, int count, pb_field *f) {
    pb_field g;
    int seen = 0, wire = -1;
    while (pb_next(&msg, &g)) {
        if (g.number != number) continue;
        if (wire >= 0) cr_assert_eq(g.wire_type, wire, "field %u with two wire types", number);
        wire = g.wire_type;
        if (seen++ == count) {
            *f = g;
            return 1;
        }
    }
    return 0;
}

int pb_count(pb_message msg, uint32_t number) {
    pb_field g;
    int n = 0;
    while (pb_next(&msg, &g)) n += g.number == number;
    return n;
}

pb_message pb_sub(const pb_field *f) {
    cr_assert_eq(f->wire_type, 2, "field %u is not length-delimited", f->number);
    return (pb_message){f->data, f->data + f->len};
}

const char *pb_str(const pb_field *f, char *buf, size_t size) {
    cr_assert_eq(f->wire_type, 2, "field %u is not a string", f->number);
    cr_assert_lt(f->len, size, "string field %u of %zu bytes", f->number, f->len);
    memcpy(buf, f->data, f->len);
    buf[f->len] = '\0';
    return buf;
}
