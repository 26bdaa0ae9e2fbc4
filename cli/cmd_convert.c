/* hexgpu convert: load a checkpoint in any supported form (.pt, .pt.gz, .safetensors),
 * check it builds as a network, and write its original (unfolded) tensors as safetensors,
 * or the network with batch norm folded as an ONNX graph when the output ends in .onnx. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/model_output.h"
#include "model/model_file.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: hexgpu convert --model IN --output OUT.safetensors|OUT.onnx\n\n"
            "Reads a PyTorch checkpoint (.pt zip, .pt.gz, trainer checkpoint or bare state dict)\n"
            "or a safetensors file (the format is detected from the bytes), checks that it is a\n"
            "TwoHeadedResNet of the reference layout, and writes the same tensors (fp32; int64\n"
            "num_batches_tracked) as safetensors with metadata board_size and arch.\n\n"
            "An OUT ending in .onnx gets the network as an ONNX model instead (IR 7, opset 13,\n"
            "batch norm folded into the convolutions): input \"input\" float [batch, 3, n, n],\n"
            "outputs \"policy_logits\" [batch, n*n] and \"value\" [batch, 1] (tanh, Red's view),\n"
            "batch dynamic. The output appears whole or not at all.\n");
}

int hexgpu_cmd_convert(int argc, char **argv) {
    if (hexgpu_cli_wants_help(argc, argv)) {
        usage(stdout);
        return HEXGPU_EXIT_OK;
    }
    const char *input = NULL, *output = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc)
            return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "unknown option or missing value: '%s' (try 'hexgpu convert --help')", a);
        if (strcmp(a, "--model") == 0) input = argv[++i];
        else if (strcmp(a, "--output") == 0) output = argv[++i];
        else return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "unknown option '%s' (try 'hexgpu convert --help')", a);
    }
    if (!input || !output) return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "convert needs --model IN and --output OUT");
    hexgpu_tensor_map map = {0};
    hexgpu_model_file_info info;
    hexgpu_error err = {0};
    hexgpu_status st = hexgpu_model_file_load(input, &map, &info, &err);
    if (st != HEXGPU_OK) return hexgpu_cli_fail_status(st, &err);
    char source[512];
    snprintf(source, sizeof source, "%s, %s%s", input, hexgpu_model_format_name(info.format),
             info.trainer_checkpoint ? " trainer checkpoint" : "");
    int code = hexgpu_cli_write_model(&map, output, source);
    hexgpu_tensor_map_free(&map);
    return code;
}
