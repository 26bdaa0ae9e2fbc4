/* Bounded resources on any model file: each file (made here at run time, small on disk)
 * is loaded in a child process whose peak resident memory (getrusage(RUSAGE_CHILDREN)
 * in a helper process, of which it is the only child) must stay within 2x the largest legitimate model
 * the file could describe + 64 MiB, and whatever its first bytes refuse (a FIFO, a
 * device, a sparse 4 GiB file, a header that claims too much) must be refused within
 * 1 s. The child also runs under an address-space limit, so a regression fails the test
 * instead of exhausting the machine. No Criterion timeout is needed: the helper kills a
 * loader after 5 s itself. (Tests with different Criterion timeouts running side by side
 * leak in Criterion's runner, which LeakSanitizer reports: the suites use 120 s.) */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime/model_file.h"
#include "support/fixtures.h"

#define MIB ((long)1 << 20)
#define SLACK (64 * MIB)

/* Under AddressSanitizer resident memory says little (redzones around every object,
 * shadow memory, freed memory held in quarantine): the bound is then only logged. */
#if defined(__SANITIZE_ADDRESS__)
#define MEMORY_MEASURED 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MEMORY_MEASURED 0
#endif
#endif
#ifndef MEMORY_MEASURED
#define MEMORY_MEASURED 1
#endif

typedef struct probe {
    hexgpu_status status;
    double seconds;
    long peak_kb;      /* the child's ru_maxrss */
    char message[512];
} probe;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static long address_space_bytes(void) {
    long pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld", &pages) != 1) pages = 0;
        fclose(f);
    }
    return pages * sysconf(_SC_PAGESIZE);
}

static void pause_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The loader process: hexgpu_model_file_load(path) under the address-space limit, the
 * outcome written to fd. */
static void run_loader(const char *path, long limit, int fd) {
    struct rlimit rl = {(rlim_t)limit, (rlim_t)limit};
    setrlimit(RLIMIT_AS, &rl);
    hexgpu_tensor_map map = {0};
    hexgpu_error err = {0};
    probe p = {.status = hexgpu_model_file_load(path, &map, NULL, &err)};
    snprintf(p.message, sizeof p.message, "%s", err.message);
    _exit(write(fd, &p, sizeof p) == (ssize_t)sizeof p ? 0 : 3);
}

/* A helper process that runs the loader as its only child, kills it after 5 s (a FIFO
 * that blocks), times it, and takes its peak from getrusage(RUSAGE_CHILDREN). */
static void run_helper(const char *path, long limit, int fd) {
    int fds[2];
    if (pipe(fds) != 0) _exit(4);
    double t0 = now();
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        run_loader(path, limit, fds[1]);
    }
    close(fds[1]);
    int status;
    pid_t done = 0;
    while (pid > 0 && (done = waitpid(pid, &status, WNOHANG)) == 0 && now() - t0 < 5.0) pause_ms(2);
    if (pid > 0 && done == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    double seconds = now() - t0;
    probe p = {.status = HEXGPU_STATUS_COUNT};
    if (read(fds[0], &p, sizeof p) != (ssize_t)sizeof p) snprintf(p.message, sizeof p.message, "no answer (killed?)");
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    p.seconds = seconds;
    p.peak_kb = ru.ru_maxrss;
    _exit(write(fd, &p, sizeof p) == (ssize_t)sizeof p ? 0 : 3);
}

static probe load_in_child(const char *path) {
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    long limit = address_space_bytes() + (3L << 30);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        run_helper(path, limit, fds[1]);
    }
    close(fds[1]);
    probe p;
    cr_assert_eq(read(fds[0], &p, sizeof p), (ssize_t)sizeof p, "the helper process gave no answer");
    close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
    return p;
}

static char dir[64];
static long baseline_kb; /* the child's peak when it loads almost nothing */

