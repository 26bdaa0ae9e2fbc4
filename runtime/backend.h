/* The backend interface: a table of functions plus a context, chosen at run time from a
 * static array (backend.c). Backends own weights only; every buffer a batch touches
 * lives in a slot that is allocated once at the largest batch and recycled. */
#pragma once

#include "base/log.h"
#include "hexgpu.h"
#include "model/network.h"

/* Every table, built in or loaded from a module, has exactly this version: the loader
 * (backend_module.c) refuses a module of any other. Bump it whenever this table or a type
 * that crosses it changes (the config, slot buffers, timing and counters here,
 * hexgpu_network, hexgpu_error, hexgpu_position, hexgpu_logger). 5: default_max_batch,
 * device_count, device_name with threads, the logger in the config. */
#define HEXGPU_BACKEND_ABI_VERSION 5

typedef struct hexgpu_backend_config {
    int device;                 /* CUDA device ordinal */
    hexgpu_precision precision; /* AUTO resolves per backend */
    int max_batch;              /* largest batch any slot will launch */
    int threads;                /* CPU backend: worker threads, 0 = all cores */
    hexgpu_logger log;          /* where the context's messages go (fn NULL: stderr, warnings only) */
} hexgpu_backend_config;

/* Host-visible buffers of a slot (pinned host memory on CUDA). Sizes are for max_batch:
 * input [max_batch] positions; policy and logits [max_batch][n*n]; value [max_batch]. */
typedef struct hexgpu_slot_buffers {
    hexgpu_position *input;
    float *policy; /* probabilities: softmax over legal cells, occupied cells exactly 0 */
    float *logits; /* raw policy logits, unmasked, as PyTorch gives them */
    float *value;  /* tanh output, Red's point of view */
} hexgpu_slot_buffers;

/* When each phase of one batch ran: instants in nanoseconds on one clock shared by all
 * slots of a context (CLOCK_MONOTONIC, as base/timer.h reads it), so that phases of
 * different slots can be compared. A backend without copies (cpu) reports zero-length
 * h2d and d2h phases at the boundaries of compute. start <= end within each phase. */
typedef struct hexgpu_slot_timing {
    int64_t h2d_start, h2d_end;         /* input copy to the device */
    int64_t compute_start, compute_end; /* the network (graph launch or direct) */
    int64_t d2h_start, d2h_end;         /* outputs back to host memory */
} hexgpu_slot_timing;

/* What a backend did differently from its plan, since its context was created: slots
 * whose bucket runs without a CUDA graph, and (layer, bucket) pairs whose fused
 * convolution fell back to another algorithm. All zero for a backend without them. */
typedef struct hexgpu_backend_counters {
    uint64_t graphs_captured; /* (slot, bucket) pairs replayed from a CUDA graph */
    uint64_t graphs_refused;  /* (slot, bucket) pairs whose capture was refused: run directly */
    uint64_t conv_fallbacks;  /* (layer, bucket) pairs running the fallback algorithm */
} hexgpu_backend_counters;

typedef hexgpu_status (*hexgpu_slot_timing_fn)(void *slot, hexgpu_slot_timing *out, hexgpu_error *err);

typedef struct hexgpu_backend_ops {
    int abi_version;
    const char *name; /* "cpu", "cuda": for messages; no code compares it */
    /* The largest batch an engine launches when its options leave max_batch at 0: what
     * fills the device (1024 on a GPU, 64 on the CPU). */
    int default_max_batch;

    /* 1 when this backend can run here; otherwise 0 and a reason in why. */
    int (*available)(int device, char *why, size_t why_len);
    /* How many devices it can run on, ordinals 0..count-1, each available (the CPU: 1);
     * at least 1 wherever available(0). Needs no context. */
    int (*device_count)(void);

    /* Uploads/keeps the weights. ctx is the backend's; nothing per batch is allocated. */
    hexgpu_status (*create)(const hexgpu_network *net, const hexgpu_backend_config *config, void **ctx,
                            hexgpu_error *err);
    void (*destroy)(void *ctx);
    /* The precision the context actually runs in (AUTO resolved). */
    hexgpu_precision (*precision)(void *ctx);

    /* A slot: its own buffers and (CUDA) its own stream and event. Slots of one context
     * may be launched concurrently from different threads; one slot is used by one
     * thread at a time. */
    hexgpu_status (*slot_create)(void *ctx, void **slot, hexgpu_error *err);
    void (*slot_destroy)(void *slot);
    hexgpu_slot_buffers (*slot_buffers)(void *slot);

    /* Starts evaluating input[0..batch) (1 <= batch <= max_batch). Asynchronous where the
     * backend can be (CUDA), synchronous otherwise. want_logits = 0 lets the backend
     * skip copying logits back. */
    hexgpu_status (*slot_launch)(void *slot, int batch, int want_logits, hexgpu_error *err);
    /* Blocks until the launched batch's outputs are in the slot's buffers. A failure
     * here fails exactly this batch. */
    hexgpu_status (*slot_wait)(void *slot, hexgpu_error *err);

    /* OPTIONAL (NULL = not provided; call through hexgpu_backend_slot_timing).
     * The phases of the batch last waited on successfully, read after slot_wait by the
     * slot's own thread. HEXGPU_ERR_INVALID_ARGUMENT when no batch was waited on since
     * the last launch; a failure leaves *out unchanged and never affects the batch. */
    hexgpu_slot_timing_fn slot_timing;

    /* OPTIONAL (NULL = nothing to count; call through hexgpu_backend_counters_read).
     * Thread safe: any thread, any time while ctx lives. */
    void (*counters)(void *ctx, hexgpu_backend_counters *out);

    /* OPTIONAL (NULL = none; call through hexgpu_backend_device_name). What device
     * `device` is, for reports, into name; 1 when known, else 0. The card ("NVIDIA H200"),
     * or the CPU's model, cores, kernel instruction set and the threads a batch is split
     * over (threads 0: every core). Needs no context. */
    int (*device_name)(int device, int threads, char *name, size_t len);
} hexgpu_backend_ops;

