/* The reference's model browser over --models (docs/serve.md): recent, directories,
 * directory/<dir>, search, select, validate, refresh, and the model cache. Items name
 * models by their path under --models only; nothing outside it is listed, checked or
 * opened (the reference walks and opens any path a client sends). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "serve/json_fields.h"
#include "server_impl.h"

static void split_name(const char *name, char *dir, size_t cap, const char **file) {
    const char *slash = strrchr(name, '/');
    if (!slash) {
        snprintf(dir, cap, ".");
        *file = name;
    } else {
        snprintf(dir, cap, "%.*s", (int)(slash - name), name);
        *file = slash + 1;
    }
}

/* epoch<E>_mini<M> in the file name, else -1s. */
static void epoch_mini(const char *file, long *epoch, long *mini) {
    *epoch = *mini = -1;
    const char *e = strstr(file, "epoch");
    if (!e || !isdigit((unsigned char)e[5])) return;
    char *end;
    long ep = strtol(e + 5, &end, 10);
    if (strncmp(end, "_mini", 5) != 0 || !isdigit((unsigned char)end[5])) return;
    *epoch = ep;
    *mini = strtol(end + 5, NULL, 10);
}

static void write_item(hexgpu_server *s, hexgpu_json_writer *w, const hexgpu_confined_entry *e) {
    char dir[HEXGPU_NAME_MAX + 1], when[32];
    const char *file;
    split_name(e->name, dir, sizeof dir, &file);
    long epoch, mini;
    epoch_mini(file, &epoch, &mini);
    time_t t = (time_t)e->modified;
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", gmtime_r(&t, &tm));
    hexgpu_json_object_begin(w);
    hexgpu_json_kstring(w, "path", e->name);
    hexgpu_json_kstring(w, "relative_path", e->name);
    hexgpu_json_kstring(w, "directory", dir);
    hexgpu_json_kstring(w, "filename", file);
    hexgpu_json_knumber(w, "size_mb", (double)(long long)(e->bytes / 104857.6 + 0.5) / 10.0);
    hexgpu_json_kstring(w, "modified_time", when);
    hexgpu_json_key(w, "epoch");
    if (epoch >= 0) hexgpu_json_int(w, epoch);
    else hexgpu_json_null(w);
    hexgpu_json_key(w, "mini");
    if (mini >= 0) hexgpu_json_int(w, mini);
    else hexgpu_json_null(w);
    int size = hexgpu_model_registry_loaded_size(s->models, e->name);
    hexgpu_json_key(w, "board_size");
    if (size > 0) hexgpu_json_int(w, size);
    else hexgpu_json_null(w);
    hexgpu_json_object_end(w);
}

int hexgpu_serve_model_files(hexgpu_server *s, hexgpu_http_response *res, hexgpu_confined_entry **list) {
    hexgpu_error err = {0};
    int n = hexgpu_model_registry_list(s->models, list, &err);
    if (n < 0) hexgpu_http_reply_error(res, 500, "%s", err.message);
    return n;
}

typedef int (*item_filter)(const hexgpu_confined_entry *e, const void *arg);

/* {"<key>": [ ... ]} around the items a route writes; items_end frees list and replies. */
static void items_begin(hexgpu_json_writer *w, const char *key) {
    hexgpu_json_writer_init(w);
    hexgpu_json_object_begin(w);
    hexgpu_json_key(w, key);
    hexgpu_json_array_begin(w);
}

static void items_end(hexgpu_json_writer *w, hexgpu_confined_entry *list, hexgpu_http_response *res, int count) {
    hexgpu_json_array_end(w);
    if (count >= 0) hexgpu_json_kint(w, "count", count);
    hexgpu_json_object_end(w);
    free(list);
    hexgpu_http_reply_json(res, 200, w);
}

/* {"<key>": [items passing keep]} (plus "count" when with_count). */
static void reply_items(hexgpu_server *s, hexgpu_http_response *res, const char *key, item_filter keep,
                        const void *arg, int with_count) {
    hexgpu_confined_entry *list = NULL;
    int n = hexgpu_serve_model_files(s, res, &list);
    if (n < 0) return;
    hexgpu_json_writer w;
    items_begin(&w, key);
    int shown = 0;
    for (int i = 0; i < n; i++)
        if (!keep || keep(&list[i], arg)) write_item(s, &w, &list[i]), shown++;
    items_end(&w, list, res, with_count ? shown : -1);
}

