/* Search and engine options of the playing commands (htp, match). */
#include "cli/play_options.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

/* Splits "A,B" (count 2) or "X" into texts[0..count); 0 when v has the wrong shape. */
static int split_values(const char *v, int count, char texts[2][64]) {
    const char *comma = strchr(v, ',');
    if (!comma || count == 1) {
        if (comma || strlen(v) >= 64) return 0;
        for (int i = 0; i < count; i++) snprintf(texts[i], 64, "%s", v);
        return 1;
    }
    size_t a = (size_t)(comma - v);
    if (a >= 64 || strlen(comma + 1) >= 64 || strchr(comma + 1, ',')) return 0;
    memcpy(texts[0], v, a);
    texts[0][a] = '\0';
    snprintf(texts[1], 64, "%s", comma + 1);
    return 1;
}

static int parse_number(const char *text, double lo, double hi, double *out) {
    char *end;
    errno = 0;
    double x = strtod(text, &end);
    if (errno || end == text || *end || !(x >= lo) || x > hi) return 0;
    *out = x;
    return 1;
}

int hexgpu_cli_search_option(const char *o, const char *v, int accept, hexgpu_cli_player *players, int count, int *rc) {
    enum { SIMS, C_PUCT, T0, T1, MOVE_TIME } which;
    if (strcmp(o, "--sims") == 0 || strcmp(o, "--mcts_sims") == 0) which = SIMS;
    else if (strcmp(o, "--c-puct") == 0 || strcmp(o, "--c_puct") == 0) which = C_PUCT;
    else if (strcmp(o, "--move-time") == 0) which = MOVE_TIME;
    else if ((accept & HEXGPU_CLI_TEMPERATURE) && strcmp(o, "--temperature") == 0) which = T0;
    else if ((accept & HEXGPU_CLI_TEMPERATURE) && strcmp(o, "--temperature_end") == 0) which = T1;
    else return 0;
    char texts[2][64];
    const char *shape = count == 2 ? " (one value, or A,B for the two players)" : "";
    if (!split_values(v, count, texts)) {
        *rc = hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "%s: bad value '%s'%s", o, v, shape);
        return 1;
    }
    for (int i = 0; i < count; i++) {
        hexgpu_cli_player *p = &players[i];
        double x;
        int sims;
        if (which == SIMS) {
            if (!hexgpu_cli_parse_int(texts[i], 1, 10000000, &sims)) {
                *rc = hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "%s needs an integer in 1..10000000, got '%s'%s", o, v, shape);
                return 1;
            }
            p->mcts.simulations = sims, p->sims_given = 1;
            continue;
        }
        if (!parse_number(texts[i], 0.0, which == MOVE_TIME ? 1e6 : 1e3, &x)) {
            *rc = hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "%s needs a number >= 0, got '%s'%s", o, v, shape);
            return 1;
        }
        if (which == C_PUCT) p->mcts.c_puct = (float)x;
        else if (which == T0) p->mcts.temperature = (float)x;
        else if (which == T1) p->mcts.temperature_end = (float)x;
        else p->move_seconds = x;
    }
    *rc = HEXGPU_EXIT_OK;
    return 1;
}

int hexgpu_cli_engine_option(const char *o, const char *v, hexgpu_engine_options *options, int *rc) {
    int n;
    if (strcmp(o, "--backend") == 0) *rc = hexgpu_cli_option_backend(v, &options->backend);
    else if (strcmp(o, "--precision") == 0) *rc = hexgpu_cli_option_precision(v, &options->precision);
    else if (strcmp(o, "--device") == 0) *rc = hexgpu_cli_option_devices(v, options);
    else if (strcmp(o, "--batch_size") == 0) *rc = hexgpu_cli_option_int(o, v, 1, INT_MAX, &options->max_batch);
    else if (strcmp(o, "--cache_size") == 0) {
        if ((*rc = hexgpu_cli_option_int(o, v, 0, INT_MAX, &n)) == HEXGPU_EXIT_OK) options->cache_entries = (size_t)n;
    } else return 0;
    return 1;
}

int hexgpu_cli_open_engine(const char *model, const hexgpu_engine_options *options, hexgpu_engine **engine) {
    hexgpu_error err = {0};
    hexgpu_status st = hexgpu_engine_open(model, options, engine, &err);
    if (st != HEXGPU_OK) return hexgpu_cli_fail_status(st, &err);
    fprintf(stderr, "%s: %s\n", model, hexgpu_engine_backend_choice(*engine));
    return HEXGPU_EXIT_OK;
}

void hexgpu_cli_player_describe(const hexgpu_cli_player *pl, const char *model, char *out, size_t cap) {
    int n = snprintf(out, cap, "%s: %d simulation%s, %s, c_puct %g, temperature %g -> %g", model, pl->mcts.simulations,
                     pl->mcts.simulations == 1 ? "" : "s", hexgpu_mcts_uses_gumbel(&pl->mcts) ? "Gumbel" : "PUCT",
                     pl->mcts.c_puct, pl->mcts.temperature, pl->mcts.temperature_end);
    if (pl->move_seconds > 0.0 && n > 0 && (size_t)n < cap)
        snprintf(out + n, cap - (size_t)n, ", at most %g s a move", pl->move_seconds);
}

/* The folder above the running executable's (from /proc/self/exe: the repository for
 * build/hexgpu, the prefix for <prefix>/bin/hexgpu), or "" when unknown. */
static void executable_parent(char *out, size_t cap) {
    ssize_t n = readlink("/proc/self/exe", out, cap - 1);
    out[n > 0 ? n : 0] = '\0';
    for (int up = 0; up < 2; up++) {
        char *slash = strrchr(out, '/');
        if (slash) *slash = '\0';
        else out[0] = '\0';
    }
}

int hexgpu_cli_shipped_models(char *dir, size_t dir_cap, char *name, size_t name_cap) {
    char root[4096], path[8192];
    executable_parent(root, sizeof root);
    static const char *const places[] = {"/models", "/share/hexgpu/models"};
    static const char *const names[] = HEXGPU_SHIPPED_MODELS;
    for (size_t i = 0; root[0] && i < sizeof places / sizeof places[0]; i++)
        for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
            snprintf(path, sizeof path, "%s%s/%s", root, places[i], names[k]);
            if (access(path, R_OK) == 0 && snprintf(dir, dir_cap, "%s%s", root, places[i]) < (int)dir_cap &&
                snprintf(name, name_cap, "%s", names[k]) < (int)name_cap)
                return 1;
        }
    return 0;
}

int hexgpu_cli_default_model(char *out, size_t cap) {
    const char *env = getenv("HEXGPU_DEFAULT_MODEL");
    if (env && *env) {
        if (access(env, R_OK) == 0 && snprintf(out, cap, "%s", env) < (int)cap) return 1;
        hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "no --model given and $HEXGPU_DEFAULT_MODEL '%s' is not a readable file", env);
        return 0;
    }
    char dir[4096], name[256];
    if (hexgpu_cli_shipped_models(dir, sizeof dir, name, sizeof name) &&
        snprintf(out, cap, "%s/%s", dir, name) < (int)cap)
        return 1;
    char root[4096];
    executable_parent(root, sizeof root);
    hexgpu_cli_fail(HEXGPU_EXIT_USAGE,
                    "no --model given and no shipped network (%s or loop-7x7.safetensors) in %s/models/ or "
                    "%s/share/hexgpu/models/ (give --model or set $HEXGPU_DEFAULT_MODEL)",
                    HEXGPU_DEFAULT_MODEL_NAME, root, root);
    return 0;
}
