/* Shared by the host suites (see host_support.h). */
#include "host_support.h"

#include <criterion/criterion.h>

#include "host/engine_impl.h"
#include "runtime/rng.h"

hexgpu_position host_test_position(int n, int stones, uint64_t seed) {
    hexgpu_position p;
    hexgpu_position_init(&p, n);
    uint64_t s = seed;
    for (int k = 0; k < stones && k < n * n; k++) {
        int cell;
        do cell = (int)(hexgpu_splitmix64_next(&s) % (uint64_t)(n * n));
        while (hexgpu_position_at(&p, cell) != HEXGPU_NONE);
        uint64_t *mask = k % 2 == 0 ? p.blue : p.red;
        mask[cell / 64] |= 1ull << (cell % 64);
        p.to_move = k % 2 == 0 ? HEXGPU_RED : HEXGPU_BLUE;
    }
    return p;
}

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
