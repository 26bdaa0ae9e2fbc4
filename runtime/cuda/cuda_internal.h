/* The CUDA backend's private types: the context (weights, layer plans per batch bucket),
 * and the slot (stream, handles, buffers, graphs). Shared by the files of runtime/cuda. */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include "kernels/cuda/kernels.h"
#include "runtime/backend.h"

/* One trunk 1x1 shortcut, 3x3, 5x5 or value 1x1 convolution with its cuDNN plans. */
typedef enum hexgpu_cuda_conv_kind {
    HEXGPU_CUDA_CONV_RELU = 0,      /* y = relu(conv(x) + bias) */
    HEXGPU_CUDA_CONV_RELU_RESIDUAL, /* y = relu(conv(x) + z + bias): conv2 of a block */
    HEXGPU_CUDA_CONV_PLAIN          /* y = conv(x): a shortcut, its bias folded into conv2's */
} hexgpu_cuda_conv_kind;

typedef struct hexgpu_cuda_conv {
    char name[40];                     /* "layer2.0.conv1", for error messages */
    hexgpu_cuda_conv_kind kind;
    int in_channels, out_channels;     /* the model's */
    int in_stored, out_stored;         /* as stored on the device (padded to 8 in fp16) */
    int kernel, stride, pad, in_side, out_side;
    void *weight;                      /* device: fp16 [out][k][k][in] or fp32 [out][in][k][k] */
    void *bias;                        /* device, [out_stored]; NULL for PLAIN */
    cudnnFilterDescriptor_t filter_desc;
    cudnnTensorDescriptor_t bias_desc;
    /* Per bucket: */
    cudnnTensorDescriptor_t *x_desc, *y_desc;
    cudnnConvolutionDescriptor_t *conv_desc; /* carries the math type chosen with the algorithm */
    cudnnConvolutionFwdAlgo_t *algo;
    size_t *workspace;                 /* bytes the chosen algorithm needs */
} hexgpu_cuda_conv;

/* Conv indices: 0 input conv; per block b: 1 + 3b conv1, 2 + 3b conv2, 3 + 3b shortcut
 * (unused without one); last the value conv. */
#define HEXGPU_CUDA_CONV_INPUT 0
#define HEXGPU_CUDA_CONV_BLOCK(b, which) (1 + 3 * (b) + (which)) /* which: 0 conv1, 1 conv2, 2 shortcut */
#define HEXGPU_CUDA_CONV_VALUE (1 + 3 * HEXGPU_NET_BLOCKS)
#define HEXGPU_CUDA_CONV_COUNT (HEXGPU_CUDA_CONV_VALUE + 1)

#define HEXGPU_CUDA_MAX_BUCKETS 32

/* Per-algorithm cuDNN workspace ceiling: what a bucket's chosen algorithms need is what
 * slots allocate, so this only rules out the most memory-hungry algorithms (FFT at big
 * batches); it also caps the doubling of a slot's workspace (cuda_plan_book.h). */
#define HEXGPU_CUDA_WORKSPACE_LIMIT ((size_t)256 << 20)

