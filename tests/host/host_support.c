/* Shared by the host suites (see host_support.h). */
#include "host_support.h"

#include <criterion/criterion.h>


hexgpu_engine *host_test_engine(const hexgpu_synthetic_config *config, const hexgpu_engine_options *options,
                                void **ctx_out) {
    hexgpu_error err = {0};
    hexgpu_engine *e = NULL;
    cr_assert_eq(hexgpu_engine_open_synthetic(config, options, "backend synthetic (test)", &e, ctx_out, &err),
                 HEXGPU_OK, "%s", err.message);
    return e;
}
