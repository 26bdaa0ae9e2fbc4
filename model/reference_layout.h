/* The reference TwoHeadedResNet state-dict layout: the one place that knows every key and
 * shape the reference system's checkpoints hold (spec/hex.md "The model"). */
#pragma once

#include "hexgpu.h"
#include "model/tensor_map.h"

/* 132 at full size; 138 when layer1.0 also has a shortcut (C0 != C1). */
#define HEXGPU_LAYOUT_MAX_TENSORS 138
#define HEXGPU_LAYOUT_NAME_MAX 48

/* The free dimensions of the layout: everything else follows from them. */
typedef struct hexgpu_layout_dims {
    int board_size; /* n; policy_head has n*n rows */
    int widths[5];  /* C0 (input conv), C1..C4 (layer1..layer4) */
    int value_channels, value_hidden; /* V, H */
} hexgpu_layout_dims;

/* What a tensor is, so that a generator can initialise it like PyTorch would. */
typedef enum hexgpu_layout_role {
    HEXGPU_LAYOUT_CONV_WEIGHT = 0, /* [out, in, k, k] */
    HEXGPU_LAYOUT_BN_WEIGHT,       /* gamma [C] */
    HEXGPU_LAYOUT_BN_BIAS,         /* beta [C] */
    HEXGPU_LAYOUT_BN_MEAN,         /* running_mean [C] */
    HEXGPU_LAYOUT_BN_VAR,          /* running_var [C] */
    HEXGPU_LAYOUT_BN_COUNT,        /* num_batches_tracked, scalar int64 */
    HEXGPU_LAYOUT_LINEAR_WEIGHT,   /* [out, in] */
    HEXGPU_LAYOUT_LINEAR_BIAS      /* [out] */
} hexgpu_layout_role;

typedef struct hexgpu_layout_tensor {
    char name[HEXGPU_LAYOUT_NAME_MAX];
    int ndim; /* 0 for num_batches_tracked */
    int64_t shape[4];
    int64_t numel;
    hexgpu_layout_role role;
    int fan_in; /* in * k * k for convolutions, in for linears, 0 otherwise */
} hexgpu_layout_tensor;

/* The full size of the reference system: n 13, widths 64/64/128/256/512, V 32, H 256. */
hexgpu_layout_dims hexgpu_layout_full_size(void);

/* Checks that the dimensions describe a buildable network (n in 1..19, every width,
 * V and H >= 1). */
hexgpu_status hexgpu_layout_dims_check(const hexgpu_layout_dims *dims, hexgpu_error *err);

/* Whether block `block` (0..1) of stage `stage` (0..3, i.e. layer1..layer4) has a 1x1
 * shortcut: stride 2 (first block of layers 2-4) or a channel change. */
int hexgpu_layout_has_shortcut(const hexgpu_layout_dims *dims, int stage, int block);

/* Enumerates every tensor of the layout in state-dict order into out (room for
 * HEXGPU_LAYOUT_MAX_TENSORS) and returns how many there are. */
int hexgpu_layout_enumerate(const hexgpu_layout_dims *dims, hexgpu_layout_tensor *out);

/* Reads n, the widths, V and H from the shapes of a tensor map (n*n = rows of
 * policy_head.weight, which must be a square of 1..19). Checks only the tensors it reads;
 * hexgpu_network_build checks the rest. */
hexgpu_status hexgpu_layout_infer(const hexgpu_tensor_map *tensors, hexgpu_layout_dims *dims, hexgpu_error *err);

/* Adds every tensor of the layout for dims to map (which must not hold them yet):
 * convolution and linear weights and biases from U(-1/sqrt(fan_in), 1/sqrt(fan_in)) as
 * PyTorch initialises them; batch norms in PyTorch's initial state (gamma 1, beta 0,
 * mean 0, variance 1, count 0) or, with random_statistics, gamma and variance in
 * 0.5..1.5, beta and mean in -0.3..0.3 (like a trained network, so that folding shows).
 * num_batches_tracked is recorded as int64. The same seed gives the same map. */
hexgpu_status hexgpu_layout_random_model(const hexgpu_layout_dims *dims, uint64_t seed, int random_statistics,
                                         hexgpu_tensor_map *map, hexgpu_error *err);

/* Spatial side after a 3x3 (or 1x1) convolution with stride 2 and pad 1 (or 0):
 * (in - 1) / 2 + 1; the stride-1 convolutions keep the side. */
int hexgpu_layout_downsample(int side);
