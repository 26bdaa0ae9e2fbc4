/* The game runner (game_runner.h): one thread, a set of game slots whose searches'
 * leaves go to their players' engines through one completion queue; external players
 * answer in turn. Moved here from the match driver so matches and tournaments play their
 * games with the same code. */
#include "play/game_runner.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/interrupt.h"
#include "base/status.h"
#include "base/timer.h"
#include "hex/board.h"
#include "hex/trmph.h"
#include "htp/htp.h"
#include "htp/htp_client.h"
#include "search/move_search.h"

/* One of a game's two players: the search is kept from game to game while the seat's
 * player stays the same (a match's players only change colours). */
typedef struct seat {
    int player;         /* -1 before the first game */
    int has_search;
    hexgpu_move_search search; /* players of ours */
    int told;           /* external players: moves of this game it has seen */
} seat;

/* One game in progress. */
typedef struct slot {
    int active, searching, resigned;
    int64_t index;
    hexgpu_color resign_winner;
    hexgpu_board board;
    hexgpu_rng rng;
    seat seats[2];
    int seat_of[2]; /* by colour (0 Blue, 1 Red): the seat playing it */
} slot;

typedef struct runner {
    const hexgpu_game_runner_config *config;
    char (*names)[128];
    int interrupted;
    hexgpu_htp_client **client; /* [player_count]; NULL for players of ours */
    int *engine_of;             /* [player_count]: index into engines, -1 for an external player */
    hexgpu_engine **engines;    /* [player_count]: the distinct engines */
    int engine_count;
    hexgpu_request **requests;  /* [engine_count][slot_count * leaves] */
    size_t *request_count;
    hexgpu_completion *done;
    hexgpu_queue *queue;
    slot *slots;
    int slot_count, leaves;
    int64_t next_game;
    int stop;
} runner;

static seat *seat_to_move(slot *s) {
    return &s->seats[s->seat_of[hexgpu_board_to_move(&s->board) == HEXGPU_BLUE ? 0 : 1]];
}

static const char *color_word(hexgpu_color c) { return c == HEXGPU_BLUE ? "black" : "white"; }

hexgpu_status hexgpu_game_player_check(const hexgpu_game_player *pl, int board_size, const char *what,
                                       const char *label, hexgpu_error *err) {
    if (!pl->engine == !pl->command)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "%s: player %s needs an engine or a command", what,
                                label);
    if (pl->engine && hexgpu_engine_board_size(pl->engine) != board_size)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "%s: player %s's network plays %dx%d, the %s %dx%d",
                                what, label, hexgpu_engine_board_size(pl->engine),
                                hexgpu_engine_board_size(pl->engine), what, board_size, board_size);
    if (pl->engine && pl->mcts.simulations < 1)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "%s: player %s needs simulations >= 1", what, label);
    return HEXGPU_OK;
}

/* ------------------------------------------------------------------ external players */

static hexgpu_status ask(runner *r, int p, const char *command, char *reply, size_t cap, hexgpu_error *err) {
    int ok = 0;
    hexgpu_status st = hexgpu_htp_client_send(r->client[p], command, r->config->reply_seconds, &ok, reply, cap, err);
    if (st == HEXGPU_OK && !ok)
        return hexgpu_error_set(err, HEXGPU_ERR_IO, "opponent '%s' refused '%s': %s", r->config->players[p].command,
                                command, reply);
    return st;
}

/* Sends an external player the moves of its game it has not seen yet. */
static hexgpu_status tell(runner *r, slot *s, seat *t, hexgpu_error *err) {
    for (int i = t->told; i < hexgpu_board_move_count(&s->board); i++) {
        char name[4], command[32], reply[256];
        hexgpu_trmph_cell_name(s->board.moves[i], s->board.size, name);
        snprintf(command, sizeof command, "play %s %s", color_word(i % 2 ? HEXGPU_RED : HEXGPU_BLUE), name);
        hexgpu_status st = ask(r, t->player, command, reply, sizeof reply, err);
        if (st != HEXGPU_OK) return st;
    }
    t->told = hexgpu_board_move_count(&s->board);
    return HEXGPU_OK;
}

static hexgpu_status external_move(runner *r, slot *s, seat *t, hexgpu_error *err) {
    hexgpu_status st = tell(r, s, t, err);
    if (st != HEXGPU_OK) return st;
    hexgpu_color color = hexgpu_board_to_move(&s->board);
    char command[32], reply[256];
    snprintf(command, sizeof command, "genmove %s", color_word(color));
    if ((st = ask(r, t->player, command, reply, sizeof reply, err)) != HEXGPU_OK) return st;
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
                                r->config->players[t->player].command, command, (long long)s->index, move);
    t->told = hexgpu_board_move_count(&s->board); /* genmove played it on its own board */
    return HEXGPU_OK;
}

