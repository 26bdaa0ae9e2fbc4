/* POST /api/save_game: a finished game appended to <records>/web_games.trmph as a record
 * line (`#13,... b`), the same format self-play writes, and its details as a JSON line to
 * <records>/web_games.jsonl. Unlike the reference, the TRMPH is parsed (no line can be
 * injected), only a finished game is saved and its winner is the board's; nothing is
 * written outside --records, and without it saving is off. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "hex/trmph.h"
#include "serve/game_json.h"
#include "serve/json_fields.h"
#include "serve/path_confine.h"
#include "server_impl.h"

#define SAVED_GAMES "web_games.trmph"
#define SAVED_DETAILS "web_games.jsonl"

/* Appends text with one write() to name under the records folder. */
static int append(hexgpu_server *s, const char *name, const char *text, size_t len, hexgpu_error *err) {
    int fd = hexgpu_confined_open(s->records_fd, name, O_WRONLY | O_APPEND | O_CREAT, err);
    if (fd < 0) return 0;
    ssize_t wrote = write(fd, text, len);
    int saved = errno;
    int synced = fdatasync(fd) == 0;
    close(fd);
    if (wrote != (ssize_t)len || !synced) {
        snprintf(err->message, sizeof err->message, "writing %s: %s", name,
                 wrote < 0 ? strerror(saved) : "short write");
        return 0;
    }
    return 1;
}

static void save(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res, hexgpu_board *board) {
    hexgpu_error err = {0};
    const char *trmph = NULL, *winner = NULL, *model_id = NULL;
    if (hexgpu_field_string(req->json, "trmph", 0, "", &trmph, &err) != HEXGPU_OK ||
        hexgpu_field_string(req->json, "winner", 0, "", &winner, &err) != HEXGPU_OK ||
        hexgpu_field_string(req->json, "model_id", 0, "model1", &model_id, &err) != HEXGPU_OK) {
        hexgpu_http_reply_failure(res, 400, "%s", err.message);
        return;
    }
    if (!trmph[0]) {
        hexgpu_http_reply_failure(res, 400, "TRMPH sequence is required");
        return;
    }
    if (s->records_fd < 0) {
        hexgpu_http_reply_failure(res, 403, "saving is off: start hexgpu serve with --records DIR (or download the "
                                            "game's TRMPH instead)");
        return;
    }
    if (hexgpu_game_parse(trmph, board, &err) != HEXGPU_OK) {
        hexgpu_http_reply_failure(res, 400, "%s", err.message);
        return;
    }
    hexgpu_color won = hexgpu_board_winner(board);
    if (winner[0] && strcasecmp(winner, "blue") != 0 && strcasecmp(winner, "red") != 0) {
        hexgpu_http_reply_failure(res, 400, "Invalid winner: %.16s", winner);
        return;
    }
    if (won == HEXGPU_NONE) {
        hexgpu_http_reply_failure(res, 400, "the game is not finished: only won games are saved as records "
                                            "(download its TRMPH to keep it)");
        return;
    }
    if (winner[0] && strcasecmp(winner, hexgpu_color_name(won)) != 0) {
        hexgpu_http_reply_failure(res, 400, "Invalid winner: %.16s (the board shows %s won)", winner,
                                  hexgpu_color_name(won));
        return;
    }
    char line[HEXGPU_TRMPH_MAX + 2];
    size_t len = 0;
    hexgpu_trmph_format_record(board, line, sizeof line - 1, &len, NULL);
    hexgpu_json_writer w;
    hexgpu_json_writer_init(&w);
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", localtime_r(&now, &tm));
    hexgpu_json_object_begin(&w);
    hexgpu_json_kstring(&w, "timestamp", stamp);
    hexgpu_json_kstring(&w, "trmph", line);
    hexgpu_json_kstring(&w, "winner", hexgpu_color_name(won));
    hexgpu_json_kstring(&w, "model_id", model_id);
    const hexgpu_json *params = hexgpu_json_get(req->json, "mcts_params");
    if (params) {
        hexgpu_json_key(&w, "mcts_params");
        hexgpu_json_value(&w, params);
    }
    hexgpu_json_object_end(&w);
    hexgpu_json_raw(&w, "\n", 1);
    line[len++] = '\n'; /* room was kept for it */
    size_t details_len = 0;
    char *details = hexgpu_json_writer_take(&w, &details_len);
    pthread_mutex_lock(&s->save_lock);
    int ok = append(s, SAVED_GAMES, line, len, &err) && (!details || append(s, SAVED_DETAILS, details, details_len, &err));
    pthread_mutex_unlock(&s->save_lock);
    free(details);
    if (!ok) {
        hexgpu_http_reply_failure(res, 500, "%s", err.message);
        return;
    }
    hexgpu_json_object_begin(&w);
    hexgpu_json_kbool(&w, "success", 1);
    char message[64];
    snprintf(message, sizeof message, "Game saved successfully. Winner: %s", hexgpu_color_name(won));
    hexgpu_json_kstring(&w, "message", message);
    hexgpu_json_kstring(&w, "trmph_file", SAVED_GAMES);
    hexgpu_json_kstring(&w, "log_file", SAVED_DETAILS);
    hexgpu_json_object_end(&w);
    hexgpu_http_reply_json(res, 200, &w);
}

void hexgpu_api_save_game(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res) {
    hexgpu_board *board = malloc(sizeof *board);
    if (!board) {
        hexgpu_http_reply_failure(res, 500, "out of memory");
        return;
    }
    save(s, req, res, board);
    free(board);
}
