/* _hexgpu.model_info: what a model file holds (the network's widths, head sizes and
 * parameter count, the file's format), read and checked as the engine reads it. The
 * engine does not keep the file's description, so this reads the file again: callers
 * ask once and keep the answer (SimpleModelInference.model). */
#include "pyhexgpu.h"

#include <string.h>

#include "base/status.h"
#include "model/model_file.h"
#include "model/network.h"

/* model_info(path) -> dict: board_size, widths (C0..C4), stages, blocks, value_channels,
 * value_hidden, parameter_count (PyTorch's count of the unfolded model), macs (one
 * board's multiply-adds), tensors, format, trainer_checkpoint, arch. */
PyObject *hexgpu_py_model_info(PyObject *module, PyObject *args) {
    (void)module;
    PyObject *path_bytes;
    if (!PyArg_ParseTuple(args, "O&:model_info", PyUnicode_FSConverter, &path_bytes)) return NULL;
    const char *path = PyBytes_AS_STRING(path_bytes);
    hexgpu_tensor_map map = {0};
    hexgpu_model_file_info info;
    hexgpu_network net;
    memset(&info, 0, sizeof info);
    memset(&net, 0, sizeof net);
    hexgpu_error err = {0};
    hexgpu_status st;
    size_t tensors = 0;
    Py_BEGIN_ALLOW_THREADS
    st = hexgpu_model_file_load(path, &map, &info, &err);
    if (st == HEXGPU_OK) {
        tensors = map.count;
        st = hexgpu_network_build(&map, &net, &err);
        if (st != HEXGPU_OK) hexgpu_error_prefix(&err, st, "%s", path);
    }
    hexgpu_tensor_map_free(&map);
    Py_END_ALLOW_THREADS
    PyObject *result = NULL, *arch = NULL;
    if (st != HEXGPU_OK) hexgpu_py_raise(&err, path);
    /* arch is the file's own text: not trusted to be UTF-8 */
    else if ((arch = PyUnicode_DecodeUTF8(info.arch, (Py_ssize_t)strlen(info.arch), "replace")))
        result = Py_BuildValue("{s:i,s:(iiiii),s:i,s:i,s:i,s:i,s:L,s:L,s:n,s:s,s:O,s:O}", "board_size", net.board_size,
                               "widths", net.widths[0], net.widths[1], net.widths[2], net.widths[3], net.widths[4],
                               "stages", HEXGPU_NET_STAGES, "blocks", HEXGPU_NET_BLOCKS, "value_channels",
                               net.value_channels, "value_hidden", net.value_hidden, "parameter_count",
                               (long long)net.parameter_count, "macs", (long long)hexgpu_network_macs(&net), "tensors",
                               (Py_ssize_t)tensors, "format", hexgpu_model_format_name(info.format),
                               "trainer_checkpoint", info.trainer_checkpoint ? Py_True : Py_False, "arch", arch);
    Py_XDECREF(arch);
    hexgpu_network_free(&net);
    Py_DECREF(path_bytes);
    return result;
}
