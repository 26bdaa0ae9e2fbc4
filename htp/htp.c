/* HTP sessions: line framing (GTP's preprocessing, ids, replies), the game with the swap
 * rule, and the commands that do not search. */
#include "htp/htp.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/status.h"
#include "hex/board_draw.h"
#include "htp_impl.h"
#include "hex/trmph.h"

#define MAX_ARGS 16

void hexgpu_htp_config_default(hexgpu_htp_config *config) {
    *config = (hexgpu_htp_config){.leaves = 8};
    hexgpu_mcts_config_default(&config->mcts);
    config->mcts.simulations = 400;
    config->mcts.temperature = 0.0f;
    config->mcts.temperature_end = 0.0f;
    config->mcts.dirichlet_epsilon = 0.0f;
}

/* ------------------------------------------------------------------ reply text */

static void put_va(hexgpu_htp *h, const char *fmt, va_list ap) {
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(h->body + h->body_len, h->body_cap - h->body_len, fmt, copy);
    va_end(copy);
    if (n < 0) return;
    if (h->body_len + (size_t)n + 1 > h->body_cap) {
        size_t cap = h->body_cap * 2;
        while (cap < h->body_len + (size_t)n + 1) cap *= 2;
        char *grown = realloc(h->body, cap);
        if (!grown) { /* keep what fits: a reply cut short beats dying on protocol input */
            h->body_len = h->body_cap - 1;
            return;
        }
        h->body = grown, h->body_cap = cap;
        vsnprintf(h->body + h->body_len, h->body_cap - h->body_len, fmt, ap);
    }
    h->body_len += (size_t)n;
}

void hexgpu_htp_put(hexgpu_htp *h, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    put_va(h, fmt, ap);
    va_end(ap);
}

int hexgpu_htp_fail(hexgpu_htp *h, const char *fmt, ...) {
    h->body_len = 0;
    h->body[0] = '\0';
    va_list ap;
    va_start(ap, fmt);
    put_va(h, fmt, ap);
    va_end(ap);
    return -1;
}

const char *hexgpu_htp_quote(hexgpu_htp *h, const char *text) {
    if (strnlen(text, HEXGPU_HTP_QUOTE + 1) <= HEXGPU_HTP_QUOTE) return text;
    char *copy = h->quotes[h->next_quote];
    h->next_quote ^= 1;
    snprintf(copy, sizeof h->quotes[0], "%.*s...", HEXGPU_HTP_QUOTE, text);
    return copy;
}

/* ------------------------------------------------------------------ the game */

int hexgpu_htp_map_cell(const hexgpu_htp *h, int cell) {
    return h->swapped ? (cell % h->size) * h->size + cell / h->size : cell;
}

void hexgpu_htp_cell_name(const hexgpu_htp *h, int cell, char *name) {
    hexgpu_trmph_cell_name(hexgpu_htp_map_cell(h, cell), h->size, name);
}

const char *hexgpu_htp_color_name(int color) { return color == HTP_BLACK ? "black" : "white"; }

/* 1 when text is word in any case (word is lower case). */
static int is_word(const char *text, const char *word) {
    size_t n = strlen(word);
    if (strlen(text) != n) return 0;
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)text[i]) != word[i]) return 0;
    return 1;
}

int hexgpu_htp_parse_color(const char *text) {
    if (is_word(text, "b") || is_word(text, "black")) return HTP_BLACK;
    if (is_word(text, "w") || is_word(text, "white")) return HTP_WHITE;
    return -1;
}

int hexgpu_htp_color_argument(hexgpu_htp *h, const char *text) {
    int color = hexgpu_htp_parse_color(text);
    if (color < 0) return hexgpu_htp_fail(h, "'%s' is not a colour (black, white, b or w)", hexgpu_htp_quote(h, text));
    return color;
}

int hexgpu_htp_to_move(const hexgpu_htp *h) { return (int)hexgpu_board_to_move(&h->board) ^ h->swapped; }

int hexgpu_htp_winner(const hexgpu_htp *h) {
    hexgpu_color w = hexgpu_board_winner(&h->board);
    return w == HEXGPU_NONE ? -1 : (int)w ^ h->swapped;
}

