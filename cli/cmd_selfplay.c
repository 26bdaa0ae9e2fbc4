/* hexgpu selfplay: plays games with a model (MCTS with PUCT or Gumbel root selection,
 * many games in flight per worker) and writes them as TRMPH records. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "cli/argparse.h"
#include "cli/cli.h"
#include "cli/signals.h"
#include "hexgpu.h"
#include "base/timer.h"
#include "records/progress_writer.h"
#include "base/available_memory.h"
#include "base/interrupt.h"
#include "play/selfplay_files.h"
#include "play/selfplay.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: hexgpu selfplay --model_path PATH [options]\n\n"
            "Plays self-play games and writes <output_dir>/selfplay_<YYYYmmdd_HHMMSS>.trmph:\n"
            "'# ' header lines, then one '#n,<moves> <b|r>' line per game. Options are read as Python's\n"
            "argparse reads the reference's: --name=value too, and a prefix that names one of its flags\n"
            "(hexgpu's own flags count only where no reference flag matches).\n\n"
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
            "  --output_dir DIR        where the record file goes, created if missing (.)\n"
            "  --streaming_save        leave the games in finishing order (else: in game order at the end)\n"
            "  --progress_interval N   a progress line on stderr every N games (100; 0 = none)\n"
            "  --verbose [N]           0: no progress lines; 1: progress lines (default); 2 or more (or bare\n"
            "                          --verbose): also one line per game and the engine statistics\n"
            "  --training-data         write training targets beside the records (default): <records>.train,\n"
            "                          layout in <records>.train.json (docs/selfplay.md); --no-training-data: off\n"
            "  --fast-sims N           playout-cap randomisation: most moves get a cheap N-simulation search\n"
            "                          without root noise, not a policy target (0 = off)\n"
            "  --full-prob P           the probability of a full search with --fast-sims (0.25)\n"
            "  --no-tree-reuse         rebuild the search tree for every move (default: keep the played subtree)\n"
            "  --early-stop V          end a move's search once |root value| >= V, after an eighth of it (0 = off)\n"
            "  --bad_move_frequency F  as the reference: with pie_rule openings, that share of games opens with a\n"
            "                          deliberately bad first move (b1..l1 on 13x13) instead of a balanced one (0.1)\n"
            "  --random-move-frequency F  that share of moves is a random legal move instead of the search's\n"
            "                          choice (not a policy target) (0)\n"
            "  --no_batched_inference  network batches of one position\n"
            "  --shard I/N             play shard I (0-based) of N of the --num_games games: N shards together\n"
            "                          play exactly the games of one run with the same seed (docs/scale-out.md)\n"
            "  --shard-from-env        the shard of a Slurm job array task (SLURM_ARRAY_TASK_ID/_MIN/_COUNT)\n"
            "  --seed N                games are a function of the seed and their index (default: from the clock)\n"
            "  --backend cpu|cuda|auto (auto)\n"
            "  --device D              CUDA device (0), a list 0,1 (one context per device) or all\n"
            "Every game reaches the file, whole, as it finishes: a kill (even SIGKILL) loses only the games\n"
            "in progress. SIGINT/SIGTERM stop the run, also while the model loads (exit code 1).\n"
            "Exit codes: 0 ok, 1 I/O (an unreadable model file), device or write failure or interrupted,\n"
            "2 bad usage (a configuration needing more memory than is available included) or a bad model file.\n");
}

typedef struct selfplay_args {
    hexgpu_engine_options options;
    hexgpu_selfplay_config config;
    const char *model, *output_dir;
    int streaming, progress, verbose, seed_given;
    int training, no_batching;
    int shard_index, shard_count; /* shard_count 0: the whole run */
} selfplay_args;

/* Most int options of selfplay have no upper bound short of INT_MAX; the two that size
 * per-worker buffers (games x leaves) are bounded so a huge value is a usage error. */
#define MAX_GAMES_IN_FLIGHT 65536
#define MAX_LEAVES_PER_GAME 1024 /* the driver's own limit */
static int parse_int(const char *opt, const char *text, int min, int *out) {
    return hexgpu_cli_option_int(opt, text, min, INT_MAX, out);
}

/* A non-negative number (up to 1e6, a bound for sanity) into a float option. */
static int parse_float(const char *opt, const char *text, float *out) {
    double v;
    int rc = hexgpu_cli_option_double(opt, text, 0.0, 1e6, &v);
    if (rc == HEXGPU_EXIT_OK) *out = (float)v;
    return rc;
}

