/* The server's models: names under --models, ids, shared engines (see model_registry.h). */
#include "serve/model_registry.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/status.h"

#define MAX_REGISTERED 256
#define MAX_RECENT 10
#define MAX_SLOTS 64
#define MAX_LISTED 10000

typedef struct loaded_model {
    char name[HEXGPU_NAME_MAX + 1];
    hexgpu_engine *engine; /* NULL: the slot is free */
    int board_size;
    int refs;
    uint64_t last_used;
} loaded_model;

typedef struct registered_id {
    char id[HEXGPU_MODEL_ID_MAX + 1];
    char name[HEXGPU_NAME_MAX + 1];
    uint64_t order;
} registered_id;

struct hexgpu_model_registry {
    int dir_fd;
    hexgpu_engine_options options;
    int max_loaded;
    char default_name[HEXGPU_NAME_MAX + 1];
    int default_size;
    pthread_mutex_t lock;      /* everything below */
    pthread_mutex_t load_lock; /* one engine opens at a time, without holding lock */
    loaded_model slots[MAX_SLOTS];
    registered_id registered[MAX_REGISTERED];
    int registered_count;
    char recent[MAX_RECENT][HEXGPU_NAME_MAX + 1];
    int recent_count;
    uint64_t clock;
};

static const char *const model_suffixes[] = HEXGPU_MODEL_SUFFIXES;

const char *hexgpu_model_registry_default_name(const hexgpu_model_registry *r) { return r->default_name; }
int hexgpu_model_registry_default_size(const hexgpu_model_registry *r) { return r->default_size; }

int hexgpu_model_registry_list(hexgpu_model_registry *r, hexgpu_confined_entry **out, hexgpu_error *err) {
    return hexgpu_confined_list(r->dir_fd, model_suffixes, MAX_LISTED, out, err);
}

const char *hexgpu_model_registry_second_name(hexgpu_model_registry *r, char *out, size_t cap) {
    hexgpu_confined_entry *list = NULL;
    int n = hexgpu_model_registry_list(r, &list, NULL);
    const char *pick = r->default_name;
    for (int i = 0; i < n; i++)
        if (strcmp(list[i].name, r->default_name) != 0) {
            pick = list[i].name;
            break;
        }
    snprintf(out, cap, "%s", pick);
    free(list);
    return out;
}

/* Opens name's engine through its descriptor (/proc/self/fd/N), so the file opened is the
 * one the confined walk reached, and no message names the server's folders. */
static hexgpu_status open_engine(hexgpu_model_registry *r, const char *name, hexgpu_engine **engine,
                                 hexgpu_error *err) {
    hexgpu_error why = {0};
    int fd = hexgpu_confined_open(r->dir_fd, name, O_RDONLY, &why);
    if (fd < 0) return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "unknown model: %s", why.message);
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    hexgpu_status st = hexgpu_engine_open(path, &r->options, engine, err);
    close(fd);
    if (st != HEXGPU_OK) hexgpu_error_prefix(err, st, "model '%s'", name);
    return st;
}

static int find_loaded(hexgpu_model_registry *r, const char *name) {
    for (int i = 0; i < MAX_SLOTS; i++)
        if (r->slots[i].engine && strcmp(r->slots[i].name, name) == 0) return i;
    return -1;
}

static int loaded_count(const hexgpu_model_registry *r) {
    int n = 0;
    for (int i = 0; i < MAX_SLOTS; i++) n += r->slots[i].engine != NULL;
    return n;
}

hexgpu_status hexgpu_model_registry_open(const char *dir, const char *default_name,
                                         const hexgpu_engine_options *options, int max_loaded,
                                         hexgpu_model_registry **out, hexgpu_error *err) {
    *out = NULL;
    hexgpu_model_registry *r = calloc(1, sizeof *r);
    if (!r) return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "out of memory");
    r->options = *options;
    r->max_loaded = max_loaded < 1 ? 1 : max_loaded > MAX_SLOTS ? MAX_SLOTS : max_loaded;
    r->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    pthread_mutex_init(&r->lock, NULL);
    pthread_mutex_init(&r->load_lock, NULL);
    if (r->dir_fd < 0) {
        hexgpu_model_registry_close(r);
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "--models %s is not a folder that can be read", dir);
    }
    hexgpu_confined_entry *list = NULL;
    int n = hexgpu_model_registry_list(r, &list, err);
    if (n < 0 || (n == 0 && !default_name)) {
        free(list);
        hexgpu_model_registry_close(r);
        if (n < 0) return err->status;
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT,
                                "--models %s holds no model file (.safetensors, .pt, .pt.gz)", dir);
    }
    snprintf(r->default_name, sizeof r->default_name, "%s", default_name ? default_name : list[0].name);
    free(list);
    hexgpu_engine *engine = NULL;
    hexgpu_status st = open_engine(r, r->default_name, &engine, err);
    if (st != HEXGPU_OK) {
        hexgpu_model_registry_close(r);
        return st;
    }
    loaded_model *slot = &r->slots[0];
    snprintf(slot->name, sizeof slot->name, "%s", r->default_name);
    slot->engine = engine;
    slot->board_size = r->default_size = hexgpu_engine_board_size(engine);
    *out = r;
    return HEXGPU_OK;
}

