/* hexgpu selfplay: plays games with a model (MCTS with PUCT or Gumbel root selection,
 * many games in flight per worker) and writes them as TRMPH records. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "hexgpu.h"
#include "selfplay/record_writer.h"
#include "selfplay/selfplay.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: hexgpu selfplay --model_path PATH [options]\n\n"
            "Plays self-play games and writes <output_dir>/selfplay_<YYYYmmdd_HHMMSS>.trmph:\n"
            "'# ' header lines, then one '#n,<moves> <b|r>' line per game.\n\n"
            "options:\n"
            "  --model_path PATH       .safetensors, .pt or .pt.gz checkpoint (--model too; required)\n"
            "  --num_games N           games to play (1000)\n"
            "  --num_workers N         search threads, each with its own games (1)\n"
            "  --games-in-flight N     games each worker plays at once, 1..65536 (16)\n"
            "  --leaves-per-game N     leaves one game has in flight at once, kept apart by virtual loss, 1..1024 (4)\n"
            "  --batch_size N          largest network batch (engine default: 1024 GPU, 64 CPU)\n"
            "  --cache_size N          result cache entries, 0 = off (60000)\n"
            "  --mcts_sims N           simulations per move (500)\n"
            "  --c-puct X              PUCT exploration constant (1.5)\n"
            "  --disable-gumbel        PUCT with Dirichlet noise at the root even when sims <= 750\n"
            "  --temperature X         T0 of the schedule T = T0*(T1/T0)^min(move/50,1) (0.5)\n"
            "  --temperature_end X     T1 (0.01)\n"
            "  --opening_strategy S    pie_rule | random | none (pie_rule)\n"
            "  --output_dir DIR        where the record file goes (.)\n"
            "  --streaming_save        write and flush each game as it finishes\n"
            "  --progress_interval N   a progress line on stderr every N games (100; 0 = none)\n"
            "  --verbose               one line per game and the engine statistics on stderr\n"
            "  --seed N                games are a function of the seed and their index (default: from the clock)\n"
            "  --backend cpu|cuda|auto (auto)\n"
            "  --device N              CUDA device (0)\n"
            "SIGINT/SIGTERM stop the run; the games finished so far are written (exit code 1).\n"
            "Exit codes: 0 ok, 1 I/O (an unreadable model file), device or write failure or interrupted,\n"
            "2 bad usage or a bad model file.\n");
}

typedef struct selfplay_args {
    hexgpu_engine_options options;
    hexgpu_selfplay_config config;
    const char *model, *output_dir, *opening_name;
    int streaming, progress, verbose, seed_given;
} selfplay_args;

static int parse_long(const char *opt, const char *text, long long min, long long max, long long *out) {
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || end == text || *end || v < min || v > max)
        return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "%s needs an integer in %lld..%lld, got '%s'", opt, min, max, text);
    *out = v;
    return HEXGPU_EXIT_OK;
}

/* Most int options of selfplay have no upper bound short of INT_MAX; the two that size
 * per-worker buffers (games x leaves) are bounded so a huge value is a usage error. */
#define MAX_GAMES_IN_FLIGHT 65536
#define MAX_LEAVES_PER_GAME 1024 /* the driver's own limit */
static int parse_int(const char *opt, const char *text, int min, int *out) {
    return hexgpu_cli_option_int(opt, text, min, INT_MAX, out);
}

static int parse_float(const char *opt, const char *text, float *out) {
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end || !(v >= 0.0) || v > 1e6)
        return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "%s needs a number >= 0, got '%s'", opt, text);
    *out = (float)v;
    return HEXGPU_EXIT_OK;
}

