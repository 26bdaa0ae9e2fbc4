/* libFuzzer target: the restricted unpickler on raw pickle bytes. */
#include <stddef.h>
#include <stdint.h>

#include "model/pickle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    hexgpu_pickle *pickle;
    const hexgpu_pickle_value *root;
    hexgpu_error err;
    if (hexgpu_pickle_load(data, size, &pickle, &root, &err) == HEXGPU_OK) {
        /* Walk what a checkpoint reader would: the dict and its tensors. */
        const hexgpu_pickle_value *sd = hexgpu_pickle_dict_get(root, "model_state_dict");
        if (!sd) sd = root;
        volatile int64_t sink = 0;
        if (sd->type == HEXGPU_PICKLE_DICT)
            for (size_t i = 0; i + 1 < sd->count; i += 2)
                if (sd->items[i + 1]->type == HEXGPU_PICKLE_TENSOR)
                    sink += sd->items[i + 1]->tensor->ndim + sd->items[i + 1]->tensor->storage->storage_numel;
        (void)sink;
        hexgpu_pickle_destroy(pickle);
    }
    return 0;
}
