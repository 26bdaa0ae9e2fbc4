/* The hexgpu command's subcommands: each takes argv after the subcommand name's own
 * position (argv[0] is the subcommand) and returns the process exit code: 0 ok,
 * 2 bad input (usage, a flag out of range, a position, a bad model file), 1 other
 * failures (I/O, memory, device). A failure's status becomes its code through
 * hexgpu_cli_exit_code alone (cli/exit_code.c; the table is in docs/reliability.md). */
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
int hexgpu_cmd_records(int argc, char **argv);
int hexgpu_cmd_check(int argc, char **argv);
int hexgpu_cmd_htp(int argc, char **argv);
int hexgpu_cmd_match(int argc, char **argv);
int hexgpu_cmd_serve(int argc, char **argv);
int hexgpu_cmd_tournament(int argc, char **argv);

/* Prints "error: <message>" on standard error (one line) and returns code. */
int hexgpu_cli_fail(int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* The exit code of a status, the same in every command: HEXGPU_EXIT_OK for HEXGPU_OK,
 * HEXGPU_EXIT_USAGE (2) for bad input (INVALID_ARGUMENT, PARSE, INVALID_POSITION,
 * MODEL_FORMAT, UNSUPPORTED), HEXGPU_EXIT_FAILURE (1) for everything else. */
int hexgpu_cli_exit_code(hexgpu_status status);

/* Prints err's message as hexgpu_cli_fail does (the status's name when the message is
 * empty) and returns the exit code of status (1 should status be HEXGPU_OK). */
int hexgpu_cli_fail_status(hexgpu_status status, const hexgpu_error *err);

/* cli/args.c. 1 when text is a whole decimal integer in lo..hi (then stored in *out), else 0. */
int hexgpu_cli_parse_int(const char *text, int lo, int hi, int *out);

/* The same for the value of option opt, returning an exit code: HEXGPU_EXIT_OK, or
 * HEXGPU_EXIT_USAGE after printing "<opt> needs an integer in lo..hi, got '<text>'"
 * (">= lo" when hi is INT_MAX). *out is unchanged on failure. */
int hexgpu_cli_option_int(const char *opt, const char *text, int lo, int hi, int *out);

/* 64-bit integers: "<opt> needs an integer in lo..hi, got '<text>'". */
int hexgpu_cli_option_int64(const char *opt, const char *text, long long lo, long long hi, long long *out);

/* A finite number in [lo, hi]: "<opt> needs a number in [lo, hi], got '<text>'" (">= lo"
 * when hi is 1e6 or more: a bound for sanity, not a meaning). */
int hexgpu_cli_option_double(const char *opt, const char *text, double lo, double hi, double *out);

/* hexgpu_engine_options_default, with the log level the command's HEXGPU_CUDA_VERBOSE
 * asks for (cli/describe.c: hexgpu_cli_logger). */
void hexgpu_cli_engine_options_default(hexgpu_engine_options *options);

/* --backend cpu|cuda|auto and --precision fp16|fp32|auto: HEXGPU_EXIT_OK, or
 * HEXGPU_EXIT_USAGE after printing what the option accepts. *out is unchanged on failure. */
int hexgpu_cli_option_backend(const char *text, hexgpu_backend_kind *out);
int hexgpu_cli_option_precision(const char *text, hexgpu_precision *out);

/* --device N | N,M,... | all into options (device, devices/device_count, or
 * HEXGPU_DEVICES_ALL): HEXGPU_EXIT_OK, or HEXGPU_EXIT_USAGE after printing what it
 * accepts. options is unchanged on failure. */
int hexgpu_cli_option_devices(const char *text, hexgpu_engine_options *options);

/* 1 when argv[i] is -h or --help. */
int hexgpu_cli_wants_help(int argc, char **argv);