static int parse_args(int argc, char **argv, selfplay_args *a) {
    hexgpu_engine_options_default(&a->options);
    a->options.cache_entries = 60000;
    hexgpu_selfplay_config_default(&a->config);
    *a = (selfplay_args){.options = a->options, .config = a->config, .output_dir = ".", .opening_name = "pie_rule",
                         .progress = 100};
    int rc = HEXGPU_EXIT_OK;
    for (int i = 1; i < argc && rc == HEXGPU_EXIT_OK; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        long long n = 0;
        if (strcmp(o, "--disable-gumbel") == 0) {
            a->config.mcts.gumbel = 0;
        } else if (strcmp(o, "--streaming_save") == 0) {
            a->streaming = 1;
        } else if (strcmp(o, "--verbose") == 0) {
            a->verbose = 1;
        } else if (o[0] != '-') {
            rc = hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "unexpected argument '%s' (try 'hexgpu selfplay --help')", o);
        } else if (!v) {
            rc = hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "%s needs a value (try 'hexgpu selfplay --help')", o);
        } else {
            i++;
            if (strcmp(o, "--model_path") == 0 || strcmp(o, "--model") == 0) a->model = v;
            else if (strcmp(o, "--output_dir") == 0) a->output_dir = v;
            else if (strcmp(o, "--num_games") == 0) {
                if ((rc = parse_long(o, v, 0, INT64_MAX / 2, &n)) == HEXGPU_EXIT_OK) a->config.games = n;
            } else if (strcmp(o, "--num_workers") == 0) rc = parse_int(o, v, 1, &a->config.workers);
            else if (strcmp(o, "--games-in-flight") == 0) rc = hexgpu_cli_option_int(o, v, 1, MAX_GAMES_IN_FLIGHT, &a->config.games_in_flight);
            else if (strcmp(o, "--leaves-per-game") == 0) rc = hexgpu_cli_option_int(o, v, 1, MAX_LEAVES_PER_GAME, &a->config.leaves_per_game);
            else if (strcmp(o, "--batch_size") == 0) rc = parse_int(o, v, 1, &a->options.max_batch);
            else if (strcmp(o, "--cache_size") == 0) {
                if ((rc = parse_long(o, v, 0, INT64_MAX / 2, &n)) == HEXGPU_EXIT_OK) a->options.cache_entries = (size_t)n;
            } else if (strcmp(o, "--mcts_sims") == 0) rc = parse_int(o, v, 1, &a->config.mcts.simulations);
            else if (strcmp(o, "--c-puct") == 0 || strcmp(o, "--c_puct") == 0) rc = parse_float(o, v, &a->config.mcts.c_puct);
            else if (strcmp(o, "--temperature") == 0) rc = parse_float(o, v, &a->config.mcts.temperature);
            else if (strcmp(o, "--temperature_end") == 0) rc = parse_float(o, v, &a->config.mcts.temperature_end);
            else if (strcmp(o, "--progress_interval") == 0) rc = parse_int(o, v, 0, &a->progress);
            else if (strcmp(o, "--device") == 0) rc = parse_int(o, v, 0, &a->options.device);
            else if (strcmp(o, "--seed") == 0) {
                if ((rc = parse_long(o, v, 0, LLONG_MAX, &n)) == HEXGPU_EXIT_OK) a->config.seed = (uint64_t)n;
                a->seed_given = 1;
            } else if (strcmp(o, "--opening_strategy") == 0) {
                a->opening_name = v;
                if (strcmp(v, "pie_rule") == 0) a->config.opening = HEXGPU_OPENING_PIE_RULE;
                else if (strcmp(v, "random") == 0) a->config.opening = HEXGPU_OPENING_RANDOM;
                else if (strcmp(v, "none") == 0) a->config.opening = HEXGPU_OPENING_NONE;
                else rc = hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "--opening_strategy must be pie_rule, random or none, got '%s'", v);
            } else if (strcmp(o, "--backend") == 0) rc = hexgpu_cli_option_backend(v, &a->options.backend);
            else rc = hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "unknown option '%s' (try 'hexgpu selfplay --help')", o);
        }
    }
    if (rc == HEXGPU_EXIT_OK && !a->model) rc = hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "--model_path PATH is required");
    if (rc == HEXGPU_EXIT_OK && !a->seed_given) a->config.seed = (uint64_t)time(NULL);
    return rc;
}

/* Set by SIGINT/SIGTERM: the run stops and the finished games are still written. */
static volatile sig_atomic_t interrupt_flag;

static void on_signal(int sig) {
    (void)sig;
    interrupt_flag = 1;
}

typedef struct run_state {
    hexgpu_record_writer *writer;
    const selfplay_args *args;
    int64_t done;
    int64_t wins[2];
    double t0;
} run_state;

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Called by the driver with its lock held: one game at a time. */
static hexgpu_status on_game(void *user, const hexgpu_selfplay_game *game, hexgpu_error *err) {
    run_state *r = user;
    hexgpu_status st = hexgpu_record_writer_add(r->writer, game->index, game->record, err);
    r->done++;
    r->wins[game->winner == HEXGPU_RED]++;
    if (r->args->verbose)
        fprintf(stderr, "game %lld: %d moves, %s wins: %s\n", (long long)game->index, game->moves,
                game->winner == HEXGPU_RED ? "red" : "blue", game->record);
    if (r->args->progress > 0 && r->done % r->args->progress == 0) {
        double s = now_seconds() - r->t0;
        fprintf(stderr, "progress: %lld/%lld games, %.2f games/s, blue %lld red %lld\n", (long long)r->done,
                (long long)r->args->config.games, s > 0 ? r->done / s : 0.0, (long long)r->wins[0],
                (long long)r->wins[1]);
    }
    return st;
}

