/* Reading golden.jsonl files (through the engine's JSON parser). */
#include "check/golden.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* Opens path for reading if it is a regular file of at most MAX_GOLDEN_BYTES: a path that
 * is missing, unreadable, a folder, a FIFO (opened without waiting for a writer) or a
 * device is the user's to fix (HEXGPU_ERR_INVALID_ARGUMENT); NULL with err filled. */
#define MAX_GOLDEN_BYTES ((off_t)1 << 30)
static FILE *open_golden(const char *path, hexgpu_error *err) {
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        int code = errno;
        if (fd >= 0) close(fd);
        hexgpu_error_set(err, code == EIO ? HEXGPU_ERR_IO : HEXGPU_ERR_INVALID_ARGUMENT, "%s: %s", path, strerror(code));
        return NULL;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > MAX_GOLDEN_BYTES) {
        close(fd);
        hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "%s: %s", path,
                         S_ISREG(st.st_mode) ? "larger than 1 GiB: not a golden file" : "not a regular file");
        return NULL;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "%s: %s", path, strerror(errno));
        close(fd);
    }
    return f;
}

hexgpu_status hexgpu_golden_load(const char *path, hexgpu_golden *out, hexgpu_error *err) {
    memset(out, 0, sizeof *out);
    FILE *f = open_golden(path, err);
    if (!f) return err->status;
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
    if (!st && ferror(f)) st = hexgpu_error_set(err, HEXGPU_ERR_IO, "%s: a read failed after line %zu", path, lineno);
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
