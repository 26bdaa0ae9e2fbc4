/* JSON text for the server's replies (see json_writer.h). */
#include "serve/json_writer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hexgpu_json_writer_init(hexgpu_json_writer *w) { memset(w, 0, sizeof *w); }

void hexgpu_json_writer_free(hexgpu_json_writer *w) {
    free(w->data);
    hexgpu_json_writer_init(w);
}

char *hexgpu_json_writer_take(hexgpu_json_writer *w, size_t *len) {
    char *data = w->failed ? NULL : w->data;
    if (!data) data = w->failed ? NULL : calloc(1, 1);
    if (len) *len = data ? w->len : 0;
    if (w->failed) free(w->data);
    hexgpu_json_writer_init(w);
    return data;
}

static void put(hexgpu_json_writer *w, const char *text, size_t len) {
    if (w->failed) return;
    if (w->len + len + 1 > w->cap) {
        size_t cap = w->cap ? w->cap : 256;
        while (cap < w->len + len + 1) cap *= 2;
        char *grown = realloc(w->data, cap);
        if (!grown) {
            w->failed = 1;
            return;
        }
        w->data = grown, w->cap = cap;
    }
    memcpy(w->data + w->len, text, len);
    w->len += len;
    w->data[w->len] = '\0';
}

/* The comma before a value (none after a key or for a level's first value). */
static void before_value(hexgpu_json_writer *w) {
    if (w->after_key) {
        w->after_key = 0;
        return;
    }
    if (w->depth > 0 && w->count[w->depth - 1]++ > 0) put(w, ",", 1);
}

static void open_level(hexgpu_json_writer *w, char bracket) {
    before_value(w);
    if (w->depth >= HEXGPU_JSON_WRITER_DEPTH) {
        w->failed = 1;
        return;
    }
    w->count[w->depth++] = 0;
    put(w, &bracket, 1);
}

static void close_level(hexgpu_json_writer *w, char bracket) {
    if (w->depth > 0) w->depth--;
    put(w, &bracket, 1);
}

void hexgpu_json_object_begin(hexgpu_json_writer *w) { open_level(w, '{'); }
void hexgpu_json_object_end(hexgpu_json_writer *w) { close_level(w, '}'); }
void hexgpu_json_array_begin(hexgpu_json_writer *w) { open_level(w, '['); }
void hexgpu_json_array_end(hexgpu_json_writer *w) { close_level(w, ']'); }

/* Bytes of the UTF-8 sequence at p (1..4), or 0 when it is not a valid one. */
static size_t utf8_sequence(const unsigned char *p, size_t left) {
    unsigned c = p[0];
    if (c < 0x80) return 1;
    size_t n;
    unsigned cp, min;
    if (c >= 0xC2 && c <= 0xDF) n = 2, cp = c & 0x1F, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF) n = 3, cp = c & 0x0F, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4) n = 4, cp = c & 0x07, min = 0x10000;
    else return 0;
    if (left < n) return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
}

size_t hexgpu_utf8_valid_prefix(const char *text, size_t len) {
    const unsigned char *p = (const unsigned char *)text;
    size_t i = 0;
    while (i < len) {
        size_t n = utf8_sequence(p + i, len - i);
        if (n == 0) return i;
        i += n;
    }
    return len;
}

void hexgpu_json_string_n(hexgpu_json_writer *w, const char *text, size_t len) {
    before_value(w);
    if (!text) {
        put(w, "null", 4);
        return;
    }
    put(w, "\"", 1);
    const unsigned char *p = (const unsigned char *)text;
    size_t i = 0, run = 0; /* bytes [i - run, i) are copied as they are */
    while (i < len) {
        unsigned c = p[i];
        size_t n = utf8_sequence(p + i, len - i);
        int plain = n > 0 && c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' &&
                    c != 0x7F;
        if (plain) {
            i += n, run += n;
            continue;
        }
        put(w, (const char *)p + i - run, run);
        run = 0;
        char esc[8];
        if (n == 0) {
            put(w, "\\ufffd", 6); /* an invalid byte */
            i++;
            continue;
        }
        if (c == '"') put(w, "\\\"", 2);
        else if (c == '\\') put(w, "\\\\", 2);
        else if (c == '\n') put(w, "\\n", 2);
        else if (c == '\t') put(w, "\\t", 2);
        else put(w, esc, (size_t)snprintf(esc, sizeof esc, "\\u%04x", c));
        i++;
    }
    put(w, (const char *)p + i - run, run);
    put(w, "\"", 1);
}