int hexgpu_cmd_selfplay(int argc, char **argv) {
    if (hexgpu_cli_wants_help(argc, argv)) {
        usage(stdout);
        return HEXGPU_EXIT_OK;
    }
    selfplay_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc != HEXGPU_EXIT_OK) return rc;
    hexgpu_error err = {0};
    hexgpu_engine *engine = NULL;
    if (hexgpu_engine_open(a.model, &a.options, &engine, &err) != HEXGPU_OK)
        return hexgpu_cli_fail(err.status == HEXGPU_ERR_MODEL_FORMAT || err.status == HEXGPU_ERR_INVALID_ARGUMENT
                                   ? HEXGPU_EXIT_USAGE : HEXGPU_EXIT_FAILURE,
                               "%s", err.message);
    fprintf(stderr, "%s\n", hexgpu_engine_backend_choice(engine));
    hexgpu_record_header header = {.model = a.model, .board_size = hexgpu_engine_board_size(engine),
                                   .simulations = a.config.mcts.simulations, .c_puct = a.config.mcts.c_puct,
                                   .gumbel = hexgpu_mcts_uses_gumbel(&a.config.mcts),
                                   .temperature = a.config.mcts.temperature,
                                   .temperature_end = a.config.mcts.temperature_end, .opening = a.opening_name,
                                   .seed = a.config.seed, .games = a.config.games};
    run_state r = {.args = &a, .t0 = now_seconds()};
    if (hexgpu_record_writer_open(a.output_dir, &header, !a.streaming, time(NULL), &r.writer, &err) != HEXGPU_OK) {
        hexgpu_engine_close(engine);
        return hexgpu_cli_fail(HEXGPU_EXIT_FAILURE, "%s", err.message);
    }
    char path[4096];
    snprintf(path, sizeof path, "%s", hexgpu_record_writer_path(r.writer));
    hexgpu_selfplay_stats stats;
    struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    a.config.interrupt = &interrupt_flag;
    hexgpu_status st = hexgpu_selfplay_run(engine, &a.config, on_game, &r, &stats, &err);
    hexgpu_error close_err = {0};
    /* Close also after a failure: the games kept so far still reach the file. Without
     * --streaming_save every game is written here, so the handlers (which only set the
     * flag) stay until the file is complete: a Ctrl-C now must not lose finished games. */
    hexgpu_status closed = hexgpu_record_writer_close(r.writer, &close_err);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (st == HEXGPU_OK && closed != HEXGPU_OK) st = closed, err = close_err;
    hexgpu_engine_stats es;
    hexgpu_engine_stats_read(engine, &es);
    if (a.verbose) {
        char json[2048];
        hexgpu_engine_stats_json(&es, json, sizeof json);
        fprintf(stderr, "engine stats: %s\n", json);
    }
    hexgpu_engine_close(engine);
    if (st != HEXGPU_OK)
        return hexgpu_cli_fail(st == HEXGPU_ERR_INVALID_ARGUMENT ? HEXGPU_EXIT_USAGE : HEXGPU_EXIT_FAILURE, "%s",
                               err.message);
    double s = stats.seconds > 0 ? stats.seconds : 1e-9;
    printf("wrote %lld games to %s\n", (long long)stats.games, path);
    if (stats.interrupted) {
        fflush(stdout);
        return hexgpu_cli_fail(HEXGPU_EXIT_FAILURE, "interrupted after %lld of %lld games; they are in %s",
                               (long long)stats.games, (long long)a.config.games, path);
    }
    printf("games %lld (blue %lld, red %lld), moves %lld, %.1f s: %.3f games/s, %.0f simulations/s, "
           "%.0f network evaluations/s, cache hit rate %.3f, mean batch %.1f\n",
           (long long)stats.games, (long long)r.wins[0], (long long)r.wins[1], (long long)stats.moves, stats.seconds,
           stats.games / s, stats.simulations / s, (double)es.evaluated / s, es.cache_hit_rate, es.mean_batch);
    return HEXGPU_EXIT_OK;
}
