/* Policy epilogue after the cuBLAS GEMM: bias add (raw logits kept for callers that want
 * them) and the softmax masked to the empty cells, occupied cells exactly 0. */
#include "kernels/cuda/kernels.h"
#include "kernels/cuda/policy_softmax_kernel.cuh"

extern "C" cudaError_t hexgpu_k_policy_softmax(float *probs, float *logits, const float *bias,
                                               const hexgpu_position *positions, int batch, int cells,
                                               float temperature, cudaStream_t stream) {
    hexgpu_k_shape shape;
    if (!hexgpu_k_policy_softmax_shape(batch, cells, temperature, &shape)) return cudaErrorInvalidValue;
    policy_softmax_kernel<<<shape.blocks, shape.threads, shape.shared_bytes, stream>>>(probs, logits, bias, positions,
                                                                                       cells, 1.0f / temperature);
    return cudaGetLastError();
}
