/* Test support: fork/exec the hexgpu binary with pipes for stdin, stdout and stderr, or
 * with one pipe for both outputs that the test reads while the child runs. */
#define _DEFAULT_SOURCE /* wait4, for the child's own peak memory */
#include "support/run_cli.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/timer.h"

#ifndef HEXGPU_CLI_PATH
#define HEXGPU_CLI_PATH "hexgpu"
#endif

static int text_append(char **data, size_t *len, size_t *cap, const char *bytes, size_t n) {
    if (*len + n + 1 > *cap) {
        size_t grown = *cap ? *cap : 4096;
        while (grown < *len + n + 1) grown *= 2;
        char *more = realloc(*data, grown);
        if (!more) return -1;
        *data = more;
        *cap = grown;
    }
    memcpy(*data + *len, bytes, n);
    *len += n;
    (*data)[*len] = '\0';
    return 0;
}

typedef struct growing_text {
    char *data;
    size_t len, cap;
} growing_text;

/* In the child: applies options and runs hexgpu with argv; never returns. The child dies
 * with the test process: a test that times out (Criterion kills it) must not leave a
 * hexgpu behind that runs on for hours (a 1000-game self-play once did). */
static void exec_hexgpu(const char *const *argv, const hexgpu_cli_options *options, pid_t parent) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) _exit(126);
    if (options && options->limit_file_size) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit limit = {.rlim_cur = (rlim_t)options->file_size, .rlim_max = RLIM_INFINITY};
        if (setrlimit(RLIMIT_FSIZE, &limit) != 0) _exit(126);
    }
    if (options && options->address_space > 0) {
        struct rlimit limit = {.rlim_cur = (rlim_t)options->address_space, .rlim_max = RLIM_INFINITY};
        if (setrlimit(RLIMIT_AS, &limit) != 0) _exit(126);
    }
    if (options && options->alarm_seconds > 0) alarm(options->alarm_seconds); /* kept across exec */
    for (const char *const *e = options ? options->environment : NULL; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        if (!eq) {
            unsetenv(*e);
            continue;
        }
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)(eq - *e), *e);
        if (setenv(name, eq + 1, 1) != 0) _exit(126);
    }
    size_t argc = 0;
    while (argv[argc]) argc++;
    char **full = calloc(argc + 2, sizeof *full);
    full[0] = (char *)HEXGPU_CLI_PATH;
    for (size_t i = 0; i < argc; i++) full[i + 1] = (char *)argv[i];
    execv(HEXGPU_CLI_PATH, full);
    _exit(127);
}

/* fork(); with block_sigterm, SIGTERM is blocked from before the fork, so the child
 * holds one sent at any moment pending until the program unblocks it. */
static pid_t fork_child(const hexgpu_cli_options *options) {
    sigset_t block, old;
    sigemptyset(&block);
    if (options && options->block_sigterm) sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, &old);
    pid_t pid = fork();
    if (pid != 0) sigprocmask(SIG_SETMASK, &old, NULL);
    return pid;
}

/* Waits for pid and fills the exit code, peak memory and wall time of result. */
static void wait_for_exit(pid_t pid, double started, hexgpu_cli_result *result) {
    int status = 0;
    struct rusage usage = {0};
    while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
    }
    result->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    result->max_rss_kb = usage.ru_maxrss;
    result->seconds = hexgpu_timer_now_seconds() - started;
}

int hexgpu_cli_run(const char *const *argv, const char *stdin_text, hexgpu_cli_result *result) {
    return hexgpu_cli_run_with(argv, stdin_text, NULL, result);
}

