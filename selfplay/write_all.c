/* See write_all.h. */
#include "selfplay/write_all.h"

#include <errno.h>
#include <unistd.h>

int hexgpu_write_all(int fd, const void *buf, size_t len) {
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (n == 0) errno = ENOSPC;
            return 0;
        }
        p += n, len -= (size_t)n;
    }
    return 1;
}
