/* The kernels of kernels/cuda as the emulator runs them (tests only): each runs the body
 * of <op>_kernel.cuh with the launch its shape function gives, as the launcher in <op>.cu
 * does with <<<>>>, in the given schedule. Arguments as the launchers' (kernels.h), the
 * stream replaced by the schedule; buffers from hexgpu_emu_alloc. */
#pragma once

#include "emu_api.h"
#include "hexgpu.h"
#include "kernels/cuda/kernel_shape.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hexgpu_emu_kernels {
    const char *name; /* "kernels/cuda", or the mutant's name */
    hexgpu_emu_report (*board_to_input)(void *out, const hexgpu_position *in, int batch, int n, hexgpu_k_layout layout,
                                        int stored_channels, hexgpu_emu_schedule order);
    hexgpu_emu_report (*global_avg_pool)(float *out, const void *in, int batch, int channels, int stored_channels,
                                         int pixels, hexgpu_k_layout layout, hexgpu_emu_schedule order);
    hexgpu_emu_report (*policy_softmax)(float *probs, float *logits, const float *bias,
                                        const hexgpu_position *positions, int batch, int cells, float temperature,
                                        hexgpu_emu_schedule order);
    hexgpu_emu_report (*value_head)(float *out, const void *in, int batch, int channels, int stored_channels,
                                    int pixels, hexgpu_k_layout layout, const float *fc1_weight, const float *fc1_bias,
                                    int hidden, const float *fc2_weight, const float *fc2_bias,
                                    hexgpu_emu_schedule order);
} hexgpu_emu_kernels;

/* The bodies as they are in kernels/cuda. */
extern const hexgpu_emu_kernels hexgpu_emu_kernels_real;

/* Copies with one deliberate bug each (tests/kernels/emu/CMakeLists.txt makes them from
 * the real bodies), which the emulator must report. */
extern const hexgpu_emu_kernels hexgpu_emu_mutant_value_head_no_barrier;
extern const hexgpu_emu_kernels hexgpu_emu_mutant_block_reduce_no_barrier;
extern const hexgpu_emu_kernels hexgpu_emu_mutant_board_to_input_bound;
extern const hexgpu_emu_kernels hexgpu_emu_mutant_global_avg_pool_bound;
extern const hexgpu_emu_kernels hexgpu_emu_mutant_policy_softmax_exit;

#ifdef __cplusplus
}
#endif
