/* Opening an engine from a model file: read the checkpoint, build the network (BN
 * folded), choose the backend, create its context, then hand over to
 * hexgpu_engine_open_backend. The network stays alive until the context is destroyed. */
#include <stdlib.h>
#include <string.h>

#include "host/engine_impl.h"
#include "runtime/model_file.h"
#include "runtime/network.h"
#include "runtime/status.h"

static void network_release(void *net) {
    hexgpu_network_free(net);
    free(net);
}

/* HEXGPU_DEVICES_ALL: the devices ops reports as available, 0, 1, ... up to the first
 * that is not (at least device 0: select has just found it usable); the CPU backend has
 * one. Fills devices, returns how many. */
static int all_devices(const hexgpu_backend_ops *ops, int *devices) {
    int n = 1;
    devices[0] = 0;
    if (strcmp(ops->name, "cpu") != 0 && ops->available) {
        char why[256];
        while (n < HEXGPU_MAX_DEVICES && ops->available(n, why, sizeof why)) {
            devices[n] = n;
            n++;
        }
    }
    return n;
}

hexgpu_status hexgpu_engine_open(const char *model_path, const hexgpu_engine_options *options,
                                 hexgpu_engine **engine, hexgpu_error *err) {
    if (!engine) return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "hexgpu_engine_open: NULL engine");
    *engine = NULL;
    if (!model_path) return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "hexgpu_engine_open: NULL model path");
    hexgpu_engine_options opt;
    if (options) opt = *options;
    else hexgpu_engine_options_default(&opt);

    const hexgpu_backend_ops *ops = NULL;
    char choice[512];
    int first = opt.device_count > 0 ? opt.devices[0] : opt.device;
    hexgpu_status st = hexgpu_backend_select(opt.backend, first < 0 ? 0 : first, &ops, choice, sizeof choice, err);
    if (st == HEXGPU_OK && opt.device_count == HEXGPU_DEVICES_ALL) opt.device_count = all_devices(ops, opt.devices);
    if (st == HEXGPU_OK) st = hexgpu_engine_options_resolve(&opt, ops, &opt, err);
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
        return hexgpu_error_prefix(err, "%s", model_path);
    }
    /* One context per device, all borrowing the one network. */
    void *ctxs[HEXGPU_MAX_DEVICES] = {0};
    for (int i = 0; i < opt.device_count && st == HEXGPU_OK; i++) {
        hexgpu_backend_config config = {.device = opt.devices[i], .precision = opt.precision,
                                        .max_batch = opt.max_batch, .threads = opt.cpu_threads};
        st = ops->create(net, &config, &ctxs[i], err);
        if (st != HEXGPU_OK && opt.device_count > 1) hexgpu_error_prefix(err, "device %d", opt.devices[i]);
    }
    if (st != HEXGPU_OK) {
        for (int i = 0; i < opt.device_count; i++)
            if (ctxs[i]) ops->destroy(ctxs[i]);
        network_release(net);
        return hexgpu_error_prefix(err, "backend %s", ops->name);
    }
    st = hexgpu_engine_open_backends(ops, ctxs, opt.device_count, net->board_size, &opt, choice, net, network_release,
                                     engine, err);
    if (st == HEXGPU_OK) (*engine)->model_path = strdup(model_path); /* no request can run yet */
    return st;
}
