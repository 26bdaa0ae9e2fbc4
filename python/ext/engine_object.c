/* _hexgpu.Engine: one hexgpu_engine owned by a Python object. evaluate converts the
 * boards in C and runs the engine with the GIL released, so many Python threads can
 * evaluate at once (the engine batches them). close waits for the calls in progress:
 * the engine's rule that close must not race with other calls is kept here, not by
 * the caller. */
#include "pyhexgpu.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct engine_object {
    PyObject_HEAD
    hexgpu_engine *engine;
    pthread_mutex_t lock; /* guards busy and closed */
    pthread_cond_t idle;  /* signalled when busy drops to 0 */
    int busy;             /* calls using engine with the GIL released */
    int closed;
    int lock_ready;
} engine_object;

static PyObject *engine_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    (void)args, (void)kwargs;
    engine_object *self = (engine_object *)type->tp_alloc(type, 0);
    if (!self) return NULL;
    if (pthread_mutex_init(&self->lock, NULL) != 0 || pthread_cond_init(&self->idle, NULL) != 0) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    self->lock_ready = 1;
    self->closed = 1; /* until __init__ opens it */
    return (PyObject *)self;
}

/* devices (None, or a sequence of device ordinals; [-1] = every device) into the
 * options' device list; -1 with a Python error set when it is not such a sequence. */
static int devices_from_python(PyObject *devices, hexgpu_engine_options *options) {
    if (!devices || devices == Py_None) return 0;
    /* A tuple copy: reading an entry may run its __index__, which may change the list. */
    PyObject *seq = PySequence_Check(devices) ? PySequence_Tuple(devices) : NULL;
    if (!seq) {
        if (!PyErr_Occurred() || PyErr_ExceptionMatches(PyExc_TypeError)) {
            PyErr_Clear();
            PyErr_SetString(PyExc_TypeError, "Engine: devices must be a sequence of device ordinals");
        }
        return -1;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(seq);
    int rc = 0;
    if (n < 1 || n > HEXGPU_MAX_DEVICES) {
        PyErr_Format(PyExc_ValueError, "Engine: devices lists 1 to %d devices, not %zd", HEXGPU_MAX_DEVICES, n);
        rc = -1;
    }
    for (Py_ssize_t i = 0; rc == 0 && i < n; i++) {
        long ordinal = PyLong_AsLong(PyTuple_GET_ITEM(seq, i));
        if (ordinal == -1 && PyErr_Occurred()) rc = -1;
        else if (ordinal == HEXGPU_DEVICES_ALL && n == 1) options->device_count = HEXGPU_DEVICES_ALL;
        else if (ordinal < 0 || ordinal > 4096) {
            PyErr_Format(PyExc_ValueError, "Engine: device ordinal %ld out of range", ordinal);
            rc = -1;
        } else {
            options->devices[i] = (int)ordinal;
            options->device_count = (int)n;
        }
    }
    Py_DECREF(seq);
    return rc;
}

/* Engine(model, backend=0, device=0, precision=0, max_batch=0, cache_size=0, threads=0,
 * slots=0, devices=None): the hexgpu_engine_options fields; 0 keeps the library's
 * default; devices, when given, is the device list (one context per entry). */
static int engine_init(PyObject *obj, PyObject *args, PyObject *kwargs) {
    engine_object *self = (engine_object *)obj;
    static char *keywords[] = {"model", "backend", "device", "precision", "max_batch",
                               "cache_size", "threads", "slots", "devices", NULL};
    PyObject *path_bytes = NULL, *devices = NULL;
    int backend = 0, device = 0, precision = 0, max_batch = 0, threads = 0, slots = 0;
    long long cache = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O&|iiiiLiiO:Engine", keywords, PyUnicode_FSConverter,
                                     &path_bytes, &backend, &device, &precision, &max_batch, &cache, &threads, &slots,
                                     &devices))
        return -1;
    if (self->engine) {
        Py_DECREF(path_bytes);
        PyErr_SetString(PyExc_RuntimeError, "Engine is already open");
        return -1;
    }
    if (backend < 0 || backend >= HEXGPU_BACKEND_KIND_COUNT || precision < 0 || precision > HEXGPU_PRECISION_FP32 ||
        cache < 0 || slots < 0) {
        Py_DECREF(path_bytes);
        PyErr_SetString(PyExc_ValueError, "Engine: backend, precision, cache_size or slots out of range");
        return -1;
    }
    hexgpu_engine_options options;
    hexgpu_engine_options_default(&options);
    /* As the command: the CUDA backend's plan and first-use times on stderr when asked. */
    const char *verbose = getenv("HEXGPU_CUDA_VERBOSE");
    if (verbose && strcmp(verbose, "1") == 0) options.log_level = HEXGPU_LOG_INFO;
    options.backend = (hexgpu_backend_kind)backend;
    options.device = device;
    options.precision = (hexgpu_precision)precision;
    options.max_batch = max_batch;
    options.cache_entries = (size_t)cache;
    options.cpu_threads = threads;
    if (slots) options.slots = slots;
    if (devices_from_python(devices, &options) != 0) {
        Py_DECREF(path_bytes);
        return -1;
    }
    const char *path = PyBytes_AS_STRING(path_bytes);
    hexgpu_error err = {0};
    hexgpu_engine *engine = NULL;
    hexgpu_status st;
    Py_BEGIN_ALLOW_THREADS
    st = hexgpu_engine_open(path, &options, &engine, &err);
    Py_END_ALLOW_THREADS
    if (st != HEXGPU_OK) {
        hexgpu_py_raise(&err, path);
        Py_DECREF(path_bytes);
        return -1;
    }
    Py_DECREF(path_bytes);
    self->engine = engine;
    self->closed = 0;
    return 0;
}

