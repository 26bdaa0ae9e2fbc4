/* Test support: fork/exec the hexgpu binary with pipes for stdin, stdout and stderr. */
#include "support/run_cli.h"

#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef HEXGPU_CLI_PATH
#define HEXGPU_CLI_PATH "hexgpu"
#endif

typedef struct growing_text {
    char *data;
    size_t len, cap;
} growing_text;

static int text_append(growing_text *t, const char *bytes, size_t n) {
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 4096;
        while (cap < t->len + n + 1) cap *= 2;
        char *data = realloc(t->data, cap);
        if (!data) return -1;
        t->data = data;
        t->cap = cap;
    }
    memcpy(t->data + t->len, bytes, n);
    t->len += n;
    t->data[t->len] = '\0';
    return 0;
}

int hexgpu_cli_run(const char *const *argv, const char *stdin_text, hexgpu_cli_result *result) {
    memset(result, 0, sizeof *result);
    int in_pipe[2], out_pipe[2], err_pipe[2];
    if (pipe(in_pipe) || pipe(out_pipe) || pipe(err_pipe)) return -1;
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        dup2(in_pipe[0], 0);
        dup2(out_pipe[1], 1);
        dup2(err_pipe[1], 2);
        close(in_pipe[1]), close(out_pipe[0]), close(err_pipe[0]);
        size_t argc = 0;
        while (argv[argc]) argc++;
        char **full = calloc(argc + 2, sizeof *full);
        full[0] = (char *)HEXGPU_CLI_PATH;
        for (size_t i = 0; i < argc; i++) full[i + 1] = (char *)argv[i];
        execv(HEXGPU_CLI_PATH, full);
        _exit(127);
    }
    close(in_pipe[0]), close(out_pipe[1]), close(err_pipe[1]);
    /* Write stdin and drain both outputs together so that neither side blocks on a full pipe. */
    signal(SIGPIPE, SIG_IGN);
    const char *pending = stdin_text ? stdin_text : "";
    size_t pending_len = strlen(pending);
    int in_fd = in_pipe[1];
    if (pending_len == 0) close(in_fd), in_fd = -1;
    growing_text out = {0}, err = {0};
    text_append(&out, "", 0), text_append(&err, "", 0);
    int open_fds = 2;
    while (open_fds > 0) {
        struct pollfd fds[3] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}, {in_fd, POLLOUT, 0}};
        if (poll(fds, in_fd >= 0 ? 3 : 2, -1) < 0) break;
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char buf[8192];
            ssize_t n = read(fds[i].fd, buf, sizeof buf);
            if (n > 0) {
                text_append(i == 0 ? &out : &err, buf, (size_t)n);
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
    int status = 0;
    waitpid(pid, &status, 0);
    result->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    result->out = out.data;
    result->err = err.data;
    return 0;
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
