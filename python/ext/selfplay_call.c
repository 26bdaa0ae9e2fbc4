/* _hexgpu.selfplay: the library's self-play into files (play/selfplay_files.h) on an
 * Engine, the same function `hexgpu selfplay` runs (same header, files and clean-up; the
 * record file is left out when no output_dir is given). The driver runs
 * on a thread of its own while the calling thread, GIL released, wakes every 100 ms to
 * let Python handle signals: Ctrl-C stops the run, keeps the finished games in the file
 * and raises KeyboardInterrupt. */
#include "pyhexgpu.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/interrupt.h"
#include "base/status.h"
#include "play/selfplay_files.h"

typedef struct kept_game {
    int64_t index;
    int moves;
    int winner;
    char *record;
} kept_game;

typedef struct run_state {
    hexgpu_engine *engine;
    hexgpu_selfplay_config config;
    hexgpu_selfplay_output output; /* dir NULL: games are only returned */
    hexgpu_selfplay_files files;
    kept_game *games;
    size_t count, capacity;
    volatile sig_atomic_t interrupt;
    hexgpu_selfplay_stats stats;
    hexgpu_status status;
    hexgpu_error err;
    pthread_mutex_t lock; /* guards finished */
    pthread_cond_t cond;
    int finished;
} run_state;

/* Called by the driver one game at a time. */
static hexgpu_status keep_game(void *user, const hexgpu_selfplay_game *game, hexgpu_error *err) {
    run_state *r = user;
    if (r->count == r->capacity) {
        size_t cap = r->capacity ? 2 * r->capacity : 64;
        kept_game *g = realloc(r->games, cap * sizeof *g);
        if (!g) return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "selfplay: out of memory for %zu games", cap);
        r->games = g, r->capacity = cap;
    }
    char *record = strdup(game->record);
    if (!record) return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "selfplay: out of memory for a record");
    r->games[r->count++] = (kept_game){.index = game->index, .moves = game->moves, .winner = game->winner,
                                       .record = record};
    return HEXGPU_OK;
}

static void *run_main(void *arg) {
    run_state *r = arg;
    r->status = hexgpu_selfplay_run_to_files(r->engine, &r->config, &r->output, NULL, keep_game, r, &r->files,
                                             &r->stats, &r->err);
    pthread_mutex_lock(&r->lock);
    r->finished = 1;
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

/* Runs r on a thread; returns -1 with the Python exception set when a signal handler
 * raised one (the run was stopped and joined first), else 0. Holds the GIL on entry. */
static int run_with_signals(run_state *r) {
    pthread_t thread;
    if (pthread_create(&thread, NULL, run_main, r) != 0) {
        PyErr_SetString(PyExc_RuntimeError, "selfplay: cannot start the driver thread");
        return -1;
    }
    int raised = 0;
    PyThreadState *ts = PyEval_SaveThread();
    pthread_mutex_lock(&r->lock);
    while (!r->finished) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 100 * 1000 * 1000;
        if (until.tv_nsec >= 1000000000) until.tv_sec++, until.tv_nsec -= 1000000000;
        pthread_cond_timedwait(&r->cond, &r->lock, &until);
        if (r->finished || raised) continue;
        pthread_mutex_unlock(&r->lock);
        PyEval_RestoreThread(ts);
        if (PyErr_CheckSignals() < 0) raised = 1, hexgpu_interrupt_raise(&r->interrupt);
        ts = PyEval_SaveThread();
        pthread_mutex_lock(&r->lock);
    }
    pthread_mutex_unlock(&r->lock);
    pthread_join(thread, NULL);
    PyEval_RestoreThread(ts);
    return raised ? -1 : 0;
}

static int compare_games(const void *a, const void *b) {
    int64_t x = ((const kept_game *)a)->index, y = ((const kept_game *)b)->index;
    return (x > y) - (x < y);
}

/* [(index, trmph, moves, winner 'b'|'r'), ...] in game order; trmph is the record
 * without its winner. */
static PyObject *games_list(run_state *r) {
    qsort(r->games, r->count, sizeof *r->games, compare_games);
    PyObject *list = PyList_New((Py_ssize_t)r->count);
    for (size_t i = 0; list && i < r->count; i++) {
        kept_game *g = &r->games[i];
        PyObject *item = Py_BuildValue("(Ls#is)", (long long)g->index, g->record, (Py_ssize_t)strlen(g->record) - 2,
                                       g->moves,
                                       g->winner == HEXGPU_RED ? "r" : "b");
        if (!item) Py_CLEAR(list);
        else PyList_SET_ITEM(list, (Py_ssize_t)i, item);
    }
    return list;
}

static int parse_opening(const char *name, hexgpu_opening *out) {
    if (hexgpu_selfplay_opening_parse(name, out)) return 0;
    PyErr_Format(PyExc_ValueError, "opening_strategy must be pie_rule, random or none, got '%s'", name);
    return -1;
}

/* A path argument that may be None (*out NULL), else bytes as os.fsencode makes them:
 * str (surrogateescape included), bytes or os.PathLike. */
static int fs_path_or_none(PyObject *obj, void *out) {
    if (obj == Py_None) {
        *(PyObject **)out = NULL;
        return 1;
    }
    return PyUnicode_FSConverter(obj, out);
}

