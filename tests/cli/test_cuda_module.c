/* The CUDA backend as a module loaded at first use (runtime/backend_module.c), seen from
 * the command: a missing or refused module makes --backend auto run on the CPU and say
 * why, and --backend cuda fail with one line; a loaded module is the backend used; show
 * and --version load nothing. The stand-in modules (tests/modules) make every path run
 * on any build; the real module is looked for next to the command in CUDA builds. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "support/cuda_probe.h"
#include "support/fixtures.h"
#include "selfplay_support.h"
#include "support/run_cli.h"

#define MISSING "/nonexistent/libhexgpu_cuda.so"

/* Runs hexgpu with argv and HEXGPU_CUDA_MODULE set to module (NULL: unset). */
static hexgpu_cli_result run_with_module(const char *module, const char *const *argv) {
    char setting[4200];
    const char *environment[] = {setting, NULL};
    if (module) snprintf(setting, sizeof setting, "HEXGPU_CUDA_MODULE=%s", module);
    else snprintf(setting, sizeof setting, "HEXGPU_CUDA_MODULE");
    hexgpu_cli_options options = {.environment = environment, .alarm_seconds = 100};
    hexgpu_cli_result r;
    cr_assert_eq(hexgpu_cli_run_with(argv, NULL, &options, &r), 0);
    return r;
}

static hexgpu_cli_result eval_with_module(const char *module, const char *backend) {
    const char *argv[] = {"eval", "--model", hexgpu_test_fixture_path("tiny13/model.safetensors"), "--backend",
                          backend, "#13,a1", NULL};
    return run_with_module(module, argv);
}

/* --backend cuda with this module: exit 1 and exactly one line, "error: --backend cuda:
 * cannot load the CUDA backend: " then what names the cause. */
static void expect_cuda_refused(const char *module, const char *cause) {
    hexgpu_cli_result r = eval_with_module(module, "cuda");
    cr_assert_eq(r.exit_code, 1, "stderr: %s", r.err);
    cr_assert_str_empty(r.out);
    const char *prefix = "error: --backend cuda: cannot load the CUDA backend: ";
    cr_assert(strncmp(r.err, prefix, strlen(prefix)) == 0, "stderr: %s", r.err);
    cr_assert(strstr(r.err, cause), "stderr lacks '%s': %s", cause, r.err);
    char *newline = strchr(r.err, '\n');
    cr_assert(newline && newline[1] == '\0', "one line: %s", r.err);
    hexgpu_cli_result_free(&r);
}

/* --backend auto with this module: the CPU's answer, and the reason on stderr. */
static void expect_auto_on_cpu(const char *module, const char *cause) {
    hexgpu_cli_result r = eval_with_module(module, "auto");
    cr_assert_eq(r.exit_code, 0, "stderr: %s", r.err);
    cr_assert(strstr(r.out, "\"trmph\":\"#13,a1\""), "stdout: %s", r.out);
    cr_assert(strstr(r.err, "hexgpu: backend cpu (no usable GPU: cannot load the CUDA backend: "), "stderr: %s", r.err);
    cr_assert(strstr(r.err, cause), "stderr lacks '%s': %s", cause, r.err);
    hexgpu_cli_result_free(&r);
}

Test(cli_cuda_module, missing_module_auto_falls_back_cuda_fails) {
    expect_auto_on_cpu(MISSING, MISSING ": cannot open shared object file");
    expect_cuda_refused(MISSING, MISSING ": cannot open shared object file");
}

/* As where cuDNN is missing: the module is there, a library it needs is not. */
Test(cli_cuda_module, missing_dependency_auto_falls_back_cuda_fails) {
    expect_auto_on_cpu(HEXGPU_FAKE_CUDA_MISSING_DEPENDENCY, "libhexgpu_fake_dependency.so: cannot open shared object file");
    expect_cuda_refused(HEXGPU_FAKE_CUDA_MISSING_DEPENDENCY, "libhexgpu_fake_dependency.so: cannot open shared object file");
}

Test(cli_cuda_module, another_abi_is_refused) {
    expect_cuda_refused(HEXGPU_FAKE_CUDA_OLD_ABI, "has backend ABI 3, this hexgpu needs 5");
    expect_auto_on_cpu(HEXGPU_FAKE_CUDA_OLD_ABI, "has backend ABI 3");
}

Test(cli_cuda_module, a_library_without_the_entry_is_refused) {
    expect_cuda_refused(HEXGPU_FAKE_CUDA_NO_ENTRY, "not a hexgpu backend module (");
    expect_cuda_refused(HEXGPU_FAKE_CUDA_NO_ENTRY, "hexgpu_cuda_backend_entry");
}

Test(cli_cuda_module, selfplay_auto_falls_back_and_says_why) {
    const char *extra[] = {"--backend", "auto", "--num_games", "1", "--mcts_sims", "4", NULL};
    const char *environment[] = {"HEXGPU_CUDA_MODULE=" MISSING, NULL};
    hexgpu_cli_options options = {.environment = environment, .alarm_seconds = 100};
    char *file = NULL, name[256];
    hexgpu_cli_result r = selfplay_test_run(extra, &options, &file, name);
    cr_assert_eq(r.exit_code, 0, "stderr: %s", r.err);
    cr_assert(strstr(r.err, "backend cpu (no usable GPU: cannot load the CUDA backend: " MISSING ": "), "stderr: %s",
              r.err);
    cr_assert_not_null(file, "no record file");
    cr_assert_eq(selfplay_test_check_records(file, NULL, 0), 1);
    free(file);
    hexgpu_cli_result_free(&r);
}

