/* A shard's training rows checked against its record lines (shard_merge_impl.h). The rows
 * are streamed, a chunk at a time, never held whole: a shard's targets are ~100 times its
 * records. Each game's rows are replayed on a board from the game's opening (the stones of
 * its first row), so the game they describe is known exactly and must be one of the
 * shard's record lines: rows of another run, of a game given twice, or a game whose rows
 * are missing cannot pass. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/json.h"
#include "base/status.h"
#include "hex/board.h"
#include "hex/trmph.h"
#include "records/training_writer.h"
#include "shard_merge_impl.h"

#define CHUNK_BYTES ((size_t)1 << 20)
#define MAX_SIDECAR_BYTES ((size_t)1 << 16)

static uint64_t le(const unsigned char *at, int bytes) {
    uint64_t v = 0;
    for (int b = bytes - 1; b >= 0; b--) v = v << 8 | at[b];
    return v;
}

/* The game being replayed from its rows. */
typedef struct replay {
    int active;
    int64_t game, first_row;
    int winner; /* the colour the rows' result fields say won */
    hexgpu_board board;
} replay;

typedef struct row_check {
    shard_file *f;
    int size;
    int64_t row; /* the row's number in the file */
    replay game;
} row_check;

static hexgpu_status row_error(const row_check *c, const char *what, hexgpu_error *err) {
    return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "%s: record %lld (game %lld): %s", c->f->train,
                            (long long)c->row, (long long)c->game.game, what);
}

/* The rows' game is one of the shard's record lines not claimed yet: claim it. */
static hexgpu_status claim_line(row_check *c, hexgpu_error *err) {
    shard_file *f = c->f;
    const hexgpu_board *b = &c->game.board;
    uint64_t hash = hexgpu_shard_game_hash(b->size, b->moves, b->move_count, c->game.winner);
    int64_t lo = 0, hi = f->games; /* the first line of the hash */
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (f->by_hash[mid]->hash < hash) lo = mid + 1;
        else hi = mid;
    }
    const shard_line *taken = NULL;
    for (int64_t i = lo; i < f->games && f->by_hash[i]->hash == hash; i++) {
        shard_line *line = f->by_hash[i];
        char record[HEXGPU_TRMPH_MAX];
        hexgpu_board parsed;
        hexgpu_color winner;
        memcpy(record, f->text + line->offset, line->length);
        record[line->length] = '\0';
        if (hexgpu_trmph_parse_record(record, &parsed, &winner, NULL) != HEXGPU_OK || (int)winner != c->game.winner ||
            parsed.move_count != b->move_count ||
            memcmp(parsed.moves, b->moves, (size_t)b->move_count * sizeof *b->moves) != 0)
            continue; /* another game of the same hash */
        if (line->game >= 0) {
            taken = line;
            continue;
        }
        line->game = c->game.game;
        return HEXGPU_OK;
    }
    if (taken)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT,
                                "%s: the rows of game %lld (from record %lld) are the game of line %d of %s, whose rows "
                                "(game %lld) came before: a game's rows given twice",
                                f->train, (long long)c->game.game, (long long)c->game.first_row, taken->number, f->path,
                                (long long)taken->game);
    return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT,
                            "%s: the rows of game %lld (from record %lld) are not the game of any record line of %s "
                            "(rows of another run, or a record changed?)",
                            f->train, (long long)c->game.game, (long long)c->game.first_row, f->path);
}

static hexgpu_status finish_game(row_check *c, hexgpu_error *err) {
    if (!c->game.active) return HEXGPU_OK;
    c->game.active = 0;
    const hexgpu_board *b = &c->game.board;
    if (hexgpu_board_winner(b) == HEXGPU_NONE)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT,
                                "%s: the rows of game %lld (from record %lld) end at move %d, before the game does",
                                c->f->train, (long long)c->game.game, (long long)c->game.first_row, b->move_count);
    if ((int)hexgpu_board_winner(b) != c->game.winner)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT,
                                "%s: the rows of game %lld give its result to the side that lost", c->f->train,
                                (long long)c->game.game);
    return claim_line(c, err);
}