/* The backend built into every program; CUDA comes from a module (below). */
extern const hexgpu_backend_ops hexgpu_backend_cpu;

/* A backend module exports one function of this type; it returns the module's table
 * (whose abi_version the caller checks) given the caller's ABI version. The CUDA
 * module, libhexgpu_cuda.so, exports it as HEXGPU_CUDA_MODULE_ENTRY. */
typedef const hexgpu_backend_ops *(*hexgpu_backend_entry_fn)(int abi_version);
#define HEXGPU_CUDA_MODULE_ENTRY "hexgpu_cuda_backend_entry"

/* Opens the module file at path (dlopen, RTLD_NOW | RTLD_LOCAL), finds entry in it and
 * checks that the table it returns has HEXGPU_BACKEND_ABI_VERSION. A library the module
 * needs that the loader does not find (cuDNN, cuBLAS) is looked for in the CUDA toolkit's
 * and NVIDIA's pip wheels' folders (backend_module_impl.h) and loaded from the first
 * that has it. The table, or NULL with the reason in why (the loader's own words:
 * "<path>: libcudnn.so.9: cannot open shared object file: ... (nor in the CUDA toolkit's
 * or NVIDIA's pip wheels' folders: 3 searched)"; "... has backend ABI 3, this hexgpu
 * needs 4"); a module that failed is closed again. A loaded module is never closed.
 * Thread safe. */
const hexgpu_backend_ops *hexgpu_backend_module_open(const char *path, const char *entry, char *why, size_t why_len);

/* The CUDA backend's table, its module found and opened at the first call of the process
 * (pthread_once; later calls give the same answer): $HEXGPU_CUDA_MODULE alone when set;
 * otherwise the first libhexgpu_cuda.so that exists in the folder of the object holding
 * this code (the shared library or Python extension), the program's folder, the
 * program's ../lib, the configured install libdir; else the plain file name through
 * the loader's path. A build configured without CUDA looks only at $HEXGPU_CUDA_MODULE.
 * NULL with the one-line reason in why when no usable module was found. Thread safe. */
const hexgpu_backend_ops *hexgpu_backend_cuda_module(char *why, size_t why_len);

/* Where the CUDA module's cuDNN and cuBLAS (and any library found by the search above)
 * came from, as "libcudnn.so.9 from /usr/local/cuda/lib64, ..."; "" when the module is
 * not loaded or uses none. Loads the module as hexgpu_backend_cuda_module does. */
const char *hexgpu_backend_cuda_module_libraries(void);

/* Picks the backend for kind. AUTO: CUDA when its module loads and a device is
 * available, else CPU, and says which (and why) in `chosen` for the caller to print.
 * CUDA when its module is missing or refused, or no device is usable:
 * HEXGPU_ERR_NO_DEVICE with the reason. */
hexgpu_status hexgpu_backend_select(hexgpu_backend_kind kind, int device, const hexgpu_backend_ops **ops,
                                    char *chosen, size_t chosen_len, hexgpu_error *err);

/* "auto", "cpu" or "cuda" (what --backend and Python's backend= take) into *out: 1, or 0
 * for any other text (*out unchanged). */
int hexgpu_backend_kind_parse(const char *name, hexgpu_backend_kind *out);

