/* The pages: ours (embedded: /, /hexgpu/<file>) and, with --page DIR, another page's
 * files (DIR/index.html at /, DIR/<name> at /static/<name>: the reference system's
 * unchanged page). Names resolve inside DIR only (serve/path_confine.h). */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "serve/path_confine.h"
#include "serve/web_assets.h"
#include "server_impl.h"

#define MAX_PAGE_FILE (8 << 20)

static const char *content_type(const char *name) {
    static const struct {
        const char *suffix, *type;
    } types[] = {{".html", "text/html; charset=utf-8"},     {".js", "text/javascript; charset=utf-8"},
                 {".css", "text/css; charset=utf-8"},       {".json", "application/json"},
                 {".png", "image/png"},                     {".svg", "image/svg+xml"},
                 {".ico", "image/x-icon"},                  {".txt", "text/plain; charset=utf-8"}};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        const char *suffixes[] = {types[i].suffix, NULL};
        if (hexgpu_name_has_suffix(name, suffixes)) return types[i].type;
    }
    return NULL;
}

static int own_asset(const char *name, hexgpu_http_response *res) {
    for (size_t i = 0; i < hexgpu_web_asset_count; i++)
        if (strcmp(hexgpu_web_assets[i].name, name) == 0) {
            res->status = 200;
            res->static_body = hexgpu_web_assets[i].data;
            res->len = hexgpu_web_assets[i].size;
            res->content_type = content_type(name);
            res->cacheable = 1;
            return 1;
        }
    return 0;
}

/* DIR/name into the reply, or a 404 (a name with no known type, missing, a link, too big). */
static void page_file(hexgpu_server *s, const char *name, hexgpu_http_response *res) {
    hexgpu_error err = {0};
    const char *type = content_type(name);
    if (!type) {
        hexgpu_http_reply_error(res, 404, "no such file");
        return;
    }
    int fd = hexgpu_confined_open(s->page_fd, name, O_RDONLY, &err);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || st.st_size > MAX_PAGE_FILE) {
        if (fd >= 0) close(fd);
        hexgpu_http_reply_error(res, 404, "no such file");
        return;
    }
    char *body = malloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (body && got < (size_t)st.st_size) {
        ssize_t n = read(fd, body + got, (size_t)st.st_size - got);
        if (n <= 0) break;
        got += (size_t)n;
    }
    close(fd);
    if (!body || got != (size_t)st.st_size) {
        free(body);
        hexgpu_http_reply_error(res, 500, "cannot read %s", name);
        return;
    }
    free(res->body);
    res->body = body;
    res->len = got;
    res->status = 200;
    res->content_type = type;
    res->cacheable = 1;
}

void hexgpu_serve_index(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res) {
    (void)req;
    if (s->page_fd >= 0) page_file(s, "index.html", res);
    else own_asset("index.html", res);
}

void hexgpu_serve_static(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res) {
    if (s->page_fd < 0) {
        hexgpu_http_reply_error(res, 404, "no such file (start hexgpu serve with --page DIR to serve another page)");
        return;
    }
    page_file(s, req->tail, res);
}

void hexgpu_serve_own_asset(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res) {
    (void)s;
    const char *name = req->tail[0] ? req->tail : "index.html";
    if (!own_asset(name, res)) hexgpu_http_reply_error(res, 404, "no such file");
}
