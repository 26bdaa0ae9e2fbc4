/* Child HTP engines: fork/exec with two pipes, line-buffered replies read with poll so a
 * hung engine times out instead of hanging the match. */
#include "htp/htp_client.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/interrupt.h"
#include "base/status.h"
#include "base/timer.h"

#define SLICE_MS 100 /* the longest a wait goes without looking at the interrupt flag */

struct hexgpu_htp_client {
    pid_t pid; /* the engine, leader of its own process group */
    const volatile sig_atomic_t *interrupt;
    int in, out;      /* the child's standard input (we write) and output (we read) */
    char name[160];   /* the command line, for messages */
    char buf[65536];  /* bytes read and not yet consumed */
    size_t len;
};

hexgpu_status hexgpu_htp_client_start(const char *command, const volatile sig_atomic_t *interrupt,
                                      hexgpu_htp_client **client, hexgpu_error *err) {
    *client = NULL;
    hexgpu_htp_client *c = calloc(1, sizeof *c);
    size_t length = strlen(command) + 8;
    char *line = malloc(length);
    int to_child[2] = {-1, -1}, from_child[2] = {-1, -1};
    if (!c || !line) {
        free(c), free(line);
        return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "opponent: out of memory");
    }
    snprintf(line, length, "exec %s", command);
    snprintf(c->name, sizeof c->name, "%s", command);
    c->interrupt = interrupt;
    if (pipe(to_child) != 0 || pipe(from_child) != 0) goto fail;
    /* Our ends must not leak into a second engine started later: its copy of the first
     * engine's input would keep that pipe open after we close ours. */
    fcntl(to_child[1], F_SETFD, FD_CLOEXEC);
    fcntl(from_child[0], F_SETFD, FD_CLOEXEC);
    c->pid = fork();
    if (c->pid < 0) goto fail;
    if (c->pid == 0) { /* only async-signal-safe calls between fork and exec */
        setpgid(0, 0);
        /* What hexgpu ignores (SIGPIPE, SIGXFSZ) or blocks is its own business: exec keeps
         * both, and an engine ignoring SIGPIPE would not die writing into a closed pipe. */
        struct sigaction dfl = {.sa_handler = SIG_DFL};
        sigemptyset(&dfl.sa_mask);
        sigaction(SIGPIPE, &dfl, NULL);
        sigaction(SIGXFSZ, &dfl, NULL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        dup2(to_child[0], 0);
        dup2(from_child[1], 1);
        close(to_child[0]), close(from_child[1]);
        execl("/bin/sh", "sh", "-c", line, (char *)NULL);
        _exit(127);
    }
    setpgid(c->pid, c->pid); /* as the child does: whichever runs first, the group exists before a kill */
    close(to_child[0]), close(from_child[1]);
    free(line);
    c->in = to_child[1], c->out = from_child[0];
    *client = c;
    return HEXGPU_OK;
fail:;
    int saved = errno;
    for (int i = 0; i < 2; i++) {
        if (to_child[i] >= 0) close(to_child[i]);
        if (from_child[i] >= 0) close(from_child[i]);
    }
    hexgpu_status st = hexgpu_error_set(err, HEXGPU_ERR_IO, "cannot start opponent '%s': %s", c->name, strerror(saved));
    free(c), free(line);
    return st;
}

/* Reads one line (without its newline, '\r' dropped) into line; 1 when one came, 0 at the
 * end of the output, -1 on timeout, -2 when the interrupt flag is set. */
static int read_line(hexgpu_htp_client *c, double deadline, char *line, size_t cap) {
    for (;;) {
        char *nl = memchr(c->buf, '\n', c->len);
        if (nl || c->len == sizeof c->buf) {
            size_t n = nl ? (size_t)(nl - c->buf) : c->len, used = nl ? n + 1 : n, k = 0;
            for (size_t i = 0; i < n; i++)
                if (c->buf[i] != '\r' && k + 1 < cap) line[k++] = c->buf[i];
            line[k] = '\0';
            memmove(c->buf, c->buf + used, c->len - used);
            c->len -= used;
            return 1;
        }
        if (hexgpu_interrupt_is_set(c->interrupt)) return -2;
        int wait_ms = SLICE_MS;
        if (deadline > 0.0) {
            double left = deadline - hexgpu_timer_now_seconds();
            if (left <= 0.0) return -1;
            if (left * 1000.0 < SLICE_MS) wait_ms = (int)(left * 1000.0) + 1;
        }
        struct pollfd p = {c->out, POLLIN, 0};
        int r = poll(&p, 1, wait_ms);
        if (r <= 0) continue; /* a slice gone, or a signal: the flag and the deadline first */
        ssize_t got = read(c->out, c->buf + c->len, sizeof c->buf - c->len);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return 0;
        c->len += (size_t)got;
    }
}

