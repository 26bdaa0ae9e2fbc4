/* Self-play workers: each thread owns a completion queue and a set of game slots; every
 * round it gathers leaves from all games that are not waiting, submits them in one call,
 * and backs a game's leaves up once all of that game's leaves are back. */
#include "play/selfplay.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/timer.h"
#include "base/status.h"
#include "hex/trmph.h"
#include "base/interrupt.h"

void hexgpu_selfplay_config_default(hexgpu_selfplay_config *config) {
    *config = (hexgpu_selfplay_config){.games = 1000, .workers = 1, .games_in_flight = 16, .leaves_per_game = 4,
                                       .opening = HEXGPU_OPENING_PIE_RULE, .seed = 1, .training_data = 0,
                                       .fast_simulations = 0, .full_probability = 0.25, .bad_move_frequency = 0.1,
                                       .random_move_frequency = 0.0};
    hexgpu_mcts_config_default(&config->mcts);
}

static const char *const OPENING_NAMES[] = {[HEXGPU_OPENING_NONE] = "none", [HEXGPU_OPENING_RANDOM] = "random",
                                            [HEXGPU_OPENING_PIE_RULE] = "pie_rule"};

const char *hexgpu_selfplay_opening_name(hexgpu_opening opening) {
    return (unsigned)opening < sizeof OPENING_NAMES / sizeof *OPENING_NAMES ? OPENING_NAMES[opening] : "unknown";
}

int hexgpu_selfplay_opening_parse(const char *name, hexgpu_opening *out) {
    for (unsigned i = 0; i < sizeof OPENING_NAMES / sizeof *OPENING_NAMES; i++)
        if (strcmp(name, OPENING_NAMES[i]) == 0) {
            *out = (hexgpu_opening)i;
            return 1;
        }
    return 0;
}

int hexgpu_selfplay_pie_openings(int size, int *cells) {
    int count = 0;
    if (size < 3) {
        for (int c = 0; c < size * size; c++) cells[count++] = c;
        return count;
    }
    /* Red's edges (a2..a(n-1)) interleaved with their point reflections, then the two
     * cells next to the obtuse corners, one row and column in: first moves that are
     * neither strong centre moves nor hopeless corner moves. */
    for (int r = 1; r <= size - 2; r++) {
        cells[count++] = r * size;
        cells[count++] = (size - 1 - r) * size + size - 1;
    }
    cells[count++] = 1 * size + size - 2;
    cells[count++] = (size - 2) * size + 1;
    return count;
}

/* One game being played and its leaves in flight. */
typedef struct game_slot {
    int active;
    int64_t index;
    hexgpu_board board;
    hexgpu_rng rng;
    hexgpu_mcts search;
    hexgpu_mcts_leaf *leaves; /* [leaves_per_game] */
    float *value, *policy;    /* [leaves_per_game], [leaves_per_game][cells] */
    int leaf_count, outstanding;
    int full_search;          /* the search under way is a full one (playout cap) */
    /* training_data: the game's rows so far, each with its two target arrays in targets */
    hexgpu_training_row *rows;
    float *targets;           /* [row_capacity][2][cells] */
    int row_count, row_capacity;
} game_slot;

typedef struct shared {
    hexgpu_engine *engine;
    const hexgpu_selfplay_config *config;
    int size, cells;
    int pie[HEXGPU_MAX_CELLS], pie_count;
    hexgpu_selfplay_on_game on_game;
    void *user;
    pthread_mutex_t lock; /* guards everything below */
    int64_t next_game;
    int stop;
    hexgpu_status status;
    hexgpu_error err;
    hexgpu_selfplay_stats stats;
} shared;

/* A worker's slots are allocated as it claims its first games, never more than
 * games_in_flight nor more than there are games left: a finished slot takes the next
 * game, and a slot with none left stays idle. */
typedef struct worker {
    shared *sh;
    game_slot **slots;
    int count; /* slots allocated */
    hexgpu_selfplay_stats stats; /* this worker's share, added to sh->stats at the end */
} worker;

/* Records the first failure and stops every worker. */
static void fail(shared *sh, const hexgpu_error *err) {
    pthread_mutex_lock(&sh->lock);
    if (sh->status == HEXGPU_OK) sh->status = err->status, sh->err = *err;
    sh->stop = 1;
    pthread_mutex_unlock(&sh->lock);
}

static int interrupted(const shared *sh) { return hexgpu_interrupt_is_set(sh->config->interrupt); }

static int stopped(shared *sh) {
    pthread_mutex_lock(&sh->lock);
    int s = sh->stop || interrupted(sh);
    pthread_mutex_unlock(&sh->lock);
    return s;
}

