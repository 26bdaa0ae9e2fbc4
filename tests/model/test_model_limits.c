/* Bounded resources on any model file: each bomb (made here at run time, small on disk)
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

#include "base/timer.h"
#include "model/model_file.h"
#include "model/pickle.h"
#include "model/test_model_build.h"
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

/* A helper process that runs the loader as its only child, kills it after 20 s (a FIFO
 * that blocks), times it, and takes its peak from getrusage(RUSAGE_CHILDREN). */
static void run_helper(const char *path, long limit, int fd) {
    int fds[2];
    if (pipe(fds) != 0) _exit(4);
    double t0 = hexgpu_timer_now_seconds();
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        run_loader(path, limit, fds[1]);
    }
    close(fds[1]);
    int status;
    pid_t done = 0;
    while (pid > 0 && (done = waitpid(pid, &status, WNOHANG)) == 0 && hexgpu_timer_now_seconds() - t0 < 20.0) pause_ms(2);
    if (pid > 0 && done == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    double seconds = hexgpu_timer_now_seconds() - t0;
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

static const char *write_file(const char *name, const test_buf *t) {
    const char *path = file_path(name);
    FILE *f = fopen(path, "wb");
    cr_assert(f);
    cr_assert_eq(fwrite(t->b, 1, t->n, f), t->n);
    fclose(f);
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

/* A .pt.gz whose data.pkl is "\x80\x02" + head + body x reps + tail. */
static const char *pickle_bomb(const char *name, const char *head, const char *body, size_t body_len, size_t reps,
                               const char *tail) {
    test_buf pk = {0};
    tb_op(&pk, 0x80), tb_op(&pk, 2);
    tb_put(&pk, head, strlen(head));
    for (size_t i = 0; i < reps; i++) tb_put(&pk, body, body_len);
    tb_put(&pk, tail, strlen(tail));
    test_buf z = test_torch_zip(&pk, NULL, NULL, 0);
    test_buf gz = test_gzip(z.b, z.n);
    const char *path = write_file(name, &gz);
    cr_assert_lt(gz.n, 64 << 10, "%s is %zu bytes on disk", name, gz.n);
    tb_free(&gz), tb_free(&z), tb_free(&pk);
    return path;
}

#define NO_TIME_LIMIT 30.0
#define FIRST_BYTES 1.0

Test(model_limits, pickle_bombs_stay_within_the_memory_bound, .init = make_dir, .fini = remove_dir) {
    /* 8 M one-byte opcodes in an 8 KB .pt.gz: each made a value (2.2 GB before). */
    expect_bounded("8 M EMPTY_LIST", pickle_bomb("lists.pt.gz", "", "]", 1, 8 << 20, "."), HEXGPU_ERR_MODEL_FORMAT,
                   "pickle: more than", 8 * MIB, NO_TIME_LIMIT);
    expect_bounded("4 M EMPTY_LIST + POP", pickle_bomb("pops.pt.gz", "", "]0", 2, 4 << 20, "N."),
                   HEXGPU_ERR_MODEL_FORMAT, "more than 262144 objects", 8 * MIB, NO_TIME_LIMIT);
    expect_bounded("8 M DUP", pickle_bomb("dups.pt.gz", "]", "2", 1, 8 << 20, "."), HEXGPU_ERR_MODEL_FORMAT,
                   "stack entries", 8 * MIB, NO_TIME_LIMIT);
    expect_bounded("4 M DUP + APPEND", pickle_bomb("appends.pt.gz", "]", "2a", 2, 4 << 20, "."),
                   HEXGPU_ERR_MODEL_FORMAT, "container items", 8 * MIB, NO_TIME_LIMIT);
    expect_bounded("8 M MARK", pickle_bomb("marks.pt.gz", "", "(", 1, 8 << 20, "."), HEXGPU_ERR_MODEL_FORMAT, "marks",
                   8 * MIB, NO_TIME_LIMIT);
}

Test(model_limits, gzip_bombs_stay_within_the_memory_bound, .init = make_dir, .fini = remove_dir) {
    /* 1 GiB of zeros in 1 MB: not a zip from its first inflated bytes (4.2 GB before). */
    test_buf gz = test_gzip_zeros(NULL, 0, 1024);
    expect_bounded("gzip of 1 GiB of zeros", write_file("zeros.pt.gz", &gz), HEXGPU_ERR_MODEL_FORMAT,
                   "not a PyTorch zip archive", 0, FIRST_BYTES);
    tb_free(&gz);
    /* A zip local header, then 400 MiB of zeros: only the one-pass part is ever held; the
     * end records (absent) are checked before anything more is. */
    static const uint8_t local[30 + 16] = {'P', 'K', 3, 4, 20, 0, 8, 8, [26] = 16, 'a', 'r', 'c', 'h', 'i', 'v', 'e',
                                           '/', 'd', 'a', 't', 'a', '.', 'p', 'k', 'l'};
    gz = test_gzip_zeros(local, sizeof local, 400);
    expect_bounded("zip header + 400 MiB zeros", write_file("zipzeros.pt.gz", &gz), HEXGPU_ERR_MODEL_FORMAT,
                   "end-of-central-directory", (long)HEXGPU_MODEL_GZIP_ONE_PASS_BYTES, NO_TIME_LIMIT);
    tb_free(&gz);
}

Test(model_limits, safetensors_header_bombs_stay_within_the_memory_bound, .init = make_dir, .fini = remove_dir) {
    /* A 4 MiB header of two million tiny values (300 MB of tree before). */
    size_t values = 2u << 20;
    test_buf h = {0};
    tb_put(&h, "{\"a\":[", 6);
    for (size_t i = 0; i < values; i++) tb_put(&h, i ? ",0" : "0", i ? 2 : 1);
    tb_put(&h, "]}", 3);
    test_buf t = test_safetensors((const char *)h.b, NULL, 0);
    expect_bounded("4 MiB JSON header", write_file("json.safetensors", &t), HEXGPU_ERR_MODEL_FORMAT,
                   "more than 262144 values", 4 * MIB, NO_TIME_LIMIT);
    tb_free(&t), tb_free(&h);
    /* A header that claims 100 MiB: refused by its first 8 bytes (read whole before). */
    uint8_t head[9] = {0, 0, 0x40, 6, 0, 0, 0, 0, '{'};
    expect_bounded("100 MiB header claimed", write_sparse("claims.safetensors", head, sizeof head, 8 + (100 << 20)),
                   HEXGPU_ERR_MODEL_FORMAT, "exceeds the", 0, FIRST_BYTES);
}

Test(model_limits, first_bytes_refusals_are_immediate, .init = make_dir, .fini = remove_dir) {
    expect_bounded("sparse 4 GiB file", write_sparse("sparse4g", "", 0, (off_t)4 << 30), HEXGPU_ERR_MODEL_FORMAT,
                   "larger than the", 0, FIRST_BYTES);
    expect_bounded("sparse 900 MiB of zeros", write_sparse("zeros", "", 0, (off_t)900 << 20), HEXGPU_ERR_MODEL_FORMAT,
                   "unrecognised model file", 0, FIRST_BYTES);
    expect_bounded("PK + sparse 900 MiB", write_sparse("pk.pt", "PK\3\4", 4, (off_t)900 << 20),
                   HEXGPU_ERR_MODEL_FORMAT, "end-of-central-directory", 0, FIRST_BYTES);
    test_buf st = test_safetensors("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                                   (const uint8_t *)"\0\0\0\0", 4);
    expect_bounded("safetensors + 900 MiB after", write_sparse("st", st.b, st.n, (off_t)900 << 20),
                   HEXGPU_ERR_MODEL_FORMAT, "after the last tensor", 0, FIRST_BYTES);
    tb_free(&st);
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

/* ---- in-process checks of the limits themselves */

/* A zip whose data.pkl holds tensor 'w' (storage 0: four floats) beside an unused
 * stored entry of big_mib MiB of zeros, so that it inflates past the one-pass size. */
static test_buf big_archive(size_t big_mib) {
    static const float values[4] = {1, 2, 3, 4};
    test_buf pk = test_tensor_pickle("w", 4, 0, 1, (const int[]){4}, (const int[]){1});
    uint8_t *zeros = calloc(big_mib, (size_t)MIB);
    cr_assert(zeros);
    test_zip_entry entries[] = {{"archive/data.pkl", pk.b, pk.n, 0},
                                {"archive/data/0", (const uint8_t *)values, sizeof values, 0},
                                {"archive/data/big", zeros, big_mib * (size_t)MIB, 0}};
    test_buf z = test_zip_build(entries, 3);
    free(zeros);
    tb_free(&pk);
    return z;
}

Test(model_limits, gzip_past_the_one_pass_size_inflates_twice_and_checks_the_end_records) {
    size_t mib = (size_t)(HEXGPU_MODEL_GZIP_ONE_PASS_BYTES >> 20) + 6;
    test_buf z = big_archive(mib);
    test_buf gz = test_gzip(z.b, z.n);
    hexgpu_tensor_map map = {0};
    hexgpu_model_file_info info;
    hexgpu_error err = {0};
    cr_assert_eq(hexgpu_model_bytes_load(gz.b, gz.n, &map, &info, &err), HEXGPU_OK, "%s", err.message);
    const hexgpu_tensor *w = hexgpu_tensor_map_find(&map, "w");
    cr_assert(w && w->numel == 4 && w->data[0] == 1 && w->data[3] == 4);
    cr_assert_eq(info.format, HEXGPU_MODEL_FORMAT_TORCH_GZIP);
    hexgpu_tensor_map_free(&map);
    tb_free(&gz);
    /* The same stream with its directory moved one byte: the end records no longer
     * declare the length inflated, and nothing past the one-pass size is kept. */
    z.b[z.n - 6]++; /* the end record's central-directory offset */
    gz = test_gzip(z.b, z.n);
    cr_assert_neq(hexgpu_model_bytes_load(gz.b, gz.n, &map, NULL, &err), HEXGPU_OK);
    cr_assert(strstr(err.message, "the central directory does not end where the end records begin"), "%s",
              err.message);
    cr_assert(strstr(err.message, "inflated bytes"), "%s", err.message);
    tb_free(&gz);
    tb_free(&z);
}

Test(model_limits, pickle_memo_and_depth_limits) {
    /* A memo index past the cap is out of range even in a long pickle. */
    test_buf p = {0};
    tb_op(&p, 0x80), tb_op(&p, 2), tb_op(&p, '}');
    tb_op(&p, 'r'), tb_u32(&p, (uint32_t)HEXGPU_PICKLE_MAX_MEMO);
    for (int i = 0; i < 1 << 20; i++) tb_op(&p, 'N'), tb_op(&p, '0');
    tb_op(&p, '.');
    hexgpu_pickle *pk;
    const hexgpu_pickle_value *root;
    hexgpu_error err = {0};
    cr_assert_neq(hexgpu_pickle_load(p.b, p.n, &pk, &root, &err), HEXGPU_OK);
    cr_assert(strstr(err.message, "memo index out of range"), "%s", err.message);
    tb_free(&p);
}
