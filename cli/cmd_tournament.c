/* hexgpu tournament: a round robin of N players (checkpoints, or one checkpoint with
 * several search settings) with the reference script's flags (scripts/run_tournament.py)
 * beside hexgpu's own spellings; pie-rule openings played from both sides, many games in
 * flight, one engine per distinct model; Bradley-Terry ratings with 95% intervals, the
 * games as TRMPH and CSV. */
#define _DEFAULT_SOURCE /* realpath: the same checkpoint by two paths shares one engine */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/interrupt.h"
#include "cli/argparse.h"
#include "base/file_write.h"
#include "cli/cli.h"
#include "cli/signals.h"
#include "cli/play_options.h"
#include "cli/tournament_files.h"
#include "cli/tournament_report.h"
#include "hexgpu.h"
#include "play/ratings.h"
#include "play/tournament.h"

#define MAX_ENTRANTS 64

static void usage(FILE *out) {
    fprintf(out,
            "usage: hexgpu tournament --checkpoints A,B,... [--checkpoint_dirs DIR] [options]\n"
            "       hexgpu tournament --model A --model B ... [options]\n"
            "       hexgpu tournament --model A --mcts-sims 800,200,50 [options]\n\n"
            "A round robin: every pair of players plays --num-games rounds, a round being two games from\n"
            "one opening (round r: cell r of self-play's pie-rule cycle, played for Blue), each player Blue\n"
            "in one. Prints each player's rating (Bradley-Terry maximum likelihood over all games, relative\n"
            "to --anchor, with a 95%% interval), games and score, and the head-to-head counts; writes the\n"
            "games to <output_dir>/tournament.trmph and tournament.csv. Options are read as Python's\n"
            "argparse reads them (--name=value, unambiguous prefixes). Lists (L) take one value for every\n"
            "player or one per player, in order.\n\n"
            "players:\n"
            "  --checkpoints L         checkpoint files (.pt.gz, .pt, .safetensors), at least two unless a\n"
            "                          search list names several players\n"
            "  --checkpoint_dirs L     one folder for all, or one per checkpoint (--checkpoint-dirs too)\n"
            "  --model PATH            a checkpoint; repeat it for more (instead of --checkpoints)\n"
            "  --names L               the players' names (default: the file name; a repeat gets\n"
            "                          Player<k>_<name>)\n"
            "  --num-games N           rounds per pair, 2 games each (50) (--num_games, --rounds)\n"
            "  --mcts-sims L           simulations per move (200) (--mcts_sims, --sims)\n"
            "  --mcts-c-puct L         PUCT constant (1.5) (--c-puct, --c_puct)\n"
            "  --temperature L         T0 of self-play's schedule T0 -> T1 over 50 moves (0.5; 0 = best move)\n"
            "  --temperature_end L     T1 (0.01)\n"
            "  --move-time L           seconds per move at most (0 = simulations only)\n"
            "  --enable-gumbel         Gumbel root selection when sims <= 750 (the default)\n"
            "  --disable-gumbel        PUCT at the root for every player\n"
            "  --strategy mcts         the only strategy: every player searches (policy and fixed_tree: no)\n"
            "  --no-pie-rule           games start from the empty board instead of pie-rule cells\n"
            "tournament:\n"
            "  --anchor NAME           the player rated 0 (the first)\n"
            "  --seed N                the same seed gives the same games (default: the clock, printed)\n"
            "  --games-in-flight N     games played at once (16)\n"
            "  --leaves-per-game N     leaves a search evaluates together, 1..1024 (4)\n"
            "  --output_dir DIR        where the files go, created if missing (default:\n"
            "                          data/tournament_play/tournament_<N>games_<M>models_<yymmdd_HHMMSS>)\n"
            "  --json                  the result as one JSON object\n"
            "  --verbose [0|1|2]       0: quiet; 1: a progress line per round's worth of games (default);\n"
            "                          2: also one line per game\n"
            "  --backend cpu|cuda|auto, --device N|N,M|all, --precision fp16|fp32|auto, --batch_size N,\n"
            "  --cache_size N          engine options, one engine per distinct checkpoint (cache 60000)\n"
            "SIGINT/SIGTERM stop the tournament: the games finished so far are rated, printed and written\n"
            "(exit 1). Exit codes: 0 ok, 1 I/O or device failure (the results are printed when the files\n"
            "cannot be written) or interrupted, 2 bad usage or a bad checkpoint.\n");
}

