/* safetensors reader: 8-byte little-endian header length, a JSON header of
 * {name: {dtype, shape, data_offsets}, "__metadata__": {str: str}}, then the data. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "model/model_bytes.h"
#include "model/model_file.h"
#include "base/status.h"

static int parse_dtype(const char *s, hexgpu_dtype *out) {
    for (int d = 0; d < HEXGPU_DTYPE_COUNT; d++)
        if (strcmp(s, hexgpu_dtype_name((hexgpu_dtype)d)) == 0) {
            *out = (hexgpu_dtype)d;
            return 1;
        }
    return 0;
}

static hexgpu_status bad(hexgpu_error *err, const char *name, const char *what) {
    return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT, "safetensors: tensor '%.200s': %s", name, what);
}

static hexgpu_status read_metadata(const hexgpu_json *meta, hexgpu_model_file_info *info, hexgpu_error *err) {
    if (meta->type != HEXGPU_JSON_OBJECT)
        return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT, "safetensors: __metadata__ is not an object");
    for (size_t i = 0; i < meta->count; i++) {
        if (meta->items[i].type != HEXGPU_JSON_STRING)
            return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT, "safetensors: __metadata__ '%.100s' is not a string",
                                    meta->keys[i]);
        const char *value = meta->items[i].string;
        if (strcmp(meta->keys[i], "board_size") == 0) {
            char *end;
            long n = strtol(value, &end, 10);
            if (*value == '\0' || *end != '\0' || n < HEXGPU_MIN_SIZE || n > HEXGPU_MAX_SIZE)
                return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT,
                                        "safetensors: __metadata__ board_size '%.40s' is not a board size %d..%d",
                                        value, HEXGPU_MIN_SIZE, HEXGPU_MAX_SIZE);
            info->board_size = (int)n;
        } else if (strcmp(meta->keys[i], "arch") == 0) {
            snprintf(info->arch, sizeof info->arch, "%s", value);
        }
    }
    return HEXGPU_OK;
}

static hexgpu_status read_tensor(const char *name, const hexgpu_json *desc, const uint8_t *data,
                                 hexgpu_output_budget *budget, hexgpu_tensor_map *out, hexgpu_error *err) {
    const hexgpu_json *dtype = hexgpu_json_get(desc, "dtype");
    const hexgpu_json *shape = hexgpu_json_get(desc, "shape");
    const hexgpu_json *offsets = hexgpu_json_get(desc, "data_offsets");
    if (!dtype || dtype->type != HEXGPU_JSON_STRING) return bad(err, name, "missing or non-string 'dtype'");
    if (!shape || shape->type != HEXGPU_JSON_ARRAY) return bad(err, name, "missing or non-array 'shape'");
    hexgpu_dtype dt;
    if (!parse_dtype(dtype->string, &dt))
        return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT,
                                "safetensors: tensor '%.200s': dtype '%.20s' is not supported (F32, F16, BF16, F64, I64)",
                                name, dtype->string);
    if (shape->count > HEXGPU_TENSOR_MAX_DIMS) return bad(err, name, "too many dimensions");
    int64_t dims[HEXGPU_TENSOR_MAX_DIMS];
    for (size_t d = 0; d < shape->count; d++) {
        const hexgpu_json *v = &shape->items[d];
        if (v->type != HEXGPU_JSON_NUMBER || !v->number_is_int || v->integer < 0)
            return bad(err, name, "shape entries must be non-negative integers");
        dims[d] = v->integer;
    }
    int64_t numel;
    hexgpu_status st = hexgpu_shape_numel(name, (int)shape->count, dims, &numel, err);
    if (st != HEXGPU_OK) return st;
    int64_t begin = offsets->items[0].integer, end = offsets->items[1].integer; /* checked by parse_header */
    if ((uint64_t)(end - begin) != (uint64_t)numel * hexgpu_dtype_size(dt))
        return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT,
                                "safetensors: tensor '%.200s': data_offsets span %lld bytes but shape x %s needs %llu",
                                name, (long long)(end - begin), dtype->string,
                                (unsigned long long)numel * hexgpu_dtype_size(dt));
    if ((st = hexgpu_output_budget_take(budget, name, numel, err)) != HEXGPU_OK) return st;
    float *values = malloc(numel ? (size_t)numel * sizeof(float) : 1);
    if (!values) return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "safetensors: out of memory for '%.200s'", name);
    hexgpu_convert_to_f32(values, data + begin, (size_t)numel, dt);
    st = hexgpu_tensor_map_add(out, name, (int)shape->count, dims, dt, values, err);
    return st == HEXGPU_OK ? st : hexgpu_error_prefix(err, st, "safetensors");
}

/* A tensor's data_offsets: two integers 0 <= begin <= end <= data_len. Its end in *end. */
static hexgpu_status check_offsets(const char *name, const hexgpu_json *desc, uint64_t data_len, uint64_t *end,
                                   hexgpu_error *err) {
    if (desc->type != HEXGPU_JSON_OBJECT) return bad(err, name, "description is not an object");
    const hexgpu_json *offsets = hexgpu_json_get(desc, "data_offsets");
    if (!offsets || offsets->type != HEXGPU_JSON_ARRAY || offsets->count != 2)
        return bad(err, name, "'data_offsets' is not an array of two integers");
    const hexgpu_json *b = &offsets->items[0], *e = &offsets->items[1];
    if (b->type != HEXGPU_JSON_NUMBER || e->type != HEXGPU_JSON_NUMBER || !b->number_is_int || !e->number_is_int ||
        b->integer < 0 || e->integer < b->integer)
        return bad(err, name, "'data_offsets' must be integers with 0 <= begin <= end");
    if ((uint64_t)e->integer > data_len)
        return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT,
                                "safetensors: tensor '%.200s': data_offsets end %lld is past the data (%llu bytes; "
                                "file truncated?)",
                                name, (long long)e->integer, (unsigned long long)data_len);
    *end = (uint64_t)e->integer;
    return HEXGPU_OK;
}

