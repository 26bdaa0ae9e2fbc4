/* `hexgpu tournament` end to end on the tiny13 fixture: three search settings of one
 * model play every pair from both colours (game counts, colour balance, each round's two
 * games from the same pie-rule cell), the CSV and the record file agree game by game
 * and with the JSON's counts, the table is the same for a seed whatever the games in
 * flight; one engine per distinct model file; the anchor; the output folder created;
 * results printed when the files cannot be written; SIGINT keeps the games so far; bad
 * usage exits 2 with one line. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hex/trmph.h"
#include "play/selfplay.h"
#include "support/bytes.h"
#include "support/fixtures.h"
#include "support/run_cli.h"

#define MAX_ROWS 64
#define COLUMNS 19

typedef struct tournament_run {
    hexgpu_cli_result r;
    char dir[64];
    char records[MAX_ROWS][HEXGPU_TRMPH_MAX]; /* the record lines, in file order */
    int games;
    char header[4096];
    char *csv[MAX_ROWS][COLUMNS]; /* the CSV's rows after its header, fields unquoted */
    char csv_header[512];
    int rows;
    char *csv_text;
} tournament_run;

static void make_dir(char *dir) {
    strcpy(dir, "/tmp/hexgpu_tournament_XXXXXX");
    cr_assert(mkdtemp(dir));
}

static char *read_text(const char *path) {
    size_t length;
    return (char *)hexgpu_test_read_file(path, &length);
}

/* Reads the record file: header lines, then record lines that parse and are won by the
 * side they name. */
static void read_records(tournament_run *t, const char *path) {
    FILE *f = fopen(path, "r");
    cr_assert(f, "%s", path);
    char line[HEXGPU_TRMPH_MAX];
    while (fgets(line, sizeof line, f)) {
        cr_assert(strchr(line, '\n'), "a cut line in %s: %s", path, line);
        if (hexgpu_trmph_is_header(line)) {
            cr_assert_eq(t->games, 0, "a header line after the records: %s", line);
            strncat(t->header, line, sizeof t->header - strlen(t->header) - 1);
            continue;
        }
        hexgpu_board board;
        hexgpu_color winner;
        hexgpu_error err;
        cr_assert_eq(hexgpu_trmph_parse_record(line, &board, &winner, &err), HEXGPU_OK, "%s: %s", line, err.message);
        cr_assert_eq(hexgpu_board_winner(&board), winner);
        cr_assert_lt(t->games, MAX_ROWS);
        line[strcspn(line, "\n")] = '\0';
        snprintf(t->records[t->games++], HEXGPU_TRMPH_MAX, "%s", line);
    }
    fclose(f);
}

/* Splits the CSV (Python csv quoting: "..." with "" inside) into rows of COLUMNS fields. */
static void read_csv(tournament_run *t, const char *path) {
    t->csv_text = read_text(path);
    char *p = t->csv_text, *eol = strchr(p, '\n');
    cr_assert(eol);
    snprintf(t->csv_header, sizeof t->csv_header, "%.*s", (int)(eol - p), p);
    p = eol + 1;
    while (*p) {
        cr_assert_lt(t->rows, MAX_ROWS);
        for (int c = 0; c < COLUMNS; c++) {
            char *out = p, *start = p;
            if (*p == '"') {
                for (p++;; p++) {
                    cr_assert(*p, "an unterminated quote");
                    if (*p == '"' && p[1] == '"') *out++ = '"', p++;
                    else if (*p == '"') break;
                    else *out++ = *p;
                }
                p++;
            } else
                while (*p && *p != ',' && *p != '\n') *out++ = *p++;
            char end = *p;
            *out = '\0';
            t->csv[t->rows][c] = start;
            cr_assert_eq(end, c == COLUMNS - 1 ? '\n' : ',', "row %d has %s fields", t->rows,
                         c == COLUMNS - 1 ? "more" : "fewer");
            p++;
        }
        t->rows++;
    }
}

static const char *json_after(const char *json, const char *key) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    const char *p = strstr(json, pattern);
    cr_assert(p, "no %s in %s", key, json);
    return p + strlen(pattern);
}

static void run_in(tournament_run *t, const char *dir, int json, const char *const *extra, int want_exit) {
    const char *argv[64] = {"tournament", "--output_dir", dir, "--backend", "cpu"};
    int n = 5;
    if (json) argv[n++] = "--json";
    for (int i = 0; extra[i]; i++) argv[n++] = extra[i];
    argv[n] = NULL;
    cr_assert_eq(hexgpu_cli_run(argv, NULL, &t->r), 0);
    cr_assert_eq(t->r.exit_code, want_exit, "exit %d: %s", t->r.exit_code, t->r.err);
}

