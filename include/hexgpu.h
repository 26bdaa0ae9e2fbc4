/* hexgpu public API: statuses and errors, the packed position, and the engine
 * (model + backend + batch scheduler + result cache). Everything the rest of the world
 * needs from hexgpu is declared here; internal layers have their own headers. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ status and errors */

/* Every fallible function returns a status (0 = ok) and, where it takes one, fills a
 * hexgpu_error with a one-line message that names what was wrong and where (file,
 * tensor name, byte offset, TRMPH column, CUDA call and layer). Library code never
 * exits or aborts. */
typedef enum hexgpu_status {
    HEXGPU_OK = 0,
    HEXGPU_ERR_INVALID_ARGUMENT, /* caller passed something meaningless */
    HEXGPU_ERR_PARSE,            /* malformed text input (TRMPH, JSON, numbers) */
    HEXGPU_ERR_INVALID_POSITION, /* a position that cannot occur in Hex */
    HEXGPU_ERR_IO,               /* a file could not be opened, read or written */
    HEXGPU_ERR_MODEL_FORMAT,     /* a model file is truncated, hostile or the wrong shape */
    HEXGPU_ERR_OUT_OF_MEMORY,    /* host, pinned or device memory */
    HEXGPU_ERR_NO_DEVICE,        /* no usable GPU where one was asked for */
    HEXGPU_ERR_CUDA,             /* a CUDA, cuDNN or cuBLAS call failed */
    HEXGPU_ERR_UNSUPPORTED,      /* valid but not supported by this build/backend */
    HEXGPU_ERR_CLOSED,           /* the engine was closed while the request waited */
    HEXGPU_ERR_TIMEOUT,
    HEXGPU_ERR_INTERNAL,
    HEXGPU_STATUS_COUNT
} hexgpu_status;

#define HEXGPU_ERROR_MESSAGE_MAX 512

typedef struct hexgpu_error {
    hexgpu_status status;
    char message[HEXGPU_ERROR_MESSAGE_MAX]; /* one line, no trailing newline */
} hexgpu_error;

/* Short stable name of a status, e.g. "model format error". Never NULL. */
const char *hexgpu_status_str(hexgpu_status status);

/* "0.1.0" */
const char *hexgpu_version(void);
/* The git commit the build was configured from (short hash, "-dirty" when the tree had
 * changes then; "unknown" outside a git checkout). */
const char *hexgpu_git_commit(void);

/* ------------------------------------------------------------------ positions */

#define HEXGPU_MIN_SIZE 1
#define HEXGPU_MAX_SIZE 19
#define HEXGPU_MAX_CELLS (HEXGPU_MAX_SIZE * HEXGPU_MAX_SIZE)
#define HEXGPU_POSITION_WORDS ((HEXGPU_MAX_CELLS + 63) / 64) /* 6 */

typedef enum hexgpu_color {
    HEXGPU_BLUE = 0, /* moves first, connects row 0 to row n-1 (top-bottom) */
    HEXGPU_RED = 1,  /* connects column 0 to column n-1 (left-right) */
    HEXGPU_NONE = 2
} hexgpu_color;

/* The packed position: what crosses from self-play to the engine, into the cache and
 * over PCIe. Cell (row, col) of an n x n board is bit (row*n + col) of the masks, word
 * (bit / 64), bit (bit % 64). Bits at or beyond n*n are zero, the reserved bytes are
 * zero, so two equal positions are equal byte for byte (the cache compares them so).
 * to_move is HEXGPU_BLUE or HEXGPU_RED and follows from the stone counts. */
typedef struct hexgpu_position {
    uint64_t blue[HEXGPU_POSITION_WORDS];
    uint64_t red[HEXGPU_POSITION_WORDS];
    uint8_t size;    /* n, 1..19 */
    uint8_t to_move; /* hexgpu_color */
    uint8_t reserved[6];
} hexgpu_position;

/* An empty n x n board, Blue to move. */
void hexgpu_position_init(hexgpu_position *pos, int size);
/* HEXGPU_BLUE, HEXGPU_RED or HEXGPU_NONE for the stone on cell (row*n+col). */
hexgpu_color hexgpu_position_at(const hexgpu_position *pos, int cell);
/* Checks size, no cell taken twice, no bits past n*n, to_move consistent with the stone
 * counts, zero reserved bytes. Does not check whether the game is already won. */