enum {
    OPT_MODEL, OPT_OUTPUT_DIR, OPT_NUM_GAMES, OPT_NUM_WORKERS, OPT_GAMES_IN_FLIGHT, OPT_LEAVES, OPT_BATCH_SIZE,
    OPT_CACHE_SIZE, OPT_MCTS_SIMS, OPT_C_PUCT, OPT_DISABLE_GUMBEL, OPT_TEMPERATURE, OPT_TEMPERATURE_END, OPT_OPENING,
    OPT_STREAMING, OPT_PROGRESS, OPT_VERBOSE, OPT_SEED, OPT_BACKEND, OPT_DEVICE, OPT_TRAINING, OPT_NO_TRAINING,
    OPT_FAST_SIMS, OPT_FULL_PROB, OPT_NO_TREE_REUSE, OPT_EARLY_STOP, OPT_BAD_MOVE, OPT_RANDOM_MOVE, OPT_NO_BATCHED,
    OPT_SHARD, OPT_SHARD_ENV
};

/* The reference's spellings first; the other spelling of a name is an alias. */
static const hexgpu_cli_arg OPTIONS[] = {
    {"--model_path", HEXGPU_CLI_ARG_VALUE, OPT_MODEL, 0},
    {"--model", HEXGPU_CLI_ARG_VALUE, OPT_MODEL, 1},
    {"--output_dir", HEXGPU_CLI_ARG_VALUE, OPT_OUTPUT_DIR, 0},
    {"--num_games", HEXGPU_CLI_ARG_VALUE, OPT_NUM_GAMES, 0},
    {"--num_workers", HEXGPU_CLI_ARG_VALUE, OPT_NUM_WORKERS, 0},
    {"--games-in-flight", HEXGPU_CLI_ARG_VALUE, OPT_GAMES_IN_FLIGHT, 1},
    {"--games_in_flight", HEXGPU_CLI_ARG_VALUE, OPT_GAMES_IN_FLIGHT, 1},
    {"--leaves-per-game", HEXGPU_CLI_ARG_VALUE, OPT_LEAVES, 1},
    {"--leaves_per_game", HEXGPU_CLI_ARG_VALUE, OPT_LEAVES, 1},
    {"--batch_size", HEXGPU_CLI_ARG_VALUE, OPT_BATCH_SIZE, 0},
    {"--cache_size", HEXGPU_CLI_ARG_VALUE, OPT_CACHE_SIZE, 0},
    {"--mcts_sims", HEXGPU_CLI_ARG_VALUE, OPT_MCTS_SIMS, 0},
    {"--c-puct", HEXGPU_CLI_ARG_VALUE, OPT_C_PUCT, 0},
    {"--c_puct", HEXGPU_CLI_ARG_VALUE, OPT_C_PUCT, 1},
    {"--disable-gumbel", HEXGPU_CLI_ARG_FLAG, OPT_DISABLE_GUMBEL, 0},
    {"--disable_gumbel", HEXGPU_CLI_ARG_FLAG, OPT_DISABLE_GUMBEL, 1},
    {"--temperature", HEXGPU_CLI_ARG_VALUE, OPT_TEMPERATURE, 0},
    {"--temperature_end", HEXGPU_CLI_ARG_VALUE, OPT_TEMPERATURE_END, 0},
    {"--opening_strategy", HEXGPU_CLI_ARG_VALUE, OPT_OPENING, 0},
    {"--streaming_save", HEXGPU_CLI_ARG_FLAG, OPT_STREAMING, 0},
    {"--progress_interval", HEXGPU_CLI_ARG_VALUE, OPT_PROGRESS, 0},
    {"--verbose", HEXGPU_CLI_ARG_OPTIONAL, OPT_VERBOSE, 0},
    {"--seed", HEXGPU_CLI_ARG_VALUE, OPT_SEED, 1},
    {"--backend", HEXGPU_CLI_ARG_VALUE, OPT_BACKEND, 1},
    {"--device", HEXGPU_CLI_ARG_VALUE, OPT_DEVICE, 1},
    {"--training-data", HEXGPU_CLI_ARG_FLAG, OPT_TRAINING, 1},
    {"--no-training-data", HEXGPU_CLI_ARG_FLAG, OPT_NO_TRAINING, 1},
    {"--fast-sims", HEXGPU_CLI_ARG_VALUE, OPT_FAST_SIMS, 1},
    {"--full-prob", HEXGPU_CLI_ARG_VALUE, OPT_FULL_PROB, 1},
    {"--no-tree-reuse", HEXGPU_CLI_ARG_FLAG, OPT_NO_TREE_REUSE, 1},
    {"--early-stop", HEXGPU_CLI_ARG_VALUE, OPT_EARLY_STOP, 1},
    {"--early_stop", HEXGPU_CLI_ARG_VALUE, OPT_EARLY_STOP, 1},
    {"--bad_move_frequency", HEXGPU_CLI_ARG_VALUE, OPT_BAD_MOVE, 0},
    {"--random-move-frequency", HEXGPU_CLI_ARG_VALUE, OPT_RANDOM_MOVE, 1},
    {"--random_move_frequency", HEXGPU_CLI_ARG_VALUE, OPT_RANDOM_MOVE, 1},
    {"--no_batched_inference", HEXGPU_CLI_ARG_FLAG, OPT_NO_BATCHED, 0},
    {"--shard", HEXGPU_CLI_ARG_VALUE, OPT_SHARD, 1},
    {"--shard-from-env", HEXGPU_CLI_ARG_FLAG, OPT_SHARD_ENV, 1},
};

