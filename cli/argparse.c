/* See argparse.h. */
#include "cli/argparse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static int is_number(const char *text) {
    char *end;
    if (!text || !*text) return 0;
    strtod(text, &end);
    return *end == '\0';
}

int hexgpu_cli_arg_next(const hexgpu_cli_arg *table, int count, const char *command, int argc, char **argv, int *i,
                        const char **value) {
    const char *arg = argv[*i];
    *value = NULL;
    if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
        hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "unexpected argument '%s' (try 'hexgpu %s --help')", arg, command);
        return -1;
    }
    const char *eq = strchr(arg, '=');
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    int found = -1, matches = 0;
    for (int k = 0; k < count && found < 0; k++)
        if (strlen(table[k].name) == len && strncmp(table[k].name, arg, len) == 0) found = k;
    /* A prefix of one option only (aliases of the same option count once): first among
     * the reference's flags, then, when none matches, among all. */
    for (int pass = 0; pass < 2 && found < 0; pass++) {
        matches = 0;
        for (int k = 0; k < count; k++) {
            if ((pass == 0 && table[k].extension) || strncmp(table[k].name, arg, len) != 0) continue;
            if (found < 0 || table[found].id != table[k].id) matches++;
            if (found < 0) found = k;
        }
        if (matches > 1) { /* as argparse says it: "could match --num_games, --num_workers" */
            char names[512] = "";
            size_t at = 0;
            for (int k = 0; k < count && at < sizeof names; k++) {
                int listed = 0; /* an option once, by its first spelling that matches */
                for (int j = 0; j < k && !listed; j++)
                    listed = table[j].id == table[k].id && !(pass == 0 && table[j].extension) &&
                             strncmp(table[j].name, arg, len) == 0;
                if (!listed && !(pass == 0 && table[k].extension) && strncmp(table[k].name, arg, len) == 0)
                    at += (size_t)snprintf(names + at, sizeof names - at, "%s%s", at ? ", " : "", table[k].name);
            }
            hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "ambiguous option '%.*s' could match %s (try 'hexgpu %s --help')",
                            (int)len, arg, names, command);
            return -1;
        }
    }
    if (found < 0) {
        hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "unknown option '%.*s' (try 'hexgpu %s --help')", (int)len, arg, command);
        return -1;
    }
    const hexgpu_cli_arg *opt = &table[found];
    if (opt->kind == HEXGPU_CLI_ARG_FLAG) {
        if (eq) {
            hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "%s takes no value", opt->name);
            return -1;
        }
    } else if (eq) {
        *value = eq + 1;
    } else if (*i + 1 < argc && (opt->kind == HEXGPU_CLI_ARG_VALUE || is_number(argv[*i + 1]))) {
        *value = argv[++*i];
    } else if (opt->kind == HEXGPU_CLI_ARG_VALUE) {
        hexgpu_cli_fail(HEXGPU_EXIT_USAGE, "%s needs a value (try 'hexgpu %s --help')", opt->name, command);
        return -1;
    }
    ++*i;
    return opt->id;
}
