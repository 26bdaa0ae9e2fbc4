/* The packed position: validation, hash, input planes. */
#include <criterion/criterion.h>
#include <string.h>

#include "hexgpu.h"

static void put(hexgpu_position *p, int cell, hexgpu_color c) {
    uint64_t *mask = c == HEXGPU_BLUE ? p->blue : p->red;
    mask[cell / 64] |= 1ull << (cell % 64);
}

Test(position, empty_board_is_valid_blue_to_move) {
    hexgpu_position p;
    hexgpu_position_init(&p, 13);
    cr_assert_eq(p.to_move, HEXGPU_BLUE);
    cr_assert_eq(hexgpu_position_validate(&p, NULL), HEXGPU_OK);
}

Test(position, counts_decide_side_to_move) {
    hexgpu_position p;
    hexgpu_position_init(&p, 13);
    put(&p, 0, HEXGPU_BLUE);
    hexgpu_error err;
    cr_assert_eq(hexgpu_position_validate(&p, &err), HEXGPU_ERR_INVALID_POSITION);
    cr_assert(strstr(err.message, "say red"), "message: %s", err.message);
    p.to_move = HEXGPU_RED;
    cr_assert_eq(hexgpu_position_validate(&p, NULL), HEXGPU_OK);
    put(&p, 1, HEXGPU_BLUE);
    cr_assert_eq(hexgpu_position_validate(&p, &err), HEXGPU_ERR_INVALID_POSITION);
}

Test(position, rejects_overlap_and_out_of_board_bits) {
    hexgpu_position p;
    hexgpu_position_init(&p, 5);
    put(&p, 3, HEXGPU_BLUE);
    put(&p, 3, HEXGPU_RED);
    cr_assert_eq(hexgpu_position_validate(&p, NULL), HEXGPU_ERR_INVALID_POSITION);
    hexgpu_position_init(&p, 5);
    put(&p, 25, HEXGPU_BLUE); /* first cell past a 5x5 board */
    p.to_move = HEXGPU_RED;
    cr_assert_eq(hexgpu_position_validate(&p, NULL), HEXGPU_ERR_INVALID_POSITION);
    hexgpu_position_init(&p, 19);
    put(&p, 360, HEXGPU_BLUE); /* the last cell of 19x19 is on the board */
    p.to_move = HEXGPU_RED;
    cr_assert_eq(hexgpu_position_validate(&p, NULL), HEXGPU_OK);
    hexgpu_position_init(&p, 20);
    cr_assert_eq(hexgpu_position_validate(&p, NULL), HEXGPU_ERR_INVALID_POSITION);
}

Test(position, hash_depends_on_side_size_and_stones) {
    hexgpu_position a, b;
    hexgpu_position_init(&a, 13);
    hexgpu_position_init(&b, 11);
    cr_assert_neq(hexgpu_position_hash(&a), hexgpu_position_hash(&b));
    hexgpu_position_init(&b, 13);
    cr_assert_eq(hexgpu_position_hash(&a), hexgpu_position_hash(&b));
    b.to_move = HEXGPU_RED;
    cr_assert_neq(hexgpu_position_hash(&a), hexgpu_position_hash(&b));
    hexgpu_position_init(&b, 13);
    put(&a, 7, HEXGPU_BLUE);
    put(&b, 7, HEXGPU_RED);
    cr_assert_neq(hexgpu_position_hash(&a), hexgpu_position_hash(&b));
}

Test(position, planes_match_reference_encoding) {
    hexgpu_position p;
    hexgpu_position_init(&p, 3);
    put(&p, 0, HEXGPU_BLUE); /* a1 */
    put(&p, 4, HEXGPU_RED);  /* b2 */
    put(&p, 8, HEXGPU_BLUE); /* c3 */
    p.to_move = HEXGPU_RED;
    float planes[27];
    hexgpu_position_to_planes(&p, planes);
    const float expected[27] = {1, 0, 0, 0, 0, 0, 0, 0, 1, /* blue */
                                0, 0, 0, 0, 1, 0, 0, 0, 0, /* red */
                                1, 1, 1, 1, 1, 1, 1, 1, 1};
    for (int i = 0; i < 27; i++) cr_assert_eq(planes[i], expected[i], "plane value %d", i);
}
