/* The probe kernels of emu_probes.h: written for the emulator only, never for nvcc. */
#include "emu_probes.h"

#include "emu_cuda.h"

namespace {

constexpr unsigned full = 0xffffffffu;

__global__ void warp_ops_kernel(int *out, long long *out64) {
    int t = (int)threadIdx.x, lane = t & 31;
    int *o = out + t * HEXGPU_EMU_PROBE_SLOTS;
    o[0] = __shfl_down_sync(full, t * 10, 3);
    o[1] = __shfl_up_sync(full, t, 5, 16);
    o[2] = __shfl_xor_sync(full, t, 9);
    o[3] = __shfl_sync(full, t, 7, 8);
    o[4] = (int)__ballot_sync(full, t % 3 == 0);
    o[5] = __any_sync(full, t == 40);
    o[6] = __all_sync(full, t < 60);
    __syncwarp();
    if (lane < 16) o[7] = __shfl_xor_sync(0x0000ffffu, t, 1);
    else o[7] = __shfl_down_sync(0xffff0000u, t, 2);
    out64[t] = __shfl_xor_sync(full, (long long)t << 33, 1);
}

__global__ void shared_kernel(int *out) {
    HEXGPU_K_DYNAMIC_SHARED(int, s);
    int t = (int)threadIdx.x, n = (int)blockDim.x;
    s[t] = t + 1000 * (int)blockIdx.x;
    __syncthreads();
    out[blockIdx.x * blockDim.x + t] = s[(t + 1) % n];
}

__global__ void misuse_kernel(hexgpu_emu_misuse which, int *out) {
    int t = (int)threadIdx.x, lane = t & 31, n = (int)blockDim.x;
    switch (which) {
    case HEXGPU_EMU_SPLIT_BARRIER:
        if (t < 16) __syncthreads();
        else __syncthreads();
        break;
    case HEXGPU_EMU_EXIT_BEFORE_BARRIER:
        if (t == 5) return;
        __syncthreads();
        break;
    case HEXGPU_EMU_DEADLOCK:
        if (t == 0) __syncthreads();
        else if (t < 32) out[t] = __shfl_xor_sync(full, t, 1);
        break;
    case HEXGPU_EMU_LANE_OUTSIDE_MASK:
        if (lane < 2) out[t] = __shfl_xor_sync(0x3u, t, 2);
        break;
    case HEXGPU_EMU_MASK_WITHOUT_SELF:
        if (lane == 3) out[t] = __shfl_sync(0x1u, t, 0);
        break;
    case HEXGPU_EMU_WRITE_PAST_END: out[t + (t == n - 1)] = t; break;
    case HEXGPU_EMU_SHARED_PAST_END: {
        HEXGPU_K_DYNAMIC_SHARED(float, s);
        s[t + (t == n - 1)] = 1.0f;
        break;
    }
    default: break;
    }
}

} // namespace

extern "C" hexgpu_emu_report hexgpu_emu_probe_warp_ops(int *out, long long *out64, hexgpu_emu_schedule order) {
    hexgpu_k_shape shape = {1, HEXGPU_EMU_PROBE_THREADS, 0};
    return hexgpu_emu::launch(shape, order, warp_ops_kernel, out, out64);
}

extern "C" hexgpu_emu_report hexgpu_emu_probe_shared(int *out, int blocks, int threads, hexgpu_emu_schedule order) {
    hexgpu_k_shape shape = {(unsigned)blocks, (unsigned)threads, (size_t)threads * sizeof(int)};
    return hexgpu_emu::launch(shape, order, shared_kernel, out);
}

extern "C" hexgpu_emu_report hexgpu_emu_probe_misuse(hexgpu_emu_misuse which, hexgpu_emu_schedule order) {
    hexgpu_k_shape shape = {1, 64, 64 * sizeof(float)};
    if (which == HEXGPU_EMU_DEADLOCK) shape.threads = 32; /* no other warp that could exit first */
    if (which == HEXGPU_EMU_TOO_MANY_THREADS) shape.threads = 1025;
    if (which == HEXGPU_EMU_TOO_MUCH_SHARED) shape.shared_bytes = 48 * 1024 + 4;
    int *out = static_cast<int *>(hexgpu_emu_alloc(shape.threads * sizeof(int), "probe output"));
    hexgpu_emu_report rep = hexgpu_emu::launch(shape, order, misuse_kernel, which, out);
    hexgpu_emu_free(out);
    return rep;
}

extern "C" unsigned short hexgpu_emu_float2half(float f) { return __float2half(f).bits; }