/* "I/N" with 0 <= I < N. */
static int parse_shard(const char *text, int *index, int *count) {
    char index_text[32];
    const char *slash = strchr(text, '/');
    size_t len = slash ? (size_t)(slash - text) : 0;
    int ok = slash && len > 0 && len < sizeof index_text;
    if (ok) {
        memcpy(index_text, text, len);
        index_text[len] = '\0';
        ok = hexgpu_cli_parse_int(index_text, 0, 1 << 20, index) && hexgpu_cli_parse_int(slash + 1, 1, 1 << 20, count) &&
             *index < *count;
    }
    if (!ok) return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "--shard needs I/N with 0 <= I < N, got '%s'", text);
    return HEXGPU_EXIT_OK;
}

/* The shard of a Slurm job array task: I = SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN,
 * N = SLURM_ARRAY_TASK_COUNT. */
static int shard_from_env(int *index, int *count) {
    const char *id = getenv("SLURM_ARRAY_TASK_ID"), *n = getenv("SLURM_ARRAY_TASK_COUNT");
    const char *min = getenv("SLURM_ARRAY_TASK_MIN");
    int task, first = 0;
    if (!id || !n || !hexgpu_cli_parse_int(id, 0, INT_MAX, &task) || !hexgpu_cli_parse_int(n, 1, 1 << 20, count) ||
        (min && !hexgpu_cli_parse_int(min, 0, INT_MAX, &first)) || task < first || task - first >= *count)
        return hexgpu_cli_fail(HEXGPU_EXIT_USAGE,
                               "--shard-from-env needs a Slurm job array task (SLURM_ARRAY_TASK_ID '%s', "
                               "SLURM_ARRAY_TASK_COUNT '%s', SLURM_ARRAY_TASK_MIN '%s')",
                               id ? id : "", n ? n : "", min ? min : "");
    *index = task - first;
    return HEXGPU_EXIT_OK;
}

/* A probability option: a number in [0, 1]. */
static int parse_probability(const char *opt, const char *text, double *out) {
    return hexgpu_cli_option_double(opt, text, 0.0, 1.0, out);
}

