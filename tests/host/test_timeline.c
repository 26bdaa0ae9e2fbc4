/* The batch timeline: the overlap fraction on hand-made phases, the bounded ring, the
 * Chrome trace read back as JSON, and the engine's timeline on the synthetic backend. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "host/timeline.h"
#include "host_support.h"
#include "base/json.h"
#include "model/test_model_util.h"

static hexgpu_timeline_entry phase(int slot, int64_t h2d0, int64_t h2d1, int64_t c0, int64_t c1, int64_t d0,
                                   int64_t d1) {
    return (hexgpu_timeline_entry){.slot = slot, .batch = 8,
                                   .phases = {h2d0, h2d1, c0, c1, d0, d1}};
}

Test(host_timeline, overlap_of_hand_made_phases) {
    /* slot 0 computes [0,100]; slot 1 copies [50,70] and [90,120]: 30 of slot 0's compute.
     * Slot 1 computes [70,90] while slot 0 copies nothing: 0. 30 / (100 + 20). */
    hexgpu_timeline_entry two[] = {phase(0, -10, 0, 0, 100, 100, 110), phase(1, 50, 70, 70, 90, 90, 120)};
    cr_assert_float_eq(hexgpu_timeline_overlap(two, 2), 0.25, 1e-12);
    /* Copies of two other slots at once count once: [10,40] and [30,60] cover 50 of 100. */
    hexgpu_timeline_entry three[] = {phase(0, 0, 0, 0, 100, 100, 100), phase(1, 10, 40, 40, 40, 40, 40),
                                     phase(2, 30, 30, 30, 30, 30, 60)};
    cr_assert_float_eq(hexgpu_timeline_overlap(three, 3), 0.5, 1e-12);
    /* A slot's own copies never count, even where they (impossibly) overlap its compute. */
    hexgpu_timeline_entry own[] = {phase(0, 0, 50, 0, 100, 60, 100), phase(0, 200, 210, 210, 300, 300, 310)};
    cr_assert_float_eq(hexgpu_timeline_overlap(own, 2), 0.0, 1e-12);
    /* Two computes under one other slot's copy both count: slots 0 and 1 compute [0,10],
     * slot 2 copies [0,10] and computes [20,40]. 20 of 40. */
    hexgpu_timeline_entry both[] = {phase(0, 0, 0, 0, 10, 10, 10), phase(1, 0, 0, 0, 10, 10, 10),
                                    phase(2, 0, 10, 20, 40, 40, 40)};
    cr_assert_float_eq(hexgpu_timeline_overlap(both, 3), 0.5, 1e-12);
    cr_assert_eq(hexgpu_timeline_overlap(NULL, 0), -1.0);
    hexgpu_timeline_entry no_compute[] = {phase(0, 0, 5, 5, 5, 5, 9)};
    cr_assert_eq(hexgpu_timeline_overlap(no_compute, 1), -1.0);
}

Test(host_timeline, ring_keeps_the_newest_oldest_first) {
    hexgpu_timeline t;
    hexgpu_error err;
    cr_assert_eq(hexgpu_timeline_init(&t, 4, &err), HEXGPU_OK, "%s", err.message);
    for (int i = 0; i < 7; i++) {
        hexgpu_timeline_entry e = phase(i % 3, i, i, i, i + 1, i + 1, i + 1);
        e.batch = i;
        hexgpu_timeline_add(&t, &e);
    }
    hexgpu_timeline_entry *got;
    size_t n = hexgpu_timeline_copy(&t, &got);
    cr_assert_eq(n, 4);
    for (size_t i = 0; i < n; i++) cr_assert_eq(got[i].batch, (int)i + 3, "entry %zu", i);
    free(got);
    hexgpu_timeline_destroy(&t);
}

static char *read_all(const char *path, size_t *len) {
    char *text = (char *)model_test_read(path, len);
    text[*len] = '\0'; /* model_test_read leaves room for it */
    return text;
}

/* Parses a trace written by hexgpu_timeline_write_chrome; returns the number of "X"
 * events and marks each tid seen in tids[0..8). */
