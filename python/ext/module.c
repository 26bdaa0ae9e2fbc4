/* The _hexgpu module: errors as Python exceptions, small helpers (version, cell names,
 * evaluation of positions as planes), and the registration of the Engine type and the
 * self-play and record functions. */
#define HEXGPU_PY_MODULE_MAIN
#include "pyhexgpu.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "hex/trmph.h"

/* The library's message as a str. It may quote a path that is not UTF-8 (a bytes path,
 * a surrogateescape str): such bytes are kept visible as \xNN escapes rather than failing
 * the decode, which would replace the error with a UnicodeDecodeError. */
static PyObject *message_text(const char *message) {
    return PyUnicode_DecodeUTF8(message, (Py_ssize_t)strlen(message), "backslashreplace");
}

/* Raises type(message), or type(errno_value, message) when errno_value is not 0 (as the
 * os module's errors: e.errno is set, str(e) starts "[Errno N]"). */
static void raise_message(PyObject *type, int errno_value, const char *message) {
    PyObject *text = message_text(message);
    if (!text) return;
    PyObject *error = errno_value ? PyObject_CallFunction(type, "iO", errno_value, text)
                                  : PyObject_CallFunctionObjArgs(type, text, NULL);
    Py_DECREF(text);
    if (!error) return;
    PyErr_SetObject(type, error);
    Py_DECREF(error);
}

PyObject *hexgpu_py_raise(const hexgpu_error *err, const char *path) {
    PyObject *type = PyExc_RuntimeError;
    struct stat st;
    /* A model path that names nothing, or a folder: the library calls both bad input
     * (INVALID_ARGUMENT, exit 2 in the command); Python users expect the OS errors. */
    int missing = path && (err->status == HEXGPU_ERR_IO || err->status == HEXGPU_ERR_INVALID_ARGUMENT) &&
                  stat(path, &st) != 0 && errno == ENOENT;
    int folder = path && (err->status == HEXGPU_ERR_IO || err->status == HEXGPU_ERR_INVALID_ARGUMENT) &&
                 stat(path, &st) == 0 && S_ISDIR(st.st_mode);
    if (missing || folder) {
        if (missing) raise_message(PyExc_FileNotFoundError, ENOENT, err->message);
        else raise_message(PyExc_IsADirectoryError, EISDIR, err->message);
        return NULL;
    }
    switch (err->status) {
    case HEXGPU_ERR_INVALID_ARGUMENT:
    case HEXGPU_ERR_PARSE:
    case HEXGPU_ERR_INVALID_POSITION:
    case HEXGPU_ERR_MODEL_FORMAT:
        type = PyExc_ValueError;
        break;
    case HEXGPU_ERR_IO:
        type = PyExc_OSError;
        break;
    case HEXGPU_ERR_OUT_OF_MEMORY:
        type = PyExc_MemoryError;
        break;
    default:
        break;
    }
    raise_message(type, 0, err->message[0] ? err->message : hexgpu_status_str(err->status));
    return NULL;
}

static PyObject *py_cell_name(PyObject *module, PyObject *args) {
    (void)module;
    int cell, size;
    if (!PyArg_ParseTuple(args, "ii:cell_name", &cell, &size)) return NULL;
    if (size < HEXGPU_MIN_SIZE || size > HEXGPU_MAX_SIZE || cell < 0 || cell >= size * size)
        return PyErr_Format(PyExc_ValueError, "cell %d is not on a %dx%d board (sizes 1..19)", cell, size, size);
    char name[4];
    int len = hexgpu_trmph_cell_name(cell, size, name);
    return PyUnicode_FromStringAndSize(name, len);
}

/* planes(boards, size) -> float32 [B, 3, n, n]: the network input of each board, as the
 * reference system encodes it (the same conversion Engine.evaluate makes). */
static PyObject *py_planes(PyObject *module, PyObject *args) {
    (void)module;
    PyObject *boards;
    int size;
    if (!PyArg_ParseTuple(args, "Oi:planes", &boards, &size)) return NULL;
    if (size < HEXGPU_MIN_SIZE || size > HEXGPU_MAX_SIZE)
        return PyErr_Format(PyExc_ValueError, "board size %d is outside 1..19", size);
    hexgpu_position *positions = NULL;
    Py_ssize_t count = 0;
    if (hexgpu_py_positions(boards, size, &positions, &count) != 0) return NULL;
    npy_intp dims[4] = {count, 3, size, size};
    PyObject *out = PyArray_SimpleNew(4, dims, NPY_FLOAT32);
    if (out) {
        float *planes = PyArray_DATA((PyArrayObject *)out);
        for (Py_ssize_t i = 0; i < count; i++) hexgpu_position_to_planes(&positions[i], planes + i * 3 * size * size);
    }
    PyMem_Free(positions);
    return out;
}

static PyMethodDef module_methods[] = {
    {"cell_name", py_cell_name, METH_VARARGS, "cell_name(cell, size) -> str: TRMPH name of cell row*n+col ('a1')."},
    {"planes", py_planes, METH_VARARGS,
     "planes(boards, size) -> float32 [B, 3, n, n]: the network input of each board."},
    {"selfplay", (PyCFunction)(void (*)(void))hexgpu_py_selfplay, METH_VARARGS | METH_KEYWORDS,
     "selfplay(engine, **options) -> (games, path, stats): native self-play; see hexgpu.selfplay."},
    {"parse_records", hexgpu_py_parse_records, METH_VARARGS,
     "parse_records(lines) -> (headers, trmph, sizes, winners, offsets, moves); see hexgpu.read_records."},
    {"record_positions", (PyCFunction)(void (*)(void))hexgpu_py_record_positions, METH_VARARGS | METH_KEYWORDS,
     "record_positions(sizes, offsets, moves, winners, uint8=False) -> (planes, move, value, game)."},
    {"model_info", hexgpu_py_model_info, METH_VARARGS,
     "model_info(path) -> dict: the network a model file holds (board size, widths, parameters, format)."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module_def = {PyModuleDef_HEAD_INIT, "_hexgpu",
                                        "Native part of hexgpu (the C engine); use the hexgpu package.", -1,
                                        module_methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__hexgpu(void) {
    import_array();
    if (PyType_Ready(&hexgpu_py_engine_type) < 0) return NULL;
    PyObject *m = PyModule_Create(&module_def);
    if (!m) return NULL;
    Py_INCREF(&hexgpu_py_engine_type);
    if (PyModule_AddObject(m, "Engine", (PyObject *)&hexgpu_py_engine_type) < 0 ||
        PyModule_AddStringConstant(m, "__version__", hexgpu_version()) < 0 ||
        PyModule_AddIntConstant(m, "MAX_SIZE", HEXGPU_MAX_SIZE) < 0) {
        Py_DECREF(&hexgpu_py_engine_type);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
