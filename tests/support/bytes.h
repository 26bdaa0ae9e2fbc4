/* Test support: a whole file in memory, and little-endian fields of binary records. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* The file's bytes, NUL-terminated (malloc'd; *len without the NUL). Fails the test when
 * it cannot be read. */
unsigned char *hexgpu_test_read_file(const char *path, size_t *len);

/* An unsigned little-endian integer of `bytes` bytes, and a little-endian float32. */
uint64_t hexgpu_test_le(const unsigned char *at, int bytes);
float hexgpu_test_f32(const unsigned char *at);