int hexgpu_htp_swap_legal(const hexgpu_htp *h) {
    return h->allow_swap && !h->swapped && hexgpu_board_move_count(&h->board) == 1 &&
           hexgpu_board_winner(&h->board) == HEXGPU_NONE;
}

static void new_game(hexgpu_htp *h) {
    hexgpu_board_init(&h->board, h->size, NULL);
    h->swapped = 0;
    h->searched = 0;
}

int hexgpu_htp_parse_cell(const char *text, int size) {
    int col = tolower((unsigned char)text[0]) - 'a';
    if (col < 0 || col >= size || !isdigit((unsigned char)text[1]) || text[1] == '0') return -1;
    int row = 0;
    for (const char *p = text + 1; *p; p++) {
        if (!isdigit((unsigned char)*p) || row > 100) return -1;
        row = row * 10 + (*p - '0');
    }
    return row >= 1 && row <= size ? (row - 1) * size + col : -1;
}

/* ------------------------------------------------------------------ commands */

static int cmd_name(hexgpu_htp *h, int argc, char **argv) {
    (void)argc, (void)argv;
    hexgpu_htp_put(h, "hexgpu");
    return 0;
}

static int cmd_version(hexgpu_htp *h, int argc, char **argv) {
    (void)argc, (void)argv;
    hexgpu_htp_put(h, "%s", hexgpu_version());
    return 0;
}

static int cmd_protocol_version(hexgpu_htp *h, int argc, char **argv) {
    (void)argc, (void)argv;
    hexgpu_htp_put(h, "2");
    return 0;
}

static int cmd_quit(hexgpu_htp *h, int argc, char **argv) {
    (void)h, (void)argc, (void)argv;
    return 0;
}

static int cmd_known_command(hexgpu_htp *h, int argc, char **argv);
static int cmd_list_commands(hexgpu_htp *h, int argc, char **argv);

static int cmd_boardsize(hexgpu_htp *h, int argc, char **argv) {
    if (argc < 2 || argc > 3) return hexgpu_htp_fail(h, "boardsize takes one or two sizes");
    int size[2] = {0, 0};
    for (int i = 1; i < argc; i++) {
        char *end;
        long v = strtol(argv[i], &end, 10);
        if (end == argv[i] || *end || v < 1 || v > 1000)
            return hexgpu_htp_fail(h, "boardsize: '%s' is not a size", hexgpu_htp_quote(h, argv[i]));
        size[i - 1] = (int)v;
    }
    if (argc == 2) size[1] = size[0];
    if (size[0] != h->size || size[1] != h->size)
        return hexgpu_htp_fail(h, "unacceptable size %dx%d: the network plays %dx%d only", size[0], size[1], h->size,
                               h->size);
    new_game(h);
    return 0;
}

static int cmd_clear_board(hexgpu_htp *h, int argc, char **argv) {
    (void)argc, (void)argv;
    new_game(h);
    return 0;
}

static int cmd_play(hexgpu_htp *h, int argc, char **argv) {
    if (argc != 3) return hexgpu_htp_fail(h, "play takes a colour and a move, e.g. 'play black a1'");
    int color = hexgpu_htp_color_argument(h, argv[1]);
    if (color < 0) return -1;
    const char *move = hexgpu_htp_quote(h, argv[2]), *who = hexgpu_htp_color_name(color);
    if (is_word(argv[2], "resign")) return 0; /* as benzene: a resignation changes nothing on the board */
    if (hexgpu_htp_winner(h) >= 0) return hexgpu_htp_fail(h, "illegal move: %s %s (the game is over)", who, move);
    if (color != hexgpu_htp_to_move(h))
        return hexgpu_htp_fail(h, "illegal move: %s %s (%s is to move)", who, move,
                               hexgpu_htp_color_name(hexgpu_htp_to_move(h)));
    if (is_word(argv[2], "swap-pieces")) {
        if (!hexgpu_htp_swap_legal(h))
            return hexgpu_htp_fail(h, "illegal move: %s swap-pieces (%s)", who,
                                   !h->allow_swap ? "swap is off: param_game allow_swap 1"
                                                  : "only as the second move of the game");
        h->swapped = 1; /* the board stays; the colours and cells are read the other way round */
        return 0;
    }
    int cell = hexgpu_htp_parse_cell(argv[2], h->size);
    if (cell >= 0) cell = hexgpu_htp_map_cell(h, cell);
    if (cell < 0)
        return hexgpu_htp_fail(h, "illegal move: %s %s (not a cell of the %dx%d board)", who, move, h->size, h->size);
    if (hexgpu_board_play(&h->board, cell, NULL) != HEXGPU_OK)
        return hexgpu_htp_fail(h, "illegal move: %s %s (occupied)", who, move);
    return 0;
}

