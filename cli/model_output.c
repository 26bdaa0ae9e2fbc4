/* Opening a model for the commands; validating and writing one for `convert` and `init-model`. */
#include "cli/model_output.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "model/network.h"
#include "model/export/onnx_write.h"
#include "base/status.h"
#include "model/reference_layout.h"
#include "model/export/safetensors_write.h"

int hexgpu_cli_output_is_onnx(const char *output) {
    size_t len = strlen(output);
    return len > 5 && strcasecmp(output + len - 5, ".onnx") == 0;
}

int hexgpu_cli_write_model(const hexgpu_tensor_map *map, const char *output, const char *source) {
    hexgpu_network net;
    hexgpu_error err = {0};
    hexgpu_status st = hexgpu_network_build(map, &net, &err);
    if (st != HEXGPU_OK) return hexgpu_cli_fail(hexgpu_cli_exit_code(st), "%s: not a usable network: %s", source, err.message);
    int board = net.board_size;
    int64_t params = net.parameter_count;
    if (hexgpu_cli_output_is_onnx(output)) {
        st = hexgpu_onnx_write(output, &net, &err);
        hexgpu_network_free(&net);
        if (st != HEXGPU_OK) return hexgpu_cli_fail_status(st, &err);
        printf("wrote %s: ONNX opset %d, batch norm folded, %lld parameters, board %dx%d (from %s)\n", output,
               HEXGPU_ONNX_OPSET, (long long)params, board, board, source);
        return HEXGPU_EXIT_OK;
    }
    hexgpu_network_free(&net);
    char board_text[16];
    snprintf(board_text, sizeof board_text, "%d", board);
    const hexgpu_safetensors_meta meta[] = {{"board_size", board_text}, {"arch", "TwoHeadedResNet"}};
    st = hexgpu_safetensors_write(output, map, meta, sizeof meta / sizeof meta[0], &err);
    if (st != HEXGPU_OK) return hexgpu_cli_fail_status(st, &err);
    printf("wrote %s: %zu tensors, %lld parameters, board %dx%d (from %s)\n", output, map->count, (long long)params,
           board, board, source);
    return HEXGPU_EXIT_OK;
}

hexgpu_status hexgpu_cli_network_open(const char *path, uint64_t seed, hexgpu_tensor_map *map, hexgpu_network *net,
                                      hexgpu_error *err) {
    *map = (hexgpu_tensor_map){0};
    memset(net, 0, sizeof *net);
    hexgpu_status st;
    if (!path) {
        hexgpu_layout_dims dims = hexgpu_layout_full_size();
        st = hexgpu_layout_random_model(&dims, seed, 1, map, err);
    } else
        st = hexgpu_model_file_load(path, map, NULL, err);
    if (!st) {
        st = hexgpu_network_build(map, net, err);
        if (st && path) hexgpu_error_prefix(err, st, "%s", path); /* the loader's own messages name it already */
    }
    if (st) hexgpu_tensor_map_free(map);
    return st;
}
