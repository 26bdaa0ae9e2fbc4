/* hexgpu serve: the web server over a folder of models (serve/server.h; docs/serve.md).
 * This file only reads the flags, starts the server, prints where it listens and waits
 * for SIGINT or SIGTERM. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/play_options.h"
#include "serve/server.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: hexgpu serve [--models DIR] [options]\n\n"
            "Serves a web page to play Hex against the models in DIR, analyse positions (policy heat map,\n"
            "value, the search's top moves), watch engines play, browse records and follow a self-play\n"
            "run; the reference system's web API, so its own page works against it; and an inference\n"
            "endpoint (POST /api/hexgpu/evaluate). See docs/serve.md.\n\n"
            "options:\n"
            "  --models DIR            the models offered (.safetensors, .pt, .pt.gz under DIR; default: the\n"
            "                          shipped networks, models/ beside the build or the install)\n"
            "  --model NAME            the default model (model1): a name under DIR (default: the shipped\n"
            "                          network without --models, else the first listed)\n"
            "  --records DIR           records viewer, self-play dashboard and saved games (written only here)\n"
            "  --page DIR              serve DIR/index.html at / and DIR/<file> at /static/<file> (the\n"
            "                          reference system's page); ours stays at /hexgpu/\n"
            "  --host ADDR             numeric address to listen on (127.0.0.1); not loopback needs --token\n"
            "  --port N                port (8080; 0: any free port, printed)\n"
            "  --token T               clients must send it (Authorization: Bearer T, or open /?token=T once)\n"
            "  --token-file F          the token from the first line of F\n"
            "  --backend cpu|cuda|auto, --device D, --precision fp16|fp32|auto, --threads N (CPU threads)\n"
            "  --cache N               each engine's result cache in positions (100000)\n"
            "  --max-sims N            simulations per engine move at most (20000)\n"
            "  --max-searches N        engine searches at once (16); --search-queue N more wait (64), then 503\n"
            "  --max-positions N       positions per inference request (256)\n"
            "  --max-connections N     connections at once (128)\n"
            "  --max-models N          models loaded at once (4)\n"
            "  --timeout S             a connection idle this long is closed (15)\n"
            "Exit codes: 0 after SIGINT/SIGTERM, 2 bad flags or no usable model, 1 other failures.\n");
}

static int read_token_file(const char *path, char *token, size_t cap) {
    FILE *f = fopen(path, "r");
    if (!f) return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "--token-file %s: %s", path, strerror(errno));
    if (!fgets(token, (int)cap, f)) token[0] = '\0';
    fclose(f);
    token[strcspn(token, "\r\n")] = '\0';
    if (!token[0]) return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "--token-file %s: the first line is empty", path);
    return HEXGPU_EXIT_OK;
}

static int parse_args(int argc, char **argv, hexgpu_serve_config *c, char *token, size_t cap) {
    hexgpu_serve_config_default(c);
    hexgpu_cli_engine_options_default(&c->engine);
    c->engine.cache_entries = 100000;
    int rc = HEXGPU_EXIT_OK;
    for (int i = 1; i < argc && rc == HEXGPU_EXIT_OK; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "%s needs a value (try 'hexgpu serve --help')", o);
        int cache = 0;
        i++;
        if (strcmp(o, "--models") == 0) c->models_dir = v;
        else if (strcmp(o, "--model") == 0) c->default_model = v;
        else if (strcmp(o, "--records") == 0) c->records_dir = v;
        else if (strcmp(o, "--page") == 0) c->page_dir = v;
        else if (strcmp(o, "--host") == 0) c->host = v;
        else if (strcmp(o, "--port") == 0) rc = hexgpu_cli_option_int(o, v, 0, 65535, &c->port);
        else if (strcmp(o, "--token") == 0) c->token = v;
        else if (strcmp(o, "--token-file") == 0) rc = read_token_file(v, token, cap), c->token = token;
        else if (strcmp(o, "--backend") == 0) rc = hexgpu_cli_option_backend(v, &c->engine.backend);
        else if (strcmp(o, "--precision") == 0) rc = hexgpu_cli_option_precision(v, &c->engine.precision);
        else if (strcmp(o, "--device") == 0) rc = hexgpu_cli_option_devices(v, &c->engine);
        else if (strcmp(o, "--threads") == 0) rc = hexgpu_cli_option_int(o, v, 0, 1024, &c->engine.cpu_threads);
        else if (strcmp(o, "--cache") == 0) rc = hexgpu_cli_option_int(o, v, 0, INT_MAX, &cache),
                                             c->engine.cache_entries = (size_t)cache;
        else if (strcmp(o, "--max-sims") == 0) rc = hexgpu_cli_option_int(o, v, 1, 1000000, &c->max_simulations);
        else if (strcmp(o, "--max-searches") == 0) rc = hexgpu_cli_option_int(o, v, 1, 1024, &c->max_searches);
        else if (strcmp(o, "--search-queue") == 0) rc = hexgpu_cli_option_int(o, v, 0, 100000, &c->search_queue);
        else if (strcmp(o, "--max-positions") == 0) rc = hexgpu_cli_option_int(o, v, 1, 4096, &c->max_positions);
        else if (strcmp(o, "--max-connections") == 0)
            rc = hexgpu_cli_option_int(o, v, 1, 4096, &c->max_connections);
        else if (strcmp(o, "--max-models") == 0) rc = hexgpu_cli_option_int(o, v, 1, 64, &c->max_models);
        else if (strcmp(o, "--timeout") == 0) rc = hexgpu_cli_option_int(o, v, 1, 3600, &c->connection_timeout_s);
        else rc = hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "unknown option '%s' (try 'hexgpu serve --help')", o);
    }
    /* Without --models: the shipped networks' folder, the strongest of them by default. */
    static char shipped_dir[4096], shipped_name[256];
    if (rc == HEXGPU_EXIT_OK && !c->models_dir) {
        if (!hexgpu_cli_shipped_models(shipped_dir, sizeof shipped_dir, shipped_name, sizeof shipped_name))
            rc = hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "no --models DIR given and no shipped networks found (models/ "
                                                    "beside the build or the install)");
        c->models_dir = shipped_dir;
        if (!c->default_model) c->default_model = shipped_name;
    }
    return rc;
}

int hexgpu_cmd_serve(int argc, char **argv) {
    if (hexgpu_cli_wants_help(argc, argv)) {
        usage(stdout);
        return HEXGPU_EXIT_OK;
    }
    hexgpu_serve_config config;
    char token[512];
    int rc = parse_args(argc, argv, &config, token, sizeof token);
    if (rc != HEXGPU_EXIT_OK) return rc;
    /* SIGINT and SIGTERM are blocked in every thread (the server's inherit the mask) and
     * taken here by sigwait: no handler runs inside a request. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    hexgpu_server *server = NULL;
    hexgpu_error err = {0};
    hexgpu_status st = hexgpu_server_start(&config, &server, &err);
    if (st != HEXGPU_OK) return hexgpu_cli_fail_status(st, &err);
    const char *host = config.host;
    int v6 = strchr(host, ':') != NULL;
    printf("serving http://%s%s%s:%d/ (model %s, %dx%d)\n", v6 ? "[" : "", host, v6 ? "]" : "",
           hexgpu_server_port(server), hexgpu_server_default_model(server), hexgpu_server_board_size(server),
           hexgpu_server_board_size(server));
    fflush(stdout);
    int sig = 0;
    sigwait(&stop, &sig);
    fprintf(stderr, "hexgpu serve: %s, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    hexgpu_server_stop(server);
    return HEXGPU_EXIT_OK;
}
