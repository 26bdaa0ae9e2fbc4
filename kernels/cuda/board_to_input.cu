/* Expands packed positions (what crosses PCIe) into the network's 3-plane input on the
 * device: NHWC fp16 padded to 8 channels for tensor cores, or NCHW fp32 for checking. */
#include "kernels/cuda/board_to_input_kernel.cuh"
#include "kernels/cuda/kernels.h"

extern "C" cudaError_t hexgpu_k_check_image(void) {
    cudaFuncAttributes attr;
    return cudaFuncGetAttributes(&attr, board_to_input_kernel);
}

extern "C" cudaError_t hexgpu_k_board_to_input(void *out, const hexgpu_position *in, int batch, int n,
                                               hexgpu_k_layout layout, int stored_channels, cudaStream_t stream) {
    hexgpu_k_shape shape;
    if (!hexgpu_k_board_to_input_shape(batch, n, stored_channels, &shape)) return cudaErrorInvalidValue;
    board_to_input_kernel<<<shape.blocks, shape.threads, shape.shared_bytes, stream>>>(out, in, batch, n, layout,
                                                                                       stored_channels);
    return cudaGetLastError();
}
