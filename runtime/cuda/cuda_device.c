/* Whether the CUDA backend can run here: a device with the ordinal asked for, fp16
 * tensor cores (compute capability >= 7.0), code in this binary for it, cuDNN 9; and the
 * card's name for reports. */
#include <stdio.h>

#include "runtime/cuda/cuda_check.h"
#include "runtime/cuda/cuda_internal.h"

int hexgpu_cuda_available(int device, char *why, size_t why_len) {
    char scratch[8];
    if (!why || why_len == 0) why = scratch, why_len = sizeof scratch;
    int count = 0;
    cudaError_t code = cudaGetDeviceCount(&count);
    if (code != cudaSuccess) {
        cudaGetLastError();
        snprintf(why, why_len, "no CUDA device: cudaGetDeviceCount: %s", cudaGetErrorString(code));
        return 0;
    }
    if (count == 0) {
        snprintf(why, why_len, "no CUDA device: cudaGetDeviceCount found none");
        return 0;
    }
    if (device < 0 || device >= count) {
        snprintf(why, why_len, "CUDA device %d does not exist (this machine has %d, 0..%d)", device, count, count - 1);
        return 0;
    }
    struct cudaDeviceProp prop;
    code = cudaGetDeviceProperties(&prop, device);
    if (code != cudaSuccess) {
        snprintf(why, why_len, "CUDA device %d: cudaGetDeviceProperties: %s", device, cudaGetErrorString(code));
        return 0;
    }
    if (prop.major < 7) {
        snprintf(why, why_len, "CUDA device %d (%s) has compute capability %d.%d; fp16 tensor cores need >= 7.0",
                 device, prop.name, prop.major, prop.minor);
        return 0;
    }
    size_t cudnn = cudnnGetVersion();
    if (cudnn / 10000 != CUDNN_MAJOR) {
        snprintf(why, why_len, "cuDNN runtime %zu, this build needs cuDNN %d.x", cudnn, CUDNN_MAJOR);
        return 0;
    }
    code = cudaSetDevice(device);
    if (code == cudaSuccess) code = hexgpu_k_check_image();
    if (code != cudaSuccess) {
        cudaGetLastError();
        snprintf(why, why_len, "CUDA device %d (%s, compute capability %d.%d) cannot run this build's kernels: %s",
                 device, prop.name, prop.major, prop.minor, cudaGetErrorString(code));
        return 0;
    }
    snprintf(why, why_len, "CUDA device %d: %s, compute capability %d.%d, %.1f GiB, cuDNN %zu", device, prop.name,
             prop.major, prop.minor, prop.totalGlobalMem / 1073741824.0, cudnn);
    return 1;
}

/* Devices 0, 1, ... up to the first that is not available (at least 1: the caller has
 * found device 0 usable). available() makes each probed device current; the calling
 * thread's device is put back afterwards. */
int hexgpu_cuda_device_count(void) {
    char why[256];
    int n = 1, current = 0;
    int had = cudaGetDevice(&current) == cudaSuccess;
    while (n < HEXGPU_MAX_DEVICES && hexgpu_cuda_available(n, why, sizeof why)) n++;
    if (had) cudaSetDevice(current);
    cudaGetLastError();
    return n;
}

int hexgpu_cuda_device_name(int device, int threads, char *name, size_t len) {
    (void)threads;
    struct cudaDeviceProp prop;
    if (cudaGetDeviceProperties(&prop, device) != cudaSuccess) {
        cudaGetLastError();
        return 0;
    }
    snprintf(name, len, "%s", prop.name);
    return 1;
}
