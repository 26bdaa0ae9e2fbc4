/* Names that clients send (a model, a record file) resolve inside one folder only: the
 * name must be a plain relative path of safe characters, and it is opened component by
 * component from the folder's descriptor with O_NOFOLLOW, so no "..", no absolute path
 * and no symbolic link (inside or pointing out) can reach anything else. Listings walk
 * the same way and skip links. Names are also HTML-safe by their characters, so the
 * reference page, which puts them into HTML unescaped, cannot be fed markup. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "hexgpu.h"

#define HEXGPU_NAME_MAX 255   /* bytes of a relative name */
#define HEXGPU_NAME_DEPTH 8   /* components of a relative name */

/* 1 when name is accepted: 1..HEXGPU_NAME_MAX bytes, at most HEXGPU_NAME_DEPTH components
 * separated by single '/', each of [A-Za-z0-9._+-], none empty, none starting with '.'. */
int hexgpu_name_is_safe(const char *name);

/* Opens the regular file root/name (flags: O_RDONLY, or O_WRONLY|O_APPEND|O_CREAT for a
 * file directly under root). Returns the descriptor, or -1 with err: an unsafe name
 * (HEXGPU_ERR_INVALID_ARGUMENT), a component that is missing, a link or not what it
 * should be (HEXGPU_ERR_IO). Messages quote the name, never the folder's path. */
int hexgpu_confined_open(int root_fd, const char *name, int flags, hexgpu_error *err);

typedef struct hexgpu_confined_entry {
    char name[HEXGPU_NAME_MAX + 1]; /* relative to the root */
    uint64_t bytes;
    int64_t modified; /* seconds since the epoch */
} hexgpu_confined_entry;

/* The regular files under root (not following links, at most HEXGPU_NAME_DEPTH - 1
 * folders deep, hidden names and unsafe names skipped) whose names end with one of
 * suffixes (NULL-terminated list), sorted by name; at most max entries (the rest are
 * not listed). *out is malloc'd (free it); returns the count, or -1 (out of memory or
 * the root cannot be read) with err. */
int hexgpu_confined_list(int root_fd, const char *const *suffixes, int max, hexgpu_confined_entry **out,
                         hexgpu_error *err);

/* 1 when name ends with one of suffixes. */
int hexgpu_name_has_suffix(const char *name, const char *const *suffixes);