enum {
    OPT_CHECKPOINTS, OPT_DIRS, OPT_MODEL, OPT_NAMES, OPT_ROUNDS, OPT_SIMS, OPT_C_PUCT, OPT_T0, OPT_T1, OPT_MOVE_TIME,
    OPT_ENABLE_GUMBEL, OPT_DISABLE_GUMBEL, OPT_STRATEGY, OPT_NO_PIE, OPT_ANCHOR, OPT_SEED, OPT_IN_FLIGHT, OPT_LEAVES,
    OPT_OUTPUT_DIR, OPT_JSON, OPT_VERBOSE, OPT_BACKEND, OPT_DEVICE, OPT_PRECISION, OPT_BATCH, OPT_CACHE,
    OPT_GUMBEL_THRESHOLD, OPT_GUMBEL_C_VISIT, OPT_GUMBEL_C_SCALE, OPT_GUMBEL_M, OPT_WIDTHS
};

/* The reference's spellings first; hexgpu's are aliases (extension 1: they never make a
 * prefix of the reference's flags ambiguous, cli/argparse.h). */
static const hexgpu_cli_arg OPTIONS[] = {
    {"--checkpoints", HEXGPU_CLI_ARG_VALUE, OPT_CHECKPOINTS, 0},
    {"--checkpoint_dirs", HEXGPU_CLI_ARG_VALUE, OPT_DIRS, 0},
    {"--checkpoint-dirs", HEXGPU_CLI_ARG_VALUE, OPT_DIRS, 1},
    {"--model", HEXGPU_CLI_ARG_VALUE, OPT_MODEL, 1},
    {"--names", HEXGPU_CLI_ARG_VALUE, OPT_NAMES, 1},
    {"--num-games", HEXGPU_CLI_ARG_VALUE, OPT_ROUNDS, 0},
    {"--num_games", HEXGPU_CLI_ARG_VALUE, OPT_ROUNDS, 1},
    {"--rounds", HEXGPU_CLI_ARG_VALUE, OPT_ROUNDS, 1},
    {"--mcts-sims", HEXGPU_CLI_ARG_VALUE, OPT_SIMS, 0},
    {"--mcts_sims", HEXGPU_CLI_ARG_VALUE, OPT_SIMS, 1},
    {"--sims", HEXGPU_CLI_ARG_VALUE, OPT_SIMS, 1},
    {"--mcts-c-puct", HEXGPU_CLI_ARG_VALUE, OPT_C_PUCT, 0},
    {"--c-puct", HEXGPU_CLI_ARG_VALUE, OPT_C_PUCT, 1},
    {"--c_puct", HEXGPU_CLI_ARG_VALUE, OPT_C_PUCT, 1},
    {"--temperature", HEXGPU_CLI_ARG_VALUE, OPT_T0, 0},
    {"--temperature_end", HEXGPU_CLI_ARG_VALUE, OPT_T1, 1},
    {"--temperature-end", HEXGPU_CLI_ARG_VALUE, OPT_T1, 1},
    {"--move-time", HEXGPU_CLI_ARG_VALUE, OPT_MOVE_TIME, 1},
    {"--enable-gumbel", HEXGPU_CLI_ARG_FLAG, OPT_ENABLE_GUMBEL, 0},
    {"--disable-gumbel", HEXGPU_CLI_ARG_FLAG, OPT_DISABLE_GUMBEL, 1},
    {"--strategy", HEXGPU_CLI_ARG_VALUE, OPT_STRATEGY, 0},
    {"--no-pie-rule", HEXGPU_CLI_ARG_FLAG, OPT_NO_PIE, 0},
    {"--anchor", HEXGPU_CLI_ARG_VALUE, OPT_ANCHOR, 1},
    {"--seed", HEXGPU_CLI_ARG_VALUE, OPT_SEED, 0},
    {"--games-in-flight", HEXGPU_CLI_ARG_VALUE, OPT_IN_FLIGHT, 1},
    {"--games_in_flight", HEXGPU_CLI_ARG_VALUE, OPT_IN_FLIGHT, 1},
    {"--leaves-per-game", HEXGPU_CLI_ARG_VALUE, OPT_LEAVES, 1},
    {"--leaves_per_game", HEXGPU_CLI_ARG_VALUE, OPT_LEAVES, 1},
    {"--output_dir", HEXGPU_CLI_ARG_VALUE, OPT_OUTPUT_DIR, 1},
    {"--output-dir", HEXGPU_CLI_ARG_VALUE, OPT_OUTPUT_DIR, 1},
    {"--json", HEXGPU_CLI_ARG_FLAG, OPT_JSON, 1},
    {"--verbose", HEXGPU_CLI_ARG_OPTIONAL, OPT_VERBOSE, 0},
    {"--backend", HEXGPU_CLI_ARG_VALUE, OPT_BACKEND, 1},
    {"--device", HEXGPU_CLI_ARG_VALUE, OPT_DEVICE, 1},
    {"--precision", HEXGPU_CLI_ARG_VALUE, OPT_PRECISION, 1},
    {"--batch_size", HEXGPU_CLI_ARG_VALUE, OPT_BATCH, 1},
    {"--cache_size", HEXGPU_CLI_ARG_VALUE, OPT_CACHE, 1},
    /* The reference's settings of searches hexgpu does not have: refused, never ignored. */
    {"--gumbel-sim-threshold", HEXGPU_CLI_ARG_VALUE, OPT_GUMBEL_THRESHOLD, 0},
    {"--gumbel-c-visit", HEXGPU_CLI_ARG_VALUE, OPT_GUMBEL_C_VISIT, 0},
    {"--gumbel-c-scale", HEXGPU_CLI_ARG_VALUE, OPT_GUMBEL_C_SCALE, 0},
    {"--gumbel-m-candidates", HEXGPU_CLI_ARG_VALUE, OPT_GUMBEL_M, 0},
    {"--search-widths", HEXGPU_CLI_ARG_VALUE, OPT_WIDTHS, 0},
};