/* Runs into a fresh folder and reads both files back. */
static void run(tournament_run *t, int json, const char *const *extra) {
    memset(t, 0, sizeof *t);
    make_dir(t->dir);
    run_in(t, t->dir, json, extra, 0);
    char path[256];
    snprintf(path, sizeof path, "%s/tournament.trmph", t->dir);
    read_records(t, path);
    unlink(path);
    snprintf(path, sizeof path, "%s/tournament.csv", t->dir);
    read_csv(t, path);
    unlink(path);
    cr_assert_eq(rmdir(t->dir), 0, "more than the two files in %s", t->dir);
}

static void run_free(tournament_run *t) {
    free(t->csv_text);
    hexgpu_cli_result_free(&t->r);
}

static const char *model(void) {
    static char path[512];
    snprintf(path, sizeof path, "%s", hexgpu_test_fixture_path("tiny13/model.safetensors"));
    return path;
}

enum { TIMESTAMP, MODEL_1, MODEL_2, COLOR_1, TRMPH, WINNER, PIE_RULE, SWAP, TEMPERATURE_1, TEMPERATURE_2, STRATEGY,
       STRATEGY_CONFIG, SEARCH_WIDTHS, SEED, GAME, ROUND, OPENING, WINNER_PLAYER, MOVES };

static int label_index(const char *label) {
    static const char *const labels[3] = {"model.safetensors", "Player2_model.safetensors", "Player3_model.safetensors"};
    for (int p = 0; p < 3; p++)
        if (strcmp(label, labels[p]) == 0) return p;
    cr_assert_fail("unknown player '%s'", label);
    return -1;
}

