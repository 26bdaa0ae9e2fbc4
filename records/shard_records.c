/* A shard's record file for the merge (shard_merge_impl.h): read whole from a regular file
 * only, its header's Shard line parsed strictly, its record lines checked and indexed. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/status.h"
#include "hex/board.h"
#include "hex/trmph.h"
#include "shard_merge_impl.h"

const char *const hexgpu_shard_run_fields[SHARD_RUN_FIELDS] = {
    "Board size", "Model", "MCTS simulations", "c_puct",     "Gumbel",      "Temperature",       "Opening strategy",
    "Seed",       "Format", "Tree reuse",      "Early stop", "Playout cap", "Bad move frequency",
    "Random move frequency", "Training data"}; /* "Training data" last (shard_merge.c) */

int hexgpu_shard_open_regular(const char *path, int64_t *size, hexgpu_error *err) {
    /* O_NONBLOCK: opening a FIFO does not wait for a writer; it is refused just below. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        int code = errno;
        if (fd >= 0) close(fd);
        int theirs = code == ENOENT || code == EACCES || code == ENOTDIR || code == ELOOP || code == ENAMETOOLONG;
        hexgpu_error_set(err, theirs ? HEXGPU_ERR_INVALID_ARGUMENT : HEXGPU_ERR_IO, "%s: %s", path, strerror(code));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "%s: not a regular file (%s)", path,
                         S_ISDIR(st.st_mode)    ? "a folder"
                         : S_ISFIFO(st.st_mode) ? "a FIFO"
                         : S_ISSOCK(st.st_mode) ? "a socket"
                                                : "a device");
        return -1;
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0) fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    *size = (int64_t)st.st_size;
    return fd;
}

hexgpu_status hexgpu_shard_read_file(const char *path, size_t max, char **out, size_t *len, hexgpu_error *err) {
    *out = NULL, *len = 0;
    int64_t size;
    int fd = hexgpu_shard_open_regular(path, &size, err);
    if (fd < 0) return err->status;
    if ((uint64_t)size > max) {
        close(fd);
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "%s: %lld bytes, more than the %zu a merge reads",
                                path, (long long)size, max);
    }
    char *data = malloc((size_t)size + 1);
    size_t got = 0;
    int code = 0;
    while (data && got < (size_t)size) { /* only the size fstat gave: a file growing meanwhile is cut there */
        ssize_t n = read(fd, data + got, (size_t)size - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            code = n < 0 ? errno : 0;
            break;
        }
        got += (size_t)n;
    }
    close(fd);
    if (!data) return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "%s: cannot hold its %lld bytes", path,
                                       (long long)size);
    if (got != (size_t)size) {
        free(data);
        return hexgpu_error_set(err, HEXGPU_ERR_IO, "%s: cannot read it whole: %s", path,
                                code ? strerror(code) : "it became shorter");
    }
    data[got] = '\0';
    *out = data, *len = got;
    return HEXGPU_OK;
}

uint64_t hexgpu_shard_game_hash(int size, const int16_t *moves, int count, int winner) {
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a over the values, 16 bits each */
    uint64_t values[2] = {(uint64_t)size, (uint64_t)winner};
    for (int i = 0; i < 2; i++) h = (h ^ (values[i] & 0xffff)) * 0x100000001b3ull;
    for (int i = 0; i < count; i++) h = (h ^ (uint16_t)moves[i]) * 0x100000001b3ull;
    return h;
}

/* The value of header line `# <name>: value` (the line starts at line, ends before end). */
static const char *field_value(const char *line, const char *end, const char *name, size_t *len) {
    size_t n = strlen(name);
    if ((size_t)(end - line) < n + 4 || strncmp(line + 2, name, n) != 0 || strncmp(line + 2 + n, ": ", 2) != 0)
        return NULL;
    *len = (size_t)(end - line) - n - 4;
    return line + n + 4;
}

/* A decimal number of at most max at *p (digits only, no sign), advancing *p; 0 when
 * there is none or it is larger (checked before it can overflow). */
static int parse_number(const char **p, const char *end, int64_t max, int64_t *out) {
    const char *s = *p;
    int64_t v = 0;
    while (s < end && *s >= '0' && *s <= '9') {
        int digit = *s++ - '0';
        if (v > (max - digit) / 10) return 0;
        v = v * 10 + digit;
    }
    if (s == *p) return 0;
    *p = s, *out = v;
    return 1;
}

static int parse_literal(const char **p, const char *end, const char *text) {
    size_t n = strlen(text);
    if ((size_t)(end - *p) < n || memcmp(*p, text, n) != 0) return 0;
    *p += n;
    return 1;
}

/* `I/N, games A..B` with 0 <= I < N <= SHARD_MAX_COUNT, 0 <= A <= B + 1, B < SHARD_MAX_GAME. */
static int parse_shard(const char *v, size_t len, shard_file *f) {
    const char *p = v, *end = v + len;
    int64_t index, count, first, last;
    int ok = parse_number(&p, end, SHARD_MAX_COUNT, &index) && parse_literal(&p, end, "/") &&
             parse_number(&p, end, SHARD_MAX_COUNT, &count) && parse_literal(&p, end, ", games ") &&
             parse_number(&p, end, SHARD_MAX_GAME, &first) && parse_literal(&p, end, "..") &&
             parse_number(&p, end, SHARD_MAX_GAME - 1, &last) && p == end && count >= 1 && index < count &&
             first <= last + 1;
    if (ok) f->index = (int)index, f->count = (int)count, f->first = first, f->last = last;
    return ok;
}

