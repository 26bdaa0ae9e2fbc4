/* Test support: where the golden fixtures are, and reading them. */
#pragma once

#include <stddef.h>

/* $HEXGPU_FIXTURES if set (the GPU machine gets a copy in its bundle), else the
 * tests/fixtures (HEXGPU_FIXTURES_DIR) configured at build time. */
const char *hexgpu_test_fixtures_dir(void);

/* "<fixtures>/<relative>" into a static buffer (one per thread is not needed: tests
 * copy it before the next call). */
const char *hexgpu_test_fixture_path(const char *relative);
