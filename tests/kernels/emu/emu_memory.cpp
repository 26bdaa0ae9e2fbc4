/* Global buffers of the emulated kernels: exactly sized under AddressSanitizer, otherwise
 * between guards of 0xff bytes that the scheduler checks after each launch. */
#include "emu_memory.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vector>

#include "emu_api.h"

#if defined(__SANITIZE_ADDRESS__)
#define HEXGPU_EMU_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HEXGPU_EMU_ASAN 1
#endif
#endif
#ifndef HEXGPU_EMU_ASAN
#define HEXGPU_EMU_ASAN 0
#endif

namespace {

/* Large enough to hold a strided write that misses by a plane of a 19x19 board. */
constexpr size_t guard_bytes = HEXGPU_EMU_ASAN ? 0 : 4096;
constexpr unsigned char fill = 0xff;

struct buffer_record {
    unsigned char *base; /* the allocation: guard, user bytes, guard */
    size_t bytes;
    const char *name;
};

pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
std::vector<buffer_record> live;

/* First and last offset (from the user bytes' start) of a changed guard byte, or 0. */
bool guard_changed(const buffer_record &b, long long *first, long long *last) {
    bool changed = false;
    const unsigned char *front = b.base, *back = b.base + guard_bytes + b.bytes;
    for (size_t i = 0; i < guard_bytes; i++)
        if (front[i] != fill) {
            long long off = (long long)i - (long long)guard_bytes;
            if (!changed) *first = off;
            *last = off, changed = true;
        }
    for (size_t i = 0; i < guard_bytes; i++)
        if (back[i] != fill) {
            long long off = (long long)(b.bytes + i);
            if (!changed) *first = off;
            *last = off, changed = true;
        }
    return changed;
}

} // namespace

namespace hexgpu_emu {

bool under_address_sanitizer() { return HEXGPU_EMU_ASAN; }

std::string guard_violations(const void *only) {
    std::string out;
    pthread_mutex_lock(&registry_lock);
    for (const buffer_record &b : live) {
        if (only && b.base + guard_bytes != only) continue;
        long long first = 0, last = 0;
        if (!guard_changed(b, &first, &last)) continue;
        char line[200];
        snprintf(line, sizeof line, "%sbytes written outside buffer '%s' (%zu bytes): offsets %lld..%lld",
                 out.empty() ? "" : "; ", b.name, b.bytes, first, last);
        out += line;
        memset(b.base, fill, guard_bytes);
        memset(b.base + guard_bytes + b.bytes, fill, guard_bytes);
    }
    pthread_mutex_unlock(&registry_lock);
    return out;
}

} // namespace hexgpu_emu

extern "C" void *hexgpu_emu_alloc(size_t bytes, const char *name) {
    unsigned char *base = static_cast<unsigned char *>(malloc(bytes + 2 * guard_bytes));
    if (!base && bytes + 2 * guard_bytes > 0) {
        fprintf(stderr, "emulator: out of memory for buffer '%s' (%zu bytes)\n", name, bytes);
        abort();
    }
    if (!base) return nullptr; /* malloc(0) under AddressSanitizer may give NULL: nothing to read or write */
    memset(base, fill, bytes + 2 * guard_bytes);
    pthread_mutex_lock(&registry_lock);
    live.push_back(buffer_record{base, bytes, name});
    pthread_mutex_unlock(&registry_lock);
    return base + guard_bytes;
}

extern "C" void hexgpu_emu_free(void *buffer) {
    if (!buffer) return;
    unsigned char *base = static_cast<unsigned char *>(buffer) - guard_bytes;
    pthread_mutex_lock(&registry_lock);
    for (size_t i = 0; i < live.size(); i++)
        if (live[i].base == base) {
            live.erase(live.begin() + (long)i);
            break;
        }
    pthread_mutex_unlock(&registry_lock);
    free(base);
}
