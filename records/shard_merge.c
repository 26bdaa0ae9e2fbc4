/* Merging a sharded self-play run's files (see shard_merge.h). */
#include "records/shard_merge.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/json.h"
#include "base/file_write.h"
#include "base/status.h"
#include "hex/board.h"
#include "records/training_writer.h"
#include "hex/trmph.h"

/* Header fields that must agree between the shards of one run. */
static const char *const RUN_FIELDS[] = {"Board size",  "Model", "MCTS simulations", "c_puct",      "Gumbel",
                                         "Temperature", "Opening strategy", "Seed", "Format",        "Tree reuse",
                                         "Early stop",  "Playout cap",      "Bad move frequency"};
#define RUN_FIELD_COUNT (sizeof RUN_FIELDS / sizeof RUN_FIELDS[0])
#define MAX_FILE_BYTES ((size_t)1 << 34) /* 16 GiB: far beyond any record file, bounds the read */

typedef struct shard_file {
    const char *path;
    char *text;
    size_t len, body; /* body: offset of the first record line */
    const char *fields[RUN_FIELD_COUNT];
    size_t field_len[RUN_FIELD_COUNT];
    int index, count, size;
    int64_t first, last, games, wins[2];
    char train[4200], sidecar[4200];
    unsigned char *rows; /* the .train bytes */
    size_t rows_len;
} shard_file;

static hexgpu_status read_whole(const char *path, char **out, size_t *len, hexgpu_error *err) {
    *out = NULL, *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > MAX_FILE_BYTES) {
        int code = fd < 0 ? errno : 0;
        if (fd >= 0) close(fd);
        return hexgpu_error_set(err, code == ENOENT ? HEXGPU_ERR_INVALID_ARGUMENT : HEXGPU_ERR_IO, "%s: %s", path,
                                code ? strerror(code) : "not a regular file of at most 16 GiB");
    }
    char *data = malloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (data && got < (size_t)st.st_size) {
        ssize_t n = read(fd, data + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += (size_t)n;
    }
    close(fd);
    if (!data || got != (size_t)st.st_size) {
        free(data);
        return hexgpu_error_set(err, data ? HEXGPU_ERR_IO : HEXGPU_ERR_OUT_OF_MEMORY, "%s: cannot read it whole", path);
    }
    data[got] = '\0';
    *out = data, *len = got;
    return HEXGPU_OK;
}

/* The value of header line `# <name>: value` (the line starts at line, ends before end). */
static const char *field_value(const char *line, const char *end, const char *name, size_t *len) {
    size_t n = strlen(name);
    if ((size_t)(end - line) < n + 4 || strncmp(line + 2, name, n) != 0 || strncmp(line + 2 + n, ": ", 2) != 0)
        return NULL;
    *len = (size_t)(end - line) - n - 4;
    return line + n + 4;
}

/* Header and records of one shard file. */
static hexgpu_status check_records(shard_file *f, hexgpu_error *err) {
    hexgpu_status st = read_whole(f->path, &f->text, &f->len, err);
    if (st != HEXGPU_OK) return st;
    if (strlen(f->text) != f->len)
        return hexgpu_error_set(err, HEXGPU_ERR_PARSE, "%s: a NUL byte: not a record file", f->path);
    int line_no = 0, in_header = 1;
    f->count = 0;
    for (const char *line = f->text; *line;) {
        const char *end = strchr(line, '\n');
        line_no++;
        if (!end) return hexgpu_error_set(err, HEXGPU_ERR_PARSE, "%s: line %d is not whole (no newline)", f->path, line_no);
        if (in_header && strncmp(line, "# ", 2) == 0) {
            size_t len;
            const char *v = field_value(line, end, "Shard", &len);
            if (v && sscanf(v, "%d/%d, games %lld..%lld", &f->index, &f->count, (long long *)&f->first,
                            (long long *)&f->last) != 4)
                return hexgpu_error_set(err, HEXGPU_ERR_PARSE, "%s: line %d: a malformed Shard header", f->path,
                                        line_no);
            for (size_t k = 0; k < RUN_FIELD_COUNT; k++)
                if ((v = field_value(line, end, RUN_FIELDS[k], &len))) f->fields[k] = v, f->field_len[k] = len;
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
            f->games++;
            f->wins[winner == HEXGPU_RED]++;
        }
        line = end + 1;
    }
    if (in_header) f->body = f->len;
    if (f->count <= 0 || f->index < 0 || f->index >= f->count || f->first < 0 || f->last < f->first - 1)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT,
                                "%s: not a shard of a sharded run (no '# Shard: I/N, games a..b' header line)",
                                f->path);
    if (f->games > f->last - f->first + 1)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "%s: %lld games, more than its %lld", f->path,
                                (long long)f->games, (long long)(f->last - f->first + 1));
    return HEXGPU_OK;
}

