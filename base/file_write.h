/* Writing bytes whole: the one write loop (for appending journals such as self-play's
 * record and training files) and the whole-file write that readers never see half of
 * (temp file, fsync, rename). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "hexgpu.h"

/* Writes bytes to "<path>.tmp-XXXXXX" in the same folder (mode 0644), fsyncs, renames it
 * over path and fsyncs the folder. A failure (full disk, I/O error) never leaves a partial
 * file under path, and the temporary is removed; every write, fsync and close is checked.
 * A path that exists and is not a regular file (a device such as /dev/full, a FIFO, a
 * folder, or a link to one) is refused and left as it is. Errors are HEXGPU_ERR_IO naming
 * the path (HEXGPU_ERR_OUT_OF_MEMORY when the temporary's name cannot be allocated). */
hexgpu_status hexgpu_file_write_atomic(const char *path, const uint8_t *bytes, size_t len, hexgpu_error *err);

/* Creates dir and its missing parents, as Python's os.makedirs(exist_ok=True) (what the
 * reference system does with an --output_dir). HEXGPU_ERR_IO "cannot create the folder
 * <part>: <reason>" naming the first part that could not be made (dir itself when it
 * exists but is not a folder); HEXGPU_ERR_INVALID_ARGUMENT for an empty name or one of 4096
 * bytes or more. */
hexgpu_status hexgpu_dir_create(const char *dir, hexgpu_error *err);

/* Writes all of buf at the file offset, retrying on EINTR and short writes. One write()
 * takes it all on a regular file short of a full disk or a file size limit (the next call
 * then fails), so a kill never leaves part of it. 1 on success; 0 with errno set (ENOSPC
 * for a write of 0 bytes). */
int hexgpu_write_all(int fd, const void *buf, size_t len);
