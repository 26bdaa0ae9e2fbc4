/* The match driver: one thread, a set of game slots whose searches' leaves go to their
 * players' engines through one completion queue; external players answer in turn. Game
 * results are counted in index order, so an early stop is reproducible. */
#include "play/match.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/timer.h"
#include "base/status.h"
#include "hex/board.h"
#include "htp/htp.h"
#include "htp/htp_client.h"
#include "search/move_search.h"
#include "play/selfplay.h"
#include "hex/trmph.h"
#include "base/interrupt.h"

void hexgpu_match_config_default(hexgpu_match_config *c) {
    *c = (hexgpu_match_config){.board_size = 13, .games = 48, .games_in_flight = 16, .leaves_per_game = 4,
                               .seed = 1, .sprt = {0.0, 35.0, 0.05, 0.05}, .reply_seconds = 600.0};
    for (int p = 0; p < 2; p++) {
        hexgpu_mcts_config_default(&c->players[p].mcts);
        c->players[p].mcts.dirichlet_epsilon = 0.0f; /* the temperature gives the games variety */
    }
}

/* One game in progress. */
typedef struct slot {
    int active, searching, resigned;
    int64_t index;
    int a_blue;
    hexgpu_color resign_winner;
    hexgpu_board board;
    hexgpu_rng rng;
    hexgpu_move_search search[2]; /* per player of ours */
    int told[2];                  /* per external player: moves of this game it has seen */
} slot;

typedef struct match {
    const hexgpu_match_config *config;
    hexgpu_match_on_game on_game;
    void *user;
    hexgpu_match_result *result;
    hexgpu_htp_client *client[2];
    int engine_of[2]; /* index into engines, -1 for an external player */
    hexgpu_engine *engines[2];
    int engine_count;
    hexgpu_request *requests[2];
    size_t request_count[2];
    hexgpu_completion *done;
    hexgpu_queue *queue;
    slot *slots;
    int slot_count, leaves;
    int pie[HEXGPU_MAX_CELLS], pie_count;
    int64_t next_game, counted;
    hexgpu_match_game *games; /* [config->games], by index; record NULL until finished */
    int stop, decided;
} match;

static int player_to_move(const slot *s) {
    return (hexgpu_board_to_move(&s->board) == HEXGPU_BLUE) == s->a_blue ? 0 : 1;
}

static const char *color_word(hexgpu_color c) { return c == HEXGPU_BLUE ? "black" : "white"; }

/* ------------------------------------------------------------------ external players */

static hexgpu_status ask(match *m, int p, const char *command, char *reply, size_t cap, hexgpu_error *err) {
    int ok = 0;
    hexgpu_status st = hexgpu_htp_client_send(m->client[p], command, m->config->reply_seconds, &ok, reply, cap, err);
    if (st == HEXGPU_OK && !ok)
        return hexgpu_error_set(err, HEXGPU_ERR_IO, "opponent '%s' refused '%s': %s",
                                m->config->players[p].command, command, reply);
    return st;
}

/* Sends an external player the moves of its game it has not seen yet. */
static hexgpu_status tell(match *m, slot *s, int p, hexgpu_error *err) {
    for (int i = s->told[p]; i < hexgpu_board_move_count(&s->board); i++) {
        char name[4], command[32], reply[256];
        hexgpu_trmph_cell_name(s->board.moves[i], s->board.size, name);
        snprintf(command, sizeof command, "play %s %s", color_word(i % 2 ? HEXGPU_RED : HEXGPU_BLUE), name);
        hexgpu_status st = ask(m, p, command, reply, sizeof reply, err);
        if (st != HEXGPU_OK) return st;
    }
    s->told[p] = hexgpu_board_move_count(&s->board);
    return HEXGPU_OK;
}

static hexgpu_status external_move(match *m, slot *s, int p, hexgpu_error *err) {
    hexgpu_status st = tell(m, s, p, err);
    if (st != HEXGPU_OK) return st;
    hexgpu_color color = hexgpu_board_to_move(&s->board);
    char command[32], reply[256];
    snprintf(command, sizeof command, "genmove %s", color_word(color));
    if ((st = ask(m, p, command, reply, sizeof reply, err)) != HEXGPU_OK) return st;
    char *move = reply;
    while (isspace((unsigned char)*move)) move++;
    for (char *e = move + strlen(move); e > move && isspace((unsigned char)e[-1]); e--) e[-1] = '\0';
    for (char *c = move; *c; c++) *c = (char)tolower((unsigned char)*c);
    if (strcmp(move, "resign") == 0) {
        s->resigned = 1;
        s->resign_winner = color == HEXGPU_BLUE ? HEXGPU_RED : HEXGPU_BLUE;
        return HEXGPU_OK;
    }
    int cell = hexgpu_htp_parse_cell(move, s->board.size);
    if (cell < 0 || hexgpu_board_play(&s->board, cell, NULL) != HEXGPU_OK)
        return hexgpu_error_set(err, HEXGPU_ERR_IO,
                                "opponent '%s' answered '%s' in game %lld with '%s', not a legal move",
                                m->config->players[p].command, command, (long long)s->index, move);
    s->told[p] = hexgpu_board_move_count(&s->board); /* genmove played it on its own board */
    return HEXGPU_OK;
}

