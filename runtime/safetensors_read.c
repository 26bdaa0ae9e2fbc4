/* safetensors reader: 8-byte little-endian header length, a JSON header of
 * {name: {dtype, shape, data_offsets}, "__metadata__": {str: str}}, then the data. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/json.h"
#include "runtime/model_bytes.h"
#include "runtime/model_file.h"
#include "runtime/status.h"

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

static hexgpu_status read_tensor(const char *name, const hexgpu_json *desc, const uint8_t *data, uint64_t data_len,
                                 hexgpu_output_budget *budget, hexgpu_tensor_map *out, hexgpu_error *err) {
    if (desc->type != HEXGPU_JSON_OBJECT) return bad(err, name, "description is not an object");
    const hexgpu_json *dtype = hexgpu_json_get(desc, "dtype");
    const hexgpu_json *shape = hexgpu_json_get(desc, "shape");
    const hexgpu_json *offsets = hexgpu_json_get(desc, "data_offsets");
    if (!dtype || dtype->type != HEXGPU_JSON_STRING) return bad(err, name, "missing or non-string 'dtype'");
    if (!shape || shape->type != HEXGPU_JSON_ARRAY) return bad(err, name, "missing or non-array 'shape'");
    if (!offsets || offsets->type != HEXGPU_JSON_ARRAY || offsets->count != 2)
        return bad(err, name, "'data_offsets' is not an array of two integers");
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
    int64_t begin = offsets->items[0].integer, end = offsets->items[1].integer;
    if (!offsets->items[0].number_is_int || !offsets->items[1].number_is_int || begin < 0 || end < begin)
        return bad(err, name, "'data_offsets' must be integers with 0 <= begin <= end");
    if ((uint64_t)end > data_len)
        return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT,
                                "safetensors: tensor '%.200s': data_offsets end %lld is past the data (%llu bytes; "
                                "file truncated?)",
                                name, (long long)end, (unsigned long long)data_len);
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
    return st == HEXGPU_OK ? st : hexgpu_error_prefix(err, "safetensors");
}

hexgpu_status hexgpu_safetensors_load(const uint8_t *bytes, size_t len, hexgpu_tensor_map *out,
                                      hexgpu_model_file_info *info, hexgpu_error *err) {
    hexgpu_model_file_info scratch;
    if (!info) info = &scratch;
    memset(info, 0, sizeof *info);
    info->format = HEXGPU_MODEL_FORMAT_SAFETENSORS;
    if (len < 8)
        return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT, "safetensors: file of %zu bytes is too short", len);
    uint64_t header_len = 0;
    for (int i = 0; i < 8; i++) header_len |= (uint64_t)bytes[i] << (8 * i);
    if (header_len > HEXGPU_MODEL_MAX_HEADER_BYTES)
        return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT,
                                "safetensors: header length %llu exceeds the %llu-byte limit",
                                (unsigned long long)header_len, (unsigned long long)HEXGPU_MODEL_MAX_HEADER_BYTES);
    if (header_len > len - 8)
        return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT,
                                "safetensors: header claims %llu bytes but the file has only %zu after the length "
                                "(truncated?)",
                                (unsigned long long)header_len, len - 8);
    hexgpu_json root;
    hexgpu_status st = hexgpu_json_parse((const char *)bytes + 8, (size_t)header_len, &root, err);
    if (st != HEXGPU_OK) return hexgpu_error_prefix(err, "safetensors header (offset 8)");
    if (root.type != HEXGPU_JSON_OBJECT) {
        hexgpu_json_free(&root);
        return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT, "safetensors: header is not a JSON object");
    }
    /* __metadata__ is not a tensor; the count is taken before the header is freed. */
    size_t tensors = root.count - (hexgpu_json_get(&root, "__metadata__") != NULL);
    if (tensors > HEXGPU_MODEL_MAX_TENSORS) {
        hexgpu_json_free(&root);
        return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT, "safetensors: %zu tensors exceed the limit of %d", tensors,
                                HEXGPU_MODEL_MAX_TENSORS);
    }
    const uint8_t *data = bytes + 8 + header_len;
    uint64_t data_len = len - 8 - header_len;
    hexgpu_output_budget budget;
    hexgpu_output_budget_init(&budget, len);
    for (size_t i = 0; i < root.count && st == HEXGPU_OK; i++) {
        if (strcmp(root.keys[i], "__metadata__") == 0) st = read_metadata(&root.items[i], info, err);
        else st = read_tensor(root.keys[i], &root.items[i], data, data_len, &budget, out, err);
    }
    hexgpu_json_free(&root);
    if (st != HEXGPU_OK) hexgpu_tensor_map_free(out);
    return st;
}
