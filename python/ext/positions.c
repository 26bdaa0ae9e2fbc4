/* Python boards -> packed positions, in C so that a batch costs no Python loop: planes
 * arrays [B, 2|3, n, n] (the reference system's encoding, read back), TRMPH strings
 * (parsed by the library's TRMPH reader), or sequences mixing both. */
#include "pyhexgpu.h"

#include <stdio.h>
#include <string.h>

#include "hex/trmph.h"

/* How the elements of a planes array are read: bytes (bool, uint8, int8), float32,
 * float64; anything else is cast to float64 first. */
typedef enum elem_kind { ELEM_U8, ELEM_F32, ELEM_F64 } elem_kind;

static inline double elem_at(const void *data, elem_kind kind, size_t i) {
    switch (kind) {
    case ELEM_U8: return ((const unsigned char *)data)[i];
    case ELEM_F32: return ((const float *)data)[i];
    default: return ((const double *)data)[i];
    }
}

/* ValueError "board <index>: plane <plane>, cell (<row>, <col>) holds <v>; <why>". */
static int bad_cell(Py_ssize_t index, int plane, int cell, int n, double v, const char *why) {
    char msg[256];
    snprintf(msg, sizeof msg, "board %lld: plane %d, cell (%d, %d) holds %g; %s", (long long)index, plane, cell / n,
             cell % n, v, why);
    PyErr_SetString(PyExc_ValueError, msg);
    return -1;
}

/* One board's planes [planes][n][n] at data -> pos. Inlined per element kind (see
 * board_from_planes) so that each kind gets its own tight loop. */
static inline __attribute__((always_inline)) int board_from_planes_kind(const void *data, const elem_kind kind,
                                                                        int planes, int n, Py_ssize_t index,
                                                                        hexgpu_position *pos) {
    hexgpu_position_init(pos, n);
    int cells = n * n, blue = 0, red = 0;
    for (int c = 0; c < cells; c++) {
        double b = elem_at(data, kind, (size_t)c), r = elem_at(data, kind, (size_t)(cells + c));
        if ((b != 0.0 && b != 1.0) || (r != 0.0 && r != 1.0) || (b != 0.0 && r != 0.0)) {
            if (b != 0.0 && b != 1.0) return bad_cell(index, 0, c, n, b, "stone planes hold 0 or 1");
            if (r != 0.0 && r != 1.0) return bad_cell(index, 1, c, n, r, "stone planes hold 0 or 1");
            return bad_cell(index, 1, c, n, r, "a blue stone is there too");
        }
        uint64_t bit = 1ull << (c & 63);
        pos->blue[c >> 6] |= b != 0.0 ? bit : 0, blue += b != 0.0;
        pos->red[c >> 6] |= r != 0.0 ? bit : 0, red += r != 0.0;
    }
    pos->to_move = blue == red + 1 ? HEXGPU_RED : HEXGPU_BLUE;
    hexgpu_error err;
    if (hexgpu_position_validate(pos, &err) != HEXGPU_OK) {
        PyErr_Format(PyExc_ValueError, "board %lld: %s", (long long)index, err.message);
        return -1;
    }
    if (planes == 3) {
        double side = elem_at(data, kind, (size_t)(2 * cells));
        for (int c = 0; c < cells; c++) {
            double v = elem_at(data, kind, (size_t)(2 * cells + c));
            if (v != side || (side != 0.0 && side != 1.0))
                return bad_cell(index, 2, c, n, v, "the side-to-move plane is all 0 (Blue to move) or all 1 (Red)");
        }
        if ((side == 1.0) != (pos->to_move == HEXGPU_RED)) {
            PyErr_Format(PyExc_ValueError, "board %lld: plane 2 says %s to move, but %d blue and %d red stones say %s",
                         (long long)index, side == 1.0 ? "red" : "blue", blue, red, side == 1.0 ? "blue" : "red");
            return -1;
        }
    }
    return 0;
}

static int board_from_planes(const void *data, elem_kind kind, int planes, int n, Py_ssize_t index,
                             hexgpu_position *pos) {
    switch (kind) {
    case ELEM_U8: return board_from_planes_kind(data, ELEM_U8, planes, n, index, pos);
    case ELEM_F32: return board_from_planes_kind(data, ELEM_F32, planes, n, index, pos);
    default: return board_from_planes_kind(data, ELEM_F64, planes, n, index, pos);
    }
}

/* obj as a C-contiguous aligned array readable as elem_kind (a new reference), or NULL
 * with an exception. */
static PyArrayObject *as_planes_array(PyObject *obj, elem_kind *kind) {
    PyArrayObject *arr = (PyArrayObject *)PyArray_FROM_OF(obj, NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED);
    if (!arr) return NULL;
    int type = PyArray_TYPE(arr);
    if (type == NPY_BOOL || type == NPY_UINT8 || type == NPY_INT8) *kind = ELEM_U8;
    else if (type == NPY_FLOAT32) *kind = ELEM_F32;
    else if (type == NPY_FLOAT64) *kind = ELEM_F64;
    else if (PyArray_ISNUMBER(arr) && !PyArray_ISCOMPLEX(arr)) {
        PyObject *cast = PyArray_FROM_OTF((PyObject *)arr, NPY_FLOAT64, NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED);
        Py_DECREF(arr);
        arr = (PyArrayObject *)cast;
        *kind = ELEM_F64;
    } else {
        PyErr_Format(PyExc_TypeError, "board planes must be bool, integer or float, not %R",
                     (PyObject *)PyArray_DESCR(arr));
        Py_DECREF(arr);
        arr = NULL;
    }
    return arr;
}

