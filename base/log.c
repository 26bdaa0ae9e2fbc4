/* The log line: formatted once, handed to the caller's function or written to stderr. */
#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>

int hexgpu_log_enabled(const hexgpu_logger *logger, hexgpu_log_level level) {
    return level <= (logger ? logger->level : HEXGPU_LOG_WARNING);
}

void hexgpu_log(const hexgpu_logger *logger, hexgpu_log_level level, const char *fmt, ...) {
    if (!hexgpu_log_enabled(logger, level)) return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    for (char *p = line; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
    if (logger && logger->fn) logger->fn(logger->user, level, line);
    else fprintf(stderr, "%s\n", line); /* one call: lines of two threads do not interleave */
}
