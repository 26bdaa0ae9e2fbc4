/* libFuzzer target: the safetensors reader (header length, JSON header, offsets, dtypes). */
#include <stddef.h>
#include <stdint.h>

#include "model/model_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    hexgpu_tensor_map map = {0};
    hexgpu_model_file_info info;
    hexgpu_error err;
    hexgpu_safetensors_load(data, size, &map, &info, &err);
    hexgpu_tensor_map_free(&map);
    return 0;
}
