/* The CPU backend's GEMM for layers under 1e6 multiply-adds per board: GCC/Clang
 * vector extensions, one copy per instruction set, chosen once per process. */
#include "runtime/cpu/cpu_small_gemm.h"

#include <pthread.h>
#include <stddef.h>
#include <string.h>

/* Sixteen floats as one value: GCC/Clang vector extensions, so that the tiles below are
 * vector registers in every instruction set the kernel is compiled for. */
typedef float vec16 __attribute__((vector_size(16 * sizeof(float))));

/* c[0..w) = beta * c + acc (acc alone where beta is 0, so C's old contents never matter). */
#define STORE_TILE(c, acc, w, beta)                                                        \
    do {                                                                                   \
        float tile_[16];                                                                   \
        memcpy(tile_, &(acc), sizeof tile_);                                               \
        for (int j_ = 0; j_ < (w); j_++)                                                   \
            (c)[j_] = (beta) != 0.0f ? (beta) * (c)[j_] + tile_[j_] : tile_[j_];           \
    } while (0)

/* Multiply-adds are fused (FMA) where the instruction set has it: C11 mode
 * otherwise keeps a * b + c as two roundings. Either way every tile runs the same
 * statement, so the choice is the same for every element. */
#if defined(__clang__)
#define CONTRACT_ATTRIBUTE
#define CONTRACT_PRAGMA _Pragma("clang fp contract(fast)")
#else
#define CONTRACT_ATTRIBUTE __attribute__((optimize("fp-contract=fast")))
#define CONTRACT_PRAGMA
#endif

/* Each element summed over k in order by the same statement in every tile (so a row's
 * result depends neither on m nor on the row's place), four rows by 32 or 16 columns at
 * a time. Inlined into one function per instruction set below. */
__attribute__((always_inline)) CONTRACT_ATTRIBUTE static inline void
gemm_small_body(int m, int n, int np, int k, const float *a, const float *bt, float beta, float *c) {
    CONTRACT_PRAGMA
    int j0 = 0;
    /* Pairs of column tiles first while 32 columns remain: eight accumulators hide the
     * multiply-add latency better and share each load of A. */
    for (; j0 + 32 <= n; j0 += 32) {
        int i = 0;
        for (; i + 4 <= m; i += 4) {
            const float *a0 = a + (size_t)i * k, *a1 = a0 + k, *a2 = a1 + k, *a3 = a2 + k, *b = bt + j0;
            vec16 acc0 = {0}, acc1 = {0}, acc2 = {0}, acc3 = {0}, acc4 = {0}, acc5 = {0}, acc6 = {0}, acc7 = {0};
            vec16 bv0, bv1;
            for (int kk = 0; kk < k; kk++, b += np) {
                memcpy(&bv0, b, sizeof bv0);
                memcpy(&bv1, b + 16, sizeof bv1);
                acc0 += a0[kk] * bv0;
                acc1 += a0[kk] * bv1;
                acc2 += a1[kk] * bv0;
                acc3 += a1[kk] * bv1;
                acc4 += a2[kk] * bv0;
                acc5 += a2[kk] * bv1;
                acc6 += a3[kk] * bv0;
                acc7 += a3[kk] * bv1;
            }
            float *c0 = c + (size_t)i * n + j0, *c1 = c0 + n, *c2 = c1 + n, *c3 = c2 + n;
            STORE_TILE(c0, acc0, 16, beta);
            STORE_TILE(c0 + 16, acc1, 16, beta);
            STORE_TILE(c1, acc2, 16, beta);
            STORE_TILE(c1 + 16, acc3, 16, beta);
            STORE_TILE(c2, acc4, 16, beta);
            STORE_TILE(c2 + 16, acc5, 16, beta);
            STORE_TILE(c3, acc6, 16, beta);
            STORE_TILE(c3 + 16, acc7, 16, beta);
        }
        for (; i < m; i++) {
            const float *a0 = a + (size_t)i * k, *b = bt + j0;
            vec16 acc0 = {0}, acc1 = {0}, bv0, bv1;
            for (int kk = 0; kk < k; kk++, b += np) {
                memcpy(&bv0, b, sizeof bv0);
                memcpy(&bv1, b + 16, sizeof bv1);
                acc0 += a0[kk] * bv0;
                acc1 += a0[kk] * bv1;
            }
            STORE_TILE(c + (size_t)i * n + j0, acc0, 16, beta);
            STORE_TILE(c + (size_t)i * n + j0 + 16, acc1, 16, beta);
        }
    }
    for (; j0 < n; j0 += 16) {
        int w = n - j0 < 16 ? n - j0 : 16;
        int i = 0;
        for (; i + 4 <= m; i += 4) {
            const float *a0 = a + (size_t)i * k, *a1 = a0 + k, *a2 = a1 + k, *a3 = a2 + k, *b = bt + j0;
            vec16 acc0 = {0}, acc1 = {0}, acc2 = {0}, acc3 = {0}, bv;
            for (int kk = 0; kk < k; kk++, b += np) {
                memcpy(&bv, b, sizeof bv);
                acc0 += a0[kk] * bv;
                acc1 += a1[kk] * bv;
                acc2 += a2[kk] * bv;
                acc3 += a3[kk] * bv;
            }
            float *c0 = c + (size_t)i * n + j0;
            STORE_TILE(c0, acc0, w, beta);
            STORE_TILE(c0 + n, acc1, w, beta);
            STORE_TILE(c0 + 2 * (size_t)n, acc2, w, beta);
            STORE_TILE(c0 + 3 * (size_t)n, acc3, w, beta);
        }
        for (; i < m; i++) {
            const float *a0 = a + (size_t)i * k, *b = bt + j0;
            vec16 acc0 = {0}, bv;
            for (int kk = 0; kk < k; kk++, b += np) {
                memcpy(&bv, b, sizeof bv);
                acc0 += a0[kk] * bv;
            }
            STORE_TILE(c + (size_t)i * n + j0, acc0, w, beta);
        }
    }
}