void hexgpu_model_registry_close(hexgpu_model_registry *r) {
    if (!r) return;
    for (int i = 0; i < MAX_SLOTS; i++) hexgpu_engine_close(r->slots[i].engine);
    if (r->dir_fd >= 0) close(r->dir_fd);
    pthread_mutex_destroy(&r->lock);
    pthread_mutex_destroy(&r->load_lock);
    free(r);
}

static int reserved_id(const char *id) {
    return strcmp(id, "model1") == 0 || strcmp(id, "model2") == 0 || strcmp(id, "current_best") == 0 ||
           strcmp(id, "previous_best") == 0;
}

/* The name id stands for, into name; 0 when id names nothing. Called with lock held. */
static int resolve(hexgpu_model_registry *r, const char *id, char *name, size_t cap) {
    if (strcmp(id, "model1") == 0 || strcmp(id, "current_best") == 0) {
        snprintf(name, cap, "%s", r->default_name);
        return 1;
    }
    for (int i = 0; i < r->registered_count; i++)
        if (strcmp(r->registered[i].id, id) == 0) {
            snprintf(name, cap, "%s", r->registered[i].name);
            return 1;
        }
    if (!hexgpu_name_is_safe(id) || !hexgpu_name_has_suffix(id, model_suffixes)) return 0;
    snprintf(name, cap, "%s", id);
    return 1;
}

/* Takes slot for ref (lock held). */
static void hold(hexgpu_model_registry *r, int slot, hexgpu_model_ref *ref) {
    loaded_model *m = &r->slots[slot];
    m->refs++;
    m->last_used = ++r->clock;
    ref->engine = m->engine;
    ref->board_size = m->board_size;
    ref->slot = slot;
    snprintf(ref->name, sizeof ref->name, "%s", m->name);
}

static hexgpu_status acquire_name(hexgpu_model_registry *r, const char *name, hexgpu_model_ref *ref,
                                  hexgpu_error *err) {
    pthread_mutex_lock(&r->lock);
    int slot = find_loaded(r, name);
    if (slot >= 0) {
        hold(r, slot, ref);
        pthread_mutex_unlock(&r->lock);
        return HEXGPU_OK;
    }
    /* Open it without holding lock (a load takes a while); load_lock keeps two requests
     * from opening the same model twice, and one engine at most beyond --max-models. */
    pthread_mutex_unlock(&r->lock);
    pthread_mutex_lock(&r->load_lock);
    pthread_mutex_lock(&r->lock);
    slot = find_loaded(r, name);
    hexgpu_engine *engine = NULL, *closing = NULL;
    hexgpu_status st = HEXGPU_OK;
    if (slot < 0) {
        pthread_mutex_unlock(&r->lock);
        st = open_engine(r, name, &engine, err);
        pthread_mutex_lock(&r->lock);
    }
    if (slot < 0 && st == HEXGPU_OK) {
        /* Room: a free slot under the limit, else the least recently used idle one. */
        int free_slot = -1, idle = -1;
        for (int i = 0; i < MAX_SLOTS; i++) {
            loaded_model *m = &r->slots[i];
            if (!m->engine && free_slot < 0) free_slot = i;
            if (m->engine && m->refs == 0 && strcmp(m->name, r->default_name) != 0 &&
                (idle < 0 || m->last_used < r->slots[idle].last_used))
                idle = i;
        }
        if (loaded_count(r) >= r->max_loaded || free_slot < 0) {
            if (idle < 0) {
                st = hexgpu_error_set(err, HEXGPU_ERR_TIMEOUT,
                                      "busy: %d models are loaded and all in use (--max-models)", loaded_count(r));
            } else {
                closing = r->slots[idle].engine;
                r->slots[idle].engine = NULL;
                free_slot = idle;
            }
        }
        if (st == HEXGPU_OK) {
            loaded_model *m = &r->slots[free_slot];
            snprintf(m->name, sizeof m->name, "%s", name);
            m->engine = engine;
            m->board_size = hexgpu_engine_board_size(engine);
            m->refs = 0;
            slot = free_slot;
            engine = NULL;
        }
    }
    /* Held in the same hold of lock that placed it: an idle sweep
     * (hexgpu_model_registry_unload_idle) between the two would close it under us. */
    if (st == HEXGPU_OK) hold(r, slot, ref);
    pthread_mutex_unlock(&r->lock);
    hexgpu_engine_close(closing); /* the idle model that made room */
    hexgpu_engine_close(engine);  /* opened, but no room for it */
    pthread_mutex_unlock(&r->load_lock);
    return st;
}

hexgpu_status hexgpu_model_registry_acquire(hexgpu_model_registry *r, const char *id, hexgpu_model_ref *ref,
                                            hexgpu_error *err) {
    char name[HEXGPU_NAME_MAX + 1];
    memset(ref, 0, sizeof *ref);
    ref->slot = -1;
    if (strcmp(id, "model2") == 0 || strcmp(id, "previous_best") == 0) {
        hexgpu_model_registry_second_name(r, name, sizeof name);
    } else {
        pthread_mutex_lock(&r->lock);
        int known = resolve(r, id, name, sizeof name);
        pthread_mutex_unlock(&r->lock);
        if (!known)
            return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT,
                                    "unknown model '%.80s' (GET /api/models lists the ids)", id);
    }
    return acquire_name(r, name, ref, err);
}

