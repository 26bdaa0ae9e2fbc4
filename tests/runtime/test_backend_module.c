/* runtime/backend_module.c: opening a backend module by its path, with the stand-ins of
 * tests/modules: the table of a good one, and the loader's reason for each refusal. */
#include <criterion/criterion.h>
#include <string.h>

#include "runtime/backend.h"

static void expect_refused(const char *path, const char *want) {
    char why[512] = "";
    cr_assert_null(hexgpu_backend_module_open(path, HEXGPU_CUDA_MODULE_ENTRY, why, sizeof why));
    cr_assert(strstr(why, want), "'%s' lacks '%s'", why, want);
}

Test(backend_module, a_good_module_gives_its_table) {
    char why[512] = "";
    const hexgpu_backend_ops *ops = hexgpu_backend_module_open(HEXGPU_FAKE_CUDA_CPU, HEXGPU_CUDA_MODULE_ENTRY, why,
                                                               sizeof why);
    cr_assert_not_null(ops, "%s", why);
    cr_assert_eq(ops->abi_version, HEXGPU_BACKEND_ABI_VERSION);
    cr_assert_str_eq(ops->name, "cuda");
    char name[64] = "";
    hexgpu_backend_device_name(ops, 3, 0, name, sizeof name);
    cr_assert_str_eq(name, "fake device 3");
    /* Opened twice, the loader hands back the same module. */
    cr_assert_eq(hexgpu_backend_module_open(HEXGPU_FAKE_CUDA_CPU, HEXGPU_CUDA_MODULE_ENTRY, why, sizeof why), ops);
}

Test(backend_module, refusals_say_why) {
    expect_refused("/nonexistent/libhexgpu_cuda.so",
                   "/nonexistent/libhexgpu_cuda.so: cannot open shared object file: No such file or directory");
    expect_refused(HEXGPU_FAKE_CUDA_MISSING_DEPENDENCY, "libhexgpu_fake_dependency.so: cannot open shared object file");
    expect_refused(HEXGPU_FAKE_CUDA_OLD_ABI, "has backend ABI 3, this hexgpu needs 5 (the module is from another");
    expect_refused(HEXGPU_FAKE_CUDA_NO_ENTRY, ": not a hexgpu backend module (");
    expect_refused(HEXGPU_FAKE_CUDA_CPU "-not-there", "-not-there: cannot open shared object file");
    /* A backend without device_name is "unknown"; the CPU's names its kernels and threads. */
    char name[512] = "untouched";
    hexgpu_backend_ops bare = hexgpu_backend_cpu;
    bare.device_name = NULL;
    hexgpu_backend_device_name(&bare, 0, 0, name, sizeof name);
    cr_assert_str_eq(name, "unknown");
    hexgpu_backend_device_name(&hexgpu_backend_cpu, 0, 3, name, sizeof name);
    cr_assert(strstr(name, " kernels, 3 threads") != NULL, "%s", name);
}
