/* The one rule from statuses to exit codes, for every subcommand (docs/reliability.md
 * has the table): 2 when what the user gave is wrong and theirs to fix (a flag, a
 * position, a model file: missing, not a regular file, malformed, hostile, of a form or
 * layout not supported, or giving non-finite outputs), 1 when the run or the machine
 * failed (I/O, memory, no GPU, CUDA, an internal error). */
#include "cli/cli.h"

int hexgpu_cli_exit_code(hexgpu_status status) {
    switch (status) {
    case HEXGPU_OK: return HEXGPU_EXIT_OK;
    case HEXGPU_ERR_INVALID_ARGUMENT:
    case HEXGPU_ERR_PARSE:
    case HEXGPU_ERR_INVALID_POSITION:
    case HEXGPU_ERR_MODEL_FORMAT:
    case HEXGPU_ERR_UNSUPPORTED: return HEXGPU_EXIT_USAGE;
    case HEXGPU_ERR_IO:
    case HEXGPU_ERR_OUT_OF_MEMORY:
    case HEXGPU_ERR_NO_DEVICE:
    case HEXGPU_ERR_CUDA:
    case HEXGPU_ERR_CLOSED:
    case HEXGPU_ERR_TIMEOUT:
    case HEXGPU_ERR_INTERNAL:
    case HEXGPU_STATUS_COUNT: break;
    }
    return HEXGPU_EXIT_FAILURE; /* also any value outside the enum */
}

int hexgpu_cli_fail_status(hexgpu_status status, const hexgpu_error *err) {
    int code = hexgpu_cli_exit_code(status);
    if (code == HEXGPU_EXIT_OK) code = HEXGPU_EXIT_FAILURE; /* a failure, whatever status it came with */
    if (!err || !err->message[0]) return hexgpu_cli_fail(code, "%s", hexgpu_status_str(status));
    return hexgpu_cli_fail(code, "%s", err->message);
}
