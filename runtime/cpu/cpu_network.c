/* The CPU backend's network: weights packed for the direct convolution kernel, a workspace sized once
 * from the largest batch, and the forward pass (trunk, both heads, legal softmax). */
#include "runtime/cpu/cpu_network.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/status.h"

static float *copy_floats(const float *src, size_t count) {
    float *dst = malloc(count * sizeof(float));
    if (dst) memcpy(dst, src, count * sizeof(float));
    return dst;
}

static int pack_conv(const hexgpu_conv *src, hexgpu_cpu_conv *dst) {
    return hexgpu_cpu_conv_pack(src->weight, src->bias, src->in_channels, src->out_channels, src->kernel,
                                src->stride, src->pad, dst);
}

static int copy_linear(const hexgpu_linear *src, hexgpu_linear *dst) {
    *dst = *src;
    dst->weight = copy_floats(src->weight, (size_t)src->in_features * src->out_features);
    dst->bias = copy_floats(src->bias, (size_t)src->out_features);
    return dst->weight && dst->bias;
}

hexgpu_status hexgpu_cpu_network_create(const hexgpu_network *net, hexgpu_cpu_network *cpu, hexgpu_error *err) {
    memset(cpu, 0, sizeof *cpu);
    cpu->board_size = net->board_size;
    cpu->value_channels = net->value_channels;
    cpu->value_hidden = net->value_hidden;
    memcpy(cpu->widths, net->widths, sizeof cpu->widths);
    memcpy(cpu->spatial, net->spatial, sizeof cpu->spatial);
    int ok = pack_conv(&net->input_conv, &cpu->input_conv);
    for (int b = 0; ok && b < HEXGPU_NET_BLOCKS; b++) {
        const hexgpu_block *src = &net->blocks[b];
        hexgpu_cpu_block *dst = &cpu->blocks[b];
        ok = pack_conv(&src->conv1, &dst->conv1) && pack_conv(&src->conv2, &dst->conv2);
        dst->has_shortcut = src->has_shortcut;
        if (ok && src->has_shortcut) ok = pack_conv(&src->shortcut, &dst->shortcut);
        if (ok) ok = (dst->out_bias = copy_floats(src->conv2.bias, (size_t)src->conv2.out_channels)) != NULL;
        if (ok && src->has_shortcut)
            for (int c = 0; c < src->conv2.out_channels; c++) dst->out_bias[c] += src->shortcut.bias[c];
    }
    ok = ok && pack_conv(&net->value_conv, &cpu->value_conv) && copy_linear(&net->policy, &cpu->policy) &&
         copy_linear(&net->value_fc1, &cpu->value_fc1) && copy_linear(&net->value_fc2, &cpu->value_fc2);
    if (!ok) {
        hexgpu_cpu_network_destroy(cpu);
        return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "cpu backend: out of memory copying the weights");
    }
    return HEXGPU_OK;
}

static void free_linear(hexgpu_linear *l) {
    free(l->weight);
    free(l->bias);
}

void hexgpu_cpu_network_destroy(hexgpu_cpu_network *cpu) {
    hexgpu_cpu_conv_free(&cpu->input_conv);
    for (int b = 0; b < HEXGPU_NET_BLOCKS; b++) {
        hexgpu_cpu_conv_free(&cpu->blocks[b].conv1);
        hexgpu_cpu_conv_free(&cpu->blocks[b].conv2);
        hexgpu_cpu_conv_free(&cpu->blocks[b].shortcut);
        free(cpu->blocks[b].out_bias);
    }
    hexgpu_cpu_conv_free(&cpu->value_conv);
    free_linear(&cpu->policy);
    free_linear(&cpu->value_fc1);
    free_linear(&cpu->value_fc2);
    memset(cpu, 0, sizeof *cpu);
}

static size_t max_size(size_t a, size_t b) { return a > b ? a : b; }

