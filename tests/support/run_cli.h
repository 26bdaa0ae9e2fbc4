/* Test support: run the built `hexgpu` binary and capture what it printed, or start it and
 * watch its output while it runs (to signal or kill it at a chosen moment). */
#pragma once

#include <stddef.h>
#include <sys/types.h>

typedef struct hexgpu_cli_result {
    int exit_code;  /* the process's exit status; 128+signal when killed */
    char *out;      /* all of standard output, NUL-terminated (malloc'd) */
    char *err;      /* all of standard error, NUL-terminated (malloc'd) */
    long max_rss_kb; /* the process's peak resident memory (its ru_maxrss, from wait4) */
    double seconds;  /* wall time from the start to the exit */
} hexgpu_cli_result;

/* What the child gets before exec; all zero = nothing. */
typedef struct hexgpu_cli_options {
    int limit_file_size;      /* 1: RLIMIT_FSIZE = file_size bytes (and SIGXFSZ ignored) */
    long long file_size;
    int block_sigterm;        /* SIGTERM blocked across exec: one sent at once stays pending */
    long long address_space;  /* > 0: RLIMIT_AS in bytes (not under AddressSanitizer, which needs more) */
    unsigned alarm_seconds;   /* > 0: SIGALRM ends the child after this long (a runaway fails fast) */
    const char *const *environment; /* NULL-terminated: "NAME=VALUE" sets, "NAME" unsets; NULL = none */
} hexgpu_cli_options;

/* Runs HEXGPU_CLI_PATH with argv (NULL-terminated, without the program name), feeding
 * stdin_text (may be NULL: empty standard input). Returns 0 when the process ran. */
int hexgpu_cli_run(const char *const *argv, const char *stdin_text, hexgpu_cli_result *result);

/* The same with options (may be NULL). */
int hexgpu_cli_run_with(const char *const *argv, const char *stdin_text, const hexgpu_cli_options *options,
                        hexgpu_cli_result *result);

/* A running hexgpu: standard input empty, standard output and error into one pipe whose
 * text so far is in output. */
typedef struct hexgpu_cli_child {
    pid_t pid;
    int fd;
    char *output; /* NUL-terminated (malloc'd) */
    size_t length, capacity;
    double started;
} hexgpu_cli_child;

/* Starts HEXGPU_CLI_PATH with argv and options (may be NULL). 0 when it started. */
int hexgpu_cli_spawn(const char *const *argv, const hexgpu_cli_options *options, hexgpu_cli_child *child);

/* Reads the child's output until it contains needle (NULL: until the time is up), its
 * output ends, or timeout_ms pass. 1 when needle is in the output. */
int hexgpu_cli_child_read(hexgpu_cli_child *child, const char *needle, int timeout_ms);

/* Reads the rest of the output, waits for the exit and fills result (the whole output in
 * err, out empty); the child's resources go. */
void hexgpu_cli_child_finish(hexgpu_cli_child *child, hexgpu_cli_result *result);

void hexgpu_cli_result_free(hexgpu_cli_result *result);

/* The last non-empty line of text (copied into a static buffer per thread). */
const char *hexgpu_cli_last_line(const char *text);
