/* --device with a list or 'all' (cli/args.c hexgpu_cli_option_devices) through eval and
 * selfplay on the CPU backend, where each listed device is a stand-in context. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "cli/selfplay_support.h"
#include "support/fixtures.h"
#include "support/run_cli.h"

static int count(const char *text, const char *needle) {
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p++) n++;
    return n;
}

Test(cli_devices, eval_takes_a_list_and_all, .timeout = 120) {
    const char *model = hexgpu_test_fixture_path("tiny13/model.safetensors");
    const char *lists[] = {"0,1", "all"};
    int expect[] = {2, 1};
    for (int k = 0; k < 2; k++) {
        const char *argv[] = {"eval", "--model", model, "--backend", "cpu", "--device", lists[k], "--stats",
                              "#13,a1", "#13,a1b2", NULL};
        hexgpu_cli_result r;
        cr_assert_eq(hexgpu_cli_run(argv, NULL, &r), 0);
        cr_assert_eq(r.exit_code, 0, "--device %s: %s", lists[k], r.err);
        cr_assert_eq(count(r.out, "\"value\""), 2);
        cr_assert(strstr(r.err, "\"devices\":[{\"device\":0,"), "%s", r.err);
        cr_assert_eq(count(r.err, "{\"device\":"), expect[k], "--device %s: %s", lists[k], r.err);
        hexgpu_cli_result_free(&r);
    }
}

Test(cli_devices, bad_lists_are_usage_errors) {
    const char *bad[] = {"0,x", "", "0,", ",1", "-1", "0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        const char *commands[] = {"eval", "selfplay"};
        for (int c = 0; c < 2; c++) {
            const char *argv[] = {commands[c], "--model", "m", "--device", bad[k], NULL};
            hexgpu_cli_result r;
            cr_assert_eq(hexgpu_cli_run(argv, NULL, &r), 0);
            cr_assert_eq(r.exit_code, 2, "%s --device '%s': exit %d", commands[c], bad[k], r.exit_code);
            cr_assert(strstr(r.err, "--device needs a device ordinal"), "%s", r.err);
            hexgpu_cli_result_free(&r);
        }
    }
}

Test(cli_devices, selfplay_on_two_stand_in_devices, .timeout = 120) {
    char dir[64];
    selfplay_test_mkdir(dir);
    const char *argv[] = {"selfplay", "--model", hexgpu_test_fixture_path("tiny13/model.safetensors"), "--backend",
                          "cpu", "--device", "0,1", "--num_games", "2", "--mcts_sims", "4", "--output_dir", dir,
                          "--verbose", "2", NULL};
    hexgpu_cli_result r;
    cr_assert_eq(hexgpu_cli_run(argv, NULL, &r), 0);
    cr_assert_eq(r.exit_code, 0, "stderr %s", r.err);
    cr_assert(strstr(r.out, "{\"device\":1,") || strstr(r.err, "{\"device\":1,"), "no device 1 in the statistics: %s",
              r.err);
    hexgpu_cli_result_free(&r);
}
