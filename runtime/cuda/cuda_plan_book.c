/* The CUDA backend's plan bookkeeping (see cuda_plan_book.h). */
#include "runtime/cuda/cuda_plan_book.h"

int hexgpu_cuda_buckets_make(int max_batch, int *buckets, int capacity) {
    int count = 0;
    for (int b = 1; b < max_batch && count < capacity - 1; b *= 2) buckets[count++] = b;
    buckets[count++] = max_batch;
    return count;
}

int hexgpu_cuda_bucket_for(const int *buckets, int count, int batch) {
    for (int b = 0; b < count; b++)
        if (buckets[b] >= batch) return b;
    return count - 1;
}

int hexgpu_cuda_algo_pick(const hexgpu_cuda_algo_offer *offers, int count, int from, size_t limit,
                          int want_deterministic) {
    for (int i = from < 0 ? 0 : from; i < count; i++)
        if (offers[i].usable && offers[i].memory <= limit && (!want_deterministic || offers[i].deterministic))
            return i;
    return -1;
}

size_t hexgpu_cuda_workspace_grow(size_t have, size_t need, size_t cap) {
    if (need <= have) return have;
    size_t doubled = have > cap / 2 ? cap : 2 * have;
    return doubled > need ? doubled : need;
}
