/* Test support: run the built `hexgpu` binary and capture what it printed. */
#pragma once

#include <stddef.h>

typedef struct hexgpu_cli_result {
    int exit_code;  /* the process's exit status; 128+signal when killed */
    char *out;      /* all of standard output, NUL-terminated (malloc'd) */
    char *err;      /* all of standard error, NUL-terminated (malloc'd) */
} hexgpu_cli_result;

/* Runs HEXGPU_CLI_PATH with argv (NULL-terminated, without the program name), feeding
 * stdin_text (may be NULL: empty standard input). Returns 0 when the process ran. */
int hexgpu_cli_run(const char *const *argv, const char *stdin_text, hexgpu_cli_result *result);

void hexgpu_cli_result_free(hexgpu_cli_result *result);

/* The last non-empty line of text (copied into a static buffer per thread). */
const char *hexgpu_cli_last_line(const char *text);