hexgpu_status hexgpu_cpu_workspace_create(const hexgpu_cpu_network *cpu, int max_batch, int parts,
                                          hexgpu_cpu_workspace *ws, hexgpu_error *err) {
    memset(ws, 0, sizeof *ws);
    ws->max_batch = max_batch;
    ws->parts = parts < 1 ? 1 : parts > max_batch ? max_batch : parts;
    size_t mb = (size_t)max_batch;
    int n = cpu->board_size;
    /* The largest activation of one board. */
    size_t act = (size_t)n * n * cpu->widths[0];
    for (int b = 0; b < HEXGPU_NET_BLOCKS; b++) {
        int out_side = cpu->spatial[b / HEXGPU_NET_BLOCKS_PER_STAGE + 1];
        act = max_size(act, (size_t)out_side * out_side * cpu->blocks[b].conv1.out);
    }
    int s4 = cpu->spatial[HEXGPU_NET_STAGES];
    ws->act_per_board = act;
    ws->value_act_per_board = (size_t)s4 * s4 * cpu->value_channels;
    /* The threads a batch is split over, kept for the slot's life: they take the ranges
     * of boards past the first, or parts of a lone board's convolutions. No helper is
     * no error: the caller then does more of the work. Asked for by the threads wanted,
     * not ws->parts, so that a slot of max_batch 1 gets them too. */
    if (parts >= 2) hexgpu_cpu_helpers_start(parts - 1, &ws->helpers);
    ws->planes = malloc(mb * n * n * 3 * sizeof(float));
    for (int i = 0; i < 3; i++) ws->act[i] = malloc(mb * act * sizeof(float));
    ws->pooled = malloc(mb * cpu->widths[HEXGPU_NET_STAGES] * sizeof(float));
    ws->value_act = malloc(mb * ws->value_act_per_board * sizeof(float));
    ws->value_mean = malloc(mb * cpu->value_channels * sizeof(float));
    ws->hidden = malloc(mb * cpu->value_hidden * sizeof(float));
    if (!ws->planes || !ws->act[0] || !ws->act[1] || !ws->act[2] || !ws->pooled || !ws->value_act ||
        !ws->value_mean || !ws->hidden) {
        hexgpu_cpu_workspace_destroy(ws);
        return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "cpu backend: out of memory for a slot of batch %d",
                                max_batch);
    }
    return HEXGPU_OK;
}

void hexgpu_cpu_workspace_destroy(hexgpu_cpu_workspace *ws) {
    hexgpu_cpu_helpers_stop(&ws->helpers);
    free(ws->planes);
    for (int i = 0; i < 3; i++) free(ws->act[i]);
    free(ws->pooled);
    free(ws->value_act);
    free(ws->value_mean);
    free(ws->hidden);
    memset(ws, 0, sizeof *ws);
}

/* planes[b][y][x][3] (NHWC) from the reference NCHW encoding of each position. */
static void encode_inputs(const hexgpu_position *positions, int batch, int n, float *planes) {
    float nchw[3 * HEXGPU_MAX_CELLS];
    int cells = n * n;
    for (int b = 0; b < batch; b++) {
        hexgpu_position_to_planes(&positions[b], nchw);
        float *out = planes + (size_t)b * cells * 3;
        for (int i = 0; i < cells; i++)
            for (int c = 0; c < 3; c++) out[i * 3 + c] = nchw[c * cells + i];
    }
}

/* One range of boards of a batch: every pointer already points at its first board. */
typedef struct forward_part {
    const hexgpu_cpu_network *cpu;
    const hexgpu_cpu_helpers *helpers; /* set for a batch too small to split by boards: its convolutions are shared */
    const hexgpu_position *positions;
    int batch;
    float *planes, *act[3], *pooled, *value_act, *value_mean, *hidden;
    float *logits, *policy, *value;
} forward_part;

/* One residual block: out = relu(conv2(relu(conv1(in))) + shortcut(in)). The shortcut
 * (a 1x1 convolution into out, or the input itself) is the residual conv2 adds before
 * the summed biases and the ReLU. */
static void block_forward(const hexgpu_cpu_block *block, const forward_part *f, int in_side, const float *in,
                          float *mid, float *out) {
    int side = hexgpu_cpu_conv_out_side(&block->conv1, in_side);
    hexgpu_cpu_conv_forward(&block->conv1, in, f->batch, in_side, mid, NULL, block->conv1.bias, 1, f->helpers);
    const float *residual = in;
    if (block->has_shortcut) {
        hexgpu_cpu_conv_forward(&block->shortcut, in, f->batch, in_side, out, NULL, NULL, 0, f->helpers);
        residual = out;
    }
    hexgpu_cpu_conv_forward(&block->conv2, mid, f->batch, side, out, residual, block->out_bias, 1, f->helpers);
}

