/* Value head after its cuDNN 1x1 convolution (+bias, ReLU): spatial mean, fc1 + ReLU,
 * fc2, tanh, fused in one kernel. Several boards per block so each fc1 weight read from
 * L2 serves all of them. */
#include "kernels/cuda/kernels.h"
#include "kernels/cuda/value_head_kernel.cuh"

extern "C" cudaError_t hexgpu_k_value_head(float *out, const void *in, int batch, int channels, int stored_channels,
                                           int pixels, hexgpu_k_layout layout, const float *fc1_weight,
                                           const float *fc1_bias, int hidden, const float *fc2_weight,
                                           const float *fc2_bias, cudaStream_t stream) {
    hexgpu_k_shape shape;
    if (!hexgpu_k_value_head_shape(batch, channels, stored_channels, pixels, hidden, &shape))
        return cudaErrorInvalidValue;
    value_head_kernel<<<shape.blocks, shape.threads, shape.shared_bytes, stream>>>(
        out, in, batch, channels, stored_channels, pixels, layout, fc1_weight, fc1_bias, hidden, fc2_weight, fc2_bias);
    return cudaGetLastError();
}
