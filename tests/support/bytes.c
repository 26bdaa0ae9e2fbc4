/* See bytes.h. */
#include "support/bytes.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

unsigned char *hexgpu_test_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *data = malloc((size_t)n + 1);
    cr_assert_not_null(data);
    cr_assert_eq(fread(data, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    data[n] = 0;
    *len = (size_t)n;
    return data;
}

uint64_t hexgpu_test_le(const unsigned char *at, int bytes) {
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--) v = v << 8 | at[i];
    return v;
}

float hexgpu_test_f32(const unsigned char *at) {
    uint32_t bits = (uint32_t)hexgpu_test_le(at, 4);
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}