/* At the end of a connected game each external player must score it as the rules do. */
static hexgpu_status check_score(match *m, slot *s, int p, hexgpu_error *err) {
    hexgpu_status st = tell(m, s, p, err);
    if (st != HEXGPU_OK) return st;
    char reply[256];
    int ok = 0;
    st = hexgpu_htp_client_send(m->client[p], "final_score", m->config->reply_seconds, &ok, reply, sizeof reply, err);
    if (st != HEXGPU_OK || !ok) return st; /* an engine without final_score is not checked */
    const char *want = hexgpu_board_winner(&s->board) == HEXGPU_BLUE ? "B+" : "W+";
    if (strncmp(reply, want, 2) != 0)
        return hexgpu_error_set(err, HEXGPU_ERR_IO, "opponent '%s' scores game %lld as '%s', the rules say %s",
                                m->config->players[p].command, (long long)s->index, reply, want);
    return HEXGPU_OK;
}

/* ------------------------------------------------------------------ games */

static hexgpu_status start_game(match *m, slot *s, hexgpu_error *err) {
    const hexgpu_match_config *c = m->config;
    if (hexgpu_interrupt_is_set(c->interrupt)) m->stop = 1, m->result->interrupted = 1;
    s->active = !m->stop && m->next_game < c->games;
    if (!s->active) return HEXGPU_OK;
    s->index = m->next_game++;
    s->a_blue = s->index % 2 == 0;
    s->searching = s->resigned = 0;
    s->rng.state = c->seed * 0x9e3779b97f4a7c15ull ^ (uint64_t)s->index * 0xd1b54a32d192ed03ull;
    hexgpu_rng_next(&s->rng);
    hexgpu_board_init(&s->board, c->board_size, NULL);
    hexgpu_board_play(&s->board, m->pie[(s->index / 2) % m->pie_count], NULL);
    char reply[256];
    for (int p = 0; p < 2; p++) {
        if (!m->client[p]) continue;
        s->told[p] = 0;
        hexgpu_status st = ask(m, p, "clear_board", reply, sizeof reply, err);
        if (st != HEXGPU_OK) return st;
    }
    return HEXGPU_OK;
}

/* Counts finished games in index order from the first not yet counted, deciding the SPRT
 * after each; stops counting once it has decided. */
static void count_games(match *m) {
    hexgpu_match_result *r = m->result;
    while (!m->decided && m->counted < m->next_game && m->games[m->counted].record) {
        const hexgpu_match_game *g = &m->games[m->counted++];
        int a_won = (g->winner == HEXGPU_BLUE) == g->a_blue;
        r->games++, r->moves += g->moves;
        r->a_wins += a_won;
        r->a_blue_games += g->a_blue, r->a_blue_wins += g->a_blue && a_won;
        r->blue_wins += g->winner == HEXGPU_BLUE;
        r->resignations += g->resigned;
        r->verdict = hexgpu_sprt_decide(&m->config->sprt, r->a_wins, r->games - r->a_wins);
        if (m->config->sprt_stop && r->verdict != HEXGPU_SPRT_CONTINUE) {
            m->decided = m->stop = 1;
            r->stopped_early = r->games < m->config->games;
        }
    }
}

static hexgpu_status finish_game(match *m, slot *s, hexgpu_error *err) {
    hexgpu_status st = HEXGPU_OK;
    for (int p = 0; p < 2 && !s->resigned && st == HEXGPU_OK; p++)
        if (m->client[p]) st = check_score(m, s, p, err);
    if (st != HEXGPU_OK) return st;
    char record[HEXGPU_TRMPH_MAX];
    size_t length;
    if (s->resigned) hexgpu_trmph_format(&s->board, record, sizeof record);
    else if ((st = hexgpu_trmph_format_record(&s->board, record, sizeof record, &length, err)) != HEXGPU_OK) return st;
    hexgpu_match_game *g = &m->games[s->index];
    *g = (hexgpu_match_game){.index = s->index, .a_blue = s->a_blue, .resigned = s->resigned,
                             .winner = s->resigned ? s->resign_winner : hexgpu_board_winner(&s->board),
                             .moves = hexgpu_board_move_count(&s->board), .record = strdup(record)};
    if (!g->record) return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "match: out of memory");
    if (m->on_game && (st = m->on_game(m->user, g, err)) != HEXGPU_OK) return st;
    count_games(m);
    return HEXGPU_OK;
}