hexgpu_status hexgpu_position_validate(const hexgpu_position *pos, hexgpu_error *err);
/* 64-bit hash of the whole position (stones, side to move, size). */
uint64_t hexgpu_position_hash(const hexgpu_position *pos);
int hexgpu_position_equal(const hexgpu_position *a, const hexgpu_position *b);
/* The network input of the reference system, bit-exact: planes [3][n][n] (NCHW for one
 * board): blue stones, red stones, constant 0 (Blue to move) or 1 (Red to move). */
void hexgpu_position_to_planes(const hexgpu_position *pos, float *planes);

/* ------------------------------------------------------------------ the engine */

typedef enum hexgpu_backend_kind {
    HEXGPU_BACKEND_AUTO = 0, /* CUDA when a usable device exists, else CPU */
    HEXGPU_BACKEND_CPU,
    HEXGPU_BACKEND_CUDA,
    HEXGPU_BACKEND_KIND_COUNT
} hexgpu_backend_kind;

typedef enum hexgpu_precision {
    HEXGPU_PRECISION_AUTO = 0, /* fp16 on tensor-core GPUs, fp32 on the CPU */
    HEXGPU_PRECISION_FP16,
    HEXGPU_PRECISION_FP32
} hexgpu_precision;

/* The engine API (open, evaluate, submit/collect, statistics, close) is declared in the
 * section below; see docs/api.md. */

/* An engine: a model on a backend, a batch scheduler with several slots in flight and an
 * optional result cache. Opaque; fields live in host/engine_impl.h.
 *
 * Thread safety: every engine function may be called from any number of threads at
 * once, except hexgpu_engine_close, which must not race with any other call on the same
 * engine (join the submitting threads first). Requests still queued or in flight when
 * close begins complete normally or fail with HEXGPU_ERR_CLOSED; none is lost. */
typedef struct hexgpu_engine hexgpu_engine;

/* A completion queue: where finished asynchronous requests are reported. Any number of
 * threads may submit to it and wait on it; usually one search thread owns one queue.
 * One queue may collect requests of several engines. */
typedef struct hexgpu_queue hexgpu_queue;

/* The library never writes to stderr or stdout itself: what it has to say beyond a
 * returned error (a backend departing from its plan: a CUDA graph capture refused, a
 * convolution falling back to another algorithm; at HEXGPU_LOG_INFO also its plan and
 * first-use times) goes, a line at a time (no newline), to the engine's log function.
 * It may be called from any of the engine's threads, concurrently. */
typedef enum hexgpu_log_level {
    HEXGPU_LOG_WARNING = 0, /* the run goes on, but not as planned (slower, another algorithm) */
    HEXGPU_LOG_INFO = 1     /* timings of planning and first use, for bring-up on a new machine */
} hexgpu_log_level;
typedef void (*hexgpu_log_fn)(void *user, hexgpu_log_level level, const char *line);

#define HEXGPU_MAX_DEVICES 16
#define HEXGPU_DEVICES_ALL (-1) /* device_count: every device the backend reports (CPU: 1) */

typedef struct hexgpu_engine_options {
    hexgpu_backend_kind backend; /* AUTO */
    int device;                  /* CUDA device ordinal, 0 (used when device_count is 0) */
    /* Several devices in one engine: one backend context per entry of devices[0..device_count),
     * each with its own `slots` slots (and streams); every slot of every device takes the next
     * batch from the one queue when it is free, and the cache is shared. device_count 0 = just
     * `device`; HEXGPU_DEVICES_ALL = every CUDA device the backend reports (the CPU backend: 1).
     * A device may be listed twice (two contexts on it). The CPU backend ignores the ordinal:
     * each entry is a stand-in context with cpu_threads threads. Resolved (options_used):
     * device_count >= 1, device = devices[0]. */
    int devices[HEXGPU_MAX_DEVICES];
    int device_count;
    hexgpu_precision precision;  /* AUTO */
    int max_batch;               /* largest batch one slot launches; 0 = the backend's own (1024 on CUDA,
                                    64 on the CPU) */
    int slots;                   /* batches in flight at once, each with its own buffers and stream: 3 */
    size_t cache_entries;        /* result cache capacity in positions; 0 = no cache (default) */
    int fill_window_us;          /* a free slot waits up to this long for a fuller batch; 0 = never waits */
    int want_logits;             /* 1 (default): raw logits can be asked for (and are cached) */
    int cpu_threads;             /* CPU backend worker threads; 0 = all cores */
    int timeline;                /* 1: keep each batch's h2d/compute/d2h instants (the last 65536
                                    batches) for hexgpu_engine_timeline_write and overlap_fraction;
                                    0 (default): nothing is measured */
    hexgpu_log_fn log;           /* NULL (default): each line to stderr */
    void *log_user;              /* passed to log */
    hexgpu_log_level log_level;  /* lines up to this level are given to log: HEXGPU_LOG_WARNING */
} hexgpu_engine_options;

