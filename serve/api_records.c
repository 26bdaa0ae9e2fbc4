/* The records viewer and the self-play dashboard over --records (docs/serve.md): the
 * record files (*.trmph) and self-play progress files (*.progress.jsonl) under it, a
 * file's games a page at a time, a progress file's lines from a given line on. Files are
 * read a line at a time, so a large file costs time, not memory. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hex/trmph.h"
#include "serve/game_json.h"
#include "serve/path_confine.h"
#include "server_impl.h"

#define MAX_FILES 2000
#define LINE_MAX_BYTES 16384 /* longer lines are skipped (a record line is at most ~1.1 kB) */
#define MAX_GAMES_PAGE 2000
#define MAX_PROGRESS_LINES 5000
#define MAX_HEADER_LINES 64

static const char *const record_suffixes[] = {".trmph", NULL};
static const char *const progress_suffixes[] = {".progress.jsonl", NULL};

static void write_files(hexgpu_server *s, hexgpu_json_writer *w, const char *key, const char *const *suffixes) {
    hexgpu_confined_entry *list = NULL;
    int n = s->records_fd >= 0 ? hexgpu_confined_list(s->records_fd, suffixes, MAX_FILES, &list, NULL) : 0;
    hexgpu_json_key(w, key);
    hexgpu_json_array_begin(w);
    for (int i = 0; i < n; i++) {
        hexgpu_json_object_begin(w);
        hexgpu_json_kstring(w, "name", list[i].name);
        hexgpu_json_kint(w, "bytes", (long long)list[i].bytes);
        hexgpu_json_kint(w, "modified", (long long)list[i].modified);
        hexgpu_json_object_end(w);
    }
    hexgpu_json_array_end(w);
    free(list);
}

void hexgpu_api_records(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res) {
    (void)req;
    hexgpu_json_writer w;
    hexgpu_json_writer_init(&w);
    hexgpu_json_object_begin(&w);
    hexgpu_json_kbool(&w, "enabled", s->records_fd >= 0);
    write_files(s, &w, "files", record_suffixes);
    write_files(s, &w, "progress", progress_suffixes);
    hexgpu_json_object_end(&w);
    hexgpu_http_reply_json(res, 200, &w);
}

/* A non-negative integer query argument (fallback when absent); -1 when malformed. */
static long query_count(const hexgpu_http_request *req, const char *key, long fallback, long max) {
    const char *text = hexgpu_http_query(req, key);
    if (!text || !text[0]) return fallback;
    char *end;
    long v = strtol(text, &end, 10);
    if (*end || v < 0) return -1;
    return v > max ? max : v;
}

/* Opens the file named by ?file= with one of suffixes; replies and returns NULL on failure. */
static FILE *open_named(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res,
                        const char *const *suffixes, const char **name) {
    hexgpu_error err = {0};
    *name = hexgpu_http_query(req, "file");
    if (s->records_fd < 0) {
        hexgpu_http_reply_error(res, 404, "no records: start hexgpu serve with --records DIR");
        return NULL;
    }
    if (!*name || !hexgpu_name_has_suffix(*name, suffixes)) {
        hexgpu_http_reply_error(res, 400, "?file= must name a %s file under --records", suffixes[0]);
        return NULL;
    }
    int fd = hexgpu_confined_open(s->records_fd, *name, O_RDONLY, &err);
    if (fd < 0) {
        hexgpu_http_reply_error(res, err.status == HEXGPU_ERR_INVALID_ARGUMENT ? 400 : 404, "%s", err.message);
        return NULL;
    }
    FILE *f = fdopen(fd, "r");
    if (!f) {
        close(fd);
        hexgpu_http_reply_error(res, 500, "out of memory");
    }
    return f;
}

/* The next line of f into line (newline stripped); 0 at the end, -1 for a line too long
 * (skipped whole). */
static int next_line(FILE *f, char *line, size_t cap) {
    if (!fgets(line, (int)cap, f)) return 0;
    size_t len = strlen(line);
    if (len == cap - 1 && line[len - 1] != '\n') {
        int c;
        while ((c = fgetc(f)) != EOF && c != '\n') {
        }
        return -1;
    }
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
    return 1;
}

