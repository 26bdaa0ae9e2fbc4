/* The environment every kernel body (*_kernel.cuh) is compiled in: nvcc's, or on the host
 * the emulator's stand-ins for the CUDA built-ins (tests/kernels/emu/emu_cuda.h, included
 * first; it defines HEXGPU_K_EMULATED and HEXGPU_K_DYNAMIC_SHARED). */
#pragma once

#if defined(__CUDACC__)
#include <cuda_fp16.h>
#include <math.h>
/* The block's dynamic shared memory (the launch's shared_bytes) as an array of `type`. */
#define HEXGPU_K_DYNAMIC_SHARED(type, name) extern __shared__ type name[]
#elif !defined(HEXGPU_K_EMULATED)
#error "kernel bodies compile with nvcc, or on the host after tests/kernels/emu/emu_cuda.h"
#endif

#include <stdint.h>

#include "hexgpu.h"
#include "kernels/cuda/kernel_shape.h"
