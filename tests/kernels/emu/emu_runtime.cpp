/* The emulator's scheduler. A block's CUDA threads run either as fibers of the launching
 * host thread, one at a time in a fixed order (the lowest- and highest-first schedules:
 * deterministic, and fast), or as host threads all at once (the concurrent schedule:
 * what ThreadSanitizer watches). Blocks run one after another. Every barrier, warp
 * operation and exit updates the block's state in one place (under a lock when
 * concurrent), where it is known exactly which thread waits where, so a barrier or warp
 * operation that some thread can never reach is reported at once (a thread at another
 * barrier, one that has exited, a deadlock), not found by a timeout.
 *
 * The host threads and fibers are made at the first launch that needs them and kept for
 * the next ones (under ThreadSanitizer, making one costs milliseconds): a process that
 * forks must do so before its first concurrent launch (emu_mutants.c forks from a parent
 * that launches nothing). One launch at a time per process. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <algorithm>
#include <string>
#include <vector>

#include "emu_cuda.h"
#include "emu_fiber.h"
#include "emu_memory.h"

#if defined(__SANITIZE_THREAD__)
#define HEXGPU_EMU_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define HEXGPU_EMU_TSAN 1
#endif
#endif
#ifdef HEXGPU_EMU_TSAN
#include <sanitizer/tsan_interface.h>
extern "C" { /* ThreadSanitizer's dynamic annotations (no header declares them) */
void AnnotateIgnoreSyncBegin(const char *file, int line);
void AnnotateIgnoreSyncEnd(const char *file, int line);
void AnnotateIgnoreReadsBegin(const char *file, int line);
void AnnotateIgnoreReadsEnd(const char *file, int line);
void AnnotateIgnoreWritesBegin(const char *file, int line);
void AnnotateIgnoreWritesEnd(const char *file, int line);
}
#endif

thread_local uint3 threadIdx, blockIdx;
thread_local dim3 blockDim, gridDim;

