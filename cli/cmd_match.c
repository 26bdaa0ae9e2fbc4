/* hexgpu match: two players (networks of ours with their search settings, or external
 * HTP engines) play a set of balanced openings from both sides; prints wins, the Elo
 * difference with a 95% interval and an SPRT verdict, and writes the games as TRMPH. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/signals.h"
#include "cli/match_report.h"
#include "cli/play_options.h"
#include "hexgpu.h"
#include "play/match.h"
#include "play/selfplay.h"
#include "base/interrupt.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: hexgpu match [--model A] [--model B | --opponent \"CMD ARGS\"] [options]\n\n"
            "Plays games between two players, A and B, each a network (--model) or an external Hex\n"
            "text protocol engine (--opponent, run as a child process, e.g. MoHex or 'hexgpu htp ...').\n"
            "With one --model and nothing else, A and B are that network with two search settings\n"
            "(--sims 200,50). Game k starts from cell k/2 of self-play's pie-rule opening cycle; A is\n"
            "blue (moves first) in even games, red in odd ones. Prints the result (wins, the Elo of A\n"
            "relative to B with a 95%% interval, an SPRT verdict) and writes the games as TRMPH.\n\n"
            "options (X or A,B: one value for both players, or one each):\n"
            "  --model PATH            a network (.safetensors, .pt, .pt.gz); once or twice; none: player A\n"
            "                          is the shipped network, models/" HEXGPU_DEFAULT_MODEL_NAME "\n"
            "  --opponent \"CMD ARGS\"   an HTP engine command line; once or twice\n"
            "  --games N               games to play (twice the opening cycle: 48 on 13x13)\n"
            "  --sims X|A,B            simulations per move (200)\n"
            "  --c-puct X|A,B          PUCT constant (1.5)\n"
            "  --temperature X|A,B     T0 of self-play's schedule, for varied games (0.5; 0 = best move)\n"
            "  --temperature_end X|A,B T1 (0.01)\n"
            "  --move-time X|A,B       seconds per move at most (0 = simulations only)\n"
            "  --disable-gumbel        PUCT at the root for both players\n"
            "  --games-in-flight N     games played at once between networks (16); 1 with an --opponent\n"
            "  --leaves-per-game N     leaves a search evaluates together, 1..1024 (4)\n"
            "  --seed N                noise seed: the same seed gives the same games (default: the clock)\n"
            "  --sprt ELO0,ELO1        SPRT of H0 elo=ELO0 against H1 elo=ELO1 (alpha = beta = 0.05);\n"
            "                          given, the match stops as soon as it decides (default 0,35, no stop)\n"
            "  --output_dir DIR        where match_<YYYYmmdd_HHMMSS>.trmph goes (.)\n"
            "  --json                  the result as one JSON object\n"
            "  --verbose               one stderr line per finished game\n"
            "  --board-size N          with two --opponent engines: the board (13)\n"
            "  --reply-timeout S       the longest an --opponent may take per reply (600)\n"
            "  --backend cpu|cuda|auto, --device N|N,M|all, --precision fp16|fp32|auto, --batch_size N,\n"
            "  --cache_size N          engine options, as for selfplay (cache 60000)\n"
            "SIGINT/SIGTERM stop the match within a second, even while an --opponent is thinking (it is\n"
            "killed, with its own children); the games finished so far are counted, printed and written\n"
            "(exit 1). The result is printed even when the record file cannot be written (then exit 1).\n"
            "Exit codes: 0 ok (whatever the verdict), 1 I/O, device, opponent failure or interrupted,\n"
            "2 bad usage or a bad model file.\n");
}

typedef struct match_args {
    hexgpu_engine_options options;
    hexgpu_match_config config;
    hexgpu_cli_player players[2];
    const char *models[2], *opponents[2], *order[2], *output_dir;
    int model_count, opponent_count, json, verbose, seed_given, games_given, sprt_given;
    char default_model[4096]; /* the shipped network, when no --model is given */
} match_args;

static int parse_pair(const char *o, const char *v, double *a, double *b) {
    char *end;
    errno = 0;
    *a = strtod(v, &end);
    if (errno || end == v || *end != ',') goto bad;
    const char *second = end + 1;
    *b = strtod(second, &end);
    if (errno || end == second || *end || !(*a < *b) || fabs(*a) > 1e4 || fabs(*b) > 1e4) goto bad;
    return HEXGPU_EXIT_OK;
bad:
    return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "%s needs ELO0,ELO1 with ELO0 < ELO1, got '%s'", o, v);
}

