/* The option-value parsers every subcommand shares (cli/args.c), through the command:
 * bounds, names, and the one-line usage error each subcommand prints through them. */
#include <criterion/criterion.h>
#include <string.h>

#include "support/run_cli.h"

/* Each subcommand reports a bad value with the option's name, the value and what it expects. */
static void expect_usage_error(const char *const *argv, const char *message) {
    hexgpu_cli_result r;
    cr_assert_eq(hexgpu_cli_run(argv, NULL, &r), 0);
    cr_assert_eq(r.exit_code, 2, "%s %s: exit %d", argv[0], argv[1], r.exit_code);
    cr_assert(strstr(r.err, message), "%s: stderr '%s' lacks '%s'", argv[0], r.err, message);
    cr_assert(strchr(r.err, '\n') == r.err + strlen(r.err) - 1, "error must be one line: %s", r.err);
    hexgpu_cli_result_free(&r);
}

Test(cli_args, every_command_reports_bad_values) {
    expect_usage_error((const char *[]){"eval", "--model", "m", "--top", "0", NULL},
                       "--top needs an integer >= 1, got '0'");
    expect_usage_error((const char *[]){"eval", "--model", "m", "--precision", "fp8", NULL},
                       "--precision must be fp16, fp32 or auto, got 'fp8'");
    expect_usage_error((const char *[]){"bench", "--random-init", "--device", "-1", NULL},
                       "--device needs a device ordinal, a comma-separated list of up to 16 (0,1) or 'all', got '-1'");
    expect_usage_error((const char *[]){"bench", "--random-init", "--backend", "gpu", NULL},
                       "--backend must be cpu, cuda or auto, got 'gpu'");
    expect_usage_error((const char *[]){"selfplay", "--model_path", "m", "--num_workers", "x", NULL},
                       "--num_workers needs an integer in 1..256, got 'x'");
    /* Each game in flight owns buffers: 2^31 of them was an allocation that failed with
     * "selfplay: worker buffers" and exit 1, after the model had loaded. */
    expect_usage_error((const char *[]){"selfplay", "--model_path", "m", "--games-in-flight", "2147483647", NULL},
                       "--games-in-flight needs an integer in 1..65536, got '2147483647'");
    expect_usage_error((const char *[]){"selfplay", "--model_path", "m", "--leaves-per-game", "1025", NULL},
                       "--leaves-per-game needs an integer in 1..1024, got '1025'");
    expect_usage_error((const char *[]){"selfplay", "--model_path", "m", "--backend", "tpu", NULL},
                       "--backend must be cpu, cuda or auto, got 'tpu'");
    expect_usage_error((const char *[]){"init-model", "--seed", "1", "--output", "o", "--board-size", "20", NULL},
                       "--board-size needs an integer in 1..19, got '20'");
}

/* Values at the bounds and every name pass the option parser: eval then fails on the
 * missing model file, not on the options. */
Test(cli_args, values_in_range_are_accepted) {
    const char *cases[][2] = {{"--precision", "auto"}, {"--precision", "fp16"}, {"--precision", "fp32"},
                              {"--backend", "cpu"},     {"--backend", "auto"},    {"--top", "2147483647"},
                              {"--device", "0"},        {"--cache", "0"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hexgpu_cli_result r;
        const char *argv[] = {"eval", "--model", "/nonexistent/model.safetensors", cases[i][0], cases[i][1], "#3", NULL};
        cr_assert_eq(hexgpu_cli_run(argv, NULL, &r), 0);
        cr_assert_neq(r.exit_code, 0);
        cr_assert(strstr(r.err, "/nonexistent/model.safetensors"), "%s %s: %s", cases[i][0], cases[i][1], r.err);
        cr_assert(!strstr(r.err, cases[i][0]), "%s %s refused: %s", cases[i][0], cases[i][1], r.err);
        hexgpu_cli_result_free(&r);
    }
    expect_usage_error((const char *[]){"eval", "--model", "m", "--top", "2147483648", NULL},
                       "--top needs an integer >= 1, got '2147483648'");
}
