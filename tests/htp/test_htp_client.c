/* HTP engines as child processes (htp/htp_client.c): what the child starts with. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "base/status.h"
#include "htp/htp_client.h"

/* The hexadecimal mask after `name:` in text (a /proc/<pid>/status line). */
static unsigned long long mask_of(const char *text, const char *name) {
    const char *at = strstr(text, name);
    cr_assert(at, "no %s in '%s'", name, text);
    return strtoull(at + strlen(name), NULL, 16);
}

/* hexgpu ignores SIGPIPE (a write to an opponent that exited is an error, not the end of
 * the match) and SIGXFSZ (a file size limit is a write error), and a caller may block
 * signals; an opponent is another program and gets neither: an engine that writes into a
 * closed pipe must die of it as it would from a shell. */
Test(htp_client, an_opponent_starts_with_default_signal_dispositions_and_an_empty_mask) {
    struct sigaction ignore = {.sa_handler = SIG_IGN}, old_pipe, old_xfsz;
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGPIPE, &ignore, &old_pipe);
    sigaction(SIGXFSZ, &ignore, &old_xfsz);
    sigset_t blocked, old_mask;
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &blocked, &old_mask);

    /* A shell keeps ignored signals ignored, so its own status shows what it was given. */
    const char *command =
        "sh -c 'read line; echo \"= $(grep -E \"^Sig(Ign|Blk)\" /proc/$$/status | tr \"\\t\\n\" \"  \")\"; "
        "echo'";
    hexgpu_htp_client *client = NULL;
    hexgpu_error err = {0};
    cr_assert_eq(hexgpu_htp_client_start(command, NULL, &client, &err), HEXGPU_OK, "%s", err.message);
    char reply[512];
    int ok = 0;
    hexgpu_status st = hexgpu_htp_client_send(client, "name", 10.0, &ok, reply, sizeof reply, &err);
    hexgpu_htp_client_stop(client);
    pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    sigaction(SIGPIPE, &old_pipe, NULL);
    sigaction(SIGXFSZ, &old_xfsz, NULL);
    cr_assert_eq(st, HEXGPU_OK, "%s", err.message);
    cr_assert(ok, "%s", reply);
    unsigned long long ignored = mask_of(reply, "SigIgn:"), masked = mask_of(reply, "SigBlk:");
    cr_assert_eq(ignored & (1ull << (SIGPIPE - 1)), 0, "SIGPIPE ignored in the opponent: %s", reply);
    cr_assert_eq(ignored & (1ull << (SIGXFSZ - 1)), 0, "SIGXFSZ ignored in the opponent: %s", reply);
    cr_assert_eq(masked & (1ull << (SIGUSR2 - 1)), 0, "SIGUSR2 blocked in the opponent: %s", reply);
}