/* The defaults listed above. */
void hexgpu_engine_options_default(hexgpu_engine_options *options);

/* Loads the model file (.safetensors, .pt, .pt.gz), chooses and starts the backend,
 * allocates every slot and the cache once. options may be NULL (defaults). On failure
 * *engine is NULL, nothing is left allocated, and err says what (a path that names no
 * readable regular file, or bad options: HEXGPU_ERR_INVALID_ARGUMENT; a failing read:
 * HEXGPU_ERR_IO; a bad model: HEXGPU_ERR_MODEL_FORMAT; a cache or slot that does not
 * fit: HEXGPU_ERR_OUT_OF_MEMORY naming the bytes asked for; no GPU for --backend cuda:
 * HEXGPU_ERR_NO_DEVICE). */
hexgpu_status hexgpu_engine_open(const char *model_path, const hexgpu_engine_options *options,
                                 hexgpu_engine **engine, hexgpu_error *err);

/* Stops the workers and frees everything. Queued requests fail with HEXGPU_ERR_CLOSED,
 * batches already launched finish and complete. NULL is a no-op. Queues are not
 * destroyed (they belong to the caller) and receive every completion before close
 * returns. */
void hexgpu_engine_close(hexgpu_engine *engine);

/* n of the model's n x n board: positions must have this size, policy has n*n entries. */
int hexgpu_engine_board_size(const hexgpu_engine *engine);
/* "cpu", "cuda" or the name of an injected backend; and how it was chosen, e.g.
 * "backend cpu (no usable GPU: ...)". Valid until close. */
const char *hexgpu_engine_backend_name(const hexgpu_engine *engine);
const char *hexgpu_engine_backend_choice(const hexgpu_engine *engine);
/* The options after defaults were resolved (max_batch, precision actually run). */
hexgpu_engine_options hexgpu_engine_options_used(const hexgpu_engine *engine);

/* Synchronous evaluation of count positions (blocks until all are done). Outputs, each
 * optional (NULL), are indexed like positions: value [count] (tanh output, Red's point
 * of view: P(Red wins) = (v+1)/2), policy [count][n*n] (probabilities over the empty
 * cells, occupied cells exactly 0), logits [count][n*n] (raw, unmasked; needs
 * want_logits). Every position is validated first: an invalid one fails the call with
 * HEXGPU_ERR_INVALID_POSITION naming its index, and nothing is evaluated. On a backend
 * failure the call returns that batch's error; outputs of the other positions are
 * written but the caller should treat the whole call as failed. */
hexgpu_status hexgpu_engine_evaluate(hexgpu_engine *engine, const hexgpu_position *positions, size_t count,
                                     float *value, float *policy, float *logits, hexgpu_error *err);

/* One asynchronous request. The engine copies the position and the pointers at submit,
 * so the request array may be reused at once; the output buffers (any may be NULL;
 * policy/logits hold n*n floats) must stay valid until the request's completion has
 * been returned by hexgpu_queue_wait. */
typedef struct hexgpu_request {
    hexgpu_position position;
    float *value;
    float *policy;
    float *logits;
    uint64_t tag; /* the caller's, returned in the completion */
} hexgpu_request;

typedef struct hexgpu_completion {
    uint64_t tag;
    hexgpu_status status; /* HEXGPU_OK: outputs written. Else its batch failed or the engine closed */
    int cached;           /* 1 when answered from the result cache */
} hexgpu_completion;

/* Create/destroy a completion queue. destroy blocks until every request submitted on
 * it has completed (its outputs are no longer touched), then frees it; NULL is a no-op. */
hexgpu_status hexgpu_queue_create(hexgpu_queue **queue, hexgpu_error *err);
void hexgpu_queue_destroy(hexgpu_queue *queue);

/* Submits count requests; each completes on queue, in any order (cache hits at once,
 * before submit returns). All requests are validated first (position, size == the
 * model's n, logits asked for without want_logits); on any failure nothing is
 * submitted and err names the request index. Never blocks on evaluation. */
hexgpu_status hexgpu_engine_submit(hexgpu_engine *engine, hexgpu_queue *queue, const hexgpu_request *requests,
                                   size_t count, hexgpu_error *err);

/* Moves up to max finished completions into done and sets *got. Waits up to
 * timeout_ms (< 0: no limit; 0: just looks) for the first one. Returns HEXGPU_OK with
 * *got >= 1, HEXGPU_OK with *got == 0 when nothing submitted on this queue is
 * outstanding (nothing could arrive), or HEXGPU_ERR_TIMEOUT with *got == 0. */