static size_t check_trace(const char *path, int *tids, double *overlap) {
    size_t len;
    char *text = read_all(path, &len);
    hexgpu_json doc;
    hexgpu_error err;
    cr_assert_eq(hexgpu_json_parse(text, len, &doc, &err), HEXGPU_OK, "%s: %s", path, err.message);
    const hexgpu_json *events = hexgpu_json_get(&doc, "traceEvents");
    cr_assert(events && events->type == HEXGPU_JSON_ARRAY);
    size_t complete = 0;
    for (size_t i = 0; i < events->count; i++) {
        const hexgpu_json *ev = &events->items[i];
        const hexgpu_json *ph = hexgpu_json_get(ev, "ph"), *tid = hexgpu_json_get(ev, "tid");
        cr_assert(ph && tid && tid->number_is_int && tid->integer >= 0 && tid->integer < 8);
        if (strcmp(ph->string, "X") != 0) continue;
        const char *name = hexgpu_json_get(ev, "name")->string;
        cr_assert(!strcmp(name, "h2d") || !strcmp(name, "compute") || !strcmp(name, "d2h"), "%s", name);
        cr_assert_geq(hexgpu_json_get(ev, "ts")->number, 0.0);
        cr_assert_geq(hexgpu_json_get(ev, "dur")->number, 0.0);
        tids[tid->integer] = 1;
        complete++;
    }
    const hexgpu_json *o = hexgpu_json_get(hexgpu_json_get(&doc, "otherData"), "overlap_fraction");
    *overlap = o && o->type == HEXGPU_JSON_NUMBER ? o->number : -1.0;
    hexgpu_json_free(&doc);
    free(text);
    return complete;
}

Test(host_timeline, chrome_trace_reads_back) {
    hexgpu_timeline_entry two[] = {phase(0, 0, 1000, 1000, 101000, 101000, 111000),
                                   phase(1, 51000, 71000, 71000, 91000, 91000, 121000)};
    char path[] = "/tmp/hexgpu-timeline-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    hexgpu_error err;
    cr_assert_eq(hexgpu_timeline_write_chrome(two, 2, path, &err), HEXGPU_OK, "%s", err.message);
    int tids[8] = {0};
    double overlap;
    cr_assert_eq(check_trace(path, tids, &overlap), 6);
    cr_assert(tids[0] && tids[1] && !tids[2]);
    cr_assert_float_eq(overlap, 0.25, 1e-4);
    /* The first h2d starts at ts 0; slot 0's compute lasts exactly 100 us. */
    size_t len;
    char *text = read_all(path, &len);
    cr_assert(strstr(text, "\"name\":\"h2d\",\"ph\":\"X\",\"pid\":1,\"tid\":0,\"ts\":0.000,\"dur\":1.000"), "%s", text);
    cr_assert(strstr(text, "\"name\":\"compute\",\"ph\":\"X\",\"pid\":1,\"tid\":0,\"ts\":1.000,\"dur\":100.000"));
    free(text);
    remove(path);
    close(fd);
}

static hexgpu_engine *open_engine(int timeline, int slots, int64_t delay_ns) {
    hexgpu_synthetic_config cfg = {.board_size = 5, .delay_ns = delay_ns};
    hexgpu_engine_options o;
    hexgpu_engine_options_default(&o);
    o.slots = slots;
    o.max_batch = 8;
    o.timeline = timeline;
    return host_test_engine(&cfg, &o, NULL);
}

static void evaluate(hexgpu_engine *e, int count) {
    hexgpu_position pos[64];
    float value[64];
    for (int i = 0; i < count; i++) pos[i] = hexgpu_position_random(5, i % 10, (uint64_t)i);
    hexgpu_error err;
    cr_assert_eq(hexgpu_engine_evaluate(e, pos, (size_t)count, value, NULL, NULL, &err), HEXGPU_OK, "%s",
                 err.message);
}

/* Batches of 8 submitted 0.7 ms apart, each taking 2 ms on one of 3 slots: a slot's
 * fake h2d (first quarter) falls in the compute (middle half) of the one before. */
