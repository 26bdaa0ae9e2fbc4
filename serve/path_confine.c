/* Names resolved inside one folder (see path_confine.h). */
#include "serve/path_confine.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/status.h"

static int safe_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-' || c == '+';
}

/* One component of a name: non-empty, safe characters, not hidden. */
static int safe_component(const char *s, size_t len) {
    if (len == 0 || s[0] == '.') return 0;
    for (size_t i = 0; i < len; i++)
        if (!safe_char(s[i])) return 0;
    return 1;
}

int hexgpu_name_is_safe(const char *name) {
    if (!name) return 0;
    size_t len = strnlen(name, HEXGPU_NAME_MAX + 1);
    if (len == 0 || len > HEXGPU_NAME_MAX) return 0;
    int components = 0;
    const char *start = name;
    for (const char *p = name;; p++) {
        if (*p == '/' || *p == '\0') {
            if (!safe_component(start, (size_t)(p - start)) || ++components > HEXGPU_NAME_DEPTH) return 0;
            if (*p == '\0') return 1;
            start = p + 1;
        }
    }
}

int hexgpu_name_has_suffix(const char *name, const char *const *suffixes) {
    size_t len = strlen(name);
    for (; suffixes && *suffixes; suffixes++) {
        size_t n = strlen(*suffixes);
        if (len > n && strcmp(name + len - n, *suffixes) == 0) return 1;
    }
    return 0;
}

int hexgpu_confined_open(int root_fd, const char *name, int flags, hexgpu_error *err) {
    if (!hexgpu_name_is_safe(name)) {
        hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT,
                         "'%.80s' is not a name the server accepts (a relative path of letters, digits, '.', '_', "
                         "'-', '+'; no '..', no leading '/')",
                         name ? name : "");
        return -1;
    }
    int creating = (flags & O_CREAT) != 0;
    if (creating && strchr(name, '/')) {
        hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "'%s': files are created directly in the folder", name);
        return -1;
    }
    int dir = root_fd;
    const char *start = name;
    char part[HEXGPU_NAME_MAX + 1];
    for (;;) {
        const char *slash = strchr(start, '/');
        if (!slash) break;
        memcpy(part, start, (size_t)(slash - start));
        part[slash - start] = '\0';
        int next = openat(dir, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dir != root_fd) close(dir);
        if (next < 0) {
            hexgpu_error_set(err, HEXGPU_ERR_IO, "'%s': no such folder", name);
            return -1;
        }
        dir = next;
        start = slash + 1;
    }
    int fd = openat(dir, start, flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0644);
    int saved = errno;
    if (dir != root_fd) close(dir);
    if (fd < 0) {
        hexgpu_error_set(err, HEXGPU_ERR_IO, "'%s': %s", name,
                         saved == ELOOP ? "a symbolic link (not followed)" : strerror(saved));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        hexgpu_error_set(err, HEXGPU_ERR_IO, "'%s' is not a regular file", name);
        return -1;
    }
    /* O_NONBLOCK only kept a FIFO from blocking the open; regular files ignore it. */
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return fd;
}

typedef struct listing {
    const char *const *suffixes;
    int max, count, capacity, failed;
    hexgpu_confined_entry *entries;
} listing;

static void walk(listing *l, int dir_fd, const char *prefix, int depth) {
    /* A descriptor of its own (not dup, which would share the read position with other
     * listings of the same folder running at the same time). */
    int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL && !l->failed && l->count < l->max) {
        const char *n = e->d_name;
        if (!safe_component(n, strlen(n))) continue;
        char rel[HEXGPU_NAME_MAX + 1];
        size_t need = strlen(prefix) + strlen(n) + 1;
        if (need > HEXGPU_NAME_MAX) continue;
        strcpy(rel, prefix);
        strcat(rel, n);
        struct stat st;
        if (fstatat(dir_fd, n, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        if (S_ISDIR(st.st_mode) && depth + 1 < HEXGPU_NAME_DEPTH) {
            int sub = openat(dir_fd, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub < 0) continue;
            strcat(rel, "/");
            walk(l, sub, rel, depth + 1);
            close(sub);
        } else if (S_ISREG(st.st_mode) && hexgpu_name_has_suffix(n, l->suffixes)) {
            if (l->count == l->capacity) {
                int cap = l->capacity ? 2 * l->capacity : 64;
                hexgpu_confined_entry *grown = realloc(l->entries, (size_t)cap * sizeof *grown);
                if (!grown) {
                    l->failed = 1;
                    break;
                }
                l->entries = grown, l->capacity = cap;
            }
            hexgpu_confined_entry *out = &l->entries[l->count++];
            strcpy(out->name, rel);
            out->bytes = (uint64_t)st.st_size;
            out->modified = (int64_t)st.st_mtime;
        }
    }
    closedir(d);
}

static int by_name(const void *a, const void *b) {
    return strcmp(((const hexgpu_confined_entry *)a)->name, ((const hexgpu_confined_entry *)b)->name);
}

int hexgpu_confined_list(int root_fd, const char *const *suffixes, int max, hexgpu_confined_entry **out,
                         hexgpu_error *err) {
    listing l = {.suffixes = suffixes, .max = max};
    *out = NULL;
    walk(&l, root_fd, "", 0);
    if (l.failed) {
        free(l.entries);
        hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "out of memory listing the folder");
        return -1;
    }
    if (l.count > 1) qsort(l.entries, (size_t)l.count, sizeof *l.entries, by_name);
    *out = l.entries;
    return l.count;
}
