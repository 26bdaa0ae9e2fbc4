/* The backend counters (ABI 3): what a backend reports reaches the engine statistics and
 * their JSON; a table of an older ABI, or one without the entry, reads as all zero. */
#include <criterion/criterion.h>
#include <string.h>

#include "host/engine_impl.h"
#include "host_support.h"

/* The synthetic backend with a counters entry that reports fixed, distinct values. */
static void fixed_counters(void *ctx, hexgpu_backend_counters *out) {
    (void)ctx;
    *out = (hexgpu_backend_counters){.graphs_captured = 7, .graphs_refused = 2, .conv_fallbacks = 3};
}

static hexgpu_engine *open_with(const hexgpu_backend_ops *ops) {
    hexgpu_synthetic_config cfg = {.board_size = 5};
    hexgpu_engine_options o;
    hexgpu_engine_options_default(&o);
    o.max_batch = 8;
    hexgpu_error err = {0};
    hexgpu_engine_options resolved;
    cr_assert_eq(hexgpu_engine_options_resolve(&o, ops, &resolved, &err), HEXGPU_OK, "%s", err.message);
    void *ctx = NULL;
    cr_assert_eq(hexgpu_synthetic_create(&cfg, resolved.max_batch, &ctx, &err), HEXGPU_OK, "%s", err.message);
    hexgpu_engine *e = NULL;
    cr_assert_eq(hexgpu_engine_open_backend(ops, ctx, 5, &resolved, "test", NULL, NULL, &e, &err), HEXGPU_OK, "%s",
                 err.message);
    return e;
}

Test(backend_counters, reach_the_statistics_and_json) {
    hexgpu_backend_ops ops = hexgpu_backend_synthetic;
    ops.counters = fixed_counters;
    hexgpu_engine *e = open_with(&ops);
    hexgpu_engine_stats s;
    hexgpu_engine_stats_read(e, &s);
    cr_assert_eq(s.graphs_captured, 7);
    cr_assert_eq(s.graphs_refused, 2);
    cr_assert_eq(s.conv_fallbacks, 3);
    char json[4096];
    hexgpu_engine_stats_json(&s, json, sizeof json);
    cr_assert(strstr(json, "\"backend\":{\"graphs_captured\":7,\"graphs_refused\":2,\"conv_fallbacks\":3}"), "%s",
              json);
    hexgpu_engine_close(e);
}

Test(backend_counters, no_entry_or_no_context_reads_zero) {
    hexgpu_backend_ops with = hexgpu_backend_synthetic;
    with.counters = fixed_counters;
    hexgpu_backend_counters c = {.graphs_captured = 99};
    hexgpu_backend_counters_read(&with, NULL, &c); /* no context: nothing to ask */
    cr_assert_eq(c.graphs_captured + c.graphs_refused + c.conv_fallbacks, 0);
    c.graphs_captured = 99;
    hexgpu_backend_counters_read(&hexgpu_backend_synthetic, (void *)&with, &c); /* no entry */
    cr_assert_eq(c.graphs_captured + c.graphs_refused + c.conv_fallbacks, 0);

    hexgpu_engine *e = open_with(&hexgpu_backend_synthetic); /* no counters entry */
    hexgpu_engine_stats s;
    hexgpu_engine_stats_read(e, &s);
    cr_assert_eq(s.graphs_captured + s.graphs_refused + s.conv_fallbacks, 0);
    hexgpu_engine_close(e);
}
