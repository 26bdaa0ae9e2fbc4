/* What the bench and check reports say about the run (cli/describe.c), and where the
 * library's log lines go. */
#pragma once

#include <stddef.h>

#include "base/log.h"
#include "hexgpu.h"
#include "runtime/backend.h"

/* The command's log: stderr, warnings, and with HEXGPU_CUDA_VERBOSE=1 the backend's plan
 * and first-use times too. */
hexgpu_logger hexgpu_cli_logger(void);

/* "fp16", "fp32" or "auto". */
const char *hexgpu_cli_precision_name(hexgpu_precision precision);

/* text as a JSON string body (quotes, backslashes, control characters escaped) in out;
 * returns out. */
const char *hexgpu_cli_json_escape(const char *text, char *out, size_t len);