static int in_directory(const hexgpu_confined_entry *e, const void *arg) {
    char dir[HEXGPU_NAME_MAX + 1];
    const char *file;
    split_name(e->name, dir, sizeof dir, &file);
    return strcmp(dir, (const char *)arg) == 0;
}

static int contains_nocase(const char *hay, const char *needle) {
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0) return 1;
    return n == 0;
}

static int matches(const hexgpu_confined_entry *e, const void *arg) {
    char dir[HEXGPU_NAME_MAX + 1];
    const char *file;
    split_name(e->name, dir, sizeof dir, &file);
    const char *q = arg;
    return contains_nocase(dir, q) || contains_nocase(file, q) || contains_nocase(e->name, q);
}

void hexgpu_api_browser_recent(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res) {
    (void)req;
    char names[10][HEXGPU_NAME_MAX + 1];
    int count = hexgpu_model_registry_recent(s->models, names, 10);
    hexgpu_confined_entry *list = NULL;
    int n = hexgpu_serve_model_files(s, res, &list);
    if (n < 0) return;
    hexgpu_json_writer w;
    items_begin(&w, "recent_models");
    for (int k = 0; k < count; k++) /* newest first */
        for (int i = 0; i < n; i++)
            if (strcmp(list[i].name, names[k]) == 0) write_item(s, &w, &list[i]);
    items_end(&w, list, res, -1);
}

void hexgpu_api_browser_directories(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res) {
    (void)req;
    hexgpu_confined_entry *list = NULL;
    int n = hexgpu_serve_model_files(s, res, &list);
    if (n < 0) return;
    /* Names are sorted, but "a/b" sorts after "a.x", so directories are collected apart. */
    char (*dirs)[HEXGPU_NAME_MAX + 1] = malloc((size_t)(n > 0 ? n : 1) * sizeof *dirs);
    if (!dirs) {
        free(list);
        hexgpu_http_reply_error(res, 500, "out of memory");
        return;
    }
    int count = 0;
    for (int i = 0; i < n; i++) {
        const char *file;
        char dir[HEXGPU_NAME_MAX + 1];
        split_name(list[i].name, dir, sizeof dir, &file);
        int seen = 0;
        for (int k = 0; k < count && !seen; k++) seen = strcmp(dirs[k], dir) == 0;
        if (!seen) memcpy(dirs[count++], dir, sizeof dir);
    }
    qsort(dirs, (size_t)count, sizeof *dirs, (int (*)(const void *, const void *))strcmp);
    hexgpu_json_writer w;
    hexgpu_json_writer_init(&w);
    hexgpu_json_object_begin(&w);
    hexgpu_json_key(&w, "directories");
    hexgpu_json_array_begin(&w);
    for (int k = 0; k < count; k++) hexgpu_json_string(&w, dirs[k]);
    hexgpu_json_array_end(&w);
    hexgpu_json_object_end(&w);
    free(dirs);
    free(list);
    hexgpu_http_reply_json(res, 200, &w);
}

void hexgpu_api_browser_directory(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res) {
    reply_items(s, res, "models", in_directory, req->tail, 0);
}

void hexgpu_api_browser_search(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res) {
    const char *q = hexgpu_http_query(req, "q");
    if (!q || !q[0]) { /* as the reference: an empty query finds nothing */
        hexgpu_json_writer w;
        items_begin(&w, "models");
        items_end(&w, NULL, res, -1);
        return;
    }
    reply_items(s, res, "models", matches, q, 0);
}

void hexgpu_api_browser_refresh(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res) {
    (void)req;
    reply_items(s, res, "models", NULL, NULL, 1);
}