namespace hexgpu_emu {
namespace {

constexpr unsigned max_block_threads = 1024;
constexpr size_t max_dynamic_shared = 48 * 1024; /* the default limit, as the launchers assume */
constexpr size_t host_stack_bytes = 512 * 1024;
/* Small: AddressSanitizer clears the shadow of the whole stack at each switch. The bodies
 * need little (no local arrays), unwinding a few KiB. */
constexpr size_t fiber_stack_bytes = 64 * 1024;
/* Only a kernel that loops without ever reaching a barrier can get here: report it and
 * stop the program, since its threads cannot be taken back. */
constexpr int watchdog_seconds = 120;

/* What ThreadSanitizer takes for ordering in the concurrent schedule: CUDA's, exactly. A
 * block's start orders the launching thread before its threads, their exits order them
 * before it; a barrier orders the block, a warp operation the lanes of its mask. The
 * emulator's own lock, taken at every barrier and warp operation, would otherwise order
 * nearly everything and hide a missing barrier: its critical sections are private (their
 * locking orders nothing, their bookkeeping is not watched), and these calls, made outside
 * them, say what is ordered. No-ops without ThreadSanitizer. */
void order_release(const void *key) {
    (void)key;
#ifdef HEXGPU_EMU_TSAN
    __tsan_release(const_cast<void *>(key));
#endif
}
void order_acquire(const void *key) {
    (void)key;
#ifdef HEXGPU_EMU_TSAN
    __tsan_acquire(const_cast<void *>(key));
#endif
}
void private_begin() {
#ifdef HEXGPU_EMU_TSAN
    AnnotateIgnoreSyncBegin(__FILE__, __LINE__);
    AnnotateIgnoreReadsBegin(__FILE__, __LINE__);
    AnnotateIgnoreWritesBegin(__FILE__, __LINE__);
#endif
}
void private_end() {
#ifdef HEXGPU_EMU_TSAN
    AnnotateIgnoreWritesEnd(__FILE__, __LINE__);
    AnnotateIgnoreReadsEnd(__FILE__, __LINE__);
    AnnotateIgnoreSyncEnd(__FILE__, __LINE__);
#endif
}

enum class lane_state { ready, waiting, done };
enum class wait_kind { none, barrier, warp };

/* Thrown out of a barrier or warp operation once the launch has failed; caught where the
 * host thread called the body. */
struct unwind {};

struct launch_state;

struct thread_record {
    launch_state *owner;
    unsigned tid;
    pthread_cond_t wake; /* concurrent: its host thread waits on it */
    unsigned joined_at;  /* concurrent: the blocks started before its host thread was */
    fiber context;       /* one at a time: its fiber (made when stack_ready) */
    bool stack_ready;
    /* Ordering keys (order_release): this lane's arrivals at warp operations alternate
     * between the two; peer_slots: bit j, the key lane j of the mask arrived with. */
    char warp_keys[2];
    unsigned warp_ops, barriers; /* passed in this block */
    unsigned slot, peer_slots;
    lane_state state;
    wait_kind kind;
    const char *file; /* where it waits */
    int line;
    warp_op op;
    unsigned mask;
    uint64_t value;
    int arg, width;
    uint64_t result;
};

struct launch_state {
    bool fibers;          /* one at a time, as fibers of the launching thread */
    fiber main;           /* the launching thread, when fibers */
    pthread_mutex_t lock; /* concurrent: guards what follows */
    pthread_cond_t block_start, block_end;
    hexgpu_emu_schedule order;
    unsigned threads, blocks;
    void (*body)(const void *);
    const void *context;
    std::vector<thread_record> records; /* max_block_threads of them, never moved */
    unsigned host_threads;              /* started so far, serving records[0 .. host_threads) */
    unsigned block, generation;         /* generation: blocks started so far on host threads */
    unsigned ready, done, at_barrier;
    const char *barrier_file;
    int barrier_line;
    int holder;                                           /* fibers: the thread that runs next */
    char block_start_key, block_end_key, barrier_keys[2]; /* ordering keys (order_release) */
    bool failed;
    std::string message;
    void *shared;
};

thread_local launch_state *current;
thread_local thread_record *self;

/* Holds the launch's lock while in scope, when its threads run concurrently (fibers need
 * none: one runs at a time, and one must never switch away holding it). */
class locked {
  public:
    explicit locked(launch_state &l) : locked(l, l.fibers) {}
    /* fibers: l.fibers, read by the caller earlier (see finish) */
    locked(launch_state &l, bool fibers) : l_(l), on_(!fibers) {
        if (!on_) return;
        private_begin();
        pthread_mutex_lock(&l_.lock);
    }
    ~locked() {
        if (!on_) return;
        pthread_mutex_unlock(&l_.lock);
        private_end();
    }
    locked(const locked &) = delete;
    locked &operator=(const locked &) = delete;