/* A game's first row: its stones are the opening (0 or 1 stones in self-play). */
static hexgpu_status start_game(row_check *c, int64_t game, const hexgpu_position *pos, int ply, hexgpu_error *err) {
    c->game = (replay){.active = 1, .game = game, .first_row = c->row, .winner = -1};
    if (game < c->f->first || game > c->f->last)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT,
                                "%s: record %lld is of game %lld, not one of the shard's %lld..%lld", c->f->train,
                                (long long)c->row, (long long)game, (long long)c->f->first, (long long)c->f->last);
    if (ply > 1) return row_error(c, "the game's first row is past its opening (more than one stone)", err);
    if (hexgpu_board_from_position(&c->game.board, pos, NULL) != HEXGPU_OK || c->game.board.move_count != ply)
        return row_error(c, "its stones are not the game's opening", err);
    return HEXGPU_OK;
}

static hexgpu_status check_row(row_check *c, const unsigned char *at, hexgpu_error *err) {
    int64_t game = (int64_t)le(at, 8);
    int ply = (int)(int16_t)le(at + 8, 2), move = (int)(int16_t)le(at + 10, 2), to_move = at[12];
    int result = (int8_t)at[13];
    hexgpu_position pos = {.size = (uint8_t)c->size, .to_move = (uint8_t)to_move};
    for (int w = 0; w < HEXGPU_POSITION_WORDS; w++)
        pos.blue[w] = le(at + 24 + 8 * w, 8), pos.red[w] = le(at + 72 + 8 * w, 8);
    hexgpu_status st = HEXGPU_OK;
    if (c->game.active && game != c->game.game) st = finish_game(c, err);
    if (st == HEXGPU_OK && !c->game.active) st = start_game(c, game, &pos, ply, err);
    if (st != HEXGPU_OK) return st;
    hexgpu_board *b = &c->game.board;
    hexgpu_position now;
    hexgpu_board_to_position(b, &now);
    if (hexgpu_board_winner(b) != HEXGPU_NONE)
        return row_error(c, "a row after the game's winning move (the game's rows given twice?)", err);
    if (ply != b->move_count || to_move != b->to_move || memcmp(now.blue, pos.blue, sizeof pos.blue) != 0 ||
        memcmp(now.red, pos.red, sizeof pos.red) != 0)
        return row_error(c, "not the position its game's rows before it lead to (rows missing, doubled or mixed?)",
                         err);
    if (result != 1 && result != -1) return row_error(c, "its result is neither +1 nor -1", err);
    int winner = result == 1 ? to_move : to_move ^ 1;
    if (c->game.winner >= 0 && winner != c->game.winner) return row_error(c, "its result contradicts the game's", err);
    c->game.winner = winner;
    if (move < 0 || move >= b->cells || !hexgpu_board_is_legal(b, move))
        return row_error(c, "its move is not a legal one", err);
    hexgpu_board_play(b, move, NULL);
    return HEXGPU_OK;
}

/* The sidecar describes version HEXGPU_TRAINING_FORMAT_VERSION records of size x size. */
static hexgpu_status check_sidecar(const shard_file *f, int size, hexgpu_error *err) {
    char *side = NULL;
    size_t side_len;
    hexgpu_status st = hexgpu_shard_read_file(f->sidecar, MAX_SIDECAR_BYTES, &side, &side_len, err);
    hexgpu_json meta = {0};
    if (st == HEXGPU_OK) st = hexgpu_json_parse(side, side_len, &meta, err);
    free(side);
    if (st != HEXGPU_OK) return st == HEXGPU_ERR_PARSE ? hexgpu_error_prefix(err, st, "%s", f->sidecar) : st;
    const hexgpu_json *bytes = hexgpu_json_get(&meta, "record_bytes"), *board = hexgpu_json_get(&meta, "board_size"),
                      *version = hexgpu_json_get(&meta, "version");
    int ok = bytes && board && version && bytes->integer == (int64_t)hexgpu_training_record_bytes(size) &&
             board->integer == size && version->integer == HEXGPU_TRAINING_FORMAT_VERSION;
    hexgpu_json_free(&meta);
    if (!ok)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "%s: not version %d training targets of %dx%d games",
                                f->sidecar, HEXGPU_TRAINING_FORMAT_VERSION, size, size);
    return HEXGPU_OK;
}

