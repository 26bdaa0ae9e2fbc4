/* Helpers shared by the model-file tests: reading fixture bytes and comparing maps. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "model/tensor_map.h"

/* The whole file, malloc'd; NULL (and a Criterion failure) when unreadable. */
uint8_t *model_test_read(const char *path, size_t *len);

/* Asserts a and b hold the same names, shapes, source-independent fp32 data (bit for bit). */
void model_test_assert_same(const hexgpu_tensor_map *a, const hexgpu_tensor_map *b);