static int parse_args(int argc, char **argv, match_args *a) {
    memset(a, 0, sizeof *a);
    hexgpu_cli_engine_options_default(&a->options);
    a->options.cache_entries = 60000;
    hexgpu_match_config_default(&a->config);
    for (int p = 0; p < 2; p++) a->players[p].mcts = a->config.players[p].mcts, a->players[p].mcts.simulations = 200;
    a->output_dir = ".";
    int rc = HEXGPU_EXIT_OK, n;
    for (int i = 1; i < argc && rc == HEXGPU_EXIT_OK; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        long long ll;
        char *end;
        if (strcmp(o, "--json") == 0) a->json = 1;
        else if (strcmp(o, "--verbose") == 0) a->verbose = 1;
        else if (strcmp(o, "--disable-gumbel") == 0) a->players[0].mcts.gumbel = a->players[1].mcts.gumbel = 0;
        else if (o[0] != '-')
            rc = hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "unexpected argument '%s' (try 'hexgpu match --help')", o);
        else if (!v) rc = hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "%s needs a value (try 'hexgpu match --help')", o);
        else if (i++, strcmp(o, "--model") == 0 || strcmp(o, "--opponent") == 0) { /* i++: v is used */
            int is_model = o[2] == 'm';
            if (a->model_count + a->opponent_count == 2)
                rc = hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "a match has two players: at most two --model/--opponent");
            else a->order[a->model_count + a->opponent_count] = is_model ? "model" : "opponent";
            if (rc == HEXGPU_EXIT_OK && is_model) a->models[a->model_count++] = v;
            else if (rc == HEXGPU_EXIT_OK) a->opponents[a->opponent_count++] = v;
        } else if (strcmp(o, "--games") == 0) {
            errno = 0;
            ll = strtoll(v, &end, 10);
            if (errno || end == v || *end || ll < 1 || ll > 1000000)
                rc = hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "--games needs an integer in 1..1000000, got '%s'", v);
            a->config.games = ll, a->games_given = 1;
        } else if (strcmp(o, "--seed") == 0) {
            errno = 0;
            ll = strtoll(v, &end, 10);
            if (errno || end == v || *end || ll < 0)
                rc = hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "--seed needs an integer >= 0, got '%s'", v);
            a->config.seed = (uint64_t)ll, a->seed_given = 1;
        } else if (strcmp(o, "--sprt") == 0) {
            rc = parse_pair(o, v, &a->config.sprt.elo0, &a->config.sprt.elo1);
            a->config.sprt_stop = a->sprt_given = 1;
        } else if (strcmp(o, "--games-in-flight") == 0)
            rc = hexgpu_cli_option_int(o, v, 1, 65536, &a->config.games_in_flight);
        else if (strcmp(o, "--leaves-per-game") == 0)
            rc = hexgpu_cli_option_int(o, v, 1, 1024, &a->config.leaves_per_game);
        else if (strcmp(o, "--board-size") == 0) rc = hexgpu_cli_option_int(o, v, 1, 19, &a->config.board_size);
        else if (strcmp(o, "--reply-timeout") == 0) {
            if ((rc = hexgpu_cli_option_int(o, v, 1, 1000000, &n)) == HEXGPU_EXIT_OK) a->config.reply_seconds = n;
        } else if (strcmp(o, "--output_dir") == 0) a->output_dir = v;
        else if (!hexgpu_cli_search_option(o, v, HEXGPU_CLI_TEMPERATURE, a->players, 2, &rc) &&
                 !hexgpu_cli_engine_option(o, v, &a->options, &rc))
            rc = hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "unknown option '%s' (try 'hexgpu match --help')", o);
    }
    /* No network named and at most one opponent: player A is the shipped network (against
     * itself with two settings, or against the opponent). */
    if (rc == HEXGPU_EXIT_OK && a->model_count == 0 && a->opponent_count < 2) {
        if (!hexgpu_cli_default_model(a->default_model, sizeof a->default_model)) rc = HEXGPU_EXIT_USAGE;
        else {
            a->models[a->model_count++] = a->default_model;
            a->order[1] = a->order[0], a->order[0] = "model";
        }
    }
    if (rc == HEXGPU_EXIT_OK && !a->seed_given) a->config.seed = (uint64_t)time(NULL);
    return rc;
}

static hexgpu_status on_game(void *user, const hexgpu_match_game *g, hexgpu_error *err) {
    (void)err;
    if (*(const int *)user) {
        int a_won = (g->winner == HEXGPU_BLUE) == g->a_blue;
        fprintf(stderr, "game %lld: %s won (A was %s), %d moves%s: %s\n", (long long)g->index, a_won ? "A" : "B",
                g->a_blue ? "blue" : "red", g->moves, g->resigned ? ", by resignation" : "", g->record);
    }
    return HEXGPU_OK;
}

/* Opens the players' networks (one engine per distinct model) and fills the config's
 * players in the order they were given. */