/* At the end of a connected game each external player must score it as the rules do. */
static hexgpu_status check_score(runner *r, slot *s, seat *t, hexgpu_error *err) {
    hexgpu_status st = tell(r, s, t, err);
    if (st != HEXGPU_OK) return st;
    char reply[256];
    int ok = 0;
    st = hexgpu_htp_client_send(r->client[t->player], "final_score", r->config->reply_seconds, &ok, reply,
                                sizeof reply, err);
    if (st != HEXGPU_OK || !ok) return st; /* an engine without final_score is not checked */
    const char *want = hexgpu_board_winner(&s->board) == HEXGPU_BLUE ? "B+" : "W+";
    if (strncmp(reply, want, 2) != 0)
        return hexgpu_error_set(err, HEXGPU_ERR_IO, "opponent '%s' scores game %lld as '%s', the rules say %s",
                                r->config->players[t->player].command, (long long)s->index, reply, want);
    return HEXGPU_OK;
}

/* ------------------------------------------------------------------ games */

/* Seats the game's two players: a player already seated in the slot keeps its seat (and
 * its search); a new one gets a search with its own settings. */
static hexgpu_status seat_players(runner *r, slot *s, const hexgpu_game_setup *setup, hexgpu_error *err) {
    const int want[2] = {setup->blue, setup->red};
    int taken[2] = {0, 0};
    s->seat_of[0] = s->seat_of[1] = -1;
    for (int c = 0; c < 2; c++)
        for (int k = 0; k < 2 && s->seat_of[c] < 0; k++)
            if (!taken[k] && s->seats[k].player == want[c]) s->seat_of[c] = k, taken[k] = 1;
    for (int c = 0; c < 2; c++) {
        if (s->seat_of[c] >= 0) continue;
        int k = taken[0] ? 1 : 0;
        seat *t = &s->seats[k];
        s->seat_of[c] = k, taken[k] = 1;
        if (t->has_search) hexgpu_move_search_destroy(&t->search);
        t->has_search = 0;
        t->player = want[c];
        if (r->engine_of[want[c]] < 0) continue;
        hexgpu_status st = hexgpu_move_search_create(&t->search, &r->config->players[want[c]].mcts, r->leaves,
                                                     r->config->board_size, err);
        if (st != HEXGPU_OK) {
            t->player = -1;
            return st;
        }
        t->has_search = 1;
    }
    return HEXGPU_OK;
}

static hexgpu_status start_game(runner *r, slot *s, hexgpu_error *err) {
    const hexgpu_game_runner_config *c = r->config;
    if (hexgpu_interrupt_is_set(c->interrupt)) r->stop = 1, r->interrupted = 1;
    s->active = !r->stop && r->next_game < c->games;
    if (!s->active) return HEXGPU_OK;
    s->index = r->next_game++;
    hexgpu_game_setup setup = {.blue = 0, .red = 1, .opening = -1};
    c->setup(c->user, s->index, &setup);
    if (setup.blue == setup.red || setup.blue < 0 || setup.red < 0 || setup.blue >= c->player_count ||
        setup.red >= c->player_count)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "game %lld: players %d and %d of %d",
                                (long long)s->index, setup.blue, setup.red, c->player_count);
    hexgpu_status st = seat_players(r, s, &setup, err);
    if (st != HEXGPU_OK) return st;
    s->searching = s->resigned = 0;
    s->rng.state = c->seed * 0x9e3779b97f4a7c15ull ^ (uint64_t)s->index * 0xd1b54a32d192ed03ull;
    hexgpu_rng_next(&s->rng);
    hexgpu_board_init(&s->board, c->board_size, NULL);
    if (setup.opening >= 0 && hexgpu_board_play(&s->board, setup.opening, NULL) != HEXGPU_OK)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "game %lld: opening cell %d is not on the board",
                                (long long)s->index, setup.opening);
    char reply[256];
    for (int k = 0; k < 2; k++) {
        seat *t = &s->seats[k];
        if (!r->client[t->player]) continue;
        t->told = 0;
        if ((st = ask(r, t->player, "clear_board", reply, sizeof reply, err)) != HEXGPU_OK) return st;
    }
    return HEXGPU_OK;
}