static int cmd_undo(hexgpu_htp *h, int argc, char **argv) {
    (void)argc, (void)argv;
    if (h->swapped && hexgpu_board_move_count(&h->board) == 1) {
        h->swapped = 0;
        return 0;
    }
    if (hexgpu_board_undo(&h->board, NULL) != HEXGPU_OK) return hexgpu_htp_fail(h, "cannot undo: no move played");
    return 0;
}

static int cmd_showboard(hexgpu_htp *h, int argc, char **argv) {
    (void)argc, (void)argv;
    char marks[HEXGPU_MAX_CELLS], text[4096];
    for (int cell = 0; cell < h->size * h->size; cell++) {
        hexgpu_color s = hexgpu_board_at(&h->board, hexgpu_htp_map_cell(h, cell));
        marks[cell] = s == HEXGPU_NONE ? '.' : ((int)s ^ h->swapped) == HTP_BLACK ? 'B' : 'W';
    }
    hexgpu_board_draw(marks, h->size, text, sizeof text);
    hexgpu_htp_put(h, "\n%sB = black (top-bottom), W = white (left-right); ", text);
    if (hexgpu_htp_winner(h) >= 0) hexgpu_htp_put(h, "%s has won", hexgpu_htp_color_name(hexgpu_htp_winner(h)));
    else hexgpu_htp_put(h, "%s to move", hexgpu_htp_color_name(hexgpu_htp_to_move(h)));
    if (h->swapped) hexgpu_htp_put(h, " (swapped)");
    return 0;
}

static int cmd_final_score(hexgpu_htp *h, int argc, char **argv) {
    (void)argc, (void)argv;
    int w = hexgpu_htp_winner(h);
    hexgpu_htp_put(h, "%s", w == HTP_BLACK ? "B+" : w == HTP_WHITE ? "W+" : "cannot score");
    return 0;
}

static int cmd_all_legal_moves(hexgpu_htp *h, int argc, char **argv) {
    (void)argv;
    if (argc > 2) return hexgpu_htp_fail(h, "all_legal_moves takes at most a colour");
    const char *sep = "";
    for (int cell = 0; cell < h->size * h->size; cell++) {
        if (!hexgpu_board_is_legal(&h->board, hexgpu_htp_map_cell(h, cell))) continue;
        char name[4];
        hexgpu_trmph_cell_name(cell, h->size, name);
        hexgpu_htp_put(h, "%s%s", sep, name);
        sep = " ";
    }
    if (hexgpu_htp_swap_legal(h)) hexgpu_htp_put(h, " swap-pieces");
    return 0;
}

static int cmd_param_game(hexgpu_htp *h, int argc, char **argv) {
    if (argc == 1) {
        hexgpu_htp_put(h, "\n[bool] allow_swap %d", h->allow_swap);
        return 0;
    }
    if (argc != 3) return hexgpu_htp_fail(h, "param_game takes no argument or a name and a value");
    if (strcmp(argv[1], "allow_swap") != 0)
        return hexgpu_htp_fail(h, "unknown parameter: %s", hexgpu_htp_quote(h, argv[1]));
    if (strcmp(argv[2], "1") == 0 || is_word(argv[2], "true")) h->allow_swap = 1;
    else if (strcmp(argv[2], "0") == 0 || is_word(argv[2], "false")) h->allow_swap = 0;
    else return hexgpu_htp_fail(h, "allow_swap must be 0 or 1, got '%s'", hexgpu_htp_quote(h, argv[2]));
    return 0;
}

