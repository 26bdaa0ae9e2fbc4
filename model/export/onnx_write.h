/* Writing the network as an ONNX model (ONNX IR version 7, default-domain opset 13),
 * encoded by hand in the protobuf wire format: no protobuf or ONNX library involved.
 *
 * The graph is the network with batch norm folded (model/network.h), in standard
 * operators only: Conv (folded weight and bias), Relu, Add, GlobalAveragePool, Flatten,
 * Gemm (transB = 1), Tanh.
 *   input          "input"         float [batch, 3, n, n]: plane 0 Blue stones, plane 1
 *                                  Red stones, plane 2 all 1.0 when Red is to move
 *   outputs        "policy_logits" float [batch, n*n]: raw logits, row-major, unmasked
 *                  "value"         float [batch, 1]: tanh, Red's view, P(Red) = (v+1)/2
 * batch is a dynamic dimension (dim_param "batch"); the shapes match the reference
 * PyTorch model's forward(). Initializers are named after the layer they belong to
 * ("layer2.0.conv1.weight", "layer2.0.conv1.bias" = its folded batch norm), fp32 in
 * raw_data. Metadata: board_size, arch. The same network gives the same bytes. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "hexgpu.h"
#include "model/network.h"

#define HEXGPU_ONNX_IR_VERSION 7
#define HEXGPU_ONNX_OPSET 13

/* The model's bytes in memory (malloc'd into *out, *out_len bytes). net is only read.
 * On failure (out of memory; a network over protobuf's 2 GiB message limit) *out is NULL. */
hexgpu_status hexgpu_onnx_serialize(const hexgpu_network *net, uint8_t **out, size_t *out_len, hexgpu_error *err);

/* Serialises net and writes it with hexgpu_file_write_atomic: the file appears whole or
 * not at all; errors name path. */
hexgpu_status hexgpu_onnx_write(const char *path, const hexgpu_network *net, hexgpu_error *err);