static void forward_part_run(const forward_part *f) {
    const hexgpu_cpu_network *cpu = f->cpu;
    int n = cpu->board_size, cells = n * n, batch = f->batch;
    encode_inputs(f->positions, batch, n, f->planes);
    float *cur = f->act[0], *mid = f->act[1], *out = f->act[2];
    hexgpu_cpu_conv_forward(&cpu->input_conv, f->planes, batch, n, cur, NULL, cpu->input_conv.bias, 1, f->helpers);
    int side = n;
    for (int b = 0; b < HEXGPU_NET_BLOCKS; b++) {
        block_forward(&cpu->blocks[b], f, side, cur, mid, out);
        side = hexgpu_cpu_conv_out_side(&cpu->blocks[b].conv1, side);
        float *t = cur;
        cur = out;
        out = t;
    }
    int pixels = side * side, c4 = cpu->widths[HEXGPU_NET_STAGES], v = cpu->value_channels;

    hexgpu_cpu_mean_pool(cur, batch, pixels, c4, f->pooled);
    hexgpu_cpu_linear(f->pooled, batch, c4, cpu->policy.weight, cpu->policy.bias, cells, f->logits);
    for (int b = 0; b < batch; b++)
        hexgpu_cpu_legal_softmax(&f->positions[b], f->logits + (size_t)b * cells, f->policy + (size_t)b * cells);

    hexgpu_cpu_conv_forward(&cpu->value_conv, cur, batch, side, f->value_act, NULL, cpu->value_conv.bias, 1,
                            f->helpers);
    hexgpu_cpu_mean_pool(f->value_act, batch, pixels, v, f->value_mean);
    hexgpu_cpu_linear(f->value_mean, batch, v, cpu->value_fc1.weight, cpu->value_fc1.bias, cpu->value_hidden,
                      f->hidden);
    for (size_t i = 0; i < (size_t)batch * cpu->value_hidden; i++)
        if (f->hidden[i] < 0.0f) f->hidden[i] = 0.0f;
    hexgpu_cpu_linear(f->hidden, batch, cpu->value_hidden, cpu->value_fc2.weight, cpu->value_fc2.bias, 1, f->value);
    for (int b = 0; b < batch; b++) f->value[b] = tanhf(f->value[b]);
}

static void forward_part_job(void *arg) { forward_part_run(arg); }

#define MAX_PARTS (HEXGPU_CPU_MAX_HELPERS + 1)

void hexgpu_cpu_network_forward(const hexgpu_cpu_network *cpu, hexgpu_cpu_workspace *ws,
                                const hexgpu_position *positions, int batch, float *logits, float *policy,
                                float *value) {
    /* The threads: the caller and the helpers that started, at most ws->parts. Each takes
     * a range of at least HEXGPU_CPU_PART_BOARDS boards; a smaller batch is one part whose
     * convolutions all threads share. */
    int threads = ws->helpers.count + 1 < ws->parts ? ws->helpers.count + 1 : ws->parts;
    int parts = batch >= HEXGPU_CPU_PART_BOARDS * threads ? threads : 1;
    forward_part f[MAX_PARTS];
    size_t n = (size_t)cpu->board_size, cells = n * n;
    for (int p = 0; p < parts; p++) {
        size_t b0 = (size_t)batch * p / parts, b1 = (size_t)batch * (p + 1) / parts;
        f[p] = (forward_part){.cpu = cpu, .positions = positions + b0,
                              .batch = (int)(b1 - b0), .planes = ws->planes + b0 * cells * 3,
                              .pooled = ws->pooled + b0 * cpu->widths[HEXGPU_NET_STAGES],
                              .value_act = ws->value_act + b0 * ws->value_act_per_board,
                              .value_mean = ws->value_mean + b0 * cpu->value_channels,
                              .hidden = ws->hidden + b0 * cpu->value_hidden, .logits = logits + b0 * cells,
                              .policy = policy + b0 * cells, .value = value + b0};
        for (int i = 0; i < 3; i++) f[p].act[i] = ws->act[i] + b0 * ws->act_per_board;
    }
    if (parts == 1) f[0].helpers = &ws->helpers;
    hexgpu_cpu_helpers_run(&ws->helpers, parts, forward_part_job, f, sizeof f[0]);
}
