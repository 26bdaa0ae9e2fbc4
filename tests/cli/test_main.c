/* The hexgpu command's top level: --version, --help, unknown commands. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "hexgpu.h"
#include "support/run_cli.h"

Test(cli_main, version_prints_library_version) {
    hexgpu_cli_result r;
    const char *argv[] = {"--version", NULL};
    cr_assert_eq(hexgpu_cli_run(argv, NULL, &r), 0);
    cr_assert_eq(r.exit_code, 0);
    char expected[64];
    snprintf(expected, sizeof expected, "hexgpu %s", hexgpu_version());
    cr_assert_str_eq(hexgpu_cli_last_line(r.out), expected);
    hexgpu_cli_result_free(&r);
}

Test(cli_main, help_lists_every_command) {
    hexgpu_cli_result r;
    const char *argv[] = {"--help", NULL};
    cr_assert_eq(hexgpu_cli_run(argv, NULL, &r), 0);
    cr_assert_eq(r.exit_code, 0);
    const char *names[] = {"show", "eval", "bench", "convert", "init-model"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        cr_assert(strstr(r.out, names[i]), "--help does not mention %s", names[i]);
    hexgpu_cli_result_free(&r);
}

Test(cli_main, unknown_command_is_usage_error) {
    hexgpu_cli_result r;
    const char *argv[] = {"frobnicate", NULL};
    cr_assert_eq(hexgpu_cli_run(argv, NULL, &r), 0);
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strncmp(r.err, "error: unknown command 'frobnicate'", 35) == 0, "stderr: %s", r.err);
    cr_assert(strchr(r.err, '\n') == r.err + strlen(r.err) - 1, "error must be one line: %s", r.err);
    hexgpu_cli_result_free(&r);
}

Test(cli_main, no_arguments_is_usage_error) {
    hexgpu_cli_result r;
    const char *argv[] = {NULL};
    cr_assert_eq(hexgpu_cli_run(argv, NULL, &r), 0);
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strstr(r.err, "usage: hexgpu"));
    hexgpu_cli_result_free(&r);
}

Test(cli_main, output_that_cannot_be_written_is_a_failure) {
    /* /dev/full: every write fails with ENOSPC, as on a full disk. */
    const char *commands[] = {" show '#13,a1'", " --help", " --version"};
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        char line[4096];
        snprintf(line, sizeof line, "'%s'%s > /dev/full 2>/dev/null", HEXGPU_CLI_PATH, commands[i]);
        int status = system(line);
        cr_assert(WIFEXITED(status), "%s", line);
        cr_assert_eq(WEXITSTATUS(status), 1, "%s exited %d", line, WEXITSTATUS(status));
    }
}
