/* The emulator's global buffers (hexgpu_emu_alloc, emu_api.h) as its scheduler sees
 * them: after each launch, the guards around every live buffer are checked. */
#pragma once

#include <string>

namespace hexgpu_emu {

/* True when this build runs under AddressSanitizer (buffers then have no guards: ASan
 * reports any access outside them as it happens). */
bool under_address_sanitizer();

/* "" when no byte outside a live buffer was written since the last call; else says which
 * buffers and where (first offset before the start or past the end), and restores those
 * guards. With `only`, checks that one buffer. */
std::string guard_violations(const void *only = nullptr);

} // namespace hexgpu_emu