hexgpu_status hexgpu_htp_client_send(hexgpu_htp_client *c, const char *command, double timeout_s, int *ok,
                                     char *reply, size_t cap, hexgpu_error *err) {
    size_t n = strlen(command);
    char *text = malloc(n + 2);
    if (!text) return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "opponent: out of memory");
    memcpy(text, command, n);
    text[n] = '\n';
    size_t done = 0;
    while (done < n + 1) {
        ssize_t w = write(c->in, text + done, n + 1 - done);
        if (w < 0 && errno == EINTR && hexgpu_interrupt_is_set(c->interrupt)) {
            free(text);
            return hexgpu_error_set(err, HEXGPU_ERR_CLOSED, "interrupted while sending opponent '%s' '%s'", c->name,
                                    command);
        }
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            free(text);
            /* EPIPE: it exited (or closed its input) before this command, which a
             * slower start would have shown as no answer: one message for both. */
            return hexgpu_error_set(err, HEXGPU_ERR_IO, "opponent '%s' exited before answering '%s' (writing it: %s)",
                                    c->name, command, strerror(errno));
        }
        done += (size_t)w;
    }
    free(text);
    double deadline = timeout_s > 0.0 ? hexgpu_timer_now_seconds() + timeout_s : 0.0;
    char line[8192];
    size_t used = 0;
    int started = 0;
    if (cap > 0) reply[0] = '\0';
    for (;;) {
        int r = read_line(c, deadline, line, sizeof line);
        if (r == -2)
            return hexgpu_error_set(err, HEXGPU_ERR_CLOSED, "interrupted while opponent '%s' had '%s' to answer",
                                    c->name, command);
        if (r < 0)
            return hexgpu_error_set(err, HEXGPU_ERR_TIMEOUT, "opponent '%s' did not answer '%s' within %g s", c->name,
                                    command, timeout_s);
        if (r == 0)
            return hexgpu_error_set(err, HEXGPU_ERR_IO, "opponent '%s' exited before answering '%s'", c->name, command);
        if (!started) {
            if (line[0] != '=' && line[0] != '?') continue; /* chatter before the reply */
            *ok = line[0] == '=';
            const char *p = line + 1;
            while (*p >= '0' && *p <= '9') p++; /* the id, if any */
            while (*p == ' ') p++;
            used = (size_t)snprintf(reply, cap, "%s", p);
            started = 1;
            continue;
        }
        if (line[0] == '\0') return HEXGPU_OK;
        if (used < cap) used += (size_t)snprintf(reply + used, cap - used, "\n%s", line);
    }
}

void hexgpu_htp_client_stop(hexgpu_htp_client *c) {
    if (!c) return;
    if (!hexgpu_interrupt_is_set(c->interrupt)) {
        static const char quit[] = "quit\n";
        ssize_t w = write(c->in, quit, sizeof quit - 1);
        (void)w;
    }
    close(c->in);
    /* The engine's end, seen without reaping it: while it is a zombie its pid, and so its
     * group's id, cannot be taken by another process, so the kill below cannot miss. */
    siginfo_t info;
    for (int i = 0; i < 200 && !hexgpu_interrupt_is_set(c->interrupt); i++) {
        info.si_pid = 0;
        if (waitid(P_PID, (id_t)c->pid, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid == c->pid) break;
        struct timespec pause = {0, 10 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    kill(-c->pid, SIGKILL); /* the engine if it is still there, and whatever it started */
    kill(c->pid, SIGKILL);  /* the engine itself, should its group not have been made */
    int status;
    while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR) continue;
    close(c->out);
    free(c);
}
