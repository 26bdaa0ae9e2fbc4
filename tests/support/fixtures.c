/* Test support: locating the golden fixtures. */
#include "support/fixtures.h"

#include <stdio.h>
#include <stdlib.h>

const char *hexgpu_test_fixtures_dir(void) {
    const char *env = getenv("HEXGPU_FIXTURES");
    return env && *env ? env : HEXGPU_FIXTURES_DEFAULT;
}

const char *hexgpu_test_fixture_path(const char *relative) {
    static _Thread_local char path[4096];
    snprintf(path, sizeof path, "%s/%s", hexgpu_test_fixtures_dir(), relative);
    return path;
}
