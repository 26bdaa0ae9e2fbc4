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

#ifdef __cplusplus
}
#endif
