/* PLACEHOLDER: being written; replaced before anything lands. */
#include "cli/cli.h"
int hexgpu_cmd_bench(int argc, char **argv) {
    (void)argc;
    (void)argv;
    return hexgpu_cli_fail(HEXGPU_EXIT_FAILURE, "'bench' is not implemented yet");
}