static int shape_error(PyArrayObject *arr, const char *want, int n, Py_ssize_t index) {
    PyObject *shape = PyObject_GetAttrString((PyObject *)arr, "shape");
    if (index < 0) PyErr_Format(PyExc_ValueError, "boards must have shape %s with n = %d, got %R", want, n, shape);
    else PyErr_Format(PyExc_ValueError, "board %zd: must have shape %s with n = %d, got %R", index, want, n, shape);
    Py_XDECREF(shape);
    return -1;
}

/* [B, 2|3, n, n] -> positions[0..B). */
static int from_planes_batch(PyArrayObject *arr, elem_kind kind, int n, hexgpu_position **out, Py_ssize_t *count) {
    npy_intp *d = PyArray_DIMS(arr);
    if (PyArray_NDIM(arr) != 4 || (d[1] != 2 && d[1] != 3) || d[2] != n || d[3] != n)
        return shape_error(arr, "[B, 2|3, n, n]", n, -1);
    Py_ssize_t b = d[0];
    int planes = (int)d[1];
    size_t stride = (size_t)planes * n * n * PyArray_ITEMSIZE(arr);
    hexgpu_position *pos = b ? PyMem_Malloc((size_t)b * sizeof *pos) : NULL;
    if (b && !pos) return PyErr_NoMemory(), -1;
    const char *data = PyArray_DATA(arr);
    for (Py_ssize_t i = 0; i < b; i++)
        if (board_from_planes(data + (size_t)i * stride, kind, planes, n, i, &pos[i]) != 0) {
            PyMem_Free(pos);
            return -1;
        }
    *out = pos;
    *count = b;
    return 0;
}

/* One item of a sequence: a TRMPH string (str or bytes) or a [2|3, n, n] array. */
static int from_item(PyObject *item, int n, Py_ssize_t index, hexgpu_position *pos) {
    const char *text = NULL;
    Py_ssize_t len = 0;
    if (PyUnicode_Check(item)) {
        if (!(text = PyUnicode_AsUTF8AndSize(item, &len))) return -1;
    } else if (PyBytes_Check(item)) {
        text = PyBytes_AS_STRING(item), len = PyBytes_GET_SIZE(item);
    }
    if (text) {
        if ((size_t)len != strlen(text)) {
            PyErr_Format(PyExc_ValueError, "board %zd: the TRMPH string holds a NUL character", index);
            return -1;
        }
        hexgpu_error err;
        if (hexgpu_trmph_parse_stones(text, pos, NULL, 0, &err) != HEXGPU_OK) {
            PyErr_Format(PyExc_ValueError, "board %zd: %s: %.80s", index, err.message, text);
            return -1;
        }
        if (pos->size != n) {
            PyErr_Format(PyExc_ValueError, "board %zd: a %dx%d position for a %dx%d model", index, pos->size,
                         pos->size, n, n);
            return -1;
        }
        return 0;
    }
    elem_kind kind;
    PyArrayObject *arr = as_planes_array(item, &kind);
    if (!arr) return -1;
    npy_intp *d = PyArray_DIMS(arr);
    int rc;
    if (PyArray_NDIM(arr) != 3 || (d[0] != 2 && d[0] != 3) || d[1] != n || d[2] != n)
        rc = shape_error(arr, "TRMPH or [2|3, n, n]", n, index);
    else rc = board_from_planes(PyArray_DATA(arr), kind, (int)d[0], n, index, pos);
    Py_DECREF(arr);
    return rc;
}

/* The items are read from a tuple copy that holds a reference to each: converting an
 * item may run the caller's code (an __array__ method) that changes or empties the
 * list, which must not free the items still to be read. */
static int from_sequence(PyObject *obj, int n, hexgpu_position **out, Py_ssize_t *count) {
    PyObject *seq = PySequence_Tuple(obj);
    if (!seq) return -1;
    Py_ssize_t b = PyTuple_GET_SIZE(seq);
    hexgpu_position *pos = b ? PyMem_Malloc((size_t)b * sizeof *pos) : NULL;
    if (b && !pos) {
        Py_DECREF(seq);
        return PyErr_NoMemory(), -1;
    }
    for (Py_ssize_t i = 0; i < b; i++)
        if (from_item(PyTuple_GET_ITEM(seq, i), n, i, &pos[i]) != 0) {
            PyMem_Free(pos);
            Py_DECREF(seq);
            return -1;
        }
    Py_DECREF(seq);
    *out = pos;
    *count = b;
    return 0;
}

int hexgpu_py_positions(PyObject *obj, int n, hexgpu_position **out, Py_ssize_t *count) {
    *out = NULL;
    *count = 0;
    if (PyUnicode_Check(obj) || PyBytes_Check(obj)) {
        hexgpu_position *pos = PyMem_Malloc(sizeof *pos);
        if (!pos) return PyErr_NoMemory(), -1;
        if (from_item(obj, n, 0, pos) != 0) {
            PyMem_Free(pos);
            return -1;
        }
        *out = pos;
        *count = 1;
        return 0;
    }
    if (PyList_Check(obj) || PyTuple_Check(obj)) return from_sequence(obj, n, out, count);
    if (PyArray_Check(obj)) {
        int type = PyArray_TYPE((PyArrayObject *)obj);
        if (type == NPY_UNICODE || type == NPY_STRING || type == NPY_OBJECT) {
            if (PyArray_NDIM((PyArrayObject *)obj) != 1)
                return shape_error((PyArrayObject *)obj, "[B] (an array of TRMPH strings)", n, -1);
            return from_sequence(obj, n, out, count);
        }
    }
    elem_kind kind;
    PyArrayObject *arr = as_planes_array(obj, &kind);
    if (!arr) return -1;
    int rc = from_planes_batch(arr, kind, n, out, count);
    Py_DECREF(arr);
    return rc;
}