int hexgpu_py_engine_acquire(PyObject *obj, hexgpu_engine **engine) {
    if (!PyObject_TypeCheck(obj, &hexgpu_py_engine_type)) {
        PyErr_SetString(PyExc_TypeError, "expected a hexgpu.Engine");
        return -1;
    }
    engine_object *self = (engine_object *)obj;
    pthread_mutex_lock(&self->lock);
    int closed = self->closed;
    if (!closed) self->busy++;
    pthread_mutex_unlock(&self->lock);
    if (closed) {
        PyErr_SetString(PyExc_RuntimeError, "the engine is closed");
        return -1;
    }
    *engine = self->engine;
    return 0;
}

void hexgpu_py_engine_release(PyObject *obj) {
    engine_object *self = (engine_object *)obj;
    pthread_mutex_lock(&self->lock);
    if (--self->busy == 0) pthread_cond_broadcast(&self->idle);
    pthread_mutex_unlock(&self->lock);
}

/* Marks the engine closed, waits (GIL released) for the calls in progress, closes it. */
static void engine_shutdown(engine_object *self) {
    if (!self->lock_ready) return;
    pthread_mutex_lock(&self->lock);
    self->closed = 1;
    hexgpu_engine *engine = self->engine;
    self->engine = NULL;
    pthread_mutex_unlock(&self->lock);
    if (!engine) return;
    Py_BEGIN_ALLOW_THREADS
    pthread_mutex_lock(&self->lock);
    while (self->busy > 0) pthread_cond_wait(&self->idle, &self->lock);
    pthread_mutex_unlock(&self->lock);
    hexgpu_engine_close(engine);
    Py_END_ALLOW_THREADS
}

static void engine_dealloc(PyObject *obj) {
    engine_object *self = (engine_object *)obj;
    engine_shutdown(self);
    if (self->lock_ready) {
        pthread_cond_destroy(&self->idle);
        pthread_mutex_destroy(&self->lock);
    }
    Py_TYPE(obj)->tp_free(obj);
}

static PyObject *engine_close(PyObject *obj, PyObject *unused) {
    (void)unused;
    engine_shutdown((engine_object *)obj);
    Py_RETURN_NONE;
}

static PyObject *engine_enter(PyObject *obj, PyObject *unused) {
    (void)unused;
    hexgpu_engine *engine;
    if (hexgpu_py_engine_acquire(obj, &engine) != 0) return NULL;
    hexgpu_py_engine_release(obj);
    Py_INCREF(obj);
    return obj;
}