typedef struct hexgpu_cuda_context {
    int device;
    hexgpu_precision precision;       /* FP16 or FP32, resolved */
    hexgpu_k_layout layout;
    cudnnDataType_t data_type;
    size_t elem_size;                 /* 2 or 4 */
    int board_size, cells, max_batch;
    int use_graphs;                   /* 0 when HEXGPU_CUDA_GRAPHS=0 */
    int bucket_count;
    int buckets[HEXGPU_CUDA_MAX_BUCKETS]; /* 1, 2, 4, ..., then max_batch */
    size_t act_elems;                 /* largest activation per board, elements */
    int only_precomp;                 /* HEXGPU_CUDNN_ALGO=precomp: IMPLICIT_PRECOMP_GEMM everywhere */
    int deterministic;                /* HEXGPU_CUDNN_DETERMINISTIC=1: deterministic algorithms only */
    int has_shortcut[HEXGPU_NET_BLOCKS];
    hexgpu_cuda_conv convs[HEXGPU_CUDA_CONV_COUNT];
    cudnnActivationDescriptor_t relu;
    int trunk_channels, trunk_side;   /* C4 and the last stage's side */
    int value_channels, value_hidden;
    float *policy_weight, *policy_bias; /* device fp32 [cells][C4], [cells] */
    float *fc1_weight, *fc1_bias, *fc2_weight, *fc2_bias; /* device fp32 */
    /* The timeline clock (cuda_timing.c): `anchor` completed at anchor_ns (CLOCK_MONOTONIC);
     * slots measure their phase events against it. anchor_lock guards the three. */
    pthread_mutex_t anchor_lock;
    int anchor_lock_made;
    cudaEvent_t anchor, anchor_next; /* timing events; anchor_next is the spare for re-anchoring */
    int64_t anchor_ns;
    /* Graph capture and slot life: cublasDestroy and cudaFree synchronise the device,
     * which would break another thread's capture in progress, so slot create/destroy
     * and each bucket's first use (plan, workspace, warm-up run, capture) hold this lock. */
    pthread_mutex_t life_lock;
    int life_lock_made;
    hexgpu_logger log;                /* the config's: fallbacks and refusals (warning), plan and
                                         first-use times (info) */
    /* Plans per bucket, made at the bucket's first use (cuda_plan.c) under life_lock and
     * read-only from then on: every slot prepares a bucket (taking the lock) before it
     * runs it, so the lock orders the plan's writes before any read. */
    int planned[HEXGPU_CUDA_MAX_BUCKETS];
    size_t bucket_workspace[HEXGPU_CUDA_MAX_BUCKETS]; /* cuDNN workspace bucket b needs (fallback included) */
    int64_t plan_ns[HEXGPU_CUDA_MAX_BUCKETS]; /* time spent planning each bucket, all convs */
    /* Per (conv, bucket): 1 once the fused call refused the planned algorithm and ran
     * IMPLICIT_PRECOMP_GEMM; set (and logged) by the first slot that saw it. */
    atomic_uchar fused_refused[HEXGPU_CUDA_CONV_COUNT][HEXGPU_CUDA_MAX_BUCKETS];
    atomic_uint_fast64_t graphs_captured, graphs_refused, conv_fallbacks; /* hexgpu_backend_counters */
    atomic_int slots_made;            /* numbers the slots in messages */
} hexgpu_cuda_context;

enum {
    HEXGPU_CUDA_PHASE_H2D_START = 0,
    HEXGPU_CUDA_PHASE_H2D_END,
    HEXGPU_CUDA_PHASE_COMPUTE_START,
    HEXGPU_CUDA_PHASE_COMPUTE_END, /* also where the output copies start */
    HEXGPU_CUDA_PHASE_D2H_END,
    HEXGPU_CUDA_PHASE_EVENTS
};

typedef struct hexgpu_cuda_slot {
    hexgpu_cuda_context *ctx;
    int index;                        /* 0, 1, ... in order of creation, for messages */
    cudaStream_t stream;
    cudaEvent_t done;
    cudnnHandle_t cudnn;
    cublasHandle_t cublas;
    hexgpu_slot_buffers host;         /* pinned */
    hexgpu_position *d_input;         /* [max_batch] */
    void *d_act[4];                   /* [max_batch][act_elems] each, rotating */
    float *d_pooled;                  /* [max_batch][C4] */
    float *d_logits, *d_policy;       /* [max_batch][cells] */
    float *d_value;                   /* [max_batch] */
    void *d_workspace;                /* cuDNN, workspace_bytes; grown under life_lock as buckets need */
    size_t workspace_bytes;
    void *d_cublas_workspace;         /* cuBLAS, set once so graph capture never allocates */
    int prepared[HEXGPU_CUDA_MAX_BUCKETS]; /* warm-up run done, graph captured or refused */
    int refused[HEXGPU_CUDA_MAX_BUCKETS];  /* the capture was refused (counted in graphs_refused) */
    cudaGraphExec_t graphs[HEXGPU_CUDA_MAX_BUCKETS]; /* NULL: run the layers directly */
    /* Timing events (default flags) recorded on the stream outside any capture: before and
     * after the input copy, before and after the forward, after the output copies. */
    cudaEvent_t phase[HEXGPU_CUDA_PHASE_EVENTS];
    int timed;                        /* 1 after a successful wait, until the next launch */
    int launched_batch;               /* > 0 between slot_launch and slot_wait */
    int want_logits;
} hexgpu_cuda_slot;