/* Takes the next game index; 0 when none is left or the run stops. */
static int claim_game(shared *sh, int64_t *index) {
    pthread_mutex_lock(&sh->lock);
    int claimed = !sh->stop && !interrupted(sh) && sh->next_game < sh->config->first_game + sh->config->games;
    if (claimed) *index = sh->next_game++;
    pthread_mutex_unlock(&sh->lock);
    return claimed;
}

/* The search of the next move, after_move the one just played (-1 at a game's start):
 * full or cheap by the playout cap, the played move's subtree kept when reuse is on. */
static void start_search(shared *sh, game_slot *g, int after_move) {
    const hexgpu_selfplay_config *c = sh->config;
    g->full_search = c->fast_simulations <= 0 || hexgpu_rng_uniform(&g->rng) < c->full_probability;
    int budget = g->full_search ? c->mcts.simulations : c->fast_simulations;
    hexgpu_mcts_begin_budget(&g->search, after_move, &g->board, &g->rng, budget, g->full_search);
}

/* Keeps the finished search's targets for the position before `move`; 0 without memory. */
static int keep_row(shared *sh, game_slot *g, int move, int random_move) {
    size_t cells = (size_t)sh->cells;
    if (g->row_count == g->row_capacity) {
        int capacity = g->row_capacity ? 2 * g->row_capacity : 64;
        hexgpu_training_row *rows = realloc(g->rows, (size_t)capacity * sizeof *rows);
        if (rows) g->rows = rows;
        float *targets = rows ? realloc(g->targets, (size_t)capacity * 2 * cells * sizeof *targets) : NULL;
        if (!targets) return 0;
        g->targets = targets;
        g->row_capacity = capacity;
    }
    hexgpu_training_row *r = &g->rows[g->row_count++];
    *r = (hexgpu_training_row){.move = (int16_t)move, .full_search = (uint8_t)g->full_search,
                               .policy_target = (uint8_t)(g->full_search && !random_move)};
    hexgpu_board_to_position(&g->board, &r->position);
    hexgpu_mcts_targets(&g->search, g->targets + (size_t)(g->row_count - 1) * 2 * cells,
                        g->targets + ((size_t)(g->row_count - 1) * 2 + 1) * cells, &r->root_value);
    return 1;
}

/* Sets g up for game `index`: its generator, the opening, the first search. */
static void begin_game(shared *sh, game_slot *g, int64_t index) {
    g->active = 1;
    g->index = index;
    g->rng.state = sh->config->seed * 0x9e3779b97f4a7c15ull ^ (uint64_t)g->index * 0xd1b54a32d192ed03ull;
    hexgpu_rng_next(&g->rng);
    hexgpu_board_init(&g->board, sh->size, NULL);
    if (sh->config->opening == HEXGPU_OPENING_PIE_RULE) {
        int first = sh->pie[g->index % sh->pie_count];
        /* The reference's bad first moves: b1..l1, the first row without its corners. */
        if (sh->size >= 3 && sh->config->bad_move_frequency > 0.0 &&
            hexgpu_rng_uniform(&g->rng) < sh->config->bad_move_frequency)
            first = 1 + hexgpu_rng_below(&g->rng, sh->size - 2);
        hexgpu_board_play(&g->board, first, NULL);
    } else if (sh->config->opening == HEXGPU_OPENING_RANDOM && hexgpu_rng_uniform(&g->rng) >= 0.1) {
        hexgpu_board_play(&g->board, hexgpu_board_empty_cell(&g->board, hexgpu_rng_below(&g->rng, sh->cells)), NULL);
    }
    g->row_count = 0;
    if (hexgpu_board_winner(&g->board) == HEXGPU_NONE) start_search(sh, g, -1);
}

static void start_game(shared *sh, game_slot *g) {
    int64_t index;
    g->active = claim_game(sh, &index);
    if (g->active) begin_game(sh, g, index);
}

