/* The tournament's files (cli/tournament_files.c): <dir>/tournament.trmph and
 * <dir>/tournament.csv (a name already taken: tournament_2.*, tournament_3.*, ...), each
 * game appended to both as it finishes with one write() per line, so a kill loses only
 * the games in flight, then both rewritten in game order at the end. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "cli/tournament_report.h"

typedef struct hexgpu_tournament_files {
    char records[4096], csv[4096]; /* the paths */
    int records_fd, csv_fd;
    off_t committed[2];            /* each file's length after its last whole line */
    size_t last[2];                /* the length of each file's last line */
    char *header;                  /* the record file's header, kept for the rewrite */
    int failed;                    /* a write failed: later games are not written; error says why */
    char error[1200];
} hexgpu_tournament_files;

/* Creates both files in dir (made by the caller before any model loads), exclusively,
 * never over another run's, with their headers. Returns 0, or the exit code (1) after printing the error;
 * then nothing is left open. */
int hexgpu_tournament_files_open(hexgpu_tournament_files *files, const char *dir,
                                 const hexgpu_tournament_report *report);

/* Appends a finished game's record line and CSV row. A failure is kept in files->failed
 * and files->error (the files are cut back to their last whole line) and the later games
 * are not written: the tournament goes on and its result is printed. */
void hexgpu_tournament_files_add(hexgpu_tournament_files *files, const hexgpu_tournament_report *report,
                                 const hexgpu_tournament_game *game);

/* Rewrites both files with report->result's games in game order (each file replaced
 * whole, or left as it was when that fails: failed and error say so) and closes them. */
void hexgpu_tournament_files_close(hexgpu_tournament_files *files, const hexgpu_tournament_report *report);
