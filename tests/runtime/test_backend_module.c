/* runtime/backend_module.c: opening a backend module by its path, with the stand-ins of
 * tests/modules: the table of a good one, the loader's reason for each refusal, and the
 * libraries a module needs found in the CUDA toolkit's and pip wheels' folders. */
#define _GNU_SOURCE /* realpath, mkdtemp */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/backend.h"
#include "runtime/backend_module_impl.h"

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

/* ---- Libraries the module needs, found outside the loader's path (CUDA toolkit, pip
 * wheels). The stand-in module that needs libhexgpu_fake_dependency.so plays the real
 * module needing libcudnn.so.9; fake folder trees play the toolkit and the wheels. Each
 * test runs in its own process, so the environment and the libraries it loads stay there. */

/* mkdir -p of root/relative; the real path of the result into out. */
static void make_folder(const char *root, const char *relative, char *out) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", root, relative);
    for (char *p = path + strlen(root) + 1; *p; p++)
        if (*p == '/') *p = '\0', mkdir(path, 0755), *p = '/';
    mkdir(path, 0755);
    cr_assert_not_null(realpath(path, out), "%s", path);
}

/* The fake dependency, built in fake_dependency/ beside the modules/ folder of the stand-ins. */
static void copy_fake_dependency(const char *folder) {
    char from[PATH_MAX], to[PATH_MAX], command[3 * PATH_MAX];
    snprintf(from, sizeof from, "%s", HEXGPU_FAKE_CUDA_MISSING_DEPENDENCY);
    *strrchr(from, '/') = '\0';
    strcat(from, "/../fake_dependency/libhexgpu_fake_dependency.so");
    cr_assert_eq(access(from, R_OK), 0, "no %s", from);
    snprintf(to, sizeof to, "%s/libhexgpu_fake_dependency.so", folder);
    snprintf(command, sizeof command, "cp '%s' '%s'", from, to);
    cr_assert_eq(system(command), 0, "%s", command);
}

static int index_of(char (*folders)[PATH_MAX], int n, const char *folder) {
    for (int i = 0; i < n; i++)
        if (strcmp(folders[i], folder) == 0) return i;
    return -1;
}

static char *temp_root(void) {
    static char root[] = "/tmp/hexgpu_libs_XXXXXX";
    cr_assert_not_null(mkdtemp(root));
    return root;
}

static void remove_tree(const char *root) {
    char command[PATH_MAX + 16];
    snprintf(command, sizeof command, "rm -rf '%s'", root);
    cr_assert_eq(system(command), 0);
}

static void clear_search_environment(void) {
    unsetenv("CUDA_HOME"), unsetenv("CUDA_PATH"), unsetenv("VIRTUAL_ENV"), unsetenv("CONDA_PREFIX");
}

Test(backend_module, library_folders_follow_the_documented_order) {
    char *root = temp_root();
    char lib64[PATH_MAX], targets[PATH_MAX], venv_cublas[PATH_MAX], venv_cudnn[PATH_MAX], conda[PATH_MAX],
        home[PATH_MAX], ignored[PATH_MAX];
    make_folder(root, "cuda/lib64", lib64);
    make_folder(root, "cuda/targets/x86_64-linux/lib", targets);
    make_folder(root, "venv/lib/python3.11/site-packages/nvidia/cublas/lib", venv_cublas);
    make_folder(root, "venv/lib/python3.11/site-packages/nvidia/cudnn/lib", venv_cudnn);
    make_folder(root, "conda/lib/python3.12/site-packages/nvidia/cu13/lib", conda);
    make_folder(root, "home/.local/lib/python3.10/site-packages/nvidia/nccl/lib", home);
    make_folder(root, "venv/lib/python3.11/site-packages/nvidia/cudnn/include", ignored);
    clear_search_environment();
    char value[PATH_MAX + 16];
    snprintf(value, sizeof value, "%s/cuda", root), setenv("CUDA_HOME", value, 1);
    snprintf(value, sizeof value, "%s/venv", root), setenv("VIRTUAL_ENV", value, 1);
    snprintf(value, sizeof value, "%s/conda", root), setenv("CONDA_PREFIX", value, 1);
    snprintf(value, sizeof value, "%s/home", root), setenv("HOME", value, 1);
    static char folders[HEXGPU_LIBRARY_FOLDERS_MAX][PATH_MAX];
    int n = hexgpu_cuda_library_folders(folders, HEXGPU_LIBRARY_FOLDERS_MAX);
    const char *const order[] = {lib64, targets, venv_cublas, venv_cudnn, conda, home};
    int last = -1;
    for (int i = 0; i < 6; i++) {
        int at = index_of(folders, n, order[i]);
        cr_assert_gt(at, last, "%s at %d, after index %d", order[i], at, last);
        last = at;
    }
    cr_assert_eq(index_of(folders, n, ignored), -1, "only nvidia/<name>/lib folders");
    for (int i = 0; i < n; i++) {
        struct stat st;
        cr_assert(stat(folders[i], &st) == 0 && S_ISDIR(st.st_mode), "%s is no folder", folders[i]);
        for (int k = 0; k < i; k++) cr_assert_str_neq(folders[i], folders[k], "listed twice");
    }
    /* CUDA_HOME's folders come before /usr/local/cuda's, which come before any wheel. */
    int usr_local = index_of(folders, n, "/usr/local/cuda/lib64");
    char real[PATH_MAX];
    if (realpath("/usr/local/cuda/lib64", real)) usr_local = index_of(folders, n, real);
    if (usr_local >= 0) cr_assert(usr_local > index_of(folders, n, targets) && usr_local < index_of(folders, n, venv_cublas));
    remove_tree(root);
}

