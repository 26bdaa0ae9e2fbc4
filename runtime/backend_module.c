/* Backend modules: the CUDA backend lives in libhexgpu_cuda.so, opened with dlopen at the
 * first use of --backend cuda|auto, so that the library and every program that links it
 * start without cuDNN, cuBLAS or a driver, and run on the CPU where those are missing.
 * A library the module needs that the loader does not find (cuDNN and cuBLAS outside
 * its path) is looked for in the CUDA toolkit's and NVIDIA's pip wheels' folders and
 * loaded from there first. The search orders and the errors are in docs/cuda-backend.md. */
#define _GNU_SOURCE /* dladdr, Dl_info, dl_iterate_phdr */
#include <dlfcn.h>
#include <glob.h>
#include <limits.h>
#include <link.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend_module_impl.h"
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

/* Appends the folders matching pattern (glob, sorted) that exist and are not listed yet. */
static int add_folders(char (*folders)[PATH_MAX], int count, int max, const char *pattern) {
    glob_t g;
    if (glob(pattern, GLOB_ONLYDIR, NULL, &g) != 0) return count;
    for (size_t i = 0; i < g.gl_pathc && count < max; i++) {
        char real[PATH_MAX];
        struct stat st;
        if (!realpath(g.gl_pathv[i], real) || stat(real, &st) != 0 || !S_ISDIR(st.st_mode)) continue;
        int seen = 0;
        for (int k = 0; k < count && !seen; k++) seen = strcmp(folders[k], real) == 0;
        if (!seen) memcpy(folders[count++], real, strlen(real) + 1);
    }
    globfree(&g);
    return count;
}

/* add_folders of "<$name><suffix>" when the environment variable is set. */
static int add_env_folders(char (*folders)[PATH_MAX], int count, int max, const char *name, const char *suffix) {
    const char *root = getenv(name);
    char pattern[PATH_MAX];
    if (!root || !root[0] || snprintf(pattern, sizeof pattern, "%s%s", root, suffix) >= (int)sizeof pattern)
        return count;
    return add_folders(folders, count, max, pattern);
}

int hexgpu_cuda_library_folders(char (*folders)[PATH_MAX], int max) {
    int n = 0;
    /* The CUDA toolkit: where $CUDA_HOME or $CUDA_PATH says, then its usual place. */
    static const char *const toolkit[] = {"/lib64", "/lib", "/targets/*-linux/lib"};
    for (int i = 0; i < 3; i++) n = add_env_folders(folders, n, max, "CUDA_HOME", toolkit[i]);
    for (int i = 0; i < 3; i++) n = add_env_folders(folders, n, max, "CUDA_PATH", toolkit[i]);
    for (int i = 0; i < 3; i++) {
        char pattern[64];
        snprintf(pattern, sizeof pattern, "/usr/local/cuda%s", toolkit[i]);
        n = add_folders(folders, n, max, pattern);
    }
    /* NVIDIA's pip wheels (nvidia-cudnn-cu*, nvidia-cublas-cu*): site-packages/nvidia/<name>/lib.
     * First the site-packages this code lies in (the Python extension's, two folders up). */
    Dl_info info;
    char real[PATH_MAX], dir[PATH_MAX], site[PATH_MAX], pattern[PATH_MAX + 16];
    void *self = (void *)(uintptr_t)&hexgpu_cuda_library_folders;
    if (dladdr(self, &info) && info.dli_fname && info.dli_fname[0] && realpath(info.dli_fname, real) &&
        folder_of(real, dir, sizeof dir) && folder_of(dir, site, sizeof site) &&
        snprintf(pattern, sizeof pattern, "%s/nvidia/*/lib", site) < (int)sizeof pattern)
        n = add_folders(folders, n, max, pattern);
    n = add_env_folders(folders, n, max, "VIRTUAL_ENV", "/lib/python3*/site-packages/nvidia/*/lib");
    n = add_env_folders(folders, n, max, "CONDA_PREFIX", "/lib/python3*/site-packages/nvidia/*/lib");
    n = add_env_folders(folders, n, max, "HOME", "/.local/lib/python3*/site-packages/nvidia/*/lib");
    n = add_folders(folders, n, max, "/usr/local/lib/python3*/dist-packages/nvidia/*/lib");
    n = add_folders(folders, n, max, "/usr/local/lib/python3*/site-packages/nvidia/*/lib");
    n = add_folders(folders, n, max, "/usr/lib/python3/dist-packages/nvidia/*/lib");
    return n;
}

/* The libraries loaded from those folders (name, folder), for saying where they came from. */
#define PRELOADED_MAX 16
static pthread_mutex_t preloaded_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    char name[128], folder[PATH_MAX];
} preloaded[PRELOADED_MAX];
static int preloaded_count;

/* The library the loader could not find, from its message "...<name>: cannot open shared
 * object file..." into name; 0 when the message is not that, names a path (the module
 * itself, or a file the loader was given by path), or does not fit. */
static int missing_library(const char *message, char *name, size_t len) {
    const char *at = strstr(message, ": cannot open shared object file");
    if (!at) return 0;
    const char *start = at;
    while (start > message && !(start[-1] == ' ' && start - 1 > message && start[-2] == ':')) start--;
    size_t n = (size_t)(at - start);
    if (n == 0 || n >= len || memchr(start, '/', n)) return 0;
    memcpy(name, start, n);
    name[n] = '\0';
    return 1;
}

