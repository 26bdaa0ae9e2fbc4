/* Internals of backend_module.c that its tests reach: where a library the CUDA module
 * needs is looked for when the loader does not find it, and what was loaded from where. */
#pragma once

#include <limits.h>
#include <stddef.h>

#define HEXGPU_LIBRARY_FOLDERS_MAX 64

/* The folders searched, in order, those that exist only, each once (real paths), at most
 * max: $CUDA_HOME then $CUDA_PATH and /usr/local/cuda, each with lib64, lib and
 * targets/<arch>-linux/lib; then NVIDIA's pip wheels, nvidia/<name>/lib in the
 * site-packages that holds this code (the Python extension's), $VIRTUAL_ENV's,
 * $CONDA_PREFIX's, ~/.local's (lib/python3.X/site-packages) and the system's
 * (/usr/local/lib/python3.X/{dist,site}-packages, /usr/lib/python3/dist-packages).
 * Returns how many. */
int hexgpu_cuda_library_folders(char (*folders)[PATH_MAX], int max);

/* "<file> from <folder>, ..." for each library loaded from those folders and each cuDNN
 * and cuBLAS library in the process, into out ("" when none). */
void hexgpu_backend_libraries_describe(char *out, size_t len);
