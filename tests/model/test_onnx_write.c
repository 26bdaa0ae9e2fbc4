/* The ONNX writer, parsed back with an independent protobuf reader: the model's header
 * (IR version, opset, metadata), the nodes in order with their attributes, every node
 * input defined before use, the initializers bit for bit the folded weights, the input
 * and outputs with their dynamic batch; and `convert --output X.onnx`. onnxruntime runs
 * the exported fixtures against PyTorch's golden outputs in python/tests/test_onnx.py. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/model_file.h"
#include "model/network.h"
#include "model/export/onnx_write.h"
#include "model/test_model_util.h"
#include "model/test_pb_read.h"
#include "support/fixtures.h"
#include "support/folders.h"
#include "support/run_cli.h"

/* onnx.proto field numbers the checks read. */
enum {
    MODEL_IR_VERSION = 1, MODEL_PRODUCER_NAME = 2, MODEL_GRAPH = 7, MODEL_OPSET_IMPORT = 8, MODEL_METADATA = 14,
    GRAPH_NODE = 1, GRAPH_INITIALIZER = 5, GRAPH_INPUT = 11, GRAPH_OUTPUT = 12,
    NODE_INPUT = 1, NODE_OUTPUT = 2, NODE_OP_TYPE = 4, NODE_ATTRIBUTE = 5,
    ATTR_NAME = 1, ATTR_I = 3, ATTR_INTS = 8, ATTR_TYPE = 20,
    TENSOR_DIMS = 1, TENSOR_DATA_TYPE = 2, TENSOR_NAME = 8, TENSOR_RAW_DATA = 9,
};

#define MAX_NAMES 512
#define NAME_LEN 96

static void load_network(const char *fixture, hexgpu_network *net) {
    char rel[128];
    snprintf(rel, sizeof rel, "%s/model.safetensors", fixture);
    hexgpu_tensor_map map = {0};
    hexgpu_error err = {0};
    cr_assert_eq(hexgpu_model_file_load(hexgpu_test_fixture_path(rel), &map, NULL, &err), HEXGPU_OK, "%s",
                 err.message);
    cr_assert_eq(hexgpu_network_build(&map, net, &err), HEXGPU_OK, "%s", err.message);
    hexgpu_tensor_map_free(&map);
}

static uint8_t *serialize(const hexgpu_network *net, size_t *len) {
    uint8_t *bytes;
    hexgpu_error err = {0};
    cr_assert_eq(hexgpu_onnx_serialize(net, &bytes, len, &err), HEXGPU_OK, "%s", err.message);
    cr_assert(bytes && *len > 0);
    return bytes;
}

static pb_message field_message(pb_message msg, uint32_t number, int count) {
    pb_field f;
    cr_assert(pb_find(msg, number, count, &f), "field %u #%d missing", number, count);
    return pb_sub(&f);
}

static const char *field_str(pb_message msg, uint32_t number, int count, char *buf) {
    pb_field f;
    cr_assert(pb_find(msg, number, count, &f), "field %u #%d missing", number, count);
    return pb_str(&f, buf, NAME_LEN);
}

static pb_message graph_of(const uint8_t *bytes, size_t len) {
    return field_message((pb_message){bytes, bytes + len}, MODEL_GRAPH, 0);
}

/* A fixture's network and its serialised model. */
typedef struct exported {
    hexgpu_network net;
    uint8_t *bytes;
    size_t len;
    pb_message graph;
} exported;

static void export_fixture(const char *fixture, exported *e) {
    load_network(fixture, &e->net);
    e->bytes = serialize(&e->net, &e->len);
    e->graph = graph_of(e->bytes, e->len);
}

static void exported_free(exported *e) {
    free(e->bytes);
    hexgpu_network_free(&e->net);
}

