/* The network evaluated the plain way: direct convolution loops in NCHW with double
 * accumulation, straight from the layer definitions. It shares nothing with the backends
 * but the network (batch norm folded, model/network.c) and the input planes
 * (hexgpu_position_to_planes), so a backend that agrees with it to 1e-4 computes the
 * network right. What `hexgpu check` and the CPU backend's tests compare against.
 * Slow by design (a full-size board is ~119 M multiply-adds in double, some 0.1 s). */
#pragma once

#include <stddef.h>

#include "hexgpu.h"
#include "model/network.h"

/* Bytes of workspace one hexgpu_reference_forward call on net needs. */
size_t hexgpu_reference_workspace_size(const hexgpu_network *net);

/* Evaluates one position (pos->size must be net->board_size) into logits [n*n] (raw, as
 * PyTorch gives them), policy [n*n] (softmax over the empty cells in double, exactly 0 on
 * stones, all 0 on a full board) and value (tanh, Red's point of view); any output may
 * be NULL. workspace: hexgpu_reference_workspace_size(net) bytes, the caller's, so calls
 * on different workspaces may run at once from several threads. Cannot fail. */
void hexgpu_reference_forward(const hexgpu_network *net, const hexgpu_position *pos, double *workspace,
                              float *logits, float *policy, float *value);

/* policy [n*n] = softmax of logits [n*n] over the empty cells of pos, in double; exactly
 * 0 on stones, all 0 on a full board. */
void hexgpu_reference_softmax(const hexgpu_position *pos, const double *logits, float *policy);
