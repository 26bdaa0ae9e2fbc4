/* What the bench and check reports say about the run (cli/describe.c). */
#pragma once

#include <stddef.h>

#include "hexgpu.h"
#include "runtime/backend.h"

/* The CUDA card's name (ops is cuda), or the CPU model, its cores, the instruction set
 * of the convolution kernel and the threads a batch is split over (threads 0 = every core), into name. */
void hexgpu_cli_device_name(const hexgpu_backend_ops *ops, int device, int threads, char *name, size_t len);

/* "fp16", "fp32" or "auto". */
const char *hexgpu_cli_precision_name(hexgpu_precision precision);

/* text as a JSON string body (quotes, backslashes, control characters escaped) in out;
 * returns out. */
const char *hexgpu_cli_json_escape(const char *text, char *out, size_t len);