static hexgpu_status finish_game(worker *w, game_slot *g, hexgpu_error *err) {
    shared *sh = w->sh;
    char record[HEXGPU_TRMPH_MAX];
    size_t length;
    hexgpu_status st = hexgpu_trmph_format_record(&g->board, record, sizeof record, &length, err);
    if (st != HEXGPU_OK) return st;
    hexgpu_selfplay_game game = {.index = g->index, .record = record, .moves = hexgpu_board_move_count(&g->board),
                                 .winner = hexgpu_board_winner(&g->board)};
    if (sh->config->training_data) {
        for (int i = 0; i < g->row_count; i++) { /* the arrays moved as they grew: point at them now */
            g->rows[i].visits = g->targets + (size_t)i * 2 * (size_t)sh->cells;
            g->rows[i].improved = g->rows[i].visits + sh->cells;
        }
        game.rows = g->rows;
        game.row_count = g->row_count;
    }
    int reported = 0;
    pthread_mutex_lock(&sh->lock);
    if (!sh->stop) {
        st = sh->on_game ? sh->on_game(sh->user, &game, err) : HEXGPU_OK;
        reported = st == HEXGPU_OK;
    }
    pthread_mutex_unlock(&sh->lock);
    if (reported) { /* a game finished after a failure stopped the run is not one of the run's */
        w->stats.games++;
        w->stats.moves += game.moves;
    }
    return st;
}

/* Moves a game that has nothing in flight forward: plays moves whose search is done,
 * finishes and restarts games, until it has leaves to evaluate (returned count) or no
 * game is left for the slot (0). -1 on failure (err filled). */
static int advance(worker *w, game_slot *g, hexgpu_error *err) {
    shared *sh = w->sh;
    while (g->active) {
        if (hexgpu_board_winner(&g->board) != HEXGPU_NONE) {
            if (finish_game(w, g, err) != HEXGPU_OK) return -1;
            start_game(sh, g);
            continue;
        }
        if (hexgpu_mcts_done(&g->search)) {
            w->stats.simulations += g->search.simulations_done;
            int move = hexgpu_mcts_choose(&g->search), random_move = 0;
            if (sh->config->random_move_frequency > 0.0 &&
                hexgpu_rng_uniform(&g->rng) < sh->config->random_move_frequency) {
                move = hexgpu_board_empty_cell(&g->board,
                                               hexgpu_rng_below(&g->rng, g->board.empty_count));
                random_move = 1;
            }
            if (sh->config->training_data && !keep_row(sh, g, move, random_move)) {
                hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "selfplay: training rows of game %lld",
                                 (long long)g->index);
                return -1;
            }
            hexgpu_board_play(&g->board, move, NULL);
            if (hexgpu_board_winner(&g->board) == HEXGPU_NONE) start_search(sh, g, move);
            continue;
        }
        int n = hexgpu_mcts_gather(&g->search, g->leaves, sh->config->leaves_per_game, err);
        if (n != 0) return n;
        /* Simulations ending in won positions are backed up inside gather, so it can
         * finish the search itself; not done with nothing in flight would be a bug. */
        if (hexgpu_mcts_done(&g->search)) continue;
        hexgpu_error_set(err, HEXGPU_ERR_INTERNAL, "selfplay: game %lld stalled with no leaf in flight",
                         (long long)g->index);
        return -1;
    }
    return 0;
}

/* Backs up a game's leaves in the order they were handed out, so a game's course does not
 * depend on the order in which the engine completes them. */
static void apply_leaves(shared *sh, game_slot *g) {
    for (int i = 0; i < g->leaf_count; i++)
        hexgpu_mcts_apply(&g->search, g->leaves[i].node, g->value[i], g->policy + (size_t)i * sh->cells);
    g->leaf_count = 0;
}

static void run_worker(worker *w, hexgpu_queue *q, hexgpu_request *req, hexgpu_completion *done) {
    shared *sh = w->sh;
    const int games = w->count, k = sh->config->leaves_per_game;
    hexgpu_error err = {0};
    for (;;) {
        size_t count = 0;
        for (int i = 0; i < games; i++) {
            game_slot *g = w->slots[i];
            if (!g->active || g->outstanding > 0) continue;
            int n = advance(w, g, &err);
            if (n < 0) {
                fail(sh, &err);
                return;
            }
            for (int j = 0; j < n; j++)
                req[count++] = (hexgpu_request){.position = g->leaves[j].position, .value = &g->value[j],
                                                .policy = g->policy + (size_t)j * sh->cells,
                                                .tag = (uint64_t)i * (uint64_t)k + (uint64_t)j};
            g->leaf_count = g->outstanding = n;
        }
        if (stopped(sh)) return;
        if (count > 0 && hexgpu_engine_submit(sh->engine, q, req, count, &err) != HEXGPU_OK) {
            fail(sh, &err);
            return;
        }
        w->stats.leaf_requests += (int64_t)count;
        size_t got = 0;
        if (hexgpu_queue_outstanding(q) == 0) return; /* every slot is out of games */
        hexgpu_queue_wait(q, done, (size_t)games * (size_t)k, -1, &got);
        for (size_t c = 0; c < got; c++) {
            if (done[c].status != HEXGPU_OK) {
                hexgpu_queue_last_error(q, &err);
                fail(sh, &err);
                return;
            }
            w->stats.cached += done[c].cached;
            game_slot *g = w->slots[done[c].tag / (uint64_t)k];
            if (--g->outstanding == 0) apply_leaves(sh, g);
        }
    }
}