void hexgpu_json_string(hexgpu_json_writer *w, const char *text) {
    hexgpu_json_string_n(w, text, text ? strlen(text) : 0);
}

void hexgpu_json_key(hexgpu_json_writer *w, const char *key) {
    hexgpu_json_string(w, key);
    put(w, ":", 1);
    w->after_key = 1;
}

void hexgpu_json_int(hexgpu_json_writer *w, long long value) {
    char text[32];
    before_value(w);
    put(w, text, (size_t)snprintf(text, sizeof text, "%lld", value));
}

void hexgpu_json_number(hexgpu_json_writer *w, double value) {
    char text[40];
    before_value(w);
    if (!isfinite(value)) put(w, "null", 4);
    else put(w, text, (size_t)snprintf(text, sizeof text, "%.9g", value));
}

void hexgpu_json_bool(hexgpu_json_writer *w, int value) {
    before_value(w);
    put(w, value ? "true" : "false", value ? 4 : 5);
}

void hexgpu_json_null(hexgpu_json_writer *w) {
    before_value(w);
    put(w, "null", 4);
}

void hexgpu_json_raw(hexgpu_json_writer *w, const char *json, size_t len) {
    before_value(w);
    put(w, json, len);
}

void hexgpu_json_kstring(hexgpu_json_writer *w, const char *key, const char *text) {
    hexgpu_json_key(w, key);
    hexgpu_json_string(w, text);
}
void hexgpu_json_kint(hexgpu_json_writer *w, const char *key, long long value) {
    hexgpu_json_key(w, key);
    hexgpu_json_int(w, value);
}
void hexgpu_json_knumber(hexgpu_json_writer *w, const char *key, double value) {
    hexgpu_json_key(w, key);
    hexgpu_json_number(w, value);
}
void hexgpu_json_kbool(hexgpu_json_writer *w, const char *key, int value) {
    hexgpu_json_key(w, key);
    hexgpu_json_bool(w, value);
}
void hexgpu_json_knull(hexgpu_json_writer *w, const char *key) {
    hexgpu_json_key(w, key);
    hexgpu_json_null(w);
}

void hexgpu_json_value(hexgpu_json_writer *w, const hexgpu_json *v) {
    switch (v->type) {
    case HEXGPU_JSON_NULL: hexgpu_json_null(w); break;
    case HEXGPU_JSON_BOOL: hexgpu_json_bool(w, v->boolean); break;
    case HEXGPU_JSON_NUMBER:
        if (v->number_is_int) hexgpu_json_int(w, (long long)v->integer);
        else hexgpu_json_number(w, v->number);
        break;
    case HEXGPU_JSON_STRING: hexgpu_json_string(w, v->string); break;
    case HEXGPU_JSON_ARRAY:
        hexgpu_json_array_begin(w);
        for (size_t i = 0; i < v->count; i++) hexgpu_json_value(w, &v->items[i]);
        hexgpu_json_array_end(w);
        break;
    case HEXGPU_JSON_OBJECT:
        hexgpu_json_object_begin(w);
        for (size_t i = 0; i < v->count; i++) {
            hexgpu_json_key(w, v->keys[i]);
            hexgpu_json_value(w, &v->items[i]);
        }
        hexgpu_json_object_end(w);
        break;
    }
}

