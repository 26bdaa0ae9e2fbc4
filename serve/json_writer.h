/* A JSON text writer for the server's replies: objects and arrays with commas placed by
 * the writer, strings escaped so that the text is safe inside HTML too (<, > and &
 * as \u escapes) and invalid UTF-8 replaced by U+FFFD, non-finite numbers as null.
 * Memory grows on demand; a failed allocation marks the writer failed (checked once at
 * the end) instead of every call returning a status. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "base/json.h"

#define HEXGPU_JSON_WRITER_DEPTH 32

typedef struct hexgpu_json_writer {
    char *data;
    size_t len, cap;
    int failed;                          /* out of memory, or nesting deeper than the limit */
    int depth;                           /* open objects and arrays */
    int count[HEXGPU_JSON_WRITER_DEPTH]; /* values written at each level, for the commas */
    int after_key;                       /* a key was written: its value needs no comma */
} hexgpu_json_writer;

void hexgpu_json_writer_init(hexgpu_json_writer *w);
void hexgpu_json_writer_free(hexgpu_json_writer *w);
/* Hands the text over (NUL-terminated, *len without the NUL; the caller frees it) and
 * leaves the writer empty. NULL when the writer failed. */
char *hexgpu_json_writer_take(hexgpu_json_writer *w, size_t *len);

void hexgpu_json_object_begin(hexgpu_json_writer *w);
void hexgpu_json_object_end(hexgpu_json_writer *w);
void hexgpu_json_array_begin(hexgpu_json_writer *w);
void hexgpu_json_array_end(hexgpu_json_writer *w);
/* A member's key inside an object; the next value written is its value. */
void hexgpu_json_key(hexgpu_json_writer *w, const char *key);

void hexgpu_json_string(hexgpu_json_writer *w, const char *text); /* NULL writes null */
void hexgpu_json_string_n(hexgpu_json_writer *w, const char *text, size_t len);
void hexgpu_json_int(hexgpu_json_writer *w, long long value);
void hexgpu_json_number(hexgpu_json_writer *w, double value);    /* %.9g; NaN and infinities: null */
void hexgpu_json_bool(hexgpu_json_writer *w, int value);
void hexgpu_json_null(hexgpu_json_writer *w);
/* Text that already is one JSON value (a number formatted elsewhere, a stored object). */
void hexgpu_json_raw(hexgpu_json_writer *w, const char *json, size_t len);

/* A parsed value written back as JSON (strings re-escaped, numbers as %.9g). */
void hexgpu_json_value(hexgpu_json_writer *w, const hexgpu_json *value);

/* Members: key then value. */
void hexgpu_json_kstring(hexgpu_json_writer *w, const char *key, const char *text);
void hexgpu_json_kint(hexgpu_json_writer *w, const char *key, long long value);
void hexgpu_json_knumber(hexgpu_json_writer *w, const char *key, double value);
void hexgpu_json_kbool(hexgpu_json_writer *w, const char *key, int value);
void hexgpu_json_knull(hexgpu_json_writer *w, const char *key);

/* Length of the longest prefix of text[0..len) that is valid UTF-8 (no overlong forms,
 * no surrogates, nothing above U+10FFFF): len when the whole text is valid. */
size_t hexgpu_utf8_valid_prefix(const char *text, size_t len);
