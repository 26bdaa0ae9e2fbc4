/* The CUDA kernels one at a time against plain C versions: input expansion (both layouts,
 * n = 1..19), masked policy softmax (empty board, one legal cell, full board,
 * temperature), global average pool and the fused value head. */
#include <cuda_runtime_api.h>
#include <math.h>
#include <stdlib.h>

#include "gpu/gpu_support.h"
#include "kernels/cuda/kernels.h"
#include "model/tensor_map.h"

static cudaStream_t stream;

static void setup(void) {
    HEXGPU_GPU_REQUIRE();
    cr_assert_eq(cudaSetDevice(0), cudaSuccess);
    cr_assert_eq(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), cudaSuccess);
}
static void teardown(void) {
    if (stream) cudaStreamDestroy(stream);
    stream = NULL;
}

static void *to_device(const void *host, size_t bytes) {
    void *d = NULL;
    cr_assert_eq(cudaMalloc(&d, bytes), cudaSuccess, "cudaMalloc %zu", bytes);
    if (host) cr_assert_eq(cudaMemcpyAsync(d, host, bytes, cudaMemcpyHostToDevice, stream), cudaSuccess);
    return d;
}
static void to_host(void *host, const void *d, size_t bytes) {
    cr_assert_eq(cudaMemcpyAsync(host, d, bytes, cudaMemcpyDeviceToHost, stream), cudaSuccess);
    cr_assert_eq(cudaStreamSynchronize(stream), cudaSuccess);
}

TestSuite(gpu_kernels, .init = setup, .fini = teardown);

Test(gpu_kernels, board_to_input_matches_the_reference_planes) {
    const int sizes[] = {1, 2, 11, 13, 19};
    enum { BATCH = 37 };
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int n = sizes[s], cells = n * n;
        hexgpu_position pos[BATCH];
        hexgpu_position_random_batch(pos, BATCH, n, 1000 + (uint64_t)n);
        hexgpu_position *d_pos = to_device(pos, sizeof pos);
        for (int layout = 0; layout < 2; layout++) {
            int stored = layout == HEXGPU_K_NHWC_F16 ? 8 : 3;
            size_t elems = (size_t)BATCH * cells * stored, bytes = elems * (layout == HEXGPU_K_NHWC_F16 ? 2 : 4);
            void *d_out = to_device(NULL, bytes);
            cr_assert_eq(hexgpu_k_board_to_input(d_out, d_pos, BATCH, n, (hexgpu_k_layout)layout, stored, stream),
                         cudaSuccess);
            void *out = malloc(bytes);
            to_host(out, d_out, bytes);
            float planes[3 * HEXGPU_MAX_CELLS];
            for (int b = 0; b < BATCH; b++) {
                hexgpu_position_to_planes(&pos[b], planes);
                for (int c = 0; c < stored; c++)
                    for (int i = 0; i < cells; i++) {
                        float want = c < 3 ? planes[c * cells + i] : 0.0f, got;
                        if (layout == HEXGPU_K_NHWC_F16)
                            got = hexgpu_f16_to_f32(((uint16_t *)out)[((size_t)b * cells + i) * stored + c]);
                        else
                            got = ((float *)out)[((size_t)b * stored + c) * cells + i];
                        cr_assert_eq(got, want, "n %d layout %d board %d channel %d cell %d: %g, want %g", n, layout,
                                     b, c, i, got, want);
                    }
            }
            free(out);
            cudaFree(d_out);
        }
        cudaFree(d_pos);
    }
}

/* softmax(l / T) over the empty cells in double. */
static void softmax_ref(const float *logits, const hexgpu_position *pos, int cells, double temperature, double *out) {
    double m = -INFINITY, sum = 0.0;
    for (int i = 0; i < cells; i++)
        if (hexgpu_position_at(pos, i) == HEXGPU_NONE) m = fmax(m, logits[i] / temperature);
    for (int i = 0; i < cells; i++)
        if (hexgpu_position_at(pos, i) == HEXGPU_NONE) sum += exp(logits[i] / temperature - m);
    for (int i = 0; i < cells; i++)
        out[i] = hexgpu_position_at(pos, i) == HEXGPU_NONE ? exp(logits[i] / temperature - m) / sum : 0.0;
}

