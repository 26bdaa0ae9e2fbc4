/* Opening an engine from a model file: read the checkpoint, build the network (BN
 * folded), choose the backend, create its context, then hand over to
 * hexgpu_engine_open_backend. The network stays alive until the context is destroyed. */
#include <stdlib.h>
#include <string.h>

#include "engine_impl.h"
#include "model/model_file.h"
#include "model/network.h"
#include "base/status.h"

static void network_release(void *net) {
    hexgpu_network_free(net);
    free(net);
}

hexgpu_status hexgpu_engine_open(const char *model_path, const hexgpu_engine_options *options,
                                 hexgpu_engine **engine, hexgpu_error *err) {
    if (!engine) return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "hexgpu_engine_open: NULL engine");
    *engine = NULL;
    if (!model_path) return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "hexgpu_engine_open: NULL model path");
    hexgpu_engine_options opt;
    if (options) opt = *options;
    else hexgpu_engine_options_default(&opt);
    /* Checked before the model is read; max_batch 0 stays 0 until the backend is chosen. */
    hexgpu_status st = hexgpu_engine_options_resolve(&opt, NULL, &opt, err);
    if (st != HEXGPU_OK) return st;

    hexgpu_tensor_map tensors = {0};
    st = hexgpu_model_file_load(model_path, &tensors, NULL, err);
    if (st != HEXGPU_OK) return st;
    hexgpu_network *net = calloc(1, sizeof *net);
    if (!net) {
        hexgpu_tensor_map_free(&tensors);
        return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "%s: out of memory for the network", model_path);
    }
    st = hexgpu_network_build(&tensors, net, err);
    hexgpu_tensor_map_free(&tensors);
    if (st != HEXGPU_OK) {
        free(net);
        return hexgpu_error_prefix(err, st, "%s", model_path);
    }
    /* One context per device, all borrowing the one network. */
    hexgpu_backend_contexts contexts;
    hexgpu_backend_config config = {.device = opt.device, .precision = opt.precision, .max_batch = opt.max_batch,
                                    .threads = opt.cpu_threads,
                                    .log = {.fn = opt.log, .user = opt.log_user, .level = opt.log_level}};
    st = hexgpu_backend_contexts_create(opt.backend, opt.devices, opt.device_count, &config, net, &contexts, err);
    if (st != HEXGPU_OK) {
        network_release(net);
        return st;
    }
    opt.device_count = contexts.count;
    memcpy(opt.devices, contexts.devices, sizeof opt.devices);
    opt.device = opt.devices[0];
    opt.max_batch = contexts.max_batch;
    st = hexgpu_engine_open_backends(contexts.ops, contexts.ctxs, contexts.count, net->board_size, &opt,
                                     contexts.chosen, net, network_release, engine, err);
    if (st == HEXGPU_OK) (*engine)->model_path = strdup(model_path); /* no request can run yet */
    return st;
}
