/* The reference TwoHeadedResNet state-dict layout: enumeration of every key and shape,
 * and inference of the free dimensions from a tensor map's shapes. */
#include "model/reference_layout.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "base/status.h"

hexgpu_layout_dims hexgpu_layout_full_size(void) {
    hexgpu_layout_dims d = {.board_size = 13, .widths = {64, 64, 128, 256, 512}, .value_channels = 32,
                            .value_hidden = 256};
    return d;
}

hexgpu_status hexgpu_layout_dims_check(const hexgpu_layout_dims *dims, hexgpu_error *err) {
    if (dims->board_size < HEXGPU_MIN_SIZE || dims->board_size > HEXGPU_MAX_SIZE)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "board size %d is outside 1..19", dims->board_size);
    for (int i = 0; i < 5; i++)
        if (dims->widths[i] < 1)
            return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "width C%d is %d (must be >= 1)", i,
                                    dims->widths[i]);
    if (dims->value_channels < 1 || dims->value_hidden < 1)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "value head sizes V=%d H=%d (must be >= 1)",
                                dims->value_channels, dims->value_hidden);
    return HEXGPU_OK;
}

int hexgpu_layout_has_shortcut(const hexgpu_layout_dims *dims, int stage, int block) {
    if (block != 0) return 0;
    return stage > 0 || dims->widths[stage] != dims->widths[stage + 1];
}

int hexgpu_layout_downsample(int side) { return (side - 1) / 2 + 1; }

/* prefix + "." + suffix; every name of the layout fits in HEXGPU_LAYOUT_NAME_MAX. */
static void join_name(char *dst, const char *prefix, const char *suffix) {
    size_t a = strlen(prefix), b = strlen(suffix);
    if (a + 1 + b >= HEXGPU_LAYOUT_NAME_MAX) a = b = 0;
    memcpy(dst, prefix, a);
    dst[a] = '.';
    memcpy(dst + a + 1, suffix, b + 1);
}

typedef struct layout_builder {
    hexgpu_layout_tensor *out;
    int count;
} layout_builder;

static hexgpu_layout_tensor *push(layout_builder *b, const char *name, hexgpu_layout_role role) {
    hexgpu_layout_tensor *t = &b->out[b->count++];
    memset(t, 0, sizeof *t);
    memcpy(t->name, name, strlen(name) + 1); /* join_name keeps names below the limit */
    t->role = role;
    t->numel = 1;
    return t;
}

static void set_shape(hexgpu_layout_tensor *t, int ndim, int64_t a, int64_t b, int64_t c, int64_t d) {
    int64_t dims[4] = {a, b, c, d};
    t->ndim = ndim;
    t->numel = 1;
    for (int i = 0; i < ndim; i++) {
        t->shape[i] = dims[i];
        t->numel *= dims[i];
    }
}

static void add_conv(layout_builder *b, const char *prefix, int out, int in, int k) {
    char name[HEXGPU_LAYOUT_NAME_MAX];
    join_name(name, prefix, "weight");
    hexgpu_layout_tensor *t = push(b, name, HEXGPU_LAYOUT_CONV_WEIGHT);
    set_shape(t, 4, out, in, k, k);
    t->fan_in = in * k * k;
}

static void add_bn(layout_builder *b, const char *prefix, int channels) {
    static const struct {
        const char *suffix;
        hexgpu_layout_role role;
    } parts[] = {{"weight", HEXGPU_LAYOUT_BN_WEIGHT},
                 {"bias", HEXGPU_LAYOUT_BN_BIAS},
                 {"running_mean", HEXGPU_LAYOUT_BN_MEAN},
                 {"running_var", HEXGPU_LAYOUT_BN_VAR},
                 {"num_batches_tracked", HEXGPU_LAYOUT_BN_COUNT}};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        char name[HEXGPU_LAYOUT_NAME_MAX];
        join_name(name, prefix, parts[i].suffix);
        hexgpu_layout_tensor *t = push(b, name, parts[i].role);
        if (parts[i].role == HEXGPU_LAYOUT_BN_COUNT) set_shape(t, 0, 0, 0, 0, 0);
        else set_shape(t, 1, channels, 0, 0, 0);
    }
}

