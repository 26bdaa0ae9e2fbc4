/* The hexgpu Python extension (_hexgpu): shared declarations of its files. Every entry
 * point holds the GIL on entry and releases it only around engine work; every failure is
 * a Python exception carrying the engine's message, never an abort. */
#pragma once

#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* One numpy API table for all files of the module; module.c imports it. */
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#define PY_ARRAY_UNIQUE_SYMBOL hexgpu_py_numpy_api
#ifndef HEXGPU_PY_MODULE_MAIN
#define NO_IMPORT_ARRAY
#endif
#include <numpy/arrayobject.h>

#include "hexgpu.h"

/* Sets the Python exception for a failed call: ValueError for bad input (invalid
 * argument, parse, invalid position, model format), FileNotFoundError for an I/O failure
 * on a path that does not exist, OSError for other I/O, MemoryError, RuntimeError for the
 * rest (no device, CUDA, unsupported, closed, internal). path may be NULL. Returns NULL. */
PyObject *hexgpu_py_raise(const hexgpu_error *err, const char *path);

/* Converts obj into count positions of an n x n board (n = board_size), allocated with
 * PyMem_Malloc into *positions (NULL when count is 0; the caller frees it with PyMem_Free).
 * obj is one of:
 *   - an array (anything numpy converts) of shape [B, 2|3, n, n] of bool, integer or
 *     float dtype: plane 0 Blue stones, plane 1 Red stones (0 or 1), optional plane 2
 *     the side to move (all 0: Blue, all 1: Red; it must agree with the stone counts);
 *   - a str: one TRMPH game;
 *   - a sequence (list, tuple, numpy array of str) whose items are TRMPH strings or
 *     [2|3, n, n] arrays, mixed freely.
 * Returns 0, or -1 with a Python exception (ValueError naming the board index). */
int hexgpu_py_positions(PyObject *obj, int board_size, hexgpu_position **positions, Py_ssize_t *count);

/* Evaluates count positions as hexgpu_engine_evaluate does (each output optional), with
 * the GIL released and a bounded number of requests in flight; Python's signal handlers
 * run about every 50 ms, and when one raises (Ctrl-C: KeyboardInterrupt) nothing more is
 * submitted, the requests in flight are awaited and -1 is returned with that exception
 * set. cached[i] (optional, zeroed by the caller) becomes 1 when position i was answered
 * from the cache. 0, or -1 with a Python exception (the engine's error or the handler's).
 * Holds the GIL on entry and on return. */
int hexgpu_py_evaluate(hexgpu_engine *engine, const hexgpu_position *positions, size_t count, float *value,
                       float *policy, float *logits, unsigned char *cached);

/* The Engine type (engine_object.c): Python owns one hexgpu_engine. */
extern PyTypeObject hexgpu_py_engine_type;
/* The engine of an Engine object, marked busy so that close waits for the caller: 0 and
 * *engine set, or -1 with RuntimeError when it was closed. Each successful call must be
 * paired with hexgpu_py_engine_release. Holds the GIL. */
int hexgpu_py_engine_acquire(PyObject *self, hexgpu_engine **engine);
void hexgpu_py_engine_release(PyObject *self);
/* The engine's statistics since open as a JSON str (hexgpu_engine_stats_json), or NULL
 * with an exception. The caller holds the engine (acquired) and the GIL. */
PyObject *hexgpu_py_engine_stats_text(hexgpu_engine *engine);

/* Module functions in selfplay_call.c, records.c and model_info.c. */
PyObject *hexgpu_py_selfplay(PyObject *module, PyObject *args, PyObject *kwargs);
PyObject *hexgpu_py_parse_records(PyObject *module, PyObject *args);
PyObject *hexgpu_py_record_positions(PyObject *module, PyObject *args, PyObject *kwargs);
PyObject *hexgpu_py_model_info(PyObject *module, PyObject *args);