/* A comma list as given: its items (at most MAX_ENTRANTS). */
typedef struct list {
    int count;
    char *items[MAX_ENTRANTS];
    char *text; /* owned copy the items point into */
} list;

typedef struct tournament_args {
    hexgpu_engine_options options;
    hexgpu_tournament_config config;
    list checkpoints, dirs, names, sims, c_puct, t0, t1, move_time;
    const char *models[MAX_ENTRANTS];
    int model_count, gumbel, json, verbose, seed_given;
    const char *anchor, *output_dir;
    char default_dir[256];
    /* What the run is made of, once parsed: */
    int count; /* players */
    char paths[MAX_ENTRANTS][4096];
    hexgpu_tournament_entrant entrants[MAX_ENTRANTS];
} tournament_args;

static void list_free(list *l) {
    free(l->text);
    memset(l, 0, sizeof *l);
}

/* "a,b,c" into l (a repeated option replaces the list). Empty items are refused. */
static int list_parse(const char *o, const char *v, list *l) {
    list_free(l);
    l->text = strdup(v);
    if (!l->text) return hexgpu_cli_fail(HEXGPU_EXIT_FAILURE, "out of memory");
    for (char *p = l->text;;) {
        char *comma = strchr(p, ',');
        if (comma) *comma = '\0';
        if (!*p || l->count == MAX_ENTRANTS)
            return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "%s needs a comma-separated list of at most %d non-empty "
                                                      "values, got '%s'", o, MAX_ENTRANTS, v);
        l->items[l->count++] = p;
        if (!comma) return HEXGPU_EXIT_OK;
        p = comma + 1;
    }
}

