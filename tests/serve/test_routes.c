/* Routing (exact before prefix, the longest prefix, 404 vs 405), typed request members,
 * cell names, and the search gate's bound. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "serve/game_json.h"
#include "serve/http.h"
#include "serve/json_fields.h"
#include "serve/search_gate.h"

static void h(hexgpu_server *s, const hexgpu_http_request *r, hexgpu_http_response *o) { (void)s, (void)r, (void)o; }

static const hexgpu_route table[] = {
    {"GET", "/", 0, h},
    {"GET", "/static/", 1, h},
    {"GET", "/api/models", 0, h},
    {"POST", "/api/state", 0, h},
    {"GET", "/api/model-browser/directory/", 1, h},
    {"GET", "/api/model-browser/", 1, h},
};

static int matched(const char *method, const char *path, const char **tail, int *bad) {
    const hexgpu_route *r = hexgpu_route_match(table, sizeof table / sizeof table[0], method, path, tail, bad);
    return r ? (int)(r - table) : -1;
}

Test(serve_routes, exact_prefix_and_longest_prefix) {
    const char *tail;
    int bad;
    cr_assert_eq(matched("GET", "/", &tail, &bad), 0);
    cr_assert_eq(matched("GET", "/static/app.js", &tail, &bad), 1);
    cr_assert_str_eq(tail, "app.js");
    cr_assert_eq(matched("GET", "/api/model-browser/directory/run/a", &tail, &bad), 4);
    cr_assert_str_eq(tail, "run/a");
    cr_assert_eq(matched("GET", "/api/model-browser/recent", &tail, &bad), 5);
    cr_assert_str_eq(tail, "recent");
}

Test(serve_routes, unknown_paths_and_wrong_methods) {
    const char *tail;
    int bad;
    cr_assert_eq(matched("GET", "/api/nope", &tail, &bad), -1);
    cr_assert_eq(bad, 0);
    cr_assert_eq(matched("GET", "/static/", &tail, &bad), -1, "a prefix route needs a tail");
    cr_assert_eq(matched("GET", "/api/state", &tail, &bad), -1);
    cr_assert_eq(bad, 1, "POST-only route asked with GET: 405");
    cr_assert_eq(matched("DELETE", "/api/models", &tail, &bad), -1);
    cr_assert_eq(bad, 1);
    cr_assert_eq(matched("GET", "/api/models/", &tail, &bad), -1, "no trailing-slash match");
}

static hexgpu_json parse(const char *text) {
    hexgpu_json v;
    cr_assert_eq(hexgpu_json_parse(text, strlen(text), &v, NULL), HEXGPU_OK, "%s", text);
    return v;
}

Test(serve_fields, types_ranges_and_defaults) {
    hexgpu_json v = parse("{\"s\":\"x\",\"n\":90,\"f\":2.5,\"b\":true,\"z\":null,\"w\":\"90\",\"i\":1.5,\"o\":1}");
    hexgpu_error err = {0};
    const char *s;
    long long n;
    double f;
    int b;
    cr_assert_eq(hexgpu_field_string(&v, "s", 1, NULL, &s, &err), HEXGPU_OK);
    cr_assert_str_eq(s, "x");
    cr_assert_eq(hexgpu_field_string(&v, "missing", 0, "model1", &s, &err), HEXGPU_OK);
    cr_assert_str_eq(s, "model1");
    cr_assert_eq(hexgpu_field_string(&v, "z", 1, NULL, &s, &err), HEXGPU_ERR_INVALID_ARGUMENT, "null is absent");
    cr_assert_str_eq(err.message, "'z' is required");
    cr_assert_eq(hexgpu_field_string(&v, "n", 1, NULL, &s, &err), HEXGPU_ERR_INVALID_ARGUMENT);
    cr_assert_eq(hexgpu_field_int(&v, "n", 1, 100, 200, &n, &err), HEXGPU_OK);
    cr_assert_eq(n, 90);
    cr_assert_eq(hexgpu_field_int(&v, "n", 1, 50, 200, &n, &err), HEXGPU_ERR_INVALID_ARGUMENT);
    cr_assert_str_eq(err.message, "'n' must be an integer in 1..50");
    cr_assert_eq(hexgpu_field_int(&v, "w", 1, 100, 200, &n, &err), HEXGPU_ERR_INVALID_ARGUMENT, "a string is no int");
    cr_assert_eq(hexgpu_field_int(&v, "i", 1, 100, 200, &n, &err), HEXGPU_ERR_INVALID_ARGUMENT, "1.5 is no int");
    cr_assert_eq(hexgpu_field_int(&v, "missing", 1, 100, 200, &n, &err), HEXGPU_OK);
    cr_assert_eq(n, 200);
    cr_assert_eq(hexgpu_field_number(&v, "f", 0.0, 3.0, 1.0, &f, &err), HEXGPU_OK);
    cr_assert_float_eq(f, 2.5, 0.0);
    cr_assert_eq(hexgpu_field_number(&v, "f", 0.0, 2.0, 1.0, &f, &err), HEXGPU_ERR_INVALID_ARGUMENT);
    cr_assert_eq(hexgpu_field_bool(&v, "b", 0, &b, &err), HEXGPU_OK);
    cr_assert_eq(b, 1);
    cr_assert_eq(hexgpu_field_bool(&v, "o", 0, &b, &err), HEXGPU_OK);
    cr_assert_eq(b, 1);
    cr_assert_eq(hexgpu_field_bool(&v, "s", 0, &b, &err), HEXGPU_ERR_INVALID_ARGUMENT);
    hexgpu_json_free(&v);
}

Test(serve_cells, names_on_a_board) {
    cr_assert_eq(hexgpu_cell_parse("a1", 2, 13), 0);
    cr_assert_eq(hexgpu_cell_parse("m13", 3, 13), 168);
    cr_assert_eq(hexgpu_cell_parse("g7", 2, 13), 6 * 13 + 6);
    cr_assert_eq(hexgpu_cell_parse("a01", 3, 13), 0, "a leading zero as the reference takes it");
    cr_assert_eq(hexgpu_cell_parse("n1", 2, 13), -1);
    cr_assert_eq(hexgpu_cell_parse("a14", 3, 13), -1);
    cr_assert_eq(hexgpu_cell_parse("a0", 2, 13), -1);
    cr_assert_eq(hexgpu_cell_parse("A1", 2, 13), -1);
    cr_assert_eq(hexgpu_cell_parse("k1", 2, 11), 10);
    cr_assert_eq(hexgpu_cell_parse("l1", 2, 11), -1);
}

static hexgpu_search_gate gate;

static void *hold(void *arg) {
    char reason[128];
    int *admitted = arg;
    *admitted = hexgpu_search_gate_enter(&gate, 5000, reason, sizeof reason);
    if (*admitted) hexgpu_search_gate_leave(&gate);
    return NULL;
}

Test(serve_search_gate, runs_then_queues_then_refuses) {
    char reason[128];
    hexgpu_search_gate_init(&gate, 2, 1);
    cr_assert(hexgpu_search_gate_enter(&gate, 0, reason, sizeof reason));
    cr_assert(hexgpu_search_gate_enter(&gate, 0, reason, sizeof reason));
    /* full and nobody waiting: a short wait times out */
    cr_assert_not(hexgpu_search_gate_enter(&gate, 20, reason, sizeof reason));
    cr_assert(strstr(reason, "busy"), "%s", reason);
    /* one waits in line ... */
    int admitted = -1;
    pthread_t t;
    pthread_create(&t, NULL, hold, &admitted);
    int running = 0, waiting = 0;
    uint64_t in, out;
    for (int i = 0; i < 1000 && waiting == 0; i++) {
        hexgpu_search_gate_read(&gate, &running, &waiting, &in, &out);
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
    cr_assert_eq(waiting, 1);
    /* ... so the next is turned away at once */
    cr_assert_not(hexgpu_search_gate_enter(&gate, 5000, reason, sizeof reason));
    hexgpu_search_gate_leave(&gate);
    pthread_join(t, NULL);
    cr_assert_eq(admitted, 1, "the waiting one got in when a search ended");
    hexgpu_search_gate_leave(&gate);
    hexgpu_search_gate_read(&gate, &running, &waiting, &in, &out);
    cr_assert_eq(running, 0);
    cr_assert_eq(in, 3);
    cr_assert_eq(out, 2);
    hexgpu_search_gate_destroy(&gate);
}