Test(cli_tournament, three_settings_of_one_model_end_to_end, .timeout = 120) {
    tournament_run t;
    run(&t, 1, (const char *[]){"--model", model(), "--mcts-sims", "4,2,1", "--num-games", "2", "--seed", "3", NULL});
    /* 3 pairs x 2 rounds x 2 games. */
    cr_assert_eq(t.games, 12);
    cr_assert_eq(t.rows, 12);
    const char *totals = json_after(t.r.out, "virtual_draws"); /* the keys after the players' */
    cr_assert_eq(atoi(json_after(totals, "games")), 12, "%s", t.r.out);
    cr_assert_eq(atoi(json_after(t.r.out, "scheduled")), 12);
    cr_assert_str_eq(t.csv_header, "timestamp,model_1,model_2,color_1,trmph,winner,pie_rule,swap,temperature_1,"
                                   "temperature_2,strategy,strategy_config,search_widths,seed,game,round,opening,"
                                   "winner_player,moves");
    cr_assert(strstr(t.header, "# Board size: 13\n# Number of games per pair: 4\n# Models: ['model.safetensors', "
                               "'Player2_model.safetensors', 'Player3_model.safetensors']\n# Strategy: mcts\n"),
              "%s", t.header);
    cr_assert(strstr(t.header, "# mcts_sims: [4, 2, 1]\n") && strstr(t.header, "# Random seed: 3\n"), "%s", t.header);
    cr_assert(strstr(t.header, "# Format: trmph_string winner\n"), "%s", t.header);
    int pie[HEXGPU_MAX_CELLS];
    hexgpu_selfplay_pie_openings(13, pie);
    int blue[3] = {0}, games[3] = {0}, wins[3] = {0}, pair_blue[3][3] = {{0}};
    for (int k = 0; k < 12; k++) {
        char **row = t.csv[k];
        /* The CSV's game is the record file's, in game order. */
        cr_assert_str_eq(row[TRMPH], t.records[k], "game %d", k);
        cr_assert_eq(atoi(row[GAME]), k);
        cr_assert_eq(atoi(row[ROUND]), k / 6);
        const char *record = t.records[k];
        cr_assert_eq(row[WINNER][0], record[strlen(record) - 1]);
        cr_assert_str_eq(row[COLOR_1], "blue");
        cr_assert_str_eq(row[PIE_RULE], "True");
        cr_assert_str_eq(row[SWAP], "no_swap");
        cr_assert_str_eq(row[STRATEGY], "mcts");
        cr_assert_str_eq(row[SEED], "3");
        cr_assert_str_eq(row[SEARCH_WIDTHS], "None");
        cr_assert_str_eq(row[STRATEGY_CONFIG], "{'mcts_sims': [4, 2, 1], 'mcts_c_puct': 1.5, "
                                               "'enable_gumbel_root_selection': True, 'temperature_end': 0.01}");
        /* Round r opens with pie-rule cell r, played for Blue: the record's first move. */
        char cell[4];
        hexgpu_trmph_cell_name(pie[k / 6], 13, cell);
        cr_assert_str_eq(row[OPENING], cell);
        cr_assert(strncmp(record + 4, cell, strlen(cell)) == 0 && (record[4 + strlen(cell)] > '9'),
                  "game %d: %s opens otherwise than %s", k, record, cell);
        int b = label_index(row[MODEL_1]), r = label_index(row[MODEL_2]);
        cr_assert_neq(b, r);
        int winner = row[WINNER][0] == 'b' ? b : r;
        cr_assert_eq(label_index(row[WINNER_PLAYER]), winner);
        hexgpu_board board;
        hexgpu_color colour;
        hexgpu_error err;
        cr_assert_eq(hexgpu_trmph_parse_record(record, &board, &colour, &err), HEXGPU_OK);
        cr_assert_eq(atoi(row[MOVES]), hexgpu_board_move_count(&board));
        blue[b]++, games[b]++, games[r]++, wins[winner]++;
        pair_blue[b][r]++;
        /* The two games of a round: the same pair, the colours the other way round. */
        if (k % 2 == 1) {
            cr_assert_str_eq(row[MODEL_1], t.csv[k - 1][MODEL_2]);
            cr_assert_str_eq(row[MODEL_2], t.csv[k - 1][MODEL_1]);
        }
    }
    for (int p = 0; p < 3; p++) {
        cr_assert_eq(games[p], 8, "player %d", p);
        cr_assert_eq(blue[p], 4, "player %d was blue %d times of 8", p, blue[p]);
        for (int q = 0; q < 3; q++) cr_assert_eq(pair_blue[p][q], p == q ? 0 : 2, "%d blue against %d", p, q);
    }
    /* The JSON's counts are the CSV's: each player's games and wins, in player order. */
    const char *player = json_after(t.r.out, "players");
    for (int p = 0; p < 3; p++) {
        player = strstr(player, "{\"name\":");
        cr_assert(player);
        cr_assert_eq(atoi(json_after(player, "games")), games[p]);
        cr_assert_eq(atoi(json_after(player, "wins")), wins[p]);
        player++;
    }
    cr_assert(strstr(t.r.out, "\"anchor\":\"model.safetensors\""), "%s", t.r.out);
    cr_assert(strstr(t.r.out, "\"players\":[{\"name\":\"model.safetensors\",\"model\":") &&
                  strstr(t.r.out, "\"elo\":0.00,\"elo_low\":0.00,\"elo_high\":0.00"),
              "the first player is the anchor: %s", t.r.out);
    run_free(&t);
}

/* The lines of the text output from the table's heading to the ratings line. */
static void table_of(const char *out, char *table, size_t cap) {
    const char *from = strstr(out, "rank  player"), *to = strstr(out, "ratings: ");
    cr_assert(from && to && to > from, "%s", out);
    snprintf(table, cap, "%.*s", (int)(to - from), from);
}

Test(cli_tournament, the_same_seed_gives_the_same_table, .timeout = 120) {
    tournament_run t[3];
    const char *flight[3] = {"1", "16", "16"}, *seed[3] = {"5", "5", "6"};
    for (int i = 0; i < 3; i++)
        run(&t[i], 0,
            (const char *[]){"--model", model(), "--mcts-sims", "3,1", "--temperature", "1,0.5", "--num-games", "3",
                             "--seed", seed[i], "--games-in-flight", flight[i], NULL});
    char a[4096], b[4096];
    table_of(t[0].r.out, a, sizeof a);
    table_of(t[1].r.out, b, sizeof b);
    cr_assert_str_eq(a, b);
    cr_assert_eq(t[0].games, 6);
    for (int k = 0; k < 6; k++) cr_assert_str_eq(t[0].records[k], t[1].records[k], "game %d", k);
    int differ = 0;
    for (int k = 0; k < 6; k++) differ += strcmp(t[0].records[k], t[2].records[k]) != 0;
    cr_assert_gt(differ, 0, "another seed, the same games");
    cr_assert(strstr(a, "anchor"), "%s", a);
    for (int i = 0; i < 3; i++) run_free(&t[i]);
}