static int cmd_analyze_commands(hexgpu_htp *h, int argc, char **argv) {
    (void)argc, (void)argv;
    hexgpu_htp_put(h, "gfx/Policy Heat Map/hexgpu-policy\n"
                      "gfx/Search Heat Map/hexgpu-search\n"
                      "pspairs/Search Visits/hexgpu-visits\n"
                      "pspairs/Search Values/hexgpu-values\n"
                      "param/Game Param/param_game\n"
                      "plist/All Legal Moves/all_legal_moves %%c\n"
                      "string/ShowBoard/showboard\n"
                      "string/Final Score/final_score\n"
                      "varc/Reg GenMove/reg_genmove %%c");
    return 0;
}

typedef struct command {
    const char *name;
    int (*run)(hexgpu_htp *h, int argc, char **argv);
} command;

static const command commands[] = {
    {"all_legal_moves", cmd_all_legal_moves},
    {"boardsize", cmd_boardsize},
    {"clear_board", cmd_clear_board},
    {"final_score", cmd_final_score},
    {"genmove", hexgpu_htp_cmd_genmove},
    {"hexgpu-policy", hexgpu_htp_cmd_policy},
    {"hexgpu-search", hexgpu_htp_cmd_search},
    {"hexgpu-values", hexgpu_htp_cmd_values},
    {"hexgpu-visits", hexgpu_htp_cmd_visits},
    {"hexgui-analyze_commands", cmd_analyze_commands},
    {"known_command", cmd_known_command},
    {"list_commands", cmd_list_commands},
    {"name", cmd_name},
    {"param_game", cmd_param_game},
    {"play", cmd_play},
    {"protocol_version", cmd_protocol_version},
    {"quit", cmd_quit},
    {"reg_genmove", hexgpu_htp_cmd_reg_genmove},
    {"showboard", cmd_showboard},
    {"time_left", hexgpu_htp_cmd_time_left},
    {"undo", cmd_undo},
    {"version", cmd_version},
};
#define COMMAND_COUNT (sizeof commands / sizeof commands[0])

static const command *find_command(const char *name) {
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        if (strcmp(commands[i].name, name) == 0) return &commands[i];
    return NULL;
}

static int cmd_known_command(hexgpu_htp *h, int argc, char **argv) {
    if (argc != 2) return hexgpu_htp_fail(h, "known_command takes one command name");
    hexgpu_htp_put(h, "%s", find_command(argv[1]) ? "true" : "false");
    return 0;
}

static int cmd_list_commands(hexgpu_htp *h, int argc, char **argv) {
    (void)argc, (void)argv;
    for (size_t i = 0; i < COMMAND_COUNT; i++) hexgpu_htp_put(h, i ? "\n%s" : "%s", commands[i].name);
    return 0;
}

/* ------------------------------------------------------------------ sessions */

hexgpu_status hexgpu_htp_create(hexgpu_engine *engine, const hexgpu_htp_config *config, hexgpu_htp **session,
                                hexgpu_error *err) {
    *session = NULL;
    hexgpu_htp *h = calloc(1, sizeof *h);
    if (!h) return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "htp: out of memory");
    h->engine = engine;
    h->config = *config;
    h->size = hexgpu_engine_board_size(engine);
    h->allow_swap = config->allow_swap ? 1 : 0;
    h->time_left[0] = h->time_left[1] = -1.0;
    h->rng.state = 1;
    h->body_cap = 4096;
    h->body = malloc(h->body_cap);
    hexgpu_status st = h->body ? hexgpu_queue_create(&h->queue, err)
                               : hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "htp: out of memory");
    if (st == HEXGPU_OK) st = hexgpu_move_search_create(&h->search, &config->mcts, config->leaves, h->size, err);
    if (st != HEXGPU_OK) {
        hexgpu_queue_destroy(h->queue);
        free(h->body);
        free(h);
        return st;
    }
    new_game(h);
    *session = h;
    return HEXGPU_OK;
}

void hexgpu_htp_destroy(hexgpu_htp *h) {
    if (!h) return;
    hexgpu_queue_destroy(h->queue);
    hexgpu_move_search_destroy(&h->search);
    free(h->body);
    free(h);
}

/* GTP's preprocessing: control characters other than tab dropped, tabs made spaces,
 * everything from '#' on is a comment. Then the words. Returns the word count. */