void hexgpu_api_record_games(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res) {
    long offset = query_count(req, "offset", 0, 1L << 40), limit = query_count(req, "limit", 500, MAX_GAMES_PAGE);
    if (offset < 0 || limit < 0) {
        hexgpu_http_reply_error(res, 400, "offset and limit must be non-negative integers");
        return;
    }
    const char *name;
    FILE *f = open_named(s, req, res, record_suffixes, &name);
    if (!f) return;
    char *line = malloc(LINE_MAX_BYTES);
    hexgpu_board *board = malloc(sizeof *board);
    if (!line || !board) {
        free(line), free(board), fclose(f);
        hexgpu_http_reply_error(res, 500, "out of memory");
        return;
    }
    /* The games go straight into the reply; header lines ("# ...") into their own list. */
    hexgpu_json_writer w, header;
    hexgpu_json_writer_init(&w);
    hexgpu_json_writer_init(&header);
    hexgpu_json_array_begin(&header);
    hexgpu_json_object_begin(&w);
    hexgpu_json_kstring(&w, "file", name);
    hexgpu_json_kint(&w, "offset", offset);
    hexgpu_json_key(&w, "games");
    hexgpu_json_array_begin(&w);
    long games = 0, skipped = 0, headers = 0, number = 0;
    int got;
    while ((got = next_line(f, line, LINE_MAX_BYTES)) != 0) {
        number++;
        hexgpu_color winner;
        if (got > 0 && hexgpu_trmph_is_header(line)) {
            if (headers++ < MAX_HEADER_LINES) hexgpu_json_string(&header, line);
            continue;
        }
        if (got > 0 && line[0] == '\0') continue;
        if (got < 0 || hexgpu_trmph_parse_record(line, board, &winner, NULL) != HEXGPU_OK) {
            skipped++;
            continue;
        }
        if (games >= offset && games < offset + limit) {
            char text[HEXGPU_TRMPH_MAX];
            hexgpu_trmph_format(board, text, sizeof text);
            hexgpu_json_object_begin(&w);
            hexgpu_json_kint(&w, "index", games);
            hexgpu_json_kint(&w, "line", number);
            hexgpu_json_kstring(&w, "trmph", text);
            hexgpu_json_kstring(&w, "winner", hexgpu_color_name(winner));
            hexgpu_json_kint(&w, "moves", hexgpu_board_move_count(board));
            hexgpu_json_object_end(&w);
        }
        games++;
    }
    hexgpu_json_array_end(&w);
    hexgpu_json_array_end(&header);
    size_t header_len = 0;
    char *header_text = hexgpu_json_writer_take(&header, &header_len);
    hexgpu_json_key(&w, "header");
    if (header_text) hexgpu_json_raw(&w, header_text, header_len);
    else hexgpu_json_null(&w);
    free(header_text);
    hexgpu_json_kint(&w, "total", games);
    hexgpu_json_kint(&w, "skipped_lines", skipped);
    hexgpu_json_object_end(&w);
    fclose(f);
    free(line), free(board);
    hexgpu_http_reply_json(res, 200, &w);
}

void hexgpu_api_progress(hexgpu_server *s, const hexgpu_http_request *req, hexgpu_http_response *res) {
    long after = query_count(req, "after", 0, 1L << 40);
    if (after < 0) {
        hexgpu_http_reply_error(res, 400, "after must be a non-negative integer");
        return;
    }
    const char *name;
    FILE *f = open_named(s, req, res, progress_suffixes, &name);
    if (!f) return;
    char *line = malloc(LINE_MAX_BYTES);
    if (!line) {
        fclose(f);
        hexgpu_http_reply_error(res, 500, "out of memory");
        return;
    }
    hexgpu_json_writer w;
    hexgpu_json_writer_init(&w);
    hexgpu_json_object_begin(&w);
    hexgpu_json_kstring(&w, "file", name);
    hexgpu_json_key(&w, "lines");
    hexgpu_json_array_begin(&w);
    long number = 0, shown = 0;
    int got;
    const hexgpu_json_limits limits = {.max_depth = 8, .max_values = 4096};
    while (shown < MAX_PROGRESS_LINES && (got = next_line(f, line, LINE_MAX_BYTES)) != 0) {
        /* A line still being written (no newline yet) is left for the next poll. */
        if (feof(f)) break;
        if (++number <= after || got < 0) continue;
        hexgpu_json value;
        if (hexgpu_json_parse_limited(line, strlen(line), &limits, &value, NULL) != HEXGPU_OK) continue;
        if (value.type == HEXGPU_JSON_OBJECT) hexgpu_json_value(&w, &value), shown++;
        hexgpu_json_free(&value);
    }
    hexgpu_json_array_end(&w);
    hexgpu_json_kint(&w, "next", number);
    hexgpu_json_object_end(&w);
    fclose(f);
    free(line);
    hexgpu_http_reply_json(res, 200, &w);
}