static void slot_destroy(game_slot *g) {
    if (!g) return;
    hexgpu_mcts_destroy(&g->search);
    free(g->rows), free(g->targets);
    free(g->leaves), free(g->value), free(g->policy), free(g);
}

/* A slot's buffers and its search (whose node pool grows as the search needs). NULL
 * with err filled on failure. */
static game_slot *slot_create(shared *sh, hexgpu_error *err) {
    const size_t k = (size_t)sh->config->leaves_per_game;
    game_slot *g = calloc(1, sizeof *g);
    if (g) {
        g->leaves = malloc(k * sizeof *g->leaves);
        g->value = malloc(k * sizeof *g->value);
        g->policy = malloc(k * (size_t)sh->cells * sizeof *g->policy);
    }
    if (!g || !g->leaves || !g->value || !g->policy) {
        slot_destroy(g);
        hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "selfplay: cannot allocate a game slot");
        return NULL;
    }
    if (hexgpu_mcts_create(&g->search, &sh->config->mcts, err) != HEXGPU_OK) {
        slot_destroy(g);
        return NULL;
    }
    return g;
}

/* Claims up to games_in_flight games, allocating a slot for each as it is claimed;
 * returns 0 on failure (err filled). */
static int claim_slots(worker *w, hexgpu_error *err) {
    shared *sh = w->sh;
    int64_t most = sh->config->games < sh->config->games_in_flight ? sh->config->games : sh->config->games_in_flight;
    if (most <= 0) return 1;
    w->slots = calloc((size_t)most, sizeof *w->slots);
    if (!w->slots) {
        hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "selfplay: cannot allocate %lld game slots", (long long)most);
        return 0;
    }
    int64_t index;
    while (w->count < most && claim_game(sh, &index)) {
        game_slot *g = slot_create(sh, err);
        if (!g) return 0;
        w->slots[w->count++] = g;
        begin_game(sh, g, index);
    }
    return 1;
}

static void *worker_main(void *arg) {
    worker *w = arg;
    shared *sh = w->sh;
    hexgpu_error err = {0};
    hexgpu_queue *q = NULL;
    hexgpu_request *req = NULL;
    hexgpu_completion *done = NULL;
    int ok = claim_slots(w, &err);
    if (ok && w->count > 0) {
        size_t total = (size_t)w->count * (size_t)sh->config->leaves_per_game;
        req = malloc(total * sizeof *req);
        done = malloc(total * sizeof *done);
        if (!req || !done) hexgpu_error_set(&err, HEXGPU_ERR_OUT_OF_MEMORY, "selfplay: worker buffers");
        ok = req && done && hexgpu_queue_create(&q, &err) == HEXGPU_OK;
        if (ok) run_worker(w, q, req, done);
    }
    if (!ok) fail(sh, &err);
    hexgpu_queue_destroy(q); /* waits for leaves still in flight before their buffers go */
    for (int i = 0; i < w->count; i++) slot_destroy(w->slots[i]);
    free(w->slots), free(req), free(done);
    pthread_mutex_lock(&sh->lock);
    sh->stats.games += w->stats.games, sh->stats.moves += w->stats.moves;
    sh->stats.simulations += w->stats.simulations;
    sh->stats.leaf_requests += w->stats.leaf_requests, sh->stats.cached += w->stats.cached;
    pthread_mutex_unlock(&sh->lock);
    return NULL;
}

