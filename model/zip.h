/* A read-only zip archive view over bytes in memory (the container of PyTorch .pt files):
 * central directory, ZIP64, stored entries. Entries point into the caller's buffer. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "hexgpu.h"

typedef struct hexgpu_zip_entry {
    const char *name; /* into the archive bytes, name_len bytes, not NUL-terminated */
    size_t name_len;
    uint16_t method;  /* 0 stored, 8 deflated, ... */
    uint16_t flags;
    uint32_t crc32;
    uint64_t compressed_size, size, local_offset;
} hexgpu_zip_entry;

typedef struct hexgpu_zip {
    const uint8_t *bytes;
    size_t len;
    hexgpu_zip_entry *entries; /* sorted by name */
    size_t count;
} hexgpu_zip;

#define HEXGPU_ZIP_MAX_ENTRIES (1u << 20)

/* Reads the end-of-central-directory record (and its ZIP64 form) and every central
 * directory entry. The directory must end exactly where the end records begin. bytes
 * must outlive the zip. On failure *zip is zeroed. */
hexgpu_status hexgpu_zip_open(hexgpu_zip *zip, const uint8_t *bytes, size_t len, hexgpu_error *err);

void hexgpu_zip_close(hexgpu_zip *zip);

/* The same check of the end records from the archive's last tail_len bytes, for an
 * archive of archive_len bytes: its directory declares exactly that length. Nothing else
 * of the archive is needed. HEXGPU_ZIP_END_BYTES always hold the end records: the end
 * record with the longest comment, the ZIP64 locator and a ZIP64 record with up to
 * 64 KiB of extensible data. */
#define HEXGPU_ZIP_END_BYTES ((size_t)128 << 10)
hexgpu_status hexgpu_zip_check_end(const uint8_t *tail, size_t tail_len, uint64_t archive_len, hexgpu_error *err);

/* The entry with exactly this name, or NULL. */
const hexgpu_zip_entry *hexgpu_zip_find(const hexgpu_zip *zip, const char *name);

/* The contents of a stored entry (checks the local header, the sizes and the CRC-32).
 * Compressed entries are refused with a message naming the method. */
hexgpu_status hexgpu_zip_entry_data(const hexgpu_zip *zip, const hexgpu_zip_entry *entry, const uint8_t **data,
                                    size_t *size, hexgpu_error *err);
