/* The HTP commands that search or evaluate: genmove (with the swap and resignation
 * decisions and the clock), reg_genmove, time_left, and the analysis commands HexGui shows
 * on the board (gfx heat maps, point-string pairs). */
#include <stdlib.h>
#include <string.h>

#include "base/timer.h"
#include "htp_impl.h"

/* When genmove for color must stop: --move-time and/or a share of the time_left clock
 * (a quarter of the empty cells, at least 10, is taken as the moves still to make); 0
 * when neither bounds it. */
static double move_deadline(const hexgpu_htp *h, int color) {
    double budget = h->config.move_seconds > 0.0 ? h->config.move_seconds : -1.0;
    if (h->time_left[color] >= 0.0) {
        int moves = h->board.empty_count / 4 > 10 ? h->board.empty_count / 4 : 10;
        double share = 0.9 * h->time_left[color] / moves;
        if (budget < 0.0 || share < budget) budget = share;
    }
    if (budget < 0.0) return 0.0;
    return hexgpu_timer_now_seconds() + (budget > 0.001 ? budget : 0.001);
}

/* Searches the current position unless the last finished search was of it. */
static int search_position(hexgpu_htp *h, double deadline) {
    uint64_t hash = hexgpu_board_hash(&h->board);
    if (h->searched && h->searched_hash == hash) return 0;
    h->searched = 0;
    hexgpu_error err = {0};
    h->rng.state = hash; /* no noise is drawn with temperature 0; seeded per position anyway */
    if (hexgpu_move_search_run(&h->search, h->engine, h->queue, &h->board, &h->rng, deadline, &err) != HEXGPU_OK)
        return hexgpu_htp_fail(h, "search failed: %s", err.message);
    h->searched = 1;
    h->searched_hash = hash;
    return 0;
}

/* The colour argument of genmove-like commands: it must be the side to move. */
static int color_to_move(hexgpu_htp *h, int argc, char **argv) {
    if (argc != 2) return hexgpu_htp_fail(h, "%s takes a colour", argv[0]);
    int color = hexgpu_htp_color_argument(h, argv[1]);
    if (color < 0) return -1;
    if (hexgpu_htp_winner(h) < 0 && color != hexgpu_htp_to_move(h))
        return hexgpu_htp_fail(h, "%s is to move, not %s", hexgpu_htp_color_name(hexgpu_htp_to_move(h)),
                               hexgpu_htp_quote(h, argv[1]));
    return color;
}

static int generate(hexgpu_htp *h, int argc, char **argv, int play) {
    int color = color_to_move(h, argc, argv);
    if (color < 0) return -1;
    if (hexgpu_htp_winner(h) >= 0) { /* as benzene: nothing to play on a finished board */
        hexgpu_htp_put(h, "resign");
        return 0;
    }
    double start = hexgpu_timer_now_seconds();
    if (search_position(h, move_deadline(h, color)) < 0) return -1;
    float value;
    int move = hexgpu_move_search_choose(&h->search, &value);
    if (play && h->time_left[color] >= 0.0) {
        h->time_left[color] -= hexgpu_timer_now_seconds() - start;
        if (h->time_left[color] < 0.0) h->time_left[color] = 0.0;
    }
    /* The second player swaps when its best reply is still worse than even: taking the
     * first stone is then worth more than answering it. */
    if (hexgpu_htp_swap_legal(h) && value < 0.0f) {
        if (play) h->swapped = 1;
        hexgpu_htp_put(h, "swap-pieces");
        return 0;
    }
    if (h->config.resign > 0.0 && (value + 1.0) / 2.0 < h->config.resign) {
        hexgpu_htp_put(h, "resign");
        return 0;
    }
    char name[4];
    hexgpu_htp_cell_name(h, move, name);
    if (play) hexgpu_board_play(&h->board, move, NULL);
    hexgpu_htp_put(h, "%s", name);
    return 0;
}

int hexgpu_htp_cmd_genmove(hexgpu_htp *h, int argc, char **argv) { return generate(h, argc, argv, 1); }
int hexgpu_htp_cmd_reg_genmove(hexgpu_htp *h, int argc, char **argv) { return generate(h, argc, argv, 0); }

int hexgpu_htp_cmd_time_left(hexgpu_htp *h, int argc, char **argv) {
    if (argc == 1) {
        for (int c = HTP_BLACK; c <= HTP_WHITE; c++) {
            if (h->time_left[c] < 0.0) hexgpu_htp_put(h, "%s%s -", c ? " " : "", hexgpu_htp_color_name(c));
            else hexgpu_htp_put(h, "%s%s %.1f", c ? " " : "", hexgpu_htp_color_name(c), h->time_left[c]);
        }
        return 0;
    }
    if (argc != 3 && argc != 4) return hexgpu_htp_fail(h, "time_left takes a colour, seconds and optionally stones");
    int color = hexgpu_htp_color_argument(h, argv[1]);
    if (color < 0) return -1;
    char *end;
    double seconds = strtod(argv[2], &end);
    if (end == argv[2] || *end || !(seconds >= 0.0) || seconds > 1e9)
        return hexgpu_htp_fail(h, "time_left: '%s' is not a number of seconds", hexgpu_htp_quote(h, argv[2]));
    if (argc == 4) {
        long stones = strtol(argv[3], &end, 10);
        if (end == argv[3] || *end || stones < 0)
            return hexgpu_htp_fail(h, "time_left: '%s' is not a stone count", hexgpu_htp_quote(h, argv[3]));
    }
    h->time_left[color] = seconds;
    return 0;
}

