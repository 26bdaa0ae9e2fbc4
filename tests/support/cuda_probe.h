/* Test support: whether this build's CUDA module loads and has a usable device. */
#pragma once

#include <stddef.h>

/* 1 when this build made libhexgpu_cuda.so (HEXGPU_CUDA_MODULE_PATH) and it loads and
 * finds device 0 usable; otherwise 0 and the reason in why. Opens the module file itself
 * (no search, no process-wide state), so tests can tell whether a GPU run is possible. */
int hexgpu_test_cuda_usable(char *why, size_t len);
