/* The tournament driver (tournament.h): the round-robin schedule, the games played by the
 * game runner, every finished game kept and counted. */
#include "play/tournament.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/status.h"
#include "base/timer.h"
#include "play/selfplay.h"

#define MAX_PLAYERS 256

void hexgpu_tournament_config_default(hexgpu_tournament_config *c) {
    *c = (hexgpu_tournament_config){.board_size = 13, .rounds = 50, .pie_openings = 1, .games_in_flight = 16,
                                    .leaves_per_game = 4, .seed = 1, .reply_seconds = 600.0};
}

void hexgpu_tournament_pair(int n, int64_t pair, int *a, int *b) {
    int i = 0;
    while (pair >= n - 1 - i) pair -= n - 1 - i, i++;
    *a = i, *b = i + 1 + (int)pair;
}

void hexgpu_tournament_game_setup(const hexgpu_tournament_config *c, int64_t index, int64_t *round,
                                  hexgpu_game_setup *setup) {
    int64_t pairs = (int64_t)c->player_count * (c->player_count - 1) / 2, in_round = index % (2 * pairs);
    int a, b;
    hexgpu_tournament_pair(c->player_count, in_round / 2, &a, &b);
    *round = index / (2 * pairs);
    setup->blue = in_round % 2 ? b : a;
    setup->red = in_round % 2 ? a : b;
    setup->opening = -1;
    if (c->pie_openings) {
        int pie[HEXGPU_MAX_CELLS], count = hexgpu_selfplay_pie_openings(c->board_size, pie);
        setup->opening = pie[*round % count];
    }
}

typedef struct tournament {
    const hexgpu_tournament_config *config;
    hexgpu_tournament_on_game on_game;
    void *user;
    hexgpu_tournament_result *result;
    hexgpu_tournament_game *games; /* [scheduled], by index; record NULL until finished */
} tournament;

static void setup_game(void *user, int64_t index, hexgpu_game_setup *setup) {
    const tournament *t = user;
    int64_t round;
    hexgpu_tournament_game_setup(t->config, index, &round, setup);
}

static hexgpu_status game_done(void *user, const hexgpu_game_played *played, int *stop, hexgpu_error *err) {
    (void)stop;
    tournament *t = user;
    hexgpu_tournament_result *r = t->result;
    hexgpu_game_setup setup;
    hexgpu_tournament_game *g = &t->games[played->index];
    *g = (hexgpu_tournament_game){.index = played->index, .blue = played->blue, .red = played->red,
                                  .winner = played->winner, .resigned = played->resigned, .moves = played->moves,
                                  .record = strdup(played->record), .finished = time(NULL)};
    if (!g->record) return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "tournament: out of memory");
    hexgpu_tournament_game_setup(t->config, played->index, &g->round, &setup);
    g->opening = setup.opening;
    int n = t->config->player_count, winner = g->winner == HEXGPU_BLUE ? g->blue : g->red;
    int loser = winner == g->blue ? g->red : g->blue;
    r->games++, r->moves += g->moves, r->resignations += g->resigned;
    r->blue_wins += g->winner == HEXGPU_BLUE;
    r->wins[winner * n + loser]++;
    return t->on_game ? t->on_game(t->user, g, err) : HEXGPU_OK;
}

static hexgpu_status check_config(const hexgpu_tournament_config *c, hexgpu_error *err) {
    if (c->player_count < 2 || c->player_count > MAX_PLAYERS || !c->players)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "tournament: 2..%d players needed, got %d",
                                MAX_PLAYERS, c->player_count);
    int64_t pairs = (int64_t)c->player_count * (c->player_count - 1) / 2;
    if (c->rounds < 1 || c->rounds > INT64_MAX / 4 / pairs || c->board_size < HEXGPU_MIN_SIZE ||
        c->board_size > HEXGPU_MAX_SIZE || c->games_in_flight < 1 || c->leaves_per_game < 1 ||
        c->leaves_per_game > 1024)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT,
                                "tournament: rounds >= 1, board 1..19, games in flight >= 1 and leaves 1..1024 needed");
    for (int p = 0; p < c->player_count; p++) {
        char label[16];
        snprintf(label, sizeof label, "%d", p + 1);
        hexgpu_status st = hexgpu_game_player_check(&c->players[p], c->board_size, "tournament", label, err);
        if (st != HEXGPU_OK) return st;
    }
    return HEXGPU_OK;
}

hexgpu_status hexgpu_tournament_run(const hexgpu_tournament_config *config, hexgpu_tournament_on_game on_game,
                                    void *user, hexgpu_tournament_result *result, hexgpu_error *err) {
    memset(result, 0, sizeof *result);
    hexgpu_status st = check_config(config, err);
    if (st != HEXGPU_OK) return st;
    double t0 = hexgpu_timer_now_seconds();
    size_t n = (size_t)config->player_count;
    result->scheduled = config->rounds * (int64_t)(n * (n - 1));
    tournament t = {.config = config, .on_game = on_game, .user = user, .result = result};
    t.games = calloc((size_t)result->scheduled, sizeof *t.games);
    result->wins = calloc(n * n, sizeof *result->wins);
    result->names = calloc(n, sizeof *result->names);
    if (!t.games || !result->wins || !result->names) {
        free(t.games);
        return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "tournament: cannot allocate %lld games",
                                (long long)result->scheduled);
    }
    hexgpu_game_runner_config run = {.players = config->players, .player_count = config->player_count,
                                     .board_size = config->board_size, .games = result->scheduled,
                                     .games_in_flight = config->games_in_flight,
                                     .leaves_per_game = config->leaves_per_game, .seed = config->seed,
                                     .reply_seconds = config->reply_seconds, .interrupt = config->interrupt,
                                     .setup = setup_game, .done = game_done, .user = &t};
    st = hexgpu_game_runner_run(&run, result->names, &result->interrupted, err);
    result->seconds = hexgpu_timer_now_seconds() - t0;
    /* The finished games, in index order, at the front. */
    int64_t kept = 0;
    for (int64_t i = 0; i < result->scheduled; i++)
        if (t.games[i].record) t.games[kept++] = t.games[i];
    result->list = t.games;
    return st;
}

void hexgpu_tournament_result_free(hexgpu_tournament_result *result) {
    for (int64_t i = 0; result->list && i < result->games; i++) free(result->list[i].record);
    free(result->list), free(result->wins), free(result->names);
    memset(result, 0, sizeof *result);
}
