/* Test support: the CUDA module of this build, opened by its path. */
#include "support/cuda_probe.h"

#include <stdio.h>

#include "runtime/backend.h"

int hexgpu_test_cuda_usable(char *why, size_t len) {
#ifdef HEXGPU_CUDA_MODULE_PATH
    const hexgpu_backend_ops *ops = hexgpu_backend_module_open(HEXGPU_CUDA_MODULE_PATH, HEXGPU_CUDA_MODULE_ENTRY, why, len);
    return ops && ops->available(0, why, len);
#else
    snprintf(why, len, "this build has no CUDA module");
    return 0;
#endif
}
