/* The atomic file write (see file_write.h): the bytes go to a temporary next to the
 * target, which is fsynced and renamed over it, then the folder is fsynced. */
#include "base/file_write.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/status.h"

int hexgpu_write_all(int fd, const void *buf, size_t len) {
    const uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len > ((size_t)1 << 30) ? ((size_t)1 << 30) : len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (n == 0) errno = ENOSPC;
            return 0;
        }
        p += n, len -= (size_t)n;
    }
    return 1;
}

static hexgpu_status write_all(int fd, const uint8_t *b, size_t n, const char *path, hexgpu_error *err) {
    if (hexgpu_write_all(fd, b, n)) return HEXGPU_OK;
    return hexgpu_error_set(err, HEXGPU_ERR_IO, "%s: write failed: %s", path, strerror(errno));
}

/* Makes the rename durable: fsync the folder that holds path. */
static hexgpu_status sync_folder(const char *path, hexgpu_error *err) {
    const char *slash = strrchr(path, '/');
    char folder[4096];
    if (!slash) snprintf(folder, sizeof folder, ".");
    else snprintf(folder, sizeof folder, "%.*s", slash == path ? 1 : (int)(slash - path), path);
    int fd = open(folder, O_RDONLY);
    if (fd < 0) return HEXGPU_OK; /* not openable (permissions): the data itself is synced */
    int rc = fsync(fd);
    int saved = errno;
    close(fd);
    if (rc != 0 && saved != EINVAL && saved != EBADF)
        return hexgpu_error_set(err, HEXGPU_ERR_IO, "%s: fsync of its folder failed: %s", path, strerror(saved));
    return HEXGPU_OK;
}

hexgpu_status hexgpu_file_write_atomic(const char *path, const uint8_t *bytes, size_t len, hexgpu_error *err) {
    /* The rename below replaces whatever path names: a device (/dev/full, as root), a FIFO
     * or a link to one must not become a regular file, so only regular targets are replaced. */
    struct stat sb;
    if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode))
        return hexgpu_error_set(err, HEXGPU_ERR_IO, "%s: exists and is not a regular file (not replaced)", path);
    size_t tmp_len = strlen(path) + 16;
    char *tmp = malloc(tmp_len);
    if (!tmp) return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
    snprintf(tmp, tmp_len, "%s.tmp-XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        hexgpu_status st = hexgpu_error_set(err, HEXGPU_ERR_IO, "%s: cannot create a temporary file next to it: %s",
                                            path, strerror(errno));
        free(tmp);
        return st;
    }
    hexgpu_status st = write_all(fd, bytes, len, path, err);
    if (st == HEXGPU_OK && fchmod(fd, 0644) != 0)
        st = hexgpu_error_set(err, HEXGPU_ERR_IO, "%s: chmod failed: %s", path, strerror(errno));
    if (st == HEXGPU_OK && fsync(fd) != 0)
        st = hexgpu_error_set(err, HEXGPU_ERR_IO, "%s: fsync failed: %s", path, strerror(errno));
    if (close(fd) != 0 && st == HEXGPU_OK)
        st = hexgpu_error_set(err, HEXGPU_ERR_IO, "%s: close failed: %s", path, strerror(errno));
    if (st == HEXGPU_OK && rename(tmp, path) != 0)
        st = hexgpu_error_set(err, HEXGPU_ERR_IO, "%s: cannot rename the temporary file into place: %s", path,
                              strerror(errno));
    if (st != HEXGPU_OK) unlink(tmp);
    else st = sync_folder(path, err);
    free(tmp);
    return st;
}

hexgpu_status hexgpu_dir_create(const char *dir, hexgpu_error *err) {
    char path[4096];
    size_t len = dir ? strlen(dir) : 0;
    if (len == 0 || len >= sizeof path)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "'%.200s' is not a folder name", dir ? dir : "");
    memcpy(path, dir, len + 1);
    for (size_t i = 1; i <= len; i++) { /* each parent, then dir itself */
        if (path[i] != '/' && path[i] != '\0') continue;
        char keep = path[i];
        path[i] = '\0';
        struct stat st; /* a part that is a file fails its child's mkdir, which names the child */
        if (stat(path, &st) != 0 && mkdir(path, 0777) != 0 && errno != EEXIST)
            return hexgpu_error_set(err, HEXGPU_ERR_IO, "cannot create the folder %s: %s", path, strerror(errno));
        path[i] = keep;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return hexgpu_error_set(err, HEXGPU_ERR_IO, "cannot create the folder %s: %s", dir, strerror(ENOTDIR));
    return HEXGPU_OK;
}
