/* The emulator checked on its own probe kernels (emu_probes.h): the values each warp
 * operation returns, computed here from CUDA's definitions; dynamic shared memory and a
 * barrier over several blocks; each misuse reported (never a hang); and __float2half's
 * round-to-nearest-even, checked from the definition on every binary16 interval. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "emu_checks.h"
#include "emu_probes.h"
#include "model/tensor_map.h"

static int report(int failed, const char *what, const char *schedule, const char *why) {
    if (failed) printf("FAIL emulator: %s, %s: %s\n", what, schedule, why);
    else printf("ok   emulator: %s, %s\n", what, schedule);
    return failed;
}

/* Lane `lane`'s expected result of each slot of the warp-operation probe. */
static int expected_warp_op(int t, int slot) {
    int lane = t & 31, base = t & ~31;
    unsigned ballot = 0;
    switch (slot) {
    case 0: return (lane + 3 < 32 ? t + 3 : t) * 10;
    case 1: return lane % 16 >= 5 ? t - 5 : t;
    case 2: return base + (lane ^ 9);
    case 3: return base + (lane & ~7) + 7;
    case 4:
        for (int j = 0; j < 32; j++) ballot |= (unsigned)((base + j) % 3 == 0) << j;
        return (int)ballot;
    case 5: return base == 32; /* lane 40 is in the second warp */
    case 6: return base == 0;  /* t < 60 fails only in the second warp */
    default: return lane < 16 ? t ^ 1 : (lane + 2 < 32 ? t + 2 : t);
    }
}

static int check_warp_ops(hexgpu_emu_schedule order) {
    enum { T = HEXGPU_EMU_PROBE_THREADS, S = HEXGPU_EMU_PROBE_SLOTS };
    int *out = hexgpu_emu_alloc(T * S * sizeof(int), "warp results");
    long long *out64 = hexgpu_emu_alloc(T * sizeof(long long), "64-bit shuffle results");
    hexgpu_emu_report rep = hexgpu_emu_probe_warp_ops(out, out64, order);
    char why[600] = "";
    if (rep.status != HEXGPU_EMU_OK) snprintf(why, sizeof why, "%s", rep.message);
    for (int t = 0; !why[0] && t < T; t++) {
        for (int s = 0; !why[0] && s < S; s++)
            if (out[t * S + s] != expected_warp_op(t, s))
                snprintf(why, sizeof why, "thread %d slot %d: %d, want %d", t, s, out[t * S + s],
                         expected_warp_op(t, s));
        if (!why[0] && out64[t] != (long long)(t ^ 1) << 33)
            snprintf(why, sizeof why, "thread %d: 64-bit shuffle gave %lld", t, out64[t]);
    }
    hexgpu_emu_free(out64);
    hexgpu_emu_free(out);
    return report(why[0] != 0, "shuffles, votes and __syncwarp give CUDA's values", hexgpu_emu_schedule_name(order),
                  why);
}

static int check_shared(hexgpu_emu_schedule order) {
    enum { BLOCKS = 3, THREADS = 80 }; /* a partial last warp */
    int *out = hexgpu_emu_alloc(BLOCKS * THREADS * sizeof(int), "shared results");
    hexgpu_emu_report rep = hexgpu_emu_probe_shared(out, BLOCKS, THREADS, order);
    char why[600] = "";
    if (rep.status != HEXGPU_EMU_OK) snprintf(why, sizeof why, "%s", rep.message);
    for (int i = 0; !why[0] && i < BLOCKS * THREADS; i++) {
        int b = i / THREADS, want = (i % THREADS + 1) % THREADS + 1000 * b;
        if (out[i] != want) snprintf(why, sizeof why, "block %d thread %d: %d, want %d", b, i % THREADS, out[i], want);
    }
    hexgpu_emu_free(out);
    return report(why[0] != 0, "dynamic shared memory and a barrier over 3 blocks of 80 threads",
                  hexgpu_emu_schedule_name(order), why);
}

