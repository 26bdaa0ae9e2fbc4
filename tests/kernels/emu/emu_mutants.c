/* The emulator can fail: copies of the real kernel bodies with one bug each (a barrier
 * removed, a bound off by one, a thread leaving before a barrier; made by
 * tests/kernels/emu/CMakeLists.txt) and two out-of-bounds probes must each be reported.
 * Each runs in a child process, since AddressSanitizer ends the process it finds an
 * error in; the child's output must hold one of the reports expected of that bug, from
 * the emulator or from the sanitizer this build runs under. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "emu_cases.h"
#include "emu_checks.h"
#include "emu_probes.h"

typedef struct expectation {
    const char *what;
    const hexgpu_emu_kernels *mutant; /* NULL: the probe */
    const char *kernel;               /* the mutated kernel, whose cases run */
    hexgpu_emu_misuse probe;
    const char *reports[2]; /* either in the child's output is the expected report */
} expectation;

static const expectation expectations[] = {
    {.what = "value_head without the barrier after the means",
     .mutant = &hexgpu_emu_mutant_value_head_no_barrier,
     .kernel = "value_head",
     .reports = {"wrong result", "ThreadSanitizer: data race"}},
    {.what = "the block reduction without the barrier before scratch is rewritten",
     .mutant = &hexgpu_emu_mutant_block_reduce_no_barrier,
     .kernel = "policy_softmax",
     .reports = {"wrong result", "ThreadSanitizer: data race"}},
    {.what = "board_to_input's bound off by one (idx > total)",
     .mutant = &hexgpu_emu_mutant_board_to_input_bound,
     .kernel = "board_to_input",
     .reports = {"outside buffer 'input planes'", "AddressSanitizer: heap-buffer-overflow"}},
    {.what = "global_avg_pool summing one pixel too many",
     .mutant = &hexgpu_emu_mutant_global_avg_pool_bound,
     .kernel = "global_avg_pool",
     .reports = {"wrong result", "AddressSanitizer: heap-buffer-overflow"}},
    {.what = "policy_softmax with thread 37 leaving before the barriers",
     .mutant = &hexgpu_emu_mutant_policy_softmax_exit,
     .kernel = "policy_softmax",
     .reports = {"barrier mismatch", "exited while"}},
    {.what = "a probe writing one int past its buffer",
     .probe = HEXGPU_EMU_WRITE_PAST_END,
     .reports = {"outside buffer 'probe output'", "AddressSanitizer: heap-buffer-overflow"}},
    {.what = "a probe writing one float past the dynamic shared memory",
     .probe = HEXGPU_EMU_SHARED_PAST_END,
     .reports = {"outside buffer 'dynamic shared memory'", "AddressSanitizer: heap-buffer-overflow"}},
};

/* In the child: exit 3 once something is reported, 0 when the bug went unnoticed. */
static void run_in_child(const expectation *e, unsigned schedules) {
    if (e->mutant) {
        if (hexgpu_emu_cases_check(e->mutant, e->kernel, schedules, 1)) _exit(3);
    } else {
        for (int order = 0; order < HEXGPU_EMU_SCHEDULES; order++) {
            if (!(schedules >> order & 1)) continue;
            hexgpu_emu_report rep = hexgpu_emu_probe_misuse(e->probe, (hexgpu_emu_schedule)order);
            if (rep.status != HEXGPU_EMU_OK) {
                printf("emulator: %s\n", rep.message);
                fflush(stdout);
                _exit(3);
            }
        }
    }
    printf("unnoticed\n");
    fflush(stdout);
    _exit(0);
}

/* The child's stdout and stderr together (at most cap - 1 bytes kept) and its wait status. */
static int run_child(const expectation *e, unsigned schedules, char *out, size_t cap, int *status) {
    int fds[2];
    if (pipe(fds) != 0) return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], STDOUT_FILENO);
        dup2(fds[1], STDERR_FILENO);
        close(fds[1]);
        run_in_child(e, schedules);
    }
    close(fds[1]);
    size_t used = 0;
    char chunk[4096];
    for (;;) {
        ssize_t got = read(fds[0], chunk, sizeof chunk);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        size_t keep = (size_t)got < cap - 1 - used ? (size_t)got : cap - 1 - used;
        memcpy(out + used, chunk, keep);
        used += keep;
    }
    out[used] = '\0';
    close(fds[0]);
    while (waitpid(pid, status, 0) < 0)
        if (errno != EINTR) return -1;
    return 0;
}

/* The line of `text` holding `needle`, into line. */
static void line_with(const char *text, const char *needle, char *line, size_t len) {
    const char *at = strstr(text, needle), *start = at, *end;
    while (start > text && start[-1] != '\n') start--;
    end = strchr(at, '\n');
    size_t n = end ? (size_t)(end - start) : strlen(start);
    snprintf(line, len, "%.*s", (int)(n < len ? n : len - 1), start);
}

int hexgpu_emu_mutants_check(unsigned schedules) {
    static char out[1 << 16];
    int failures = 0;
    for (size_t i = 0; i < sizeof expectations / sizeof expectations[0]; i++) {
        const expectation *e = &expectations[i];
        int status = 0;
        if (run_child(e, schedules, out, sizeof out, &status) != 0) {
            printf("FAIL mutant: %s: could not run a child process: %s\n", e->what, strerror(errno));
            failures++;
            continue;
        }
        const char *found = NULL;
        for (int r = 0; r < 2 && !found; r++)
            if (strstr(out, e->reports[r])) found = e->reports[r];
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
            printf("FAIL mutant: %s: not reported (the emulator let it pass)\n", e->what);
            failures++;
        } else if (!found) {
            printf("FAIL mutant: %s: reported, but not as expected ('%s' or '%s'); its output:\n%s\n", e->what,
                   e->reports[0], e->reports[1], out);
            failures++;
        } else {
            char line[400];
            line_with(out, found, line, sizeof line);
            printf("ok   mutant: %s is reported:\n     %s\n", e->what, line);
        }
    }
    return failures;
}