/* The paths of the training targets beside a record file; 1 when both exist. */
static int training_paths(shard_file *f) {
    return hexgpu_training_paths(f->path, f->train, sizeof f->train, f->sidecar, sizeof f->sidecar) &&
           access(f->train, F_OK) == 0 && access(f->sidecar, F_OK) == 0;
}

/* The shard's training targets: whole records of the board size's layout, each of one of
 * the shard's own games. */
static hexgpu_status check_training(shard_file *f, int size, hexgpu_error *err) {
    char *side = NULL;
    size_t side_len;
    hexgpu_status st = read_whole(f->sidecar, &side, &side_len, err);
    hexgpu_json meta = {0};
    if (st == HEXGPU_OK) st = hexgpu_json_parse(side, side_len, &meta, err);
    free(side);
    if (st != HEXGPU_OK) return hexgpu_error_prefix(err, st, "%s", f->sidecar);
    const hexgpu_json *bytes = hexgpu_json_get(&meta, "record_bytes"), *board = hexgpu_json_get(&meta, "board_size"),
                      *version = hexgpu_json_get(&meta, "version");
    size_t record = hexgpu_training_record_bytes(size);
    int ok = bytes && board && version && bytes->integer == (int64_t)record && board->integer == size &&
             version->integer == HEXGPU_TRAINING_FORMAT_VERSION;
    hexgpu_json_free(&meta);
    if (!ok)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "%s: not version %d training targets of %dx%d games",
                                f->sidecar, HEXGPU_TRAINING_FORMAT_VERSION, size, size);
    if ((st = read_whole(f->train, (char **)&f->rows, &f->rows_len, err)) != HEXGPU_OK) return st;
    if (f->rows_len % record)
        return hexgpu_error_set(err, HEXGPU_ERR_PARSE, "%s: %zu bytes, not whole records of %zu (a torn last record)",
                                f->train, f->rows_len, record);
    for (size_t i = 0; i < f->rows_len / record; i++) {
        int64_t game = 0;
        for (int b = 7; b >= 0; b--) game = (int64_t)((uint64_t)game << 8 | f->rows[i * record + (size_t)b]);
        if (game < f->first || game > f->last)
            return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "%s: record %zu is of game %lld, not one of %lld..%lld",
                                    f->train, i, (long long)game, (long long)f->first, (long long)f->last);
    }
    return HEXGPU_OK;
}

static int by_shard(const void *a, const void *b) {
    return ((const shard_file *)a)->index - ((const shard_file *)b)->index;
}

/* Checks that every shard comes from the same run as the first, once each. */
static hexgpu_status check_run(shard_file *files, int count, hexgpu_error *err) {
    qsort(files, (size_t)count, sizeof *files, by_shard);
    for (int i = 0; i < count; i++) {
        const shard_file *a = &files[0], *f = &files[i];
        if (i > 0 && f->index == files[i - 1].index)
            return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "shard %d/%d given twice: %s and %s", f->index,
                                    f->count, files[i - 1].path, f->path);
        if (f->count != a->count)
            return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "%s is a shard of %d, %s of %d", f->path, f->count,
                                    a->path, a->count);
        if (i > 0 && f->first <= files[i - 1].last)
            return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "%s and %s overlap (games %lld.. and ..%lld)",
                                    files[i - 1].path, f->path, (long long)f->first, (long long)files[i - 1].last);
        if (f->games && a->games && f->size != a->size)
            return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "%s has %dx%d games, %s %dx%d", f->path, f->size,
                                    f->size, a->path, a->size, a->size);
        for (size_t k = 0; k < RUN_FIELD_COUNT; k++)
            if (f->field_len[k] != a->field_len[k] || (f->fields[k] == NULL) != (a->fields[k] == NULL) ||
                (f->fields[k] && strncmp(f->fields[k], a->fields[k], f->field_len[k]) != 0))
                return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT,
                                        "%s and %s are not of one run: their '%s' header fields differ", a->path,
                                        f->path, RUN_FIELDS[k]);
    }
    return HEXGPU_OK;
}

/* The merged header: the first shard's lines, with the game count of the merged files
 * and a Merged line in place of the Shard line. */