/* The op types the network's graph must have, in order. */
static int expected_ops(const hexgpu_network *net, const char **ops) {
    int n = 0;
    ops[n++] = "Conv", ops[n++] = "Relu";
    for (int b = 0; b < HEXGPU_NET_BLOCKS; b++) {
        ops[n++] = "Conv", ops[n++] = "Relu", ops[n++] = "Conv";
        if (net->blocks[b].has_shortcut) ops[n++] = "Conv";
        ops[n++] = "Add", ops[n++] = "Relu";
    }
    const char *heads[] = {"GlobalAveragePool", "Flatten", "Gemm", "Conv", "Relu", "GlobalAveragePool",
                           "Flatten", "Gemm", "Relu", "Gemm", "Tanh"};
    for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++) ops[n++] = heads[i];
    return n;
}

/* One initializer the graph must hold: name, shape, the folded fp32 values. */
typedef struct expected_tensor {
    char name[NAME_LEN];
    int ndim;
    int64_t dims[4];
    const float *data;
} expected_tensor;

typedef struct expected_layer {
    const char *name;
    const hexgpu_conv *conv;     /* either a convolution */
    const hexgpu_linear *linear; /* or a linear layer */
} expected_layer;

/* Every layer with weights, in the graph's order (convolutions as the Conv nodes come). */
static int expected_layers(const hexgpu_network *net, expected_layer *layers, char names[][NAME_LEN]) {
    int n = 0;
    layers[n++] = (expected_layer){"input_conv", &net->input_conv, NULL};
    for (int b = 0; b < HEXGPU_NET_BLOCKS; b++) {
        const hexgpu_block *block = &net->blocks[b];
        const char *parts[3] = {"conv1", "conv2", "shortcut.0"};
        const hexgpu_conv *convs[3] = {&block->conv1, &block->conv2, &block->shortcut};
        for (int k = 0; k < (block->has_shortcut ? 3 : 2); k++) {
            snprintf(names[n], NAME_LEN, "layer%d.%d.%s", 1 + b / 2, b % 2, parts[k]);
            layers[n] = (expected_layer){names[n], convs[k], NULL};
            n++;
        }
    }
    layers[n++] = (expected_layer){"policy_head", NULL, &net->policy};
    layers[n++] = (expected_layer){"value_pre.0", &net->value_conv, NULL};
    layers[n++] = (expected_layer){"value_head.0", NULL, &net->value_fc1};
    layers[n++] = (expected_layer){"value_head.3", NULL, &net->value_fc2};
    return n;
}

static int expected_tensors(const hexgpu_network *net, expected_tensor *t) {
    expected_layer layers[64];
    char names[64][NAME_LEN];
    int count = expected_layers(net, layers, names), n = 0;
    for (int i = 0; i < count; i++) {
        const hexgpu_conv *c = layers[i].conv;
        const hexgpu_linear *l = layers[i].linear;
        expected_tensor *w = &t[n++], *b = &t[n++];
        *b = (expected_tensor){.ndim = 1};
        snprintf(b->name, NAME_LEN, "%s.bias", layers[i].name);
        if (c) {
            *w = (expected_tensor){.ndim = 4, .dims = {c->out_channels, c->in_channels, c->kernel, c->kernel},
                                   .data = c->weight};
            snprintf(w->name, NAME_LEN, "%s.weight", layers[i].name);
            b->dims[0] = c->out_channels, b->data = c->bias;
        } else {
            *w = (expected_tensor){.ndim = 2, .dims = {l->out_features, l->in_features}, .data = l->weight};
            snprintf(w->name, NAME_LEN, "%s.weight", layers[i].name);
            b->dims[0] = l->out_features, b->data = l->bias;
        }
    }
    return n;
}