static void evaluate_staggered(hexgpu_engine *e) {
    hexgpu_queue *q;
    hexgpu_error err;
    cr_assert_eq(hexgpu_queue_create(&q, &err), HEXGPU_OK);
    hexgpu_request req[64];
    float value[64];
    for (int i = 0; i < 64; i++)
        req[i] = (hexgpu_request){.position = hexgpu_position_random(5, i % 10, (uint64_t)i), .value = &value[i],
                                  .tag = (uint64_t)i};
    for (int b = 0; b < 8; b++) {
        cr_assert_eq(hexgpu_engine_submit(e, q, req + 8 * b, 8, &err), HEXGPU_OK, "%s", err.message);
        nanosleep(&(struct timespec){.tv_nsec = 700000}, NULL);
    }
    hexgpu_completion done[64];
    size_t got, total = 0;
    while (hexgpu_queue_wait(q, done, 64, -1, &got) == HEXGPU_OK && got > 0)
        for (size_t i = 0; i < got; i++, total++) cr_assert_eq(done[i].status, HEXGPU_OK);
    cr_assert_eq(total, 64);
    hexgpu_queue_destroy(q);
}

Test(host_timeline, engine_records_every_batch) {
    hexgpu_engine *e = open_engine(1, 3, 2000000);
    evaluate_staggered(e);
    hexgpu_engine_stats s;
    hexgpu_engine_stats_read(e, &s);
    char path[] = "/tmp/hexgpu-timeline-XXXXXX";
    int fd = mkstemp(path);
    hexgpu_error err;
    cr_assert_eq(hexgpu_engine_timeline_write(e, path, &err), HEXGPU_OK, "%s", err.message);
    int tids[8] = {0};
    double overlap;
    cr_assert_eq(check_trace(path, tids, &overlap), 3 * s.batches, "3 events for each of %llu batches",
                 (unsigned long long)s.batches);
    cr_assert(!tids[3], "only slots 0..2");
    cr_assert(s.overlap_fraction > 0.0 && s.overlap_fraction <= 1.0, "overlap %g", s.overlap_fraction);
    char json[2048];
    hexgpu_engine_stats_json(&s, json, sizeof json);
    cr_assert(strstr(json, "\"overlap_fraction\":0.") || strstr(json, "\"overlap_fraction\":1.0000"), "%s", json);
    hexgpu_engine_close(e);
    remove(path);
    close(fd);
}

Test(host_timeline, one_slot_never_overlaps) {
    hexgpu_engine *e = open_engine(1, 1, 100000);
    evaluate(e, 40);
    hexgpu_engine_stats s;
    hexgpu_engine_stats_read(e, &s);
    cr_assert_eq(s.overlap_fraction, 0.0);
    hexgpu_engine_close(e);
}

Test(host_timeline, off_by_default_and_errors) {
    hexgpu_engine_options o;
    hexgpu_engine_options_default(&o);
    cr_assert_eq(o.timeline, 0);
    hexgpu_engine *e = open_engine(0, 2, 0);
    evaluate(e, 20);
    hexgpu_engine_stats s;
    hexgpu_engine_stats_read(e, &s);
    cr_assert_eq(s.overlap_fraction, -1.0);
    char json[2048];
    hexgpu_engine_stats_json(&s, json, sizeof json);
    cr_assert(strstr(json, "\"overlap_fraction\":null"), "%s", json);
    hexgpu_error err;
    cr_assert_eq(hexgpu_engine_timeline_write(e, "/tmp/never-written.json", &err), HEXGPU_ERR_UNSUPPORTED);
    cr_assert(strstr(err.message, "timeline = 0"), "%s", err.message);
    hexgpu_engine_close(e);

    e = open_engine(1, 2, 0);
    evaluate(e, 20);
    const char *bad = "/nonexistent-dir/timeline.json";
    cr_assert_eq(hexgpu_engine_timeline_write(e, bad, &err), HEXGPU_ERR_IO);
    cr_assert(strstr(err.message, bad), "%s", err.message);
    hexgpu_engine_close(e);
}
