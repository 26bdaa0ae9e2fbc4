/* A small strict JSON parser (RFC 8259) for safetensors headers: a tree of values with
 * bounded depth and count, no extensions (no comments, no trailing commas, no NaN). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "hexgpu.h"

typedef enum hexgpu_json_type {
    HEXGPU_JSON_NULL = 0,
    HEXGPU_JSON_BOOL,
    HEXGPU_JSON_NUMBER,
    HEXGPU_JSON_STRING,
    HEXGPU_JSON_ARRAY,
    HEXGPU_JSON_OBJECT
} hexgpu_json_type;

typedef struct hexgpu_json {
    hexgpu_json_type type;
    int boolean;
    double number;
    int number_is_int;    /* the text was an integer that fits int64 exactly */
    int64_t integer;
    char *string;         /* STRING: owned, NUL-terminated (embedded NULs are refused) */
    size_t count;         /* ARRAY/OBJECT: number of items */
    char **keys;          /* OBJECT: owned keys, in file order */
    struct hexgpu_json *items;
    size_t offset;        /* byte offset of the value in the text, for messages */
} hexgpu_json;

#define HEXGPU_JSON_MAX_DEPTH 64

/* What one parse may build: nesting depth (the top-level value is depth 0) and the
 * number of values (every number, string, array, object... counts one; object keys are
 * part of their member). A value of about 100 bytes each, so max_values bounds memory. */
typedef struct hexgpu_json_limits {
    int max_depth;
    size_t max_values;
} hexgpu_json_limits;

/* Parses exactly one value from text[0..len) (trailing whitespace allowed). Duplicate
 * object keys are an error. On failure *out is zeroed and err names the byte offset.
 * Limits: depth HEXGPU_JSON_MAX_DEPTH, no count limit. */
hexgpu_status hexgpu_json_parse(const char *text, size_t len, hexgpu_json *out, hexgpu_error *err);

/* The same within limits: deeper nesting or more values is HEXGPU_ERR_PARSE ("nesting
 * too deep", "more than N values") at the byte where the limit was reached. */
hexgpu_status hexgpu_json_parse_limited(const char *text, size_t len, const hexgpu_json_limits *limits,
                                        hexgpu_json *out, hexgpu_error *err);

void hexgpu_json_free(hexgpu_json *value);

/* The member named key of an object, or NULL (also NULL when obj is not an object). */
const hexgpu_json *hexgpu_json_get(const hexgpu_json *obj, const char *key);
