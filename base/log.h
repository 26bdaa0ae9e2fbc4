/* The library's messages that are not errors (a backend departing from its plan, and
 * bring-up timings), routed to the caller's log function (hexgpu.h): the library itself
 * never writes to stderr. */
#pragma once

#include "base/status.h"
#include "hexgpu.h"

/* Where a component's lines go: fn (NULL: stderr) for lines up to level. Copied by value
 * into whatever reports (an engine, a backend context). */
typedef struct hexgpu_logger {
    hexgpu_log_fn fn;
    void *user;
    hexgpu_log_level level;
} hexgpu_logger;

/* 1 when a line of this level would be given to the logger (NULL: warnings only). */
int hexgpu_log_enabled(const hexgpu_logger *logger, hexgpu_log_level level);

/* Formats one line (a newline in it is replaced by a space; at most 1023 bytes) and gives
 * it to logger->fn, or writes it to stderr with a newline when logger or its fn is NULL;
 * nothing when the level is above the logger's. */
void hexgpu_log(const hexgpu_logger *logger, hexgpu_log_level level, const char *fmt, ...) HEXGPU_PRINTF(3, 4);