/* selfplay(engine, games, simulations, seed, *, workers, games_in_flight, leaves_per_game,
 * c_puct, gumbel, temperature, temperature_end, opening, output_dir, streaming, model,
 * training_data, fast_sims, full_prob, tree_reuse, early_stop, bad_move_frequency, random_move_frequency)
 * -> (games, path or None, stats dict; its engine_json is the engine's statistics at the
 * end of the run). output_dir and model are paths (str, bytes or os.PathLike; output_dir
 * may be None). Options left out keep the library's defaults. The engine is held until
 * the call returns: a close() from another thread waits for the run, as for evaluate. */
PyObject *hexgpu_py_selfplay(PyObject *module, PyObject *args, PyObject *kwargs) {
    (void)module;
    static char *keywords[] = {"engine", "games", "simulations", "seed", "workers", "games_in_flight",
                               "leaves_per_game", "c_puct", "gumbel", "temperature", "temperature_end",
                               "opening", "output_dir", "streaming", "model", "training_data", "fast_sims",
                               "full_prob", "tree_reuse", "early_stop", "bad_move_frequency",
                               "random_move_frequency", NULL};
    PyObject *engine_obj;
    run_state *r = calloc(1, sizeof *r);
    if (!r) return PyErr_NoMemory();
    hexgpu_selfplay_config *c = &r->config;
    hexgpu_selfplay_config_default(c);
    long long games = c->games;
    unsigned long long seed = c->seed;
    double c_puct = c->mcts.c_puct, t0 = c->mcts.temperature, t1 = c->mcts.temperature_end;
    const char *opening = "pie_rule";
    PyObject *output_dir_bytes = NULL, *model_bytes = NULL; /* paths as bytes (os.fsencode) */
    int streaming = 0, training = 1;
    double early_stop = c->mcts.early_stop;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OLiK|$iiidpddsO&pO&pidpddd:selfplay", keywords, &engine_obj, &games,
                                     &c->mcts.simulations, &seed, &c->workers, &c->games_in_flight, &c->leaves_per_game,
                                     &c_puct, &c->mcts.gumbel, &t0, &t1, &opening, fs_path_or_none, &output_dir_bytes,
                                     &streaming, fs_path_or_none, &model_bytes, &training, &c->fast_simulations,
                                     &c->full_probability, &c->mcts.tree_reuse, &early_stop, &c->bad_move_frequency,
                                     &c->random_move_frequency) ||
        parse_opening(opening, &c->opening) != 0) {
        Py_XDECREF(output_dir_bytes);
        Py_XDECREF(model_bytes);
        free(r);
        return NULL;
    }
    const char *output_dir = output_dir_bytes ? PyBytes_AS_STRING(output_dir_bytes) : NULL;
    const char *model = model_bytes ? PyBytes_AS_STRING(model_bytes) : "";
    c->games = games, c->seed = seed, c->interrupt = &r->interrupt;
    c->mcts.c_puct = (float)c_puct, c->mcts.temperature = (float)t0, c->mcts.temperature_end = (float)t1;
    c->mcts.early_stop = (float)early_stop;
    c->training_data = training && output_dir != NULL;
    if (hexgpu_py_engine_acquire(engine_obj, &r->engine) != 0) {
        Py_XDECREF(output_dir_bytes);
        Py_XDECREF(model_bytes);
        free(r);
        return NULL;
    }
    PyObject *result = NULL, *path = NULL, *engine_stats = NULL;
    r->output = (hexgpu_selfplay_output){.dir = output_dir, .model = model, .streaming = streaming};
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->cond, NULL);
    int raised = run_with_signals(r);
    pthread_cond_destroy(&r->cond);
    pthread_mutex_destroy(&r->lock);
    if (raised) goto done;
    if (r->status != HEXGPU_OK) {
        hexgpu_py_raise(&r->err, NULL);
        goto done;
    }
    if (r->files.records_path[0]) path = PyUnicode_DecodeFSDefault(r->files.records_path);
    else {
        Py_INCREF(Py_None);
        path = Py_None;
    }
    if (!path) goto done;
    /* Read while the engine is still held: a close() from another thread has been
     * waiting for this call, and the engine is gone once it is released. */
    if (!(engine_stats = hexgpu_py_engine_stats_text(r->engine))) goto done;
    PyObject *list = games_list(r);
    if (!list) goto done;
    result = Py_BuildValue("(NO{s:L,s:L,s:L,s:L,s:L,s:d,s:O,s:O})", list, path, "games", (long long)r->stats.games,
                           "moves", (long long)r->stats.moves, "simulations", (long long)r->stats.simulations,
                           "leaf_requests", (long long)r->stats.leaf_requests, "cached", (long long)r->stats.cached,
                           "seconds", r->stats.seconds, "interrupted", r->stats.interrupted ? Py_True : Py_False,
                           "engine_json", engine_stats);
done:
    hexgpu_py_engine_release(engine_obj);
    Py_XDECREF(engine_stats);
    Py_XDECREF(output_dir_bytes);
    Py_XDECREF(model_bytes);
    for (size_t i = 0; i < r->count; i++) free(r->games[i].record);
    free(r->games);
    free(r);
    Py_XDECREF(path);
    return result;
}
