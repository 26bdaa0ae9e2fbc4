/* Reading golden.jsonl files (through the engine's JSON parser). */
#include "check/golden.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/status.h"
#include "hex/trmph.h"

static hexgpu_status parse_entry(const hexgpu_json *obj, hexgpu_golden_entry *e, hexgpu_error *err) {
    const hexgpu_json *trmph = hexgpu_json_get(obj, "trmph"), *to_move = hexgpu_json_get(obj, "to_move");
    const hexgpu_json *logits = hexgpu_json_get(obj, "policy_logits"), *value = hexgpu_json_get(obj, "value");
    if (!trmph || trmph->type != HEXGPU_JSON_STRING || !to_move || to_move->type != HEXGPU_JSON_STRING || !logits ||
        logits->type != HEXGPU_JSON_ARRAY || !value || value->type != HEXGPU_JSON_NUMBER)
        return hexgpu_error_set(err, HEXGPU_ERR_PARSE, "expected {trmph, to_move, policy_logits[], value}");
    if (strlen(trmph->string) >= sizeof e->trmph)
        return hexgpu_error_set(err, HEXGPU_ERR_PARSE, "trmph too long");
    strcpy(e->trmph, trmph->string);
    /* The fixtures hold network inputs, not games: some positions go on after a win, which
     * hexgpu_trmph_parse rightly refuses, so only the stones are read. */
    hexgpu_status st = hexgpu_trmph_parse_stones(e->trmph, &e->position, NULL, 0, err);
    if (st) return hexgpu_error_prefix(err, st, "trmph '%s'", e->trmph);
    const char *expected = e->position.to_move == HEXGPU_RED ? "red" : "blue";
    if (strcmp(to_move->string, expected) != 0)
        return hexgpu_error_set(err, HEXGPU_ERR_PARSE, "to_move '%s' but the stones say %s", to_move->string, expected);
    size_t cells = (size_t)e->position.size * e->position.size;
    if (logits->count != cells)
        return hexgpu_error_set(err, HEXGPU_ERR_PARSE, "%zu policy logits for %zu cells", logits->count, cells);
    e->policy_logits = malloc(cells * sizeof(float));
    if (!e->policy_logits) return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "out of memory");
    for (size_t i = 0; i < cells; i++) {
        if (logits->items[i].type != HEXGPU_JSON_NUMBER)
            return hexgpu_error_set(err, HEXGPU_ERR_PARSE, "policy_logits[%zu] is not a number", i);
        e->policy_logits[i] = (float)logits->items[i].number;
    }
    e->value = (float)value->number;
    return HEXGPU_OK;
}

hexgpu_status hexgpu_golden_load(const char *path, hexgpu_golden *out, hexgpu_error *err) {
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f) return hexgpu_error_set(err, HEXGPU_ERR_IO, "%s: cannot open", path);
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t len;
    hexgpu_status st = HEXGPU_OK;
    while (!st && (len = getline(&line, &cap, f)) > 0) {
        lineno++;
        hexgpu_golden_entry *items = realloc(out->items, (out->count + 1) * sizeof *items);
        if (!items) {
            st = hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "out of memory");
            break;
        }
        out->items = items;
        hexgpu_golden_entry *e = &out->items[out->count++];
        memset(e, 0, sizeof *e);
        hexgpu_json obj;
        st = hexgpu_json_parse(line, (size_t)len, &obj, err);
        if (!st) {
            st = parse_entry(&obj, e, err);
            hexgpu_json_free(&obj);
        }
        if (!st && out->board_size && e->position.size != out->board_size)
            st = hexgpu_error_set(err, HEXGPU_ERR_PARSE, "board size %d after %d", e->position.size, out->board_size);
        out->board_size = e->position.size;
        if (st) hexgpu_error_prefix(err, st, "%s line %zu", path, lineno);
    }
    free(line);
    fclose(f);
    if (!st && out->count == 0) st = hexgpu_error_set(err, HEXGPU_ERR_PARSE, "%s: no positions", path);
    if (st) hexgpu_golden_free(out);
    return st;
}

void hexgpu_golden_free(hexgpu_golden *golden) {
    for (size_t i = 0; i < golden->count; i++) free(golden->items[i].policy_logits);
    free(golden->items);
    memset(golden, 0, sizeof *golden);
}