static hexgpu_status finish_game(runner *r, slot *s, hexgpu_error *err) {
    hexgpu_status st = HEXGPU_OK;
    for (int k = 0; k < 2 && !s->resigned && st == HEXGPU_OK; k++)
        if (r->client[s->seats[k].player]) st = check_score(r, s, &s->seats[k], err);
    if (st != HEXGPU_OK) return st;
    char record[HEXGPU_TRMPH_MAX];
    size_t length;
    if (s->resigned) hexgpu_trmph_format(&s->board, record, sizeof record);
    else if ((st = hexgpu_trmph_format_record(&s->board, record, sizeof record, &length, err)) != HEXGPU_OK) return st;
    hexgpu_game_played g = {.index = s->index, .blue = s->seats[s->seat_of[0]].player,
                            .red = s->seats[s->seat_of[1]].player, .resigned = s->resigned,
                            .winner = s->resigned ? s->resign_winner : hexgpu_board_winner(&s->board),
                            .moves = hexgpu_board_move_count(&s->board), .record = record};
    int stop = 0;
    st = r->config->done(r->config->user, &g, &stop, err);
    if (stop) r->stop = 1;
    return st;
}

/* Moves slot i on until its search has leaves for the engine (returns how many were
 * added to that engine's requests) or it has no game left (0); -1 on failure. */
static int advance(runner *r, int i, hexgpu_error *err) {
    slot *s = &r->slots[i];
    while (s->active) {
        if (s->resigned || hexgpu_board_winner(&s->board) != HEXGPU_NONE) {
            if (finish_game(r, s, err) != HEXGPU_OK || start_game(r, s, err) != HEXGPU_OK) return -1;
            continue;
        }
        seat *t = seat_to_move(s);
        if (r->client[t->player]) {
            if (external_move(r, s, t, err) != HEXGPU_OK) return -1;
            continue;
        }
        hexgpu_move_search *search = &t->search;
        if (!s->searching) {
            double seconds = r->config->players[t->player].move_seconds;
            hexgpu_move_search_begin(search, &s->board, &s->rng,
                                     seconds > 0.0 ? hexgpu_timer_now_seconds() + seconds : 0.0);
            s->searching = 1;
        }
        int e = r->engine_of[t->player];
        int n = hexgpu_move_search_gather(search, r->requests[e] + r->request_count[e],
                                          (uint64_t)i * (uint64_t)r->leaves, err);
        if (n < 0) return -1;
        if (n > 0) {
            r->request_count[e] += (size_t)n;
            return n;
        }
        hexgpu_board_play(&s->board, hexgpu_move_search_choose(search, NULL), NULL);
        s->searching = 0;
    }
    return 0;
}

/* Rounds: every slot with nothing in flight moves on, the leaves go to their engines in
 * one submit per engine, then the completions are handed back to their searches. */
static hexgpu_status play(runner *r, hexgpu_error *err) {
    size_t cap = (size_t)r->slot_count * (size_t)r->leaves;
    for (int i = 0; i < r->slot_count; i++) {
        hexgpu_status st = start_game(r, &r->slots[i], err);
        if (st != HEXGPU_OK) return st;
    }
    for (;;) {
        if (hexgpu_interrupt_is_set(r->config->interrupt)) r->stop = 1, r->interrupted = 1;
        for (int e = 0; e < r->engine_count; e++) r->request_count[e] = 0;
        int active = 0;
        for (int i = 0; i < r->slot_count && !r->stop; i++) {
            slot *s = &r->slots[i];
            if (s->active && s->searching && seat_to_move(s)->search.outstanding > 0) {
                active = 1;
                continue;
            }
            if (advance(r, i, err) < 0) return err->status;
            active |= s->active;
        }
        if (r->stop || !active) return HEXGPU_OK;
        for (int e = 0; e < r->engine_count; e++) {
            if (r->request_count[e] == 0) continue;
            hexgpu_status st = hexgpu_engine_submit(r->engines[e], r->queue, r->requests[e], r->request_count[e], err);
            if (st != HEXGPU_OK) return st;
        }
        size_t got = 0;
        if (hexgpu_queue_outstanding(r->queue) == 0) continue;
        hexgpu_queue_wait(r->queue, r->done, cap, -1, &got);
        for (size_t c = 0; c < got; c++) {
            if (r->done[c].status != HEXGPU_OK) {
                hexgpu_queue_last_error(r->queue, err);
                return err->status != HEXGPU_OK ? err->status : r->done[c].status;
            }
            slot *s = &r->slots[r->done[c].tag / (uint64_t)r->leaves];
            hexgpu_move_search_arrived(&seat_to_move(s)->search);
        }
    }
}

/* ------------------------------------------------------------------ set-up */

