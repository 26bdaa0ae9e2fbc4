/* What the bench and check reports say about the run: the device, the precision, and
 * text made safe for a JSON string. */
#include "cli/describe.h"

#include "runtime/cpu/cpu_conv_kernel.h"

#include <stdio.h>
#include <string.h>

/* A device backend names its card through its table (the CUDA module's device_name);
 * the CPU's part reads /proc/cpuinfo: "model name" of the first processor, and the
 * processors counted. */
void hexgpu_cli_device_name(const hexgpu_backend_ops *ops, int device, int threads, char *name, size_t len) {
    snprintf(name, len, "unknown");
    if (hexgpu_backend_device_name(ops, device, name, len)) return;
    if (strcmp(ops->name, "cpu") != 0) return;
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512], model[256] = "CPU";
    int cores = 0;
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "processor", 9) == 0) cores++;
        char *colon = strchr(line, ':');
        if (cores == 1 && colon && strncmp(line, "model name", 10) == 0) {
            snprintf(model, sizeof model, "%s", colon + 2);
            model[strcspn(model, "\n")] = '\0';
        }
    }
    if (f) fclose(f);
    snprintf(name, len, "%s, %d cores, %s kernels, %d threads", model, cores, hexgpu_cpu_conv_isa(),
             threads > 0 ? threads : cores);
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