/* The kind that selects ops (HEXGPU_BACKEND_CPU or _CUDA; AUTO for a table that
 * hexgpu_backend_select never returns, such as the synthetic one): to open an engine on
 * exactly the backend a raw session ran. */
hexgpu_backend_kind hexgpu_backend_kind_of(const hexgpu_backend_ops *ops);

/* The optional slot_timing entry of ops, or NULL when the backend does not measure its
 * phases. */
hexgpu_slot_timing_fn hexgpu_backend_slot_timing(const hexgpu_backend_ops *ops);

/* The backend's counters, all zero when it has none. */
void hexgpu_backend_counters_read(const hexgpu_backend_ops *ops, void *ctx, hexgpu_backend_counters *out);

/* What the backend's device is into name ("unknown" when the backend does not say). */
void hexgpu_backend_device_name(const hexgpu_backend_ops *ops, int device, int threads, char *name, size_t len);

/* The backend's context(s) on a network, chosen and created in one place for every
 * front end (the engine, `hexgpu bench`, `hexgpu check`): the table picked for kind (as
 * hexgpu_backend_select; `chosen` says how), then one context per entry of devices
 * (HEXGPU_DEVICES_ALL as the count: every device the backend reports; 0: config->device),
 * each with config and that device (max_batch 0: the backend's default). On failure nothing stays created and err names the backend (and the
 * device when there are several). */
typedef struct hexgpu_backend_contexts {
    const hexgpu_backend_ops *ops;
    void *ctxs[HEXGPU_MAX_DEVICES];
    int devices[HEXGPU_MAX_DEVICES];
    int count;
    int max_batch; /* config->max_batch, or the backend's default_max_batch when that was 0 */
    char chosen[512];
    double create_ms; /* wall time of creating the contexts (weights, plans) */
} hexgpu_backend_contexts;

hexgpu_status hexgpu_backend_contexts_create(hexgpu_backend_kind kind, const int *devices, int device_count,
                                             const hexgpu_backend_config *config, const hexgpu_network *net,
                                             hexgpu_backend_contexts *out, hexgpu_error *err);
/* Destroys the contexts still held (entries set to NULL are skipped: handed over). */
void hexgpu_backend_contexts_destroy(hexgpu_backend_contexts *contexts);

/* A backend session for one-shot callers (`hexgpu bench`, `hexgpu check`, tests): one
 * context on config->device and one slot of config->max_batch. */
typedef struct hexgpu_backend_session {
    hexgpu_backend_contexts contexts;
    const hexgpu_backend_ops *ops; /* = contexts.ops */
    void *ctx, *slot;
    char device[384]; /* hexgpu_backend_device_name of the device */
} hexgpu_backend_session;

hexgpu_status hexgpu_backend_session_open(hexgpu_backend_kind kind, const hexgpu_backend_config *config,
                                          const hexgpu_network *net, hexgpu_backend_session *out, hexgpu_error *err);
void hexgpu_backend_session_close(hexgpu_backend_session *session);

/* Host-memory slot buffers for backends that compute on the host (cpu, synthetic):
 * zeroed, input [max_batch], policy/logits [max_batch][cells], value [max_batch].
 * HEXGPU_ERR_OUT_OF_MEMORY leaves nothing allocated. _free takes any buffers this
 * returned, or all-NULL ones, and leaves them NULL. */
hexgpu_status hexgpu_slot_buffers_alloc(hexgpu_slot_buffers *buf, int max_batch, int cells, hexgpu_error *err);
void hexgpu_slot_buffers_free(hexgpu_slot_buffers *buf);

/* Checks the outputs of a batch of `batch` positions just waited on: every value and
 * policy entry, and with_logits every logit, must be finite. Huge but finite weights
 * (or an fp16 overflow) give inf or nan, which must never reach a caller as a number:
 * the batch fails with HEXGPU_ERR_MODEL_FORMAT naming the output, the position's index
 * in the batch and the cell ("non-finite output: policy logit of position 3 of the
 * batch, cell 42, is inf"). Reads n*(1 + 2*cells) floats at most; cheap beside the
 * batch. */
hexgpu_status hexgpu_slot_outputs_check(const hexgpu_slot_buffers *buf, int batch, int cells, int with_logits,
                                        hexgpu_error *err);

/* Convenience for tests and one-shot callers: evaluates count positions through one
 * slot in chunks of at most max_batch. Any of policy/logits/value may be NULL.
 * policy/logits are [count][n*n]. */
hexgpu_status hexgpu_backend_evaluate(const hexgpu_backend_ops *ops, void *slot, int max_batch, int board_size,
                                      const hexgpu_position *positions, size_t count, float *policy,
                                      float *logits, float *value, hexgpu_error *err);
