/* The parts of test_kernels_emu besides the kernel cases (tests only). Each prints one
 * line per check ("ok ..." or "FAIL ...: why") and returns how many failed. `schedules`
 * holds a bit (1u << hexgpu_emu_schedule) per schedule to run. */
#pragma once

/* The emulator's own behaviour: each warp operation's results, shared memory across
 * blocks, every misuse of emu_probes.h that does not crash the process (each reported,
 * none hanging), __float2half's rounding. */
int hexgpu_emu_selfcheck(unsigned schedules);

/* Each mutant of emu_kernels.h and each out-of-bounds probe, in a child process: checks
 * that the emulator, or the sanitizer of this build, reports it. */
int hexgpu_emu_mutants_check(unsigned schedules);