/* The option a list was given for, as the table spells it. */
static const char *option_name(int id) {
    for (size_t k = 0; k < sizeof OPTIONS / sizeof OPTIONS[0]; k++)
        if (OPTIONS[k].id == id) return OPTIONS[k].name;
    return "?";
}

static int parse_args(int argc, char **argv, tournament_args *a) {
    int rc = HEXGPU_EXIT_OK;
    const int count = (int)(sizeof OPTIONS / sizeof OPTIONS[0]);
    for (int i = 1; i < argc && rc == HEXGPU_EXIT_OK;) {
        const char *v;
        int id = hexgpu_cli_arg_next(OPTIONS, count, "tournament", argc, argv, &i, &v), n;
        const char *o = option_name(id);
        long long ll;
        switch (id) {
        case -1: return HEXGPU_EXIT_USAGE;
        case OPT_CHECKPOINTS: rc = list_parse(o, v, &a->checkpoints); break;
        case OPT_DIRS: rc = list_parse(o, v, &a->dirs); break;
        case OPT_NAMES: rc = list_parse(o, v, &a->names); break;
        case OPT_SIMS: rc = list_parse(o, v, &a->sims); break;
        case OPT_C_PUCT: rc = list_parse(o, v, &a->c_puct); break;
        case OPT_T0: rc = list_parse(o, v, &a->t0); break;
        case OPT_T1: rc = list_parse(o, v, &a->t1); break;
        case OPT_MOVE_TIME: rc = list_parse(o, v, &a->move_time); break;
        case OPT_MODEL:
            if (a->model_count == MAX_ENTRANTS)
                rc = hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "at most %d players", MAX_ENTRANTS);
            else a->models[a->model_count++] = v;
            break;
        case OPT_ROUNDS:
            if ((rc = hexgpu_cli_option_int64(o, v, 1, 1000000, &ll)) == HEXGPU_EXIT_OK) a->config.rounds = ll;
            break;
        case OPT_ENABLE_GUMBEL: a->gumbel = 1; break;
        case OPT_DISABLE_GUMBEL: a->gumbel = 0; break;
        case OPT_STRATEGY:
            if (strcmp(v, "mcts") != 0)
                rc = hexgpu_cli_fail(HEXGPU_EXIT_USAGE,
                                     "--strategy %s is not supported: hexgpu's players search (--strategy mcts); for "
                                     "a policy-like player use --mcts-sims 1",
                                     v);
            break;
        case OPT_NO_PIE: a->config.pie_openings = 0; break;
        case OPT_ANCHOR: a->anchor = v; break;
        case OPT_SEED:
            if ((rc = hexgpu_cli_option_int64(o, v, 0, LLONG_MAX, &ll)) == HEXGPU_EXIT_OK) a->config.seed = (uint64_t)ll;
            a->seed_given = 1;
            break;
        case OPT_IN_FLIGHT: rc = hexgpu_cli_option_int(o, v, 1, 65536, &a->config.games_in_flight); break;
        case OPT_LEAVES: rc = hexgpu_cli_option_int(o, v, 1, 1024, &a->config.leaves_per_game); break;
        case OPT_OUTPUT_DIR: a->output_dir = v; break;
        case OPT_JSON: a->json = 1; break;
        case OPT_VERBOSE:
            if (!v) a->verbose = 2;
            else if ((rc = hexgpu_cli_option_int(o, v, 0, 2, &n)) == HEXGPU_EXIT_OK) a->verbose = n;
            break;
        case OPT_BACKEND:
        case OPT_DEVICE:
        case OPT_PRECISION:
        case OPT_BATCH:
        case OPT_CACHE: hexgpu_cli_engine_option(o, v, &a->options, &rc); break;
        case OPT_GUMBEL_THRESHOLD:
        case OPT_GUMBEL_C_VISIT:
        case OPT_GUMBEL_C_SCALE:
        case OPT_GUMBEL_M:
        case OPT_WIDTHS:
            rc = hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "%s is not supported: hexgpu's Gumbel search has fixed settings "
                                                    "(Gumbel when sims <= 750) and there is no fixed_tree strategy",
                                 o);
            break;
        }
    }
    return rc;
}

