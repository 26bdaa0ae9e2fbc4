/* The ONNX writer (see onnx_write.h). Field numbers are those of onnx/onnx.proto; the
 * messages are built inside out (a nested message is finished, then copied into its
 * parent with its length), nodes in topological order, then the initializers. */
#include "model/export/onnx_write.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file_write.h"
#include "model/export/protobuf_write.h"
#include "base/status.h"

/* onnx.proto field numbers, per message. */
enum {
    MODEL_IR_VERSION = 1, MODEL_PRODUCER_NAME = 2, MODEL_PRODUCER_VERSION = 3, MODEL_DOC_STRING = 6,
    MODEL_GRAPH = 7, MODEL_OPSET_IMPORT = 8, MODEL_METADATA_PROPS = 14,
    OPSET_DOMAIN = 1, OPSET_VERSION = 2,
    ENTRY_KEY = 1, ENTRY_VALUE = 2,
    GRAPH_NODE = 1, GRAPH_NAME = 2, GRAPH_INITIALIZER = 5, GRAPH_INPUT = 11, GRAPH_OUTPUT = 12,
    NODE_INPUT = 1, NODE_OUTPUT = 2, NODE_NAME = 3, NODE_OP_TYPE = 4, NODE_ATTRIBUTE = 5,
    ATTR_NAME = 1, ATTR_I = 3, ATTR_INTS = 8, ATTR_TYPE = 20,
    TENSOR_DIMS = 1, TENSOR_DATA_TYPE = 2, TENSOR_NAME = 8, TENSOR_RAW_DATA = 9,
    VALUE_INFO_NAME = 1, VALUE_INFO_TYPE = 2, VALUE_INFO_DOC_STRING = 3,
    TYPE_TENSOR = 1, TYPE_TENSOR_ELEM_TYPE = 1, TYPE_TENSOR_SHAPE = 2,
    SHAPE_DIM = 1, DIM_VALUE = 1, DIM_PARAM = 2,
};
enum { ATTRIBUTE_INT = 2, ATTRIBUTE_INTS = 7 };  /* AttributeProto.AttributeType */
enum { ELEM_FLOAT = 1 };                          /* TensorProto.DataType */

#define NAME_MAX_LEN 64

/* A graph under construction: its nodes and its initializers, kept apart so that the
 * GraphProto lists every node first. */
typedef struct graph {
    hexgpu_pb nodes, initializers;
} graph;

static void attribute_int(hexgpu_pb *node, const char *name, int64_t value) {
    hexgpu_pb a = {0};
    hexgpu_pb_string(&a, ATTR_NAME, name);
    hexgpu_pb_varint(&a, ATTR_TYPE, ATTRIBUTE_INT);
    hexgpu_pb_varint(&a, ATTR_I, (uint64_t)value);
    hexgpu_pb_message(node, NODE_ATTRIBUTE, &a);
    hexgpu_pb_free(&a);
}

/* Repeated int64 fields are written unpacked (one key per value), proto2's own form. */
static void attribute_ints(hexgpu_pb *node, const char *name, const int64_t *values, int count) {
    hexgpu_pb a = {0};
    hexgpu_pb_string(&a, ATTR_NAME, name);
    hexgpu_pb_varint(&a, ATTR_TYPE, ATTRIBUTE_INTS);
    for (int i = 0; i < count; i++) hexgpu_pb_varint(&a, ATTR_INTS, (uint64_t)values[i]);
    hexgpu_pb_message(node, NODE_ATTRIBUTE, &a);
    hexgpu_pb_free(&a);
}

/* A node named after its one output; inputs NULL-terminated; attributes added by fill. */
static void add_node(graph *g, const char *op, const char *const *inputs, const char *output,
                     void (*fill)(hexgpu_pb *node, const void *arg), const void *arg) {
    hexgpu_pb node = {0};
    for (int i = 0; inputs[i]; i++) hexgpu_pb_string(&node, NODE_INPUT, inputs[i]);
    hexgpu_pb_string(&node, NODE_OUTPUT, output);
    hexgpu_pb_string(&node, NODE_NAME, output);
    hexgpu_pb_string(&node, NODE_OP_TYPE, op);
    if (fill) fill(&node, arg);
    hexgpu_pb_message(&g->nodes, GRAPH_NODE, &node);
    hexgpu_pb_free(&node);
}

