/* Record files for training: record lines parsed by the library's TRMPH reader into flat
 * numpy arrays, and every position of the games replayed into network inputs with the
 * move played and the game's result. */
#include "pyhexgpu.h"

#include <stdlib.h>

#include "hex/board.h"
#include "hex/trmph.h"

static PyObject *new_array(npy_intp n, int type) { return PyArray_ZEROS(1, &n, type, 0); }

/* parse_records(lines) -> (headers [str], trmph [str], sizes int32 [G], winners int8 [G]
 * (0 Blue, 1 Red), offsets int64 [G+1], moves int32 [offsets[G]]). Header lines ('# ')
 * and blank lines are skipped; any other bad line is a ValueError naming its 1-based
 * number and the column. */
PyObject *hexgpu_py_parse_records(PyObject *module, PyObject *args) {
    (void)module;
    PyObject *lines_obj;
    if (!PyArg_ParseTuple(args, "O:parse_records", &lines_obj)) return NULL;
    /* A tuple copy holds every line while it is read, whatever happens to the caller's list. */
    PyObject *lines = PySequence_Tuple(lines_obj);
    if (!lines) return NULL;
    Py_ssize_t count = PyTuple_GET_SIZE(lines);
    PyObject **items = &PyTuple_GET_ITEM(lines, 0);
    PyObject *headers = PyList_New(0), *games = PyList_New(0), *result = NULL, *escaped = NULL;
    hexgpu_board *board = PyMem_Malloc(sizeof *board);
    /* Worst case: every line a game of n*n moves; grown as needed instead. */
    size_t cap_games = 64, cap_moves = 4096, n_games = 0, n_moves = 0;
    int32_t *sizes = PyMem_Malloc(cap_games * sizeof *sizes), *moves = PyMem_Malloc(cap_moves * sizeof *moves);
    int8_t *winners = PyMem_Malloc(cap_games * sizeof *winners);
    int64_t *offsets = PyMem_Malloc((cap_games + 1) * sizeof *offsets);
    if (!headers || !games || !board || !sizes || !moves || !winners || !offsets) {
        PyErr_NoMemory();
        goto done;
    }
    offsets[0] = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        Py_ssize_t len;
        const char *line = PyUnicode_Check(items[i]) ? PyUnicode_AsUTF8AndSize(items[i], &len) : NULL;
        /* A line read with surrogateescape (a header naming a path that is not UTF-8, or
         * a file that is not text): its own bytes again, which the checks below judge. */
        Py_CLEAR(escaped);
        if (!line && PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) {
            PyErr_Clear();
            if ((escaped = PyUnicode_AsEncodedString(items[i], "utf-8", "surrogateescape")))
                line = PyBytes_AS_STRING(escaped), len = PyBytes_GET_SIZE(escaped);
        }
        if (!line) {
            if (!PyErr_Occurred()) PyErr_Format(PyExc_TypeError, "line %zd is not a str", i + 1);
            goto done;
        }
        if (hexgpu_trmph_is_header(line)) {
            if (PyList_Append(headers, items[i]) != 0) goto done;
            continue;
        }
        Py_ssize_t blank = 0;
        while (blank < len && (line[blank] == ' ' || line[blank] == '\t' || line[blank] == '\r')) blank++;
        if (blank == len) continue;
        hexgpu_error err;
        hexgpu_color winner;
        if ((Py_ssize_t)strlen(line) != len) {
            PyErr_Format(PyExc_ValueError, "line %zd: holds a NUL character", i + 1);
            goto done;
        }
        if (hexgpu_trmph_parse_record(line, board, &winner, &err) != HEXGPU_OK) {
            PyErr_Format(PyExc_ValueError, "line %zd: %s", i + 1, err.message);
            goto done;
        }
        if (n_games == cap_games) {
            cap_games *= 2;
            int32_t *s = PyMem_Realloc(sizes, cap_games * sizeof *s);
            if (s) sizes = s;
            int8_t *w = PyMem_Realloc(winners, cap_games * sizeof *w);
            if (w) winners = w;
            int64_t *o = PyMem_Realloc(offsets, (cap_games + 1) * sizeof *o);
            if (o) offsets = o;
            if (!s || !w || !o) {
                PyErr_NoMemory();
                goto done;
            }
        }
        size_t m = (size_t)hexgpu_board_move_count(board);
        if (n_moves + m > cap_moves) {
            while (n_moves + m > cap_moves) cap_moves *= 2;
            int32_t *mv = PyMem_Realloc(moves, cap_moves * sizeof *mv);
            if (!mv) {
                PyErr_NoMemory();
                goto done;
            }
            moves = mv;
        }
        for (size_t k = 0; k < m; k++) moves[n_moves + k] = board->moves[k];
        char bare[HEXGPU_TRMPH_MAX];
        hexgpu_trmph_format(board, bare, sizeof bare);
        PyObject *text = PyUnicode_FromString(bare);
        if (!text || PyList_Append(games, text) != 0) {
            Py_XDECREF(text);
            goto done;
        }
        Py_DECREF(text);
        sizes[n_games] = board->size;
        winners[n_games] = (int8_t)winner;
        n_moves += m;
        offsets[++n_games] = (int64_t)n_moves;
    }
    PyObject *a_sizes = new_array((npy_intp)n_games, NPY_INT32), *a_winners = new_array((npy_intp)n_games, NPY_INT8);
    PyObject *a_offsets = new_array((npy_intp)n_games + 1, NPY_INT64), *a_moves = new_array((npy_intp)n_moves, NPY_INT32);
    if (a_sizes && a_winners && a_offsets && a_moves) {
        memcpy(PyArray_DATA((PyArrayObject *)a_sizes), sizes, n_games * sizeof *sizes);
        memcpy(PyArray_DATA((PyArrayObject *)a_winners), winners, n_games * sizeof *winners);
        memcpy(PyArray_DATA((PyArrayObject *)a_offsets), offsets, (n_games + 1) * sizeof *offsets);
        memcpy(PyArray_DATA((PyArrayObject *)a_moves), moves, n_moves * sizeof *moves);
        result = PyTuple_Pack(6, headers, games, a_sizes, a_winners, a_offsets, a_moves);
    }
    Py_XDECREF(a_sizes);
    Py_XDECREF(a_winners);
    Py_XDECREF(a_offsets);
    Py_XDECREF(a_moves);
