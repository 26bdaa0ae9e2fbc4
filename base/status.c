/* Status names and the one-line error messages every layer fills. */
#include "base/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const status_names[HEXGPU_STATUS_COUNT] = {
    [HEXGPU_OK] = "ok",
    [HEXGPU_ERR_INVALID_ARGUMENT] = "invalid argument",
    [HEXGPU_ERR_PARSE] = "parse error",
    [HEXGPU_ERR_INVALID_POSITION] = "invalid position",
    [HEXGPU_ERR_IO] = "i/o error",
    [HEXGPU_ERR_MODEL_FORMAT] = "model format error",
    [HEXGPU_ERR_OUT_OF_MEMORY] = "out of memory",
    [HEXGPU_ERR_NO_DEVICE] = "no usable GPU",
    [HEXGPU_ERR_CUDA] = "CUDA error",
    [HEXGPU_ERR_UNSUPPORTED] = "unsupported",
    [HEXGPU_ERR_CLOSED] = "engine closed",
    [HEXGPU_ERR_TIMEOUT] = "timed out",
    [HEXGPU_ERR_INTERNAL] = "internal error",
};

const char *hexgpu_status_str(hexgpu_status status) {
    if ((unsigned)status >= HEXGPU_STATUS_COUNT || !status_names[status]) return "unknown status";
    return status_names[status];
}

const char *hexgpu_version(void) { return HEXGPU_VERSION_STRING; }

#include "hexgpu_git_commit.h" /* the build tree's, made at every build */
const char *hexgpu_git_commit(void) { return HEXGPU_GIT_COMMIT; }

/* Messages are one line: a newline in a formatted name would break the CLI's contract. */
static void flatten_newlines(char *s) {
    for (; *s; s++)
        if (*s == '\n' || *s == '\r') *s = ' ';
}

hexgpu_status hexgpu_error_set(hexgpu_error *err, hexgpu_status status, const char *fmt, ...) {
    if (!err) return status;
    err->status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    flatten_newlines(err->message);
    return status;
}

hexgpu_status hexgpu_error_prefix(hexgpu_error *err, hexgpu_status status, const char *fmt, ...) {
    if (!err) return status; /* nothing to prefix, but the failure stays a failure */
    if (status != HEXGPU_OK) err->status = status;
    char prefix[HEXGPU_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    char joined[2 * HEXGPU_ERROR_MESSAGE_MAX + 2];
    snprintf(joined, sizeof joined, "%s: %s", prefix, err->message);
    memcpy(err->message, joined, sizeof err->message - 1); /* truncate to the message size */
    err->message[sizeof err->message - 1] = '\0';
    flatten_newlines(err->message);
    return status;
}

void hexgpu_error_clear(hexgpu_error *err) {
    if (!err) return;
    err->status = HEXGPU_OK;
    err->message[0] = '\0';
}
