/* hexgpu htp: a Hex text protocol engine on standard input and output, for HexGui,
 * tournament managers and `hexgpu match --opponent`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/play_options.h"
#include "hexgpu.h"
#include "htp/htp.h"

/* With a time bound and no --sims, the time decides: this many simulations at most. */
#define TIMED_SIMULATIONS 100000

static void usage(FILE *out) {
    fprintf(out,
            "usage: hexgpu htp [--model PATH] [options]\n\n"
            "Speaks the Hex text protocol (HTP) on standard input/output as MoHex and HexGui do:\n"
            "black moves first and joins top and bottom, white joins left and right, cells a1..,\n"
            "the swap rule as 'swap-pieces'. genmove runs the self-play search without noise and\n"
            "plays its best move. 'list_commands' lists the commands; 'hexgui-analyze_commands'\n"
            "the policy and search heat maps HexGui can show. See docs/play.md.\n\n"
            "options:\n"
            "  --model PATH            .safetensors, .pt or .pt.gz checkpoint (default: the shipped network,\n"
            "                          models/" HEXGPU_DEFAULT_MODEL_NAME ", or $HEXGPU_DEFAULT_MODEL)\n"
            "  --sims N                simulations per move (400; 100000 with --move-time alone)\n"
            "  --move-time S           seconds per move at most (0 = no bound); time_left also bounds it\n"
            "  --c-puct X              PUCT exploration constant (1.5)\n"
            "  --disable-gumbel        PUCT at the root even when sims <= 750\n"
            "  --leaves-per-game N     leaves evaluated together, kept apart by virtual loss, 1..1024 (8)\n"
            "  --allow-swap            start with param_game allow_swap 1: genmove may answer swap-pieces\n"
            "  --resign P              resign when the search's win probability is below P (0 = never, default)\n"
            "  --backend cpu|cuda|auto, --device N|N,M|all, --precision fp16|fp32|auto, --batch_size N,\n"
            "  --cache_size N          engine options, as for selfplay (cache 60000)\n"
            "Malformed input gets a '?' reply quoting at most %d bytes of it; the engine goes on. A line\n"
            "holds at most %d bytes (a longer one is read, dropped and answered '? line too long'),\n"
            "an id at most %d digits. Exit codes: 0 after quit or end of input, 1 an unreadable\n"
            "model file or no device, 2 bad usage or a bad model file.\n",
            HEXGPU_HTP_QUOTE, HEXGPU_HTP_MAX_LINE, HEXGPU_HTP_MAX_ID);
}

typedef struct htp_args {
    hexgpu_engine_options options;
    hexgpu_htp_config config;
    const char *model;
    char default_model[4096]; /* the shipped network, when no --model is given */
} htp_args;

static int parse_probability(const char *o, const char *v, double *out) {
    char *end;
    double p = strtod(v, &end);
    if (end == v || *end || !(p >= 0.0) || p >= 1.0)
        return hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "%s needs a probability in [0, 1), got '%s'", o, v);
    *out = p;
    return HEXGPU_EXIT_OK;
}

static int parse_args(int argc, char **argv, htp_args *a) {
    hexgpu_cli_engine_options_default(&a->options);
    a->options.cache_entries = 60000;
    hexgpu_htp_config_default(&a->config);
    a->model = NULL;
    hexgpu_cli_player player = {.mcts = a->config.mcts};
    int rc = HEXGPU_EXIT_OK;
    for (int i = 1; i < argc && rc == HEXGPU_EXIT_OK; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(o, "--disable-gumbel") == 0) player.mcts.gumbel = 0;
        else if (strcmp(o, "--allow-swap") == 0) a->config.allow_swap = 1;
        else if (o[0] != '-')
            rc = hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "unexpected argument '%s' (try 'hexgpu htp --help')", o);
        else if (!v) rc = hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "%s needs a value (try 'hexgpu htp --help')", o);
        else if (i++, strcmp(o, "--model") == 0 || strcmp(o, "--model_path") == 0) a->model = v; /* i++: v is used */
        else if (strcmp(o, "--leaves-per-game") == 0) rc = hexgpu_cli_option_int(o, v, 1, 1024, &a->config.leaves);
        else if (strcmp(o, "--resign") == 0) rc = parse_probability(o, v, &a->config.resign);
        else if (!hexgpu_cli_search_option(o, v, 0, &player, 1, &rc) &&
                 !hexgpu_cli_engine_option(o, v, &a->options, &rc))
            rc = hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "unknown option '%s' (try 'hexgpu htp --help')", o);
    }
    if (rc == HEXGPU_EXIT_OK && !a->model) {
        if (hexgpu_cli_default_model(a->default_model, sizeof a->default_model)) a->model = a->default_model;
        else rc = HEXGPU_EXIT_USAGE;
    }
    if (player.move_seconds > 0.0 && !player.sims_given) player.mcts.simulations = TIMED_SIMULATIONS;
    a->config.mcts = player.mcts;
    a->config.move_seconds = player.move_seconds;
    return rc;
}

/* Reads a line into line (cap bytes: what fits is kept, NUL-terminated, without its
 * newline; NUL bytes, which GTP drops as control characters, are dropped here); the rest
 * of a longer line is read and discarded, so memory stays bounded whatever the input.
 * *length: the line's length in bytes. 0 at the end of input with nothing read. */
static int read_line(FILE *in, char *line, size_t cap, size_t *length) {
    size_t kept = 0, total = 0;
    int c;
    while ((c = getc_unlocked(in)) != EOF && c != '\n') {
        total++;
        if (c != '\0' && kept + 1 < cap) line[kept++] = (char)c;
    }
    line[kept] = '\0';
    *length = total;
    return c != EOF || total > 0;
}

int hexgpu_cmd_htp(int argc, char **argv) {
    if (hexgpu_cli_wants_help(argc, argv)) {
        usage(stdout);
        return HEXGPU_EXIT_OK;
    }
    htp_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc != HEXGPU_EXIT_OK) return rc;
    hexgpu_engine *engine = NULL;
    if ((rc = hexgpu_cli_open_engine(a.model, &a.options, &engine)) != HEXGPU_EXIT_OK) return rc;
    hexgpu_htp *session = NULL;
    hexgpu_error err = {0};
    if (hexgpu_htp_create(engine, &a.config, &session, &err) != HEXGPU_OK) {
        hexgpu_engine_close(engine);
        return hexgpu_cli_fail(HEXGPU_EXIT_FAILURE, "%s", err.message);
    }
    static char line[HEXGPU_HTP_MAX_LINE + 1];
    int quit = 0;
    for (size_t length; !quit && read_line(stdin, line, sizeof line, &length);) {
        const char *reply = length > HEXGPU_HTP_MAX_LINE ? hexgpu_htp_reject_line(session, line, length)
                                                         : hexgpu_htp_execute(session, line, &quit);
        if (!reply) continue;
        if (fputs(reply, stdout) < 0 || fflush(stdout) != 0) break; /* the reader is gone */
    }
    hexgpu_htp_destroy(session);
    hexgpu_engine_close(engine);
    return HEXGPU_EXIT_OK;
}