static int split(char *text, char **words, int max) {
    char *w = text;
    for (const char *r = text; *r && *r != '#'; r++) {
        unsigned char c = (unsigned char)*r;
        if (c == '\t') *w++ = ' ';
        else if (c >= 32 && c != 127) *w++ = (char)c;
    }
    *w = '\0';
    int n = 0;
    char *save = NULL;
    for (char *p = strtok_r(text, " ", &save); p; p = strtok_r(NULL, " ", &save)) {
        if (n == max) return max + 1;
        words[n++] = p;
    }
    return n;
}

/* The reply "=id text" or "?id reason" (ok 0: '='), then the blank line, from the text
 * built in h->body. The text never holds a blank line itself (it would end the reply
 * early for the reader). */
static const char *reply(hexgpu_htp *h, int ok, const char *id) {
    size_t len = h->body_len, size = len + HEXGPU_HTP_MAX_ID + 8;
    char *out = malloc(size);
    if (!out) return "? out of memory\n\n";
    int head = snprintf(out, HEXGPU_HTP_MAX_ID + 8, "%c%s ", ok == 0 ? '=' : '?', id);
    memcpy(out + head, h->body, len);
    len += (size_t)head;
    while (len > 0 && out[len - 1] == '\n') len--;
    for (size_t i = 1; i < len; i++)
        if (out[i] == '\n' && out[i - 1] == '\n') out[i] = ' ';
    memcpy(out + len, "\n\n", 3);
    free(h->body);
    h->body = out;
    h->body_cap = size;
    h->body_len = 0;
    return out;
}

/* The id a line starts with (digits, then a space, a tab or the end), when it has at
 * most HEXGPU_HTP_MAX_ID digits, into id; its digit count (0: none). */
static size_t leading_id(const char *text, char *id) {
    size_t n = strspn(text, "0123456789");
    if (n == 0 || (text[n] && text[n] != ' ' && text[n] != '\t' && text[n] != '\n' && text[n] != '\r')) return 0;
    if (n <= HEXGPU_HTP_MAX_ID) memcpy(id, text, n), id[n] = '\0';
    return n;
}

const char *hexgpu_htp_reject_line(hexgpu_htp *h, const char *prefix, size_t length) {
    char id[HEXGPU_HTP_MAX_ID + 1] = "";
    while (*prefix == ' ' || *prefix == '\t') prefix++;
    if (leading_id(prefix, id) > HEXGPU_HTP_MAX_ID) id[0] = '\0';
    hexgpu_htp_fail(h, "line too long (%zu bytes, at most %d)", length, HEXGPU_HTP_MAX_LINE);
    return reply(h, -1, id);
}

const char *hexgpu_htp_execute(hexgpu_htp *h, const char *line, int *quit) {
    size_t length = strlen(line);
    if (length > 0 && line[length - 1] == '\n') length--;
    if (length > 0 && line[length - 1] == '\r') length--;
    if (length > HEXGPU_HTP_MAX_LINE) return hexgpu_htp_reject_line(h, line, length);
    char *text = strdup(line);
    char *words[MAX_ARGS + 1];
    if (!text) return "? out of memory\n\n";
    int n = split(text, words, MAX_ARGS);
    if (n == 0) {
        free(text);
        return NULL;
    }
    char id[HEXGPU_HTP_MAX_ID + 1] = "";
    size_t digits = strspn(words[0], "0123456789") == strlen(words[0]) ? strlen(words[0]) : 0;
    int first = digits > 0;
    if (digits > 0 && digits <= HEXGPU_HTP_MAX_ID) memcpy(id, words[0], digits + 1);
    h->body_len = 0;
    h->body[0] = '\0';
    int ok = -1;
    if (digits > HEXGPU_HTP_MAX_ID) {
        hexgpu_htp_fail(h, "id too long (%zu digits, at most %d)", digits, HEXGPU_HTP_MAX_ID);
    } else if (first == n) {
        hexgpu_htp_fail(h, "missing command after the id");
    } else if (n > MAX_ARGS) {
        hexgpu_htp_fail(h, "too many arguments (at most %d words)", MAX_ARGS - 1);
    } else {
        const command *c = find_command(words[first]);
        if (!c) hexgpu_htp_fail(h, "unknown command");
        else ok = c->run(h, n - first, words + first);
        if (c && c->run == cmd_quit && quit) *quit = 1;
    }
    free(text);
    return reply(h, ok, id);
}
