/* hexgpu bench --engine --timeline: the Chrome trace of the last batch size and the
 * overlap fraction in the JSON line, on the CPU backend (no copies: overlap exactly 0). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/json.h"
#include "model/test_model_util.h"
#include "support/fixtures.h"
#include "support/run_cli.h"

Test(cli_bench_timeline, trace_of_the_last_batch_size) {
    char model[4096], dir[] = "/tmp/hexgpu-bench-timeline-XXXXXX", path[4200];
    snprintf(model, sizeof model, "%s", hexgpu_test_fixture_path("tiny13/model.safetensors"));
    cr_assert(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/trace.json", dir);
    const char *argv[] = {"bench", "--engine", "--model", model, "--backend", "cpu", "--batch", "4,8", "--seconds",
                          "0.2", "--repeats", "1", "--slots", "2", "--timeline", path, "--json", NULL};
    hexgpu_cli_result r;
    cr_assert_eq(hexgpu_cli_run(argv, NULL, &r), 0);
    cr_assert_eq(r.exit_code, 0, "stderr: %s", r.err);
    /* Both lines carry the overlap: 0 on the CPU, whose copies are empty phases. */
    const char *line = r.out;
    for (int i = 0; i < 2; i++) {
        const char *end = strchr(line, '\n');
        cr_assert(end, "two lines: %s", r.out);
        hexgpu_json obj;
        hexgpu_error err;
        cr_assert_eq(hexgpu_json_parse(line, (size_t)(end - line), &obj, &err), HEXGPU_OK, "%s", err.message);
        const hexgpu_json *o = hexgpu_json_get(&obj, "overlap_fraction");
        cr_assert(o && o->type == HEXGPU_JSON_NUMBER, "line %d: %s", i, line);
        cr_assert_eq(o->number, 0.0);
        hexgpu_json_free(&obj);
        line = end + 1;
    }
    size_t len;
    char *text = (char *)model_test_read(path, &len);
    hexgpu_json doc;
    hexgpu_error err;
    cr_assert_eq(hexgpu_json_parse(text, len, &doc, &err), HEXGPU_OK, "%s", err.message);
    const hexgpu_json *events = hexgpu_json_get(&doc, "traceEvents");
    cr_assert(events && events->type == HEXGPU_JSON_ARRAY);
    size_t complete = 0, computes = 0;
    int tids[2] = {0};
    for (size_t i = 0; i < events->count; i++) {
        const hexgpu_json *ev = &events->items[i];
        if (strcmp(hexgpu_json_get(ev, "ph")->string, "X") != 0) continue;
        complete++;
        int64_t tid = hexgpu_json_get(ev, "tid")->integer;
        cr_assert(tid == 0 || tid == 1, "tid %lld", (long long)tid);
        tids[tid] = 1;
        /* the last batch size only: every batch is at most 8 */
        int64_t batch = hexgpu_json_get(hexgpu_json_get(ev, "args"), "batch")->integer;
        cr_assert(batch >= 1 && batch <= 8, "batch %lld", (long long)batch);
        if (strcmp(hexgpu_json_get(ev, "name")->string, "compute") == 0) {
            computes++;
            cr_assert_gt(hexgpu_json_get(ev, "dur")->number, 0.0);
        } else {
            cr_assert_eq(hexgpu_json_get(ev, "dur")->number, 0.0); /* host memory: no copy */
        }
    }
    cr_assert_gt(computes, 0);
    cr_assert_eq(complete, 3 * computes);
    cr_assert_eq(hexgpu_json_get(hexgpu_json_get(&doc, "otherData"), "batches")->integer, (int64_t)computes);
    cr_assert(tids[0] && tids[1], "both slots ran batches");
    hexgpu_json_free(&doc);
    free(text);
    remove(path);
    rmdir(dir);
    hexgpu_cli_result_free(&r);
}

Test(cli_bench_timeline, needs_engine_and_a_writable_path) {
    char model[4096];
    snprintf(model, sizeof model, "%s", hexgpu_test_fixture_path("tiny13/model.safetensors"));
    const char *no_engine[] = {"bench", "--model", model, "--timeline", "/tmp/x.json", NULL};
    hexgpu_cli_result r;
    cr_assert_eq(hexgpu_cli_run(no_engine, NULL, &r), 0);
    cr_assert_eq(r.exit_code, 2, "stderr: %s", r.err);
    cr_assert(strstr(r.err, "--timeline"), "%s", r.err);
    hexgpu_cli_result_free(&r);
    const char *bad[] = {"bench", "--engine", "--model", model, "--backend", "cpu", "--batch", "4", "--seconds",
                         "0.1", "--repeats", "1", "--timeline", "/nonexistent-dir/trace.json", "--json", NULL};
    cr_assert_eq(hexgpu_cli_run(bad, NULL, &r), 0);
    cr_assert_eq(r.exit_code, 1, "stderr: %s", r.err);
    cr_assert(strstr(r.err, "/nonexistent-dir/trace.json"), "%s", r.err);
    hexgpu_cli_result_free(&r);
}