static void check_header(const uint8_t *bytes, size_t len, int board) {
    pb_message model = {bytes, bytes + len};
    pb_field f;
    char buf[NAME_LEN];
    cr_assert(pb_find(model, MODEL_IR_VERSION, 0, &f));
    cr_assert_eq(f.value, HEXGPU_ONNX_IR_VERSION);
    cr_assert_eq(HEXGPU_ONNX_IR_VERSION, 7);
    cr_assert_str_eq(field_str(model, MODEL_PRODUCER_NAME, 0, buf), "hexgpu");
    cr_assert_eq(pb_count(model, MODEL_OPSET_IMPORT), 1);
    pb_message opset = field_message(model, MODEL_OPSET_IMPORT, 0);
    cr_assert_str_eq(field_str(opset, 1, 0, buf), "", "the default domain");
    cr_assert(pb_find(opset, 2, 0, &f));
    cr_assert_eq(f.value, 13);
    cr_assert_eq(pb_count(model, MODEL_GRAPH), 1);
    cr_assert_eq(pb_count(model, MODEL_METADATA), 2);
    pb_message entry = field_message(model, MODEL_METADATA, 0);
    cr_assert_str_eq(field_str(entry, 1, 0, buf), "board_size");
    char want[16];
    snprintf(want, sizeof want, "%d", board);
    cr_assert_str_eq(field_str(entry, 2, 0, buf), want);
    entry = field_message(model, MODEL_METADATA, 1);
    cr_assert_str_eq(field_str(entry, 1, 0, buf), "arch");
    cr_assert_str_eq(field_str(entry, 2, 0, buf), "TwoHeadedResNet");
}

Test(onnx_write, header_names_ir_7_opset_13_and_the_board) {
    const char *fixtures[2] = {"tiny13", "tiny11"};
    for (int i = 0; i < 2; i++) {
        exported e;
        export_fixture(fixtures[i], &e);
        check_header(e.bytes, e.len, e.net.board_size);
        exported_free(&e);
    }
}

/* The ints of node's attribute name (fails when absent or not INTS). */
static int attribute_ints(pb_message node, const char *name, int64_t *values, int max) {
    char buf[NAME_LEN];
    for (int a = 0; a < pb_count(node, NODE_ATTRIBUTE); a++) {
        pb_message attr = field_message(node, NODE_ATTRIBUTE, a);
        if (strcmp(field_str(attr, ATTR_NAME, 0, buf), name) != 0) continue;
        pb_field f;
        cr_assert(pb_find(attr, ATTR_TYPE, 0, &f));
        cr_assert_eq(f.value, 7, "%s: type INTS", name);
        int n = 0;
        while (n < max && pb_find(attr, ATTR_INTS, n, &f)) values[n++] = (int64_t)f.value;
        return n;
    }
    cr_assert_fail("attribute %s missing", name);
    return 0;
}

Test(onnx_write, nodes_come_in_order_with_their_attributes_and_every_input_defined) {
    exported e;
    export_fixture("tiny13", &e);
    const hexgpu_network *net = &e.net;
    pb_message graph = e.graph;
    const char *ops[128];
    int op_count = expected_ops(net, ops);
    cr_assert_eq(pb_count(graph, GRAPH_NODE), op_count);
    static char defined[MAX_NAMES][NAME_LEN];
    int defined_count = 0;
    snprintf(defined[defined_count++], NAME_LEN, "input");
    for (int i = 0; i < pb_count(graph, GRAPH_INITIALIZER); i++)
        field_str(field_message(graph, GRAPH_INITIALIZER, i), TENSOR_NAME, 0, defined[defined_count++]);
    expected_layer layers[64];
    char names[64][NAME_LEN];
    expected_layers(net, layers, names);
    int conv = 0;
    char buf[NAME_LEN];
    for (int i = 0; i < op_count; i++) {
        pb_message node = field_message(graph, GRAPH_NODE, i);
        cr_assert_str_eq(field_str(node, NODE_OP_TYPE, 0, buf), ops[i], "node %d", i);
        for (int k = 0; k < pb_count(node, NODE_INPUT); k++) {
            field_str(node, NODE_INPUT, k, buf);
            int found = 0;
            for (int d = 0; d < defined_count && !found; d++) found = strcmp(defined[d], buf) == 0;
            cr_assert(found, "node %d (%s): input '%s' is not defined before it", i, ops[i], buf);
        }
        cr_assert_eq(pb_count(node, NODE_OUTPUT), 1);
        cr_assert_lt(defined_count, MAX_NAMES);
        field_str(node, NODE_OUTPUT, 0, defined[defined_count++]);
        if (strcmp(ops[i], "Conv") == 0) {
            while (!layers[conv].conv) conv++;
            const hexgpu_conv *c = layers[conv].conv;
            char weight[NAME_LEN];
            snprintf(weight, sizeof weight, "%s.weight", layers[conv].name);
            cr_assert_str_eq(field_str(node, NODE_INPUT, 1, buf), weight, "node %d", i);
            int64_t v[4];
            cr_assert_eq(attribute_ints(node, "kernel_shape", v, 4), 2);
            cr_assert(v[0] == c->kernel && v[1] == c->kernel, "%s kernel", weight);
            cr_assert_eq(attribute_ints(node, "strides", v, 4), 2);
            cr_assert(v[0] == c->stride && v[1] == c->stride, "%s stride", weight);
            cr_assert_eq(attribute_ints(node, "pads", v, 4), 4);
            for (int k = 0; k < 4; k++) cr_assert_eq(v[k], c->pad, "%s pads", weight);
            conv++;
        }
        if (strcmp(ops[i], "Gemm") == 0) {
            pb_message attr = field_message(node, NODE_ATTRIBUTE, 0);
            pb_field f;
            cr_assert_str_eq(field_str(attr, ATTR_NAME, 0, buf), "transB");
            cr_assert(pb_find(attr, ATTR_I, 0, &f) && f.value == 1);
        }
    }
    cr_assert_str_eq(defined[defined_count - 1], "value", "the graph ends in the value output");
    int policy = 0;
    for (int d = 0; d < defined_count; d++) policy += strcmp(defined[d], "policy_logits") == 0;
    cr_assert_eq(policy, 1, "policy_logits is produced once");
    exported_free(&e);
}