static int parse_args(int argc, char **argv, selfplay_args *a) {
    hexgpu_cli_engine_options_default(&a->options);
    a->options.cache_entries = 60000;
    hexgpu_selfplay_config_default(&a->config);
    *a = (selfplay_args){.options = a->options, .config = a->config, .output_dir = ".", .progress = 100, .verbose = 1, .training = 1};
    int rc = HEXGPU_EXIT_OK;
    const int count = (int)(sizeof OPTIONS / sizeof OPTIONS[0]);
    for (int i = 1; i < argc && rc == HEXGPU_EXIT_OK;) {
        const char *v, *o = NULL;
        int id = hexgpu_cli_arg_next(OPTIONS, count, "selfplay", argc, argv, &i, &v);
        for (int k = 0; k < count && !o; k++) /* messages name the option as the table spells it */
            if (OPTIONS[k].id == id) o = OPTIONS[k].name;
        long long n = 0;
        float f = 0.0f;
        switch (id) {
        case -1: return HEXGPU_EXIT_USAGE;
        case OPT_MODEL: a->model = v; break;
        case OPT_OUTPUT_DIR: a->output_dir = v; break;
        case OPT_NUM_GAMES:
            if ((rc = hexgpu_cli_option_int64(o, v, 0, INT64_MAX / 2, &n)) == HEXGPU_EXIT_OK) a->config.games = n;
            break;
        case OPT_NUM_WORKERS: rc = hexgpu_cli_option_int(o, v, 1, 256, &a->config.workers); break;
        case OPT_GAMES_IN_FLIGHT:
            rc = hexgpu_cli_option_int(o, v, 1, MAX_GAMES_IN_FLIGHT, &a->config.games_in_flight);
            break;
        case OPT_LEAVES: rc = hexgpu_cli_option_int(o, v, 1, MAX_LEAVES_PER_GAME, &a->config.leaves_per_game); break;
        case OPT_BATCH_SIZE: rc = parse_int(o, v, 1, &a->options.max_batch); break;
        case OPT_CACHE_SIZE:
            if ((rc = hexgpu_cli_option_int64(o, v, 0, INT64_MAX / 2, &n)) == HEXGPU_EXIT_OK) a->options.cache_entries = (size_t)n;
            break;
        case OPT_MCTS_SIMS: rc = parse_int(o, v, 1, &a->config.mcts.simulations); break;
        case OPT_C_PUCT: rc = parse_float(o, v, &a->config.mcts.c_puct); break;
        case OPT_DISABLE_GUMBEL: a->config.mcts.gumbel = 0; break;
        case OPT_TEMPERATURE: rc = parse_float(o, v, &a->config.mcts.temperature); break;
        case OPT_TEMPERATURE_END: rc = parse_float(o, v, &a->config.mcts.temperature_end); break;
        case OPT_OPENING:
            if (!hexgpu_selfplay_opening_parse(v, &a->config.opening))
                rc = hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "--opening_strategy must be pie_rule, random or none, got '%s'", v);
            break;
        case OPT_STREAMING: a->streaming = 1; break;
        case OPT_PROGRESS: rc = parse_int(o, v, 0, &a->progress); break;
        case OPT_VERBOSE: /* bare --verbose: the most detail; any integer, as the reference's argparse takes */
            if (!v) a->verbose = 2;
            else if ((rc = hexgpu_cli_option_int(o, v, INT_MIN, INT_MAX, &a->verbose)) == HEXGPU_EXIT_OK)
                a->verbose = a->verbose < 0 ? 0 : a->verbose > 2 ? 2 : a->verbose;
            break;
        case OPT_SEED:
            if ((rc = hexgpu_cli_option_int64(o, v, 0, LLONG_MAX, &n)) == HEXGPU_EXIT_OK) a->config.seed = (uint64_t)n;
            a->seed_given = 1;
            break;
        case OPT_BACKEND: rc = hexgpu_cli_option_backend(v, &a->options.backend); break;
        case OPT_DEVICE: rc = hexgpu_cli_option_devices(v, &a->options); break;
        case OPT_TRAINING: a->training = 1; break;
        case OPT_NO_TRAINING: a->training = 0; break;
        case OPT_FAST_SIMS: rc = parse_int(o, v, 1, &a->config.fast_simulations); break;
        case OPT_FULL_PROB: rc = parse_probability(o, v, &a->config.full_probability); break;
        case OPT_NO_TREE_REUSE: a->config.mcts.tree_reuse = 0; break;
        case OPT_EARLY_STOP:
            if ((rc = parse_float(o, v, &f)) == HEXGPU_EXIT_OK && f > 1.0f)
                rc = hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "%s needs a value in [0, 1] (0 = off), got '%s'", o, v);
            a->config.mcts.early_stop = f;
            break;
        case OPT_BAD_MOVE: rc = parse_probability(o, v, &a->config.bad_move_frequency); break;
        case OPT_RANDOM_MOVE: rc = parse_probability(o, v, &a->config.random_move_frequency); break;
        case OPT_NO_BATCHED: a->options.max_batch = 1; a->no_batching = 1; break;
        case OPT_SHARD: rc = parse_shard(v, &a->shard_index, &a->shard_count); break;
        case OPT_SHARD_ENV: rc = shard_from_env(&a->shard_index, &a->shard_count); break;
        }
    }
    if (rc == HEXGPU_EXIT_OK && !a->model) rc = hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "--model_path PATH is required");
    if (rc == HEXGPU_EXIT_OK && !a->seed_given) a->config.seed = (uint64_t)time(NULL);
    if (a->no_batching) a->options.max_batch = 1; /* wins over a --batch_size given after it */
    a->config.training_data = a->training;
    if (a->shard_count > 0) { /* shard I of N: games [I*G/N, (I+1)*G/N) of the whole run's G */
        int64_t total = a->config.games, first = total / a->shard_count * a->shard_index +
                                                 total % a->shard_count * a->shard_index / a->shard_count;
        int64_t next = total / a->shard_count * (a->shard_index + 1) +
                       total % a->shard_count * (a->shard_index + 1) / a->shard_count;
        a->config.first_game = first;
        a->config.games = next - first;
    }
    return rc;
}