/* cuda_plan.c. _create: what every bucket shares (filter and bias descriptors, the ReLU,
 * per-bucket tables; no cuDNN handle, no heuristics); needs convs[] shapes filled in.
 * _bucket: bucket b's descriptors, algorithms and workspace (bucket_workspace[b]), once
 * (planned[b]), logged at INFO with its time; called with life_lock held, handle being
 * the calling slot's. conv_used: whether conv index i exists in this network. */
hexgpu_status hexgpu_cuda_plan_create(hexgpu_cuda_context *ctx, hexgpu_error *err);
hexgpu_status hexgpu_cuda_plan_bucket(hexgpu_cuda_context *ctx, cudnnHandle_t handle, int b, hexgpu_error *err);
int hexgpu_cuda_conv_used(const hexgpu_cuda_context *ctx, int i);
void hexgpu_cuda_plan_destroy(hexgpu_cuda_context *ctx);

/* cuda_weights.c: fills convs[] shapes and uploads every weight (padding, layout, folded
 * shortcut biases). */
hexgpu_status hexgpu_cuda_weights_upload(hexgpu_cuda_context *ctx, const hexgpu_network *net, hexgpu_error *err);
void hexgpu_cuda_weights_free(hexgpu_cuda_context *ctx);

/* cuda_forward.c: enqueues the whole network for bucket b on the slot's stream: input
 * expansion from d_input, trunk, heads, into d_logits, d_policy, d_value. No copies to or
 * from the host, no synchronisation: safe to capture into a graph. */
hexgpu_status hexgpu_cuda_forward_enqueue(hexgpu_cuda_slot *slot, int bucket, hexgpu_error *err);

/* cuda_slot.c */
hexgpu_status hexgpu_cuda_slot_create(void *ctx, void **slot, hexgpu_error *err);
void hexgpu_cuda_slot_destroy(void *slot);
hexgpu_slot_buffers hexgpu_cuda_slot_buffers(void *slot);
hexgpu_status hexgpu_cuda_slot_launch(void *slot, int batch, int want_logits, hexgpu_error *err);
hexgpu_status hexgpu_cuda_slot_wait(void *slot, hexgpu_error *err);

/* cuda_timing.c: the context's anchor (recorded and synchronised once at create), and
 * the slot_timing op. _destroy copes with a context whose _create failed or never ran. */
hexgpu_status hexgpu_cuda_timing_create(hexgpu_cuda_context *ctx, hexgpu_error *err);
void hexgpu_cuda_timing_destroy(hexgpu_cuda_context *ctx);
hexgpu_status hexgpu_cuda_slot_timing(void *slot, hexgpu_slot_timing *out, hexgpu_error *err);

/* cuda_backend.c: the backend's counters (graphs captured and refused, fused fallbacks). */
void hexgpu_cuda_counters(void *ctx, hexgpu_backend_counters *out);

/* cuda_device.c: the available and device_name ops. */
int hexgpu_cuda_available(int device, char *why, size_t why_len);
int hexgpu_cuda_device_count(void);
int hexgpu_cuda_device_name(int device, int threads, char *name, size_t len);

/* cuda_backend.c: the ops table. Outside this folder it is reached through the module's
 * entry point (runtime/backend_module.c); only test_gpu, which links these objects
 * directly, names it. */
extern const hexgpu_backend_ops hexgpu_backend_cuda;

/* cuda_backend.c: the module's one exported symbol (module.map), of type
 * hexgpu_backend_entry_fn, named HEXGPU_CUDA_MODULE_ENTRY in runtime/backend.h. */
const hexgpu_backend_ops *hexgpu_cuda_backend_entry(int abi_version);
