/* The protobuf encoder: canonical varints (negative int64 in ten bytes), keys, lengths,
 * nested messages, little-endian floats, and an allocation failure that sticks. */
#include <criterion/criterion.h>
#include <string.h>

#include "model/export/protobuf_write.h"

static void assert_bytes(const hexgpu_pb *b, const uint8_t *want, size_t n) {
    cr_assert(!b->failed);
    cr_assert_eq(b->len, n, "%zu bytes, expected %zu", b->len, n);
    for (size_t i = 0; i < n; i++) cr_assert_eq(b->data[i], want[i], "byte %zu: %02x, expected %02x", i, b->data[i], want[i]);
}

Test(protobuf_write, varints_are_canonical) {
    hexgpu_pb b = {0};
    hexgpu_pb_varint(&b, 1, 0);
    hexgpu_pb_varint(&b, 1, 150); /* the encoding guide's example: 08 96 01 */
    hexgpu_pb_varint(&b, 2, 127);
    hexgpu_pb_varint(&b, 20, 1); /* field 20: key 160 = a0 01 */
    const uint8_t want[] = {0x08, 0x00, 0x08, 0x96, 0x01, 0x10, 0x7f, 0xa0, 0x01, 0x01};
    assert_bytes(&b, want, sizeof want);
    hexgpu_pb_free(&b);
    hexgpu_pb_varint(&b, 1, (uint64_t)(int64_t)-1);
    const uint8_t minus_one[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    assert_bytes(&b, minus_one, sizeof minus_one);
    hexgpu_pb_free(&b);
}

Test(protobuf_write, strings_messages_and_floats_are_length_delimited) {
    hexgpu_pb b = {0}, sub = {0};
    hexgpu_pb_string(&sub, 1, "ab");
    hexgpu_pb_string(&b, 2, "");
    hexgpu_pb_message(&b, 3, &sub);
    hexgpu_pb_floats_le(&b, 9, (const float[]){1.0f, -2.0f}, 2);
    hexgpu_pb_append(&b, &sub);
    const uint8_t want[] = {0x12, 0x00, 0x1a, 0x04, 0x0a, 0x02, 'a', 'b', 0x4a, 0x08, 0x00, 0x00, 0x80, 0x3f,
                            0x00, 0x00, 0x00, 0xc0, 0x0a, 0x02, 'a', 'b'};
    assert_bytes(&b, want, sizeof want);
    hexgpu_pb_free(&b);
    hexgpu_pb_free(&sub);
    cr_assert(b.data == NULL && b.len == 0);
}

Test(protobuf_write, a_long_field_gets_a_multi_byte_length_and_a_failure_sticks) {
    hexgpu_pb b = {0}, failed = {.failed = 1};
    static uint8_t blob[300];
    memset(blob, 7, sizeof blob);
    hexgpu_pb_bytes(&b, 1, blob, sizeof blob);
    cr_assert_eq(b.len, 1 + 2 + 300);
    cr_assert(b.data[1] == 0xac && b.data[2] == 0x02, "300 = ac 02");
    hexgpu_pb_message(&b, 2, &failed);
    cr_assert(b.failed, "a failed sub-message fails its parent");
    size_t len = b.len;
    hexgpu_pb_varint(&b, 1, 5);
    cr_assert_eq(b.len, len, "nothing is written after a failure");
    hexgpu_pb_free(&b);
}
