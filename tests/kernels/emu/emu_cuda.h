/* Host stand-ins for what the kernel bodies of kernels/cuda use from CUDA, so that the
 * unchanged bodies (*_kernel.cuh) compile with a C++17 compiler and run on the emulator
 * (emu_runtime.cpp). Nothing here needs the CUDA toolkit. Include it before any body.
 *
 * Provided: 1-D grids and blocks (blockIdx, threadIdx, blockDim, gridDim; y and z are 0
 * or 1), static and dynamic shared memory, __syncthreads, __syncwarp, the shuffles
 * (__shfl_sync, _up, _down, _xor, with width) and votes (__all_sync, __any_sync,
 * __ballot_sync) of 32-bit and 64-bit values with their masks checked, __half with
 * round-to-nearest-even conversions (model/tensor_map.h's). Not provided (no body uses
 * them): atomics, __activemask, half arithmetic, textures, cooperative groups.
 *
 * The names below are CUDA's (reserved identifiers, as in CUDA's own headers). */
#pragma once

#include <math.h>
#include <stdint.h>
#include <string.h>

#include <tuple>
#include <type_traits>

#include "emu_api.h"
#include "hexgpu.h"
#include "kernels/cuda/kernel_shape.h"

extern "C" {
#include "model/tensor_map.h"
}

#define HEXGPU_K_EMULATED 1
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
/* One block runs at a time (emu_runtime.cpp), so a function-local static is the block's
 * shared array; like real shared memory it keeps whatever the last block left in it. */
#define __shared__ static
#define HEXGPU_K_DYNAMIC_SHARED(type, name) type *name = static_cast<type *>(hexgpu_emu::dynamic_shared())

struct uint3 {
    unsigned x, y, z;
};
struct dim3 {
    unsigned x, y, z;
};
/* Set by the emulator in each host thread before it runs the body. */
extern thread_local uint3 threadIdx, blockIdx;
extern thread_local dim3 blockDim, gridDim;
constexpr int warpSize = 32;

struct __half {
    uint16_t bits;
};
static_assert(sizeof(__half) == 2, "__half is stored as 16 bits");
inline __half __float2half(float f) { return __half{hexgpu_f32_to_f16(f)}; }
inline float __half2float(__half h) { return hexgpu_f16_to_f32(h.bits); }

namespace hexgpu_emu {

/* The warp operations, one rendezvous of the lanes of `mask` each. */
enum warp_op { SHFL_IDX, SHFL_UP, SHFL_DOWN, SHFL_XOR, VOTE_ALL, VOTE_ANY, VOTE_BALLOT, SYNCWARP };

/* Blocks the calling thread until every thread of the block is at this barrier; a thread
 * at another barrier, or one that has exited, fails the launch instead (the emulator
 * then unwinds every thread of the block). file and line name the barrier. */
void syncthreads(const char *file, int line);
/* Blocks until every lane of mask has called the same operation at the same place; then
 * returns this lane's result (the source lane's bits for a shuffle, the vote). */
uint64_t warp_exchange(warp_op op, unsigned mask, uint64_t bits, int arg, int width, const char *file, int line);
/* The running block's dynamic shared memory (the launch's shared_bytes, exactly). */
void *dynamic_shared();

template <typename T> T shuffle(warp_op op, unsigned mask, T var, int arg, int width, const char *file, int line) {
    static_assert(std::is_trivially_copyable<T>::value && (sizeof(T) == 4 || sizeof(T) == 8),
                  "shuffles move 32-bit or 64-bit values");
    uint64_t bits = 0;
    memcpy(&bits, &var, sizeof var);
    bits = warp_exchange(op, mask, bits, arg, width, file, line);
    memcpy(&var, &bits, sizeof var);
    return var;
}

/* Runs body() as every thread of every block of `shape`, blocks one after another. */
hexgpu_emu_report launch_body(const hexgpu_k_shape &shape, hexgpu_emu_schedule order, void (*body)(const void *),
                              const void *context);

/* kernel<<<shape.blocks, shape.threads, shape.shared_bytes>>>(args...): the arguments are
 * converted to the kernel's parameter types once, as a launch copies them. */
template <typename... Params, typename... Args>
hexgpu_emu_report launch(const hexgpu_k_shape &shape, hexgpu_emu_schedule order, void (*kernel)(Params...),
                         Args... args) {
    struct call {
        void (*kernel)(Params...);
        std::tuple<Params...> params;
    } c{kernel, std::tuple<Params...>(static_cast<Params>(args)...)};
    return launch_body(
        shape, order,
        [](const void *p) { std::apply(static_cast<const call *>(p)->kernel, static_cast<const call *>(p)->params); },
        &c);
}

} // namespace hexgpu_emu

/* The CUDA built-ins the bodies call; file and line are the caller's (GCC and Clang fill
 * __builtin_FILE/LINE in at the call site), so that a mismatch names both places. */
inline void __syncthreads(const char *file = __builtin_FILE(), int line = __builtin_LINE()) {
    hexgpu_emu::syncthreads(file, line);
}
inline void __syncwarp(unsigned mask = 0xffffffffu, const char *file = __builtin_FILE(), int line = __builtin_LINE()) {
    hexgpu_emu::warp_exchange(hexgpu_emu::SYNCWARP, mask, 0, 0, warpSize, file, line);
}
template <typename T>
T __shfl_sync(unsigned mask, T var, int src_lane, int width = warpSize, const char *file = __builtin_FILE(),
              int line = __builtin_LINE()) {
    return hexgpu_emu::shuffle(hexgpu_emu::SHFL_IDX, mask, var, src_lane, width, file, line);
}
template <typename T>
T __shfl_up_sync(unsigned mask, T var, unsigned delta, int width = warpSize, const char *file = __builtin_FILE(),
                 int line = __builtin_LINE()) {
    return hexgpu_emu::shuffle(hexgpu_emu::SHFL_UP, mask, var, (int)delta, width, file, line);
}
template <typename T>
T __shfl_down_sync(unsigned mask, T var, unsigned delta, int width = warpSize, const char *file = __builtin_FILE(),
                   int line = __builtin_LINE()) {
    return hexgpu_emu::shuffle(hexgpu_emu::SHFL_DOWN, mask, var, (int)delta, width, file, line);
}
template <typename T>
T __shfl_xor_sync(unsigned mask, T var, int lane_mask, int width = warpSize, const char *file = __builtin_FILE(),
                  int line = __builtin_LINE()) {
    return hexgpu_emu::shuffle(hexgpu_emu::SHFL_XOR, mask, var, lane_mask, width, file, line);
}
inline int __all_sync(unsigned mask, int predicate, const char *file = __builtin_FILE(), int line = __builtin_LINE()) {
    return (int)hexgpu_emu::warp_exchange(hexgpu_emu::VOTE_ALL, mask, predicate != 0, 0, warpSize, file, line);
}
inline int __any_sync(unsigned mask, int predicate, const char *file = __builtin_FILE(), int line = __builtin_LINE()) {
    return (int)hexgpu_emu::warp_exchange(hexgpu_emu::VOTE_ANY, mask, predicate != 0, 0, warpSize, file, line);
}
inline unsigned __ballot_sync(unsigned mask, int predicate, const char *file = __builtin_FILE(),
                              int line = __builtin_LINE()) {
    return (unsigned)hexgpu_emu::warp_exchange(hexgpu_emu::VOTE_BALLOT, mask, predicate != 0, 0, warpSize, file, line);
}
