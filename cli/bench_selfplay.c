/* hexgpu bench --selfplay: the host-side ceiling of self-play. The real search (workers,
 * games in flight, MCTS, the engine's cache, queues and scheduler) runs against the
 * synthetic backend with no work, so what is measured is everything but the network:
 * simulations/s and network requests/s per search thread. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/bench.h"
#include "cli/cli.h"
#include "host/synthetic_backend.h"
#include "base/timer.h"
#include "base/status.h"
#include "play/selfplay.h"
#include "base/interrupt.h"

typedef struct search_bench_options {
    int board_size, workers, games_in_flight, leaves, simulations, gumbel, repeats, json, tree_reuse;
    int cache_entries;
    double seconds;
} search_bench_options;

static void usage(FILE *out) {
    fprintf(out,
            "usage: hexgpu bench --selfplay [options]\n\n"
            "Self-play's search against a backend that does no work (no network): the host-side\n"
            "ceiling of self-play. Each repeat plays games for S seconds; prints the median\n"
            "simulations/s and evaluations/s (positions sent to the engine), also per thread.\n\n"
            "  --board-size N        board (default 13)\n"
            "  --workers W           search threads (default 1)\n"
            "  --games-in-flight G   games per thread at once (default 16)\n"
            "  --leaves K            leaves per game in flight (default 4)\n"
            "  --mcts_sims S         simulations per move (default 200)\n"
            "  --disable-gumbel      PUCT root with Dirichlet noise instead of Gumbel\n"
            "  --no-tree-reuse       rebuild the tree for every move\n"
            "  --cache N             engine result cache entries (default 60000, as selfplay)\n"
            "  --seconds S           length of each repeat (default 3)\n"
            "  --repeats R           repeats (default 3)\n"
            "  --json                one JSON object instead of the table\n");
}

static int parse(int argc, char **argv, search_bench_options *o) {
    *o = (search_bench_options){.board_size = 13, .workers = 1, .games_in_flight = 16, .leaves = 4,
                                .simulations = 200, .gumbel = 1, .repeats = 3, .seconds = 3.0, .tree_reuse = 1,
                                .cache_entries = 60000};
    int rc = HEXGPU_EXIT_OK;
    for (int i = 1; i < argc && rc == HEXGPU_EXIT_OK; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--selfplay") == 0) continue;
        if (strcmp(a, "--json") == 0) o->json = 1;
        else if (strcmp(a, "--disable-gumbel") == 0) o->gumbel = 0;
        else if (strcmp(a, "--no-tree-reuse") == 0) o->tree_reuse = 0;
        else if (i + 1 >= argc)
            return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "unknown option or missing value: '%s' (try 'hexgpu bench "
                                                      "--selfplay --help')", a);
        else if (strcmp(a, "--board-size") == 0) rc = hexgpu_cli_option_int(a, argv[++i], 1, HEXGPU_MAX_SIZE, &o->board_size);
        else if (strcmp(a, "--workers") == 0) rc = hexgpu_cli_option_int(a, argv[++i], 1, 256, &o->workers);
        else if (strcmp(a, "--games-in-flight") == 0)
            rc = hexgpu_cli_option_int(a, argv[++i], 1, 4096, &o->games_in_flight);
        else if (strcmp(a, "--leaves") == 0) rc = hexgpu_cli_option_int(a, argv[++i], 1, 1024, &o->leaves);
        else if (strcmp(a, "--mcts_sims") == 0 || strcmp(a, "--mcts-sims") == 0)
            rc = hexgpu_cli_option_int(a, argv[++i], 1, 1 << 20, &o->simulations);
        else if (strcmp(a, "--cache") == 0) rc = hexgpu_cli_option_int(a, argv[++i], 0, 1 << 26, &o->cache_entries);
        else if (strcmp(a, "--repeats") == 0) rc = hexgpu_cli_option_int(a, argv[++i], 1, 100, &o->repeats);
        else if (strcmp(a, "--seconds") == 0) {
            char *end;
            const char *v = argv[++i];
            o->seconds = strtod(v, &end);
            if (end == v || *end || !(o->seconds > 0 && o->seconds <= 3600))
                return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "--seconds '%s': expected a number in (0, 3600]", v);
        } else
            return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "bad option: '%s' (try 'hexgpu bench --selfplay --help')", a);
    }
    return rc;
}

/* The timer that ends a repeat: sets the run's interrupt flag after `seconds`. */
typedef struct stopper {
    volatile sig_atomic_t flag;
    double seconds;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int cancelled;
} stopper;

