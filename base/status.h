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
 * layer at an outer level). Keeps the status. Returns err->status (HEXGPU_OK if NULL). */
hexgpu_status hexgpu_error_prefix(hexgpu_error *err, const char *fmt, ...) HEXGPU_PRINTF(2, 3);

/* Resets err to HEXGPU_OK with an empty message. */
void hexgpu_error_clear(hexgpu_error *err);