static PyObject *engine_exit(PyObject *obj, PyObject *args) {
    (void)args;
    engine_shutdown((engine_object *)obj);
    Py_RETURN_FALSE;
}

/* evaluate(boards, logits=False, cached=False) -> (policy [B, n*n], value [B]) float32,
 * then logits [B, n*n] when logits is true, then bool [B] (answered from the cache) when
 * cached is true. Ctrl-C stops it within about the time of the requests in flight
 * (hexgpu_py_evaluate). */
static PyObject *engine_evaluate(PyObject *obj, PyObject *args, PyObject *kwargs) {
    static char *keywords[] = {"boards", "logits", "cached", NULL};
    PyObject *boards;
    int want_logits = 0, want_cached = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|pp:evaluate", keywords, &boards, &want_logits, &want_cached))
        return NULL;
    hexgpu_engine *engine;
    if (hexgpu_py_engine_acquire(obj, &engine) != 0) return NULL;
    int n = hexgpu_engine_board_size(engine);
    hexgpu_position *positions = NULL;
    Py_ssize_t count = 0;
    PyObject *policy = NULL, *value = NULL, *logits = NULL, *cached = NULL, *result = NULL;
    if (hexgpu_py_positions(boards, n, &positions, &count) != 0) goto done;
    npy_intp dims[2] = {count, (npy_intp)n * n};
    policy = PyArray_SimpleNew(2, dims, NPY_FLOAT32);
    value = PyArray_SimpleNew(1, dims, NPY_FLOAT32);
    if (want_logits) logits = PyArray_SimpleNew(2, dims, NPY_FLOAT32);
    if (want_cached) cached = PyArray_ZEROS(1, dims, NPY_BOOL, 0);
    if (!policy || !value || (want_logits && !logits) || (want_cached && !cached)) goto done;
    if (hexgpu_py_evaluate(engine, positions, (size_t)count, PyArray_DATA((PyArrayObject *)value),
                           PyArray_DATA((PyArrayObject *)policy), logits ? PyArray_DATA((PyArrayObject *)logits) : NULL,
                           cached ? PyArray_DATA((PyArrayObject *)cached) : NULL) != 0)
        goto done;
    if (want_logits && want_cached) result = PyTuple_Pack(4, policy, value, logits, cached);
    else if (want_logits) result = PyTuple_Pack(3, policy, value, logits);
    else if (want_cached) result = PyTuple_Pack(3, policy, value, cached);
    else result = PyTuple_Pack(2, policy, value);
done:
    hexgpu_py_engine_release(obj);
    PyMem_Free(positions);
    Py_XDECREF(policy);
    Py_XDECREF(value);
    Py_XDECREF(logits);
    Py_XDECREF(cached);
    return result;
}

PyObject *hexgpu_py_engine_stats_text(hexgpu_engine *engine) {
    hexgpu_engine_stats stats;
    hexgpu_engine_stats_read(engine, &stats);
    char buf[8192];
    size_t len = hexgpu_engine_stats_json(&stats, buf, sizeof buf);
    if (len >= sizeof buf) return PyErr_Format(PyExc_RuntimeError, "engine statistics exceed %zu bytes", sizeof buf);
    return PyUnicode_FromStringAndSize(buf, (Py_ssize_t)len);
}

/* stats_json() -> str: hexgpu_engine_stats_json of the statistics since open. */
static PyObject *engine_stats_json(PyObject *obj, PyObject *unused) {
    (void)unused;
    hexgpu_engine *engine;
    if (hexgpu_py_engine_acquire(obj, &engine) != 0) return NULL;
    PyObject *text = hexgpu_py_engine_stats_text(engine);
    hexgpu_py_engine_release(obj);
    return text;
}

/* The attributes: each reads the open engine (RuntimeError once closed). */
enum {
    ATTR_BOARD_SIZE,
    ATTR_BACKEND,
    ATTR_CHOICE,
    ATTR_MAX_BATCH,
    ATTR_PRECISION,
    ATTR_CACHE_SIZE,
    ATTR_SLOTS,
    ATTR_DEVICES
};