done:
    Py_XDECREF(escaped);
    Py_DECREF(lines);
    Py_XDECREF(headers);
    Py_XDECREF(games);
    PyMem_Free(board), PyMem_Free(sizes), PyMem_Free(moves), PyMem_Free(winners), PyMem_Free(offsets);
    return result;
}

/* A 1-D C-contiguous array of type from obj (new reference) or NULL with an exception. */
static PyArrayObject *vector(PyObject *obj, int type, const char *name) {
    PyArrayObject *a = (PyArrayObject *)PyArray_FROM_OTF(obj, type, NPY_ARRAY_IN_ARRAY | NPY_ARRAY_FORCECAST);
    if (a && PyArray_NDIM(a) != 1) {
        PyErr_Format(PyExc_ValueError, "record_positions: %s must be one-dimensional", name);
        Py_CLEAR(a);
    }
    return a;
}

/* Replays the games into out_* (sized by the caller to offsets[G] positions). 0, or -1
 * with err set for a move that is not legal. Runs without the GIL. */
static int replay(const int32_t *sizes, const int64_t *offsets, const int32_t *moves, const int8_t *winners,
                  npy_intp games, int uint8, void *planes, int32_t *move_out, float *value_out, int32_t *game_out,
                  hexgpu_board *board, hexgpu_error *err) {
    float buf[3 * HEXGPU_MAX_CELLS];
    size_t p = 0;
    for (npy_intp g = 0; g < games; g++) {
        int n = sizes[g], cells = n * n;
        if (hexgpu_board_init(board, n, err) != HEXGPU_OK) return -1;
        for (int64_t k = offsets[g]; k < offsets[g + 1]; k++, p++) {
            hexgpu_position pos;
            hexgpu_board_to_position(board, &pos);
            if (uint8) {
                hexgpu_position_to_planes(&pos, buf);
                uint8_t *out = (uint8_t *)planes + p * 3 * (size_t)cells;
                for (int i = 0; i < 3 * cells; i++) out[i] = (uint8_t)buf[i];
            } else {
                hexgpu_position_to_planes(&pos, (float *)planes + p * 3 * (size_t)cells);
            }
            move_out[p] = moves[k];
            value_out[p] = winners[g] == HEXGPU_RED ? 1.0f : -1.0f;
            game_out[p] = (int32_t)g;
            if (moves[k] < 0 || moves[k] >= cells || hexgpu_board_play(board, moves[k], err) != HEXGPU_OK) {
                snprintf(err->message, sizeof err->message, "game %lld, move %lld: cell %d is not a legal move",
                         (long long)g, (long long)(k - offsets[g]), moves[k]);
                return -1;
            }
        }
    }
    return 0;
}