static void add_unary(graph *g, const char *op, const char *input, const char *output) {
    add_node(g, op, (const char *const[]){input, NULL}, output, NULL, NULL);
}

static void add_initializer(graph *g, const char *name, const int64_t *dims, int ndim, const float *data) {
    hexgpu_pb t = {0};
    size_t count = 1;
    for (int d = 0; d < ndim; d++) {
        hexgpu_pb_varint(&t, TENSOR_DIMS, (uint64_t)dims[d]);
        count *= (size_t)dims[d];
    }
    hexgpu_pb_varint(&t, TENSOR_DATA_TYPE, ELEM_FLOAT);
    hexgpu_pb_string(&t, TENSOR_NAME, name);
    hexgpu_pb_floats_le(&t, TENSOR_RAW_DATA, data, count);
    hexgpu_pb_message(&g->initializers, GRAPH_INITIALIZER, &t);
    hexgpu_pb_free(&t);
}

/* The weight and bias initializers of a layer: "<layer>.weight", "<layer>.bias". */
static void add_weights(graph *g, const char *layer, const int64_t *weight_dims, int ndim, const float *weight,
                        int64_t out, const float *bias, char names[2][NAME_MAX_LEN]) {
    snprintf(names[0], NAME_MAX_LEN, "%s.weight", layer);
    snprintf(names[1], NAME_MAX_LEN, "%s.bias", layer);
    add_initializer(g, names[0], weight_dims, ndim, weight);
    add_initializer(g, names[1], &out, 1, bias);
}

static void conv_attributes(hexgpu_pb *node, const void *arg) {
    const hexgpu_conv *c = arg;
    const int64_t k = c->kernel, s = c->stride, p = c->pad;
    attribute_ints(node, "kernel_shape", (const int64_t[]){k, k}, 2);
    attribute_ints(node, "pads", (const int64_t[]){p, p, p, p}, 4); /* begin h, w, end h, w */
    attribute_ints(node, "strides", (const int64_t[]){s, s}, 2);
}

/* output = Conv(input) with the folded weight and bias of layer. */
static void add_conv(graph *g, const char *layer, const hexgpu_conv *c, const char *input, const char *output) {
    const int64_t dims[4] = {c->out_channels, c->in_channels, c->kernel, c->kernel};
    char names[2][NAME_MAX_LEN];
    add_weights(g, layer, dims, 4, c->weight, c->out_channels, c->bias, names);
    add_node(g, "Conv", (const char *const[]){input, names[0], names[1], NULL}, output, conv_attributes, c);
}

static void gemm_attributes(hexgpu_pb *node, const void *arg) {
    (void)arg;
    attribute_int(node, "transB", 1); /* weight [out][in], as PyTorch's Linear */
}

/* output [batch, out] = input [batch, in] x weight^T + bias. */
static void add_gemm(graph *g, const char *layer, const hexgpu_linear *l, const char *input, const char *output) {
    const int64_t dims[2] = {l->out_features, l->in_features};
    char names[2][NAME_MAX_LEN];
    add_weights(g, layer, dims, 2, l->weight, l->out_features, l->bias, names);
    add_node(g, "Gemm", (const char *const[]){input, names[0], names[1], NULL}, output, gemm_attributes, NULL);
}

static void flatten_attributes(hexgpu_pb *node, const void *arg) {
    (void)arg;
    attribute_int(node, "axis", 1);
}

/* output [batch, channels] = the mean over each channel's pixels of input [batch, channels, h, w]. */
static void add_spatial_mean(graph *g, const char *input, const char *output) {
    char pooled[NAME_MAX_LEN];
    snprintf(pooled, sizeof pooled, "%s.pool", output);
    add_unary(g, "GlobalAveragePool", input, pooled);
    add_node(g, "Flatten", (const char *const[]){pooled, NULL}, output, flatten_attributes, NULL);
}

/* "layer<stage>.<index><suffix>" into name (every such name fits). */
static void block_name(char name[NAME_MAX_LEN], int stage, int index, const char *suffix) {
    snprintf(name, NAME_MAX_LEN, "layer%d.%d%s", stage, index, suffix);
}

/* relu(conv1(x)) -> conv2 -> + shortcut(x) -> relu of block layer<stage>.<index>; its
 * output is named after the block ("layer2.0"). */
