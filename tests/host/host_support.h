/* Shared by the host suites: an engine on the synthetic backend (random positions come
 * from check/position_random.h). */
#pragma once

#include <stdint.h>

#include "hexgpu.h"
#include "host/synthetic_backend.h"
#include "check/position_random.h"

/* An engine on the synthetic backend; *ctx (may be NULL) gets the backend context (valid
 * until close). Fails the test on error. */
hexgpu_engine *host_test_engine(const hexgpu_synthetic_config *config, const hexgpu_engine_options *options,
                                void **ctx);
