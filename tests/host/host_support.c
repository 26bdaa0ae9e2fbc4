/* Shared by the host suites (see host_support.h). */
#include "host_support.h"

#include <criterion/criterion.h>

#include "host/engine_impl.h"

hexgpu_engine *host_test_engine(const hexgpu_synthetic_config *config, const hexgpu_engine_options *options,
                                void **ctx_out) {
    hexgpu_error err = {0};
    hexgpu_engine_options resolved;
    cr_assert_eq(hexgpu_engine_options_resolve(options, &hexgpu_backend_synthetic, &resolved, &err), HEXGPU_OK, "%s",
                 err.message);
    void *ctx = NULL;
    cr_assert_eq(hexgpu_synthetic_create(config, resolved.max_batch, &ctx, &err), HEXGPU_OK, "%s", err.message);
    hexgpu_engine *e = NULL;
    cr_assert_eq(hexgpu_engine_open_backend(&hexgpu_backend_synthetic, ctx, config->board_size, &resolved,
                                            "backend synthetic (test)", NULL, NULL, &e, &err),
                 HEXGPU_OK, "%s", err.message);
    if (ctx_out) *ctx_out = ctx;
    return e;
}
