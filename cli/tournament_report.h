/* What `hexgpu tournament` writes and prints (cli/tournament_report.c): the record
 * file's header and lines, the CSV's header and rows (the reference script's columns
 * first, in its order), and the result as a table or JSON. */
#pragma once

#include <stdio.h>

#include "cli/play_options.h"
#include "play/ratings.h"
#include "play/tournament.h"

typedef struct hexgpu_tournament_entrant {
    char label[128];        /* unique: the checkpoint's file name, or as --names gave it */
    const char *model;      /* the model's path */
    hexgpu_cli_player play; /* its search settings */
} hexgpu_tournament_entrant;

typedef struct hexgpu_tournament_report {
    const hexgpu_tournament_config *config;
    const hexgpu_tournament_entrant *entrants; /* [config->player_count] */
    const hexgpu_tournament_result *result;
    const hexgpu_rating *ratings;              /* [player_count]; NULL until fitted */
    hexgpu_ratings_info info;
    int anchor;
    const char *records, *csv;                 /* the files' paths, NULL when not written */
} hexgpu_tournament_report;

/* The record file's '# ' header lines (the reference's keys, then hexgpu's), the format
 * line last. */
void hexgpu_tournament_write_header(const hexgpu_tournament_report *report, FILE *out);
/* A game's record line: `#n,<moves> <b|r>`, or for a resigned game a '# ' comment. */
void hexgpu_tournament_write_record(const hexgpu_tournament_game *game, FILE *out);
/* The CSV's header row, and a game's row (Python csv quoting). */
void hexgpu_tournament_write_csv_header(FILE *out);
void hexgpu_tournament_write_csv_row(const hexgpu_tournament_report *report, const hexgpu_tournament_game *game,
                                     FILE *out);

/* The result on standard output: the players, the ratings table and the head-to-head
 * counts as text, or one JSON object. */
void hexgpu_tournament_print(const hexgpu_tournament_report *report, int json);