/* record_positions(sizes, offsets, moves, winners, uint8=False) -> (planes [P, 3, n, n]
 * float32 or uint8, move int32 [P], value float32 [P] (+1 Red won, -1 Blue won: the
 * engine's value convention), game int32 [P]): every position before each move. */
PyObject *hexgpu_py_record_positions(PyObject *module, PyObject *args, PyObject *kwargs) {
    (void)module;
    static char *keywords[] = {"sizes", "offsets", "moves", "winners", "uint8", NULL};
    PyObject *o_sizes, *o_offsets, *o_moves, *o_winners;
    int uint8 = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOOO|p:record_positions", keywords, &o_sizes, &o_offsets, &o_moves,
                                     &o_winners, &uint8))
        return NULL;
    PyArrayObject *sizes = vector(o_sizes, NPY_INT32, "sizes"), *offsets = vector(o_offsets, NPY_INT64, "offsets");
    PyArrayObject *moves = vector(o_moves, NPY_INT32, "moves"), *winners = vector(o_winners, NPY_INT8, "winners");
    PyObject *planes = NULL, *move = NULL, *value = NULL, *game = NULL, *result = NULL;
    hexgpu_board *board = PyMem_Malloc(sizeof *board);
    if (!sizes || !offsets || !moves || !winners || !board) {
        if (!board) PyErr_NoMemory();
        goto done;
    }
    npy_intp games = PyArray_DIM(sizes, 0);
    const int32_t *sz = PyArray_DATA(sizes);
    const int64_t *off = PyArray_DATA(offsets);
    int n = games ? sz[0] : 1;
    int ok = PyArray_DIM(winners, 0) == games && PyArray_DIM(offsets, 0) == games + 1 && off[0] == 0 &&
             off[games] == PyArray_DIM(moves, 0);
    for (npy_intp g = 0; ok && g < games; g++) ok = sz[g] == n && off[g + 1] >= off[g] && off[g + 1] - off[g] <= n * n;
    if (!ok || n < HEXGPU_MIN_SIZE || n > HEXGPU_MAX_SIZE) {
        PyErr_SetString(PyExc_ValueError, "record_positions: inconsistent records (one board size 1..19 for all games, "
                                          "offsets [G+1] from 0 to len(moves), at most n*n moves a game)");
        goto done;
    }
    npy_intp total = (npy_intp)off[games], dims[4] = {total, 3, n, n};
    planes = PyArray_SimpleNew(4, dims, uint8 ? NPY_UINT8 : NPY_FLOAT32);
    move = PyArray_SimpleNew(1, dims, NPY_INT32);
    value = PyArray_SimpleNew(1, dims, NPY_FLOAT32);
    game = PyArray_SimpleNew(1, dims, NPY_INT32);
    if (!planes || !move || !value || !game) goto done;
    hexgpu_error err = {0};
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = replay(sz, off, PyArray_DATA(moves), PyArray_DATA(winners), games, uint8, PyArray_DATA((PyArrayObject *)planes),
                PyArray_DATA((PyArrayObject *)move), PyArray_DATA((PyArrayObject *)value),
                PyArray_DATA((PyArrayObject *)game), board, &err);
    Py_END_ALLOW_THREADS
    if (rc != 0) PyErr_Format(PyExc_ValueError, "record_positions: %s", err.message);
    else result = PyTuple_Pack(4, planes, move, value, game);
done:
    Py_XDECREF(sizes);
    Py_XDECREF(offsets);
    Py_XDECREF(moves);
    Py_XDECREF(winners);
    Py_XDECREF(planes);
    Py_XDECREF(move);
    Py_XDECREF(value);
    Py_XDECREF(game);
    PyMem_Free(board);
    return result;
}