static void add_block(graph *g, const hexgpu_block *b, int stage, int index, const char *input) {
    char name[NAME_MAX_LEN], out1[NAME_MAX_LEN], relu1[NAME_MAX_LEN], out2[NAME_MAX_LEN], sum[NAME_MAX_LEN];
    char shortcut_out[NAME_MAX_LEN], output[NAME_MAX_LEN];
    block_name(name, stage, index, ".conv1");
    block_name(out1, stage, index, ".conv1.out");
    add_conv(g, name, &b->conv1, input, out1);
    block_name(relu1, stage, index, ".relu1");
    add_unary(g, "Relu", out1, relu1);
    block_name(name, stage, index, ".conv2");
    block_name(out2, stage, index, ".conv2.out");
    add_conv(g, name, &b->conv2, relu1, out2);
    const char *shortcut = input;
    if (b->has_shortcut) {
        block_name(name, stage, index, ".shortcut.0");
        block_name(shortcut_out, stage, index, ".shortcut.out");
        add_conv(g, name, &b->shortcut, input, shortcut_out);
        shortcut = shortcut_out;
    }
    block_name(sum, stage, index, ".add");
    add_node(g, "Add", (const char *const[]){out2, shortcut, NULL}, sum, NULL, NULL);
    block_name(output, stage, index, "");
    add_unary(g, "Relu", sum, output);
}

static void build_graph(graph *g, const hexgpu_network *net) {
    add_conv(g, "input_conv", &net->input_conv, "input", "input_conv.out");
    add_unary(g, "Relu", "input_conv.out", "stem");
    char previous[NAME_MAX_LEN] = "stem";
    for (int i = 0; i < HEXGPU_NET_BLOCKS; i++) {
        int stage = 1 + i / HEXGPU_NET_BLOCKS_PER_STAGE, index = i % HEXGPU_NET_BLOCKS_PER_STAGE;
        add_block(g, &net->blocks[i], stage, index, previous);
        block_name(previous, stage, index, "");
    }
    add_spatial_mean(g, previous, "policy_pooled");
    add_gemm(g, "policy_head", &net->policy, "policy_pooled", "policy_logits");
    add_conv(g, "value_pre.0", &net->value_conv, previous, "value_pre.out");
    add_unary(g, "Relu", "value_pre.out", "value_pre.relu");
    add_spatial_mean(g, "value_pre.relu", "value_pooled");
    add_gemm(g, "value_head.0", &net->value_fc1, "value_pooled", "value_head.0.out");
    add_unary(g, "Relu", "value_head.0.out", "value_head.relu");
    add_gemm(g, "value_head.3", &net->value_fc2, "value_head.relu", "value_head.3.out");
    add_unary(g, "Tanh", "value_head.3.out", "value");
}

/* A float tensor's ValueInfoProto; a dims entry of -1 is the dynamic "batch" dimension. */
static void add_value_info(hexgpu_pb *graph_pb, uint32_t field, const char *name, const int64_t *dims, int ndim,
                           const char *doc) {
    hexgpu_pb shape = {0}, tensor = {0}, type = {0}, info = {0};
    for (int d = 0; d < ndim; d++) {
        hexgpu_pb dim = {0};
        if (dims[d] < 0) hexgpu_pb_string(&dim, DIM_PARAM, "batch");
        else hexgpu_pb_varint(&dim, DIM_VALUE, (uint64_t)dims[d]);
        hexgpu_pb_message(&shape, SHAPE_DIM, &dim);
        hexgpu_pb_free(&dim);
    }
    hexgpu_pb_varint(&tensor, TYPE_TENSOR_ELEM_TYPE, ELEM_FLOAT);
    hexgpu_pb_message(&tensor, TYPE_TENSOR_SHAPE, &shape);
    hexgpu_pb_message(&type, TYPE_TENSOR, &tensor);
    hexgpu_pb_string(&info, VALUE_INFO_NAME, name);
    hexgpu_pb_message(&info, VALUE_INFO_TYPE, &type);
    hexgpu_pb_string(&info, VALUE_INFO_DOC_STRING, doc);
    hexgpu_pb_message(graph_pb, field, &info);
    hexgpu_pb_free(&shape);
    hexgpu_pb_free(&tensor);
    hexgpu_pb_free(&type);
    hexgpu_pb_free(&info);
}