static int open_players(match_args *a, hexgpu_engine **engines, hexgpu_match_report *report) {
    int models = 0, opponents = 0, listed = a->model_count + a->opponent_count;
    for (int p = 0; p < 2; p++) {
        const char *kind = a->order[p < listed ? p : 0];
        hexgpu_match_player *pl = &a->config.players[p];
        pl->mcts = a->players[p].mcts, pl->move_seconds = a->players[p].move_seconds;
        if (strcmp(kind, "opponent") == 0) {
            pl->command = a->opponents[opponents++];
            snprintf(report->players[p], sizeof report->players[p], "%s", pl->command);
            continue;
        }
        const char *model = p < listed ? a->models[models++] : a->models[0];
        int shared = p == 1 && engines[0] && a->config.players[0].engine && strcmp(model, a->models[0]) == 0;
        if (shared) {
            pl->engine = engines[0];
        } else {
            int rc = hexgpu_cli_open_engine(model, &a->options, &engines[p]);
            if (rc != HEXGPU_EXIT_OK) return rc;
            pl->engine = engines[p];
        }
        a->config.board_size = hexgpu_engine_board_size(pl->engine);
        hexgpu_cli_player_describe(&a->players[p], model, report->players[p], sizeof report->players[p]);
    }
    return HEXGPU_EXIT_OK;
}

int hexgpu_cmd_match(int argc, char **argv) {
    if (hexgpu_cli_wants_help(argc, argv)) {
        usage(stdout);
        return HEXGPU_EXIT_OK;
    }
    match_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc != HEXGPU_EXIT_OK) return rc;
    hexgpu_engine *engines[2] = {NULL, NULL};
    hexgpu_match_report report = {.config = &a.config};
    /* From before the models load to after the records are written (a file size limit
     * is then a write error, and the result is still printed). */
    hexgpu_cli_signals signals;
    hexgpu_cli_signals_install(&signals);
    rc = hexgpu_match_make_folder(a.output_dir); /* before any game: a bad folder costs no match */
    if (rc == HEXGPU_EXIT_OK) rc = open_players(&a, engines, &report);
    if (rc == HEXGPU_EXIT_OK && !a.games_given) {
        int cells[HEXGPU_MAX_CELLS];
        a.config.games = 2 * hexgpu_selfplay_pie_openings(a.config.board_size, cells);
    }
    hexgpu_match_result result = {0};
    hexgpu_error err = {0};
    hexgpu_status st = HEXGPU_OK;
    if (rc == HEXGPU_EXIT_OK && hexgpu_interrupt_is_set(&hexgpu_cli_interrupt))
        rc = hexgpu_cli_fail(HEXGPU_EXIT_FAILURE, "interrupted before the first game");
    if (rc == HEXGPU_EXIT_OK) {
        a.config.interrupt = &hexgpu_cli_interrupt;
        st = hexgpu_match_run(&a.config, on_game, &a.verbose, &result, &err);
    }
    for (int p = 0; p < 2; p++) {
        hexgpu_engine_close(engines[p]);
        size_t len = strlen(report.players[p]);
        if (result.names[p][0] && len < sizeof report.players[p])
            snprintf(report.players[p] + len, sizeof report.players[p] - len, " (%s)", result.names[p]);
    }
    report.result = &result;
    char path[4096], why[4300] = "";
    if (rc == HEXGPU_EXIT_OK && result.games > 0 &&
        hexgpu_match_write_records(&report, a.output_dir, path, sizeof path, why, sizeof why))
        report.records = path;
    /* The result first, whatever went wrong after some games: a finished match is never
     * lost because its record file could not be written; then the error, one line. */
    if (rc == HEXGPU_EXIT_OK && (st == HEXGPU_OK || result.games > 0)) {
        hexgpu_match_print(&report, a.json);
        fflush(stdout);
    }
    char stop[128] = "";
    if (result.interrupted)
        snprintf(stop, sizeof stop, "interrupted after %lld of %lld games", (long long)result.games,
                 (long long)a.config.games);
    const char *first = st != HEXGPU_OK ? err.message : stop[0] ? stop : why;
    char detail[4400] = "";
    if (first != why && why[0]) snprintf(detail, sizeof detail, "; %s", why);
    else if (first != why && st != HEXGPU_OK && report.records)
        snprintf(detail, sizeof detail, "; the games so far are in %s", report.records);
    if (rc == HEXGPU_EXIT_OK && first[0]) {
        int code = st != HEXGPU_OK && hexgpu_cli_exit_code(st) ? hexgpu_cli_exit_code(st) : HEXGPU_EXIT_FAILURE;
        rc = hexgpu_cli_fail(code, "%s%s", first, detail);
    }
    hexgpu_match_result_free(&result);
    hexgpu_cli_signals_restore(&signals);
    return rc;
}