/* ------------------------------------------------------------------ analysis */

static double win_probability(const hexgpu_htp *h, float value_red) {
    double red = (value_red + 1.0) / 2.0;
    return hexgpu_board_to_move(&h->board) == HEXGPU_RED ? red : 1.0 - red;
}

static int game_running(hexgpu_htp *h) {
    if (hexgpu_htp_winner(h) >= 0) return hexgpu_htp_fail(h, "the game is over");
    return 0;
}

int hexgpu_htp_cmd_policy(hexgpu_htp *h, int argc, char **argv) {
    (void)argc, (void)argv;
    if (game_running(h) < 0) return -1;
    hexgpu_position pos;
    hexgpu_board_to_position(&h->board, &pos);
    float value, policy[HEXGPU_MAX_CELLS];
    hexgpu_error err = {0};
    if (hexgpu_engine_evaluate(h->engine, &pos, 1, &value, policy, NULL, &err) != HEXGPU_OK)
        return hexgpu_htp_fail(h, "evaluation failed: %s", err.message);
    int cells = h->size * h->size, best = -1;
    for (int c = 0; c < cells; c++)
        if (hexgpu_board_is_legal(&h->board, c) && (best < 0 || policy[c] > policy[best])) best = c;
    hexgpu_htp_put(h, "INFLUENCE");
    for (int cell = 0; cell < cells; cell++) {
        int our = hexgpu_htp_map_cell(h, cell);
        if (!hexgpu_board_is_legal(&h->board, our)) continue;
        char name[4];
        hexgpu_htp_cell_name(h, our, name);
        hexgpu_htp_put(h, " %s %.3f", name, policy[best] > 0.0f ? policy[our] / policy[best] : 0.0f);
    }
    char name[4];
    hexgpu_htp_cell_name(h, best, name);
    hexgpu_htp_put(h, "\nTEXT network: %s wins %.1f%%, best %s (policy %.1f%%)",
                   hexgpu_htp_color_name(hexgpu_htp_to_move(h)), 100.0 * win_probability(h, value), name,
                   100.0 * policy[best]);
    return 0;
}

/* The searched position's root children by protocol cell: visits (0 = not a child or
 * unvisited) and mean values for the side to move. Returns the best (most visited)
 * protocol cell. */
static int children_by_cell(hexgpu_htp *h, int *visits, float *values) {
    int cells[HEXGPU_MAX_CELLS], v[HEXGPU_MAX_CELLS];
    float q[HEXGPU_MAX_CELLS];
    int count = hexgpu_mcts_root_children(&h->search.mcts, cells, v, q, NULL), best = -1;
    memset(visits, 0, (size_t)(h->size * h->size) * sizeof *visits);
    for (int i = 0; i < count; i++) {
        int cell = hexgpu_htp_map_cell(h, cells[i]);
        visits[cell] = v[i], values[cell] = q[i];
        if (best < 0 || v[i] > visits[best]) best = cell;
    }
    return best;
}

static int analyse(hexgpu_htp *h, int *visits, float *values, int *best) {
    if (game_running(h) < 0) return -1;
    double deadline = h->config.move_seconds > 0.0 ? hexgpu_timer_now_seconds() + h->config.move_seconds : 0.0;
    if (search_position(h, deadline) < 0) return -1;
    *best = children_by_cell(h, visits, values);
    return 0;
}

int hexgpu_htp_cmd_search(hexgpu_htp *h, int argc, char **argv) {
    (void)argc, (void)argv;
    int visits[HEXGPU_MAX_CELLS], best, total = 0;
    float values[HEXGPU_MAX_CELLS];
    if (analyse(h, visits, values, &best) < 0) return -1;
    hexgpu_htp_put(h, "INFLUENCE");
    for (int cell = 0; cell < h->size * h->size; cell++) {
        if (visits[cell] == 0) continue;
        char name[4];
        hexgpu_trmph_cell_name(cell, h->size, name);
        hexgpu_htp_put(h, " %s %.3f", name, (double)visits[cell] / visits[best]);
        total += visits[cell];
    }
    char name[4];
    hexgpu_trmph_cell_name(best, h->size, name);
    hexgpu_htp_put(h, "\nTEXT search: %d simulations, %s wins %.1f%% after %s (%d visits)", total,
                   hexgpu_htp_color_name(hexgpu_htp_to_move(h)), 50.0 * (values[best] + 1.0), name, visits[best]);
    return 0;
}

static int cell_labels(hexgpu_htp *h, int percent) {
    int visits[HEXGPU_MAX_CELLS], best;
    float values[HEXGPU_MAX_CELLS];
    if (analyse(h, visits, values, &best) < 0) return -1;
    const char *sep = "";
    for (int cell = 0; cell < h->size * h->size; cell++) {
        if (visits[cell] == 0) continue;
        char name[4];
        hexgpu_trmph_cell_name(cell, h->size, name);
        if (percent) hexgpu_htp_put(h, "%s%s %.0f", sep, name, 50.0 * (values[cell] + 1.0));
        else hexgpu_htp_put(h, "%s%s %d", sep, name, visits[cell]);
        sep = " ";
    }
    return 0;
}

int hexgpu_htp_cmd_visits(hexgpu_htp *h, int argc, char **argv) {
    (void)argc, (void)argv;
    return cell_labels(h, 0);
}

int hexgpu_htp_cmd_values(hexgpu_htp *h, int argc, char **argv) {
    (void)argc, (void)argv;
    return cell_labels(h, 1);
}