/* A module that loads is the backend used: the stand-in is the CPU backend named cuda,
 * so --backend cuda answers as --backend cpu does, and bench names its device through
 * the table's device_name. */
Test(cli_cuda_module, a_loaded_module_is_the_backend_used) {
    hexgpu_cli_result cuda = eval_with_module(HEXGPU_FAKE_CUDA_CPU, "cuda");
    cr_assert_eq(cuda.exit_code, 0, "stderr: %s", cuda.err);
    hexgpu_cli_result cpu = eval_with_module(HEXGPU_FAKE_CUDA_CPU, "cpu");
    cr_assert_eq(cpu.exit_code, 0, "stderr: %s", cpu.err);
    cr_assert_str_eq(cuda.out, cpu.out);
    hexgpu_cli_result_free(&cuda), hexgpu_cli_result_free(&cpu);
    hexgpu_cli_result automatic = eval_with_module(HEXGPU_FAKE_CUDA_CPU, "auto");
    cr_assert_eq(automatic.exit_code, 0, "stderr: %s", automatic.err);
    cr_assert(strstr(automatic.err, "hexgpu: backend cuda (device 0)"), "stderr: %s", automatic.err);
    hexgpu_cli_result_free(&automatic);
    const char *bench[] = {"bench", "--model", hexgpu_test_fixture_path("tiny13/model.safetensors"), "--backend", "cuda",
                           "--batch", "2", "--seconds", "0.02", "--repeats", "1", "--threads", "1", "--json", NULL};
    hexgpu_cli_result b = run_with_module(HEXGPU_FAKE_CUDA_CPU, bench);
    cr_assert_eq(b.exit_code, 0, "stderr: %s", b.err);
    cr_assert(strstr(b.out, "\"device\":\"fake device 0\""), "stdout: %s", b.out);
    hexgpu_cli_result_free(&b);
}

/* Without HEXGPU_CUDA_MODULE, a CUDA build's command finds the module next to itself: the
 * reason, if any, is the device's, not a missing module. A CPU-only build says so. */
Test(cli_cuda_module, the_module_next_to_the_command_is_found) {
    char why[512];
    int gpu = hexgpu_test_cuda_usable(why, sizeof why);
    hexgpu_cli_result r = eval_with_module(NULL, "auto");
    cr_assert_eq(r.exit_code, 0, "stderr: %s", r.err);
#ifdef HEXGPU_HAVE_CUDA
    if (gpu) { /* the real module names where its cuDNN and cuBLAS came from */
        cr_assert(strstr(r.err, "hexgpu: backend cuda (device 0; ") && strstr(r.err, "libcudnn.so.") &&
                      strstr(r.err, "libcublas.so."),
                  "stderr: %s", r.err);
    } else {
        cr_assert(strstr(r.err, "hexgpu: backend cpu (no usable GPU: "), "stderr: %s", r.err);
        cr_assert(!strstr(r.err, "cannot load the CUDA backend"), "the module was not found: %s", r.err);
        cr_assert(strstr(r.err, why), "the module's own reason '%s': %s", why, r.err);
    }
#else
    cr_assert(!gpu);
    cr_assert(strstr(r.err, "hexgpu: backend cpu (no usable GPU: this build has no CUDA backend"), "stderr: %s", r.err);
#endif
    hexgpu_cli_result_free(&r);
}

/* show and --version never load a backend module (nor, through it, cuDNN): the loader's
 * own trace (LD_DEBUG=libs) names no module, where eval's names the one it loads. */
Test(cli_cuda_module, show_and_version_load_no_module) {
    const char *environment[] = {"LD_DEBUG=libs", "HEXGPU_CUDA_MODULE=" HEXGPU_FAKE_CUDA_CPU, NULL};
    hexgpu_cli_options options = {.environment = environment, .alarm_seconds = 100};
    const char *show[] = {"show", "#13,a1", NULL}, *version[] = {"--version", NULL};
    const char *const *commands[] = {show, version};
    for (int c = 0; c < 2; c++) {
        hexgpu_cli_result r;
        cr_assert_eq(hexgpu_cli_run_with(commands[c], NULL, &options, &r), 0);
        cr_assert_eq(r.exit_code, 0, "stderr: %s", r.err);
        cr_assert(strstr(r.err, "calling init"), "LD_DEBUG had no effect: %s", r.err);
        cr_assert(!strstr(r.err, "hexgpu_fake_cuda") && !strstr(r.err, "libhexgpu_cuda") && !strstr(r.err, "cudnn"),
                  "%s loaded a module: %s", commands[c][0], r.err);
        hexgpu_cli_result_free(&r);
    }
    const char *eval[] = {"eval", "--model", hexgpu_test_fixture_path("tiny13/model.safetensors"), "#13,a1", NULL};
    hexgpu_cli_result r;
    cr_assert_eq(hexgpu_cli_run_with(eval, NULL, &options, &r), 0);
    cr_assert_eq(r.exit_code, 0, "stderr: %s", r.err);
    cr_assert(strstr(r.err, "hexgpu_fake_cuda_cpu"), "eval loaded no module: %s", r.err);
    hexgpu_cli_result_free(&r);
}
