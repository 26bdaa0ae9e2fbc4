/* The record ring: order kept across wrap-around and growth. */
#include <criterion/criterion.h>

#include "host/ring.h"

Test(host_ring, keeps_order_across_wrap_and_growth) {
    hexgpu_ring r;
    hexgpu_ring_init(&r, sizeof(int));
    int next_in = 0, next_out = 0, buf[300];
    cr_assert_eq(hexgpu_ring_reserve(&r, 200), 0);
    cr_assert_eq(r.capacity, 256);
    for (int round = 0; round < 20; round++) { /* push 150, pop 120: the head walks round the ring */
        cr_assert_eq(hexgpu_ring_reserve(&r, r.count + 150), 0);
        for (int i = 0; i < 150; i++) buf[i] = next_in++;
        hexgpu_ring_push(&r, buf, 150);
        size_t n = hexgpu_ring_pop(&r, buf, 120);
        cr_assert_eq(n, 120);
        for (size_t i = 0; i < n; i++) cr_assert_eq(buf[i], next_out++);
    }
    cr_assert_eq(r.count, 20 * 30);
    cr_assert_eq(r.capacity, 1024); /* grew twice, each time unwrapping the records */
    while (r.count) {
        size_t n = hexgpu_ring_pop(&r, buf, 300);
        for (size_t i = 0; i < n; i++) cr_assert_eq(buf[i], next_out++);
    }
    cr_assert_eq(next_out, next_in);
    cr_assert_eq(hexgpu_ring_pop(&r, buf, 10), 0);
    hexgpu_ring_free(&r);
}