  private:
    launch_state &l_;
    bool on_;
};

std::string format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
std::string format(const char *fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return buf;
}

/* "kernels/cuda/act_access.cuh:35" from the compiler's path of the file. */
std::string where(const char *file, int line) {
    const char *p = file, *k;
    for (const char *s = file; (k = strstr(s, "kernels/")) != nullptr; s = k + 1) p = k;
    return format("%s:%d", p, line);
}

const char *op_name(warp_op op) {
    static const char *const names[] = {"__shfl_sync", "__shfl_up_sync", "__shfl_down_sync", "__shfl_xor_sync",
                                        "__all_sync",  "__any_sync",     "__ballot_sync",    "__syncwarp"};
    return names[op];
}

bool same_place(const char *f1, int l1, const char *f2, int l2) { return l1 == l2 && strcmp(f1, f2) == 0; }

/* Whether r waits at this warp operation: same operation, place and mask. */
bool same_warp_op(const thread_record &r, warp_op op, unsigned mask, const char *file, int line) {
    return r.op == op && r.mask == mask && same_place(r.file, r.line, file, line);
}

std::string describe(const thread_record &r) {
    if (r.state == lane_state::done) return "exited";
    if (r.state == lane_state::ready) return "running";
    if (r.kind == wait_kind::barrier) return "at __syncthreads " + where(r.file, r.line);
    return format("at %s %s (mask 0x%08x)", op_name(r.op), where(r.file, r.line).c_str(), r.mask);
}

/* "threads 0-31 at __syncthreads X:12; threads 32-127 exited". */
std::string summary(const launch_state &l) {
    std::string out;
    for (unsigned i = 0; i < l.threads;) {
        std::string what = describe(l.records[i]);
        unsigned j = i + 1;
        while (j < l.threads && describe(l.records[j]) == what) j++;
        out += format("%sthreads %u-%u %s", out.empty() ? "" : "; ", i, j - 1, what.c_str());
        i = j;
    }
    return out;
}

int first_exited(const launch_state &l) {
    for (unsigned i = 0; i < l.threads; i++)
        if (l.records[i].state == lane_state::done) return (int)i;
    return -1;
}

/* Records the launch's first error and wakes every thread, which then unwinds. */
void fail(launch_state &l, const std::string &why) {
    if (l.failed) return;
    l.failed = true;
    l.message = format("block %u: ", l.block) + why;
    if (l.fibers) return; /* the scheduler resumes each fiber, which then unwinds */
    for (unsigned i = 0; i < l.threads; i++) pthread_cond_signal(&l.records[i].wake);
    pthread_cond_signal(&l.block_end);
}

[[noreturn]] void fail_here(launch_state &l, const std::string &why) {
    fail(l, why);
    throw unwind{};
}

int pick(const launch_state &l) {
    if (l.order == HEXGPU_EMU_LOWEST_FIRST) {
        for (unsigned i = 0; i < l.threads; i++)
            if (l.records[i].state == lane_state::ready) return (int)i;
    } else {
        for (unsigned i = l.threads; i-- > 0;)
            if (l.records[i].state == lane_state::ready) return (int)i;
    }
    return -1;
}

/* After the calling thread stopped being runnable (it waits or has exited): hands the
 * turn on, or finds that no thread can go on. */
void schedule(launch_state &l) {
    if (l.failed) return;
    if (l.ready == 0) {
        if (l.done < l.threads) fail(l, "deadlock, no thread can go on: " + summary(l));
        return;
    }
    if (l.fibers) l.holder = pick(l);
}

/* Returns when the thread may run: released from its wait and, as a fiber, its turn. */
void await_turn(launch_state &l, thread_record &r) {
    if (l.fibers)
        while (!l.failed && (r.state != lane_state::ready || l.holder != (int)r.tid)) fiber_yield(r.context, l.main);
    else
        while (!l.failed && r.state != lane_state::ready) pthread_cond_wait(&r.wake, &l.lock);
    if (l.failed) throw unwind{};
}

void arrive(launch_state &l, thread_record &r, wait_kind kind, const char *file, int line) {
    r.state = lane_state::waiting;
    r.kind = kind;
    r.file = file;
    r.line = line;
    l.ready--;
}

void release(launch_state &l, thread_record &r) {
    r.state = lane_state::ready;
    r.kind = wait_kind::none;
    l.ready++;
    if (!l.fibers) pthread_cond_signal(&r.wake);
}

/* The lane a shuffle reads, or -1 for the caller's own value (outside its width group). */
int source_lane(warp_op op, int lane, int arg, int width) {
    int group = lane & ~(width - 1);
    long src;
    switch (op) {
    case SHFL_IDX: return group + (arg & (width - 1));
    case SHFL_UP: src = (long)lane - arg; return src < group ? -1 : (int)src;
    case SHFL_DOWN: src = (long)lane + arg; return src >= group + width ? -1 : (int)src;
    default: src = (lane ^ arg) & 31; return src >= group + width ? -1 : (int)src;
    }
}

/* Every lane of the warp starting at `base` in `mask` is waiting at this operation: their
 * results, and they go on. */
void complete_warp_op(launch_state &l, unsigned base, unsigned mask, warp_op op) {
    uint64_t ballot = 0;
    for (unsigned j = 0; j < 32; j++)
        if ((mask >> j & 1) && l.records[base + j].value) ballot |= 1ull << j;
    for (unsigned j = 0; j < 32; j++) {
        if (!(mask >> j & 1)) continue;
        thread_record &t = l.records[base + j];
        switch (op) {
        case VOTE_ALL: t.result = ballot == mask; break;
        case VOTE_ANY: t.result = ballot != 0; break;
        case VOTE_BALLOT: t.result = ballot; break;
        case SYNCWARP: t.result = 0; break;
        default: {
            int src = source_lane(op, (int)j, t.arg, t.width);
            if (src >= 0 && !(mask >> src & 1))
                fail_here(l, format("%s at %s: lane %u of warp %u reads lane %d, outside the mask 0x%08x (undefined "
                                    "on the GPU)",
                                    op_name(op), where(t.file, t.line).c_str(), j, base / 32, src, mask));
            t.result = src < 0 ? t.value : l.records[base + (unsigned)src].value;
        }
        }
    }
    unsigned slots = 0;
    for (unsigned j = 0; j < 32; j++)
        if (mask >> j & 1) slots |= l.records[base + j].slot << j;
    for (unsigned j = 0; j < 32; j++)
        if (mask >> j & 1) l.records[base + j].peer_slots = slots, release(l, l.records[base + j]);
}

/* The host thread's body finished (or unwound): checks that no thread waits for it. */
void finish(launch_state &l, thread_record &r) {
    /* Read before the release: after it, the launching thread may start the next launch. */
    bool fibers = l.fibers;
    order_release(&l.block_end_key);
    locked g(l, fibers);
    if (r.state == lane_state::ready) l.ready--;
    r.state = lane_state::done;
    l.done++;
    if (!l.failed && l.at_barrier > 0)
        fail(l, format("barrier mismatch: thread %u exited while %u threads wait at __syncthreads %s", r.tid,
                       l.at_barrier, where(l.barrier_file, l.barrier_line).c_str()));
    unsigned base = r.tid & ~31u, lane = r.tid & 31;
    for (unsigned j = 0; !l.failed && j < 32 && base + j < l.threads; j++) {
        const thread_record &t = l.records[base + j];
        if (t.state == lane_state::waiting && t.kind == wait_kind::warp && (t.mask >> lane & 1))
            fail(l, format("%s at %s (mask 0x%08x): lane %u of warp %u exited while lane %u waits for it",
                           op_name(t.op), where(t.file, t.line).c_str(), t.mask, lane, base / 32, j));
    }
    if (l.done < l.threads) schedule(l);
    else if (!l.fibers) pthread_cond_signal(&l.block_end);
}

void set_builtins(const launch_state &l, thread_record &r) {
    threadIdx = uint3{r.tid, 0, 0};
    blockIdx = uint3{l.block, 0, 0};
    blockDim = dim3{l.threads, 1, 1};
    gridDim = dim3{l.blocks, 1, 1};
    current = const_cast<launch_state *>(&l);
    self = &r;
}

/* One CUDA thread's run of the body: waits for its turn, runs, and reports its exit. */
void run_thread(launch_state &l, thread_record &r) {
    try {
        {
            locked g(l);
            await_turn(l, r);
        }
        l.body(l.context);
    } catch (const unwind &) {
    }
    finish(l, r);
}

/* The entry of each fiber: `self` was set by the scheduler that resumed it. */
void fiber_thread() {
    thread_record &r = *self;
    launch_state &l = *r.owner;
    fiber_entered(l.main);
    run_thread(l, r);
    fiber_leave(r.context, l.main);
}

/* A host thread serving records[tid] in every concurrent block that has that thread. */
void *host_thread(void *arg) {
    thread_record &r = *static_cast<thread_record *>(arg);
    launch_state &l = *r.owner;
    unsigned seen = r.joined_at;
    for (;;) {
        private_begin(); /* not `locked`: l.fibers may change while it waits */
        pthread_mutex_lock(&l.lock);
        while (l.generation == seen) pthread_cond_wait(&l.block_start, &l.lock);
        seen = l.generation;
        bool in_block = r.tid < l.threads;
        pthread_mutex_unlock(&l.lock);
        private_end();
        if (!in_block) continue;
        order_acquire(&l.block_start_key);
        set_builtins(l, r);
        run_thread(l, r);
    }
}

hexgpu_emu_report report_of(hexgpu_emu_status status, const std::string &message) {
    hexgpu_emu_report rep;
    rep.status = status;
    snprintf(rep.message, sizeof rep.message, "%s", message.c_str());
    return rep;
}

/* Concurrent: starts the block on the host threads and waits for all to exit. */
void run_block_threads(launch_state &l) {
    order_release(&l.block_start_key);
    locked g(l);
    l.generation++;
    pthread_cond_broadcast(&l.block_start);
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += watchdog_seconds;
    while (l.done < l.threads)
        if (pthread_cond_timedwait(&l.block_end, &l.lock, &deadline) == ETIMEDOUT) {
            fprintf(stderr, "emulator: block %u has not finished after %d s (a loop that never ends?): %s\n", l.block,
                    watchdog_seconds, summary(l).c_str());
            abort();
        }
}

/* One at a time: resumes the fiber whose turn it is until every one has exited; after a
 * failure, each in turn so that it unwinds. */
void run_block_fibers(launch_state &l) {
    for (unsigned i = 0; i < l.threads; i++) fiber_prepare(l.records[i].context, fiber_thread);
    while (l.done < l.threads) {
        unsigned next = (unsigned)l.holder;
        if (l.failed)
            for (next = 0; l.records[next].state == lane_state::done;) next++;
        set_builtins(l, l.records[next]);
        fiber_resume(l.main, l.records[next].context);
    }
}

/* Runs one block; false when it failed. */
bool run_block(launch_state &l, unsigned block, size_t shared_bytes) {
    void *shared = hexgpu_emu_alloc(shared_bytes, "dynamic shared memory");
    {
        locked g(l);
        for (unsigned i = 0; i < l.threads; i++) {
            thread_record &r = l.records[i];
            r.state = lane_state::ready, r.kind = wait_kind::none, r.warp_ops = r.barriers = 0;
        }
        l.ready = l.threads;
        l.done = l.at_barrier = 0;
        l.block = block;
        l.shared = shared;
        l.holder = l.fibers ? pick(l) : -1;
    }
    if (l.fibers) run_block_fibers(l);
    else run_block_threads(l);
    order_acquire(&l.block_end_key);
    std::string outside = guard_violations(shared);
    hexgpu_emu_free(shared);
    if (!l.failed && !outside.empty()) fail(l, outside);
    return !l.failed;
}

/* The emulated device: made once, kept for the process's life (its host threads wait for
 * the next block). */
launch_state &device() {
    static launch_state *l = [] {
        launch_state *d = new launch_state{};
        pthread_mutex_init(&d->lock, nullptr);
        pthread_cond_init(&d->block_start, nullptr);
        pthread_cond_init(&d->block_end, nullptr);
        d->records.resize(max_block_threads);
        for (unsigned i = 0; i < max_block_threads; i++) {
            d->records[i].owner = d;
            d->records[i].tid = i;
            pthread_cond_init(&d->records[i].wake, nullptr);
        }
        return d;
    }();
    return *l;
}

/* Host threads or fiber stacks for the launch's threads (more only when a launch has more
 * threads than any before); "" or why they could not be made. */
std::string provide_threads(launch_state &l) {
    if (l.fibers) {
        for (unsigned i = 0; i < l.threads; i++) {
            thread_record &r = l.records[i];
            if (!r.stack_ready && !(r.stack_ready = fiber_create(r.context, fiber_stack_bytes)))
                return "out of memory for the fibers' stacks";
        }
        return "";
    }
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, host_stack_bytes);
    std::string refused;
    for (; l.host_threads < l.threads; l.host_threads++) {
        pthread_t handle;
        l.records[l.host_threads].joined_at = l.generation;
        int e = pthread_create(&handle, &attr, host_thread, &l.records[l.host_threads]);
        if (e) {
            refused = format("could not start host thread %u of %u: %s", l.host_threads, l.threads, strerror(e));
            break;
        }
        pthread_detach(handle);
    }
    pthread_attr_destroy(&attr);
    return refused;
}

/* The body of __syncthreads: waits for the block, or fails the launch. */
void arrive_at_barrier(launch_state &l, thread_record &r, const char *file, int line) {
    locked g(l);
    if (l.failed) throw unwind{};
    int exited = first_exited(l);
    if (exited >= 0)
        fail_here(l, format("barrier mismatch: thread %u waits at __syncthreads %s, but thread %d has exited", r.tid,
                            where(file, line).c_str(), exited));
    if (l.at_barrier > 0 && !same_place(file, line, l.barrier_file, l.barrier_line))
        fail_here(l, format("barrier mismatch: thread %u waits at __syncthreads %s while %u threads wait at %s", r.tid,
                            where(file, line).c_str(), l.at_barrier, where(l.barrier_file, l.barrier_line).c_str()));
    if (l.at_barrier == 0) l.barrier_file = file, l.barrier_line = line;
    arrive(l, r, wait_kind::barrier, file, line);
    if (++l.at_barrier == l.threads) {
        l.at_barrier = 0;
        for (unsigned i = 0; i < l.threads; i++) release(l, l.records[i]);
    }
    schedule(l);
    await_turn(l, r);
}

/* The body of a warp operation: waits for the lanes of mask, or fails the launch; this
 * lane's result, and in peer_slots the ordering keys its peers arrived with. */
uint64_t arrive_at_warp_op(launch_state &l, thread_record &r, warp_op op, unsigned mask, uint64_t bits, int arg,
                           int width, const char *file, int line, unsigned *peer_slots) {
    locked g(l);
    if (l.failed) throw unwind{};
    unsigned lane = r.tid & 31, base = r.tid & ~31u, lanes = std::min(32u, l.threads - base);
    unsigned existing = lanes == 32 ? 0xffffffffu : (1u << lanes) - 1;
    auto here = [&] { return format("%s at %s: thread %u", op_name(op), where(file, line).c_str(), r.tid); };
    if (!(mask >> lane & 1)) fail_here(l, here() + format(": its mask 0x%08x leaves out its own lane %u", mask, lane));
    if (mask & ~existing)
        fail_here(l, here() + format(": mask 0x%08x names lanes the block's last warp does not have (%u threads)", mask,
                                     l.threads));
    if (width < 1 || width > 32 || (width & (width - 1)))
        fail_here(l, here() + format(": width %d is not a power of 2 up to 32", width));
    for (unsigned j = 0; j < lanes; j++) {
        const thread_record &t = l.records[base + j];
        if (j == lane) continue;
        if ((mask >> j & 1) && t.state == lane_state::done)
            fail_here(l, here() + format(": lane %u of its mask 0x%08x has exited", j, mask));
        /* Two lanes each waiting for the other at different operations: neither can go on.
         * (A lane of my mask at another operation that does not need me may still come.) */
        bool each_needs_other =
            t.state == lane_state::waiting && t.kind == wait_kind::warp && (t.mask >> lane & 1) && (mask >> j & 1);
        if (each_needs_other && !same_warp_op(t, op, mask, file, line))
            fail_here(l, here() + format(" (mask 0x%08x): lane %u waits at %s %s (mask 0x%08x)", mask, j, op_name(t.op),
                                         where(t.file, t.line).c_str(), t.mask));
    }
    arrive(l, r, wait_kind::warp, file, line);
    r.op = op, r.mask = mask, r.value = bits, r.arg = arg, r.width = width;
    bool complete = true;
    for (unsigned j = 0; j < 32; j++) {
        const thread_record &t = l.records[base + j];
        if ((mask >> j & 1) &&
            !(t.state == lane_state::waiting && t.kind == wait_kind::warp && same_warp_op(t, op, mask, file, line)))
            complete = false;
    }
    if (complete) complete_warp_op(l, base, mask, op);
    schedule(l);
    await_turn(l, r);
    *peer_slots = r.peer_slots;
    return r.result;
}

} // namespace

