/* One set of emulated kernels (emu_kernels.h). Compiled once for the real bodies and once
 * per mutant, whose modified copies of the kernels/cuda bodies come first on the include path;
 * HEXGPU_EMU_KERNEL_SET and HEXGPU_EMU_KERNEL_SET_NAME name the set. */
#include <stdio.h>

#include "emu_cuda.h"

#include "kernels/cuda/board_to_input_kernel.cuh"
#include "kernels/cuda/global_avg_pool_kernel.cuh"
#include "kernels/cuda/policy_softmax_kernel.cuh"
#include "kernels/cuda/value_head_kernel.cuh"

#include "emu_kernels.h"

static hexgpu_emu_report refused(void) {
    hexgpu_emu_report rep{};
    rep.status = HEXGPU_EMU_REFUSED;
    snprintf(rep.message, sizeof rep.message, "arguments refused (the launcher returns cudaErrorInvalidValue)");
    return rep;
}

static hexgpu_emu_report run_board_to_input(void *out, const hexgpu_position *in, int batch, int n,
                                            hexgpu_k_layout layout, int stored_channels, hexgpu_emu_schedule order) {
    hexgpu_k_shape shape;
    if (!hexgpu_k_board_to_input_shape(batch, n, stored_channels, &shape)) return refused();
    return hexgpu_emu::launch(shape, order, board_to_input_kernel, out, in, batch, n, layout, stored_channels);
}

static hexgpu_emu_report run_global_avg_pool(float *out, const void *in, int batch, int channels, int stored_channels,
                                             int pixels, hexgpu_k_layout layout, hexgpu_emu_schedule order) {
    hexgpu_k_shape shape;
    if (!hexgpu_k_global_avg_pool_shape(batch, channels, stored_channels, pixels, &shape)) return refused();
    return hexgpu_emu::launch(shape, order, global_avg_pool_kernel, out, in, batch, channels, stored_channels, pixels,
                              layout);
}

static hexgpu_emu_report run_policy_softmax(float *probs, float *logits, const float *bias,
                                            const hexgpu_position *positions, int batch, int cells, float temperature,
                                            hexgpu_emu_schedule order) {
    hexgpu_k_shape shape;
    if (!hexgpu_k_policy_softmax_shape(batch, cells, temperature, &shape)) return refused();
    /* The launcher passes the inverse temperature, as here. */
    return hexgpu_emu::launch(shape, order, policy_softmax_kernel, probs, logits, bias, positions, cells,
                              1.0f / temperature);
}

static hexgpu_emu_report run_value_head(float *out, const void *in, int batch, int channels, int stored_channels,
                                        int pixels, hexgpu_k_layout layout, const float *fc1_weight,
                                        const float *fc1_bias, int hidden, const float *fc2_weight,
                                        const float *fc2_bias, hexgpu_emu_schedule order) {
    hexgpu_k_shape shape;
    if (!hexgpu_k_value_head_shape(batch, channels, stored_channels, pixels, hidden, &shape)) return refused();
    return hexgpu_emu::launch(shape, order, value_head_kernel, out, in, batch, channels, stored_channels, pixels,
                              layout, fc1_weight, fc1_bias, hidden, fc2_weight, fc2_bias);
}

#ifndef HEXGPU_EMU_KERNEL_SET
#define HEXGPU_EMU_KERNEL_SET hexgpu_emu_kernels_real
#define HEXGPU_EMU_KERNEL_SET_NAME "kernels/cuda"
#endif

extern "C" const hexgpu_emu_kernels HEXGPU_EMU_KERNEL_SET = {HEXGPU_EMU_KERNEL_SET_NAME, run_board_to_input,
                                                             run_global_avg_pool, run_policy_softmax, run_value_head};