void hexgpu_api_browser_validate(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res) {
    hexgpu_error err = {0};
    const char *path = NULL;
    if (hexgpu_field_string(req->json, "model_path", 0, "", &path, &err) != HEXGPU_OK || !path[0]) {
        hexgpu_http_reply_error(res, 400, "model_path required");
        return;
    }
    hexgpu_confined_entry *list = NULL;
    int n = hexgpu_serve_model_files(s, res, &list);
    if (n < 0) return;
    int found = -1;
    for (int i = 0; i < n && found < 0; i++)
        if (strcmp(list[i].name, path) == 0) found = i;
    hexgpu_json_writer w;
    hexgpu_json_writer_init(&w);
    hexgpu_json_object_begin(&w);
    hexgpu_json_kbool(&w, "valid", found >= 0 && list[found].bytes > 0);
    if (found >= 0 && list[found].bytes > 0) hexgpu_json_knull(&w, "error");
    else hexgpu_json_kstring(&w, "error", found >= 0 ? "the file is empty" : "no such model under --models");
    if (found >= 0) {
        hexgpu_json_key(&w, "model");
        write_item(s, &w, &list[found]);
    }
    hexgpu_json_object_end(&w);
    free(list);
    hexgpu_http_reply_json(res, 200, &w);
}

void hexgpu_api_browser_select(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res) {
    hexgpu_error err = {0};
    const char *path = NULL, *id = NULL;
    if (hexgpu_field_string(req->json, "model_path", 0, "", &path, &err) != HEXGPU_OK || !path[0]) {
        hexgpu_http_reply_error(res, 400, "model_path required");
        return;
    }
    char fallback[32];
    snprintf(fallback, sizeof fallback, "model_%lld", (long long)time(NULL));
    if (hexgpu_field_string(req->json, "model_id", 0, fallback, &id, &err) != HEXGPU_OK) {
        hexgpu_http_reply_failure(res, 400, "%s", err.message);
        return;
    }
    hexgpu_model_ref ref;
    hexgpu_status st = hexgpu_model_registry_register(s->models, id, path, &ref, &err);
    if (st != HEXGPU_OK) {
        int status = hexgpu_http_status_of(st);
        const char *what = status == 400 || status == 503 ? "" : "Model loading test failed: ";
        hexgpu_http_reply_failure(res, status, "%s%s", what, err.message);
        return;
    }
    hexgpu_json_writer w;
    hexgpu_json_writer_init(&w);
    hexgpu_json_object_begin(&w);
    hexgpu_json_kbool(&w, "success", 1);
    hexgpu_json_kstring(&w, "model_id", id);
    hexgpu_json_kstring(&w, "model_path", ref.name);
    hexgpu_json_key(&w, "model_info");
    hexgpu_json_object_begin(&w);
    hexgpu_json_kstring(&w, "name", ref.name);
    hexgpu_json_kint(&w, "board_size", ref.board_size);
    hexgpu_json_kstring(&w, "backend", hexgpu_engine_backend_name(ref.engine));
    hexgpu_json_object_end(&w);
    hexgpu_json_object_end(&w);
    hexgpu_model_registry_release(s->models, &ref);
    hexgpu_http_reply_json(res, 200, &w);
}

void hexgpu_api_cache_clear(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res) {
    (void)req;
    int closed = hexgpu_model_registry_unload_idle(s->models);
    hexgpu_json_writer w;
    hexgpu_json_writer_init(&w);
    hexgpu_json_object_begin(&w);
    hexgpu_json_kbool(&w, "success", 1);
    hexgpu_json_kint(&w, "cleared_instances", closed);
    hexgpu_json_object_end(&w);
    hexgpu_http_reply_json(res, 200, &w);
}

void hexgpu_api_cache_status(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res) {
    (void)req, (void)s;
    hexgpu_json_writer w;
    hexgpu_json_writer_init(&w);
    hexgpu_json_object_begin(&w);
    hexgpu_json_kstring(&w, "cache_type", "centralized_model_cache");
    hexgpu_json_kstring(&w, "cache_status", "active");
    hexgpu_json_kstring(&w, "note", "one engine per loaded model, shared by all clients; GET /api/hexgpu/status");
    hexgpu_json_object_end(&w);
    hexgpu_http_reply_json(res, 200, &w);
}