int hexgpu_cli_run_with(const char *const *argv, const char *stdin_text, const hexgpu_cli_options *options,
                        hexgpu_cli_result *result) {
    memset(result, 0, sizeof *result);
    int in_pipe[2], out_pipe[2], err_pipe[2];
    if (pipe(in_pipe) || pipe(out_pipe) || pipe(err_pipe)) return -1;
    double started = hexgpu_timer_now_seconds();
    pid_t parent = getpid(), pid = fork_child(options);
    if (pid < 0) return -1;
    if (pid == 0) {
        dup2(in_pipe[0], 0);
        dup2(out_pipe[1], 1);
        dup2(err_pipe[1], 2);
        close(in_pipe[1]), close(out_pipe[0]), close(err_pipe[0]);
        exec_hexgpu(argv, options, parent);
    }
    close(in_pipe[0]), close(out_pipe[1]), close(err_pipe[1]);
    /* Write stdin and drain both outputs together so that neither side blocks on a full pipe. */
    signal(SIGPIPE, SIG_IGN);
    const char *pending = stdin_text ? stdin_text : "";
    size_t pending_len = strlen(pending);
    int in_fd = in_pipe[1];
    if (pending_len == 0) close(in_fd), in_fd = -1;
    growing_text out = {0}, err = {0};
    text_append(&out.data, &out.len, &out.cap, "", 0), text_append(&err.data, &err.len, &err.cap, "", 0);
    int open_fds = 2;
    while (open_fds > 0) {
        struct pollfd fds[3] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}, {in_fd, POLLOUT, 0}};
        if (poll(fds, in_fd >= 0 ? 3 : 2, -1) < 0) break;
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char buf[8192];
            ssize_t n = read(fds[i].fd, buf, sizeof buf);
            if (n > 0) {
                growing_text *t = i == 0 ? &out : &err;
                text_append(&t->data, &t->len, &t->cap, buf, (size_t)n);
            } else {
                close(fds[i].fd);
                if (i == 0) out_pipe[0] = -1;
                else err_pipe[0] = -1;
                open_fds--;
            }
        }
        if (in_fd >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t n = write(in_fd, pending, pending_len);
            if (n > 0) pending += n, pending_len -= (size_t)n;
            if (n <= 0 || pending_len == 0) close(in_fd), in_fd = -1;
        }
    }
    if (in_fd >= 0) close(in_fd);
    wait_for_exit(pid, started, result);
    result->out = out.data;
    result->err = err.data;
    return 0;
}

int hexgpu_cli_spawn(const char *const *argv, const hexgpu_cli_options *options, hexgpu_cli_child *child) {
    memset(child, 0, sizeof *child);
    int out_pipe[2];
    if (pipe(out_pipe)) return -1;
    child->started = hexgpu_timer_now_seconds();
    pid_t parent = getpid();
    child->pid = fork_child(options);
    if (child->pid < 0) return -1;
    if (child->pid == 0) {
        int null_fd = open("/dev/null", O_RDONLY);
        dup2(null_fd, 0);
        dup2(out_pipe[1], 1);
        dup2(out_pipe[1], 2);
        close(out_pipe[0]);
        exec_hexgpu(argv, options, parent);
    }
    close(out_pipe[1]);
    child->fd = out_pipe[0];
    text_append(&child->output, &child->length, &child->capacity, "", 0);
    return 0;
}

int hexgpu_cli_child_read(hexgpu_cli_child *child, const char *needle, int timeout_ms) {
    double deadline = hexgpu_timer_now_seconds() + timeout_ms / 1000.0;
    while (!(needle && strstr(child->output, needle)) && child->fd >= 0) {
        int left = (int)((deadline - hexgpu_timer_now_seconds()) * 1000.0);
        if (left <= 0) break;
        struct pollfd fd = {child->fd, POLLIN, 0};
        if (poll(&fd, 1, left) <= 0) continue;
        char buf[8192];
        ssize_t n = read(child->fd, buf, sizeof buf);
        if (n > 0) {
            text_append(&child->output, &child->length, &child->capacity, buf, (size_t)n);
        } else if (n == 0 || errno != EINTR) {
            close(child->fd);
            child->fd = -1;
        }
    }
    return needle && strstr(child->output, needle) != NULL;
}

void hexgpu_cli_child_finish(hexgpu_cli_child *child, hexgpu_cli_result *result) {
    memset(result, 0, sizeof *result);
    while (child->fd >= 0) hexgpu_cli_child_read(child, NULL, 60000);
    wait_for_exit(child->pid, child->started, result);
    result->err = child->output;
    result->out = calloc(1, 1);
    memset(child, 0, sizeof *child);
    child->fd = -1;
}

void hexgpu_cli_result_free(hexgpu_cli_result *result) {
    free(result->out);
    free(result->err);
    memset(result, 0, sizeof *result);
}

const char *hexgpu_cli_last_line(const char *text) {
    static _Thread_local char line[8192];
    line[0] = '\0';
    const char *end = text + strlen(text);
    while (end > text && (end[-1] == '\n' || end[-1] == '\r')) end--;
    const char *start = end;
    while (start > text && start[-1] != '\n') start--;
    size_t n = (size_t)(end - start) < sizeof line - 1 ? (size_t)(end - start) : sizeof line - 1;
    memcpy(line, start, n);
    line[n] = '\0';
    return line;
}