/* Starts the external players: their name, the board size, no swap. */
static hexgpu_status start_clients(runner *r, hexgpu_error *err) {
    const hexgpu_game_runner_config *c = r->config;
    char command[64], name[128], version[128];
    for (int p = 0; p < c->player_count; p++) {
        if (!c->players[p].command) continue;
        hexgpu_status st = hexgpu_htp_client_start(c->players[p].command, c->interrupt, &r->client[p], err);
        if (st != HEXGPU_OK) return st;
        if ((st = ask(r, p, "name", name, sizeof name, err)) != HEXGPU_OK) return st;
        int ok = 0;
        st = hexgpu_htp_client_send(r->client[p], "version", c->reply_seconds, &ok, version, sizeof version, err);
        if (st != HEXGPU_OK) return st;
        if (r->names)
            snprintf(r->names[p], sizeof r->names[p], "%.80s%s%.40s", name, ok && version[0] ? " " : "",
                     ok ? version : "");
        snprintf(command, sizeof command, "boardsize %d %d", c->board_size, c->board_size);
        if ((st = ask(r, p, command, name, sizeof name, err)) != HEXGPU_OK) return st;
        /* The opening stone is given, so the swap is off; an engine without the
         * parameter plays without swap anyway. */
        st = hexgpu_htp_client_send(r->client[p], "param_game allow_swap 0", c->reply_seconds, &ok, name, sizeof name,
                                    err);
        if (st != HEXGPU_OK) return st;
    }
    return HEXGPU_OK;
}

static hexgpu_status allocate(runner *r, hexgpu_error *err) {
    const hexgpu_game_runner_config *c = r->config;
    size_t players = (size_t)c->player_count;
    r->client = calloc(players, sizeof *r->client);
    r->engine_of = calloc(players, sizeof *r->engine_of);
    r->engines = calloc(players, sizeof *r->engines);
    r->requests = calloc(players, sizeof *r->requests);
    r->request_count = calloc(players, sizeof *r->request_count);
    if (!r->client || !r->engine_of || !r->engines || !r->requests || !r->request_count)
        return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "games: cannot allocate %d players", c->player_count);
    int ours = 1;
    for (int p = 0; p < c->player_count; p++) {
        r->engine_of[p] = -1;
        if (!c->players[p].engine) {
            ours = 0;
            continue;
        }
        for (int e = 0; e < r->engine_count; e++)
            if (r->engines[e] == c->players[p].engine) r->engine_of[p] = e;
        if (r->engine_of[p] < 0) r->engine_of[p] = r->engine_count, r->engines[r->engine_count++] = c->players[p].engine;
    }
    int64_t slots = ours ? c->games_in_flight : 1;
    r->slot_count = (int)(slots < c->games ? slots : c->games);
    r->leaves = c->leaves_per_game;
    size_t per_engine = (size_t)(r->slot_count > 0 ? r->slot_count : 1) * (size_t)r->leaves;
    r->slots = calloc((size_t)(r->slot_count > 0 ? r->slot_count : 1), sizeof *r->slots);
    r->done = malloc(per_engine * sizeof *r->done);
    int ok = r->slots && r->done;
    for (int e = 0; e < r->engine_count && ok; e++)
        ok = (r->requests[e] = malloc(per_engine * sizeof **r->requests)) != NULL;
    if (!ok)
        return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "games: cannot allocate %d games in flight",
                                r->slot_count);
    for (int i = 0; i < r->slot_count; i++) r->slots[i].seats[0].player = r->slots[i].seats[1].player = -1;
    return hexgpu_queue_create(&r->queue, err);
}

static void release(runner *r) {
    hexgpu_queue_destroy(r->queue); /* waits for requests in flight: their outputs are in the slots */
    for (int p = 0; r->client && p < r->config->player_count; p++) hexgpu_htp_client_stop(r->client[p]);
    for (int i = 0; r->slots && i < r->slot_count; i++)
        for (int k = 0; k < 2; k++)
            if (r->slots[i].seats[k].has_search) hexgpu_move_search_destroy(&r->slots[i].seats[k].search);
    for (int e = 0; r->requests && e < r->engine_count; e++) free(r->requests[e]);
    free(r->slots), free(r->done), free(r->requests), free(r->request_count), free(r->engines), free(r->engine_of);
    free(r->client);
}

hexgpu_status hexgpu_game_runner_run(const hexgpu_game_runner_config *config, char (*names)[128], int *interrupted,
                                     hexgpu_error *err) {
    runner r = {.config = config, .names = names};
    if (interrupted) *interrupted = 0;
    if (config->player_count < 2 || !config->players || !config->setup || !config->done)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "games: two players or more and both callbacks needed");
    hexgpu_status st = allocate(&r, err);
    if (st == HEXGPU_OK) st = start_clients(&r, err);
    if (st == HEXGPU_OK) st = play(&r, err);
    if (st == HEXGPU_ERR_CLOSED && hexgpu_interrupt_is_set(config->interrupt)) {
        /* A wait on an external engine cut short by the interrupt: a stop, not a failure;
         * the games finished so far count. */
        st = HEXGPU_OK, r.interrupted = 1;
        hexgpu_error_clear(err);
    }
    release(&r);
    if (interrupted) *interrupted = r.interrupted;
    return st;
}
