/* The small seeded generators every layer uses (splitmix64, xorshift64*), written once:
 * hashes, Zobrist keys, random models and self-play games depend on these exact bits. */
#pragma once

#include <stdint.h>

/* splitmix64 finaliser: cheap, and every input bit reaches every output bit. */
static inline uint64_t hexgpu_mix64(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

/* splitmix64: one 64-bit word of state, any seed (0 included) is fine. */
static inline uint64_t hexgpu_splitmix64_next(uint64_t *state) {
    return hexgpu_mix64(*state += 0x9e3779b97f4a7c15ull);
}

/* Uniform float in [lo, hi) from the top 24 bits of one splitmix64 draw (exact in a float). */
static inline float hexgpu_splitmix64_uniform(uint64_t *state, float lo, float hi) {
    uint64_t z = hexgpu_splitmix64_next(state);
    return lo + (hi - lo) * (float)((double)(z >> 40) / (double)(1ull << 24));
}

/* xorshift64*: the state must never be 0 (it would stay 0). */
static inline uint64_t hexgpu_xorshift64star_next(uint64_t *state) {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * 0x2545f4914f6cdd1dull;
}
