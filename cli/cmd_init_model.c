/* PLACEHOLDER: being written; replaced before anything lands. */
#include "cli/cli.h"
int hexgpu_cmd_init_model(int argc, char **argv) {
    (void)argc;
    (void)argv;
    return hexgpu_cli_fail(HEXGPU_EXIT_FAILURE, "'init_model' is not implemented yet");
}