Test(onnx_write, initializers_are_the_folded_weights_bit_for_bit) {
    exported e;
    export_fixture("tiny11", &e);
    const hexgpu_network *net = &e.net;
    pb_message graph = e.graph;
    static expected_tensor want[128];
    int count = expected_tensors(net, want);
    cr_assert_eq(pb_count(graph, GRAPH_INITIALIZER), count);
    int64_t total = 0;
    for (int i = 0; i < count; i++) {
        pb_message t = field_message(graph, GRAPH_INITIALIZER, i);
        char buf[NAME_LEN];
        cr_assert_str_eq(field_str(t, TENSOR_NAME, 0, buf), want[i].name);
        cr_assert_eq(pb_count(t, TENSOR_DIMS), want[i].ndim, "%s", want[i].name);
        int64_t numel = 1;
        pb_field f;
        for (int d = 0; d < want[i].ndim; d++) {
            cr_assert(pb_find(t, TENSOR_DIMS, d, &f));
            cr_assert_eq((int64_t)f.value, want[i].dims[d], "%s dim %d", want[i].name, d);
            numel *= want[i].dims[d];
        }
        cr_assert(pb_find(t, TENSOR_DATA_TYPE, 0, &f) && f.value == 1, "%s: FLOAT", want[i].name);
        cr_assert(pb_find(t, TENSOR_RAW_DATA, 0, &f));
        cr_assert_eq(f.len, (size_t)numel * 4, "%s raw_data", want[i].name);
        for (int64_t k = 0; k < numel; k++) {
            uint32_t bits = 0, expected;
            for (int b = 0; b < 4; b++) bits |= (uint32_t)f.data[4 * k + b] << (8 * b);
            memcpy(&expected, &want[i].data[k], 4);
            cr_assert_eq(bits, expected, "%s element %lld", want[i].name, (long long)k);
        }
        total += numel;
    }
    cr_assert_gt(total, 90000, "tiny11 has about 97k parameters, %lld initialised", (long long)total);
    exported_free(&e);
}

