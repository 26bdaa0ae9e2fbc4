/* Backend modules: the CUDA backend lives in libhexgpu_cuda.so, opened with dlopen at the
 * first use of --backend cuda|auto, so that the library and every program that links it
 * start without cuDNN, cuBLAS or a driver, and run on the CPU where those are missing.
 * The search order and the errors are in docs/cuda-backend.md. */
#define _GNU_SOURCE /* dladdr, Dl_info */
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/backend.h"

/* Set by CMakeLists.txt; these defaults serve builds that compile this file elsewhere
 * (the fuzz targets). */
#ifndef HEXGPU_CUDA_MODULE_FILE
#define HEXGPU_CUDA_MODULE_FILE "libhexgpu_cuda.so"
#endif
#ifndef HEXGPU_BIN_TO_LIB
#define HEXGPU_BIN_TO_LIB "../lib"
#endif
#ifndef HEXGPU_INSTALL_LIBDIR
#define HEXGPU_INSTALL_LIBDIR "/usr/local/lib"
#endif

const hexgpu_backend_ops *hexgpu_backend_module_open(const char *path, const char *entry, char *why, size_t why_len) {
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        /* glibc names the file it could not open: the module itself, or (without the
         * module's path) a library it needs, such as libcudnn.so.9. */
        const char *text = dlerror();
        if (!text) text = "dlopen failed";
        if (strncmp(text, path, strlen(path)) == 0) snprintf(why, why_len, "%s", text);
        else snprintf(why, why_len, "%s: %s", path, text);
        return NULL;
    }
    dlerror(); /* a NULL symbol is not an error by itself; dlerror says which it is */
    hexgpu_backend_entry_fn fn;
    void *sym = dlsym(handle, entry);
    memcpy(&fn, &sym, sizeof fn); /* ISO C has no object-to-function pointer cast */
    const char *sym_error = dlerror();
    const hexgpu_backend_ops *ops = NULL;
    if (!sym || sym_error) {
        snprintf(why, why_len, "%s: not a hexgpu backend module (%s)", path,
                 sym_error ? sym_error : "its entry point is NULL");
    } else if (!(ops = fn(HEXGPU_BACKEND_ABI_VERSION))) {
        snprintf(why, why_len, "%s: %s() returned no backend", path, entry);
    } else if (ops->abi_version != HEXGPU_BACKEND_ABI_VERSION) {
        snprintf(why, why_len, "%s has backend ABI %d, this hexgpu needs %d (the module is from another hexgpu build)",
                 path, ops->abi_version, HEXGPU_BACKEND_ABI_VERSION);
        ops = NULL;
    } else {
        return ops; /* never closed: contexts and the CUDA runtime in it live to the exit */
    }
    dlclose(handle);
    return NULL;
}

#ifdef HEXGPU_HAVE_CUDA
/* The folder part of path into dir ("." when it has none); 0 when it does not fit. */
static int folder_of(const char *path, char *dir, size_t len) {
    const char *slash = strrchr(path, '/');
    if (!slash) return snprintf(dir, len, ".") < (int)len;
    size_t n = (size_t)(slash - path);
    if (n == 0) n = 1; /* "/x" -> "/" */
    if (n >= len) return 0;
    memcpy(dir, path, n);
    dir[n] = '\0';
    return 1;
}

#define CUDA_MODULE_FOLDERS 4

/* Where to look, in order, without duplicates: the folder of the object that holds this
 * code (the program itself when linked statically, else libhexgpu.so or the Python
 * extension), the program's folder, the program's ../lib (an installed tree, moved or
 * not), the configured install libdir. Returns how many. */
