/* The hexgpu command's subcommands: each takes argv after the subcommand name's own
 * position (argv[0] is the subcommand) and returns the process exit code:
 * 0 ok, 1 failure (model, device, I/O), 2 bad input or usage. */
#pragma once

#include <stdio.h>

#define HEXGPU_EXIT_OK 0
#define HEXGPU_EXIT_FAILURE 1
#define HEXGPU_EXIT_USAGE 2

int hexgpu_cmd_show(int argc, char **argv);
int hexgpu_cmd_eval(int argc, char **argv);
int hexgpu_cmd_convert(int argc, char **argv);
int hexgpu_cmd_init_model(int argc, char **argv);
int hexgpu_cmd_bench(int argc, char **argv);
int hexgpu_cmd_selfplay(int argc, char **argv);

/* Prints "error: <message>" on standard error (one line) and returns code. */
int hexgpu_cli_fail(int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* 1 when text is a whole decimal integer in lo..hi (then stored in *out), else 0. */
int hexgpu_cli_parse_int(const char *text, int lo, int hi, int *out);

/* 1 when argv[i] is -h or --help. */
int hexgpu_cli_wants_help(int argc, char **argv);