/* The dims of a ValueInfoProto: dim_value, or -1 for dim_param "batch". */
static int value_info_dims(pb_message info, int64_t *dims, char *name) {
    field_str(info, 1, 0, name);
    pb_message tensor = field_message(field_message(info, 2, 0), 1, 0);
    pb_field f;
    cr_assert(pb_find(tensor, 1, 0, &f) && f.value == 1, "%s: elem_type FLOAT", name);
    pb_message shape = field_message(tensor, 2, 0);
    int n = pb_count(shape, 1);
    for (int d = 0; d < n; d++) {
        pb_message dim = field_message(shape, 1, d);
        char buf[NAME_LEN];
        if (pb_find(dim, 2, 0, &f)) {
            cr_assert_str_eq(pb_str(&f, buf, sizeof buf), "batch");
            dims[d] = -1;
        } else {
            cr_assert(pb_find(dim, 1, 0, &f), "%s dim %d: neither value nor parameter", name, d);
            dims[d] = (int64_t)f.value;
        }
    }
    return n;
}

Test(onnx_write, input_and_outputs_have_a_dynamic_batch) {
    exported e;
    export_fixture("tiny11", &e);
    pb_message graph = e.graph;
    cr_assert_eq(pb_count(graph, GRAPH_INPUT), 1, "initializers are not listed as inputs");
    cr_assert_eq(pb_count(graph, GRAPH_OUTPUT), 2);
    int64_t dims[8];
    char name[NAME_LEN];
    cr_assert_eq(value_info_dims(field_message(graph, GRAPH_INPUT, 0), dims, name), 4);
    cr_assert_str_eq(name, "input");
    cr_assert(dims[0] == -1 && dims[1] == 3 && dims[2] == 11 && dims[3] == 11);
    cr_assert_eq(value_info_dims(field_message(graph, GRAPH_OUTPUT, 0), dims, name), 2);
    cr_assert_str_eq(name, "policy_logits");
    cr_assert(dims[0] == -1 && dims[1] == 121);
    cr_assert_eq(value_info_dims(field_message(graph, GRAPH_OUTPUT, 1), dims, name), 2);
    cr_assert_str_eq(name, "value");
    cr_assert(dims[0] == -1 && dims[1] == 1);
    exported_free(&e);
}

Test(onnx_write, convert_chooses_onnx_by_the_extension_and_writes_the_same_bytes) {
    exported e;
    export_fixture("tiny13", &e);
    const uint8_t *want = e.bytes;
    size_t want_len = e.len, again_len;
    uint8_t *again = serialize(&e.net, &again_len);
    cr_assert(again_len == want_len && memcmp(again, want, want_len) == 0, "the same network, different bytes");
    free(again);
    char dir[] = "/tmp/hexgpu_onnx_XXXXXX", out[64], input[4096];
    cr_assert(mkdtemp(dir));
    snprintf(out, sizeof out, "%s/model.ONNX", dir);
    snprintf(input, sizeof input, "%s", hexgpu_test_fixture_path("tiny13/checkpoint.pt.gz"));
    const char *argv[] = {"convert", "--model", input, "--output", out, NULL};
    hexgpu_cli_result r;
    cr_assert_eq(hexgpu_cli_run(argv, NULL, &r), 0);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.out, "ONNX opset 13") && strstr(r.out, "152906 parameters"), "%s", r.out);
    hexgpu_cli_result_free(&r);
    size_t len;
    uint8_t *bytes = model_test_read(out, &len);
    cr_assert(len == want_len && memcmp(bytes, want, len) == 0, "convert's file differs from the serialised network");
    free(bytes);
    /* An ONNX file is not a model hexgpu reads: refused by its first bytes. */
    hexgpu_tensor_map map = {0};
    hexgpu_error err = {0};
    cr_assert_eq(hexgpu_model_file_load(out, &map, NULL, &err), HEXGPU_ERR_MODEL_FORMAT);
    remove(out);
    snprintf(out, sizeof out, "%s/missing/model.onnx", dir);
    cr_assert_eq(hexgpu_cli_run(argv, NULL, &r), 0);
    cr_assert_eq(r.exit_code, 1, "an unwritable output is an I/O failure: %s", r.err);
    cr_assert(strstr(r.err, "missing/model.onnx"), "%s", r.err);
    hexgpu_cli_result_free(&r);
    cr_assert_eq(hexgpu_test_folder_entries(dir), 0, "nothing left behind");
    rmdir(dir);
    exported_free(&e);
}
