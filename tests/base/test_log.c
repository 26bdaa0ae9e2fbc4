/* The log line (base/log.c): levels, one line per call, the caller's function. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "host/host_support.h"

typedef struct lines {
    int count;
    hexgpu_log_level level;
    char last[1100];
} lines;

static void keep(void *user, hexgpu_log_level level, const char *line) {
    lines *l = user;
    l->count++;
    l->level = level;
    snprintf(l->last, sizeof l->last, "%s", line);
}

Test(log, lines_up_to_the_level_reach_the_function) {
    lines got = {0};
    hexgpu_logger warnings = {.fn = keep, .user = &got, .level = HEXGPU_LOG_WARNING};
    hexgpu_log(&warnings, HEXGPU_LOG_INFO, "plan %d ms", 3);
    cr_assert_eq(got.count, 0);
    hexgpu_log(&warnings, HEXGPU_LOG_WARNING, "graph refused\non bucket %d", 64);
    cr_assert_eq(got.count, 1);
    cr_assert_eq(got.level, HEXGPU_LOG_WARNING);
    cr_assert_str_eq(got.last, "graph refused on bucket 64"); /* one line, always */
    hexgpu_logger info = warnings;
    info.level = HEXGPU_LOG_INFO;
    cr_assert(hexgpu_log_enabled(&info, HEXGPU_LOG_INFO));
    cr_assert(!hexgpu_log_enabled(&warnings, HEXGPU_LOG_INFO));
    cr_assert(!hexgpu_log_enabled(NULL, HEXGPU_LOG_INFO) && hexgpu_log_enabled(NULL, HEXGPU_LOG_WARNING));
    char long_text[3000];
    memset(long_text, 'x', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    hexgpu_log(&info, HEXGPU_LOG_INFO, "%s", long_text);
    cr_assert_eq(strlen(got.last), 1023); /* cut, never overflowing */
}

Test(log, engine_options_refuse_a_level_that_is_not_one) {
    hexgpu_engine_options o;
    hexgpu_engine_options_default(&o);
    cr_assert_eq(o.log_level, HEXGPU_LOG_WARNING);
    cr_assert_null(o.log);
    o.log_level = (hexgpu_log_level)7;
    hexgpu_engine *e = NULL;
    hexgpu_error err = {0};
    cr_assert_eq(hexgpu_engine_open("/nonexistent.safetensors", &o, &e, &err), HEXGPU_ERR_INVALID_ARGUMENT);
    cr_assert(strstr(err.message, "log_level 7"), "%s", err.message);
    cr_assert_null(e);
}
