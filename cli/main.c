/* hexgpu: the command-line entry point; dispatches to cli/cmd_<name>.c. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "hexgpu.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"show", hexgpu_cmd_show, "print a TRMPH position as a board, with side to move and winner"},
    {"eval", hexgpu_cmd_eval, "evaluate positions with a model (JSON lines or a top-K table)"},
    {"selfplay", hexgpu_cmd_selfplay, "play self-play games with MCTS and write TRMPH records"},
    {"records", hexgpu_cmd_records, "merge the shard files of a sharded self-play run, checking them"},
    {"htp", hexgpu_cmd_htp, "play over the Hex text protocol (HexGui, MoHex tournaments, match --opponent)"},
    {"match", hexgpu_cmd_match, "play two engines against each other: wins, Elo with a 95% interval, SPRT"},
    {"serve", hexgpu_cmd_serve, "a web page and API: play, analyse, watch engines, records, self-play dashboard"},
    {"tournament", hexgpu_cmd_tournament, "round robin of N players: ratings with 95% intervals, games as TRMPH/CSV"},
    {"bench", hexgpu_cmd_bench, "measure network throughput (boards/s) and latency"},
    {"check", hexgpu_cmd_check, "check a backend and precision against a direct double reference: PASS/FAIL"},
    {"convert", hexgpu_cmd_convert, "convert a .pt/.pt.gz/.safetensors checkpoint to .safetensors"},
    {"init-model", hexgpu_cmd_init_model, "write a randomly initialised network of the reference layout"},
};

int hexgpu_cli_fail(int code, const char *fmt, ...) {
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    for (char *p = line; *p; p++)
        if (*p == '\n') *p = ' ';
    fflush(stdout);
    fprintf(stderr, "error: %s\n", line);
    return code;
}

int hexgpu_cli_wants_help(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) return 0;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) return 1;
    }
    return 0;
}

static void usage(FILE *out) {
    fprintf(out,
            "hexgpu %s: CUDA-native inference and self-play engine for Hex networks\n\n"
            "usage: hexgpu <command> [options]\n\ncommands:\n",
            hexgpu_version());
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-11s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'hexgpu <command> --help' describes a command's options.\n");
}

/* Output that could not be written (a full disk, a closed pipe) is a failure, never a
 * silent exit 0: the exit code is what scripts that save our output check. */
static int finish_stdout(int code) {
    if (fflush(stdout) != 0 || ferror(stdout)) {
        int saved = errno;
        fprintf(stderr, "error: writing standard output: %s\n", strerror(saved ? saved : EIO));
        return code == HEXGPU_EXIT_OK ? HEXGPU_EXIT_FAILURE : code;
    }
    return code;
}

static int run(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return HEXGPU_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return HEXGPU_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("hexgpu %s\n", hexgpu_version());
        return HEXGPU_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0) return commands[i].run(argc - 1, argv + 1);
    return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "unknown command '%s' (try 'hexgpu --help')", argv[1]);
}

int main(int argc, char **argv) {
    /* A reader that goes away (`hexgpu eval ... | head`) gives EPIPE on write instead of
     * killing us mid-line; finish_stdout reports it. */
    signal(SIGPIPE, SIG_IGN);
    int code = run(argc, argv);
    errno = 0;
    return finish_stdout(code);
}
