/* The packed position: validation, hashing and the network's input planes. */
#include "base/rng.h"
#include "base/status.h"

#include <string.h>

static int cell_bit(const uint64_t *mask, int cell) { return (int)((mask[cell >> 6] >> (cell & 63)) & 1u); }

void hexgpu_position_init(hexgpu_position *pos, int size) {
    memset(pos, 0, sizeof *pos);
    pos->size = (uint8_t)size;
    pos->to_move = HEXGPU_BLUE;
}

hexgpu_color hexgpu_position_at(const hexgpu_position *pos, int cell) {
    if (cell_bit(pos->blue, cell)) return HEXGPU_BLUE;
    if (cell_bit(pos->red, cell)) return HEXGPU_RED;
    return HEXGPU_NONE;
}

static int popcount_mask(const uint64_t *mask) {
    int n = 0;
    for (int w = 0; w < HEXGPU_POSITION_WORDS; w++) n += __builtin_popcountll(mask[w]);
    return n;
}

hexgpu_status hexgpu_position_validate(const hexgpu_position *pos, hexgpu_error *err) {
    int n = pos->size;
    if (n < HEXGPU_MIN_SIZE || n > HEXGPU_MAX_SIZE)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_POSITION, "board size %d is outside 1..19", n);
    int cells = n * n;
    for (int w = 0; w < HEXGPU_POSITION_WORDS; w++) {
        if (pos->blue[w] & pos->red[w])
            return hexgpu_error_set(err, HEXGPU_ERR_INVALID_POSITION, "cell %d holds both a blue and a red stone",
                                    w * 64 + __builtin_ctzll(pos->blue[w] & pos->red[w]));
        int first = w * 64;
        uint64_t beyond = first >= cells ? ~0ull : (cells - first >= 64 ? 0 : ~0ull << (cells - first));
        if ((pos->blue[w] | pos->red[w]) & beyond)
            return hexgpu_error_set(err, HEXGPU_ERR_INVALID_POSITION, "stone beyond the %dx%d board", n, n);
    }
    for (size_t i = 0; i < sizeof pos->reserved; i++)
        if (pos->reserved[i])
            return hexgpu_error_set(err, HEXGPU_ERR_INVALID_POSITION, "reserved byte %zu is not zero", i);
    int blue = popcount_mask(pos->blue), red = popcount_mask(pos->red);
    int expected;
    if (blue == red) expected = HEXGPU_BLUE;
    else if (blue == red + 1) expected = HEXGPU_RED;
    else
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_POSITION, "%d blue and %d red stones cannot occur (Blue moves first)",
                                blue, red);
    if (pos->to_move != expected)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_POSITION, "%s to move, but the stone counts (%d blue, %d red) say %s",
                                pos->to_move == HEXGPU_RED ? "red" : "blue", blue, red,
                                expected == HEXGPU_RED ? "red" : "blue");
    return HEXGPU_OK;
}

uint64_t hexgpu_position_hash(const hexgpu_position *pos) {
    /* Size and side to move seed the hash, so that the same stones on another board or
     * with the other side to move hash differently. */
    uint64_t h = hexgpu_mix64(0x9e3779b97f4a7c15ull ^ ((uint64_t)pos->size << 8) ^ pos->to_move);
    for (int w = 0; w < HEXGPU_POSITION_WORDS; w++) {
        h = hexgpu_mix64(h ^ pos->blue[w]) + 0x632be59bd9b4e019ull * (uint64_t)(w + 1);
        h = hexgpu_mix64(h ^ pos->red[w] ^ 0xd6e8feb86659fd93ull);
    }
    return h;
}

int hexgpu_position_equal(const hexgpu_position *a, const hexgpu_position *b) {
    return memcmp(a, b, sizeof *a) == 0;
}

void hexgpu_position_to_planes(const hexgpu_position *pos, float *planes) {
    int cells = pos->size * pos->size;
    float side = pos->to_move == HEXGPU_RED ? 1.0f : 0.0f;
    for (int c = 0; c < cells; c++) {
        planes[c] = (float)cell_bit(pos->blue, c);
        planes[cells + c] = (float)cell_bit(pos->red, c);
        planes[2 * cells + c] = side;
    }
}