hexgpu_status hexgpu_safetensors_header_length(const uint8_t *bytes, uint64_t file_len, uint64_t *header_len,
                                               hexgpu_error *err) {
    if (file_len < 8)
        return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT, "safetensors: file of %llu bytes is too short",
                                (unsigned long long)file_len);
    uint64_t n = 0;
    for (int i = 0; i < 8; i++) n |= (uint64_t)bytes[i] << (8 * i);
    if (n > HEXGPU_MODEL_MAX_HEADER_BYTES)
        return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT,
                                "safetensors: header length %llu exceeds the %llu-byte limit",
                                (unsigned long long)n, (unsigned long long)HEXGPU_MODEL_MAX_HEADER_BYTES);
    if (n > file_len - 8)
        return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT,
                                "safetensors: header claims %llu bytes but the file has only %llu after the length "
                                "(truncated?)",
                                (unsigned long long)n, (unsigned long long)(file_len - 8));
    *header_len = n;
    return HEXGPU_OK;
}

/* The header of a file of file_len bytes (bytes holds at least its first 8 + header
 * length): parsed within the limits, at most HEXGPU_MODEL_MAX_TENSORS tensors, every
 * data_offsets inside the data, and the data exactly as long as the tensors reach: bytes
 * after the last tensor belong to nothing and are refused. On success *root is the
 * header (to free) and *data_start the offset of the data. */
static hexgpu_status parse_header(const uint8_t *bytes, uint64_t file_len, hexgpu_json *root, uint64_t *data_start,
                                  hexgpu_error *err) {
    memset(root, 0, sizeof *root);
    uint64_t header_len;
    hexgpu_status st = hexgpu_safetensors_header_length(bytes, file_len, &header_len, err);
    if (st != HEXGPU_OK) return st;
    const hexgpu_json_limits limits = {HEXGPU_MODEL_MAX_HEADER_DEPTH, HEXGPU_MODEL_MAX_HEADER_VALUES};
    st = hexgpu_json_parse_limited((const char *)bytes + 8, (size_t)header_len, &limits, root, err);
    if (st != HEXGPU_OK) { /* malformed JSON here is a malformed model file */
        if (st == HEXGPU_ERR_PARSE) st = HEXGPU_ERR_MODEL_FORMAT;
        hexgpu_error_prefix(err, st, "safetensors header (offset 8)");
        if (err) err->status = st;
        return st;
    }
    size_t tensors = root->count - (hexgpu_json_get(root, "__metadata__") != NULL);
    uint64_t data_len = file_len - 8 - header_len, reach = 0;
    if (root->type != HEXGPU_JSON_OBJECT)
        st = hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT, "safetensors: header is not a JSON object");
    else if (tensors > HEXGPU_MODEL_MAX_TENSORS)
        st = hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT, "safetensors: %zu tensors exceed the limit of %d", tensors,
                              HEXGPU_MODEL_MAX_TENSORS);
    for (size_t i = 0; i < root->count && st == HEXGPU_OK; i++) {
        uint64_t end = 0;
        if (strcmp(root->keys[i], "__metadata__") != 0) st = check_offsets(root->keys[i], &root->items[i], data_len, &end, err);
        if (end > reach) reach = end;
    }
    if (st == HEXGPU_OK && reach != data_len)
        st = hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT,
                              "safetensors: %llu bytes after the last tensor's data (offset %llu): the header "
                              "accounts for %llu of the %llu data bytes",
                              (unsigned long long)(data_len - reach), (unsigned long long)(8 + header_len + reach),
                              (unsigned long long)reach, (unsigned long long)data_len);
    if (st != HEXGPU_OK) {
        hexgpu_json_free(root);
        return st;
    }
    *data_start = 8 + header_len;
    return HEXGPU_OK;
}

hexgpu_status hexgpu_safetensors_check_header(const uint8_t *bytes, uint64_t file_len, hexgpu_error *err) {
    hexgpu_json root;
    uint64_t data_start;
    hexgpu_status st = parse_header(bytes, file_len, &root, &data_start, err);
    if (st == HEXGPU_OK) hexgpu_json_free(&root);
    return st;
}

hexgpu_status hexgpu_safetensors_load(const uint8_t *bytes, size_t len, hexgpu_tensor_map *out,
                                      hexgpu_model_file_info *info, hexgpu_error *err) {
    hexgpu_model_file_info scratch;
    if (!info) info = &scratch;
    memset(info, 0, sizeof *info);
    info->format = HEXGPU_MODEL_FORMAT_SAFETENSORS;
    hexgpu_json root;
    uint64_t data_start;
    hexgpu_status st = parse_header(bytes, len, &root, &data_start, err);
    if (st != HEXGPU_OK) return st;
    hexgpu_output_budget budget;
    hexgpu_output_budget_init(&budget, len);
    for (size_t i = 0; i < root.count && st == HEXGPU_OK; i++) {
        if (strcmp(root.keys[i], "__metadata__") == 0) st = read_metadata(&root.items[i], info, err);
        else st = read_tensor(root.keys[i], &root.items[i], bytes + data_start, &budget, out, err);
    }
    hexgpu_json_free(&root);
    if (st != HEXGPU_OK) hexgpu_tensor_map_free(out);
    return st;
}