static hexgpu_status add_line(shard_file *f, size_t *cap, size_t offset, size_t length, uint64_t hash, int number,
                              hexgpu_error *err) {
    if ((size_t)f->games == *cap) {
        size_t grown = *cap ? 2 * *cap : 256;
        shard_line *lines = realloc(f->lines, grown * sizeof *lines);
        if (!lines) return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "%s: %zu record lines", f->path, grown);
        f->lines = lines, *cap = grown;
    }
    f->lines[f->games++] = (shard_line){offset, length, hash, -1, number};
    return HEXGPU_OK;
}

static int by_hash(const void *a, const void *b) {
    const shard_line *x = *(shard_line *const *)a, *y = *(shard_line *const *)b;
    return x->hash < y->hash ? -1 : x->hash > y->hash ? 1 : x->number - y->number;
}

/* A record file is at most this large: a 19x19 game's line is about 1 KiB, so 16 GiB is
 * millions of games per shard. What memory allows is checked before (shard_merge.c). */
#define MAX_RECORD_FILE ((size_t)1 << 34)

hexgpu_status hexgpu_shard_read_records(shard_file *f, hexgpu_error *err) {
    hexgpu_status st = hexgpu_shard_read_file(f->path, MAX_RECORD_FILE, &f->text, &f->len, err);
    if (st != HEXGPU_OK) return st;
    if (strlen(f->text) != f->len)
        return hexgpu_error_set(err, HEXGPU_ERR_PARSE, "%s: a NUL byte: not a record file", f->path);
    int line_no = 0, in_header = 1, shard_line_no = 0;
    size_t cap = 0;
    for (const char *line = f->text; *line;) {
        const char *end = strchr(line, '\n');
        if (line_no == INT_MAX)
            return hexgpu_error_set(err, HEXGPU_ERR_PARSE, "%s: more than %d lines", f->path, INT_MAX - 1);
        line_no++;
        if (!end) return hexgpu_error_set(err, HEXGPU_ERR_PARSE, "%s: line %d is not whole (no newline)", f->path, line_no);
        if (in_header && strncmp(line, "# ", 2) == 0) {
            size_t len;
            const char *v = field_value(line, end, "Shard", &len);
            if (v && shard_line_no)
                return hexgpu_error_set(err, HEXGPU_ERR_PARSE, "%s: line %d: a second Shard header line (the first: %d)",
                                        f->path, line_no, shard_line_no);
            if (v && !parse_shard(v, len, f))
                return hexgpu_error_set(err, HEXGPU_ERR_PARSE,
                                        "%s: line %d: a malformed Shard header '%.*s%s' (want 'I/N, games A..B', "
                                        "0 <= I < N <= %d, 0 <= A <= B + 1, B < 2^62)",
                                        f->path, line_no, (int)(len < 60 ? len : 60), v, len > 60 ? "..." : "",
                                        SHARD_MAX_COUNT);
            if (v) shard_line_no = line_no;
            for (size_t k = 0; k < SHARD_RUN_FIELDS; k++)
                if ((v = field_value(line, end, hexgpu_shard_run_fields[k], &len)))
                    f->fields[k] = v, f->field_len[k] = len;
        } else {
            if (in_header) f->body = (size_t)(line - f->text);
            in_header = 0;
            char record[HEXGPU_TRMPH_MAX];
            size_t n = (size_t)(end - line);
            if (n >= sizeof record)
                return hexgpu_error_set(err, HEXGPU_ERR_PARSE, "%s: line %d is too long for a record", f->path, line_no);
            memcpy(record, line, n);
            record[n] = '\0';
            hexgpu_board board;
            hexgpu_color winner;
            if ((st = hexgpu_trmph_parse_record(record, &board, &winner, err)) != HEXGPU_OK)
                return hexgpu_error_prefix(err, st, "%s: line %d", f->path, line_no);
            if (f->games == 0) f->size = board.size;
            if (board.size != f->size)
                return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "%s: line %d: a %dx%d game among %dx%d ones",
                                        f->path, line_no, board.size, board.size, f->size, f->size);
            f->wins[winner == HEXGPU_RED]++;
            uint64_t hash = hexgpu_shard_game_hash(board.size, board.moves, board.move_count, (int)winner);
            if ((st = add_line(f, &cap, (size_t)(line - f->text), n, hash, line_no, err)) != HEXGPU_OK) return st;
        }
        line = end + 1;
    }
    if (in_header) f->body = f->len;
    if (!shard_line_no)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT,
                                "%s: not a shard of a sharded run (no '# Shard: I/N, games A..B' header line)", f->path);
    if (f->games > f->last - f->first + 1)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "%s: %lld games, more than its %lld (games %lld..%lld)",
                                f->path, (long long)f->games, (long long)(f->last - f->first + 1),
                                (long long)f->first, (long long)f->last);
    f->by_hash = malloc((size_t)(f->games > 0 ? f->games : 1) * sizeof *f->by_hash);
    if (!f->by_hash) return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "%s: %lld lines", f->path, (long long)f->games);
    for (int64_t i = 0; i < f->games; i++) f->by_hash[i] = &f->lines[i];
    qsort(f->by_hash, (size_t)f->games, sizeof *f->by_hash, by_hash);
    return HEXGPU_OK;
}

hexgpu_status hexgpu_shard_check_distinct(const shard_file *f, hexgpu_error *err) {
    for (int64_t i = 1; i < f->games; i++) {
        const shard_line *a = f->by_hash[i - 1], *b = f->by_hash[i];
        if (a->hash == b->hash && a->length == b->length && memcmp(f->text + a->offset, f->text + b->offset, a->length) == 0)
            return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT,
                                    "%s: lines %d and %d hold the same game (a game written twice?)", f->path, a->number,
                                    b->number);
    }
    return HEXGPU_OK;
}