/* Two files of the same weights are two models (two engines); one file named twice is one. */
Test(cli_tournament, one_engine_per_distinct_model_and_the_anchor, .timeout = 120) {
    char dir[512];
    snprintf(dir, sizeof dir, "%s", hexgpu_test_fixture_path("tiny13"));
    tournament_run t;
    run(&t, 0, (const char *[]){"--checkpoints", "model.safetensors,checkpoint.pt.gz", "--checkpoint_dirs", dir,
                                "--mcts-sims", "2", "--num-games", "1", "--seed", "1", "--anchor", "checkpoint.pt.gz",
                                NULL});
    cr_assert_eq(t.games, 2);
    int engines = 0;
    for (const char *p = t.r.err; (p = strstr(p, ": backend cpu")); p++) engines++;
    cr_assert_eq(engines, 2, "%s", t.r.err);
    /* The anchor is rated 0: its line of the table says so. */
    const char *at = strstr(t.r.out, "  checkpoint.pt.gz ");
    cr_assert(at, "%s", t.r.out);
    char line[256];
    snprintf(line, sizeof line, "%.*s", (int)strcspn(at, "\n"), at);
    cr_assert(strstr(line, " 0.0  anchor "), "%s", line);
    run_free(&t);
    run(&t, 0, (const char *[]){"--checkpoints", "model.safetensors,model.safetensors", "--checkpoint-dirs", dir,
                                "--mcts-sims", "2,1", "--num-games", "1", "--seed", "1", NULL});
    engines = 0;
    for (const char *p = t.r.err; (p = strstr(p, ": backend cpu")); p++) engines++;
    cr_assert_eq(engines, 1, "%s", t.r.err);
    cr_assert(strstr(t.r.out, "2 Player2_model.safetensors: "), "%s", t.r.out);
    run_free(&t);
}

Test(cli_tournament, the_output_folder_is_created_or_fails_first, .timeout = 120) {
    char dir[64], nested[128], path[256];
    make_dir(dir);
    snprintf(nested, sizeof nested, "%s/a/b", dir);
    tournament_run t = {0};
    run_in(&t, nested, 0, (const char *[]){"--model", model(), "--mcts-sims", "1,2", "--num-games", "1", NULL}, 0);
    cr_assert(strstr(t.r.err, "Auto-generated seed: "), "%s", t.r.err);
    snprintf(path, sizeof path, "%s/tournament.trmph", nested);
    cr_assert_eq(access(path, R_OK), 0);
    unlink(path);
    snprintf(path, sizeof path, "%s/tournament.csv", nested);
    cr_assert_eq(access(path, R_OK), 0);
    unlink(path);
    hexgpu_cli_result_free(&t.r);
    /* A folder under a file cannot be made: exit 1 before any game. */
    snprintf(path, sizeof path, "%s/a/file", dir);
    FILE *f = fopen(path, "w");
    fclose(f);
    snprintf(nested, sizeof nested, "%s/a/file/sub", dir);
    run_in(&t, nested, 0, (const char *[]){"--model", model(), "--mcts-sims", "1,2", "--num-games", "1", NULL}, 1);
    cr_assert(strstr(t.r.err, "error: cannot create the folder "), "%s", t.r.err);
    cr_assert_eq(t.r.out[0], '\0', "%s", t.r.out);
    hexgpu_cli_result_free(&t.r);
    unlink(path);
    snprintf(path, sizeof path, "%s/a/b", dir);
    rmdir(path);
    snprintf(path, sizeof path, "%s/a", dir);
    rmdir(path);
    rmdir(dir);
}

/* A file size limit that the record file outgrows after a few games: every game is still
 * played and rated and the table printed; the files hold whole lines; exit 1. */
Test(cli_tournament, results_are_printed_when_the_files_cannot_be_written, .timeout = 120) {
    char dir[64], path[256];
    make_dir(dir);
    const char *argv[] = {"tournament", "--output_dir", dir, "--backend", "cpu", "--model", model(), "--mcts-sims",
                          "1,2", "--num-games", "4", "--seed", "2", NULL};
    hexgpu_cli_options limit = {.limit_file_size = 1, .file_size = 3000};
    hexgpu_cli_result r;
    cr_assert_eq(hexgpu_cli_run_with(argv, NULL, &limit, &r), 0);
    cr_assert_eq(r.exit_code, 1, "exit %d: %s", r.exit_code, r.err);
    cr_assert(strstr(r.out, "games 8 of 8:") && strstr(r.out, "rank  player"), "%s", r.out);
    cr_assert(!strstr(r.out, "records: "), "no file to name: %s", r.out);
    cr_assert(strstr(r.err, "error: cannot write ") && strstr(r.err, "the results above are complete"), "%s", r.err);
    tournament_run t = {0};
    snprintf(path, sizeof path, "%s/tournament.trmph", dir);
    read_records(&t, path);
    cr_assert_lt(t.games, 8, "the limit was not reached");
    unlink(path);
    snprintf(path, sizeof path, "%s/tournament.csv", dir);
    char *csv = read_text(path);
    cr_assert(csv[0] && csv[strlen(csv) - 1] == '\n', "a cut line: %s", csv);
    free(csv);
    unlink(path);
    rmdir(dir);
    hexgpu_cli_result_free(&r);
}