/* The k-th value of a list of one value or one per player. */
static const char *item(const list *l, int k) { return l->count == 1 ? l->items[0] : l->items[k]; }

/* Checks that every list has 1 or `players` values. */
static int check_list(const list *l, int id, int players) {
    if (l->count <= 1 || l->count == players) return HEXGPU_EXIT_OK;
    return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "%s has %d values for %d players: give one, or one per player",
                           option_name(id), l->count, players);
}

/* A player's name: the file name of a path (or the name as given), with control
 * characters as '?' so that no name can break a line of the files. */
static void player_name(const char *text, int file_name, char *out, size_t cap) {
    const char *slash = file_name ? strrchr(text, '/') : NULL;
    snprintf(out, cap, "%s", slash && slash[1] ? slash + 1 : text);
    for (char *c = out; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f) *c = '?';
}

/* The players: paths, labels, search settings; the anchor. */
static int resolve_players(tournament_args *a, int *anchor) {
    int checkpoints = a->checkpoints.count, models = checkpoints ? checkpoints : a->model_count;
    if (checkpoints && a->model_count)
        return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "give the players with --checkpoints or with --model, not both");
    if (models == 0)
        return hexgpu_cli_fail(HEXGPU_EXIT_USAGE,
                               "a tournament needs players: --checkpoints A,B,... or --model A --model B ...");
    if (a->dirs.count && !checkpoints)
        return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "--checkpoint_dirs goes with --checkpoints");
    if (a->dirs.count > 1 && a->dirs.count != checkpoints)
        return hexgpu_cli_fail(HEXGPU_EXIT_USAGE,
                               "--checkpoint_dirs has %d folders for %d checkpoints: give one, or one per checkpoint",
                               a->dirs.count, checkpoints);
    /* One model with several settings: as many players as the longest list. */
    int n = models;
    const list *lists[] = {&a->sims, &a->c_puct, &a->t0, &a->t1, &a->move_time, &a->names};
    const int ids[] = {OPT_SIMS, OPT_C_PUCT, OPT_T0, OPT_T1, OPT_MOVE_TIME, OPT_NAMES};
    if (models == 1)
        for (size_t k = 0; k < sizeof lists / sizeof lists[0]; k++) n = lists[k]->count > n ? lists[k]->count : n;
    if (n < 2)
        return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "a tournament needs two players or more: several checkpoints, or "
                                                  "one with several search settings (--mcts-sims 800,200)");
    for (size_t k = 0; k < sizeof lists / sizeof lists[0]; k++) {
        int rc = check_list(lists[k], ids[k], n);
        if (rc != HEXGPU_EXIT_OK) return rc;
    }
    if (a->names.count && a->names.count != n)
        return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "--names has %d names for %d players", a->names.count, n);
    a->count = n;
    for (int p = 0; p < n; p++) {
        hexgpu_tournament_entrant *e = &a->entrants[p];
        int m = models == 1 ? 0 : p;
        if (checkpoints) {
            const char *dir = a->dirs.count ? item(&a->dirs, m) : NULL;
            size_t len = dir ? strlen(dir) : 0;
            const char *name = a->checkpoints.items[m];
            if (name[0] == '/') dir = NULL, len = 0; /* as os.path.join: an absolute name stands alone */
            snprintf(a->paths[p], sizeof a->paths[p], "%s%s%s", dir ? dir : "", len && dir[len - 1] != '/' ? "/" : "",
                     name);
        } else snprintf(a->paths[p], sizeof a->paths[p], "%s", a->models[m]);
        e->model = a->paths[p];
        hexgpu_mcts_config_default(&e->play.mcts);
        e->play.mcts.dirichlet_epsilon = 0.0f; /* the temperature gives the games variety */
        e->play.mcts.simulations = 200;
        e->play.mcts.gumbel = a->gumbel;
        double x;
        int rc = HEXGPU_EXIT_OK;
        if (a->sims.count) rc = hexgpu_cli_option_int(option_name(OPT_SIMS), item(&a->sims, p), 1, 10000000,
                                                      &e->play.mcts.simulations);
        if (rc == HEXGPU_EXIT_OK && a->c_puct.count &&
            (rc = hexgpu_cli_option_double(option_name(OPT_C_PUCT), item(&a->c_puct, p), 0.0, 1e3, &x)) == HEXGPU_EXIT_OK)
            e->play.mcts.c_puct = (float)x;
        if (rc == HEXGPU_EXIT_OK && a->t0.count &&
            (rc = hexgpu_cli_option_double(option_name(OPT_T0), item(&a->t0, p), 0.0, 1e3, &x)) == HEXGPU_EXIT_OK)
            e->play.mcts.temperature = (float)x;
        if (rc == HEXGPU_EXIT_OK && a->t1.count &&
            (rc = hexgpu_cli_option_double(option_name(OPT_T1), item(&a->t1, p), 0.0, 1e3, &x)) == HEXGPU_EXIT_OK)
            e->play.mcts.temperature_end = (float)x;
        if (rc == HEXGPU_EXIT_OK && a->move_time.count)
            rc = hexgpu_cli_option_double(option_name(OPT_MOVE_TIME), item(&a->move_time, p), 0.0, 1e6,
                                          &e->play.move_seconds);
        if (rc != HEXGPU_EXIT_OK) return rc;
        if (a->names.count) player_name(a->names.items[p], 0, e->label, sizeof e->label);
        else player_name(e->model, 1, e->label, sizeof e->label);
    }
    /* Unique labels: the reference's Player<k>_<name> for the k-th use of a name. */
    for (int p = n - 1; p > 0; p--) {
        int uses = 1;
        for (int q = 0; q < p; q++) uses += strcmp(a->entrants[q].label, a->entrants[p].label) == 0;
        if (uses == 1) continue;
        if (a->names.count)
            return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "--names gives '%s' twice", a->entrants[p].label);
        char label[128];
        snprintf(label, sizeof label, "Player%d_%.100s", uses, a->entrants[p].label);
        memcpy(a->entrants[p].label, label, sizeof label);
    }
    *anchor = 0;
    if (a->anchor) {
        *anchor = -1;
        for (int p = 0; p < n && *anchor < 0; p++)
            if (strcmp(a->entrants[p].label, a->anchor) == 0) *anchor = p;
        if (*anchor < 0) {
            char known[2048] = "";
            for (int p = 0; p < n; p++)
                snprintf(known + strlen(known), sizeof known - strlen(known), "%s'%s'", p ? ", " : "",
                         a->entrants[p].label);
            return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "--anchor '%s' is none of the players: %s", a->anchor, known);
        }
    }
    return HEXGPU_EXIT_OK;
}

