/* Loading model files: the format is detected from the bytes (never the name) and the
 * tensors land in a hexgpu_tensor_map as fp32. Also the per-format readers, exposed for
 * the fuzz targets and tests. See docs/model-files.md for formats, limits and messages. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "hexgpu.h"
#include "model/tensor_map.h"

typedef enum hexgpu_model_format {
    HEXGPU_MODEL_FORMAT_UNKNOWN = 0,
    HEXGPU_MODEL_FORMAT_SAFETENSORS,
    HEXGPU_MODEL_FORMAT_TORCH_ZIP, /* torch.save .pt (zip of data.pkl + storages) */
    HEXGPU_MODEL_FORMAT_TORCH_GZIP /* the same bytes gzipped (.pt.gz) */
} hexgpu_model_format;

typedef struct hexgpu_model_file_info {
    hexgpu_model_format format;
    int trainer_checkpoint; /* 1 when the weights came from a dict's 'model_state_dict' */
    int board_size;         /* safetensors __metadata__ "board_size", 0 when absent */
    char arch[64];          /* safetensors __metadata__ "arch", "" when absent */
    char stripped_prefix[64]; /* "module." / "_orig_mod." removed from every key, "" when none */
} hexgpu_model_file_info;

/* Limits that keep hostile files from costing much (see docs/model-files.md and
 * docs/reliability.md). The full-size network is 45 MB of fp32, a trainer checkpoint
 * with its Adam state about 135 MB: every limit is several times what it needs. */
#define HEXGPU_MODEL_MAX_FILE_BYTES ((uint64_t)1 << 30)       /* file size and inflated size: 1 GiB */
#define HEXGPU_MODEL_MAX_HEADER_BYTES ((uint64_t)8 << 20)     /* safetensors JSON header: 8 MiB */
#define HEXGPU_MODEL_MAX_HEADER_VALUES ((size_t)1 << 18)      /* JSON values in that header */
#define HEXGPU_MODEL_MAX_HEADER_DEPTH 8                       /* its nesting (a tensor's shape is at 3) */
#define HEXGPU_MODEL_MAX_TENSORS 16384
/* A .pt.gz that inflates to at most this is inflated once; a larger one twice: first
 * only to learn its size and check that its zip end records declare exactly that many
 * bytes, then into a buffer of that size. */
#define HEXGPU_MODEL_GZIP_ONE_PASS_BYTES ((uint64_t)64 << 20)

/* "safetensors", "pt (zip)", "pt.gz", "unknown". */
const char *hexgpu_model_format_name(hexgpu_model_format format);

/* Reads the file and loads it as hexgpu_model_bytes_load does; messages start with the
 * path. info may be NULL. On failure *out is empty. The file is opened non-blocking and
 * must be a regular file (a FIFO, device, socket or folder is refused at once:
 * HEXGPU_ERR_INVALID_ARGUMENT, like a path that names nothing or cannot be opened for
 * want of permission; HEXGPU_ERR_IO is a failing read). Its first bytes decide the
 * format and, for safetensors and zip, the header or end records are checked against
 * the file's size before the rest is read. */
hexgpu_status hexgpu_model_file_load(const char *path, hexgpu_tensor_map *out, hexgpu_model_file_info *info,
                                     hexgpu_error *err);

/* Detects the format from the first bytes (1f 8b gzip, "PK\3\4" zip, else a plausible
 * safetensors header length) and loads every tensor of the model. out must be empty. */
hexgpu_status hexgpu_model_bytes_load(const uint8_t *bytes, size_t len, hexgpu_tensor_map *out,
                                      hexgpu_model_file_info *info, hexgpu_error *err);

/* ---- per-format readers (same contract as hexgpu_model_bytes_load) */
hexgpu_status hexgpu_safetensors_load(const uint8_t *bytes, size_t len, hexgpu_tensor_map *out,
                                      hexgpu_model_file_info *info, hexgpu_error *err);
/* The JSON header length of a safetensors file of file_len bytes from its first 8 bytes:
 * refused above HEXGPU_MODEL_MAX_HEADER_BYTES or past the end of the file. */
hexgpu_status hexgpu_safetensors_header_length(const uint8_t *bytes, uint64_t file_len, uint64_t *header_len,
                                               hexgpu_error *err);
/* The header of a safetensors file of file_len bytes, from bytes holding at least its
 * first 8 + header length: the JSON within its limits, the tensor count, every
 * data_offsets inside the data and no byte after the last tensor's. */
hexgpu_status hexgpu_safetensors_check_header(const uint8_t *bytes, uint64_t file_len, hexgpu_error *err);
hexgpu_status hexgpu_torch_zip_load(const uint8_t *bytes, size_t len, hexgpu_tensor_map *out,
                                    hexgpu_model_file_info *info, hexgpu_error *err);

/* Inflates the gzip stream (one or more members) of a .pt.gz into a malloc'd buffer of
 * at most max_out bytes. The inflated bytes must be a zip archive: the first four are
 * checked as soon as they are out, so anything else costs nothing. Past
 * HEXGPU_MODEL_GZIP_ONE_PASS_BYTES the stream is inflated twice (see above), so memory
 * beyond that is spent only on an archive whose end records declare it. A truncated or
 * corrupt stream, or one that inflates past max_out, is an error. */
hexgpu_status hexgpu_gzip_inflate(const uint8_t *bytes, size_t len, uint64_t max_out, uint8_t **out,
                                  size_t *out_len, hexgpu_error *err);
