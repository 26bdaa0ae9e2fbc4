/* PyTorch zip checkpoints (torch.save, torch >= 1.6): find <prefix>/data.pkl, run it
 * through the restricted unpickler, take 'model_state_dict' when present (a trainer
 * checkpoint) else the dict itself, and copy each tensor out of <prefix>/data/<key>. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model_bytes.h"
#include "model/model_file.h"
#include "model/pickle.h"
#include "base/status.h"
#include "model/zip.h"

typedef struct reader {
    const hexgpu_zip *zip;
    const char *prefix; /* with the trailing '/' */
    size_t prefix_len;
    hexgpu_output_budget budget;
} reader;

/* The single "<prefix>/data.pkl" entry (prefix without further slashes). */
static hexgpu_status find_pickle(const hexgpu_zip *zip, const hexgpu_zip_entry **out, hexgpu_error *err) {
    static const char suffix[] = "/data.pkl";
    const size_t sl = sizeof suffix - 1;
    *out = NULL;
    for (size_t i = 0; i < zip->count; i++) {
        const hexgpu_zip_entry *e = &zip->entries[i];
        if (e->name_len <= sl || memcmp(e->name + e->name_len - sl, suffix, sl) != 0) continue;
        if (memchr(e->name, '/', e->name_len - sl)) continue;
        if (*out)
            return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT, "pt: the archive holds more than one data.pkl");
        *out = e;
    }
    if (!*out)
        return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT,
                                "pt: the zip archive has no <prefix>/data.pkl entry (not a torch.save file)");
    return HEXGPU_OK;
}

/* "<prefix>/<rest>" as a malloc'd string. */
static char *entry_name(const reader *r, const char *rest) {
    size_t n = r->prefix_len + strlen(rest) + 1;
    char *s = malloc(n);
    if (s) snprintf(s, n, "%.*s%s", (int)r->prefix_len, r->prefix, rest);
    return s;
}

static hexgpu_status check_byteorder(const reader *r, hexgpu_error *err) {
    char *name = entry_name(r, "byteorder");
    if (!name) return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "pt: out of memory");
    const hexgpu_zip_entry *e = hexgpu_zip_find(r->zip, name);
    free(name);
    if (!e) return HEXGPU_OK; /* older writers omit it: little-endian */
    const uint8_t *data;
    size_t size;
    hexgpu_status st = hexgpu_zip_entry_data(r->zip, e, &data, &size, err);
    if (st != HEXGPU_OK) return st;
    if (size != 6 || memcmp(data, "little", 6) != 0)
        return hexgpu_error_set(err, HEXGPU_ERR_UNSUPPORTED, "pt: only little-endian checkpoints are supported");
    return HEXGPU_OK;
}

/* Copies the elements of a (possibly strided) view into dst in row-major order. */
static void gather(float *dst, const uint8_t *storage, const hexgpu_pickle_tensor *t, int64_t numel) {
    size_t es = hexgpu_dtype_size(t->storage->dtype);
    int64_t index[HEXGPU_TENSOR_MAX_DIMS] = {0};
    for (int64_t i = 0; i < numel; i++) {
        int64_t at = t->offset;
        for (int d = 0; d < t->ndim; d++) at += index[d] * t->stride[d];
        hexgpu_convert_to_f32(dst + i, storage + (size_t)at * es, 1, t->storage->dtype);
        for (int d = t->ndim - 1; d >= 0; d--) {
            if (++index[d] < t->shape[d]) break;
            index[d] = 0;
        }
    }
}

static hexgpu_status load_tensor(reader *r, const char *name, const hexgpu_pickle_tensor *t, hexgpu_tensor_map *out,
                                 hexgpu_error *err) {
    const hexgpu_pickle_value *s = t->storage;
    if (!s->dtype_supported)
        return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT,
                                "pt: tensor '%.200s': storage type %s is not supported (float, half, bfloat16, "
                                "double, long)",
                                name, s->global_name);
    int64_t numel;
    hexgpu_status st = hexgpu_shape_numel(name, t->ndim, t->shape, &numel, err);
    if (st != HEXGPU_OK) return hexgpu_error_prefix(err, st, "pt");
    char rest[64];
    snprintf(rest, sizeof rest, "data/%.50s", s->string);
    char *entry = entry_name(r, rest);
    if (!entry) return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "pt: out of memory");
    const hexgpu_zip_entry *e = hexgpu_zip_find(r->zip, entry);
    free(entry);
    if (!e || strlen(s->string) > 50)
        return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT, "pt: tensor '%.200s': storage entry data/%.50s is missing",
                                name, s->string);
    const uint8_t *data;
    size_t size;
    if ((st = hexgpu_zip_entry_data(r->zip, e, &data, &size, err)) != HEXGPU_OK) return st;
    size_t es = hexgpu_dtype_size(s->dtype);
    if ((uint64_t)s->storage_numel > size / es)
        return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT,
                                "pt: storage data/%.50s has %zu bytes, too few for %lld %s elements", s->string, size,
                                (long long)s->storage_numel, hexgpu_dtype_name(s->dtype));
    /* Bounds of the view (storage_numel is now at most the file size, so no overflow):
     * the last element, offset + sum (shape-1)*stride, must lie inside the storage. */
    int contiguous = 1;
    if (numel > 0) {
        if (t->offset >= s->storage_numel)
            return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT,
                                    "pt: tensor '%.200s': offset %lld is past its storage of %lld elements", name,
                                    (long long)t->offset, (long long)s->storage_numel);
        int64_t last = t->offset, expect = 1;
        for (int d = t->ndim - 1; d >= 0; d--) {
            if (t->stride[d] < 0)
                return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT, "pt: tensor '%.200s': negative stride", name);
            if (t->shape[d] > 1 && t->stride[d] != expect) contiguous = 0;
            if (t->shape[d] > 1 && t->stride[d] > 0 &&
                t->shape[d] - 1 > (s->storage_numel - 1 - last) / t->stride[d])
                return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT,
                                        "pt: tensor '%.200s' reaches past its storage of %lld elements", name,
                                        (long long)s->storage_numel);
            last += (t->shape[d] - 1) * t->stride[d];
            expect *= t->shape[d];
        }
    }
    if ((st = hexgpu_output_budget_take(&r->budget, name, numel, err)) != HEXGPU_OK) return hexgpu_error_prefix(err, st, "pt");
    float *values = malloc(numel ? (size_t)numel * sizeof(float) : 1);
    if (!values) return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "pt: out of memory for '%.200s'", name);
    if (contiguous) hexgpu_convert_to_f32(values, data + (size_t)t->offset * es, (size_t)numel, s->dtype);
    else gather(values, data, t, numel);
    st = hexgpu_tensor_map_add(out, name, t->ndim, t->shape, s->dtype, values, err);
    return st == HEXGPU_OK ? st : hexgpu_error_prefix(err, st, "pt");
}