/* A usage error, before any game, for a configuration whose games would not fit in the
 * memory available (rather than an end by the OOM killer, without a word). */
static int check_memory(const selfplay_args *a, int board_size) {
    double need = hexgpu_selfplay_memory_bytes(&a->config, board_size), have = hexgpu_available_memory();
    if (have <= 0.0 || need <= have) return HEXGPU_EXIT_OK;
    const double gib = 1024.0 * 1024.0 * 1024.0;
    long long at_once = (long long)a->config.workers * a->config.games_in_flight;
    if (a->config.games < at_once) at_once = (long long)a->config.games;
    return hexgpu_cli_fail(HEXGPU_EXIT_USAGE,
                           "%lld games at once (--num_workers %d x --games-in-flight %d, --num_games %lld) at "
                           "--mcts_sims %d need up to %.0f bytes (%.1f GiB) of memory, more than the %.0f bytes "
                           "(%.1f GiB) available; lower --num_workers, --games-in-flight or --mcts_sims",
                           at_once, a->config.workers, a->config.games_in_flight, (long long)a->config.games,
                           a->config.mcts.simulations, need, need / gib, have, have / gib);
}

typedef struct run_state {
    const selfplay_args *args;
    int64_t done;
    int64_t wins[2];
    double t0;
    hexgpu_engine *engine;
    hexgpu_progress_writer *progress; /* <records>.progress.jsonl, for `hexgpu serve`'s dashboard */
} run_state;

static void on_files(void *user, const hexgpu_selfplay_files *files) {
    run_state *r = user;
    fprintf(stderr, "games go to %s as they finish\n", files->records_path);
    if (files->training_path[0]) fprintf(stderr, "training targets go to %s\n", files->training_path);
    r->progress = hexgpu_progress_writer_open(files->records_path);
    r->t0 = hexgpu_timer_now_seconds();
}

/* Called by the driver with its lock held, one game at a time, after the game is in the
 * files: the per-game and progress lines. */
static hexgpu_status on_game(void *user, const hexgpu_selfplay_game *game, hexgpu_error *err) {
    (void)err;
    run_state *r = user;
    r->done++;
    r->wins[game->winner == HEXGPU_RED]++;
    hexgpu_progress_writer_game(r->progress, r->engine, game->moves, game->winner);
    if (r->args->verbose >= 2)
        fprintf(stderr, "game %lld: %d moves, %s wins: %s\n", (long long)game->index, game->moves,
                game->winner == HEXGPU_RED ? "red" : "blue", game->record);
    if (r->args->verbose >= 1 && r->args->progress > 0 && r->done % r->args->progress == 0) {
        double s = hexgpu_timer_now_seconds() - r->t0;
        fprintf(stderr, "progress: %lld/%lld games, %.2f games/s, blue %lld red %lld\n", (long long)r->done,
                (long long)r->args->config.games, s > 0 ? r->done / s : 0.0, (long long)r->wins[0],
                (long long)r->wins[1]);
    }
    return HEXGPU_OK;
}

/* Plays the games into the files and reports: the exit code. A run that fails or is
 * interrupted before its first game leaves no file. */
