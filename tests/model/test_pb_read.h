/* Test support: a minimal protobuf wire-format reader, to parse back what the ONNX
 * writer encodes (independently of the encoder in model/export/protobuf_write.c). */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* One field of a message: varint fields fill value, length-delimited ones data and len. */
typedef struct pb_field {
    uint32_t number;
    int wire_type;
    uint64_t value;
    const uint8_t *data;
    size_t len;
} pb_field;

/* A message's bytes as a cursor. */
typedef struct pb_message {
    const uint8_t *p, *end;
} pb_message;

/* Reads the next field: 1 when read, 0 at the end; a malformed field (a varint over ten
 * bytes, a length past the end, a wire type other than 0 and 2) fails the test. */
int pb_next(pb_message *m, pb_field *f);

/* The count-th (0-based) field numbered number of msg (all fields of that number must
 * have the same wire type); 0 when there are fewer. */
int pb_find(pb_message msg, uint32_t number, int count, pb_field *f);

/* How many fields numbered number msg has. */
int pb_count(pb_message msg, uint32_t number);

/* A length-delimited field's bytes as a message, and as a NUL-terminated copy in buf. */
pb_message pb_sub(const pb_field *f);
const char *pb_str(const pb_field *f, char *buf, size_t size);