static int cuda_module_folders(char folders[CUDA_MODULE_FOLDERS][PATH_MAX]) {
    char candidates[CUDA_MODULE_FOLDERS][PATH_MAX] = {{0}};
    Dl_info info;
    char real[PATH_MAX];
    void *self = (void *)(uintptr_t)&hexgpu_backend_cuda_module;
    if (dladdr(self, &info) && info.dli_fname && info.dli_fname[0] && realpath(info.dli_fname, real))
        folder_of(real, candidates[0], PATH_MAX);
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        if (folder_of(exe, candidates[1], PATH_MAX) &&
            snprintf(candidates[2], PATH_MAX, "%s/%s", candidates[1], HEXGPU_BIN_TO_LIB) < PATH_MAX &&
            realpath(candidates[2], real))
            snprintf(candidates[2], PATH_MAX, "%s", real);
        else
            candidates[2][0] = '\0';
    }
    snprintf(candidates[3], PATH_MAX, "%s", HEXGPU_INSTALL_LIBDIR);
    int count = 0;
    for (int c = 0; c < CUDA_MODULE_FOLDERS; c++) {
        int seen = candidates[c][0] == '\0';
        for (int k = 0; k < count && !seen; k++) seen = strcmp(folders[k], candidates[c]) == 0;
        if (!seen) memcpy(folders[count++], candidates[c], PATH_MAX);
    }
    return count;
}

/* The module from the first of those folders that has the file (its failure is the
 * reason: no later place is tried), else by its plain name through the loader's path. */
static const hexgpu_backend_ops *cuda_module_search(char *why, size_t why_len) {
    char folders[CUDA_MODULE_FOLDERS][PATH_MAX], path[PATH_MAX + 32];
    int count = cuda_module_folders(folders);
    for (int f = 0; f < count; f++) {
        if (snprintf(path, sizeof path, "%s/%s", folders[f], HEXGPU_CUDA_MODULE_FILE) >= (int)sizeof path ||
            access(path, F_OK) != 0)
            continue;
        return hexgpu_backend_module_open(path, HEXGPU_CUDA_MODULE_ENTRY, why, why_len);
    }
    const hexgpu_backend_ops *ops =
        hexgpu_backend_module_open(HEXGPU_CUDA_MODULE_FILE, HEXGPU_CUDA_MODULE_ENTRY, why, why_len);
    /* Not found at all (rather than found and refused): say where it was looked for. */
    const char *not_found = HEXGPU_CUDA_MODULE_FILE ": cannot open shared object file";
    if (!ops && strncmp(why, not_found, strlen(not_found)) == 0) {
        size_t at = (size_t)snprintf(why, why_len, "no " HEXGPU_CUDA_MODULE_FILE " in ");
        for (int f = 0; f < count && at < why_len; f++)
            at += (size_t)snprintf(why + at, why_len - at, "%s, ", folders[f]);
        if (at < why_len) snprintf(why + at, why_len - at, "or on the loader's path (set HEXGPU_CUDA_MODULE to its file)");
    }
    return ops;
}
#endif

static pthread_once_t cuda_module_once = PTHREAD_ONCE_INIT;
static const hexgpu_backend_ops *cuda_module_ops;
static char cuda_module_why[448]; /* "cannot load the CUDA backend: " + a reason of 384 */

static void cuda_module_load(void) {
    char why[384];
    const char *forced = getenv("HEXGPU_CUDA_MODULE");
    if (forced && forced[0]) {
        cuda_module_ops = hexgpu_backend_module_open(forced, HEXGPU_CUDA_MODULE_ENTRY, why, sizeof why);
    } else {
#ifdef HEXGPU_HAVE_CUDA
        cuda_module_ops = cuda_module_search(why, sizeof why);
#else
        snprintf(cuda_module_why, sizeof cuda_module_why,
                 "this build has no CUDA backend (configured without the CUDA toolkit)");
        return;
#endif
    }
    if (!cuda_module_ops) snprintf(cuda_module_why, sizeof cuda_module_why, "cannot load the CUDA backend: %s", why);
}

const hexgpu_backend_ops *hexgpu_backend_cuda_module(char *why, size_t why_len) {
    pthread_once(&cuda_module_once, cuda_module_load);
    if (!cuda_module_ops && why && why_len) snprintf(why, why_len, "%s", cuda_module_why);
    return cuda_module_ops;
}
