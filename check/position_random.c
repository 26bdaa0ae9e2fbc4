/* Seeded random legal positions (see position_random.h). */
#include "check/position_random.h"

#include "base/rng.h"

hexgpu_position hexgpu_position_random(int n, int stones, uint64_t seed) {
    hexgpu_position p;
    hexgpu_position_init(&p, n);
    uint64_t s = seed;
    for (int k = 0; k < stones && k < n * n; k++) {
        int cell;
        do cell = (int)(hexgpu_splitmix64_next(&s) % (uint64_t)(n * n));
        while (hexgpu_position_at(&p, cell) != HEXGPU_NONE);
        uint64_t *mask = k % 2 == 0 ? p.blue : p.red;
        mask[cell / 64] |= 1ull << (cell % 64);
        p.to_move = k % 2 == 0 ? HEXGPU_RED : HEXGPU_BLUE;
    }
    return p;
}

void hexgpu_position_random_batch(hexgpu_position *out, size_t count, int n, uint64_t seed) {
    uint64_t state = seed;
    for (size_t p = 0; p < count; p++) {
        int stones = (int)(hexgpu_splitmix64_next(&state) % (uint64_t)(n * n));
        out[p] = hexgpu_position_random(n, stones, hexgpu_splitmix64_next(&state));
    }
}