/* Moves slot i on until its search has leaves for the engine (returns how many were
 * added to that engine's requests) or it has no game left (0); -1 on failure. */
static int advance(match *m, int i, hexgpu_error *err) {
    slot *s = &m->slots[i];
    while (s->active) {
        if (s->resigned || hexgpu_board_winner(&s->board) != HEXGPU_NONE) {
            if (finish_game(m, s, err) != HEXGPU_OK || start_game(m, s, err) != HEXGPU_OK) return -1;
            continue;
        }
        int p = player_to_move(s);
        if (m->client[p]) {
            if (external_move(m, s, p, err) != HEXGPU_OK) return -1;
            continue;
        }
        hexgpu_move_search *search = &s->search[p];
        if (!s->searching) {
            double t = m->config->players[p].move_seconds;
            hexgpu_move_search_begin(search, &s->board, &s->rng, t > 0.0 ? hexgpu_timer_now_seconds() + t : 0.0);
            s->searching = 1;
        }
        int e = m->engine_of[p];
        int n = hexgpu_move_search_gather(search, m->requests[e] + m->request_count[e],
                                          (uint64_t)i * (uint64_t)m->leaves, err);
        if (n < 0) return -1;
        if (n > 0) {
            m->request_count[e] += (size_t)n;
            return n;
        }
        hexgpu_board_play(&s->board, hexgpu_move_search_choose(search, NULL), NULL);
        s->searching = 0;
    }
    return 0;
}

/* Rounds: every slot with nothing in flight moves on, the leaves go to their engines in
 * one submit per engine, then the completions are handed back to their searches. */
static hexgpu_status play(match *m, hexgpu_error *err) {
    size_t cap = (size_t)m->slot_count * (size_t)m->leaves;
    for (int i = 0; i < m->slot_count; i++) {
        hexgpu_status st = start_game(m, &m->slots[i], err);
        if (st != HEXGPU_OK) return st;
    }
    for (;;) {
        if (hexgpu_interrupt_is_set(m->config->interrupt)) m->stop = 1, m->result->interrupted = 1;
        m->request_count[0] = m->request_count[1] = 0;
        int active = 0;
        for (int i = 0; i < m->slot_count && !m->stop; i++) {
            slot *s = &m->slots[i];
            if (s->active && s->searching && s->search[player_to_move(s)].outstanding > 0) {
                active = 1;
                continue;
            }
            if (advance(m, i, err) < 0) return err->status;
            active |= s->active;
        }
        if (m->stop || !active) return HEXGPU_OK;
        for (int e = 0; e < m->engine_count; e++) {
            if (m->request_count[e] == 0) continue;
            hexgpu_status st = hexgpu_engine_submit(m->engines[e], m->queue, m->requests[e], m->request_count[e], err);
            if (st != HEXGPU_OK) return st;
        }
        size_t got = 0;
        if (hexgpu_queue_outstanding(m->queue) == 0) continue;
        hexgpu_queue_wait(m->queue, m->done, cap, -1, &got);
        for (size_t c = 0; c < got; c++) {
            if (m->done[c].status != HEXGPU_OK) {
                hexgpu_queue_last_error(m->queue, err);
                return err->status != HEXGPU_OK ? err->status : m->done[c].status;
            }
            slot *s = &m->slots[m->done[c].tag / (uint64_t)m->leaves];
            hexgpu_move_search_arrived(&s->search[player_to_move(s)]);
        }
    }
}

/* ------------------------------------------------------------------ set-up */

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
        const hexgpu_match_player *pl = &c->players[p];
        if (!pl->engine == !pl->command)
            return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "match: player %c needs an engine or a command",
                                    'A' + p);
        if (pl->engine && hexgpu_engine_board_size(pl->engine) != c->board_size)
            return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT,
                                    "match: player %c's network plays %dx%d, the match %dx%d", 'A' + p,
                                    hexgpu_engine_board_size(pl->engine), hexgpu_engine_board_size(pl->engine),
                                    c->board_size, c->board_size);
        if (pl->engine && pl->mcts.simulations < 1)
            return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "match: player %c needs simulations >= 1",
                                    'A' + p);
    }
    return HEXGPU_OK;
}

