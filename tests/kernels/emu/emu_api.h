/* The CUDA kernel emulator's C interface (tests only): global buffers, the order in which
 * a block's threads run, and what a launch reports. The kernels run through it are in
 * emu_kernels.h; the stand-ins their bodies compile against are in emu_cuda.h (C++). */
#pragma once

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How the threads of a block are run. Each CUDA thread is a host thread. */
typedef enum hexgpu_emu_schedule {
    /* One thread at a time; at every barrier, warp operation or exit the runnable thread
     * with the lowest (highest) index goes on: deterministic, and a missing barrier lets
     * one warp run ahead of the others, so it shows as a wrong result in any build. */
    HEXGPU_EMU_LOWEST_FIRST = 0,
    HEXGPU_EMU_HIGHEST_FIRST,
    /* All threads at once: under ThreadSanitizer, a missing barrier is a data race. */
    HEXGPU_EMU_CONCURRENT,
    HEXGPU_EMU_SCHEDULES
} hexgpu_emu_schedule;

const char *hexgpu_emu_schedule_name(hexgpu_emu_schedule order);

typedef enum hexgpu_emu_status {
    HEXGPU_EMU_OK = 0,
    HEXGPU_EMU_REFUSED, /* the kernel's shape function refused the arguments (the launcher's
                           cudaErrorInvalidValue); nothing ran */
    HEXGPU_EMU_FAILED   /* the emulator found an error: message says which and where */
} hexgpu_emu_status;

/* What one launch found: the first error (a barrier or warp operation not reached by the
 * threads it needs, a deadlock, a bad launch configuration, bytes written outside a
 * buffer of hexgpu_emu_alloc or outside the dynamic shared memory). */
typedef struct hexgpu_emu_report {
    hexgpu_emu_status status;
    char message[512];
} hexgpu_emu_report;

/* A buffer in the kernels' global memory, `bytes` long, filled with 0xff bytes (NaN as
 * float or half, as uninitialised device memory would read wrong). Under AddressSanitizer
 * it is allocated exactly, so any access outside it is reported; otherwise it sits between
 * two 4 KiB guards of 0xff bytes that each launch checks afterwards (writes outside it are
 * reported by that launch; reads outside it read NaN). `name` (kept, not copied) names it
 * in reports. Aborts when out of memory (never NULL unless bytes is 0). */
void *hexgpu_emu_alloc(size_t bytes, const char *name);
void hexgpu_emu_free(void *buffer);

#ifdef __cplusplus
}
#endif