static PyObject *engine_attr(PyObject *obj, void *which) {
    hexgpu_engine *engine;
    if (hexgpu_py_engine_acquire(obj, &engine) != 0) return NULL;
    hexgpu_engine_options used = hexgpu_engine_options_used(engine);
    PyObject *out = NULL;
    switch ((int)(intptr_t)which) {
    case ATTR_BOARD_SIZE: out = PyLong_FromLong(hexgpu_engine_board_size(engine)); break;
    case ATTR_BACKEND: out = PyUnicode_FromString(hexgpu_engine_backend_name(engine)); break;
    case ATTR_CHOICE: out = PyUnicode_FromString(hexgpu_engine_backend_choice(engine)); break;
    case ATTR_MAX_BATCH: out = PyLong_FromLong(used.max_batch); break;
    case ATTR_PRECISION: out = PyUnicode_FromString(used.precision == HEXGPU_PRECISION_FP16 ? "fp16" : "fp32"); break;
    case ATTR_CACHE_SIZE: out = PyLong_FromSize_t(used.cache_entries); break;
    case ATTR_DEVICES:
        out = PyTuple_New(used.device_count);
        for (int i = 0; out && i < used.device_count; i++) PyTuple_SET_ITEM(out, i, PyLong_FromLong(used.devices[i]));
        break;
    default: out = PyLong_FromLong(used.slots); break;
    }
    hexgpu_py_engine_release(obj);
    return out;
}

static PyObject *engine_closed(PyObject *obj, void *unused) {
    (void)unused;
    return PyBool_FromLong(((engine_object *)obj)->closed);
}

static PyMethodDef engine_methods[] = {
    {"evaluate", (PyCFunction)(void (*)(void))engine_evaluate, METH_VARARGS | METH_KEYWORDS,
     "evaluate(boards, logits=False, cached=False) -> (policy [B, n*n], value [B]) float32 arrays (then logits "
     "[B, n*n], then bool [B]: answered from the cache)."},
    {"stats_json", engine_stats_json, METH_NOARGS, "stats_json() -> str: the engine's statistics as JSON."},
    {"close", engine_close, METH_NOARGS, "close(): waits for calls in progress, then frees the engine. Idempotent."},
    {"__enter__", engine_enter, METH_NOARGS, NULL},
    {"__exit__", engine_exit, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL}};

#define ATTR(name, which, doc) {name, engine_attr, NULL, doc, (void *)(intptr_t)(which)}
static PyGetSetDef engine_getset[] = {
    ATTR("board_size", ATTR_BOARD_SIZE, "n of the model's n x n board"),
    ATTR("backend", ATTR_BACKEND, "'cpu' or 'cuda'"),
    ATTR("backend_choice", ATTR_CHOICE, "how the backend was chosen, e.g. 'backend cpu (no usable GPU: ...)'"),
    ATTR("max_batch", ATTR_MAX_BATCH, "largest batch one slot launches"),
    ATTR("precision", ATTR_PRECISION, "'fp32' or 'fp16', as run"),
    ATTR("cache_size", ATTR_CACHE_SIZE, "result cache capacity in positions (0: no cache)"),
    ATTR("slots", ATTR_SLOTS, "batches in flight at once (per device)"),
    ATTR("devices", ATTR_DEVICES, "the device ordinals, one backend context each (the CPU: one stand-in)"),
    {"closed", engine_closed, NULL, "True once closed", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

PyTypeObject hexgpu_py_engine_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "hexgpu._hexgpu.Engine",
    .tp_basicsize = sizeof(engine_object),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "Engine(model, backend=0, device=0, precision=0, max_batch=0, cache_size=0, threads=0, slots=0, "
              "devices=None): "
              "the native engine; use hexgpu.Engine.",
    .tp_new = engine_new,
    .tp_init = engine_init,
    .tp_dealloc = engine_dealloc,
    .tp_methods = engine_methods,
    .tp_getset = engine_getset,
};
