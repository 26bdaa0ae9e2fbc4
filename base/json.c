/* Strict recursive-descent JSON parser for safetensors headers. Depth is bounded so
 * hostile nesting cannot exhaust the stack, and the value count (when asked) so a header
 * of tiny values cannot cost a hundred times its size in tree nodes. */
#include "base/json.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/status.h"

typedef struct parser {
    const char *text;
    size_t len, pos;
    hexgpu_json_limits limits;
    size_t values; /* made so far */
    hexgpu_error *err;
} parser;

static hexgpu_status fail(parser *p, const char *what) {
    return hexgpu_error_set(p->err, HEXGPU_ERR_PARSE, "JSON: %s at byte %zu", what, p->pos);
}

static void skip_ws(parser *p) {
    while (p->pos < p->len) {
        char c = p->text[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        p->pos++;
    }
}

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static hexgpu_status read_hex4(parser *p, unsigned *out) {
    if (p->len - p->pos < 4) return fail(p, "truncated \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int d = hex_digit(p->text[p->pos + (size_t)i]);
        if (d < 0) return fail(p, "bad \\u escape");
        v = v * 16 + (unsigned)d;
    }
    p->pos += 4;
    *out = v;
    return HEXGPU_OK;
}

static size_t put_utf8(char *dst, unsigned cp) {
    if (cp < 0x80) { dst[0] = (char)cp; return 1; }
    if (cp < 0x800) { dst[0] = (char)(0xC0 | (cp >> 6)); dst[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        dst[0] = (char)(0xE0 | (cp >> 12));
        dst[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        dst[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    dst[0] = (char)(0xF0 | (cp >> 18));
    dst[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    dst[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    dst[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* At the opening quote. The decoded string is never longer than its escaped form. */
static hexgpu_status parse_string(parser *p, char **out) {
    p->pos++;
    size_t start = p->pos;
    while (p->pos < p->len && p->text[p->pos] != '"') p->pos += p->text[p->pos] == '\\' ? 2 : 1;
    if (p->pos >= p->len) return fail(p, "unterminated string");
    size_t end = p->pos;
    char *s = malloc(end - start + 1);
    if (!s) return hexgpu_error_set(p->err, HEXGPU_ERR_OUT_OF_MEMORY, "JSON: out of memory");
    size_t n = 0;
    for (p->pos = start; p->pos < end;) {
        unsigned char c = (unsigned char)p->text[p->pos];
        if (c < 0x20) { free(s); return fail(p, "control character in string"); }
        if (c != '\\') { s[n++] = (char)c; p->pos++; continue; }
        char e = p->text[p->pos + 1];
        p->pos += 2;
        const char *simple = strchr("\"\\/bfnrt", e);
        if (e && simple) {
            static const char decoded[] = "\"\\/\b\f\n\r\t";
            s[n++] = decoded[simple - "\"\\/bfnrt"];
            continue;
        }
        if (e != 'u') { p->pos -= 2; free(s); return fail(p, "bad escape"); }
        unsigned cp;
        if (read_hex4(p, &cp) != HEXGPU_OK) { free(s); return p->err ? p->err->status : HEXGPU_ERR_PARSE; }
        if (cp >= 0xD800 && cp < 0xDC00) {
            unsigned lo;
            if (end - p->pos < 6 || p->text[p->pos] != '\\' || p->text[p->pos + 1] != 'u') {
                free(s);
                return fail(p, "unpaired surrogate");
            }
            p->pos += 2;
            if (read_hex4(p, &lo) != HEXGPU_OK || lo < 0xDC00 || lo > 0xDFFF) {
                free(s);
                return fail(p, "unpaired surrogate");
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else if (cp >= 0xDC00 && cp < 0xE000) {
            free(s);
            return fail(p, "unpaired surrogate");
        }
        if (cp == 0) { free(s); return fail(p, "NUL in string"); }
        n += put_utf8(s + n, cp);
    }
    s[n] = '\0';
    p->pos = end + 1;
    *out = s;
    return HEXGPU_OK;
}

static hexgpu_status parse_number(parser *p, hexgpu_json *v) {
    size_t start = p->pos;
    const char *t = p->text;
    if (p->pos < p->len && t[p->pos] == '-') p->pos++;
    if (p->pos >= p->len || t[p->pos] < '0' || t[p->pos] > '9') return fail(p, "bad number");
    if (t[p->pos] == '0') p->pos++;
    else while (p->pos < p->len && t[p->pos] >= '0' && t[p->pos] <= '9') p->pos++;
    int integral = 1;
    if (p->pos < p->len && t[p->pos] == '.') {
        integral = 0;
        p->pos++;
        if (p->pos >= p->len || t[p->pos] < '0' || t[p->pos] > '9') return fail(p, "bad fraction");
        while (p->pos < p->len && t[p->pos] >= '0' && t[p->pos] <= '9') p->pos++;
    }
    if (p->pos < p->len && (t[p->pos] == 'e' || t[p->pos] == 'E')) {
        integral = 0;
        p->pos++;
        if (p->pos < p->len && (t[p->pos] == '+' || t[p->pos] == '-')) p->pos++;
        if (p->pos >= p->len || t[p->pos] < '0' || t[p->pos] > '9') return fail(p, "bad exponent");
        while (p->pos < p->len && t[p->pos] >= '0' && t[p->pos] <= '9') p->pos++;
    }
    char buf[64];
    size_t n = p->pos - start;
    if (n >= sizeof buf) { p->pos = start; return fail(p, "number too long"); }
    memcpy(buf, t + start, n);
    buf[n] = '\0';
    v->type = HEXGPU_JSON_NUMBER;
    v->number = strtod(buf, NULL);
    if (integral) {
        errno = 0;
        long long ll = strtoll(buf, NULL, 10);
        if (errno == 0) {
            v->number_is_int = 1;
            v->integer = (int64_t)ll;
        }
    }
    return HEXGPU_OK;
}

static int key_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static hexgpu_status parse_value(parser *p, hexgpu_json *v, int depth);

/* Appends one zeroed item (and key slot for objects), growing geometrically. */
static hexgpu_status push_item(parser *p, hexgpu_json *v, size_t *cap) {
    if (v->count == *cap) {
        size_t nc = *cap ? *cap * 2 : 4;
        hexgpu_json *items = realloc(v->items, nc * sizeof *items);
        if (!items) return hexgpu_error_set(p->err, HEXGPU_ERR_OUT_OF_MEMORY, "JSON: out of memory");
        v->items = items;
        if (v->type == HEXGPU_JSON_OBJECT) {
            char **keys = realloc(v->keys, nc * sizeof *keys);
            if (!keys) return hexgpu_error_set(p->err, HEXGPU_ERR_OUT_OF_MEMORY, "JSON: out of memory");
            v->keys = keys;
        }
        *cap = nc;
    }
    memset(&v->items[v->count], 0, sizeof v->items[0]);
    if (v->type == HEXGPU_JSON_OBJECT) v->keys[v->count] = NULL;
    v->count++;
    return HEXGPU_OK;
}

static hexgpu_status check_duplicates(parser *p, const hexgpu_json *v) {
    if (v->count < 2) return HEXGPU_OK;
    char **sorted = malloc(v->count * sizeof *sorted);
    if (!sorted) return hexgpu_error_set(p->err, HEXGPU_ERR_OUT_OF_MEMORY, "JSON: out of memory");
    memcpy(sorted, v->keys, v->count * sizeof *sorted);
    qsort(sorted, v->count, sizeof *sorted, key_cmp);
    hexgpu_status st = HEXGPU_OK;
    for (size_t i = 1; i < v->count && st == HEXGPU_OK; i++)
        if (strcmp(sorted[i - 1], sorted[i]) == 0)
            st = hexgpu_error_set(p->err, HEXGPU_ERR_PARSE, "JSON: duplicate key '%.100s' in object at byte %zu",
                                  sorted[i], v->offset);
    free(sorted);
    return st;
}

static hexgpu_status parse_container(parser *p, hexgpu_json *v, int depth) {
    int object = p->text[p->pos] == '{';
    char close = object ? '}' : ']';
    v->type = object ? HEXGPU_JSON_OBJECT : HEXGPU_JSON_ARRAY;
    p->pos++;
    size_t cap = 0;
    skip_ws(p);
    if (p->pos < p->len && p->text[p->pos] == close) { p->pos++; return HEXGPU_OK; }
    for (;;) {
        hexgpu_status st = push_item(p, v, &cap);
        if (st != HEXGPU_OK) return st;
        skip_ws(p);
        if (object) {
            if (p->pos >= p->len || p->text[p->pos] != '"') return fail(p, "expected a string key");
            if ((st = parse_string(p, &v->keys[v->count - 1])) != HEXGPU_OK) return st;
            skip_ws(p);
            if (p->pos >= p->len || p->text[p->pos] != ':') return fail(p, "expected ':'");
            p->pos++;
        }
        if ((st = parse_value(p, &v->items[v->count - 1], depth + 1)) != HEXGPU_OK) return st;
        skip_ws(p);
        if (p->pos >= p->len) return fail(p, "unterminated container");
        char c = p->text[p->pos++];
        if (c == close) break;
        if (c != ',') { p->pos--; return fail(p, object ? "expected ',' or '}'" : "expected ',' or ']'"); }
    }
    return object ? check_duplicates(p, v) : HEXGPU_OK;
}

static int match_word(parser *p, const char *word) {
    size_t n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->text + p->pos, word, n) != 0) return 0;
    p->pos += n;
    return 1;
}

static hexgpu_status parse_value(parser *p, hexgpu_json *v, int depth) {
    if (depth > p->limits.max_depth) return fail(p, "nesting too deep");
    if (++p->values > p->limits.max_values) {
        char what[64];
        snprintf(what, sizeof what, "more than %zu values", p->limits.max_values);
        return fail(p, what);
    }
    skip_ws(p);
    v->offset = p->pos;
    if (p->pos >= p->len) return fail(p, "unexpected end of text");
    char c = p->text[p->pos];
    if (c == '{' || c == '[') return parse_container(p, v, depth);
    if (c == '"') {
        v->type = HEXGPU_JSON_STRING;
        return parse_string(p, &v->string);
    }
    if (c == '-' || (c >= '0' && c <= '9')) return parse_number(p, v);
    if (match_word(p, "true")) { v->type = HEXGPU_JSON_BOOL; v->boolean = 1; return HEXGPU_OK; }
    if (match_word(p, "false")) { v->type = HEXGPU_JSON_BOOL; return HEXGPU_OK; }
    if (match_word(p, "null")) { v->type = HEXGPU_JSON_NULL; return HEXGPU_OK; }
    return fail(p, "unexpected character");
}

hexgpu_status hexgpu_json_parse(const char *text, size_t len, hexgpu_json *out, hexgpu_error *err) {
    const hexgpu_json_limits limits = {HEXGPU_JSON_MAX_DEPTH, SIZE_MAX};
    return hexgpu_json_parse_limited(text, len, &limits, out, err);
}

hexgpu_status hexgpu_json_parse_limited(const char *text, size_t len, const hexgpu_json_limits *limits,
                                        hexgpu_json *out, hexgpu_error *err) {
    memset(out, 0, sizeof *out);
    parser p = {.text = text, .len = len, .limits = *limits, .err = err};
    hexgpu_status st = parse_value(&p, out, 0);
    if (st == HEXGPU_OK) {
        skip_ws(&p);
        if (p.pos != len) st = fail(&p, "trailing characters after the value");
    }
    if (st != HEXGPU_OK) {
        hexgpu_json_free(out);
        return st;
    }
    return HEXGPU_OK;
}

void hexgpu_json_free(hexgpu_json *value) {
    if (!value) return;
    for (size_t i = 0; i < value->count; i++) {
        hexgpu_json_free(&value->items[i]);
        if (value->keys) free(value->keys[i]);
    }
    free(value->items);
    free(value->keys);
    free(value->string);
    memset(value, 0, sizeof *value);
}

const hexgpu_json *hexgpu_json_get(const hexgpu_json *obj, const char *key) {
    if (!obj || obj->type != HEXGPU_JSON_OBJECT) return NULL;
    for (size_t i = 0; i < obj->count; i++)
        if (strcmp(obj->keys[i], key) == 0) return &obj->items[i];
    return NULL;
}
