/* Shared by the selfplay CLI suites: runs of `hexgpu selfplay` on the tiny13 fixture (CPU
 * backend) into a fresh folder, and checks of the record file they leave. */
#pragma once

#include "hex/trmph.h"
#include "support/run_cli.h"

/* The arguments every run gets (model, backend, no progress lines), then extra (NULL-
 * terminated), into argv (room for 48); returns the count. dir is the output folder. */
int selfplay_test_argv(const char *dir, const char *const *extra, const char **argv);

/* A fresh folder /tmp/hexgpu_selfplay_XXXXXX in dir (room for 64). */
void selfplay_test_mkdir(char *dir);

/* The record file in dir (malloc'd contents; NULL when there is none; name, room for
 * 256, gets its name), then dir and everything in it removed (the training targets
 * beside it, .train and .train.json, included). Fails the test when dir holds more than
 * one record file (a leftover .tmp included). */
char *selfplay_test_take_file(char *dir, char *name);

/* Runs selfplay with extra and options (may be NULL) into a fresh folder; *file and
 * name as selfplay_test_take_file. */
hexgpu_cli_result selfplay_test_run(const char *const *extra, const hexgpu_cli_options *options, char **file,
                                    char *name);

/* Checks the record lines of a file (after the header, at least 12 whole `# ` lines): each parses, is won by the side it names, on 13x13, and ends with a newline.
 * Copies up to max of them into records (may be NULL) and returns how many there are. */
int selfplay_test_check_records(const char *text, char records[][HEXGPU_TRMPH_MAX], int max);