/* Missing checkpoint files, all named at once (as the reference lists them). */
static int check_files(const tournament_args *a) {
    char missing[2048] = "";
    int count = 0;
    for (int p = 0; p < a->count; p++) {
        int again = 0;
        for (int q = 0; q < p; q++) again |= strcmp(a->paths[q], a->paths[p]) == 0;
        if (again || access(a->paths[p], R_OK) == 0) continue;
        snprintf(missing + strlen(missing), sizeof missing - strlen(missing), "%s%s", count++ ? ", " : "",
                 a->paths[p]);
    }
    if (count == 0) return HEXGPU_EXIT_OK;
    return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "checkpoint%s not found or not readable: %s", count > 1 ? "s" : "",
                           missing);
}

/* One engine per distinct model file (the same file by another path included). */
static int open_engines(tournament_args *a, hexgpu_engine **engines, hexgpu_game_player *players) {
    char real[MAX_ENTRANTS][PATH_MAX];
    for (int p = 0; p < a->count; p++) {
        if (!realpath(a->paths[p], real[p])) snprintf(real[p], sizeof real[p], "%s", a->paths[p]);
        players[p] = (hexgpu_game_player){.mcts = a->entrants[p].play.mcts,
                                          .move_seconds = a->entrants[p].play.move_seconds};
        for (int q = 0; q < p && !players[p].engine; q++)
            if (strcmp(real[q], real[p]) == 0) players[p].engine = players[q].engine;
        if (players[p].engine) continue;
        int rc = hexgpu_cli_open_engine(a->paths[p], &a->options, &engines[p]);
        if (rc != HEXGPU_EXIT_OK) return rc;
        players[p].engine = engines[p];
    }
    a->config.board_size = hexgpu_engine_board_size(players[0].engine);
    return HEXGPU_EXIT_OK;
}