hexgpu_status hexgpu_selfplay_config_check(const hexgpu_selfplay_config *c, hexgpu_error *err) {
    if (c->games < 0) return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "selfplay: games must be >= 0");
    if (c->first_game < 0 || c->first_game > INT64_MAX / 2 - c->games)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "selfplay: first game %lld out of range",
                                (long long)c->first_game);
    if (c->workers < 1 || c->workers > 256)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "selfplay: workers must be 1..256, got %d",
                                c->workers);
    if (c->games_in_flight < 1 || c->leaves_per_game < 1 || c->leaves_per_game > 1024)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT,
                                "selfplay: games in flight must be >= 1 and leaves per game 1..1024");
    if (c->mcts.simulations < 1)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "selfplay: simulations must be >= 1, got %d",
                                c->mcts.simulations);
    if (!(c->mcts.c_puct >= 0.0f) || !(c->mcts.temperature >= 0.0f) || !(c->mcts.temperature_end >= 0.0f))
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT,
                                "selfplay: c_puct and temperatures must be >= 0");
    if (c->fast_simulations > c->mcts.simulations)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT,
                                "selfplay: fast simulations (%d) must not exceed the simulations of a full search (%d)",
                                c->fast_simulations, c->mcts.simulations);
    if (c->fast_simulations < 0 || !(c->full_probability >= 0.0 && c->full_probability <= 1.0))
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT,
                                "selfplay: fast simulations must be >= 0 and the full-search probability in [0, 1]");
    if (!(c->bad_move_frequency >= 0.0 && c->bad_move_frequency <= 1.0))
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "selfplay: the bad-move frequency must be in [0, 1]");
    if (!(c->random_move_frequency >= 0.0 && c->random_move_frequency <= 1.0))
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT,
                                "selfplay: the random-move frequency must be in [0, 1]");
    if (!(c->mcts.early_stop >= 0.0f))
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "selfplay: the early-stop value must be >= 0");
    return HEXGPU_OK;
}

double hexgpu_selfplay_memory_bytes(const hexgpu_selfplay_config *c, int board_size) {
    double cells = (double)board_size * board_size, k = c->leaves_per_game;
    double at_once = (double)c->workers * c->games_in_flight;
    double slots = (double)c->games < at_once ? (double)c->games : at_once;
    double per_slot = (double)sizeof(game_slot) + sizeof(game_slot *) + hexgpu_mcts_memory_bytes(&c->mcts, board_size) +
                      k * (sizeof(hexgpu_mcts_leaf) + sizeof(float) + cells * sizeof(float) + sizeof(hexgpu_request) +
                           sizeof(hexgpu_completion));
    /* training rows: at most one per cell (a game fills the board at most), capacity
     * doubled from 64, so under twice that */
    if (c->training_data) per_slot += 2.0 * (cells > 64 ? cells : 64) * (sizeof(hexgpu_training_row) + 2 * cells * sizeof(float));
    return slots * per_slot;
}

hexgpu_status hexgpu_selfplay_run(hexgpu_engine *engine, const hexgpu_selfplay_config *config,
                                  hexgpu_selfplay_on_game on_game, void *user, hexgpu_selfplay_stats *stats,
                                  hexgpu_error *err) {
    if (stats) memset(stats, 0, sizeof *stats);
    if (!engine || !config) return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "selfplay: no engine or config");
    hexgpu_status st = hexgpu_selfplay_config_check(config, err);
    if (st != HEXGPU_OK) return st;
    shared sh = {.engine = engine, .config = config, .size = hexgpu_engine_board_size(engine), .on_game = on_game,
                 .user = user, .next_game = config->first_game};
    sh.cells = sh.size * sh.size;
    sh.pie_count = hexgpu_selfplay_pie_openings(sh.size, sh.pie);
    pthread_mutex_init(&sh.lock, NULL);
    worker *w = calloc((size_t)config->workers, sizeof *w);
    pthread_t *threads = calloc((size_t)config->workers, sizeof *threads);
    int *started = calloc((size_t)config->workers, sizeof *started);
    double t0 = hexgpu_timer_now_seconds();
    if (!w || !threads || !started) {
        hexgpu_error e;
        hexgpu_error_set(&e, HEXGPU_ERR_OUT_OF_MEMORY, "selfplay: cannot allocate %d workers", config->workers);
        fail(&sh, &e);
    }
    for (int i = 0; w && threads && started && i < config->workers; i++) {
        w[i].sh = &sh;
        started[i] = pthread_create(&threads[i], NULL, worker_main, &w[i]) == 0;
        if (!started[i]) {
            hexgpu_error e;
            hexgpu_error_set(&e, HEXGPU_ERR_INTERNAL, "selfplay: cannot start worker thread %d", i);
            fail(&sh, &e);
        }
    }
    for (int i = 0; started && i < config->workers; i++)
        if (started[i]) pthread_join(threads[i], NULL);
    sh.stats.seconds = hexgpu_timer_now_seconds() - t0;
    sh.stats.interrupted = sh.status == HEXGPU_OK && sh.stats.games < config->games && interrupted(&sh);
    free(w), free(threads), free(started);
    pthread_mutex_destroy(&sh.lock);
    if (stats) *stats = sh.stats;
    if (sh.status != HEXGPU_OK && err) *err = sh.err;
    return sh.status;
}
