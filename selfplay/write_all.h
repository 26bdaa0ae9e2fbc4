/* Writing a buffer whole: the one write loop of the record and training files. */
#pragma once

#include <stddef.h>

/* Writes all of buf at the file offset, retrying on EINTR and short writes. One write()
 * takes it all on a regular file short of a full disk or a file size limit (the next call
 * then fails), so a kill never leaves part of it. 1 on success; 0 with errno set (ENOSPC
 * for a write of 0 bytes). */
int hexgpu_write_all(int fd, const void *buf, size_t len);
