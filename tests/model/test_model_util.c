/* Shared by the model-file tests: fixture bytes and bit-exact tensor map comparison. */
#include "model/test_model_util.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint8_t *model_test_read(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    cr_assert(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n + 1);
    cr_assert(b);
    cr_assert_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

void model_test_assert_same(const hexgpu_tensor_map *a, const hexgpu_tensor_map *b) {
    cr_assert_eq(a->count, b->count, "tensor counts differ: %zu vs %zu", a->count, b->count);
    for (size_t i = 0; i < a->count; i++) {
        const hexgpu_tensor *x = &a->items[i];
        const hexgpu_tensor *y = hexgpu_tensor_map_find(b, x->name);
        cr_assert(y, "tensor '%s' missing from the second map", x->name);
        cr_assert_eq(x->ndim, y->ndim, "'%s' ndim", x->name);
        for (int d = 0; d < x->ndim; d++) cr_assert_eq(x->shape[d], y->shape[d], "'%s' dim %d", x->name, d);
        cr_assert_eq(x->numel, y->numel);
        cr_assert(memcmp(x->data, y->data, (size_t)x->numel * sizeof(float)) == 0, "'%s' data differs", x->name);
    }
}
