/* PLACEHOLDER: the CPU backend is being written; replaced before anything lands. */
#include "runtime/backend.h"
#include "runtime/status.h"

static int cpu_available(int device, char *why, size_t why_len) {
    (void)device, (void)why, (void)why_len;
    return 1;
}
static hexgpu_status cpu_create(const hexgpu_network *net, const hexgpu_backend_config *config, void **ctx,
                                hexgpu_error *err) {
    (void)net, (void)config, (void)ctx;
    return hexgpu_error_set(err, HEXGPU_ERR_UNSUPPORTED, "cpu backend not written yet");
}
const hexgpu_backend_ops hexgpu_backend_cpu = {
    .abi_version = HEXGPU_BACKEND_ABI_VERSION, .name = "cpu", .available = cpu_available, .create = cpu_create};
