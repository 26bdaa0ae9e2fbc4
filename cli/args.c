/* Option values shared by the subcommands: integers in a range and the --backend and
 * --precision names, each with the one-line usage error the commands print. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/describe.h"
#include "runtime/backend.h"

int hexgpu_cli_parse_int(const char *text, int lo, int hi, int *out) {
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < lo || v > hi) return 0;
    *out = (int)v;
    return 1;
}

int hexgpu_cli_option_int(const char *opt, const char *text, int lo, int hi, int *out) {
    if (hexgpu_cli_parse_int(text, lo, hi, out)) return HEXGPU_EXIT_OK;
    if (hi == INT_MAX) return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "%s needs an integer >= %d, got '%s'", opt, lo, text);
    return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "%s needs an integer in %d..%d, got '%s'", opt, lo, hi, text);
}

int hexgpu_cli_option_int64(const char *opt, const char *text, long long lo, long long hi, long long *out) {
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || end == text || *end || v < lo || v > hi)
        return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "%s needs an integer in %lld..%lld, got '%s'", opt, lo, hi, text);
    *out = v;
    return HEXGPU_EXIT_OK;
}

int hexgpu_cli_option_double(const char *opt, const char *text, double lo, double hi, double *out) {
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end || !(v >= lo && v <= hi)) {
        if (hi >= 1e6) return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "%s needs a number >= %g, got '%s'", opt, lo, text);
        return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "%s needs a number in [%g, %g], got '%s'", opt, lo, hi, text);
    }
    *out = v;
    return HEXGPU_EXIT_OK;
}

void hexgpu_cli_engine_options_default(hexgpu_engine_options *options) {
    hexgpu_engine_options_default(options);
    options->log_level = hexgpu_cli_logger().level;
}

int hexgpu_cli_option_backend(const char *text, hexgpu_backend_kind *out) {
    if (hexgpu_backend_kind_parse(text, out)) return HEXGPU_EXIT_OK;
    return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "--backend must be cpu, cuda or auto, got '%s'", text);
}

int hexgpu_cli_option_precision(const char *text, hexgpu_precision *out) {
    if (strcmp(text, "fp16") == 0) *out = HEXGPU_PRECISION_FP16;
    else if (strcmp(text, "fp32") == 0) *out = HEXGPU_PRECISION_FP32;
    else if (strcmp(text, "auto") == 0) *out = HEXGPU_PRECISION_AUTO;
    else return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "--precision must be fp16, fp32 or auto, got '%s'", text);
    return HEXGPU_EXIT_OK;
}

int hexgpu_cli_option_devices(const char *text, hexgpu_engine_options *out) {
    if (strcmp(text, "all") == 0) {
        out->device_count = HEXGPU_DEVICES_ALL;
        return HEXGPU_EXIT_OK;
    }
    int devices[HEXGPU_MAX_DEVICES], n = 0;
    const char *p = text;
    for (;;) {
        char item[16];
        size_t len = strcspn(p, ",");
        if (n == HEXGPU_MAX_DEVICES || len == 0 || len >= sizeof item) break;
        memcpy(item, p, len);
        item[len] = '\0';
        if (!hexgpu_cli_parse_int(item, 0, INT_MAX, &devices[n])) break;
        n++;
        if (p[len] == '\0') {
            if (n == 1) { /* one ordinal: the plain `device` field, as before lists */
                out->device = devices[0];
                out->device_count = 0;
            } else {
                memcpy(out->devices, devices, (size_t)n * sizeof devices[0]);
                out->device_count = n;
            }
            return HEXGPU_EXIT_OK;
        }
        p += len + 1;
    }
    return hexgpu_cli_fail(HEXGPU_EXIT_USAGE,
                           "--device needs a device ordinal, a comma-separated list of up to %d (0,1) or 'all', got '%s'",
                           HEXGPU_MAX_DEVICES, text);
}
