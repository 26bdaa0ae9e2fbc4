/* The CPU backend's copy of the network (convolutions packed for the direct kernel) and
 * its forward pass over a batch of packed positions, in a workspace sized once. */
#pragma once

#include "runtime/cpu/cpu_ops.h"
#include "model/network.h"

typedef struct hexgpu_cpu_block {
    hexgpu_cpu_conv conv1, conv2;
    int has_shortcut;
    hexgpu_cpu_conv shortcut;
    float *out_bias; /* conv2 bias + shortcut bias (both land on the same sum) */
} hexgpu_cpu_block;

typedef struct hexgpu_cpu_network {
    int board_size, value_channels, value_hidden;
    int widths[1 + HEXGPU_NET_STAGES], spatial[1 + HEXGPU_NET_STAGES];
    hexgpu_cpu_conv input_conv;
    hexgpu_cpu_block blocks[HEXGPU_NET_BLOCKS];
    hexgpu_linear policy, value_fc1, value_fc2; /* own copies, same layout as the network's */
    hexgpu_cpu_conv value_conv;
} hexgpu_cpu_network;

/* Copies and repacks net's weights (net may be freed afterwards). On failure *cpu is
 * left empty. */
hexgpu_status hexgpu_cpu_network_create(const hexgpu_network *net, hexgpu_cpu_network *cpu, hexgpu_error *err);
void hexgpu_cpu_network_destroy(hexgpu_cpu_network *cpu);

/* Everything a forward pass of up to max_batch boards writes besides the outputs. The
 * batch is split into up to `parts` ranges of boards computed by parallel threads; every
 * buffer is per board, so ranges never overlap. */
typedef struct hexgpu_cpu_workspace {
    int max_batch, parts;
    size_t act_per_board, value_act_per_board;
    float *planes;                /* [max_batch][n][n][3] */
    float *act[3];                /* trunk activations, rotated: block input, conv1 output, block output */
    hexgpu_cpu_helpers helpers;   /* parts asked - 1 threads: take ranges of boards, or parts of a lone board's convolutions */
    float *pooled;                /* [max_batch][C4] */
    float *value_act;             /* [max_batch][s4][s4][V] */
    float *value_mean;            /* [max_batch][V] */
    float *hidden;                /* [max_batch][H] */
} hexgpu_cpu_workspace;

/* parts >= 1: how many threads a batch may be split over (at most max_batch used). */
hexgpu_status hexgpu_cpu_workspace_create(const hexgpu_cpu_network *cpu, int max_batch, int parts,
                                          hexgpu_cpu_workspace *ws, hexgpu_error *err);
void hexgpu_cpu_workspace_destroy(hexgpu_cpu_workspace *ws);

/* A batch is split into ranges of boards, one a thread, only when every thread gets at
 * least this many boards: a smaller batch (fewer than 16 boards on two threads, a lone
 * board above all) shares each convolution over the threads instead (by panels, then
 * rows: hexgpu_cpu_conv_split_choose), so that each weight is read once per batch, not
 * once per thread, and its last stages' tiles hold the same pixel of more boards (the
 * taps off the board skipped for the whole tile). */
#define HEXGPU_CPU_PART_BOARDS 8

/* Evaluates positions[0..batch): logits [batch][n*n] (raw), policy [batch][n*n]
 * (softmax over legal cells), value [batch] (tanh, Red's view). Splits the batch over
 * the caller's thread (the first range) and up to parts - 1 of the slot's helpers (as
 * many as started) in ranges of at least HEXGPU_CPU_PART_BOARDS boards, or shares each
 * convolution over them. Allocates nothing on the heap.
 * Every board's result is the same whatever the batch and the split. Positions must
 * have the network's board size (the backend checks). */
void hexgpu_cpu_network_forward(const hexgpu_cpu_network *cpu, hexgpu_cpu_workspace *ws,
                                const hexgpu_position *positions, int batch, float *logits, float *policy,
                                float *value);
