/* A request as the handlers see it and the reply they fill, apart from the HTTP library
 * (serve/http_daemon.c turns libmicrohttpd's calls into these), so handlers and the
 * routing are plain functions. */
#pragma once

#include <stddef.h>

#include "base/json.h"
#include "serve/json_writer.h"

typedef struct hexgpu_server hexgpu_server;

typedef struct hexgpu_http_request {
    const char *method;          /* "GET", "POST", ... */
    const char *path;            /* percent-decoded, without the query */
    const char *tail;            /* a prefix route's rest of the path ("" for exact routes) */
    const char *body;            /* POST: the body, NUL-terminated, valid UTF-8 */
    size_t body_len;
    const hexgpu_json *json;     /* POST: the body parsed, always an object */
    /* A query argument, percent-decoded, or NULL. */
    const char *(*query)(void *ctx, const char *key);
    void *query_ctx;
} hexgpu_http_request;

typedef struct hexgpu_http_response {
    int status;                 /* 0 until a handler replies */
    const char *content_type;   /* a static string */
    char *body;                 /* malloc'd, owned by the response */
    size_t len;
    const void *static_body;    /* or bytes that live as long as the program (embedded files) */
    int cacheable;              /* 1: static files, may be cached a while; else no-store */
    char header_name[32];       /* one extra header ("Set-Cookie", "Location") or "" */
    char header_value[256];
} hexgpu_http_response;

/* A JSON reply with status, taking w's text (500 with a fixed body when w failed). */
void hexgpu_http_reply_json(hexgpu_http_response *res, int status, hexgpu_json_writer *w);
/* {"error": "<message>"}: one line (newlines become spaces). */
void hexgpu_http_reply_error(hexgpu_http_response *res, int status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* {"success": false, "error": "<message>"}: the reference's failure form for its engine
 * move and save routes (with a proper status here, not its 200). */
void hexgpu_http_reply_failure(hexgpu_http_response *res, int status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* The HTTP status for a library status: 400 for bad input, 503 when busy or closed,
 * 500 otherwise. */
int hexgpu_http_status_of(hexgpu_status status);

/* Query argument or NULL (req->query may be NULL). */
const char *hexgpu_http_query(const hexgpu_http_request *req, const char *key);

typedef void (*hexgpu_route_handler)(hexgpu_server *server, const hexgpu_http_request *req,
                                     hexgpu_http_response *res);

/* A route: method and path; prefix routes match any path starting with path (the rest
 * is the request's tail). */
typedef struct hexgpu_route {
    const char *method;
    const char *path;
    int prefix;
    hexgpu_route_handler handler;
} hexgpu_route;

/* The first route of table[0..count) whose path matches (exact routes are tried before
 * prefix routes, longer prefixes before shorter) and whose method is method. NULL when
 * none: *bad_method is then 1 when a route has the path with another method (405), 0
 * when no route has it (404). *tail gets the rest of the path after a prefix. */
const hexgpu_route *hexgpu_route_match(const hexgpu_route *table, size_t count, const char *method, const char *path,
                                       const char **tail, int *bad_method);
