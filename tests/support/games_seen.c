#include "support/games_seen.h"

#include <criterion/criterion.h>

#include "base/interrupt.h"

hexgpu_status hexgpu_test_games_seen_record(hexgpu_test_games_seen *s, int64_t index, hexgpu_error *err) {
    cr_assert_lt(s->calls, HEXGPU_TEST_MAX_GAMES);
    s->index[s->calls++] = index;
    if (s->calls == s->interrupt_at) hexgpu_interrupt_raise(s->interrupt);
    if (s->calls == s->fail_at) return hexgpu_error_set(err, HEXGPU_ERR_IO, "test: disk full");
    return HEXGPU_OK;
}