/* Loads library `name` from the first of folders that has a loadable one (RTLD_GLOBAL, as
 * PyTorch loads NVIDIA's wheels): the module's need of that name is then met by it, the
 * loader matching a loaded object by its soname. A library it needs in turn is found
 * through its own RUNPATH ($ORIGIN in cuDNN, cuBLAS and the wheels), else searched the
 * same way (depth bounds that). 1 when loaded. */
static int preload(const char *name, char (*folders)[PATH_MAX], int count, int depth) {
    for (int f = 0; f < count; f++) {
        char path[PATH_MAX + 130];
        if (snprintf(path, sizeof path, "%s/%s", folders[f], name) >= (int)sizeof path || access(path, F_OK) != 0)
            continue;
        void *handle = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
        char next[128];
        const char *text = handle ? NULL : dlerror();
        if (!handle && depth < 3 && text && missing_library(text, next, sizeof next) && strcmp(next, name) != 0 &&
            preload(next, folders, count, depth + 1))
            handle = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
        if (!handle) continue;
        pthread_mutex_lock(&preloaded_lock);
        if (preloaded_count < PRELOADED_MAX) {
            snprintf(preloaded[preloaded_count].name, sizeof preloaded[0].name, "%s", name);
            snprintf(preloaded[preloaded_count].folder, sizeof preloaded[0].folder, "%s", folders[f]);
            preloaded_count++;
        }
        pthread_mutex_unlock(&preloaded_lock);
        return 1; /* never closed: the module keeps using it */
    }
    return 0;
}

/* One dlopen of the module and the check of its entry and ABI; the loader's reason in why. */
static const hexgpu_backend_ops *module_open_once(const char *path, const char *entry, char *why, size_t why_len) {
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

const hexgpu_backend_ops *hexgpu_backend_module_open(const char *path, const char *entry, char *why, size_t why_len) {
    char (*folders)[PATH_MAX] = NULL;
    int count = 0;
    const hexgpu_backend_ops *ops = NULL;
    /* Each round either opens the module or loads one more library it lacks (a module
     * needs a handful: cuDNN, cuBLAS, what they need), so a few rounds suffice. */
    for (int round = 0; round < 8 && !ops; round++) {
        ops = module_open_once(path, entry, why, why_len);
        char name[128];
        if (ops || !missing_library(why, name, sizeof name) || strcmp(name, path) == 0) break;
        if (!folders) {
            folders = malloc(HEXGPU_LIBRARY_FOLDERS_MAX * sizeof *folders);
            if (!folders) break;
            count = hexgpu_cuda_library_folders(folders, HEXGPU_LIBRARY_FOLDERS_MAX);
        }
        if (!preload(name, folders, count, 0)) {
            size_t at = strlen(why);
            if (at < why_len)
                snprintf(why + at, why_len - at, " (nor in the CUDA toolkit's or NVIDIA's pip wheels' folders: %d "
                         "searched)", count);
            break;
        }
    }
    free(folders);
    if (ops && why_len) why[0] = '\0'; /* no refusal left over from a round before */
    return ops;
}

/* dl_iterate_phdr callback: appends "<file> from <folder>" for cuDNN and cuBLAS. */
static int describe_loaded(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    char **cursor = data; /* [0] the text, [1] its end */
    const char *name = info->dlpi_name, *base = name ? strrchr(name, '/') : NULL;
    if (!base || (strncmp(base + 1, "libcudnn.so", 11) != 0 && strncmp(base + 1, "libcublas.so", 12) != 0) ||
        strstr(cursor[0], base + 1))
        return 0;
    size_t at = strlen(cursor[0]), len = (size_t)(cursor[1] - cursor[0]);
    if (at < len)
        snprintf(cursor[0] + at, len - at, "%s%s from %.*s", at ? ", " : "", base + 1, (int)(base - name), name);
    return 0;
}

void hexgpu_backend_libraries_describe(char *out, size_t len) {
    if (len == 0) return;
    out[0] = '\0';
    pthread_mutex_lock(&preloaded_lock);
    for (int i = 0; i < preloaded_count; i++) {
        size_t at = strlen(out);
        if (at < len)
            snprintf(out + at, len - at, "%s%s from %s", at ? ", " : "", preloaded[i].name, preloaded[i].folder);
    }
    pthread_mutex_unlock(&preloaded_lock);
    char *cursor[2] = {out, out + len};
    dl_iterate_phdr(describe_loaded, cursor);
}

#ifdef HEXGPU_HAVE_CUDA

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
static char cuda_module_libraries[1024]; /* where cuDNN and cuBLAS came from, once loaded */

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
    else hexgpu_backend_libraries_describe(cuda_module_libraries, sizeof cuda_module_libraries);
}

const hexgpu_backend_ops *hexgpu_backend_cuda_module(char *why, size_t why_len) {
    pthread_once(&cuda_module_once, cuda_module_load);
    if (!cuda_module_ops && why && why_len) snprintf(why, why_len, "%s", cuda_module_why);
    return cuda_module_ops;
}

const char *hexgpu_backend_cuda_module_libraries(void) {
    pthread_once(&cuda_module_once, cuda_module_load);
    return cuda_module_libraries;
}