static int play(selfplay_args *a, hexgpu_engine *engine) {
    run_state r = {.args = a, .t0 = hexgpu_timer_now_seconds(), .engine = engine};
    hexgpu_selfplay_output output = {.dir = a->output_dir, .model = a->model, .streaming = a->streaming,
                                     .shard_index = a->shard_index, .shard_count = a->shard_count};
    hexgpu_selfplay_files files;
    hexgpu_selfplay_stats stats;
    hexgpu_error err = {0};
    a->config.interrupt = &hexgpu_cli_interrupt;
    hexgpu_status st =
        hexgpu_selfplay_run_to_files(engine, &a->config, &output, on_files, on_game, &r, &files, &stats, &err);
    hexgpu_error progress_err = {0};
    if (hexgpu_progress_writer_close(r.progress, engine, &progress_err) != HEXGPU_OK)
        fprintf(stderr, "warning: %s (the games are not affected)\n", progress_err.message);
    if (a->verbose >= 2) {
        hexgpu_engine_stats es;
        char json[8192];
        hexgpu_engine_stats_read(engine, &es);
        hexgpu_engine_stats_json(&es, json, sizeof json);
        fprintf(stderr, "engine stats: %s\n", json);
    }
    const char *path = files.records_path;
    if (!files.opened) return hexgpu_cli_fail_status(st, &err); /* a bad setting (2) or folder (1): no file made */
    if (st != HEXGPU_OK && files.removed)
        return hexgpu_cli_fail(hexgpu_cli_exit_code(st), "%s; no game finished, so no file was left", err.message);
    if (st != HEXGPU_OK)
        return hexgpu_cli_fail(hexgpu_cli_exit_code(st), "%s; the %lld finished games are in %s, each whole",
                               err.message, (long long)files.games, path);
    if (stats.interrupted && files.removed)
        return hexgpu_cli_fail(HEXGPU_EXIT_FAILURE, "interrupted after 0 of %lld games; no file was left",
                               (long long)a->config.games);
    printf("wrote %lld games to %s\n", (long long)stats.games, path);
    if (stats.interrupted) {
        fflush(stdout);
        return hexgpu_cli_fail(HEXGPU_EXIT_FAILURE, "interrupted after %lld of %lld games; they are in %s",
                               (long long)stats.games, (long long)a->config.games, path);
    }
    hexgpu_engine_stats es;
    hexgpu_engine_stats_read(engine, &es);
    double s = stats.seconds > 0 ? stats.seconds : 1e-9;
    printf("games %lld (blue %lld, red %lld), moves %lld, %.1f s: %.3f games/s, %.0f simulations/s, "
           "%.0f network evaluations/s, cache hit rate %.3f, mean batch %.1f\n",
           (long long)stats.games, (long long)r.wins[0], (long long)r.wins[1], (long long)stats.moves, stats.seconds,
           stats.games / s, stats.simulations / s, (double)es.evaluated / s, es.cache_hit_rate, es.mean_batch);
    return HEXGPU_EXIT_OK;
}

static int run(int argc, char **argv) {
    selfplay_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc != HEXGPU_EXIT_OK) return rc;
    hexgpu_error err = {0};
    hexgpu_engine *engine = NULL;
    hexgpu_status opened = hexgpu_engine_open(a.model, &a.options, &engine, &err);
    if (opened != HEXGPU_OK) return hexgpu_cli_fail_status(opened, &err);
    if (hexgpu_interrupt_is_set(&hexgpu_cli_interrupt))
        rc = hexgpu_cli_fail(HEXGPU_EXIT_FAILURE, "interrupted while loading the model; no game was played and no "
                                                  "file was written");
    if (rc == HEXGPU_EXIT_OK) rc = check_memory(&a, hexgpu_engine_board_size(engine));
    if (rc == HEXGPU_EXIT_OK) {
        fprintf(stderr, "%s\n", hexgpu_engine_backend_choice(engine));
        rc = play(&a, engine);
    }
    hexgpu_engine_close(engine);
    return rc;
}

int hexgpu_cmd_selfplay(int argc, char **argv) {
    if (hexgpu_cli_wants_help(argc, argv)) {
        usage(stdout);
        return HEXGPU_EXIT_OK;
    }
    hexgpu_cli_signals signals;
    hexgpu_cli_signals_install(&signals);
    int rc = run(argc, argv);
    /* Restored only now: the handlers (which only set the flag) stay until the record
     * file is complete. */
    hexgpu_cli_signals_restore(&signals);
    return rc;
}
