/* The tournament's record and CSV files (tournament_files.h): journals written a line at
 * a time, then replaced whole in game order (base/file_write.h). */
#include "cli/tournament_files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file_write.h"
#include "cli/cli.h"

static void fail(hexgpu_tournament_files *f, const char *what, const char *path, int code) {
    if (f->failed) return;
    f->failed = 1;
    snprintf(f->error, sizeof f->error, "%s %s: %s", what, path, strerror(code ? code : EIO));
}

/* Opens <dir>/tournament[_k].trmph and .csv, the first k for which both are free. */
static int create_pair(hexgpu_tournament_files *f, const char *dir) {
    for (int k = 1; k < 1000; k++) {
        char suffix[16] = "";
        if (k > 1) snprintf(suffix, sizeof suffix, "_%d", k);
        int a = snprintf(f->records, sizeof f->records, "%s/tournament%s.trmph", dir, suffix);
        int b = snprintf(f->csv, sizeof f->csv, "%s/tournament%s.csv", dir, suffix);
        if (a < 0 || b < 0 || (size_t)a >= sizeof f->records || (size_t)b >= sizeof f->csv) return ENAMETOOLONG;
        f->records_fd = open(f->records, O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (f->records_fd < 0 && errno == EEXIST) continue;
        if (f->records_fd < 0) return errno;
        f->csv_fd = open(f->csv, O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (f->csv_fd >= 0) return 0;
        int code = errno;
        close(f->records_fd), unlink(f->records);
        f->records_fd = -1;
        if (code != EEXIST) return code;
    }
    return EEXIST;
}

enum { RECORDS, CSV };

static void put_game(const hexgpu_tournament_report *r, int which, const hexgpu_tournament_game *g, FILE *out) {
    if (which == RECORDS) hexgpu_tournament_write_record(g, out);
    else hexgpu_tournament_write_csv_row(r, g, out);
}

/* One game's line (one != NULL), or the whole file: the header and every game of the
 * result. malloc'd; NULL without memory. */
static char *format(const hexgpu_tournament_files *f, const hexgpu_tournament_report *r, int which,
                    const hexgpu_tournament_game *one, size_t *length) {
    char *text = NULL;
    FILE *m = open_memstream(&text, length);
    if (!m) return NULL;
    if (one) put_game(r, which, one, m);
    else {
        if (which == RECORDS) fputs(f->header, m);
        else hexgpu_tournament_write_csv_header(m);
        for (int64_t i = 0; i < r->result->games; i++) put_game(r, which, &r->result->list[i], m);
    }
    if (fclose(m) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

int hexgpu_tournament_files_open(hexgpu_tournament_files *f, const char *dir, const hexgpu_tournament_report *r) {
    memset(f, 0, sizeof *f);
    f->records_fd = f->csv_fd = -1;
    int code;
    if ((code = create_pair(f, dir)) != 0)
        return hexgpu_cli_fail(HEXGPU_EXIT_FAILURE, "cannot create %s: %s", f->records, strerror(code));
    size_t length = 0, csv_length = 0;
    char *csv_header = NULL;
    FILE *m = open_memstream(&f->header, &length), *c = open_memstream(&csv_header, &csv_length);
    if (m) hexgpu_tournament_write_header(r, m);
    if (c) hexgpu_tournament_write_csv_header(c);
    int ok = (!m || fclose(m) == 0) && (!c || fclose(c) == 0) && m && c;
    f->committed[RECORDS] = (off_t)length, f->committed[CSV] = (off_t)csv_length;
    errno = 0;
    ok = ok && hexgpu_write_all(f->records_fd, f->header, length) &&
         hexgpu_write_all(f->csv_fd, csv_header, csv_length);
    code = errno;
    free(csv_header);
    if (!ok) {
        close(f->records_fd), close(f->csv_fd), unlink(f->records), unlink(f->csv);
        free(f->header);
        f->header = NULL;
        return hexgpu_cli_fail(HEXGPU_EXIT_FAILURE, "cannot write the headers of %s and %s: %s", f->records, f->csv,
                               strerror(code ? code : ENOMEM));
    }
    return HEXGPU_EXIT_OK;
}

void hexgpu_tournament_files_add(hexgpu_tournament_files *f, const hexgpu_tournament_report *r,
                                 const hexgpu_tournament_game *g) {
    const int fds[2] = {f->records_fd, f->csv_fd};
    const char *paths[2] = {f->records, f->csv};
    for (int which = RECORDS; which <= CSV && !f->failed; which++) {
        size_t length = 0;
        char *line = format(f, r, which, g, &length);
        errno = ENOMEM;
        if (line && hexgpu_write_all(fds[which], line, length)) {
            f->committed[which] += (off_t)length;
        } else {
            fail(f, "cannot write", paths[which], errno);
            /* Both files back to their last whole game. */
            for (int k = RECORDS; k <= CSV; k++) {
                if (k < which) f->committed[k] -= (off_t)f->last[k];
                int cut = ftruncate(fds[k], f->committed[k]); /* best effort: the error already says why */
                (void)cut;
                lseek(fds[k], f->committed[k], SEEK_SET);
            }
        }
        f->last[which] = length;
        free(line);
    }
}

void hexgpu_tournament_files_close(hexgpu_tournament_files *f, const hexgpu_tournament_report *r) {
    const char *paths[2] = {f->records, f->csv};
    int rewritten = 0;
    for (int which = RECORDS; which <= CSV; which++) {
        size_t length = 0;
        char *text = f->header ? format(f, r, which, NULL, &length) : NULL;
        hexgpu_error err = {0};
        if (!text) fail(f, "no memory to rewrite", paths[which], ENOMEM);
        else if (hexgpu_file_write_atomic(paths[which], (const uint8_t *)text, length, &err) == HEXGPU_OK) rewritten++;
        else if (!f->failed) {
            f->failed = 1;
            snprintf(f->error, sizeof f->error, "%s", err.message);
        }
        free(text);
    }
    if (rewritten == 2) f->failed = 0; /* a journal that failed earlier is replaced by the whole file */
    if (f->records_fd >= 0) close(f->records_fd);
    if (f->csv_fd >= 0) close(f->csv_fd);
    f->records_fd = f->csv_fd = -1;
    free(f->header);
    f->header = NULL;
}
