/* Test support: seeded random legal positions (see positions.h). */
#include "support/positions.h"

#include "runtime/rng.h"

hexgpu_position hexgpu_test_position(int n, int stones, uint64_t seed) {
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