/* One function per instruction set. Not target_clones: its ifunc resolver runs before
 * ThreadSanitizer's runtime is set up and crashes every TSan build at start-up. */
#define GEMM_SMALL_ARGS int m, int n, int np, int k, const float *a, const float *bt, float beta, float *c
CONTRACT_ATTRIBUTE static void gemm_small_baseline(GEMM_SMALL_ARGS) { gemm_small_body(m, n, np, k, a, bt, beta, c); }

static void (*gemm_small_chosen)(GEMM_SMALL_ARGS);
static pthread_once_t gemm_small_once = PTHREAD_ONCE_INIT;

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma"))) CONTRACT_ATTRIBUTE static void
gemm_small_avx512(GEMM_SMALL_ARGS) {
    gemm_small_body(m, n, np, k, a, bt, beta, c);
}
__attribute__((target("avx2,fma"))) CONTRACT_ATTRIBUTE static void gemm_small_avx2(GEMM_SMALL_ARGS) {
    gemm_small_body(m, n, np, k, a, bt, beta, c);
}

static void gemm_small_choose(void) {
    __builtin_cpu_init();
    int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    int avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                 __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq");
    gemm_small_chosen = avx512 ? gemm_small_avx512 : avx2 ? gemm_small_avx2 : gemm_small_baseline;
}
#else
/* Other architectures (e.g. aarch64 hosts of Grace-Hopper): the compiler's own vector
 * width for the generic vector type. */
static void gemm_small_choose(void) { gemm_small_chosen = gemm_small_baseline; }
#endif

void hexgpu_cpu_gemm_small(GEMM_SMALL_ARGS) {
    pthread_once(&gemm_small_once, gemm_small_choose);
    gemm_small_chosen(m, n, np, k, a, bt, beta, c);
}
