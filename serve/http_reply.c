/* Reply helpers shared by every handler (see http.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/http.h"

static const char out_of_memory[] = "{\"error\": \"out of memory building the reply\"}";

void hexgpu_http_reply_json(hexgpu_http_response *res, int status, hexgpu_json_writer *w) {
    free(res->body);
    res->body = hexgpu_json_writer_take(w, &res->len);
    res->content_type = "application/json";
    res->status = status;
    if (!res->body) {
        res->status = 500;
        res->static_body = out_of_memory;
        res->len = sizeof out_of_memory - 1;
    }
}

static void reply_message(hexgpu_http_response *res, int status, int failure, const char *fmt, va_list ap) {
    char message[1024];
    vsnprintf(message, sizeof message, fmt, ap);
    for (char *p = message; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
    hexgpu_json_writer w;
    hexgpu_json_writer_init(&w);
    hexgpu_json_object_begin(&w);
    if (failure) hexgpu_json_kbool(&w, "success", 0);
    hexgpu_json_kstring(&w, "error", message);
    hexgpu_json_object_end(&w);
    hexgpu_http_reply_json(res, status, &w);
}

void hexgpu_http_reply_error(hexgpu_http_response *res, int status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    reply_message(res, status, 0, fmt, ap);
    va_end(ap);
}

void hexgpu_http_reply_failure(hexgpu_http_response *res, int status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    reply_message(res, status, 1, fmt, ap);
    va_end(ap);
}

int hexgpu_http_status_of(hexgpu_status status) {
    switch (status) {
    case HEXGPU_OK: return 200;
    case HEXGPU_ERR_INVALID_ARGUMENT:
    case HEXGPU_ERR_PARSE:
    case HEXGPU_ERR_INVALID_POSITION: return 400;
    case HEXGPU_ERR_MODEL_FORMAT:
    case HEXGPU_ERR_UNSUPPORTED: return 422;
    case HEXGPU_ERR_TIMEOUT:
    case HEXGPU_ERR_CLOSED: return 503;
    default: return 500;
    }
}

const char *hexgpu_http_query(const hexgpu_http_request *req, const char *key) {
    return req->query ? req->query(req->query_ctx, key) : NULL;
}

const hexgpu_route *hexgpu_route_match(const hexgpu_route *table, size_t count, const char *method, const char *path,
                                       const char **tail, int *bad_method) {
    *bad_method = 0;
    *tail = "";
    const hexgpu_route *best = NULL;
    size_t best_len = 0;
    int best_exact = 0;
    for (size_t i = 0; i < count; i++) {
        const hexgpu_route *r = &table[i];
        size_t len = strlen(r->path);
        int exact = !r->prefix && strcmp(path, r->path) == 0;
        int prefixed = r->prefix && strncmp(path, r->path, len) == 0 && path[len] != '\0';
        if (!exact && !prefixed) continue;
        if (strcmp(method, r->method) != 0) {
            *bad_method = 1;
            continue;
        }
        /* Exact before prefix, a longer prefix before a shorter one. */
        if (!best || (exact && !best_exact) || (!exact && !best_exact && len > best_len)) {
            best = r, best_len = len, best_exact = exact;
        }
    }
    if (best) {
        *bad_method = 0;
        *tail = best->prefix ? path + best_len : "";
    }
    return best;
}
