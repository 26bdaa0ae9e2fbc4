/* libFuzzer target: gzip inflation (.pt.gz) and, when it inflates, the whole loader on
 * the result. The inflate cap is small here so that bombs stay within libFuzzer's RSS. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "model/model_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t *inner;
    size_t inner_len;
    hexgpu_error err;
    if (hexgpu_gzip_inflate(data, size, (uint64_t)64 << 20, &inner, &inner_len, &err) != HEXGPU_OK) return 0;
    if (!(inner_len >= 2 && inner[0] == 0x1f && inner[1] == 0x8b)) {
        hexgpu_tensor_map map = {0};
        hexgpu_model_bytes_load(inner, inner_len, &map, NULL, &err);
        hexgpu_tensor_map_free(&map);
    }
    free(inner);
    return 0;
}