static void add_string_entry(hexgpu_pb *pb, uint32_t field, const char *key, const char *value) {
    hexgpu_pb e = {0};
    hexgpu_pb_string(&e, ENTRY_KEY, key);
    hexgpu_pb_string(&e, ENTRY_VALUE, value);
    hexgpu_pb_message(pb, field, &e);
    hexgpu_pb_free(&e);
}

static void build_model(hexgpu_pb *model, const hexgpu_network *net, const graph *g) {
    const int64_t n = net->board_size;
    hexgpu_pb graph_pb = {0}, opset = {0};
    hexgpu_pb_append(&graph_pb, &g->nodes);
    hexgpu_pb_string(&graph_pb, GRAPH_NAME, "TwoHeadedResNet");
    hexgpu_pb_append(&graph_pb, &g->initializers);
    add_value_info(&graph_pb, GRAPH_INPUT, "input", (const int64_t[]){-1, 3, n, n}, 4,
                   "planes [batch, 3, n, n]: 1.0 where a Blue stone is, 1.0 where a Red stone is, "
                   "all 1.0 when Red is to move (0.0 when Blue is)");
    add_value_info(&graph_pb, GRAPH_OUTPUT, "policy_logits", (const int64_t[]){-1, n * n}, 2,
                   "raw policy logits, cell row*n+col, unmasked");
    add_value_info(&graph_pb, GRAPH_OUTPUT, "value", (const int64_t[]){-1, 1}, 2,
                   "tanh value from Red's point of view: P(Red wins) = (v+1)/2");

    hexgpu_pb_varint(model, MODEL_IR_VERSION, HEXGPU_ONNX_IR_VERSION);
    hexgpu_pb_string(model, MODEL_PRODUCER_NAME, "hexgpu");
    hexgpu_pb_string(model, MODEL_PRODUCER_VERSION, hexgpu_version());
    hexgpu_pb_string(model, MODEL_DOC_STRING,
                     "Hex TwoHeadedResNet (ResNet-18 layout) with batch norm folded into the convolutions");
    hexgpu_pb_message(model, MODEL_GRAPH, &graph_pb);
    hexgpu_pb_string(&opset, OPSET_DOMAIN, "");
    hexgpu_pb_varint(&opset, OPSET_VERSION, HEXGPU_ONNX_OPSET);
    hexgpu_pb_message(model, MODEL_OPSET_IMPORT, &opset);
    char board[16];
    snprintf(board, sizeof board, "%d", net->board_size);
    add_string_entry(model, MODEL_METADATA_PROPS, "board_size", board);
    add_string_entry(model, MODEL_METADATA_PROPS, "arch", "TwoHeadedResNet");
    hexgpu_pb_free(&graph_pb);
    hexgpu_pb_free(&opset);
}

hexgpu_status hexgpu_onnx_serialize(const hexgpu_network *net, uint8_t **out, size_t *out_len, hexgpu_error *err) {
    *out = NULL;
    *out_len = 0;
    graph g = {0};
    hexgpu_pb model = {0};
    build_graph(&g, net);
    build_model(&model, net, &g);
    hexgpu_pb_free(&g.nodes);
    hexgpu_pb_free(&g.initializers);
    if (model.failed) {
        hexgpu_pb_free(&model);
        return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "onnx: out of memory serialising the network");
    }
    /* protobuf refuses messages of 2 GiB or more (a 512-wide network is about 45 MB). */
    if (model.len >= (size_t)INT32_MAX) {
        size_t len = model.len;
        hexgpu_pb_free(&model);
        return hexgpu_error_set(err, HEXGPU_ERR_UNSUPPORTED,
                                "onnx: the model would take %zu bytes, over protobuf's 2 GiB limit", len);
    }
    *out = model.data;
    *out_len = model.len;
    return HEXGPU_OK;
}

hexgpu_status hexgpu_onnx_write(const char *path, const hexgpu_network *net, hexgpu_error *err) {
    uint8_t *bytes;
    size_t len;
    hexgpu_status st = hexgpu_onnx_serialize(net, &bytes, &len, err);
    if (st != HEXGPU_OK) return hexgpu_error_prefix(err, st, "%s", path);
    st = hexgpu_file_write_atomic(path, bytes, len, err);
    free(bytes);
    return st;
}
