/* Self-play's training targets through the command: every searched position of every
 * game, tied to its record line (game index, ply, move), visit distributions and improved
 * policies summing to 1 over the empty cells, the playout cap and random moves marked;
 * and the reference's argparse forms of the flags. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/selfplay_support.h"
#include "base/json.h"
#include "support/bytes.h"
#include "hex/board.h"
#include "records/training_writer.h"

enum { N = 13, CELLS = N * N };

/* The file in dir whose name ends with suffix, read whole. */
static unsigned char *slurp_named(const char *dir, const char *suffix, size_t *len) {
    DIR *d = opendir(dir);
    cr_assert(d);
    char path[512] = "";
    for (struct dirent *e; (e = readdir(d));) {
        size_t n = strlen(e->d_name), k = strlen(suffix);
        if (n > k && strcmp(e->d_name + n - k, suffix) == 0) snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    }
    closedir(d);
    cr_assert(path[0], "no *%s in %s", suffix, dir);
    return hexgpu_test_read_file(path, len);
}

Test(cli_selfplay_training, targets_for_every_searched_position, .timeout = 120) {
    char dir[64];
    selfplay_test_mkdir(dir);
    const char *argv[48];
    const char *extra[] = {"--num_games", "4", "--mcts_sims", "16", "--fast-sims", "4", "--full-prob", "0.5",
                           "--random-move-frequency", "0.2", "--seed", "3", "--games-in-flight", "2", NULL};
    selfplay_test_argv(dir, extra, argv);
    hexgpu_cli_result r;
    cr_assert_eq(hexgpu_cli_run(argv, NULL, &r), 0);
    cr_assert_eq(r.exit_code, 0, "stderr %s", r.err);
    cr_assert(strstr(r.err, "training targets go to "), "%s", r.err);
    hexgpu_cli_result_free(&r);

    size_t len, side_len;
    char *records_text = (char *)slurp_named(dir, ".trmph", &len);
    cr_assert(strstr(records_text, "# Playout cap: 4 fast simulations, full search with probability 0.5\n"));
    cr_assert(strstr(records_text, "# Random move frequency: 0.2\n"));
    cr_assert(strstr(records_text, "# C_PUCT: 1.5\n# Gumbel root selection: True\n# Git commit: "));
    char lines[4][HEXGPU_TRMPH_MAX];
    cr_assert_eq(selfplay_test_check_records(records_text, lines, 4), 4);
    /* The games' moves, in game order (the file is ordered at the end). */
    hexgpu_board games[4];
    int moves[4][CELLS], move_count[4];
    for (int g = 0; g < 4; g++) {
        hexgpu_color winner;
        hexgpu_error err;
        cr_assert_eq(hexgpu_trmph_parse_record(lines[g], &games[g], &winner, &err), HEXGPU_OK);
        move_count[g] = hexgpu_board_move_count(&games[g]);
        for (int m = 0; m < move_count[g]; m++) moves[g][m] = games[g].moves[m];
    }

    char *side = (char *)slurp_named(dir, ".train.json", &side_len);
    hexgpu_json meta;
    hexgpu_error err;
    cr_assert_eq(hexgpu_json_parse(side, side_len, &meta, &err), HEXGPU_OK, "%s", err.message);
    size_t bytes = hexgpu_training_record_bytes(N);
    cr_assert_eq(hexgpu_json_get(&meta, "record_bytes")->integer, (int64_t)bytes);
    /* The rows' order is said where a reader looks: the records are in game order, the
     * rows in the order the games finished. */
    cr_assert_str_eq(hexgpu_json_get(&meta, "row_order")->string, "finishing");
    cr_assert(strstr(records_text, "rows in the order the games finished"), "%s", records_text);
    /* The reference's bad first moves: its default, in its header line, with pie_rule. */
    cr_assert(strstr(records_text, "# Bad move frequency: 0.1\n"), "%s", records_text);
    hexgpu_json_free(&meta);
    unsigned char *data = slurp_named(dir, ".train", &len);
    cr_assert_eq(len % bytes, 0);
    size_t count = len / bytes;
    int per_game[4] = {0}, fast = 0, full = 0, not_target = 0;
    for (size_t i = 0; i < count; i++) {
        const unsigned char *rec = data + i * bytes;
        int game = (int)hexgpu_test_le(rec, 8), ply = (int)hexgpu_test_le(rec + 8, 2), move = (int)hexgpu_test_le(rec + 10, 2);
        cr_assert(game >= 0 && game < 4, "game %d", game);
        cr_assert_lt(ply, move_count[game]);
        cr_assert_eq(move, moves[game][ply], "game %d ply %d: record move %d, line move %d", game, ply, move,
                     moves[game][ply]);
        int to_move = rec[12], result = (int8_t)rec[13];
        cr_assert_eq(to_move, ply % 2, "Blue moves at even plies");
        hexgpu_color winner = hexgpu_board_winner(&games[game]);
        cr_assert_eq(result, (hexgpu_color)to_move == winner ? 1 : -1);
        int full_search = rec[14], target = rec[15];
        full += full_search, fast += !full_search, not_target += !target;
        cr_assert(!target || full_search, "a policy target is a full search");
        float value = hexgpu_test_f32(rec + 16);
        cr_assert(value >= -1.0f && value <= 1.0f);
        /* Stones: exactly the first `ply` moves of the line. */
        uint64_t blue[HEXGPU_POSITION_WORDS], red[HEXGPU_POSITION_WORDS];
        for (int k = 0; k < HEXGPU_POSITION_WORDS; k++) blue[k] = hexgpu_test_le(rec + 24 + 8 * k, 8), red[k] = hexgpu_test_le(rec + 72 + 8 * k, 8);
        double vsum = 0.0, isum = 0.0;
        for (int c = 0; c < CELLS; c++) {
            int occupied = (int)((blue[c / 64] | red[c / 64]) >> (c % 64) & 1);
            float v = hexgpu_test_f32(rec + 120 + 4 * c), p = hexgpu_test_f32(rec + 120 + 4 * (CELLS + c));
            cr_assert(v >= 0.0f && p >= 0.0f);
            if (occupied) cr_assert(v == 0.0f && p == 0.0f, "target on an occupied cell %d", c);
            vsum += v, isum += p;
        }
        int stones = 0;
        for (int k = 0; k < HEXGPU_POSITION_WORDS; k++)
            stones += __builtin_popcountll(blue[k]) + __builtin_popcountll(red[k]);
        cr_assert_eq(stones, ply);
        for (int m = 0; m < ply; m++) {
            int c = moves[game][m];
            uint64_t *mask = m % 2 == 0 ? blue : red;
            cr_assert(mask[c / 64] >> (c % 64) & 1, "move %d of game %d not on the board", m, game);
        }
        cr_assert(fabs(vsum - 1.0) < 1e-4 && fabs(isum - 1.0) < 1e-4, "sums %g %g", vsum, isum);
        per_game[game]++;
    }
    /* Every position after the opening stone and before the last move was searched. */
    for (int g = 0; g < 4; g++) cr_assert_eq(per_game[g], move_count[g] - 1, "game %d", g);
    cr_assert(fast > 0 && full > 0, "fast %d full %d: both kinds with --full-prob 0.5", fast, full);
    cr_assert_gt(not_target, fast, "random moves make some full searches no policy target too");
    free(data), free(side), free(records_text);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

/* The forms Python's argparse accepts: --flag=value, unambiguous prefixes; an ambiguous
 * prefix, a flag given a value and --verbose out of 0..2 are usage errors. */
Test(cli_selfplay_training, argparse_forms, .timeout = 120) {
    char name[256], *file;
    const char *forms[] = {"--num_g=1", "--mcts_sims=4", "--verbose", "0", "--seed=5", "--no-training-data", NULL};
    hexgpu_cli_result r = selfplay_test_run(forms, NULL, &file, name);
    cr_assert_eq(r.exit_code, 0, "stderr %s", r.err);
    cr_assert_eq(selfplay_test_check_records(file, NULL, 0), 1, "%s", file);
    cr_assert(strstr(file, "# MCTS simulations: 4\n") && strstr(file, "# Seed: 5\n"), "%s", file);
    cr_assert(strstr(file, "# Training data: none\n"), "%s", file);
    free(file);
    hexgpu_cli_result_free(&r);
    const char *bad[][5] = {{"--c", "1", NULL}, {"--streaming_save=1", NULL}, {"--verbose=x", NULL},
                            {"--bad_move_frequency", "1.5", NULL}, {"--full-prob", "-0.1", NULL},
                            {"--mcts_sims", "4", "--fast-sims", "8", NULL}};
    const char *why[] = {"ambiguous option '--c' could match --cache_size, --c-puct", "--streaming_save takes no value", "--verbose needs an integer",
                         "--bad_move_frequency needs a number in [0, 1]", "--full-prob needs a number in [0, 1]",
                         "fast simulations (8) must not exceed the simulations of a full search (4)"};
    /* --num is ambiguous to argparse too (--num_games, --num_workers); hexgpu's own flags
     * never make a reference prefix ambiguous: --s is --streaming_save despite --seed. */
    const char *num[] = {"--num", "1", NULL};
    r = selfplay_test_run(num, NULL, &file, name);
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strstr(r.err, "ambiguous option '--num' could match --num_games, --num_workers"), "%s", r.err);
    hexgpu_cli_result_free(&r);
    const char *reference[] = {"--num_g", "2", "--mcts", "4", "--s", "--verbose", "3", "--no-training-data", NULL};
    r = selfplay_test_run(reference, NULL, &file, name);
    cr_assert_eq(r.exit_code, 0, "stderr %s", r.err);
    cr_assert(strstr(r.err, "game 0:") || strstr(r.err, "game 1:"), "--verbose 3 is the most verbose: %s", r.err);
    cr_assert_eq(selfplay_test_check_records(file, NULL, 0), 2, "%s", file);
    free(file);
    hexgpu_cli_result_free(&r);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = selfplay_test_run(bad[i], NULL, &file, name);
        cr_assert_eq(r.exit_code, 2, "%s: exit %d, stderr %s", bad[i][0], r.exit_code, r.err);
        cr_assert(strstr(r.err, why[i]), "%s: %s", bad[i][0], r.err);
        cr_assert_null(file);
        hexgpu_cli_result_free(&r);
    }
}