static void add_linear(layout_builder *b, const char *prefix, int out, int in) {
    char name[HEXGPU_LAYOUT_NAME_MAX];
    join_name(name, prefix, "weight");
    hexgpu_layout_tensor *t = push(b, name, HEXGPU_LAYOUT_LINEAR_WEIGHT);
    set_shape(t, 2, out, in, 0, 0);
    t->fan_in = in;
    join_name(name, prefix, "bias");
    t = push(b, name, HEXGPU_LAYOUT_LINEAR_BIAS);
    set_shape(t, 1, out, 0, 0, 0);
    t->fan_in = in; /* PyTorch draws Linear biases from U(-1/sqrt(in), 1/sqrt(in)) too */
}

int hexgpu_layout_enumerate(const hexgpu_layout_dims *dims, hexgpu_layout_tensor *out) {
    layout_builder b = {out, 0};
    const int *w = dims->widths;
    add_conv(&b, "input_conv", w[0], 3, 5);
    add_bn(&b, "input_bn", w[0]);
    for (int stage = 0; stage < 4; stage++) {
        for (int block = 0; block < 2; block++) {
            int in = block == 0 ? w[stage] : w[stage + 1], c = w[stage + 1];
            char prefix[HEXGPU_LAYOUT_NAME_MAX];
            snprintf(prefix, sizeof prefix, "layer%d.%d.conv1", stage + 1, block);
            add_conv(&b, prefix, c, in, 3);
            snprintf(prefix, sizeof prefix, "layer%d.%d.bn1", stage + 1, block);
            add_bn(&b, prefix, c);
            snprintf(prefix, sizeof prefix, "layer%d.%d.conv2", stage + 1, block);
            add_conv(&b, prefix, c, c, 3);
            snprintf(prefix, sizeof prefix, "layer%d.%d.bn2", stage + 1, block);
            add_bn(&b, prefix, c);
            if (hexgpu_layout_has_shortcut(dims, stage, block)) {
                snprintf(prefix, sizeof prefix, "layer%d.%d.shortcut.0", stage + 1, block);
                add_conv(&b, prefix, c, in, 1);
                snprintf(prefix, sizeof prefix, "layer%d.%d.shortcut.1", stage + 1, block);
                add_bn(&b, prefix, c);
            }
        }
    }
    add_linear(&b, "policy_head", dims->board_size * dims->board_size, w[4]);
    add_conv(&b, "value_pre.0", dims->value_channels, w[4], 1);
    add_bn(&b, "value_pre.1", dims->value_channels);
    add_linear(&b, "value_head.0", dims->value_hidden, dims->value_channels);
    add_linear(&b, "value_head.3", 1, dims->value_hidden);
    return b.count;
}

/* The tensor `name` with exactly ndim dimensions, or an error naming what was found. */
static hexgpu_status find_dims(const hexgpu_tensor_map *tensors, const char *name, int ndim,
                               const hexgpu_tensor **found, hexgpu_error *err) {
    const hexgpu_tensor *t = hexgpu_tensor_map_find(tensors, name);
    if (!t)
        return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT,
                                "missing tensor '%s' (not a TwoHeadedResNet state dict?)", name);
    if (t->ndim != ndim) {
        char shape[96];
        return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT, "tensor '%s': expected %d dimensions, found %s",
                                name, ndim, hexgpu_shape_str(t->ndim, t->shape, shape, sizeof shape));
    }
    for (int i = 0; i < ndim; i++)
        if (t->shape[i] < 1 || t->shape[i] > (1 << 24)) {
            char shape[96];
            return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT, "tensor '%s': implausible shape %s", name,
                                    hexgpu_shape_str(t->ndim, t->shape, shape, sizeof shape));
        }
    *found = t;
    return HEXGPU_OK;
}

