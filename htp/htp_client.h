/* An external Hex text protocol engine run as a child process (MoHex, another hexgpu
 * htp, ...): commands written to its standard input, replies read from its standard
 * output. Its standard error is ours. Writing to an engine that has exited raises
 * SIGPIPE: the process should ignore it (the hexgpu command does), then such a write is
 * reported as HEXGPU_ERR_IO. */
#pragma once

#include <signal.h>
#include <stddef.h>

#include "hexgpu.h"

typedef struct hexgpu_htp_client hexgpu_htp_client;

/* Starts `/bin/sh -c "exec <command>"` in a process group of its own (so that the
 * engine's own children go with it, and a terminal's Ctrl-C reaches us, not it), with
 * SIGPIPE and SIGXFSZ at their defaults and no signal blocked, whatever ours are.
 * interrupt (may be NULL): while it is set, waits for replies end within 100 ms and stop
 * kills the engine at once. HEXGPU_ERR_IO when the process cannot be started (a command
 * that does not exist shows at the first hexgpu_htp_client_send instead). */
hexgpu_status hexgpu_htp_client_start(const char *command, const volatile sig_atomic_t *interrupt,
                                      hexgpu_htp_client **client, hexgpu_error *err);

/* Sends one command line and reads its reply: *ok is 1 for '=' and 0 for '?', reply gets
 * the text after the id and space (lines joined by '\n', no trailing blank line),
 * truncated to cap. Lines before the reply that do not start with '=' or '?' are skipped.
 * HEXGPU_ERR_IO when the process has gone or the reply is malformed; HEXGPU_ERR_TIMEOUT
 * when no whole reply came within timeout_s seconds (<= 0: no limit);
 * HEXGPU_ERR_CLOSED when the interrupt flag was set before the reply came. err names the
 * engine's command line. */
hexgpu_status hexgpu_htp_client_send(hexgpu_htp_client *client, const char *line, double timeout_s, int *ok,
                                     char *reply, size_t cap, hexgpu_error *err);

/* Sends quit and waits up to 2 s for the process to end (not at all once the interrupt
 * flag is set), then kills what is left of its process group (the engine, its children)
 * and reaps the engine; frees the client. NULL is a no-op. */
void hexgpu_htp_client_stop(hexgpu_htp_client *client);
