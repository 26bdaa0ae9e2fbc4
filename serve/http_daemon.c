/* libmicrohttpd's side of the server: a request's body gathered up to the limit, the
 * rules every request meets checked in order (Host names this server, the token when one
 * is set, the body's size, type, encoding and JSON), then its route called, and the reply
 * sent with the headers every reply carries. Whatever a client sends gets a reply with a
 * one-line JSON error or a closed connection, never a crash. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server_impl.h"

#define JSON_MAX_DEPTH 32
#define JSON_MAX_VALUES 100000

/* A request in progress: its body so far, or the reply given before the body was read. */
typedef struct request_state {
    char *body;
    size_t len, cap;
    int replied; /* a reply was queued at the first call (refused before the body) */
    int too_large;
    int set_cookie; /* the token came as ?token=: the reply sets the cookie */
} request_state;

static const char *header(struct MHD_Connection *c, const char *name) {
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

static const char *query_value(void *ctx, const char *key) {
    return MHD_lookup_connection_value((struct MHD_Connection *)ctx, MHD_GET_ARGUMENT_KIND, key);
}

/* Equal strings, in time that depends on the lengths only. */
static int same_secret(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    unsigned diff = (unsigned)(la != lb);
    for (size_t i = 0; i < la; i++) diff |= (unsigned char)a[i] ^ (unsigned char)b[i % (lb ? lb : 1)];
    return diff == 0;
}

/* The token of the request: "Authorization: Bearer T", the cookie hexgpu_token=T, or
 * (GET only) ?token=T, which also sets the cookie so the page's own calls carry it. */
static int authorised(hexgpu_server *s, struct MHD_Connection *c, const char *method, int *set_cookie) {
    if (!s->token || !s->token[0]) return 1;
    const char *auth = header(c, MHD_HTTP_HEADER_AUTHORIZATION);
    if (auth && strncmp(auth, "Bearer ", 7) == 0 && same_secret(auth + 7, s->token)) return 1;
    const char *cookie = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "hexgpu_token");
    if (cookie && same_secret(cookie, s->token)) return 1;
    const char *query = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token");
    if (query && strcmp(method, "GET") == 0 && same_secret(query, s->token)) {
        *set_cookie = 1;
        return 1;
    }
    return 0;
}

/* When bound to loopback, a Host header must name loopback: a page from another site
 * whose name was pointed at 127.0.0.1 (DNS rebinding) is refused. */
