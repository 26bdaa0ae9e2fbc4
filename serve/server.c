/* Starting and stopping the server (see server.h): the checks of the config, the
 * listening socket, the models, the folders, then libmicrohttpd with a thread per
 * connection (a search blocks only its own client) and its bounds. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/status.h"
#include "server_impl.h"

void hexgpu_serve_config_default(hexgpu_serve_config *c) {
    memset(c, 0, sizeof *c);
    c->host = "127.0.0.1";
    c->port = 8080;
    hexgpu_engine_options_default(&c->engine);
    c->engine.cache_entries = 100000; /* searches of one game revisit positions */
    c->max_connections = 128;
    c->max_searches = 16;
    c->search_queue = 64;
    c->search_wait_ms = 30000;
    c->max_simulations = 20000;
    c->max_positions = 256;
    c->max_models = 4;
    c->max_body = 65536;
    c->connection_timeout_s = 15;
}

int hexgpu_serve_host_is_loopback(const char *host) {
    if (!host) return 0;
    if (strcmp(host, "localhost") == 0 || strcmp(host, "::1") == 0) return 1;
    struct in_addr a;
    return inet_pton(AF_INET, host, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

int hexgpu_server_port(const hexgpu_server *s) { return s->port; }
const char *hexgpu_server_default_model(const hexgpu_server *s) { return hexgpu_model_registry_default_name(s->models); }
int hexgpu_server_board_size(const hexgpu_server *s) { return hexgpu_model_registry_default_size(s->models); }

static char *copy(const char *text) { return text ? strdup(text) : NULL; }

/* A listening socket on host:port; -1 with err. */
static int listen_on(const char *host, int port, int *bound, hexgpu_error *err) {
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *found;
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    const char *name = strcmp(host, "localhost") == 0 ? "127.0.0.1" : host;
    hints.ai_flags |= AI_NUMERICHOST | AI_NUMERICSERV;
    int rc = getaddrinfo(name, service, &hints, &found);
    if (rc != 0) {
        hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "--host %s: not a numeric address (%s)", host,
                         gai_strerror(rc));
        return -1;
    }
    int fd = socket(found->ai_family, found->ai_socktype | SOCK_CLOEXEC, found->ai_protocol);
    int one = 1;
    if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, found->ai_addr, found->ai_addrlen) != 0 || listen(fd, 128) != 0) {
        int saved = errno;
        if (fd >= 0) close(fd);
        freeaddrinfo(found);
        hexgpu_error_set(err, HEXGPU_ERR_IO, "cannot listen on %s port %d: %s", host, port, strerror(saved));
        return -1;
    }
    struct sockaddr_storage addr;
    socklen_t len = sizeof addr;
    getsockname(fd, (struct sockaddr *)&addr, &len);
    *bound = ntohs(addr.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&addr)->sin6_port
                                              : ((struct sockaddr_in *)&addr)->sin_port);
    freeaddrinfo(found);
    return fd;
}

/* A folder's descriptor (made first when create); -1 with err. */
static int open_folder(const char *flag, const char *path, int create, hexgpu_error *err) {
    if (create) mkdir(path, 0755);
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "%s %s: %s", flag, path, strerror(errno));
    return fd;
}

static hexgpu_status check_config(const hexgpu_serve_config *c, hexgpu_error *err) {
    if (!c->models_dir) return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "--models DIR is required");
    if (!hexgpu_serve_host_is_loopback(c->host) && (!c->token || !c->token[0]))
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT,
                                "--host %s is not a loopback address: a --token (or --token-file) is required "
                                "to serve other machines",
                                c->host);
    if (c->token && c->token[0] && strlen(c->token) < 16)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "the token must have at least 16 characters");
    for (const char *p = c->token; p && *p; p++)
        if (*p <= ' ' || *p > '~' || *p == ';' || *p == ',')
            return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT,
                                    "the token may hold printable ASCII other than space, ';' and ',' only");
    if (c->port < 0 || c->port > 65535)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "--port must be in 0..65535");
    return HEXGPU_OK;
}

hexgpu_status hexgpu_server_start(const hexgpu_serve_config *config, hexgpu_server **out, hexgpu_error *err) {
    *out = NULL;
    hexgpu_status st = check_config(config, err);
    if (st != HEXGPU_OK) return st;
    hexgpu_server *s = calloc(1, sizeof *s);
    if (!s) return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "out of memory");
    s->config = *config;
    s->models_dir = copy(config->models_dir), s->default_model = copy(config->default_model);
    s->records_dir = copy(config->records_dir), s->page_dir = copy(config->page_dir);
    s->host = copy(config->host), s->token = copy(config->token);
    s->listen_fd = s->records_fd = s->page_fd = -1;
    s->loopback = hexgpu_serve_host_is_loopback(config->host);
    s->seed = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid();
    pthread_mutex_init(&s->save_lock, NULL);
    hexgpu_search_gate_init(&s->gate, config->max_searches, config->search_queue);
    if (config->records_dir) s->records_fd = open_folder("--records", config->records_dir, 1, err);
    if (config->page_dir && (!config->records_dir || s->records_fd >= 0))
        s->page_fd = open_folder("--page", config->page_dir, 0, err);
    if ((config->records_dir && s->records_fd < 0) || (config->page_dir && s->page_fd < 0)) st = err->status;
    if (st == HEXGPU_OK)
        st = hexgpu_model_registry_open(config->models_dir, config->default_model, &config->engine,
                                        config->max_models, &s->models, err);
    if (st == HEXGPU_OK) {
        s->listen_fd = listen_on(config->host, config->port, &s->port, err);
        if (s->listen_fd < 0) st = err->status;
    }
    if (st == HEXGPU_OK) {
        unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;
        s->daemon = MHD_start_daemon(
            flags, 0, NULL, NULL, hexgpu_http_on_request, s, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)s->listen_fd,
            MHD_OPTION_CONNECTION_LIMIT, (unsigned)config->max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
            (unsigned)config->connection_timeout_s, MHD_OPTION_NOTIFY_COMPLETED, hexgpu_http_on_completed, s,
            MHD_OPTION_END);
        if (!s->daemon) st = hexgpu_error_set(err, HEXGPU_ERR_IO, "the HTTP server could not start");
        else s->listen_fd = -1; /* the daemon's now, closed by MHD_stop_daemon */
    }
    if (st != HEXGPU_OK) {
        hexgpu_server_stop(s);
        return st;
    }
    *out = s;
    return HEXGPU_OK;
}

void hexgpu_server_stop(hexgpu_server *s) {
    if (!s) return;
    if (s->daemon) MHD_stop_daemon(s->daemon);
    if (s->listen_fd >= 0) close(s->listen_fd);
    hexgpu_model_registry_close(s->models);
    if (s->records_fd >= 0) close(s->records_fd);
    if (s->page_fd >= 0) close(s->page_fd);
    hexgpu_search_gate_destroy(&s->gate);
    pthread_mutex_destroy(&s->save_lock);
    free(s->models_dir), free(s->default_model), free(s->records_dir), free(s->page_dir), free(s->host);
    free(s->token);
    free(s);
}
