/* The fibers of emu_fiber.h: ucontext switches annotated for the sanitizers (ASan's
 * fake stacks are not used: detect_stack_use_after_return stays off for these). */
#include "emu_fiber.h"

#include <stdlib.h>

#if defined(__SANITIZE_ADDRESS__)
#define HEXGPU_EMU_FIBER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HEXGPU_EMU_FIBER_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define HEXGPU_EMU_FIBER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define HEXGPU_EMU_FIBER_TSAN 1
#endif
#endif

#ifdef HEXGPU_EMU_FIBER_ASAN
#include <sanitizer/common_interface_defs.h>
#endif
#ifdef HEXGPU_EMU_FIBER_TSAN
#include <sanitizer/tsan_interface.h>
#endif

namespace hexgpu_emu {
namespace {

/* Before switching to `to`'s stack. */
void switching_to(const fiber &to) {
    (void)to;
#ifdef HEXGPU_EMU_FIBER_ASAN
    __sanitizer_start_switch_fiber(nullptr, to.bottom, to.size);
#endif
#ifdef HEXGPU_EMU_FIBER_TSAN
    __tsan_switch_to_fiber(to.tsan, 0); /* 0: the switch orders what each fiber did */
#endif
}

/* After arriving on a stack; records where main's stack is when coming from it. */
void arrived(fiber *from_main) {
    (void)from_main;
#ifdef HEXGPU_EMU_FIBER_ASAN
    const void *bottom = nullptr;
    size_t size = 0;
    __sanitizer_finish_switch_fiber(nullptr, &bottom, &size);
    if (from_main) from_main->bottom = bottom, from_main->size = size;
#endif
}

} // namespace

void fiber_main_init(fiber &main) {
    main.stack = nullptr;
    main.stack_bytes = 0;
    main.bottom = nullptr;
    main.size = 0;
    main.tsan = nullptr;
#ifdef HEXGPU_EMU_FIBER_TSAN
    main.tsan = __tsan_get_current_fiber();
#endif
}

bool fiber_create(fiber &f, size_t stack_bytes) {
    f.stack = malloc(stack_bytes);
    if (!f.stack) return false;
    f.stack_bytes = stack_bytes;
    f.bottom = f.stack;
    f.size = stack_bytes;
    f.tsan = nullptr;
#ifdef HEXGPU_EMU_FIBER_TSAN
    f.tsan = __tsan_create_fiber(0);
#endif
    return true;
}

void fiber_destroy(fiber &f) {
#ifdef HEXGPU_EMU_FIBER_TSAN
    if (f.tsan) __tsan_destroy_fiber(f.tsan);
#endif
    free(f.stack);
    f.stack = nullptr;
}

void fiber_prepare(fiber &f, void (*entry)()) {
    getcontext(&f.context);
    f.context.uc_stack.ss_sp = f.stack;
    f.context.uc_stack.ss_size = f.stack_bytes;
    f.context.uc_link = nullptr;
    makecontext(&f.context, entry, 0);
}

void fiber_resume(fiber &main, fiber &f) {
    switching_to(f);
    swapcontext(&main.context, &f.context);
    arrived(nullptr);
}

void fiber_yield(fiber &f, fiber &main) {
    switching_to(main);
    swapcontext(&f.context, &main.context);
    arrived(&main);
}

void fiber_entered(fiber &main) { arrived(&main); }

void fiber_leave(fiber &f, fiber &main) {
    switching_to(main);
    swapcontext(&f.context, &main.context);
    abort(); /* never resumed before fiber_prepare starts it afresh */
}

} // namespace hexgpu_emu
