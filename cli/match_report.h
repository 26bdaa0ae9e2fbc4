/* What `hexgpu match` writes: the record file and the result as text or JSON
 * (cli/match_report.c). */
#pragma once

#include <stddef.h>

#include "play/match.h"

typedef struct hexgpu_match_report {
    const hexgpu_match_config *config;
    const hexgpu_match_result *result;
    char players[2][512]; /* each player in words: model and search, or command and name */
    const char *records;  /* the record file's path, or NULL when none was written */
} hexgpu_match_report;

/* Creates dir and its missing parents (as selfplay does with --output_dir), before any
 * game is played. Returns 0, or the exit code after printing the error. */
int hexgpu_match_make_folder(const char *dir);

/* Writes <dir>/match_<YYYYmmdd_HHMMSS>.trmph (a name already taken gets _2, _3, ...):
 * '# ' header lines, then the counted games in index order, one `#n,<moves> <b|r>` line
 * each (a resigned game as a '# ' comment line). The path goes to path. Returns 1, or 0
 * with the reason in why (printing nothing: the caller prints the result first). */
int hexgpu_match_write_records(const hexgpu_match_report *report, const char *dir, char *path, size_t cap, char *why,
                               size_t why_cap);

/* The result on standard output: a few lines of text, or one JSON object. */
void hexgpu_match_print(const hexgpu_match_report *report, int json);
