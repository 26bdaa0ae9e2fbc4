/* Internal helpers for filling a hexgpu_error: every layer reports failures this way. */
#pragma once

#include "hexgpu.h"

#if defined(__GNUC__)
#define HEXGPU_PRINTF(fmt_index, first_arg) __attribute__((format(printf, fmt_index, first_arg)))
#else
#define HEXGPU_PRINTF(fmt_index, first_arg)
#endif

/* Sets err (which may be NULL) to status and a printf-formatted one-line message, and
 * returns status, so that failures read `return hexgpu_error_set(err, ..., "...")`. */
hexgpu_status hexgpu_error_set(hexgpu_error *err, hexgpu_status status, const char *fmt, ...)
    HEXGPU_PRINTF(3, 4);

/* Prefixes the message already in err with "<prefix>: " (for adding the file name or
 * layer at an outer level) and returns status, the failure being reported: callers write
 * `return hexgpu_error_prefix(err, st, "...")`, and a NULL err (a caller who wants no
 * message) still gets the failure back. err->status becomes status unless status is
 * HEXGPU_OK (then only the message changes). */
hexgpu_status hexgpu_error_prefix(hexgpu_error *err, hexgpu_status status, const char *fmt, ...) HEXGPU_PRINTF(3, 4);

/* Resets err to HEXGPU_OK with an empty message. */
void hexgpu_error_clear(hexgpu_error *err);
