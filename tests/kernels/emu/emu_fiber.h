/* Fibers for the emulator's one-at-a-time schedules: the threads of a block as stacks
 * of the launching host thread, switched explicitly (ucontext), so a switch costs well
 * under a microsecond where a host thread's wake-up costs tens on a busy machine. Each
 * switch tells AddressSanitizer and ThreadSanitizer which stack runs. Only the launching
 * thread (`main`) switches to a fiber, and a fiber only back to it. */
#pragma once

#include <stddef.h>
#include <ucontext.h>

namespace hexgpu_emu {

struct fiber {
    ucontext_t context;
    void *stack; /* NULL for main */
    size_t stack_bytes;
    const void *bottom; /* the stack as the sanitizers know it (main's learnt at the first switch) */
    size_t size;
    void *tsan; /* ThreadSanitizer's context of this fiber (NULL without TSan) */
};

/* main: the calling thread. */
void fiber_main_init(fiber &main);
/* A fiber with a stack of stack_bytes; false when out of memory. */
bool fiber_create(fiber &f, size_t stack_bytes);
void fiber_destroy(fiber &f);
/* Makes the next fiber_resume(main, f) call entry() from the start of f's stack. */
void fiber_prepare(fiber &f, void (*entry)());
/* Runs f until it yields or leaves. */
void fiber_resume(fiber &main, fiber &f);
/* In f: back to main until resumed. */
void fiber_yield(fiber &f, fiber &main);
/* First thing in an entry function. */
void fiber_entered(fiber &main);
/* Last thing in an entry function (which must not return). */
[[noreturn]] void fiber_leave(fiber &f, fiber &main);

} // namespace hexgpu_emu
