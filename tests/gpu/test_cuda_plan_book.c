/* The CUDA backend's plan bookkeeping (runtime/cuda/cuda_plan_book.c): buckets, which of
 * cuDNN's algorithm offers is taken, how a slot's workspace grows. Plain C, no device
 * needed: in test_gpu (which links the module's objects), passing without a GPU too. */
#include <criterion/criterion.h>
#include <stdint.h>

#include "runtime/cuda/cuda_internal.h"
#include "runtime/cuda/cuda_plan_book.h"

#define MIB ((size_t)1 << 20)

Test(cuda_plan_book, buckets_are_powers_of_two_then_the_largest_batch) {
    int b[HEXGPU_CUDA_MAX_BUCKETS];
    int n = hexgpu_cuda_buckets_make(1024, b, HEXGPU_CUDA_MAX_BUCKETS);
    cr_assert_eq(n, 11);
    for (int i = 0; i < 10; i++) cr_assert_eq(b[i], 1 << i);
    cr_assert_eq(b[10], 1024);
    n = hexgpu_cuda_buckets_make(300, b, HEXGPU_CUDA_MAX_BUCKETS);
    cr_assert_eq(n, 10);
    cr_assert_eq(b[8], 256);
    cr_assert_eq(b[9], 300);
    cr_assert_eq(hexgpu_cuda_buckets_make(1, b, HEXGPU_CUDA_MAX_BUCKETS), 1);
    cr_assert_eq(b[0], 1);
    /* The table's size bounds the powers of two, never the largest batch. */
    n = hexgpu_cuda_buckets_make(1 << 24, b, 4);
    cr_assert_eq(n, 4);
    cr_assert(b[0] == 1 && b[1] == 2 && b[2] == 4 && b[3] == 1 << 24);
}

Test(cuda_plan_book, a_batch_runs_in_the_smallest_bucket_that_holds_it) {
    int b[HEXGPU_CUDA_MAX_BUCKETS];
    int n = hexgpu_cuda_buckets_make(300, b, HEXGPU_CUDA_MAX_BUCKETS);
    const int batch[] = {1, 2, 3, 4, 5, 64, 65, 256, 257, 300};
    const int want[] = {1, 2, 4, 4, 8, 64, 128, 256, 300, 300};
    for (size_t i = 0; i < sizeof batch / sizeof batch[0]; i++)
        cr_assert_eq(b[hexgpu_cuda_bucket_for(b, n, batch[i])], want[i], "batch %d", batch[i]);
}

Test(cuda_plan_book, the_first_acceptable_offer_is_taken) {
    const hexgpu_cuda_algo_offer offers[] = {
        {.usable = 0, .memory = 0, .deterministic = 1},       /* refused by cuDNN */
        {.usable = 1, .memory = 300 * MIB, .deterministic = 1}, /* too much workspace */
        {.usable = 1, .memory = 8 * MIB, .deterministic = 0},   /* fast, not deterministic */
        {.usable = 1, .memory = 16 * MIB, .deterministic = 1},
        {.usable = 1, .memory = 0, .deterministic = 1},
    };
    size_t limit = HEXGPU_CUDA_WORKSPACE_LIMIT;
    cr_assert_eq(hexgpu_cuda_algo_pick(offers, 5, 0, limit, 0), 2);
    cr_assert_eq(hexgpu_cuda_algo_pick(offers, 5, 0, limit, 1), 3, "deterministic only: the non-deterministic one is passed over");
    /* The caller resumes after an offer it could not use (its workspace query failed). */
    cr_assert_eq(hexgpu_cuda_algo_pick(offers, 5, 3, limit, 0), 3);
    cr_assert_eq(hexgpu_cuda_algo_pick(offers, 5, 4, limit, 1), 4);
    cr_assert_eq(hexgpu_cuda_algo_pick(offers, 5, 5, limit, 0), -1);
    cr_assert_eq(hexgpu_cuda_algo_pick(offers, 5, 0, 4 * MIB, 0), 4, "a lower limit");
    cr_assert_eq(hexgpu_cuda_algo_pick(offers, 2, 0, limit, 0), -1, "none: the caller falls back");
    cr_assert_eq(hexgpu_cuda_algo_pick(offers, 0, 0, limit, 0), -1);
}

Test(cuda_plan_book, a_workspace_grows_at_least_twofold_up_to_the_cap) {
    size_t cap = HEXGPU_CUDA_WORKSPACE_LIMIT;
    cr_assert_eq(hexgpu_cuda_workspace_grow(0, 0, cap), 0, "no workspace needed, none allocated");
    cr_assert_eq(hexgpu_cuda_workspace_grow(0, 3 * MIB, cap), 3 * MIB, "the first need exactly");
    cr_assert_eq(hexgpu_cuda_workspace_grow(3 * MIB, 2 * MIB, cap), 3 * MIB, "enough: unchanged");
    cr_assert_eq(hexgpu_cuda_workspace_grow(3 * MIB, 3 * MIB, cap), 3 * MIB);
    cr_assert_eq(hexgpu_cuda_workspace_grow(3 * MIB, 4 * MIB, cap), 6 * MIB, "doubled");
    cr_assert_eq(hexgpu_cuda_workspace_grow(3 * MIB, 10 * MIB, cap), 10 * MIB, "the need when more than double");
    cr_assert_eq(hexgpu_cuda_workspace_grow(200 * MIB, 201 * MIB, cap), cap, "doubling stops at the cap");
    cr_assert_eq(hexgpu_cuda_workspace_grow(200 * MIB, 300 * MIB, cap), 300 * MIB, "a need above the cap is met");
    cr_assert_eq(hexgpu_cuda_workspace_grow(300 * MIB, 301 * MIB, cap), 301 * MIB);
    /* From 1 MiB to the cap: each growth at least doubles, so at most log2(256) = 8 of them. */
    size_t have = 1 * MIB;
    int growths = 0;
    for (size_t need = have; need <= cap; need += MIB) {
        size_t next = hexgpu_cuda_workspace_grow(have, need, cap);
        cr_assert_geq(next, need);
        if (next != have) growths++, have = next;
    }
    cr_assert_leq(growths, 8, "%d growths", growths);
}
