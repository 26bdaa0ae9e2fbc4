/* hexgpu records merge: the shard files of a sharded self-play run (records and training
 * targets) checked and merged into one, as one unsharded run would have written them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "records/shard_merge.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: hexgpu records merge --output OUT.trmph [--allow-incomplete] [--no-training] SHARD.trmph...\n\n"
            "Merges the record files of 'hexgpu selfplay --shard I/N' runs and the training targets\n"
            "beside them (.train and .train.json) into OUT.trmph, OUT.train and OUT.train.json: records\n"
            "in game order, exactly what one unsharded run with the same seed writes. Every input is\n"
            "checked first: regular files, whole lines, legal finished games, one board size, one run\n"
            "(model, seed, search settings, shard count), each shard once, no game twice, and each\n"
            "game's training rows replayed against its record line (rows of another run, doubled or\n"
            "missing are refused). A missing shard or a shard short of its games (an interrupted one)\n"
            "is refused unless --allow-incomplete. A shard whose header announces training targets\n"
            "must have them, unless --no-training (then the records alone are merged). None of OUT's\n"
            "three files may exist; they are written in a temporary folder beside OUT and moved into\n"
            "place at the end (OUT.trmph last), so a merge that fails or is killed leaves none.\n"
            "Exit codes: 0 merged, 2 bad or inconsistent inputs or an existing output, 1 I/O failure\n"
            "or a shard's training targets missing.\n");
}

int hexgpu_cmd_records(int argc, char **argv) {
    if (hexgpu_cli_wants_help(argc, argv) || argc < 2) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? HEXGPU_EXIT_USAGE : HEXGPU_EXIT_OK;
    }
    if (strcmp(argv[1], "merge") != 0)
        return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "unknown records action '%s' (try 'hexgpu records --help')", argv[1]);
    const char *output = NULL;
    hexgpu_shard_merge_options options = {0};
    int count = 0;
    const char **inputs = calloc((size_t)argc, sizeof *inputs);
    if (!inputs) return hexgpu_cli_fail(HEXGPU_EXIT_FAILURE, "out of memory");
    int rc = HEXGPU_EXIT_OK;
    for (int i = 2; i < argc && rc == HEXGPU_EXIT_OK; i++) {
        if (strcmp(argv[i], "--output") == 0 && i + 1 < argc) output = argv[++i];
        else if (strncmp(argv[i], "--output=", 9) == 0) output = argv[i] + 9;
        else if (strcmp(argv[i], "--allow-incomplete") == 0) options.allow_incomplete = 1;
        else if (strcmp(argv[i], "--no-training") == 0) options.no_training = 1;
        else if (strncmp(argv[i], "--", 2) == 0)
            rc = hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "bad option '%s' (try 'hexgpu records --help')", argv[i]);
        else inputs[count++] = argv[i];
    }
    if (rc == HEXGPU_EXIT_OK && (!output || count == 0))
        rc = hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "records merge needs --output OUT.trmph and at least one shard file");
    if (rc == HEXGPU_EXIT_OK) {
        hexgpu_shard_merge_totals t;
        hexgpu_error err = {0};
        hexgpu_status st = hexgpu_shard_merge(inputs, count, output, &options, &t, &err);
        if (st != HEXGPU_OK) rc = hexgpu_cli_fail_status(st, &err);
        else {
            printf("merged %d of %d shards into %s: %lld games (blue %lld, red %lld) of %lld", t.shards,
                   t.shard_count, output, (long long)t.games, (long long)t.blue_wins, (long long)t.red_wins,
                   (long long)t.expected);
            if (t.training_rows >= 0) printf(", %lld training rows", (long long)t.training_rows);
            else if (t.targets_left_out) printf(", records only: the training targets left out (--no-training)");
            else printf(", no training targets (the run has none)");
            printf("%s%s\n", t.missing[0] ? "; missing shards " : "", t.missing);
        }
    }
    free(inputs);
    return rc;
}