hexgpu_status hexgpu_queue_wait(hexgpu_queue *queue, hexgpu_completion *done, size_t max, int timeout_ms,
                                size_t *got);
/* Requests submitted on queue whose completion has not yet been collected. */
size_t hexgpu_queue_outstanding(hexgpu_queue *queue);
/* The message of the most recent failed completion on queue (status HEXGPU_OK and an
 * empty message when none failed). */
void hexgpu_queue_last_error(hexgpu_queue *queue, hexgpu_error *err);

/* Statistics since open. Histograms are log-scale; percentiles are accurate to ~5%. */
#define HEXGPU_STATS_BATCH_BUCKETS 16 /* batch sizes 1, 2-3, 4-7, ..., >= 32768 */

/* One device's share of the engine's work (its backend context and slots). */
typedef struct hexgpu_device_stats {
    int device;                /* the ordinal of options.devices[i] */
    uint64_t evaluated;        /* positions run through this device's batches that succeeded */
    uint64_t failed;           /* positions in this device's batches that failed */
    uint64_t batches;          /* batches launched on this device (failed ones included) */
    double boards_per_second;  /* evaluated / wall_seconds */
    double busy_fraction;      /* time with >= 1 of this device's slots launched / wall time */
} hexgpu_device_stats;

typedef struct hexgpu_engine_stats {
    double wall_seconds;           /* since open */
    uint64_t requests;             /* submitted (cache hits included) */
    uint64_t completed;            /* completed OK */
    uint64_t failed;               /* completed with an error (backend or closed) */
    uint64_t evaluated;            /* positions run through the backend */
    uint64_t coalesced;            /* requests answered by an evaluation of the same position
                                      that was already queued or running (cache on only):
                                      completed with it, never evaluated themselves, not cache hits */
    double boards_per_second;      /* evaluated / wall_seconds */
    uint64_t batches;
    double mean_batch;
    uint64_t batch_histogram[HEXGPU_STATS_BATCH_BUCKETS]; /* bucket b: sizes [2^b, 2^(b+1)) */
    double queue_wait_p50_us, queue_wait_p99_us;          /* submit -> taken into a batch */
    double batch_latency_p50_us, batch_latency_p99_us;    /* launch -> results distributed */
    double busy_fraction;          /* time with >= 1 slot launched / wall time */
    uint64_t cache_hits, cache_misses, cache_evictions, cache_size, cache_capacity;
    double cache_hit_rate;         /* hits / (hits + misses), 0 when none */
    double overlap_fraction;       /* timeline on: share of the compute time (all slots, the batches
                                      in the timeline) during which another slot's h2d or d2h copy
                                      ran; -1 when not measured (timeline off, no batch yet, or a
                                      backend that does not time its phases) */
    /* Where the backend departs from its plan (CUDA; zero elsewhere): (slot, bucket) pairs
     * replayed from a CUDA graph and those whose capture was refused (they run the layers
     * directly: same answers, more launch overhead), and (layer, bucket) pairs whose fused
     * convolution fell back to cuDNN's IMPLICIT_PRECOMP_GEMM algorithm. */
    uint64_t graphs_captured, graphs_refused, conv_fallbacks;
    /* Per device, in the order of options.devices; the fields above are the totals
     * (busy_fraction: time with >= 1 slot of any device launched). */
    int device_count;
    hexgpu_device_stats devices[HEXGPU_MAX_DEVICES];
} hexgpu_engine_stats;

void hexgpu_engine_stats_read(hexgpu_engine *engine, hexgpu_engine_stats *stats);
/* Formats stats as one JSON object (no newline), snprintf-style: returns the length
 * the whole object needs; writes at most len bytes, NUL-terminated. */
size_t hexgpu_engine_stats_json(const hexgpu_engine_stats *stats, char *buf, size_t len);

/* Writes the timeline (options.timeline = 1) as a Chrome trace JSON file that
 * chrome://tracing and Perfetto open: per batch one complete event each for h2d, compute
 * and d2h (ts/dur in microseconds), one track (tid) per slot. Batches still running are
 * not included. HEXGPU_ERR_UNSUPPORTED when the engine keeps no timeline (option off, or
 * the backend does not time its phases); HEXGPU_ERR_IO naming path when it cannot be
 * written. Thread safe. */
hexgpu_status hexgpu_engine_timeline_write(hexgpu_engine *engine, const char *path, hexgpu_error *err);

#ifdef __cplusplus
}
#endif
