/* A protobuf wire-format encoder, just enough to write a message by hand (the ONNX
 * writer): varint and length-delimited fields into a growing byte buffer. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* The bytes of one message as written so far. Zero-initialised is empty and valid. An
 * allocation failure sets failed and makes every later call a no-op, so a writer checks
 * once at the end; data is then incomplete and only fit for hexgpu_pb_free. */
typedef struct hexgpu_pb {
    uint8_t *data;
    size_t len, cap;
    int failed;
} hexgpu_pb;

void hexgpu_pb_free(hexgpu_pb *b);

/* Wire type 0: field, then value as a base-128 varint (a negative int64 passed as
 * (uint64_t) takes ten bytes, as protobuf encodes it). */
void hexgpu_pb_varint(hexgpu_pb *b, uint32_t field, uint64_t value);

/* Wire type 2: field, length, then n bytes. */
void hexgpu_pb_bytes(hexgpu_pb *b, uint32_t field, const void *bytes, size_t n);

/* Wire type 2 with the characters of a NUL-terminated string (without the NUL). */
void hexgpu_pb_string(hexgpu_pb *b, uint32_t field, const char *s);

/* Wire type 2 with a nested message: sub's bytes (a sub that failed fails b). */
void hexgpu_pb_message(hexgpu_pb *b, uint32_t field, const hexgpu_pb *sub);

/* Appends fields already encoded in other (a message is the concatenation of its
 * fields, so this adds other's fields to b). An other that failed fails b. */
void hexgpu_pb_append(hexgpu_pb *b, const hexgpu_pb *other);

/* Wire type 2 with n floats as IEEE-754 binary32 little-endian, whatever the host's
 * byte order (ONNX's raw_data). */
void hexgpu_pb_floats_le(hexgpu_pb *b, uint32_t field, const float *values, size_t n);