static int host_allowed(hexgpu_server *s, struct MHD_Connection *c) {
    if (!s->loopback) return 1;
    const char *host = header(c, MHD_HTTP_HEADER_HOST);
    if (!host) return 1; /* HTTP/1.0 without Host: no page sends that */
    char name[256];
    size_t len = strlen(host);
    if (len >= sizeof name) return 0;
    memcpy(name, host, len + 1);
    char *port = NULL;
    if (name[0] == '[') { /* [IPv6]:port */
        char *end = strchr(name, ']');
        if (!end || (end[1] && end[1] != ':')) return 0;
        *end = '\0';
        struct in6_addr a6;
        return inet_pton(AF_INET6, name + 1, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
    }
    if ((port = strrchr(name, ':'))) *port = '\0';
    /* The address itself, never a prefix of a name: "127.evil.example" is a name an
     * attacker's DNS may point here. */
    struct in_addr a4;
    if (inet_pton(AF_INET, name, &a4) == 1) return (ntohl(a4.s_addr) >> 24) == 127;
    return strcasecmp(name, "localhost") == 0;
}

static enum MHD_Result send_reply(hexgpu_server *s, struct MHD_Connection *c, hexgpu_http_response *res) {
    if (res->status == 0) hexgpu_http_reply_error(res, 500, "no reply");
    struct MHD_Response *r;
    if (res->body) {
        r = MHD_create_response_from_buffer(res->len, res->body, MHD_RESPMEM_MUST_FREE);
        if (r) res->body = NULL;
    } else {
        r = MHD_create_response_from_buffer(res->len, (void *)res->static_body, MHD_RESPMEM_PERSISTENT);
    }
    free(res->body);
    res->body = NULL;
    if (!r) return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, res->content_type ? res->content_type : "text/plain");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, res->cacheable ? "no-cache" : "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    /* No script but the page's own files; inline styles stay allowed (the reference page
     * sets style attributes in its HTML). */
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                            "img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'");
    if (res->header_name[0]) MHD_add_response_header(r, res->header_name, res->header_value);
    if (res->status >= 500) __atomic_add_fetch(&s->server_errors, 1, __ATOMIC_RELAXED);
    else if (res->status >= 400) __atomic_add_fetch(&s->client_errors, 1, __ATOMIC_RELAXED);
    if (res->status == 503) __atomic_add_fetch(&s->busy, 1, __ATOMIC_RELAXED);
    enum MHD_Result ok = MHD_queue_response(c, (unsigned)res->status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result reply_error(hexgpu_server *s, struct MHD_Connection *c, int status, const char *message) {
    hexgpu_http_response res = {0};
    hexgpu_http_reply_error(&res, status, "%s", message);
    return send_reply(s, c, &res);
}

/* Checks the body and calls the route. */
static enum MHD_Result dispatch(hexgpu_server *s, struct MHD_Connection *c, const char *url, const char *method,
                                request_state *st) {
    hexgpu_http_response res = {0};
    int bad_method = 0;
    const char *tail = "";
    const hexgpu_route *route =
        hexgpu_route_match(hexgpu_serve_routes, hexgpu_serve_route_count, method, url, &tail, &bad_method);
    if (!route) {
        hexgpu_http_reply_error(&res, bad_method ? 405 : 404, bad_method ? "method %s not allowed here"
                                                                           : "no such route: %.200s",
                                bad_method ? method : url);
        return send_reply(s, c, &res);
    }
    hexgpu_http_request req = {.method = method, .path = url, .tail = tail, .body = st->body ? st->body : "",
                               .body_len = st->len, .query = query_value, .query_ctx = c};
    hexgpu_json json = {0};
    int parsed = 0;
    if (strcmp(method, "POST") == 0) {
        const char *type = header(c, MHD_HTTP_HEADER_CONTENT_TYPE);
        hexgpu_error err = {0};
        size_t valid = hexgpu_utf8_valid_prefix(req.body, st->len);
        if (!type || strncasecmp(type, "application/json", 16) != 0) {
            hexgpu_http_reply_error(&res, 415, "the body must be JSON (Content-Type: application/json)");
        } else if (valid != st->len) {
            hexgpu_http_reply_error(&res, 400, "the body is not valid UTF-8 (byte %zu)", valid);
        } else {
            const hexgpu_json_limits limits = {.max_depth = JSON_MAX_DEPTH, .max_values = JSON_MAX_VALUES};
            if (hexgpu_json_parse_limited(req.body, st->len, &limits, &json, &err) != HEXGPU_OK)
                hexgpu_http_reply_error(&res, 400, "malformed JSON: %s", err.message);
            else if ((parsed = 1, json.type != HEXGPU_JSON_OBJECT))
                hexgpu_http_reply_error(&res, 400, "the body must be a JSON object");
            else req.json = &json;
        }
        if (res.status) {
            if (parsed) hexgpu_json_free(&json);
            return send_reply(s, c, &res);
        }
    }
    route->handler(s, &req, &res);
    if (parsed) hexgpu_json_free(&json);
    if (st->set_cookie && !res.header_name[0]) {
        snprintf(res.header_name, sizeof res.header_name, "Set-Cookie");
        snprintf(res.header_value, sizeof res.header_value, "hexgpu_token=%.160s; Path=/; HttpOnly; SameSite=Strict",
                 s->token);
    }
    return send_reply(s, c, &res);
}

enum MHD_Result hexgpu_http_on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                       const char *version, const char *upload_data, size_t *upload_data_size,
                                       void **con_cls) {
    (void)version;
    hexgpu_server *s = cls;
    request_state *st = *con_cls;
    if (!st) {
        st = calloc(1, sizeof *st);
        if (!st) return MHD_NO;
        *con_cls = st;
        __atomic_add_fetch(&s->requests, 1, __ATOMIC_RELAXED);
        const char *length = header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (!host_allowed(s, c)) {
            st->replied = 1;
            return reply_error(s, c, 403, "the Host header does not name this server (a loopback address)");
        }
        if (!authorised(s, c, method, &st->set_cookie)) {
            st->replied = 1;
            return reply_error(s, c, 401, "a token is required: 'Authorization: Bearer <token>' or open the page "
                                          "once as /?token=<token>");
        }
        if (length && strtoull(length, NULL, 10) > s->config.max_body) {
            st->replied = 1;
            return reply_error(s, c, 413, "the body is larger than the server's limit");
        }
        return MHD_YES;
    }
    if (st->replied) {
        *upload_data_size = 0; /* a refused request's body is dropped */
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (st->too_large || st->len + n > s->config.max_body) {
            st->too_large = 1;
            free(st->body);
            st->body = NULL;
            st->len = st->cap = 0;
            return MHD_YES;
        }
        if (st->len + n + 1 > st->cap) {
            size_t cap = st->cap ? st->cap : 1024;
            while (cap < st->len + n + 1) cap *= 2;
            char *grown = realloc(st->body, cap);
            if (!grown) return MHD_NO;
            st->body = grown, st->cap = cap;
        }
        memcpy(st->body + st->len, upload_data, n);
        st->len += n;
        st->body[st->len] = '\0';
        return MHD_YES;
    }
    if (st->too_large) return reply_error(s, c, 413, "the body is larger than the server's limit");
    return dispatch(s, c, url, method, st);
}

void hexgpu_http_on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                              enum MHD_RequestTerminationCode reason) {
    (void)cls, (void)c, (void)reason;
    request_state *st = *con_cls;
    if (st) free(st->body);
    free(st);
    *con_cls = NULL;
}
