/* The server's state, shared by its handlers (serve/ only). */
#pragma once

#include <microhttpd.h>
#include <pthread.h>
#include <stdint.h>

#include "serve/http.h"
#include "serve/model_registry.h"
#include "serve/search_gate.h"
#include "serve/server.h"

struct hexgpu_server {
    hexgpu_serve_config config; /* strings below are copies */
    char *models_dir, *default_model, *records_dir, *page_dir, *host, *token;
    int port;
    int listen_fd;
    int records_fd; /* -1 without --records */
    int page_fd;    /* -1 without --page */
    int loopback;   /* bound to a loopback address: Host headers must name loopback */
    hexgpu_model_registry *models;
    hexgpu_search_gate gate;
    pthread_mutex_t save_lock; /* appends to the saved-games file */
    uint64_t seed;              /* for the searches' noise */
    struct MHD_Daemon *daemon;
    /* Counters for the status route (atomics). */
    uint64_t requests, client_errors, server_errors, busy;
};

/* The route table (serve/routes.c). */
extern const hexgpu_route hexgpu_serve_routes[];
extern const size_t hexgpu_serve_route_count;

/* Handlers, by file. */
/* api_reference.c: the reference system's game routes */
void hexgpu_api_constants(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res);
void hexgpu_api_models(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res);
void hexgpu_api_state(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res);
void hexgpu_api_apply_move(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res);
void hexgpu_api_apply_sequence(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res);
/* api_mcts_move.c */
void hexgpu_api_mcts_move(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res);
/* api_save_game.c */
void hexgpu_api_save_game(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res);
/* api_model_browser.c; hexgpu_serve_model_files: the model files now, or -1 after a
 * 500 reply (free *list). */
int hexgpu_serve_model_files(hexgpu_server *s, hexgpu_http_response *res, hexgpu_confined_entry **list);
void hexgpu_api_browser_recent(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res);
void hexgpu_api_browser_directories(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res);
void hexgpu_api_browser_directory(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res);
void hexgpu_api_browser_search(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res);
void hexgpu_api_browser_select(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res);
void hexgpu_api_browser_validate(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res);
void hexgpu_api_browser_refresh(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res);
void hexgpu_api_cache_clear(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res);
void hexgpu_api_cache_status(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res);
/* api_hexgpu.c: our own routes */
void hexgpu_api_info(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res);
void hexgpu_api_model_list(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res);
void hexgpu_api_evaluate(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res);
void hexgpu_api_analyse(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res);
void hexgpu_api_search(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res);
void hexgpu_api_status(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res);
/* api_records.c */
void hexgpu_api_records(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res);
void hexgpu_api_record_games(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res);
void hexgpu_api_progress(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res);
/* static_files.c */
void hexgpu_serve_index(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res);
void hexgpu_serve_static(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res);
void hexgpu_serve_own_asset(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res);

/* http_daemon.c: libmicrohttpd's callbacks, which turn its calls into requests for the
 * routes above and apply the rules every request meets (Host, token, body size and
 * encoding, JSON). */
enum MHD_Result hexgpu_http_on_request(void *cls, struct MHD_Connection *connection, const char *url,
                                       const char *method, const char *version, const char *upload_data,
                                       size_t *upload_data_size, void **con_cls);
void hexgpu_http_on_completed(void *cls, struct MHD_Connection *connection, void **con_cls,
                              enum MHD_RequestTerminationCode reason);
