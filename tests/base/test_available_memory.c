/* What self-play may plan for (base/available_memory.c): MemAvailable, lowered to the
 * room left under the process's memory cgroup (v1 and v2, the process's own folder or,
 * inside a container, the top one), read from fake /proc and /sys trees. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/available_memory.h"

static char root[256];

static void put(const char *path, const char *text) {
    char full[512], dir[512];
    snprintf(full, sizeof full, "%s%s", root, path);
    /* mkdir -p of the file's folder */
    snprintf(dir, sizeof dir, "%s", full);
    for (char *p = dir + strlen(root) + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(dir, 0700);
            *p = '/';
        }
    FILE *f = fopen(full, "w");
    cr_assert_not_null(f, "%s", full);
    fputs(text, f);
    fclose(f);
}

static void fresh_root(void) {
    snprintf(root, sizeof root, "/tmp/hexgpu_memtest_XXXXXX");
    cr_assert_not_null(mkdtemp(root));
    put("/proc/meminfo", "MemTotal:       24000000 kB\nMemFree:        1000 kB\nMemAvailable:   20000000 kB\n");
}

static void remove_root(void) {
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    cr_assert_eq(system(cmd), 0);
}

#define GIB (1024.0 * 1024.0 * 1024.0)

Test(available_memory, meminfo_alone_without_a_cgroup_limit, .timeout = 120) {
    fresh_root();
    put("/proc/self/cgroup", "0::/user.slice/session-1.scope\n");
    put("/sys/fs/cgroup/user.slice/session-1.scope/memory.max", "max\n");
    put("/sys/fs/cgroup/user.slice/session-1.scope/memory.current", "123456\n");
    cr_assert_float_eq(hexgpu_available_memory_at(root), 20000000.0 * 1024.0, 1.0);
    remove_root();
}

Test(available_memory, cgroup_v2_limit_minus_usage, .timeout = 120) {
    fresh_root();
    /* A Slurm job step: 4 GiB limit, 1 GiB used. */
    put("/proc/self/cgroup", "0::/system.slice/slurmstepd.scope/job_7/step_0\n");
    put("/sys/fs/cgroup/system.slice/slurmstepd.scope/job_7/step_0/memory.max", "4294967296\n");
    put("/sys/fs/cgroup/system.slice/slurmstepd.scope/job_7/step_0/memory.current", "1073741824\n");
    cr_assert_float_eq(hexgpu_available_memory_at(root), 3.0 * GIB, 1.0);
    remove_root();
}

Test(available_memory, cgroup_v2_inside_a_container_reads_the_top_folder, .timeout = 120) {
    fresh_root();
    put("/proc/self/cgroup", "0::/\n");
    put("/sys/fs/cgroup/memory.max", "2147483648\n");
    put("/sys/fs/cgroup/memory.current", "536870912\n");
    cr_assert_float_eq(hexgpu_available_memory_at(root), 1.5 * GIB, 1.0);
    remove_root();
}

Test(available_memory, cgroup_v1_limit_and_no_limit, .timeout = 120) {
    fresh_root();
    put("/proc/self/cgroup", "9:cpu,cpuacct:/x\n4:memory:/docker/abc\n0::/\n");
    put("/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes", "8589934592\n");
    put("/sys/fs/cgroup/memory/docker/abc/memory.usage_in_bytes", "4294967296\n");
    cr_assert_float_eq(hexgpu_available_memory_at(root), 4.0 * GIB, 1.0);
    /* v1's "no limit": 2^63 rounded down to pages. */
    put("/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes", "9223372036854771712\n");
    cr_assert_float_eq(hexgpu_available_memory_at(root), 20000000.0 * 1024.0, 1.0);
    remove_root();
}

Test(available_memory, a_cgroup_at_its_limit_leaves_almost_nothing, .timeout = 120) {
    fresh_root();
    put("/proc/self/cgroup", "0::/job\n");
    put("/sys/fs/cgroup/job/memory.max", "1000000\n");
    put("/sys/fs/cgroup/job/memory.current", "2000000\n");
    double have = hexgpu_available_memory_at(root);
    cr_assert(have > 0.0 && have <= 1.0, "%g", have);
    remove_root();
}

/* A limit on a folder above the process's binds it too (found by review): a systemd
 * slice with MemoryMax over a session scope (v2), a Slurm job over its step's task (v1,
 * where the task's own file says "no limit"). */
Test(available_memory, a_parent_folders_limit_counts, .timeout = 120) {
    fresh_root();
    put("/proc/self/cgroup", "0::/user.slice/user-1000.slice/session-3.scope\n");
    put("/sys/fs/cgroup/user.slice/user-1000.slice/memory.max", "4294967296\n");
    put("/sys/fs/cgroup/user.slice/user-1000.slice/memory.current", "1073741824\n");
    put("/sys/fs/cgroup/user.slice/user-1000.slice/session-3.scope/memory.max", "max\n");
    cr_assert_float_eq(hexgpu_available_memory_at(root), 3.0 * GIB, 1.0);
    remove_root();
    fresh_root();
    put("/proc/self/cgroup", "4:memory:/slurm/uid_1000/job_7/step_0/task_0\n");
    put("/sys/fs/cgroup/memory/slurm/uid_1000/job_7/memory.limit_in_bytes", "4294967296\n");
    put("/sys/fs/cgroup/memory/slurm/uid_1000/job_7/memory.usage_in_bytes", "2147483648\n");
    put("/sys/fs/cgroup/memory/slurm/uid_1000/job_7/step_0/task_0/memory.limit_in_bytes", "9223372036854771712\n");
    cr_assert_float_eq(hexgpu_available_memory_at(root), 2.0 * GIB, 1.0);
    remove_root();
}

/* The inactive file cache is reclaimed before anything is killed: it counts as room (a
 * job that has read a few GB sits at its limit; found by review). */
Test(available_memory, inactive_file_cache_counts_as_room, .timeout = 120) {
    fresh_root();
    put("/proc/self/cgroup", "0::/\n");
    put("/sys/fs/cgroup/memory.max", "8589934592\n");
    put("/sys/fs/cgroup/memory.current", "8589000000\n");
    put("/sys/fs/cgroup/memory.stat", "anon 1589000000\nfile 7000000000\ninactive_file 7000000000\n");
    cr_assert_float_eq(hexgpu_available_memory_at(root), 8589934592.0 - 1589000000.0, 1.0);
    remove_root();
    fresh_root();
    put("/proc/self/cgroup", "5:memory,hugetlb:/docker/abc\n3:nomemory_x:/y\n");
    put("/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes", "8589934592\n");
    put("/sys/fs/cgroup/memory/docker/abc/memory.usage_in_bytes", "8589000000\n");
    put("/sys/fs/cgroup/memory/docker/abc/memory.stat", "cache 7000000000\ntotal_inactive_file 6000000000\n");
    cr_assert_float_eq(hexgpu_available_memory_at(root), 8589934592.0 - 2589000000.0, 1.0);
    remove_root();
}

Test(available_memory, the_real_machine_gives_a_positive_figure, .timeout = 120) {
    cr_assert_gt(hexgpu_available_memory(), 0.0);
}