static int by_game(const void *a, const void *b) {
    const shard_line *x = *(shard_line *const *)a, *y = *(shard_line *const *)b;
    return x->game < y->game ? -1 : x->game > y->game;
}

/* Every line claimed by the rows of a game of its own; the lines then in game order. */
static hexgpu_status check_claims(shard_file *f, hexgpu_error *err) {
    for (int64_t i = 0; i < f->games; i++)
        if (f->lines[i].game < 0)
            return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT,
                                    "%s: line %d has no training rows in %s (a game's rows missing)", f->path,
                                    f->lines[i].number, f->train);
    qsort(f->by_hash, (size_t)f->games, sizeof *f->by_hash, by_game);
    f->in_game_order = 1;
    for (int64_t i = 1; i < f->games; i++)
        if (f->by_hash[i]->game == f->by_hash[i - 1]->game)
            return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT,
                                    "%s: game %lld's rows appear twice (the games of lines %d and %d of %s)", f->train,
                                    (long long)f->by_hash[i]->game, f->by_hash[i - 1]->number, f->by_hash[i]->number,
                                    f->path);
    return HEXGPU_OK;
}

hexgpu_status hexgpu_shard_check_training(shard_file *f, int size, hexgpu_training_writer *writer, hexgpu_error *err) {
    hexgpu_status st = check_sidecar(f, size, err);
    if (st != HEXGPU_OK) return st;
    size_t record = hexgpu_training_record_bytes(size), chunk = CHUNK_BYTES / record * record;
    int64_t bytes;
    int fd = hexgpu_shard_open_regular(f->train, &bytes, err);
    if (fd < 0) return err->status;
    unsigned char *buffer = malloc(chunk);
    if (!buffer) st = hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "%s: a read buffer", f->train);
    else if ((uint64_t)bytes % record)
        st = hexgpu_error_set(err, HEXGPU_ERR_PARSE, "%s: %lld bytes, not whole records of %zu (a torn last record)",
                              f->train, (long long)bytes, record);
    row_check c = {.f = f, .size = size};
    for (int64_t left = bytes; st == HEXGPU_OK && left > 0;) {
        size_t want = (uint64_t)left < chunk ? (size_t)left : chunk, got = 0;
        int code = 0;
        while (got < want) {
            ssize_t n = read(fd, buffer + got, want - got);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                code = n < 0 ? errno : 0;
                break;
            }
            got += (size_t)n;
        }
        if (got < want) {
            st = hexgpu_error_set(err, HEXGPU_ERR_IO, "%s: cannot read it whole: %s", f->train,
                                  code ? strerror(code) : "it became shorter");
            break;
        }
        for (size_t at = 0; st == HEXGPU_OK && at < got; at += record, c.row++) st = check_row(&c, buffer + at, err);
        if (st == HEXGPU_OK && writer) st = hexgpu_training_writer_add_encoded(writer, buffer, got, err);
        left -= (int64_t)got;
    }
    close(fd);
    free(buffer);
    if (st == HEXGPU_OK) st = finish_game(&c, err);
    if (st == HEXGPU_OK) st = check_claims(f, err);
    f->rows = c.row;
    return st;
}

int hexgpu_shard_training_paths(shard_file *f) {
    return hexgpu_training_paths(f->path, f->train, sizeof f->train, f->sidecar, sizeof f->sidecar) &&
           access(f->train, F_OK) == 0 && access(f->sidecar, F_OK) == 0;
}
