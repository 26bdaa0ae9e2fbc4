/* Long options as Python's argparse reads them, for commands whose users come from the
 * reference system's Python scripts: `--name value` and `--name=value`, and any
 * unambiguous prefix of a name (argparse's abbreviations; an exact name always wins).
 * A prefix resolves as argparse resolves it over the reference's own flags: hexgpu's
 * extensions (and other spellings) are considered only when no reference flag matches,
 * so `--s` is still `--streaming_save` although hexgpu adds `--seed` and `--shard`. */
#pragma once

typedef enum hexgpu_cli_arg_kind {
    HEXGPU_CLI_ARG_FLAG = 0,   /* no value */
    HEXGPU_CLI_ARG_VALUE,      /* a value: `--name V` or `--name=V` */
    HEXGPU_CLI_ARG_OPTIONAL    /* `--name=V`, or `--name V` when V is a number, else no value */
} hexgpu_cli_arg_kind;

typedef struct hexgpu_cli_arg {
    const char *name; /* with the dashes: "--mcts_sims" */
    hexgpu_cli_arg_kind kind;
    int id;           /* what the caller switches on; aliases share an id */
    int extension;    /* 1: hexgpu's own flag or spelling, not the reference's (see above) */
} hexgpu_cli_arg;

/* Reads the option at argv[*i] against table[0..count): returns its id and sets *value
 * (NULL for a flag, or an OPTIONAL without a value) and advances *i past what it used.
 * On an unknown, ambiguous or malformed option prints a one-line usage error naming the
 * command and returns -1. */
int hexgpu_cli_arg_next(const hexgpu_cli_arg *table, int count, const char *command, int argc, char **argv, int *i,
                        const char **value);
