/* How much memory this process may still take, for refusing a self-play configuration
 * that would not fit before it starts (rather than an end by the OOM killer). */
#pragma once

/* The least of: MemAvailable (/proc/meminfo, else the free pages sysconf reports), the
 * room left under the process's memory cgroup (v2 memory.max - memory.current, v1
 * memory.limit_in_bytes - memory.usage_in_bytes: a container's or a Slurm job's limit)
 * and RLIMIT_AS. 0 when none is known. */
double hexgpu_available_memory(void);

/* The same with the files read under root ("" for the real ones; tests pass a folder
 * holding proc/meminfo, proc/self/cgroup and sys/fs/cgroup/...), without RLIMIT_AS and
 * sysconf. */
double hexgpu_available_memory_at(const char *root);
