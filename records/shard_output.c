/* The merge's outputs (shard_merge_impl.h): none may exist (an input least of all); they
 * are written in a temporary folder beside the record file, `.<name>.merge-XXXXXX`, and
 * moved into place at the end without replacing anything, targets first and records
 * last. A merge killed before that leaves only the temporary folder, which blocks
 * nothing. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/status.h"
#include "records/training_writer.h"
#include "shard_merge_impl.h"

static const char *base_name(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* The name of an input's file that `existing` is (same path, or same device and inode);
 * NULL when it is none of them. */
static const char *input_named(const struct stat *existing, const char *path, const shard_file *files, int count) {
    for (int i = 0; i < count; i++) {
        const char *names[3] = {files[i].path, files[i].train, files[i].sidecar};
        for (int k = 0; k < 3; k++) {
            struct stat st;
            if (!names[k][0]) continue;
            if (strcmp(names[k], path) == 0 ||
                (stat(names[k], &st) == 0 && st.st_dev == existing->st_dev && st.st_ino == existing->st_ino))
                return names[k];
        }
    }
    return NULL;
}

hexgpu_status hexgpu_shard_output_prepare(shard_output *o, const char *output, const shard_file *files, int count,
                                          hexgpu_error *err) {
    memset(o, 0, sizeof *o);
    if (!base_name(output)[0] || strcmp(base_name(output), ".") == 0 || strcmp(base_name(output), "..") == 0)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "--output %s: not a file name", output);
    int n = snprintf(o->path[0], sizeof o->path[0], "%s", output);
    if (n < 0 || (size_t)n >= sizeof o->path[0] - 64 ||
        !hexgpu_training_paths(output, o->path[1], sizeof o->path[1], o->path[2], sizeof o->path[2]))
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "--output: the path is too long");
    const char *name = base_name(output); /* the folder: up to the last slash ("/" for "/x"; "." for "x") */
    snprintf(o->dir, sizeof o->dir, "%.*s",
             name == output       ? 1
             : name - output == 1 ? 1
                                  : (int)(name - output - 1),
             name == output ? "." : output);
    struct stat st;
    if (stat(o->dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "--output %s: %s is not a folder", output, o->dir);
    for (int k = 0; k < 3; k++) {
        if (lstat(o->path[k], &st) != 0) continue; /* absent (or its folder is: creating the temporary says so) */
        struct stat target = st;
        if (S_ISLNK(st.st_mode) && stat(o->path[k], &target) != 0) target = st; /* a dangling link */
        const char *input = input_named(&target, o->path[k], files, count);
        if (input)
            return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT,
                                    "%s is an input (%s): a merge never writes over its inputs", o->path[k], input);
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "%s exists already: not overwritten", o->path[k]);
    }
    return HEXGPU_OK;
}

hexgpu_status hexgpu_shard_output_begin(shard_output *o, hexgpu_error *err) {
    const char *name = base_name(o->path[0]);
    int folder = (int)(name - o->path[0]);
    int n = snprintf(o->folder, sizeof o->folder, "%.*s.%s.merge-XXXXXX", folder, o->path[0], name);
    if (n < 0 || (size_t)n >= sizeof o->folder)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "--output: the path is too long");
    if (!mkdtemp(o->folder)) {
        int code = errno;
        o->folder[0] = '\0';
        return hexgpu_error_set(err, HEXGPU_ERR_IO, "cannot create a temporary folder beside %s: %s", o->path[0],
                                strerror(code));
    }
    for (int k = 0; k < 3; k++) {
        n = snprintf(o->temp[k], sizeof o->temp[k], "%s/%s", o->folder, base_name(o->path[k]));
        if (n < 0 || (size_t)n >= sizeof o->temp[k]) {
            hexgpu_shard_output_abandon(o);
            return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "--output: the path is too long");
        }
    }
    return HEXGPU_OK;
}

static int sync_path(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    if (rc != 0 && (errno == EINVAL || errno == EBADF)) rc = 0; /* a folder some file systems do not sync */
    close(fd);
    return rc;
}

/* Moves temp to path unless path exists: a hard link refuses an existing name atomically;
 * where links are not supported, a check and a rename. */
static int move_no_replace(const char *temp, const char *path) {
    if (link(temp, path) == 0) {
        unlink(temp); /* a failure leaves it to the temporary folder's removal */
        return 0;
    }
    if (errno == EEXIST) return -1;
    struct stat st;
    if (lstat(path, &st) == 0) {
        errno = EEXIST;
        return -1;
    }
    return rename(temp, path);
}

hexgpu_status hexgpu_shard_output_publish(shard_output *o, int with_training, hexgpu_error *err) {
    static const int order[3] = {1, 2, 0}; /* records last: a record file there has its targets */
    hexgpu_status st = HEXGPU_OK;
    for (int i = with_training ? 0 : 2; i < 3 && st == HEXGPU_OK; i++) {
        int k = order[i];
        if (sync_path(o->temp[k]) != 0)
            st = hexgpu_error_set(err, HEXGPU_ERR_IO, "cannot sync %s: %s", o->temp[k], strerror(errno));
        else if (move_no_replace(o->temp[k], o->path[k]) != 0)
            st = errno == EEXIST ? hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT,
                                                    "%s appeared during the merge: not overwritten", o->path[k])
                                 : hexgpu_error_set(err, HEXGPU_ERR_IO, "cannot create %s: %s", o->path[k],
                                                    strerror(errno));
        else o->published[k] = 1;
    }
    if (st != HEXGPU_OK) { /* what was published goes again: all or nothing */
        for (int k = 0; k < 3; k++)
            if (o->published[k]) unlink(o->path[k]), o->published[k] = 0;
        return st;
    }
    hexgpu_shard_output_abandon(o); /* the temporary folder, empty now */
    if (sync_path(o->dir) != 0 && errno != EACCES)
        return hexgpu_error_set(err, HEXGPU_ERR_IO, "cannot sync the folder %s: %s", o->dir, strerror(errno));
    return HEXGPU_OK;
}

void hexgpu_shard_output_abandon(shard_output *o) {
    if (!o->folder[0]) return;
    for (int k = 0; k < 3; k++) unlink(o->temp[k]);
    rmdir(o->folder);
    o->folder[0] = '\0';
}
