/* The memory self-play may plan for: the machine's available memory, lowered to what the
 * process's cgroup still allows and to RLIMIT_AS. */
#include "base/available_memory.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* A file's first number; -1 when it is missing, unreadable or "max" (no limit). */
static double read_number(const char *root, const char *path) {
    char full[4400];
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

/* Where a cgroup hierarchy keeps its memory figures: v2 (unified) and v1. */
typedef struct cgroup_files {
    const char *mount, *limit, *usage, *inactive_key;
} cgroup_files;
static const cgroup_files cgroup_v2 = {"/sys/fs/cgroup", "memory.max", "memory.current", "inactive_file"};
static const cgroup_files cgroup_v1 = {"/sys/fs/cgroup/memory", "memory.limit_in_bytes", "memory.usage_in_bytes",
                                       "total_inactive_file"};

/* The value of `key` in dir/memory.stat, or 0. */
static double stat_value(const char *root, const char *dir, const char *key) {
    char path[4200], line[256], name[64];
    snprintf(path, sizeof path, "%s%s/memory.stat", root, dir);
    FILE *f = fopen(path, "r");
    double value = 0.0;
    unsigned long long v;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "%63s %llu", name, &v) == 2 && strcmp(name, key) == 0) value = (double)v;
    if (f) fclose(f);
    return value;
}

/* limit - usage for one cgroup folder, or -1 without a limit. Usage leaves out the
 * inactive file cache, which the kernel reclaims before it kills anything (as
 * MemAvailable does; a job that has read a few GB sits at its limit otherwise). v1
 * reports "no limit" as a huge number (2^63 rounded to pages): anything past 2^60
 * counts as none. */
static double folder_room(const char *root, const char *dir, const cgroup_files *files) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, files->limit);
    double limit = read_number(root, path);
    if (limit < 0.0 || limit >= 1152921504606846976.0) return -1.0;
    snprintf(path, sizeof path, "%s/%s", dir, files->usage);
    double usage = read_number(root, path);
    if (usage < 0.0) return limit;
    usage -= stat_value(root, dir, files->inactive_key);
    if (usage < 0.0) usage = 0.0;
    return usage >= limit ? 1.0 : limit - usage;
}

/* The least room over the process's folder and every folder above it up to the mount:
 * a limit on a parent (a systemd slice, a Slurm job above its steps and tasks) binds
 * the process as much as its own. Inside a container the group is "/" and the mount's
 * top folder is the container's. -1 without a limit anywhere. */
static double path_room(const char *root, const cgroup_files *files, const char *group) {
    char dir[4096];
    size_t base = strlen(files->mount);
    snprintf(dir, sizeof dir, "%s%s", files->mount, strcmp(group, "/") == 0 ? "" : group);
    double room = -1.0;
    for (;;) {
        double here = folder_room(root, dir, files);
        if (here > 0.0 && (room < 0.0 || here < room)) room = here;
        if (strlen(dir) <= base) break;
        char *slash = strrchr(dir, '/');
        if (!slash || (size_t)(slash - dir) < base) dir[base] = '\0';
        else *slash = '\0';
    }
    return room;
}

/* Whether a comma-separated controller list of /proc/self/cgroup names `name`. */
static int has_controller(const char *list, const char *name) {
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && strncmp(p, name, n) == 0) return 1;
        if (!end) break;
        p = end + 1;
    }
    return 0;
}

/* The room under this process's memory cgroups (v2 "0::/path", v1 "N:memory:/path"
 * lines of /proc/self/cgroup), the least of them; -1 without a limit. */
static double cgroup_available(const char *root) {
    char path[1024], line[4096];
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
        if (controllers[0] == '\0') here = path_room(root, &cgroup_v2, group);
        else if (has_controller(controllers, "memory")) here = path_room(root, &cgroup_v1, group);
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