void syncthreads(const char *file, int line) {
    launch_state &l = *current;
    thread_record &r = *self;
    /* Every thread passes the same barriers (or the launch fails): the n-th barrier's key is
     * the same for all, and the one after it uses the other key. */
    const char *key = &l.barrier_keys[r.barriers++ & 1];
    order_release(key);
    arrive_at_barrier(l, r, file, line);
    order_acquire(key);
}

uint64_t warp_exchange(warp_op op, unsigned mask, uint64_t bits, int arg, int width, const char *file, int line) {
    launch_state &l = *current;
    thread_record &r = *self;
    r.slot = r.warp_ops++ & 1;
    order_release(&r.warp_keys[r.slot]);
    unsigned peer_slots = 0;
    uint64_t result = arrive_at_warp_op(l, r, op, mask, bits, arg, width, file, line, &peer_slots);
    unsigned base = r.tid & ~31u;
    for (unsigned j = 0; j < 32; j++)
        if (mask >> j & 1) order_acquire(&l.records[base + j].warp_keys[peer_slots >> j & 1]);
    return result;
}

void *dynamic_shared() { return current->shared; }

hexgpu_emu_report launch_body(const hexgpu_k_shape &shape, hexgpu_emu_schedule order, void (*body)(const void *),
                              const void *context) {
    if (shape.threads < 1 || shape.threads > max_block_threads)
        return report_of(HEXGPU_EMU_FAILED,
                         format("launch of %u threads per block (1 to %u allowed)", shape.threads, max_block_threads));
    if (shape.blocks < 1) return report_of(HEXGPU_EMU_FAILED, "launch of 0 blocks");
    if (shape.shared_bytes > max_dynamic_shared)
        return report_of(HEXGPU_EMU_FAILED, format("launch with %zu bytes of dynamic shared memory (%zu allowed)",
                                                   shape.shared_bytes, max_dynamic_shared));
    static pthread_mutex_t one_launch = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&one_launch);
    launch_state &l = device();
    pthread_mutex_lock(&l.lock); /* idle host threads read these when they wake */
    l.fibers = order != HEXGPU_EMU_CONCURRENT;
    l.order = order;
    l.threads = shape.threads;
    l.blocks = shape.blocks;
    l.body = body;
    l.context = context;
    l.failed = false;
    l.message.clear();
    pthread_mutex_unlock(&l.lock);
    if (l.fibers) fiber_main_init(l.main);
    std::string refused = provide_threads(l);
    for (unsigned b = 0; refused.empty() && b < l.blocks; b++)
        if (!run_block(l, b, shape.shared_bytes)) break;
    bool failed = l.failed;
    std::string message = l.message;
    pthread_mutex_unlock(&one_launch);
    if (!refused.empty()) return report_of(HEXGPU_EMU_FAILED, refused);
    std::string outside = guard_violations();
    if (failed) return report_of(HEXGPU_EMU_FAILED, message);
    if (!outside.empty()) return report_of(HEXGPU_EMU_FAILED, outside);
    return report_of(HEXGPU_EMU_OK, "");
}

} // namespace hexgpu_emu

extern "C" const char *hexgpu_emu_schedule_name(hexgpu_emu_schedule order) {
    switch (order) {
    case HEXGPU_EMU_LOWEST_FIRST: return "lowest-first";
    case HEXGPU_EMU_HIGHEST_FIRST: return "highest-first";
    case HEXGPU_EMU_CONCURRENT: return "concurrent";
    default: return "?";
    }
}
