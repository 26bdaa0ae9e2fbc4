/* Statistics: the log histogram's quantiles, the engine's counters and the JSON form. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "host_support.h"
#include "host/stats.h"

Test(host_stats, log_histogram_quantiles_within_one_bucket) {
    hexgpu_log_histogram *h = calloc(1, sizeof *h);
    for (uint64_t v = 1; v <= 10000; v++) hexgpu_log_histogram_add(h, v * 1000); /* 1 us .. 10 ms */
    double p50 = hexgpu_log_histogram_quantile(h, 0.50), p99 = hexgpu_log_histogram_quantile(h, 0.99);
    cr_assert(p50 > 5000e3 * 0.93 && p50 < 5000e3 * 1.07, "p50 %f", p50);
    cr_assert(p99 > 9900e3 * 0.93 && p99 < 9900e3 * 1.07, "p99 %f", p99);
    hexgpu_log_histogram_add(h, 3);
    cr_assert_eq(hexgpu_log_histogram_quantile(h, 0.0), 3.0); /* small values are exact */
    cr_assert_eq(h->count, 10001);
    free(h);
}

Test(host_stats, engine_counters_and_json) {
    hexgpu_synthetic_config cfg = {.board_size = 5, .delay_ns = 1000000};
    hexgpu_engine_options o;
    hexgpu_engine_options_default(&o);
    o.max_batch = 16;
    o.slots = 1;
    o.cache_entries = 100;
    hexgpu_engine *e = host_test_engine(&cfg, &o, NULL);
    hexgpu_position p[40];
    /* 40 distinct positions (8-17 stones): none joins another's evaluation */
    for (int i = 0; i < 40; i++) p[i] = hexgpu_position_random(5, 8 + i % 10, (uint64_t)i);
    cr_assert_eq(hexgpu_engine_evaluate(e, p, 40, NULL, NULL, NULL, NULL), HEXGPU_OK); /* 16 + 16 + 8 */
    hexgpu_engine_stats s;
    hexgpu_engine_stats_read(e, &s);
    cr_assert_eq(s.requests, 40);
    cr_assert_eq(s.batches, 3);
    cr_assert_float_eq(s.mean_batch, 40.0 / 3.0, 1e-9);
    cr_assert_eq(s.batch_histogram[4], 2);
    cr_assert_eq(s.batch_histogram[3], 1);
    cr_assert(s.busy_fraction > 0.0 && s.busy_fraction <= 1.0, "%f", s.busy_fraction);
    cr_assert(s.batch_latency_p50_us >= 900.0 && s.batch_latency_p50_us <= s.batch_latency_p99_us,
              "1 ms per batch: p50 %f p99 %f", s.batch_latency_p50_us, s.batch_latency_p99_us);
    cr_assert_leq(s.queue_wait_p50_us, s.queue_wait_p99_us);
    cr_assert_gt(s.queue_wait_p99_us, 900.0, "the last 8 waited for two 1 ms batches");
    cr_assert_eq(s.cache_misses, 40);
    char json[2048];
    size_t len = hexgpu_engine_stats_json(&s, json, sizeof json);
    cr_assert_lt(len, sizeof json);
    cr_assert_eq(strlen(json), len);
    cr_assert(strstr(json, "\"batches\":3,"), "%s", json);
    cr_assert(strstr(json, "\"batch_histogram_pow2\":[0,0,0,1,2,0,"), "%s", json);
    cr_assert(strstr(json, "\"cache\":{\"hits\":0,\"misses\":40,"), "%s", json);
    cr_assert_eq(json[0], '{');
    cr_assert_eq(json[len - 1], '}');
    char small[16];
    cr_assert_eq(hexgpu_engine_stats_json(&s, small, sizeof small), len); /* snprintf-style */
    cr_assert_eq(strlen(small), sizeof small - 1);
    hexgpu_engine_close(e);
}
