/* Test support: tensor maps of the reference layout filled with seeded random numbers,
 * for networks of any size (not only the fixtures'). */
#pragma once

#include <stdint.h>

#include "runtime/reference_layout.h"
#include "runtime/tensor_map.h"

/* Every tensor of the layout for dims: weights U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and
 * batch norms with random statistics (gamma 0.5..1.5, beta and mean -0.3..0.3, variance
 * 0.5..1.5) so that folding them is exercised. Same seed, same map. */
hexgpu_status hexgpu_test_random_model(const hexgpu_layout_dims *dims, uint64_t seed, hexgpu_tensor_map *map,
                                       hexgpu_error *err);

/* Uniform in [lo, hi) from a splitmix64 state. */
float hexgpu_test_uniform(uint64_t *state, float lo, float hi);