void hexgpu_model_registry_release(hexgpu_model_registry *r, hexgpu_model_ref *ref) {
    if (!ref || ref->slot < 0) return;
    pthread_mutex_lock(&r->lock);
    r->slots[ref->slot].refs--;
    pthread_mutex_unlock(&r->lock);
    ref->slot = -1;
    ref->engine = NULL;
}

int hexgpu_model_registry_loaded_size(hexgpu_model_registry *r, const char *name) {
    pthread_mutex_lock(&r->lock);
    int slot = find_loaded(r, name), size = slot >= 0 ? r->slots[slot].board_size : 0;
    pthread_mutex_unlock(&r->lock);
    return size;
}

static int valid_id(const char *id) {
    size_t len = strlen(id);
    if (len == 0 || len > HEXGPU_MODEL_ID_MAX) return 0;
    for (size_t i = 0; i < len; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
              c == '.'))
            return 0;
    }
    return 1;
}

hexgpu_status hexgpu_model_registry_register(hexgpu_model_registry *r, const char *id, const char *name,
                                             hexgpu_model_ref *ref, hexgpu_error *err) {
    if (!valid_id(id) || reserved_id(id) || hexgpu_name_has_suffix(id, model_suffixes))
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT,
                                "model_id '%.80s' cannot be registered (1..64 of letters, digits, '_', '-', '.'; "
                                "not model1, model2 or a model's name)",
                                id);
    if (!hexgpu_name_is_safe(name) || !hexgpu_name_has_suffix(name, model_suffixes))
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT,
                                "'%.80s' is not a model name under --models (.safetensors, .pt, .pt.gz)", name);
    hexgpu_status st = acquire_name(r, name, ref, err);
    if (st != HEXGPU_OK) return st;
    pthread_mutex_lock(&r->lock);
    int at = -1;
    for (int i = 0; i < r->registered_count; i++)
        if (strcmp(r->registered[i].id, id) == 0) at = i;
    if (at < 0 && r->registered_count == MAX_REGISTERED) {
        at = 0; /* the oldest registration makes room */
        for (int i = 1; i < r->registered_count; i++)
            if (r->registered[i].order < r->registered[at].order) at = i;
    }
    if (at < 0) at = r->registered_count++;
    snprintf(r->registered[at].id, sizeof r->registered[at].id, "%s", id);
    snprintf(r->registered[at].name, sizeof r->registered[at].name, "%s", name);
    r->registered[at].order = ++r->clock;
    /* The recent list: name first, no duplicates. */
    int keep = 0;
    char previous[MAX_RECENT][HEXGPU_NAME_MAX + 1];
    memcpy(previous, r->recent, sizeof previous);
    snprintf(r->recent[keep++], sizeof r->recent[0], "%s", name);
    for (int i = 0; i < r->recent_count && keep < MAX_RECENT; i++)
        if (strcmp(previous[i], name) != 0) memcpy(r->recent[keep++], previous[i], sizeof previous[i]);
    r->recent_count = keep;
    pthread_mutex_unlock(&r->lock);
    return HEXGPU_OK;
}

int hexgpu_model_registry_recent(hexgpu_model_registry *r, char names[][HEXGPU_NAME_MAX + 1], int max) {
    pthread_mutex_lock(&r->lock);
    int n = r->recent_count < max ? r->recent_count : max;
    for (int i = 0; i < n; i++) memcpy(names[i], r->recent[i], sizeof r->recent[i]);
    pthread_mutex_unlock(&r->lock);
    return n;
}

int hexgpu_model_registry_unload_idle(hexgpu_model_registry *r) {
    hexgpu_engine *closing[MAX_SLOTS];
    int n = 0;
    pthread_mutex_lock(&r->lock);
    for (int i = 0; i < MAX_SLOTS; i++) {
        loaded_model *m = &r->slots[i];
        if (m->engine && m->refs == 0 && strcmp(m->name, r->default_name) != 0) {
            closing[n++] = m->engine;
            m->engine = NULL;
        }
    }
    pthread_mutex_unlock(&r->lock);
    for (int i = 0; i < n; i++) hexgpu_engine_close(closing[i]);
    return n;
}

void hexgpu_model_registry_each_loaded(hexgpu_model_registry *r,
                                       void (*fn)(void *user, const char *name, int board_size,
                                                  const hexgpu_engine_stats *stats),
                                       void *user) {
    pthread_mutex_lock(&r->lock);
    for (int i = 0; i < MAX_SLOTS; i++) {
        loaded_model *m = &r->slots[i];
        if (!m->engine) continue;
        hexgpu_engine_stats stats;
        hexgpu_engine_stats_read(m->engine, &stats);
        fn(user, m->name, m->board_size, &stats);
    }
    pthread_mutex_unlock(&r->lock);
}