static void *stopper_main(void *arg) {
    stopper *s = arg;
    struct timespec deadline = hexgpu_timer_deadline((int64_t)(s->seconds * 1e9));
    pthread_mutex_lock(&s->lock);
    while (!s->cancelled && pthread_cond_timedwait(&s->cond, &s->lock, &deadline) == 0) {
    }
    hexgpu_interrupt_raise(&s->flag);
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

typedef struct search_figure {
    double simulations_per_s, evaluations_per_s, requests_per_s, cache_hit_rate, seconds;
    int64_t games, moves;
} search_figure;

static hexgpu_status run_once(hexgpu_engine *engine, const search_bench_options *o, uint64_t seed,
                              search_figure *f, hexgpu_error *err) {
    hexgpu_selfplay_config c;
    hexgpu_selfplay_config_default(&c);
    c.mcts.simulations = o->simulations;
    c.mcts.gumbel = o->gumbel;
    c.mcts.tree_reuse = o->tree_reuse;
    c.workers = o->workers;
    c.games_in_flight = o->games_in_flight;
    c.leaves_per_game = o->leaves;
    c.games = INT64_MAX / 2; /* the timer ends the repeat */
    c.seed = seed;
    stopper s = {.seconds = o->seconds};
    pthread_mutex_init(&s.lock, NULL);
    hexgpu_timer_cond_init(&s.cond);
    c.interrupt = &s.flag;
    pthread_t timer;
    if (pthread_create(&timer, NULL, stopper_main, &s) != 0)
        return hexgpu_error_set(err, HEXGPU_ERR_INTERNAL, "bench --selfplay: cannot start the timer thread");
    hexgpu_engine_stats before, after;
    hexgpu_engine_stats_read(engine, &before);
    hexgpu_selfplay_stats stats;
    hexgpu_status st = hexgpu_selfplay_run(engine, &c, NULL, NULL, &stats, err);
    pthread_mutex_lock(&s.lock);
    s.cancelled = 1;
    pthread_cond_signal(&s.cond);
    pthread_mutex_unlock(&s.lock);
    pthread_join(timer, NULL);
    pthread_cond_destroy(&s.cond);
    pthread_mutex_destroy(&s.lock);
    if (st != HEXGPU_OK) return st;
    hexgpu_engine_stats_read(engine, &after);
    double secs = stats.seconds > 0 ? stats.seconds : 1e-9;
    uint64_t hits = after.cache_hits - before.cache_hits, misses = after.cache_misses - before.cache_misses;
    *f = (search_figure){.simulations_per_s = (double)stats.simulations / secs,
                         .evaluations_per_s = (double)(after.evaluated - before.evaluated) / secs,
                         .requests_per_s = (double)stats.leaf_requests / secs,
                         .cache_hit_rate = hits + misses ? (double)hits / (double)(hits + misses) : 0.0,
                         .seconds = secs, .games = stats.games, .moves = stats.moves};
    return HEXGPU_OK;
}

static hexgpu_status open_engine(const search_bench_options *o, hexgpu_engine **engine, hexgpu_error *err) {
    hexgpu_synthetic_config cfg = {.board_size = o->board_size, .no_work = 1};
    hexgpu_engine_options opts;
    hexgpu_engine_options_default(&opts);
    opts.cache_entries = (size_t)o->cache_entries;
    return hexgpu_engine_open_synthetic(&cfg, &opts, "backend synthetic (no work)", engine, NULL, err);
}

int hexgpu_bench_selfplay(int argc, char **argv) {
    if (hexgpu_cli_wants_help(argc, argv)) {
        usage(stdout);
        return HEXGPU_EXIT_OK;
    }
    search_bench_options o;
    int rc = parse(argc, argv, &o);
    if (rc != HEXGPU_EXIT_OK) return rc;
    hexgpu_error err = {0};
    hexgpu_engine *engine = NULL;
    if (open_engine(&o, &engine, &err) != HEXGPU_OK) return hexgpu_cli_fail(HEXGPU_EXIT_FAILURE, "%s", err.message);
    double sims[100], evals[100], reqs[100];
    search_figure f = {0};
    hexgpu_status st = HEXGPU_OK;
    for (int r = 0; r < o.repeats && st == HEXGPU_OK; r++) {
        st = run_once(engine, &o, 1000 + (uint64_t)r, &f, &err);
        sims[r] = f.simulations_per_s, evals[r] = f.evaluations_per_s, reqs[r] = f.requests_per_s;
    }
    hexgpu_engine_close(engine);
    if (st != HEXGPU_OK) return hexgpu_cli_fail(HEXGPU_EXIT_FAILURE, "%s", err.message);
    double sim = hexgpu_bench_median(sims, o.repeats), eval = hexgpu_bench_median(evals, o.repeats),
           req = hexgpu_bench_median(reqs, o.repeats);
    const char *root = o.gumbel && o.simulations <= HEXGPU_GUMBEL_MAX_SIMULATIONS ? "gumbel" : "puct";
    if (o.json) {
        printf("{\"bench\":\"selfplay-search\",\"backend\":\"synthetic (no work)\",\"board_size\":%d,\"workers\":%d,"
               "\"games_in_flight\":%d,\"leaves\":%d,\"mcts_sims\":%d,\"root\":\"%s\",\"tree_reuse\":%d,"
               "\"simulations_per_s\":%.0f,\"evaluations_per_s\":%.0f,\"requests_per_s\":%.0f,"
               "\"evaluations_per_s_per_thread\":%.0f,\"cache_hit_rate\":%.4f,\"repeats\":%d,\"seconds\":%g}\n",
               o.board_size, o.workers, o.games_in_flight, o.leaves, o.simulations, root, o.tree_reuse, sim, eval,
               req, eval / o.workers, f.cache_hit_rate, o.repeats, o.seconds);
    } else {
        printf("self-play search, %dx%d, %d sims/move (%s root, tree reuse %s), %d thread(s) x %d games x %d leaves,"
               " backend with no work\n",
               o.board_size, o.board_size, o.simulations, root, o.tree_reuse ? "on" : "off", o.workers,
               o.games_in_flight, o.leaves);
        printf("simulations/s %.0f, evaluations/s %.0f (%.0f per thread), requests/s %.0f, cache hit rate %.3f "
               "(medians of %d x %g s)\n",
               sim, eval, eval / o.workers, req, f.cache_hit_rate, o.repeats, o.seconds);
    }
    return HEXGPU_EXIT_OK;
}