/* Starts the external players: their name, the board size, no swap. */
static hexgpu_status start_clients(match *m, hexgpu_error *err) {
    const hexgpu_match_config *c = m->config;
    char command[64], name[128], version[128];
    for (int p = 0; p < 2; p++) {
        if (!c->players[p].command) continue;
        hexgpu_status st = hexgpu_htp_client_start(c->players[p].command, c->interrupt, &m->client[p], err);
        if (st != HEXGPU_OK) return st;
        if ((st = ask(m, p, "name", name, sizeof name, err)) != HEXGPU_OK) return st;
        int ok = 0;
        st = hexgpu_htp_client_send(m->client[p], "version", c->reply_seconds, &ok, version, sizeof version, err);
        if (st != HEXGPU_OK) return st;
        snprintf(m->result->names[p], sizeof m->result->names[p], "%.80s%s%.40s", name, ok && version[0] ? " " : "",
                 ok ? version : "");
        snprintf(command, sizeof command, "boardsize %d %d", c->board_size, c->board_size);
        if ((st = ask(m, p, command, name, sizeof name, err)) != HEXGPU_OK) return st;
        /* The opening stone is given, so the swap is off; an engine without the
         * parameter plays without swap anyway. */
        st = hexgpu_htp_client_send(m->client[p], "param_game allow_swap 0", c->reply_seconds, &ok, name, sizeof name,
                                    err);
        if (st != HEXGPU_OK) return st;
    }
    return HEXGPU_OK;
}

static hexgpu_status allocate(match *m, hexgpu_error *err) {
    const hexgpu_match_config *c = m->config;
    for (int p = 0; p < 2; p++) {
        m->engine_of[p] = -1;
        if (!c->players[p].engine) continue;
        for (int e = 0; e < m->engine_count; e++)
            if (m->engines[e] == c->players[p].engine) m->engine_of[p] = e;
        if (m->engine_of[p] < 0)
            m->engine_of[p] = m->engine_count, m->engines[m->engine_count++] = c->players[p].engine;
    }
    int ours = m->engine_of[0] >= 0 && m->engine_of[1] >= 0;
    int64_t slots = ours ? c->games_in_flight : 1;
    m->slot_count = (int)(slots < c->games ? slots : c->games);
    m->leaves = c->leaves_per_game;
    size_t per_engine = (size_t)(m->slot_count > 0 ? m->slot_count : 1) * (size_t)m->leaves;
    m->pie_count = hexgpu_selfplay_pie_openings(c->board_size, m->pie);
    m->games = calloc((size_t)(c->games > 0 ? c->games : 1), sizeof *m->games);
    m->slots = calloc((size_t)(m->slot_count > 0 ? m->slot_count : 1), sizeof *m->slots);
    m->done = malloc(per_engine * sizeof *m->done);
    int ok = m->games && m->slots && m->done;
    for (int e = 0; e < m->engine_count && ok; e++)
        ok = (m->requests[e] = malloc(per_engine * sizeof **m->requests)) != NULL;
    if (!ok)
        return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "match: cannot allocate %lld games",
                                (long long)c->games);
    for (int i = 0; i < m->slot_count; i++)
        for (int p = 0; p < 2; p++) {
            if (m->engine_of[p] < 0) continue;
            hexgpu_status st = hexgpu_move_search_create(&m->slots[i].search[p], &c->players[p].mcts, m->leaves,
                                                         c->board_size, err);
            if (st != HEXGPU_OK) return st;
        }
    return hexgpu_queue_create(&m->queue, err);
}

static void release(match *m) {
    hexgpu_queue_destroy(m->queue); /* waits for requests in flight: their outputs are in the slots */
    for (int p = 0; p < 2; p++) hexgpu_htp_client_stop(m->client[p]);
    for (int i = 0; m->slots && i < m->slot_count; i++)
        for (int p = 0; p < 2; p++) hexgpu_move_search_destroy(&m->slots[i].search[p]);
    free(m->slots), free(m->done), free(m->requests[0]), free(m->requests[1]);
}

hexgpu_status hexgpu_match_run(const hexgpu_match_config *config, hexgpu_match_on_game on_game, void *user,
                               hexgpu_match_result *result, hexgpu_error *err) {
    memset(result, 0, sizeof *result);
    hexgpu_status st = check_config(config, err);
    if (st != HEXGPU_OK) return st;
    match m = {.config = config, .on_game = on_game, .user = user, .result = result};
    double t0 = hexgpu_timer_now_seconds();
    st = allocate(&m, err);
    if (st == HEXGPU_OK) st = start_clients(&m, err);
    if (st == HEXGPU_OK) st = play(&m, err);
    if (st == HEXGPU_ERR_CLOSED && hexgpu_interrupt_is_set(config->interrupt)) {
        /* A wait on an external engine cut short by the interrupt: a stop, not a failure;
         * the games finished so far count. */
        st = HEXGPU_OK, result->interrupted = 1;
        hexgpu_error_clear(err);
    }
    release(&m);
    result->seconds = hexgpu_timer_now_seconds() - t0;
    /* Only the counted games are kept. */
    for (int64_t i = result->games; m.games && i < config->games; i++) free(m.games[i].record);
    result->list = m.games;
    return st;
}

void hexgpu_match_result_free(hexgpu_match_result *result) {
    for (int64_t i = 0; result->list && i < result->games; i++) free(result->list[i].record);
    free(result->list);
    result->list = NULL;
}