static int check_misuses(hexgpu_emu_schedule order) {
    static const struct {
        hexgpu_emu_misuse which;
        const char *what, *said;
    } misuses[] = {
        {HEXGPU_EMU_SPLIT_BARRIER, "two barriers at once", "barrier mismatch"},
        {HEXGPU_EMU_EXIT_BEFORE_BARRIER, "a thread exiting before a barrier", "barrier mismatch"},
        {HEXGPU_EMU_DEADLOCK, "a shuffle waiting for a lane at a barrier", "deadlock"},
        {HEXGPU_EMU_LANE_OUTSIDE_MASK, "a shuffle reading a lane outside its mask", "outside the mask"},
        {HEXGPU_EMU_MASK_WITHOUT_SELF, "a mask without the calling lane", "leaves out its own lane"},
        {HEXGPU_EMU_TOO_MANY_THREADS, "a block of 1025 threads", "threads per block"},
        {HEXGPU_EMU_TOO_MUCH_SHARED, "48 KiB + 4 bytes of dynamic shared memory", "dynamic shared memory"},
    };
    int failures = 0;
    for (size_t i = 0; i < sizeof misuses / sizeof misuses[0]; i++) {
        hexgpu_emu_report rep = hexgpu_emu_probe_misuse(misuses[i].which, order);
        char what[160], why[700] = "";
        snprintf(what, sizeof what, "%s is reported", misuses[i].what);
        if (rep.status != HEXGPU_EMU_FAILED || !strstr(rep.message, misuses[i].said))
            snprintf(why, sizeof why, "want a report saying '%s', got status %d: %s", misuses[i].said, rep.status,
                     rep.message);
        else printf("     (%s)\n", rep.message);
        failures += report(why[0] != 0, what, hexgpu_emu_schedule_name(order), why);
    }
    return failures;
}

/* For every pair of adjacent finite binary16 values: their midpoint rounds to the one with
 * an even significand, the floats next to it to the nearer one; past the largest half,
 * infinity from the midpoint to 2^16 on. */
static int check_float2half(void) {
    char why[200] = "";
    for (uint32_t sign = 0; sign <= 0x8000u && !why[0]; sign += 0x8000u)
        for (uint32_t h = 0; h < 0x7bffu && !why[0]; h++) {
            float lo = hexgpu_f16_to_f32((uint16_t)(sign | h)), hi = hexgpu_f16_to_f32((uint16_t)(sign | (h + 1)));
            float mid = lo + (hi - lo) / 2; /* exact: 11 significant bits */
            float nearer_lo = nextafterf(mid, 0.0f), nearer_hi = nextafterf(mid, sign ? -INFINITY : INFINITY);
            unsigned even = sign | (h & 1u ? h + 1 : h);
            if (hexgpu_emu_float2half(mid) != even || hexgpu_emu_float2half(nearer_lo) != (sign | h) ||
                hexgpu_emu_float2half(nearer_hi) != (sign | (h + 1)))
                snprintf(why, sizeof why, "around half 0x%04x: %a -> 0x%04x, want 0x%04x", sign | h, mid,
                         hexgpu_emu_float2half(mid), even);
        }
    if (!why[0] && (hexgpu_emu_float2half(65519.99f) != 0x7bffu || hexgpu_emu_float2half(65520.0f) != 0x7c00u ||
                    hexgpu_emu_float2half(-1e9f) != 0xfc00u || (hexgpu_emu_float2half(NAN) & 0x7fffu) <= 0x7c00u))
        snprintf(why, sizeof why, "overflow to infinity or NaN kept wrong");
    return report(why[0] != 0, "__float2half rounds to nearest even on every binary16 interval", "host", why);
}

int hexgpu_emu_selfcheck(unsigned schedules) {
    int failures = check_float2half();
    for (int order = 0; order < HEXGPU_EMU_SCHEDULES; order++) {
        if (!(schedules >> order & 1)) continue;
        failures += check_warp_ops((hexgpu_emu_schedule)order);
        failures += check_shared((hexgpu_emu_schedule)order);
        failures += check_misuses((hexgpu_emu_schedule)order);
    }
    return failures;
}
