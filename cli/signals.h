/* SIGINT and SIGTERM as a flag, for the commands that run long (selfplay, match,
 * tournament): the handler only raises hexgpu_cli_interrupt, and the command stops at its
 * next check keeping what finished. */
#pragma once

#include <signal.h>

/* Raised by the handler (base/interrupt.h reads and sets it atomically). */
extern volatile sig_atomic_t hexgpu_cli_interrupt;

typedef struct hexgpu_cli_signals {
    struct sigaction old_int, old_term, old_xfsz;
    sigset_t old_mask;
} hexgpu_cli_signals;

/* Clears the flag, installs the handler for SIGINT and SIGTERM and unblocks them (a parent
 * may have blocked them; one already pending arrives now), and ignores SIGXFSZ, so that a
 * file size limit is a write error (EFBIG) rather than the end of the process. Install it
 * before anything slow (the model load included), so a signal at any moment ends the
 * command cleanly. */
void hexgpu_cli_signals_install(hexgpu_cli_signals *saved);

/* Puts back what install replaced. */
void hexgpu_cli_signals_restore(const hexgpu_cli_signals *saved);