static void make_dir(void) {
    snprintf(dir, sizeof dir, "/tmp/hexgpu_limits_XXXXXX");
    cr_assert(mkdtemp(dir));
    char tiny[128];
    snprintf(tiny, sizeof tiny, "%s/tiny", dir);
    FILE *f = fopen(tiny, "wb");
    fputs("not a model", f);
    fclose(f);
    baseline_kb = load_in_child(tiny).peak_kb;
    unlink(tiny);
}

static void remove_dir(void) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

static const char *file_path(const char *name) {
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return path;
}

/* A sparse file: head written, then extended with ftruncate to size (nothing on disk). */
static const char *write_sparse(const char *name, const void *head, size_t head_len, off_t size) {
    const char *path = file_path(name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, head, head_len), (ssize_t)head_len);
    cr_assert_eq(ftruncate(fd, size), 0);
    close(fd);
    return path;
}

/* The load of path is refused (status want, message containing what), within the
 * memory bound for a file that could describe at most `legit` bytes of model, and
 * within max_seconds. */
static void expect_bounded(const char *label, const char *path, hexgpu_status want, const char *what, long legit,
                           double max_seconds) {
    probe p = load_in_child(path);
    long grew = (p.peak_kb - baseline_kb) * 1024, bound = 2 * legit + SLACK;
    cr_log_info("%-28s %8.1f MiB over the baseline, %.3f s: %s", label, grew / (double)MIB, p.seconds, p.message);
    cr_assert_eq(p.status, want, "%s: status %d (want %d): %s", label, (int)p.status, (int)want, p.message);
    cr_assert(strstr(p.message, what), "%s: '%s' lacks '%s'", label, p.message, what);
    cr_assert(!MEMORY_MEASURED || grew <= bound, "%s: peak %.1f MiB over the baseline, bound %.1f MiB", label, grew / (double)MIB,
              bound / (double)MIB);
    cr_assert(p.seconds < max_seconds, "%s: %.2f s (bound %.2f s)", label, p.seconds, max_seconds);
}

#define NO_TIME_LIMIT 30.0
#define FIRST_BYTES 1.0

Test(model_limits, first_bytes_refusals_are_immediate, .init = make_dir, .fini = remove_dir) {
    expect_bounded("sparse 4 GiB file", write_sparse("sparse4g", "", 0, (off_t)4 << 30), HEXGPU_ERR_MODEL_FORMAT,
                   "larger than the", 0, FIRST_BYTES);
    expect_bounded("sparse 900 MiB of zeros", write_sparse("zeros", "", 0, (off_t)900 << 20), HEXGPU_ERR_MODEL_FORMAT,
                   "unrecognised model file", 0, FIRST_BYTES);
    const char *fifo = file_path("fifo");
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    expect_bounded("FIFO without a writer", fifo, HEXGPU_ERR_INVALID_ARGUMENT, "a FIFO, not a regular file", 0,
                   FIRST_BYTES);
    const char *zero = file_path("zero.pt");
    cr_assert_eq(symlink("/dev/zero", zero), 0);
    expect_bounded("symlink to /dev/zero", zero, HEXGPU_ERR_INVALID_ARGUMENT, "a character device", 0, FIRST_BYTES);
    expect_bounded("a folder", dir, HEXGPU_ERR_INVALID_ARGUMENT, "a folder, not a regular file", 0, FIRST_BYTES);
}

Test(model_limits, real_checkpoints_load_within_the_bound, .init = make_dir, .fini = remove_dir) {
    static const char *const forms[] = {"tiny13/checkpoint.pt.gz", "tiny13/checkpoint.pt", "tiny13/model.safetensors"};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s", hexgpu_test_fixture_path(forms[i]));
        struct stat sb;
        cr_assert_eq(stat(path, &sb), 0);
        /* the trainer checkpoint's inflated size, whatever the form */
        expect_bounded(forms[i], path, HEXGPU_OK, "", 2 * MIB, NO_TIME_LIMIT);
    }
}
