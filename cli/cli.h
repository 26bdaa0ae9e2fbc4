/* The hexgpu command's subcommands: each takes argv after the subcommand name's own
 * position (argv[0] is the subcommand) and returns the process exit code:
 * 0 ok, 1 failure (model, device, I/O), 2 bad input or usage. */
#pragma once

#include <stdio.h>

#include "hexgpu.h"

#define HEXGPU_EXIT_OK 0
#define HEXGPU_EXIT_FAILURE 1
#define HEXGPU_EXIT_USAGE 2

int hexgpu_cmd_show(int argc, char **argv);
int hexgpu_cmd_eval(int argc, char **argv);
int hexgpu_cmd_convert(int argc, char **argv);
int hexgpu_cmd_init_model(int argc, char **argv);
int hexgpu_cmd_bench(int argc, char **argv);
int hexgpu_cmd_selfplay(int argc, char **argv);
int hexgpu_cmd_check(int argc, char **argv);
int hexgpu_cmd_htp(int argc, char **argv);
int hexgpu_cmd_match(int argc, char **argv);

/* Prints "error: <message>" on standard error (one line) and returns code. */
int hexgpu_cli_fail(int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* cli/args.c. 1 when text is a whole decimal integer in lo..hi (then stored in *out), else 0. */
int hexgpu_cli_parse_int(const char *text, int lo, int hi, int *out);

/* The same for the value of option opt, returning an exit code: HEXGPU_EXIT_OK, or
 * HEXGPU_EXIT_USAGE after printing "<opt> needs an integer in lo..hi, got '<text>'"
 * (">= lo" when hi is INT_MAX). *out is unchanged on failure. */
int hexgpu_cli_option_int(const char *opt, const char *text, int lo, int hi, int *out);

/* --backend cpu|cuda|auto and --precision fp16|fp32|auto: HEXGPU_EXIT_OK, or
 * HEXGPU_EXIT_USAGE after printing what the option accepts. *out is unchanged on failure. */
int hexgpu_cli_option_backend(const char *text, hexgpu_backend_kind *out);
int hexgpu_cli_option_precision(const char *text, hexgpu_precision *out);

/* 1 when argv[i] is -h or --help. */
int hexgpu_cli_wants_help(int argc, char **argv);
