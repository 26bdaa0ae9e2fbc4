/* hexgpu init-model: a randomly initialised network of the reference layout, from a
 * seeded generator (same seed and options, same bytes), written as safetensors. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/model_output.h"
#include "model/reference_layout.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: hexgpu init-model --seed S --output OUT.safetensors [options]\n\n"
            "Writes a TwoHeadedResNet with random weights (PyTorch's initialisation) and random\n"
            "batch-norm statistics (positive variances), as a trained network would have.\n\n"
            "  --widths C1,C2,C3,C4  residual stage widths (default 64,128,256,512)\n"
            "  --stem C0             input convolution width (default: the first width)\n"
            "  --board-size N        board side 1..19 (default 13)\n"
            "  --value-channels V    value head 1x1 convolution width (default 32)\n"
            "  --value-hidden H      value head hidden units (default 256)\n"
            "  --seed S              generator seed, 0..2^64-1 (required)\n"
            "  --output PATH         the .safetensors file to write (required)\n");
}

static int parse_widths(const char *text, int *widths) {
    const char *p = text;
    for (int k = 0; k < 4; k++) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (errno || end == p || v < 1 || v > 65536) return 0;
        widths[k] = (int)v;
        if (k < 3 && *end != ',') return 0;
        p = end + (k < 3);
        if (k == 3 && *end) return 0;
    }
    return 1;
}

int hexgpu_cmd_init_model(int argc, char **argv) {
    if (hexgpu_cli_wants_help(argc, argv)) {
        usage(stdout);
        return HEXGPU_EXIT_OK;
    }
    hexgpu_layout_dims dims = hexgpu_layout_full_size();
    int stem = 0, have_seed = 0, rc;
    uint64_t seed = 0;
    const char *output = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "unknown option or missing value: '%s' (try 'hexgpu init-model --help')", a);
        i++;
        if (strcmp(a, "--output") == 0) output = v;
        else if (strcmp(a, "--widths") == 0) {
            if (!parse_widths(v, dims.widths + 1))
                return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "--widths '%s': expected four widths like 64,128,256,512", v);
        } else if (strcmp(a, "--stem") == 0) {
            if ((rc = hexgpu_cli_option_int(a, v, 1, 65536, &stem))) return rc;
        } else if (strcmp(a, "--board-size") == 0) {
            if ((rc = hexgpu_cli_option_int(a, v, HEXGPU_MIN_SIZE, HEXGPU_MAX_SIZE, &dims.board_size))) return rc;
        } else if (strcmp(a, "--value-channels") == 0) {
            if ((rc = hexgpu_cli_option_int(a, v, 1, 65536, &dims.value_channels))) return rc;
        } else if (strcmp(a, "--value-hidden") == 0) {
            if ((rc = hexgpu_cli_option_int(a, v, 1, 65536, &dims.value_hidden))) return rc;
        } else if (strcmp(a, "--seed") == 0) {
            char *end;
            errno = 0;
            unsigned long long s = strtoull(v, &end, 10);
            if (errno || end == v || *end || *v == '-')
                return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "--seed '%s': expected an integer 0..2^64-1", v);
            seed = s;
            have_seed = 1;
        } else {
            return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "unknown option '%s' (try 'hexgpu init-model --help')", a);
        }
    }
    if (!have_seed || !output) return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "init-model needs --seed S and --output PATH");
    dims.widths[0] = stem ? stem : dims.widths[1];
    hexgpu_tensor_map map = {0};
    hexgpu_error err = {0};
    hexgpu_status st = hexgpu_layout_random_model(&dims, seed, 1, &map, &err);
    if (st != HEXGPU_OK) {
        hexgpu_tensor_map_free(&map);
        return hexgpu_cli_fail_status(st, &err);
    }
    char source[64];
    snprintf(source, sizeof source, "init-model seed %llu", (unsigned long long)seed);
    int code = hexgpu_cli_write_model(&map, output, source);
    hexgpu_tensor_map_free(&map);
    return code;
}
