/* Stand-ins for libhexgpu_cuda.so, so that the loader's paths run on any build, GPU and
 * CUDA toolkit or not (tests/cli/test_cuda_module.c). One source, built as several
 * modules by tests/CMakeLists.txt, each with one FAKE_MODULE_* definition:
 *   FAKE_MODULE_CPU       a table of the current ABI that is the CPU backend under the
 *                         name "cuda" (available, a device name), to show a loaded
 *                         module is the one used
 *   FAKE_MODULE_OLD_ABI   a table of an older backend ABI (3)
 *   FAKE_MODULE_NO_ENTRY  exports something else
 *   FAKE_MODULE_MISSING_DEPENDENCY  the CPU one, linked to a library the loader cannot
 *                         find (as the real module is where cuDNN is missing) */
#include <stdio.h>

#include "runtime/backend.h"

#if defined(FAKE_MODULE_CPU) || defined(FAKE_MODULE_MISSING_DEPENDENCY)
#ifdef FAKE_MODULE_MISSING_DEPENDENCY
int hexgpu_fake_dependency(void);
#endif

static int fake_available(int device, char *why, size_t why_len) {
#ifdef FAKE_MODULE_MISSING_DEPENDENCY
    device += hexgpu_fake_dependency();
#endif
    snprintf(why, why_len, "fake CUDA module: device %d is the CPU", device);
    return 1;
}

static int fake_device_name(int device, int threads, char *name, size_t len) {
    (void)threads;
    snprintf(name, len, "fake device %d", device);
    return 1;
}

static hexgpu_backend_ops fake;

const hexgpu_backend_ops *hexgpu_cuda_backend_entry(int abi_version);
const hexgpu_backend_ops *hexgpu_cuda_backend_entry(int abi_version) {
    (void)abi_version;
    fake = hexgpu_backend_cpu;
    fake.name = "cuda";
    fake.available = fake_available;
    fake.device_name = fake_device_name;
    return &fake;
}
#elif defined(FAKE_MODULE_OLD_ABI)
static const hexgpu_backend_ops old = {.abi_version = 3, .name = "cuda"};

const hexgpu_backend_ops *hexgpu_cuda_backend_entry(int abi_version);
const hexgpu_backend_ops *hexgpu_cuda_backend_entry(int abi_version) {
    (void)abi_version;
    return &old;
}
#elif defined(FAKE_MODULE_NO_ENTRY)
int hexgpu_fake_something_else(void);
int hexgpu_fake_something_else(void) { return 0; }
#else
#error "define one FAKE_MODULE_* (tests/CMakeLists.txt)"
#endif