/* ------------------------------------------------------------------ the run */

typedef struct run_state {
    const tournament_args *args;
    hexgpu_tournament_report *report;
    hexgpu_tournament_files *files;
    int64_t done, per_round;
} run_state;

static hexgpu_status on_game(void *user, const hexgpu_tournament_game *g, hexgpu_error *err) {
    (void)err;
    run_state *s = user;
    hexgpu_tournament_files_add(s->files, s->report, g);
    s->done++;
    const hexgpu_tournament_entrant *e = s->args->entrants;
    if (s->args->verbose >= 2)
        fprintf(stderr, "game %lld (round %lld): %s (blue) against %s (red): %s won, %d moves: %s\n",
                (long long)g->index, (long long)g->round, e[g->blue].label, e[g->red].label,
                e[g->winner == HEXGPU_BLUE ? g->blue : g->red].label, g->moves, g->record);
    if (s->args->verbose >= 1 && s->done % s->per_round == 0)
        fprintf(stderr, "progress: %lld of %lld games\n", (long long)s->done, (long long)s->report->result->scheduled);
    return HEXGPU_OK;
}

static int play(tournament_args *a, hexgpu_game_player *players, int anchor) {
    hexgpu_tournament_result result = {.scheduled = a->config.rounds * a->count * (a->count - 1)};
    hexgpu_tournament_report report = {.config = &a->config, .entrants = a->entrants, .result = &result,
                                       .anchor = anchor};
    a->config.players = players;
    a->config.player_count = a->count;
    hexgpu_tournament_files files;
    int rc = hexgpu_tournament_files_open(&files, a->output_dir, &report);
    if (rc != HEXGPU_EXIT_OK) return rc;
    run_state state = {.args = a, .report = &report, .files = &files, .per_round = result.scheduled / a->config.rounds};
    hexgpu_error err = {0};
    a->config.interrupt = &hexgpu_cli_interrupt;
    hexgpu_status st = hexgpu_tournament_run(&a->config, on_game, &state, &result, &err);
    hexgpu_tournament_files_close(&files, &report);
    if (result.games == 0) { /* nothing but headers: leave no files */
        unlink(files.records), unlink(files.csv);
        files.failed = 0;
    } else if (!files.failed) report.records = files.records, report.csv = files.csv;
    hexgpu_rating ratings[MAX_ENTRANTS];
    hexgpu_error fit_err = {0};
    hexgpu_status fitted = result.wins ? hexgpu_ratings_fit(a->count, result.wins, anchor, -1.0, ratings,
                                                            &report.info, &fit_err)
                                       : HEXGPU_ERR_OUT_OF_MEMORY;
    if (fitted == HEXGPU_OK && (st == HEXGPU_OK || result.games > 0)) {
        report.ratings = ratings;
        hexgpu_tournament_print(&report, a->json);
        fflush(stdout);
    }
    if (st != HEXGPU_OK && result.games == 0) rc = hexgpu_cli_fail_status(st, &err);
    else if (st != HEXGPU_OK)
        rc = hexgpu_cli_fail(hexgpu_cli_exit_code(st), "%s; the %lld games finished before are rated above%s%s%s",
                             err.message, (long long)result.games,
                             files.failed ? " (the files are not complete: " : " and in ",
                             files.failed ? files.error : files.records, files.failed ? ")" : "");
    else if (fitted != HEXGPU_OK) rc = hexgpu_cli_fail_status(fitted, &fit_err);
    if (rc == HEXGPU_EXIT_OK && files.failed)
        rc = hexgpu_cli_fail(HEXGPU_EXIT_FAILURE, "%s; the results above are complete, the files are not",
                             files.error);
    if (rc == HEXGPU_EXIT_OK && result.interrupted)
        rc = hexgpu_cli_fail(HEXGPU_EXIT_FAILURE, "interrupted after %lld of %lld games%s%s",
                             (long long)result.games, (long long)result.scheduled,
                             result.games ? "; they are in " : "; no file was left", result.games ? files.records : "");
    hexgpu_tournament_result_free(&result);
    return rc;
}

