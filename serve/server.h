/* `hexgpu serve`: an HTTP server (libmicrohttpd, a thread per connection) over the models
 * in one folder: the reference system's web API (docs/serve.md), hexgpu's own API and
 * page, the records viewer and the self-play dashboard. The command (cli/cmd_serve.c)
 * only parses flags, starts it and waits for a signal. */
#pragma once

#include <stddef.h>

#include "hexgpu.h"

typedef struct hexgpu_server hexgpu_server;

typedef struct hexgpu_serve_config {
    const char *models_dir;    /* required: the models offered, by name under this folder */
    const char *default_model; /* a name under models_dir, or NULL: the first listed */
    const char *records_dir;   /* NULL: no records viewer, dashboard or saved games */
    const char *page_dir;      /* NULL: our page at /. Else a folder holding index.html (at /) and the
                                  files it loads (at /static/<name>): the reference's page */
    const char *host;          /* "127.0.0.1"; a numeric IPv4 or IPv6 address, or "localhost" */
    int port;                  /* 8080; 0: any free port (hexgpu_server_port says which) */
    const char *token;         /* NULL or "": none. Required for a host that is not loopback */
    hexgpu_engine_options engine;
    int max_connections;       /* 128 */
    int max_searches;          /* engine searches at once: 16 (their leaves batch together) */
    int search_queue;          /* searches waiting for one of those, then 503: 64 */
    int search_wait_ms;        /* longest wait in that line: 30000 */
    int max_simulations;       /* per engine move: 20000 */
    int max_positions;         /* per inference request: 256 */
    int max_models;            /* engines open at once: 4 */
    size_t max_body;           /* request body bytes: 65536 */
    int connection_timeout_s;  /* idle connection closed after: 15 */
} hexgpu_serve_config;

void hexgpu_serve_config_default(hexgpu_serve_config *config);

/* Checks the config, opens the default model, binds host:port and starts serving. The
 * strings of config are copied. Fails (nothing left running) with err: a non-loopback
 * host without a token, a missing folder, no model, an address in use. */
hexgpu_status hexgpu_server_start(const hexgpu_serve_config *config, hexgpu_server **server, hexgpu_error *err);
/* The port bound (the one chosen when config.port was 0). */
int hexgpu_server_port(const hexgpu_server *server);
/* The default model's name and board size (for the start-up line). */
const char *hexgpu_server_default_model(const hexgpu_server *server);
int hexgpu_server_board_size(const hexgpu_server *server);
/* Stops accepting, waits for the requests in progress, closes the engines. NULL: no-op. */
void hexgpu_server_stop(hexgpu_server *server);

/* 1 when host is a loopback address (127.0.0.0/8, ::1) or "localhost". */
int hexgpu_serve_host_is_loopback(const char *host);
