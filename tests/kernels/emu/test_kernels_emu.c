/* test_kernels_emu: the CUDA kernels of kernels/cuda, their bodies unchanged, run on the
 * CPU by the emulator of this folder and compared with the CPU backend; needs no GPU and
 * nothing from CUDA. Runs the emulator's own checks, the launchers' argument refusals and
 * every kernel case in each schedule; with --mutants, checks instead that deliberately
 * broken copies of the kernels are reported.
 *
 *   test_kernels_emu [--mutants] [--schedules NAME[,NAME...]]
 *
 * NAME: lowest-first, highest-first, concurrent (default: all three). Exit 0 when every
 * check passes, 1 when one fails, 2 for bad usage. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "emu_cases.h"
#include "emu_checks.h"

static int parse_schedules(const char *list, unsigned *schedules) {
    *schedules = 0;
    char copy[128];
    snprintf(copy, sizeof copy, "%s", list);
    for (char *save = NULL, *name = strtok_r(copy, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
        int found = 0;
        for (int order = 0; order < HEXGPU_EMU_SCHEDULES; order++)
            if (strcmp(name, hexgpu_emu_schedule_name((hexgpu_emu_schedule)order)) == 0)
                *schedules |= 1u << order, found = 1;
        if (!found) return 0;
    }
    return *schedules != 0;
}

int main(int argc, char **argv) {
    unsigned schedules = (1u << HEXGPU_EMU_SCHEDULES) - 1;
    int mutants = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--mutants") == 0) {
            mutants = 1;
        } else if (strcmp(argv[i], "--schedules") == 0 && i + 1 < argc && parse_schedules(argv[i + 1], &schedules)) {
            i++;
        } else {
            fprintf(stderr,
                    "test_kernels_emu: bad argument '%s'; usage: test_kernels_emu [--mutants] "
                    "[--schedules lowest-first,highest-first,concurrent]\n",
                    argv[i]);
            return 2;
        }
    }
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int failures = 0;
    if (mutants) {
        failures += hexgpu_emu_mutants_check(schedules);
    } else {
        failures += hexgpu_emu_selfcheck(schedules);
        char why[600];
        if (hexgpu_emu_refusals_check(&hexgpu_emu_kernels_real, why, sizeof why)) {
            printf("FAIL kernels/cuda: launch shapes refuse bad arguments: %s\n", why);
            failures++;
        } else {
            printf("ok   kernels/cuda: launch shapes refuse bad arguments\n");
        }
        failures += hexgpu_emu_cases_check(&hexgpu_emu_kernels_real, NULL, schedules, 0);
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    double seconds = (double)(end.tv_sec - start.tv_sec) + 1e-9 * (double)(end.tv_nsec - start.tv_nsec);
    printf("test_kernels_emu%s: %d failed, %.1f s\n", mutants ? " --mutants" : "", failures, seconds);
    return failures ? 1 : 0;
}
