/* The kernel cases (tests only): each kernel of a set (emu_kernels.h) on seeded inputs of
 * the shapes and layouts the CUDA backend uses, against the CPU backend's operations. */
#pragma once

#include <stddef.h>

#include "emu_kernels.h"

int hexgpu_emu_case_count(void);
/* "board_to_input", "global_avg_pool", "policy_softmax" or "value_head". */
const char *hexgpu_emu_case_kernel(int index);
/* "policy_softmax n=13 batch=6 T=1", into buf. */
const char *hexgpu_emu_case_name(int index, char *buf, size_t len);

/* Runs case `index` with kernels k in `order`: 0 when the emulator reports no error and the
 * results agree with the CPU within the case's tolerance (*error: the largest error seen,
 * relative to the tolerance's scale); else 1 and why ("emulator: ..." for an emulator
 * report, "wrong result: ..." for a difference). */
int hexgpu_emu_case_run(int index, const hexgpu_emu_kernels *k, hexgpu_emu_schedule order, double *error, char *why,
                        size_t len);

/* Runs the cases of `kernel` (every case when NULL) with kernels k in each schedule of
 * `schedules` (a bit 1u << order each), printing a line per case and schedule; returns how
 * many failed, stopping at the first with stop_at_first. */
int hexgpu_emu_cases_check(const hexgpu_emu_kernels *k, const char *kernel, unsigned schedules, int stop_at_first);

/* Every argument check of the shape functions: 0 when each bad argument is refused
 * before anything runs, else 1 and why. */
int hexgpu_emu_refusals_check(const hexgpu_emu_kernels *k, char *why, size_t len);
