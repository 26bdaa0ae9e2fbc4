/* The memory self-play may plan for: the machine's available memory, lowered to what the
 * process's cgroup still allows and to RLIMIT_AS. */
#include "runtime/available_memory.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* A file's first number; -1 when it is missing, unreadable or "max" (no limit). */
static double read_number(const char *root, const char *path) {
    char full[1024];
    snprintf(full, sizeof full, "%s%s", root, path);
    FILE *f = fopen(full, "r");
    if (!f) return -1.0;
    unsigned long long value;
    int got = fscanf(f, "%llu", &value);
    fclose(f);
    return got == 1 ? (double)value : -1.0;
}

static double meminfo_available(const char *root) {
    char path[1024], line[256];
    snprintf(path, sizeof path, "%s/proc/meminfo", root);
    FILE *f = fopen(path, "r");
    double have = 0.0;
    while (f && fgets(line, sizeof line, f)) {
        unsigned long long kib;
        if (sscanf(line, "MemAvailable: %llu kB", &kib) == 1) have = (double)kib * 1024.0;
    }
    if (f) fclose(f);
    return have;
}

/* limit - usage for one cgroup folder (under /sys/fs/cgroup), or -1 without a limit.
 * v1 reports "no limit" as a huge number (2^63 rounded to pages): anything past 2^60
 * counts as none. */
static double cgroup_room(const char *root, const char *dir, const char *limit_file, const char *usage_file) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, limit_file);
    double limit = read_number(root, path);
    if (limit < 0.0 || limit >= 1152921504606846976.0) return -1.0;
    snprintf(path, sizeof path, "%s/%s", dir, usage_file);
    double usage = read_number(root, path);
    return usage < 0.0 ? limit : usage >= limit ? 1.0 : limit - usage;
}

/* The room under this process's memory cgroup: its own folder as /proc/self/cgroup names
 * it, or (inside a container, whose cgroup namespace shows "/" while the folder is
 * mounted at the top) the top folder. -1 without a limit. */
static double cgroup_available(const char *root) {
    char path[1024], line[1024];
    snprintf(path, sizeof path, "%s/proc/self/cgroup", root);
    FILE *f = fopen(path, "r");
    double room = -1.0;
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *first = strchr(line, ':'), *second = first ? strchr(first + 1, ':') : NULL;
        if (!second) continue;
        *second = '\0';
        const char *controllers = first + 1, *group = second + 1;
        double here = -1.0;
        char dir[1100];
        if (controllers[0] == '\0') { /* v2: "0::/path" */
            snprintf(dir, sizeof dir, "/sys/fs/cgroup%s", strcmp(group, "/") == 0 ? "" : group);
            here = cgroup_room(root, dir, "memory.max", "memory.current");
            if (here < 0.0) here = cgroup_room(root, "/sys/fs/cgroup", "memory.max", "memory.current");
        } else if (strstr(controllers, "memory")) { /* v1: "4:memory:/path" */
            snprintf(dir, sizeof dir, "/sys/fs/cgroup/memory%s", strcmp(group, "/") == 0 ? "" : group);
            here = cgroup_room(root, dir, "memory.limit_in_bytes", "memory.usage_in_bytes");
            if (here < 0.0)
                here = cgroup_room(root, "/sys/fs/cgroup/memory", "memory.limit_in_bytes", "memory.usage_in_bytes");
        }
        if (here > 0.0 && (room < 0.0 || here < room)) room = here;
    }
    if (f) fclose(f);
    return room;
}

double hexgpu_available_memory_at(const char *root) {
    double have = meminfo_available(root), room = cgroup_available(root);
    if (room > 0.0 && (have <= 0.0 || room < have)) have = room;
    return have;
}

double hexgpu_available_memory(void) {
    double have = hexgpu_available_memory_at("");
    long pages = sysconf(_SC_AVPHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (have <= 0.0 && pages > 0 && page > 0) have = (double)pages * (double)page;
    struct rlimit limit;
    if (getrlimit(RLIMIT_AS, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
        (have <= 0.0 || (double)limit.rlim_cur < have))
        have = (double)limit.rlim_cur;
    return have;
}
