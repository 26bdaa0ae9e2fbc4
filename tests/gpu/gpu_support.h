/* GPU test support: skipping cleanly without a device, networks (fixtures and seeded
 * random ones of any size), running a backend over positions,
 * and the error measures the CUDA tests assert on. */
#pragma once

#include <criterion/criterion.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hexgpu.h"
#include "runtime/backend.h"
#include "runtime/cuda/cuda_internal.h" /* hexgpu_backend_cuda: test_gpu links the module's objects */
#include "model/network.h"
#include "check/position_random.h"
#include "model/reference_layout.h"

/* Skips the calling test where this machine has no CUDA device at all. A device that
 * exists but cannot run the backend (compute capability, driver, kernels that do not
 * load) fails the test: a skip there would hide a broken build. HEXGPU_REQUIRE_GPU=1
 * (set by scripts/gpu-check.sh) turns the skip into a failure too. */
#define HEXGPU_GPU_REQUIRE()                                                          \
    do {                                                                              \
        char gpu_why_[256];                                                           \
        if (!hexgpu_backend_cuda.available(0, gpu_why_, sizeof gpu_why_)) {           \
            const char *gpu_require_ = getenv("HEXGPU_REQUIRE_GPU");                  \
            if (strncmp(gpu_why_, "no CUDA device", 14) == 0 &&                       \
                !(gpu_require_ && strcmp(gpu_require_, "1") == 0))                    \
                cr_skip_test("%s", gpu_why_);                                         \
            cr_assert_fail("CUDA backend unusable: %s", gpu_why_);                    \
        }                                                                             \
    } while (0)

/* Asserts st is HEXGPU_OK, printing the error message otherwise. */
#define HEXGPU_GPU_ASSERT_OK(st, err) \
    cr_assert_eq((st), HEXGPU_OK, "%s: %s", hexgpu_status_str(st), (err).message)

/* Uniform in [lo, hi) from a splitmix64 state. */
float hexgpu_gpu_test_uniform(uint64_t *state, float lo, float hi);

/* <fixtures>/<name>/model.safetensors built into *net. */
hexgpu_status hexgpu_gpu_test_fixture_network(const char *name, hexgpu_network *net, hexgpu_error *err);
/* A network of the reference layout with seeded random weights and batch norms. */
hexgpu_status hexgpu_gpu_test_random_network(const hexgpu_layout_dims *dims, uint64_t seed, hexgpu_network *net,
                                             hexgpu_error *err);

/* Outputs of one backend run: policy, logits [count][n*n], value [count]. */
typedef struct hexgpu_gpu_test_outputs {
    float *policy, *logits, *value;
    size_t count;
    int cells;
} hexgpu_gpu_test_outputs;

/* Creates a context (max_batch, precision) and one slot, evaluates positions in chunks of
 * max_batch, fills out (allocated here), destroys both. */
hexgpu_status hexgpu_gpu_test_run(const hexgpu_backend_ops *ops, const hexgpu_network *net, hexgpu_precision precision,
                                  int max_batch, const hexgpu_position *positions, size_t count,
                                  hexgpu_gpu_test_outputs *out, hexgpu_error *err);
void hexgpu_gpu_test_outputs_free(hexgpu_gpu_test_outputs *out);

/* Asserts the fp16 targets of spec/performance.md on count random positions: logits
 * relative error <= 2e-3, value error <= 2e-3, the same best move on >= 99.5% (a near tie
 * within 1e-3 counts as the same). Both precisions on the CUDA backend. */
void hexgpu_gpu_test_fp16_vs_fp32(const hexgpu_network *net, size_t count, int max_batch, uint64_t seed);

/* Largest per-board relative error of the logits (hexgpu_accuracy_logits_error: max
 * |a - b| over a row divided by max |b| over the row; a NaN counts as infinite). */
double hexgpu_gpu_test_logits_rel_err(const hexgpu_gpu_test_outputs *a, const hexgpu_gpu_test_outputs *ref);
double hexgpu_gpu_test_max_abs_diff(const float *a, const float *b, size_t count);
/* Fraction of boards whose most probable move under a is also ref's, counting a near tie
 * (ref's probability of a's move within tie_tol of ref's best, relatively) as agreement
 * (hexgpu_accuracy_same_best per board). */
double hexgpu_gpu_test_same_best(const hexgpu_gpu_test_outputs *a, const hexgpu_gpu_test_outputs *ref,
                                 double tie_tol);
/* Largest |x| in the outputs: the guard that a comparison did not pass on all zeros. */
double hexgpu_gpu_test_max_abs(const float *x, size_t count);
