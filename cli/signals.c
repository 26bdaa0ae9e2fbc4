/* See signals.h. */
#include "cli/signals.h"

#include <pthread.h>

#include "base/interrupt.h"

volatile sig_atomic_t hexgpu_cli_interrupt;

static void on_signal(int sig) {
    (void)sig;
    hexgpu_interrupt_raise(&hexgpu_cli_interrupt);
}

void hexgpu_cli_signals_install(hexgpu_cli_signals *saved) {
    hexgpu_cli_interrupt = 0;
    struct sigaction sa = {.sa_handler = on_signal}, ignore = {.sa_handler = SIG_IGN};
    sigemptyset(&sa.sa_mask);
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGINT, &sa, &saved->old_int);
    sigaction(SIGTERM, &sa, &saved->old_term);
    sigaction(SIGXFSZ, &ignore, &saved->old_xfsz);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_UNBLOCK, &set, &saved->old_mask);
}

void hexgpu_cli_signals_restore(const hexgpu_cli_signals *saved) {
    pthread_sigmask(SIG_SETMASK, &saved->old_mask, NULL);
    sigaction(SIGINT, &saved->old_int, NULL);
    sigaction(SIGTERM, &saved->old_term, NULL);
    sigaction(SIGXFSZ, &saved->old_xfsz, NULL);
}
