/* Small kernels that exercise the emulator itself (tests only): what each warp operation
 * returns, shared memory across blocks, and misuses it must report rather than hang on. */
#pragma once

#include "emu_api.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One block of HEXGPU_EMU_PROBE_THREADS threads; thread t writes out[t * HEXGPU_EMU_PROBE_SLOTS + s]:
 * s 0 __shfl_down_sync(full, t * 10, 3); 1 __shfl_up_sync(full, t, 5, 16);
 * 2 __shfl_xor_sync(full, t, 9); 3 __shfl_sync(full, t, 7, 8);
 * 4 __ballot_sync(full, t % 3 == 0); 5 __any_sync(full, t == 40); 6 __all_sync(full, t < 60);
 * 7 lanes 0-15: __shfl_xor_sync(0x0000ffff, t, 1), lanes 16-31: __shfl_down_sync(0xffff0000, t, 2),
 *   at the same time (two groups of one warp at different places), after __syncwarp;
 * and out64[t] = __shfl_xor_sync(full, (long long)t << 33, 1). */
#define HEXGPU_EMU_PROBE_THREADS 64
#define HEXGPU_EMU_PROBE_SLOTS 8
hexgpu_emu_report hexgpu_emu_probe_warp_ops(int *out, long long *out64, hexgpu_emu_schedule order);

/* `blocks` blocks of `threads` threads: s[t] = t + 1000 * block in dynamic shared memory,
 * __syncthreads, out[block * threads + t] = s[(t + 1) % threads]. */
hexgpu_emu_report hexgpu_emu_probe_shared(int *out, int blocks, int threads, hexgpu_emu_schedule order);

typedef enum hexgpu_emu_misuse {
    HEXGPU_EMU_SPLIT_BARRIER = 0,   /* threads 0-15 and the rest at two different __syncthreads */
    HEXGPU_EMU_EXIT_BEFORE_BARRIER, /* thread 5 returns, the others wait at __syncthreads */
    HEXGPU_EMU_DEADLOCK,            /* one warp: lane 0 at __syncthreads, lanes 1-31 at a shuffle that needs it */
    HEXGPU_EMU_LANE_OUTSIDE_MASK,   /* lanes 0-1 shuffle with mask 0x3 and read lanes 2-3 */
    HEXGPU_EMU_MASK_WITHOUT_SELF,   /* lane 3 shuffles with mask 0x1 */
    HEXGPU_EMU_TOO_MANY_THREADS,    /* a block of 1025 threads */
    HEXGPU_EMU_TOO_MUCH_SHARED,     /* 48 KiB + 4 bytes of dynamic shared memory */
    HEXGPU_EMU_WRITE_PAST_END,      /* the last thread writes one int past a buffer of one int per thread */
    HEXGPU_EMU_SHARED_PAST_END,     /* the last thread writes one float past the dynamic shared memory */
    HEXGPU_EMU_MISUSES
} hexgpu_emu_misuse;

/* Runs the misuse (a block of 64 threads unless said otherwise); the emulator must fail
 * the launch. The last two crash the process under AddressSanitizer: run them in a child. */
hexgpu_emu_report hexgpu_emu_probe_misuse(hexgpu_emu_misuse which, hexgpu_emu_schedule order);

/* __float2half(f) of the emulator's stand-ins, as its 16 bits. */
unsigned short hexgpu_emu_float2half(float f);

#ifdef __cplusplus
}
#endif
