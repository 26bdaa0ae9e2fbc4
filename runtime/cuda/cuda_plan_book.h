/* The CUDA backend's plan bookkeeping in plain C (no CUDA header): the batch buckets,
 * which cuDNN algorithm offer is taken, and how a slot's cuDNN workspace grows as
 * buckets are planned at their first use. Kept apart so that tests check it on any
 * machine (tests/gpu/test_cuda_plan_book.c needs no device). */
#pragma once

#include <stddef.h>

/* Buckets 1, 2, 4, ... below max_batch, then max_batch itself, into buckets[capacity]
 * (capacity >= 1; the powers of two stop at capacity - 1 so that max_batch always
 * fits). Returns how many. A batch runs in the smallest bucket that holds it: at most
 * half of a bucket is padding, and the largest needs no more memory than max_batch. */
int hexgpu_cuda_buckets_make(int max_batch, int *buckets, int capacity);

/* Index of the smallest of buckets[0..count) >= batch (the last when none is). */
int hexgpu_cuda_bucket_for(const int *buckets, int count, int batch);

/* One algorithm as cuDNN's heuristics offer it (cudnnConvolutionFwdAlgoPerf_t). */
typedef struct hexgpu_cuda_algo_offer {
    int usable;        /* status == CUDNN_STATUS_SUCCESS */
    size_t memory;     /* workspace bytes cuDNN estimates */
    int deterministic; /* determinism == CUDNN_DETERMINISTIC */
} hexgpu_cuda_algo_offer;

/* Index of the first offer at or after `from` that is usable, needs at most `limit`
 * bytes and, when want_deterministic, is deterministic; -1 when none is. cuDNN lists
 * its offers fastest first, so the first acceptable is the choice. */
int hexgpu_cuda_algo_pick(const hexgpu_cuda_algo_offer *offers, int count, int from, size_t limit,
                          int want_deterministic);

/* The workspace a slot holding `have` bytes allocates when a bucket needs `need`: `have`
 * itself when it is enough (nothing to do), else the larger of need and twice have, but
 * no more than `cap` unless need itself is more. Doubling bounds the regrowths (each one
 * frees the slot's workspace and so prepares its buckets again) to a few per slot. */
size_t hexgpu_cuda_workspace_grow(size_t have, size_t need, size_t cap);