static int run(int argc, char **argv, tournament_args *a) {
    hexgpu_cli_engine_options_default(&a->options);
    a->options.cache_entries = 60000;
    hexgpu_tournament_config_default(&a->config);
    a->gumbel = 1;
    a->verbose = 1;
    int anchor = 0, rc = parse_args(argc, argv, a);
    if (rc == HEXGPU_EXIT_OK) rc = resolve_players(a, &anchor);
    if (rc == HEXGPU_EXIT_OK) rc = check_files(a);
    if (rc != HEXGPU_EXIT_OK) return rc;
    time_t now = time(NULL);
    if (!a->seed_given) {
        a->config.seed = (uint64_t)now;
        fprintf(stderr, "Auto-generated seed: %llu\n", (unsigned long long)a->config.seed);
    }
    char stamp[32];
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%y%m%d_%H%M%S", &tm);
    snprintf(a->default_dir, sizeof a->default_dir, "data/tournament_play/tournament_%lldgames_%dmodels_%s",
             (long long)a->config.rounds, a->count, stamp);
    if (!a->output_dir) a->output_dir = a->default_dir;
    /* The folder first, as match does: one that cannot be made costs no model load. */
    hexgpu_error err = {0};
    if (hexgpu_dir_create(a->output_dir, &err) != HEXGPU_OK) return hexgpu_cli_fail_status(err.status, &err);
    hexgpu_engine *engines[MAX_ENTRANTS] = {NULL};
    hexgpu_game_player players[MAX_ENTRANTS];
    rc = open_engines(a, engines, players);
    if (rc == HEXGPU_EXIT_OK && hexgpu_interrupt_is_set(&hexgpu_cli_interrupt))
        rc = hexgpu_cli_fail(HEXGPU_EXIT_FAILURE, "interrupted while loading the models; no game was played");
    if (rc == HEXGPU_EXIT_OK) rc = play(a, players, anchor);
    for (int p = 0; p < a->count; p++) hexgpu_engine_close(engines[p]);
    return rc;
}

int hexgpu_cmd_tournament(int argc, char **argv) {
    if (hexgpu_cli_wants_help(argc, argv)) {
        usage(stdout);
        return HEXGPU_EXIT_OK;
    }
    /* Before the models load, so that a signal at any moment ends the command cleanly;
     * a parent may have blocked them. */
    hexgpu_cli_signals signals;
    hexgpu_cli_signals_install(&signals);
    tournament_args *a = calloc(1, sizeof *a);
    int rc = a ? run(argc, argv, a) : hexgpu_cli_fail(HEXGPU_EXIT_FAILURE, "out of memory");
    if (a) {
        list *lists[] = {&a->checkpoints, &a->dirs, &a->names, &a->sims, &a->c_puct, &a->t0, &a->t1, &a->move_time};
        for (size_t k = 0; k < sizeof lists / sizeof lists[0]; k++) list_free(lists[k]);
    }
    free(a);
    hexgpu_cli_signals_restore(&signals);
    return rc;
}
