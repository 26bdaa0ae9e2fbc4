/* What the bench and check reports say about the run: the device, the precision, and
 * text made safe for a JSON string. */
#include "cli/describe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

hexgpu_logger hexgpu_cli_logger(void) {
    const char *verbose = getenv("HEXGPU_CUDA_VERBOSE");
    return (hexgpu_logger){.level = verbose && strcmp(verbose, "1") == 0 ? HEXGPU_LOG_INFO : HEXGPU_LOG_WARNING};
}

const char *hexgpu_cli_json_escape(const char *text, char *out, size_t len) {
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p && o + 7 < len; p++) {
        if (*p == '"' || *p == '\\') o += (size_t)snprintf(out + o, len - o, "\\%c", *p);
        else if (*p < 0x20) o += (size_t)snprintf(out + o, len - o, "\\u%04x", *p);
        else out[o++] = (char)*p;
    }
    out[o] = '\0';
    return out;
}

const char *hexgpu_cli_precision_name(hexgpu_precision precision) {
    return precision == HEXGPU_PRECISION_FP16 ? "fp16" : precision == HEXGPU_PRECISION_FP32 ? "fp32" : "auto";
}
