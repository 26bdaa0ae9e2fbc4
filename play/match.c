/* The match driver: game k's players and opening (A is Blue in even games; games 2k and
 * 2k+1 open with pie-rule cell k), the games played by the game runner, their results
 * counted in index order so that an early stop is reproducible. */
#include "play/match.h"

#include <stdlib.h>
#include <string.h>

#include "base/status.h"
#include "base/timer.h"
#include "play/selfplay.h"

void hexgpu_match_config_default(hexgpu_match_config *c) {
    *c = (hexgpu_match_config){.board_size = 13, .games = 48, .games_in_flight = 16, .leaves_per_game = 4,
                               .seed = 1, .sprt = {0.0, 35.0, 0.05, 0.05}, .reply_seconds = 600.0};
    for (int p = 0; p < 2; p++) {
        hexgpu_mcts_config_default(&c->players[p].mcts);
        c->players[p].mcts.dirichlet_epsilon = 0.0f; /* the temperature gives the games variety */
    }
}

typedef struct match {
    const hexgpu_match_config *config;
    hexgpu_match_on_game on_game;
    void *user;
    hexgpu_match_result *result;
    int pie[HEXGPU_MAX_CELLS], pie_count;
    int64_t counted;
    hexgpu_match_game *games; /* [config->games], by index; record NULL until finished */
    int decided;
} match;

static void setup_game(void *user, int64_t index, hexgpu_game_setup *setup) {
    const match *m = user;
    int a_blue = index % 2 == 0;
    *setup = (hexgpu_game_setup){.blue = a_blue ? 0 : 1, .red = a_blue ? 1 : 0,
                                 .opening = m->pie[(index / 2) % m->pie_count]};
}

/* Adds finished game g to the result, and the SPRT's verdict of the games counted. */
static void count_game(match *m, const hexgpu_match_game *g) {
    hexgpu_match_result *r = m->result;
    int a_won = (g->winner == HEXGPU_BLUE) == g->a_blue;
    r->games++, r->moves += g->moves;
    r->a_wins += a_won;
    r->a_blue_games += g->a_blue, r->a_blue_wins += g->a_blue && a_won;
    r->blue_wins += g->winner == HEXGPU_BLUE;
    r->resignations += g->resigned;
    r->verdict = hexgpu_sprt_decide(&m->config->sprt, r->a_wins, r->games - r->a_wins);
}

/* Counts finished games in index order from the first not yet counted, deciding the SPRT
 * after each; stops counting once it has decided. Returns 1 when the match should stop. */
static int count_games(match *m) {
    hexgpu_match_result *r = m->result;
    while (!m->decided && m->counted < m->config->games && m->games[m->counted].record) {
        count_game(m, &m->games[m->counted++]);
        if (m->config->sprt_stop && r->verdict != HEXGPU_SPRT_CONTINUE) {
            m->decided = 1;
            r->stopped_early = r->games < m->config->games;
        }
    }
    return m->decided;
}

/* After an interrupt or a failure: the games that finished while one before them was
 * still in flight count too (finished games are never lost; only an SPRT stop needs the
 * index order to give the same result every time). They join the counted ones at the
 * front of the list, in index order. */
static void count_the_rest(match *m) {
    for (int64_t i = m->counted; i < m->config->games; i++) {
        if (!m->games[i].record) continue;
        int64_t at = m->result->games;
        count_game(m, &m->games[i]);
        if (at != i) m->games[at] = m->games[i], m->games[i].record = NULL;
    }
}

static hexgpu_status game_done(void *user, const hexgpu_game_played *played, int *stop, hexgpu_error *err) {
    match *m = user;
    hexgpu_match_game *g = &m->games[played->index];
    *g = (hexgpu_match_game){.index = played->index, .a_blue = played->blue == 0, .resigned = played->resigned,
                             .winner = played->winner, .moves = played->moves, .record = strdup(played->record)};
    if (!g->record) return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "match: out of memory");
    hexgpu_status st;
    if (m->on_game && (st = m->on_game(m->user, g, err)) != HEXGPU_OK) return st;
    *stop = count_games(m);
    return HEXGPU_OK;
}

static hexgpu_status check_config(const hexgpu_match_config *c, hexgpu_error *err) {
    if (c->games < 0 || c->board_size < HEXGPU_MIN_SIZE || c->board_size > HEXGPU_MAX_SIZE || c->games_in_flight < 1 ||
        c->leaves_per_game < 1 || c->leaves_per_game > 1024)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT,
                                "match: games >= 0, board 1..19, games in flight >= 1 and leaves 1..1024 needed");
    if (!(c->sprt.elo0 < c->sprt.elo1) || !(c->sprt.alpha > 0.0 && c->sprt.alpha < 0.5) ||
        !(c->sprt.beta > 0.0 && c->sprt.beta < 0.5))
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT,
                                "match: the SPRT needs elo0 < elo1 and alpha, beta in (0, 0.5)");
    for (int p = 0; p < 2; p++) {
        hexgpu_status st = hexgpu_game_player_check(&c->players[p], c->board_size, "match", p ? "B" : "A", err);
        if (st != HEXGPU_OK) return st;
    }
    return HEXGPU_OK;
}

hexgpu_status hexgpu_match_run(const hexgpu_match_config *config, hexgpu_match_on_game on_game, void *user,
                               hexgpu_match_result *result, hexgpu_error *err) {
    memset(result, 0, sizeof *result);
    hexgpu_status st = check_config(config, err);
    if (st != HEXGPU_OK) return st;
    match m = {.config = config, .on_game = on_game, .user = user, .result = result};
    double t0 = hexgpu_timer_now_seconds();
    m.pie_count = hexgpu_selfplay_pie_openings(config->board_size, m.pie);
    m.games = calloc((size_t)(config->games > 0 ? config->games : 1), sizeof *m.games);
    if (!m.games)
        return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "match: cannot allocate %lld games",
                                (long long)config->games);
    hexgpu_game_runner_config run = {.players = config->players, .player_count = 2, .board_size = config->board_size,
                                     .games = config->games, .games_in_flight = config->games_in_flight,
                                     .leaves_per_game = config->leaves_per_game, .seed = config->seed,
                                     .reply_seconds = config->reply_seconds, .interrupt = config->interrupt,
                                     .setup = setup_game, .done = game_done, .user = &m};
    st = hexgpu_game_runner_run(&run, result->names, &result->interrupted, err);
    result->seconds = hexgpu_timer_now_seconds() - t0;
    if (!m.decided) count_the_rest(&m);
    /* Only the counted games are kept (an SPRT stop drops those past the decision). */
    for (int64_t i = result->games; i < config->games; i++) free(m.games[i].record);
    result->list = m.games;
    return st;
}

void hexgpu_match_result_free(hexgpu_match_result *result) {
    for (int64_t i = 0; result->list && i < result->games; i++) free(result->list[i].record);
    free(result->list);
    result->list = NULL;
}
