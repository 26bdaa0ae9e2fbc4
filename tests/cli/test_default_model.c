/* `hexgpu htp` and `hexgpu match` without --model play the shipped network
 * (cli/play_options.c: $HEXGPU_DEFAULT_MODEL, else models/loop-13x13.safetensors beside the
 * build or install folder), and say where they looked when it is not there. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/play_options.h"
#include "support/fixtures.h"
#include "support/run_cli.h"

static hexgpu_cli_result run_env(const char *const *argv, const char *input, const char *model) {
    char setting[1024];
    snprintf(setting, sizeof setting, "HEXGPU_DEFAULT_MODEL=%s", model ? model : "");
    const char *environment[] = {model ? setting : "HEXGPU_DEFAULT_MODEL", NULL};
    hexgpu_cli_options options = {.environment = environment, .alarm_seconds = 100};
    hexgpu_cli_result r;
    cr_assert_eq(hexgpu_cli_run_with(argv, input, &options, &r), 0);
    return r;
}

Test(cli_default_model, htp_plays_the_default_network, .timeout = 100) {
    char model[512];
    snprintf(model, sizeof model, "%s", hexgpu_test_fixture_path("tiny13/model.safetensors"));
    hexgpu_cli_result r = run_env((const char *[]){"htp", "--sims", "4", "--backend", "cpu", NULL},
                                  "name\nboardsize 13\ngenmove black\n", model);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.out, "= hexgpu\n\n= \n\n= ") == r.out, "%s", r.out);
    cr_assert(strstr(r.err, model), "the backend line names the network in use: %s", r.err);
    hexgpu_cli_result_free(&r);
    /* A board size other than the default network's is refused as for any network. */
    r = run_env((const char *[]){"htp", "--backend", "cpu", NULL}, "boardsize 11\n", model);
    cr_assert(strstr(r.out, "? unacceptable size 11x11"), "%s", r.out);
    hexgpu_cli_result_free(&r);
}

Test(cli_default_model, match_without_a_model_is_the_default_network, .timeout = 100) {
    char model[512];
    snprintf(model, sizeof model, "%s", hexgpu_test_fixture_path("tiny11/model.safetensors"));
    /* Nothing named: A and B are the default network with two settings. */
    hexgpu_cli_result r = run_env((const char *[]){"match", "--sims", "4,1", "--games", "2", "--seed", "1", "--backend",
                                                   "cpu", "--output_dir", "/tmp", "--json", NULL},
                                  NULL, model);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.out, "\"games\":2"), "%s", r.out);
    char a[600], b[800];
    snprintf(a, sizeof a, "{\"players\":[\"%s: 4 simulations", model);
    snprintf(b, sizeof b, "\"%s: 1 simulation,", model);
    cr_assert(strstr(r.out, a) && strstr(r.out, b), "%s", r.out);
    hexgpu_cli_result_free(&r);
    /* One --opponent alone: the default network is A, the opponent B. */
    char opponent[700];
    snprintf(opponent, sizeof opponent, "%s htp --model %s --sims 1 --backend cpu", HEXGPU_CLI_PATH, model);
    r = run_env((const char *[]){"match", "--opponent", opponent, "--sims", "2", "--games", "2", "--seed", "1",
                                 "--backend", "cpu", "--output_dir", "/tmp", NULL},
                NULL, model);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    snprintf(a, sizeof a, "A: %s: 2 simulations", model);
    snprintf(b, sizeof b, "B: %s", opponent);
    cr_assert(strstr(r.out, a) == r.out && strstr(r.out, b), "%s", r.out);
    hexgpu_cli_result_free(&r);
}

Test(cli_default_model, missing_default_is_a_usage_error, .timeout = 100) {
    const char *const cases[][4] = {{"htp", NULL}, {"match", NULL}, {"match", "--opponent", "x", NULL}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hexgpu_cli_result r = run_env(cases[i], "name\n", "/nonexistent/net.safetensors");
        cr_assert_eq(r.exit_code, 2, "case %zu: exit %d (%s)", i, r.exit_code, r.err);
        cr_assert(strstr(r.err, "error: no --model given and $HEXGPU_DEFAULT_MODEL '/nonexistent/net.safetensors'"),
                  "%s", r.err);
        cr_assert(strchr(r.err, '\n') == r.err + strlen(r.err) - 1, "one line: %s", r.err);
        hexgpu_cli_result_free(&r);
    }
}

/* Without the variable the command looks in models/ of the folder above its own (the
 * repository for build/hexgpu) and plays the strongest network shipped there: the
 * repository ships at least the 7x7 one. */
Test(cli_default_model, shipped_network_beside_the_build, .timeout = 100) {
    char root[1024], shipped[1200] = "";
    snprintf(root, sizeof root, "%s", HEXGPU_CLI_PATH);
    for (int up = 0; up < 2; up++) *strrchr(root, '/') = '\0';
    static const char *const names[] = HEXGPU_SHIPPED_MODELS;
    for (size_t k = 0; k < sizeof names / sizeof names[0] && !shipped[0]; k++) {
        snprintf(shipped, sizeof shipped, "%s/models/%s", root, names[k]);
        if (access(shipped, R_OK) != 0) shipped[0] = '\0';
    }
    cr_assert(shipped[0], "the repository ships no trained network in %s/models/", root);
    hexgpu_cli_result r = run_env((const char *[]){"htp", "--backend", "cpu", NULL}, "name\n", NULL);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert_str_eq(r.out, "= hexgpu\n\n");
    cr_assert(strstr(r.err, shipped), "%s", r.err);
    hexgpu_cli_result_free(&r);
}
