/* The network as layers with batch norm folded in: what every backend executes.
 * Built from a tensor map (the reference state-dict keys), shapes inferred, not assumed. */
#pragma once

#include "hexgpu.h"
#include "model/tensor_map.h"

#define HEXGPU_NET_STAGES 4         /* layer1..layer4 */
#define HEXGPU_NET_BLOCKS_PER_STAGE 2
#define HEXGPU_NET_BLOCKS (HEXGPU_NET_STAGES * HEXGPU_NET_BLOCKS_PER_STAGE)

/* A convolution with BN folded: y = conv(x, weight) + bias. weight [out][in][k][k] (OIHW
 * as PyTorch stores it), bias [out]. Padding is k/2; stride as in the model. */
typedef struct hexgpu_conv {
    int in_channels, out_channels, kernel, stride, pad;
    float *weight;
    float *bias;
} hexgpu_conv;

/* relu(conv1(x)) -> conv2 -> + shortcut(x) -> relu. shortcut is identity when
 * has_shortcut is 0, else a 1x1 conv (stride as conv1) with its BN folded. */
typedef struct hexgpu_block {
    hexgpu_conv conv1, conv2;
    int has_shortcut;
    hexgpu_conv shortcut;
} hexgpu_block;

/* y = weight x + bias, weight [out][in] (as PyTorch's Linear). */
typedef struct hexgpu_linear {
    int in_features, out_features;
    float *weight;
    float *bias;
} hexgpu_linear;

typedef struct hexgpu_network {
    int board_size;                         /* n; policy has n*n outputs */
    int widths[1 + HEXGPU_NET_STAGES];      /* C0 (input conv), C1..C4 */
    int spatial[1 + HEXGPU_NET_STAGES];     /* side after input conv and after each stage: 13,13,7,4,2 */
    int value_channels, value_hidden;       /* V, H */
    hexgpu_conv input_conv;                 /* 3 -> C0, 5x5, + folded input_bn, then ReLU */
    hexgpu_block blocks[HEXGPU_NET_BLOCKS]; /* layer1.0, layer1.1, layer2.0, ... */
    hexgpu_linear policy;                   /* global average pool (C4) -> n*n logits */
    hexgpu_conv value_conv;                 /* 1x1 C4 -> V, + folded value_pre.1, then ReLU, spatial mean */
    hexgpu_linear value_fc1;                /* V -> H, ReLU */
    hexgpu_linear value_fc2;                /* H -> 1, tanh */
    int64_t parameter_count;                /* of the unfolded model, as PyTorch counts them */
} hexgpu_network;

/* Checks every expected key and shape of the reference layout (naming the first problem:
 * key, expected shape, found shape), infers n, widths, V and H, and folds each batch
 * norm (eps 1e-5) into the convolution before it. On failure *net is left zeroed. */
hexgpu_status hexgpu_network_build(const hexgpu_tensor_map *tensors, hexgpu_network *net, hexgpu_error *err);

void hexgpu_network_free(hexgpu_network *net);

/* Multiply-adds for one board (the input conv, the residual trunk and both heads). */
int64_t hexgpu_network_macs(const hexgpu_network *net);
