/* Writing a tensor map as safetensors: F32 for float tensors, I64 for those read as
 * int64 (num_batches_tracked), string metadata, written atomically (temp file + rename). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "hexgpu.h"
#include "model/tensor_map.h"

typedef struct hexgpu_safetensors_meta {
    const char *key, *value;
} hexgpu_safetensors_meta;

/* The file's bytes in memory (malloc'd into *out): tensors sorted by name, the header
 * padded with spaces so the data starts 8-byte aligned. The same map and metadata give
 * the same bytes. */
hexgpu_status hexgpu_safetensors_serialize(const hexgpu_tensor_map *map, const hexgpu_safetensors_meta *meta,
                                           size_t meta_count, uint8_t **out, size_t *out_len, hexgpu_error *err);

/* Writes to "<path>.tmp-XXXXXX" in the same folder, fsyncs, then renames over path: a
 * failure (full disk, I/O error) never leaves a partial file under path, and every
 * write, fsync and close is checked. Errors are HEXGPU_ERR_IO naming the path
 * (hexgpu_file_write_atomic). */
hexgpu_status hexgpu_safetensors_write(const char *path, const hexgpu_tensor_map *map,
                                       const hexgpu_safetensors_meta *meta, size_t meta_count, hexgpu_error *err);