static hexgpu_status load_state_dict(reader *r, const hexgpu_pickle_value *dict, hexgpu_tensor_map *out,
                                     hexgpu_error *err) {
    if (dict->count / 2 > HEXGPU_MODEL_MAX_TENSORS)
        return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT, "pt: more than %d entries in the state dict",
                                HEXGPU_MODEL_MAX_TENSORS);
    for (size_t i = 0; i + 1 < dict->count; i += 2) {
        const hexgpu_pickle_value *k = dict->items[i], *v = dict->items[i + 1];
        if (k->type != HEXGPU_PICKLE_STRING)
            return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT, "pt: a state-dict key is not a string");
        if (v->type != HEXGPU_PICKLE_TENSOR)
            return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT,
                                    "pt: state-dict entry '%.200s' is not a tensor (expected a state dict or a "
                                    "trainer checkpoint with 'model_state_dict')",
                                    k->string);
        hexgpu_status st = load_tensor(r, k->string, v->tensor, out, err);
        if (st != HEXGPU_OK) return st;
    }
    return HEXGPU_OK;
}

hexgpu_status hexgpu_torch_zip_load(const uint8_t *bytes, size_t len, hexgpu_tensor_map *out,
                                    hexgpu_model_file_info *info, hexgpu_error *err) {
    hexgpu_model_file_info scratch;
    if (!info) info = &scratch;
    memset(info, 0, sizeof *info);
    info->format = HEXGPU_MODEL_FORMAT_TORCH_ZIP;
    hexgpu_zip zip;
    hexgpu_status st = hexgpu_zip_open(&zip, bytes, len, err);
    if (st != HEXGPU_OK) return st;
    const hexgpu_zip_entry *pkl;
    reader r = {.zip = &zip};
    hexgpu_output_budget_init(&r.budget, len);
    hexgpu_pickle *pickle = NULL;
    const hexgpu_pickle_value *root = NULL;
    const uint8_t *pkl_data;
    size_t pkl_size;
    if ((st = find_pickle(&zip, &pkl, err)) != HEXGPU_OK) goto done;
    r.prefix = pkl->name;
    r.prefix_len = pkl->name_len - strlen("data.pkl");
    if ((st = check_byteorder(&r, err)) != HEXGPU_OK) goto done;
    if ((st = hexgpu_zip_entry_data(&zip, pkl, &pkl_data, &pkl_size, err)) != HEXGPU_OK) goto done;
    if ((st = hexgpu_pickle_load(pkl_data, pkl_size, &pickle, &root, err)) != HEXGPU_OK) {
        hexgpu_error_prefix(err, st, "pt: %.*sdata.pkl", (int)(r.prefix_len > 100 ? 100 : r.prefix_len), r.prefix);
        goto done;
    }
    if (root->type != HEXGPU_PICKLE_DICT) {
        st = hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT, "pt: the pickled object is not a dict");
        goto done;
    }
    const hexgpu_pickle_value *weights = hexgpu_pickle_dict_get(root, "model_state_dict");
    if (weights) {
        if (weights->type != HEXGPU_PICKLE_DICT) {
            st = hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT, "pt: 'model_state_dict' is not a dict");
            goto done;
        }
        info->trainer_checkpoint = 1;
    } else {
        weights = root;
    }
    st = load_state_dict(&r, weights, out, err);
done:
    if (st != HEXGPU_OK) hexgpu_tensor_map_free(out);
    hexgpu_pickle_destroy(pickle);
    hexgpu_zip_close(&zip);
    return st;
}