hexgpu_status hexgpu_layout_infer(const hexgpu_tensor_map *tensors, hexgpu_layout_dims *dims, hexgpu_error *err) {
    const hexgpu_tensor *t;
    hexgpu_status st;
    memset(dims, 0, sizeof *dims);
    if ((st = find_dims(tensors, "policy_head.weight", 2, &t, err))) return st;
    int64_t cells = t->shape[0];
    dims->widths[4] = (int)t->shape[1];
    int n = 0;
    while ((int64_t)(n + 1) * (n + 1) <= cells) n++;
    if ((int64_t)n * n != cells || n < HEXGPU_MIN_SIZE || n > HEXGPU_MAX_SIZE)
        return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT,
                                "tensor 'policy_head.weight': %lld rows is not n*n for a board size n in 1..19",
                                (long long)cells);
    dims->board_size = n;
    if ((st = find_dims(tensors, "input_conv.weight", 4, &t, err))) return st;
    dims->widths[0] = (int)t->shape[0];
    for (int stage = 0; stage < 3; stage++) {
        char name[HEXGPU_LAYOUT_NAME_MAX];
        snprintf(name, sizeof name, "layer%d.0.conv1.weight", stage + 1);
        if ((st = find_dims(tensors, name, 4, &t, err))) return st;
        dims->widths[stage + 1] = (int)t->shape[0];
    }
    if ((st = find_dims(tensors, "value_pre.0.weight", 4, &t, err))) return st;
    dims->value_channels = (int)t->shape[0];
    if ((st = find_dims(tensors, "value_head.0.weight", 2, &t, err))) return st;
    dims->value_hidden = (int)t->shape[0];
    return HEXGPU_OK;
}

static float random_value(const hexgpu_layout_tensor *t, int random_statistics, uint64_t *state) {
    float bound = t->fan_in ? 1.0f / sqrtf((float)t->fan_in) : 0.0f;
    switch (t->role) {
    case HEXGPU_LAYOUT_BN_WEIGHT:
    case HEXGPU_LAYOUT_BN_VAR: return random_statistics ? hexgpu_splitmix64_uniform(state, 0.5f, 1.5f) : 1.0f;
    case HEXGPU_LAYOUT_BN_BIAS:
    case HEXGPU_LAYOUT_BN_MEAN: return random_statistics ? hexgpu_splitmix64_uniform(state, -0.3f, 0.3f) : 0.0f;
    case HEXGPU_LAYOUT_BN_COUNT: return 0.0f;
    default: return hexgpu_splitmix64_uniform(state, -bound, bound);
    }
}

hexgpu_status hexgpu_layout_random_model(const hexgpu_layout_dims *dims, uint64_t seed, int random_statistics,
                                         hexgpu_tensor_map *map, hexgpu_error *err) {
    hexgpu_status st = hexgpu_layout_dims_check(dims, err);
    if (st) return st;
    hexgpu_layout_tensor expected[HEXGPU_LAYOUT_MAX_TENSORS];
    int count = hexgpu_layout_enumerate(dims, expected);
    uint64_t state = seed;
    for (int i = 0; i < count && !st; i++) {
        const hexgpu_layout_tensor *t = &expected[i];
        float *data = malloc((size_t)t->numel * sizeof(float));
        if (!data) return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "out of memory for '%s'", t->name);
        for (int64_t j = 0; j < t->numel; j++) data[j] = random_value(t, random_statistics, &state);
        hexgpu_dtype dtype = t->role == HEXGPU_LAYOUT_BN_COUNT ? HEXGPU_DTYPE_I64 : HEXGPU_DTYPE_F32;
        st = hexgpu_tensor_map_add(map, t->name, t->ndim, t->shape, dtype, data, err);
    }
    return st;
}