Test(gpu_kernels, policy_softmax_masks_occupied_cells) {
    enum { N = 13, CELLS = N * N, BATCH = 4 };
    hexgpu_position pos[BATCH];
    hexgpu_position_random_batch(pos, BATCH, N, 77);
    hexgpu_position_init(&pos[0], N); /* empty board */
    hexgpu_position_init(&pos[1], N); /* every cell but 77 taken */
    hexgpu_position_init(&pos[3], N); /* full board: no legal cell */
    for (int i = 0, k = 0; i < CELLS; i++) {
        uint64_t bit = 1ull << (i % 64);
        (k % 2 ? pos[3].red : pos[3].blue)[i / 64] |= bit;
        if (i != 77) (k % 2 ? pos[1].red : pos[1].blue)[i / 64] |= bit;
        k++;
    }
    float logits[BATCH * CELLS], bias[CELLS], out_logits[BATCH * CELLS], probs[BATCH * CELLS];
    uint64_t rng = 5;
    for (int i = 0; i < BATCH * CELLS; i++) logits[i] = hexgpu_gpu_test_uniform(&rng, -4.0f, 4.0f);
    for (int i = 0; i < CELLS; i++) bias[i] = hexgpu_gpu_test_uniform(&rng, -1.0f, 1.0f);
    const double temps[] = {1.0, 0.5};
    for (int t = 0; t < 2; t++) {
        float *d_logits = to_device(logits, sizeof logits), *d_bias = to_device(bias, sizeof bias);
        float *d_probs = to_device(NULL, sizeof probs);
        hexgpu_position *d_pos = to_device(pos, sizeof pos);
        cr_assert_eq(hexgpu_k_policy_softmax(d_probs, d_logits, d_bias, d_pos, BATCH, CELLS, (float)temps[t], stream),
                     cudaSuccess);
        to_host(out_logits, d_logits, sizeof out_logits);
        to_host(probs, d_probs, sizeof probs);
        for (int b = 0; b < BATCH; b++) {
            float with_bias[CELLS];
            double want[CELLS];
            for (int i = 0; i < CELLS; i++) {
                with_bias[i] = logits[b * CELLS + i] + bias[i];
                cr_assert_eq(out_logits[b * CELLS + i], with_bias[i], "raw logits keep the bias add");
            }
            softmax_ref(with_bias, &pos[b], CELLS, temps[t], want);
            double total = 0.0;
            for (int i = 0; i < CELLS; i++) {
                float p = probs[b * CELLS + i];
                total += p;
                if (hexgpu_position_at(&pos[b], i) != HEXGPU_NONE) cr_assert_eq(p, 0.0f, "occupied cell %d", i);
                cr_assert(fabs(p - want[i]) <= 1e-6 + 1e-5 * want[i], "board %d cell %d T %g: %g, want %g", b, i,
                          temps[t], p, want[i]);
            }
            cr_assert(b == 3 ? total == 0.0 : fabs(total - 1.0) < 1e-5, "board %d sums to %g", b, total);
        }
        cr_assert_eq(probs[1 * CELLS + 77], 1.0f, "the only legal cell gets probability 1");
        cudaFree(d_logits), cudaFree(d_bias), cudaFree(d_probs), cudaFree(d_pos);
    }
}

/* Random activations [batch][stored][pixels] with channels >= real zero, as fp16 or fp32
 * on the device, and the same values (after fp16 rounding) as fp32 [batch][stored][pixels]. */
static void *random_activations(int batch, int real, int stored, int pixels, hexgpu_k_layout layout, uint64_t seed,
                                float *host_nchw) {
    uint64_t rng = seed;
    size_t elems = (size_t)batch * stored * pixels;
    uint16_t *h16 = malloc(elems * 2);
    float *h32 = malloc(elems * 4);
    for (int b = 0; b < batch; b++)
        for (int c = 0; c < stored; c++)
            for (int p = 0; p < pixels; p++) {
                float v = c < real ? hexgpu_gpu_test_uniform(&rng, 0.0f, 3.0f) : 0.0f;
                size_t nchw = ((size_t)b * stored + c) * pixels + p, nhwc = ((size_t)b * pixels + p) * stored + c;
                if (layout == HEXGPU_K_NHWC_F16) {
                    h16[nhwc] = hexgpu_f32_to_f16(v);
                    v = hexgpu_f16_to_f32(h16[nhwc]);
                }
                h32[nchw] = v;
                host_nchw[nchw] = v;
            }
    void *d = layout == HEXGPU_K_NHWC_F16 ? to_device(h16, elems * 2) : to_device(h32, elems * 4);
    free(h16);
    free(h32);
    return d;
}