Test(cli_tournament, sigint_keeps_the_games_so_far, .timeout = 120) {
    char dir[64], path[256];
    make_dir(dir);
    const char *argv[] = {"tournament", "--output_dir", dir, "--backend", "cpu", "--model", model(), "--mcts-sims",
                          "4,2", "--num-games", "200", "--seed", "4", "--games-in-flight", "4", NULL};
    hexgpu_cli_child child;
    cr_assert_eq(hexgpu_cli_spawn(argv, NULL, &child), 0);
    cr_assert(hexgpu_cli_child_read(&child, "progress: 4 of 400 games", 60000), "%s", child.output);
    kill(child.pid, SIGINT);
    hexgpu_cli_result r;
    hexgpu_cli_child_finish(&child, &r);
    cr_assert_eq(r.exit_code, 1, "exit %d: %s", r.exit_code, r.err);
    cr_assert(strstr(r.err, "rank  player"), "the table: %s", r.err);
    const char *at = strstr(r.err, "error: interrupted after ");
    cr_assert(at, "%s", r.err);
    int games = atoi(at + strlen("error: interrupted after "));
    cr_assert(games >= 4 && games < 400, "%d games", games);
    tournament_run t = {0};
    snprintf(path, sizeof path, "%s/tournament.trmph", dir);
    read_records(&t, path);
    cr_assert_eq(t.games, games);
    unlink(path);
    snprintf(path, sizeof path, "%s/tournament.csv", dir);
    read_csv(&t, path);
    cr_assert_eq(t.rows, games);
    unlink(path);
    rmdir(dir);
    free(t.csv_text);
    hexgpu_cli_result_free(&r);
}

Test(cli_tournament, usage_errors_exit_2, .timeout = 120) {
    char missing[600];
    snprintf(missing, sizeof missing, "%s,/nonexistent/b.pt", "/nonexistent/a.pt");
    const char *m = model();
    const char *const cases[][12] = {
        {"tournament", NULL},
        {"tournament", "--model", m, NULL},
        {"tournament", "--model", m, "--model", m, "--checkpoints", "a,b", NULL},
        {"tournament", "--checkpoints", "a,b,c", "--mcts-sims", "1,2", NULL},
        {"tournament", "--checkpoints", "a,b,c", "--checkpoint_dirs", "x,y", NULL},
        {"tournament", "--model", m, "--mcts-sims", "1,2", "--strategy", "policy", NULL},
        {"tournament", "--model", m, "--mcts-sims", "1,2", "--gumbel-c-visit", "50", NULL},
        {"tournament", "--model", m, "--mcts-sims", "1,2", "--anchor", "nobody", NULL},
        {"tournament", "--model", m, "--mcts-sims", "1,2", "--num-games", "0", NULL},
        {"tournament", "--model", m, "--mcts-sims", "1,2", "--names", "a,a", NULL},
        {"tournament", "--model", m, "--mcts-sims", "1,0", NULL},
        {"tournament", "--model", m, "--mcts-sims", "1,2", "--frob", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hexgpu_cli_result r;
        cr_assert_eq(hexgpu_cli_run(cases[i], NULL, &r), 0);
        cr_assert_eq(r.exit_code, 2, "case %zu: exit %d (%s)", i, r.exit_code, r.err);
        cr_assert(strncmp(r.err, "error: ", 7) == 0 && strchr(r.err, '\n') == r.err + strlen(r.err) - 1,
                  "case %zu: %s", i, r.err);
        hexgpu_cli_result_free(&r);
    }
    /* Missing checkpoints are all named at once. */
    hexgpu_cli_result r;
    cr_assert_eq(hexgpu_cli_run((const char *[]){"tournament", "--checkpoints", missing, NULL}, NULL, &r), 0);
    cr_assert_eq(r.exit_code, 2, "%s", r.err);
    cr_assert(strstr(r.err, "/nonexistent/a.pt, /nonexistent/b.pt"), "%s", r.err);
    hexgpu_cli_result_free(&r);
}
