/* Shared by the host suites: random valid positions and an engine on the synthetic
 * backend. */
#pragma once

#include <stdint.h>

#include "hexgpu.h"
#include "host/synthetic_backend.h"

/* A valid position of `stones` random alternating moves (Blue first) on an n x n board,
 * a function of seed only. */
hexgpu_position host_test_position(int n, int stones, uint64_t seed);

/* An engine on the synthetic backend; *ctx (may be NULL) gets the backend context (valid
 * until close). Fails the test on error. */
hexgpu_engine *host_test_engine(const hexgpu_synthetic_config *config, const hexgpu_engine_options *options,
                                void **ctx);