/* The module's missing library in a wheel's folder (or the toolkit's): loaded from there,
 * then the module; and said where it came from. */
static void found_in(const char *variable, const char *relative) {
    char *root = temp_root(), folder[PATH_MAX], value[PATH_MAX + 16], why[512] = "", described[2048];
    make_folder(root, relative, folder);
    copy_fake_dependency(folder);
    clear_search_environment();
    snprintf(value, sizeof value, "%s", root), setenv(variable, value, 1);
    const hexgpu_backend_ops *ops =
        hexgpu_backend_module_open(HEXGPU_FAKE_CUDA_MISSING_DEPENDENCY, HEXGPU_CUDA_MODULE_ENTRY, why, sizeof why);
    cr_assert_not_null(ops, "%s", why);
    cr_assert_str_eq(ops->name, "cuda");
    hexgpu_backend_libraries_describe(described, sizeof described);
    char want[PATH_MAX + 64];
    snprintf(want, sizeof want, "libhexgpu_fake_dependency.so from %s", folder);
    cr_assert(strstr(described, want), "'%s' lacks '%s'", described, want);
    remove_tree(root);
}

Test(backend_module, a_missing_library_is_found_in_a_wheel_folder) {
    found_in("VIRTUAL_ENV", "lib/python3.11/site-packages/nvidia/cudnn/lib");
}

Test(backend_module, a_missing_library_is_found_in_the_toolkit_folder) { found_in("CUDA_HOME", "lib64"); }

Test(backend_module, a_library_found_nowhere_says_where_it_was_looked_for) {
    clear_search_environment();
    expect_refused(HEXGPU_FAKE_CUDA_MISSING_DEPENDENCY,
                   "libhexgpu_fake_dependency.so: cannot open shared object file: No such file or directory (nor in "
                   "the CUDA toolkit's or NVIDIA's pip wheels' folders: ");
}

/* --backend auto's choice line names where the module's libraries came from. */
Test(backend_module, the_choice_says_where_the_libraries_came_from) {
    char *root = temp_root(), folder[PATH_MAX], value[PATH_MAX + 16], chosen[1024];
    make_folder(root, "lib/python3.11/site-packages/nvidia/cublas/lib", folder);
    copy_fake_dependency(folder);
    clear_search_environment();
    snprintf(value, sizeof value, "%s", root), setenv("VIRTUAL_ENV", value, 1);
    setenv("HEXGPU_CUDA_MODULE", HEXGPU_FAKE_CUDA_MISSING_DEPENDENCY, 1);
    const hexgpu_backend_ops *ops = NULL;
    hexgpu_error err = {0};
    cr_assert_eq(hexgpu_backend_select(HEXGPU_BACKEND_AUTO, 0, &ops, chosen, sizeof chosen, &err), HEXGPU_OK, "%s",
                 err.message);
    char want[PATH_MAX + 64];
    snprintf(want, sizeof want, "backend cuda (device 0; libhexgpu_fake_dependency.so from %s)", folder);
    cr_assert_str_eq(chosen, want);
    snprintf(want, sizeof want, "libhexgpu_fake_dependency.so from %s", folder);
    cr_assert_str_eq(hexgpu_backend_cuda_module_libraries(), want);
    remove_tree(root);
}