Test(gpu_kernels, global_avg_pool_matches_cpu) {
    enum { BATCH = 5, REAL = 20, STORED = 24, PIXELS = 4 };
    for (int layout = 0; layout < 2; layout++) {
        int stored = layout == HEXGPU_K_NHWC_F16 ? STORED : REAL;
        float host[BATCH * STORED * PIXELS], out[BATCH * REAL];
        void *d_in = random_activations(BATCH, REAL, stored, PIXELS, (hexgpu_k_layout)layout, 9, host);
        float *d_out = to_device(NULL, sizeof out);
        cr_assert_eq(hexgpu_k_global_avg_pool(d_out, d_in, BATCH, REAL, stored, PIXELS, (hexgpu_k_layout)layout, stream),
                     cudaSuccess);
        to_host(out, d_out, sizeof out);
        for (int b = 0; b < BATCH; b++)
            for (int c = 0; c < REAL; c++) {
                double want = 0.0;
                for (int p = 0; p < PIXELS; p++) want += host[((size_t)b * stored + c) * PIXELS + p];
                want /= PIXELS;
                cr_assert(fabs(out[b * REAL + c] - want) < 1e-6, "layout %d board %d channel %d: %g, want %g", layout,
                          b, c, out[b * REAL + c], want);
            }
        cr_assert_gt(hexgpu_gpu_test_max_abs(out, BATCH * REAL), 0.1);
        cudaFree(d_in), cudaFree(d_out);
    }
}

Test(gpu_kernels, value_head_matches_cpu) {
    enum { BATCH = 19, V = 6, STORED = 8, PIXELS = 4, H = 40 };
    uint64_t rng = 21;
    float w1[H * V], b1[H], w2[H], b2[1];
    for (int i = 0; i < H * V; i++) w1[i] = hexgpu_gpu_test_uniform(&rng, -0.5f, 0.5f);
    for (int i = 0; i < H; i++) b1[i] = hexgpu_gpu_test_uniform(&rng, -0.2f, 0.2f), w2[i] = hexgpu_gpu_test_uniform(&rng, -0.3f, 0.3f);
    b2[0] = 0.1f;
    for (int layout = 0; layout < 2; layout++) {
        int stored = layout == HEXGPU_K_NHWC_F16 ? STORED : V;
        float host[BATCH * STORED * PIXELS], out[BATCH];
        void *d_in = random_activations(BATCH, V, stored, PIXELS, (hexgpu_k_layout)layout, 33, host);
        float *d_w1 = to_device(w1, sizeof w1), *d_b1 = to_device(b1, sizeof b1);
        float *d_w2 = to_device(w2, sizeof w2), *d_b2 = to_device(b2, sizeof b2), *d_out = to_device(NULL, sizeof out);
        cr_assert_eq(hexgpu_k_value_head(d_out, d_in, BATCH, V, stored, PIXELS, (hexgpu_k_layout)layout, d_w1, d_b1, H,
                                         d_w2, d_b2, stream),
                     cudaSuccess);
        to_host(out, d_out, sizeof out);
        for (int b = 0; b < BATCH; b++) {
            double mean[V], acc2 = b2[0];
            for (int c = 0; c < V; c++) {
                mean[c] = 0.0;
                for (int p = 0; p < PIXELS; p++) mean[c] += host[((size_t)b * stored + c) * PIXELS + p];
                mean[c] /= PIXELS;
            }
            for (int h = 0; h < H; h++) {
                double acc = b1[h];
                for (int c = 0; c < V; c++) acc += (double)w1[h * V + c] * mean[c];
                acc2 += (double)w2[h] * fmax(acc, 0.0);
            }
            cr_assert(fabs(out[b] - tanh(acc2)) < 1e-5, "layout %d board %d: %g, want %g", layout, b, out[b],
                      tanh(acc2));
        }
        cr_assert_gt(hexgpu_gpu_test_max_abs(out, BATCH), 0.01);
        cudaFree(d_in), cudaFree(d_w1), cudaFree(d_b1), cudaFree(d_w2), cudaFree(d_b2), cudaFree(d_out);
    }
}