static int write_header(int fd, const shard_file *files, int count, const hexgpu_shard_merge_totals *t) {
    const shard_file *a = &files[0];
    for (const char *line = a->text; line < a->text + a->body;) {
        const char *end = strchr(line, '\n') + 1;
        char text[512];
        int n = -1;
        if (strncmp(line, "# Games: ", 9) == 0) n = snprintf(text, sizeof text, "# Games: %lld\n", (long long)t->games);
        else if (strncmp(line, "# Shard: ", 9) == 0)
            n = snprintf(text, sizeof text, "# Merged: %d of %d shards, games %lld..%lld\n", count, a->count,
                         (long long)files[0].first, (long long)files[count - 1].last);
        if (n >= 0 ? !hexgpu_write_all(fd, text, (size_t)n) : !hexgpu_write_all(fd, line, (size_t)(end - line)))
            return 0;
        line = end;
    }
    return 1;
}

static hexgpu_status write_outputs(const shard_file *files, int count, const char *output, int training,
                                   hexgpu_shard_merge_totals *t, hexgpu_error *err) {
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", output);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return hexgpu_error_set(err, HEXGPU_ERR_IO, "cannot create %s: %s", tmp, strerror(errno));
    int ok = write_header(fd, files, count, t);
    for (int i = 0; ok && i < count; i++)
        ok = hexgpu_write_all(fd, files[i].text + files[i].body, files[i].len - files[i].body);
    int code = errno;
    if (ok && fdatasync(fd) != 0) ok = 0, code = errno;
    if (close(fd) != 0 && ok) ok = 0, code = errno;
    hexgpu_training_writer *w = NULL;
    hexgpu_status st = HEXGPU_OK;
    if (ok && training) {
        st = hexgpu_training_writer_open(output, files[0].size, &w, err);
        for (int i = 0; st == HEXGPU_OK && i < count; i++)
            st = hexgpu_training_writer_add_encoded(w, files[i].rows, files[i].rows_len, err);
        if (st == HEXGPU_OK) st = hexgpu_training_writer_close(w, err);
        else hexgpu_training_writer_discard(w);
    }
    if (ok && st == HEXGPU_OK && rename(tmp, output) != 0) ok = 0, code = errno;
    if (!ok || st != HEXGPU_OK) {
        unlink(tmp);
        return st != HEXGPU_OK ? st : hexgpu_error_set(err, HEXGPU_ERR_IO, "cannot write %s: %s", output, strerror(code));
    }
    return HEXGPU_OK;
}

hexgpu_status hexgpu_shard_merge(const char *const *inputs, int count, const char *output, int allow_incomplete,
                                 hexgpu_shard_merge_totals *t, hexgpu_error *err) {
    *t = (hexgpu_shard_merge_totals){.training_rows = -1};
    if (count < 1) return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "records merge: no shard files");
    if (access(output, F_OK) == 0)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "%s exists already: not overwritten", output);
    shard_file *files = calloc((size_t)count, sizeof *files);
    if (!files) return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "records merge: %d files", count);
    hexgpu_status st = HEXGPU_OK;
    int training = 1;
    for (int i = 0; i < count && st == HEXGPU_OK; i++) {
        files[i].path = inputs[i];
        st = check_records(&files[i], err);
        training &= training_paths(&files[i]);
    }
    if (st == HEXGPU_OK) st = check_run(files, count, err);
    int size = 0;
    for (int i = 0; i < count; i++) size = files[i].games ? files[i].size : size;
    for (int i = 0; st == HEXGPU_OK && training && i < count; i++) st = check_training(&files[i], size, err);
    if (st == HEXGPU_OK) {
        t->shards = count, t->shard_count = files[0].count;
        t->training_rows = training ? 0 : -1;
        for (int i = 0; i < count; i++) {
            files[i].size = size;
            t->games += files[i].games;
            t->expected += files[i].last - files[i].first + 1;
            t->blue_wins += files[i].wins[HEXGPU_BLUE], t->red_wins += files[i].wins[HEXGPU_RED];
            if (training) t->training_rows += (int64_t)(files[i].rows_len / hexgpu_training_record_bytes(size));
        }
        for (int s = 0, i = 0; s < files[0].count; s++) { /* files are in shard order */
            if (i < count && files[i].index == s) {
                i++;
                continue;
            }
            size_t used = strlen(t->missing);
            if (used + 16 < sizeof t->missing) snprintf(t->missing + used, sizeof t->missing - used, "%s%d", used ? ", " : "", s);
        }
        if (!size) st = hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "records merge: no game in any shard");
        else if (!allow_incomplete && (t->missing[0] || t->games < t->expected))
            st = hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT,
                                  "records merge: an incomplete run: %lld of %lld games%s%s (shards of %d); "
                                  "--allow-incomplete merges what is there",
                                  (long long)t->games, (long long)t->expected, t->missing[0] ? ", missing shards " : "",
                                  t->missing, t->shard_count);
        else st = write_outputs(files, count, output, training, t, err);
    }
    for (int i = 0; i < count; i++) free(files[i].text), free(files[i].rows);
    free(files);
    return st;
}
