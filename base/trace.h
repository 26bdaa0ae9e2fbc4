/* HEXGPU_TRACE_RANGE: NVTX ranges in the "hexgpu" domain, or nothing when built with
 * -DHEXGPU_NVTX=OFF. NVTX v3 is header-only and costs a branch when no profiler is
 * attached. */
#pragma once

#if HEXGPU_NVTX_ENABLED
void hexgpu_trace_push(const char *name);
void hexgpu_trace_pop(void);
#else
static inline void hexgpu_trace_push(const char *name) { (void)name; }
static inline void hexgpu_trace_pop(void) {}
#endif

/* HEXGPU_TRACE_RANGE("h2d") { ...statement or block... }
 * The range closes when the block ends normally: do not `return`, `break` or `goto` out
 * of it (use push/pop directly where the block has early exits). */
#define HEXGPU_TRACE_CONCAT2(a, b) a##b
#define HEXGPU_TRACE_CONCAT(a, b) HEXGPU_TRACE_CONCAT2(a, b)
#define HEXGPU_TRACE_RANGE(name)                                                                  \
    for (int HEXGPU_TRACE_CONCAT(trace_once_, __LINE__) = (hexgpu_trace_push(name), 1);            \
         HEXGPU_TRACE_CONCAT(trace_once_, __LINE__); HEXGPU_TRACE_CONCAT(trace_once_, __LINE__) = 0, \
             hexgpu_trace_pop())
