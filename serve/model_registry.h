/* The models the server offers: the files under --models (listed by name, never by server
 * path), the ids clients use for them, and one engine per loaded model shared by every
 * client (batched and cached as everywhere else). Engines are opened at first use, kept
 * while in use (reference counts) and at most max_loaded at once: a model no request
 * uses may be closed to make room. The default model is opened at start and never closed.
 * Thread safe. */
#pragma once

#include "hexgpu.h"
#include "serve/path_confine.h"

typedef struct hexgpu_model_registry hexgpu_model_registry;

/* The model files the server lists and opens. */
#define HEXGPU_MODEL_SUFFIXES {".safetensors", ".pt", ".pt.gz", NULL}
#define HEXGPU_MODEL_ID_MAX 64

typedef struct hexgpu_model_ref {
    hexgpu_engine *engine;
    int board_size;
    char name[HEXGPU_NAME_MAX + 1]; /* the model's name under --models */
    int slot;                       /* the registry's, for release */
} hexgpu_model_ref;

/* Opens the registry on dir (which must be a folder) and the default model: default_name
 * (a name under dir) or, when NULL, the first model file listed. Fails when dir holds no
 * model or the default cannot be opened (err says which and why). */
hexgpu_status hexgpu_model_registry_open(const char *dir, const char *default_name,
                                         const hexgpu_engine_options *options, int max_loaded,
                                         hexgpu_model_registry **out, hexgpu_error *err);
void hexgpu_model_registry_close(hexgpu_model_registry *r);

/* The model an id names, its engine opened if needed and held until release: "model1"
 * (also "current_best") is the default model; "model2" (also "previous_best") the second
 * listed model (the default when there is only one); then ids registered by
 * hexgpu_model_registry_register; then any listed name. An unknown id is
 * HEXGPU_ERR_INVALID_ARGUMENT; no room for another engine HEXGPU_ERR_TIMEOUT (busy). */
hexgpu_status hexgpu_model_registry_acquire(hexgpu_model_registry *r, const char *id, hexgpu_model_ref *ref,
                                            hexgpu_error *err);
void hexgpu_model_registry_release(hexgpu_model_registry *r, hexgpu_model_ref *ref);

const char *hexgpu_model_registry_default_name(const hexgpu_model_registry *r);
int hexgpu_model_registry_default_size(const hexgpu_model_registry *r);
/* The name "model2" stands for. */
const char *hexgpu_model_registry_second_name(hexgpu_model_registry *r, char *out, size_t cap);

/* The model files under dir now (rescanned each call), as hexgpu_confined_list. */
int hexgpu_model_registry_list(hexgpu_model_registry *r, hexgpu_confined_entry **out, hexgpu_error *err);
/* The board size of a loaded model, 0 when it is not loaded. */
int hexgpu_model_registry_loaded_size(hexgpu_model_registry *r, const char *name);

/* Registers id for the listed model name (the reference's model browser "select"): id is
 * 1..64 of [A-Za-z0-9_.-] and may not be "model1", "model2", their aliases or a listed
 * name; registering an id again moves it to the new name. The oldest registration goes
 * when 256 are kept. The model is opened now (a model that does not load is refused and
 * not registered). Also puts name first in the recent list. */
hexgpu_status hexgpu_model_registry_register(hexgpu_model_registry *r, const char *id, const char *name,
                                             hexgpu_model_ref *ref, hexgpu_error *err);
/* The recently selected names, newest first (at most 10); returns the count. */
int hexgpu_model_registry_recent(hexgpu_model_registry *r, char names[][HEXGPU_NAME_MAX + 1], int max);
/* Closes the engines no request holds, the default's excepted; returns how many. */
int hexgpu_model_registry_unload_idle(hexgpu_model_registry *r);

/* A model's statistics line for the status route: engine stats as JSON of each loaded
 * model, written by fn(user, name, stats). */
void hexgpu_model_registry_each_loaded(hexgpu_model_registry *r,
                                       void (*fn)(void *user, const char *name, int board_size,
                                                  const hexgpu_engine_stats *stats),
                                       void *user);
