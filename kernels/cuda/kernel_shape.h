/* What the launchers (*.cu) and the kernel bodies (*_kernel.cuh) share without needing
 * CUDA, so that the bodies also compile on the host under the emulator of
 * tests/kernels/emu: the activation layouts and the launch shape. Plain C. */
#pragma once

#include <stddef.h>

/* How an activation tensor is stored: the fp16 path keeps NHWC with channels padded to a
 * multiple of 8 (tensor cores); the fp32 checking path keeps NCHW with exact channels. */
typedef enum hexgpu_k_layout {
    HEXGPU_K_NHWC_F16 = 0, /* __half, [batch][pixels][stored_channels] */
    HEXGPU_K_NCHW_F32 = 1  /* float, [batch][stored_channels][pixels] */
} hexgpu_k_layout;

/* One launch: a 1-D grid of `blocks` blocks of `threads` threads with `shared_bytes` of
 * dynamic shared memory. Each body header computes it (hexgpu_k_<op>_shape, 0 for
 * arguments the launcher refuses with cudaErrorInvalidValue), so the device build and the
 * emulator launch the same configuration. */
typedef struct hexgpu_k_shape {
    unsigned blocks;
    unsigned threads;
    size_t shared_bytes;
} hexgpu_k_shape;
