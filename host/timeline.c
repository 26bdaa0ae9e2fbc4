/* The batch timeline (see timeline.h): the ring, the overlap sweep and the Chrome trace
 * writer. */
#include "host/timeline.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/status.h"

hexgpu_status hexgpu_timeline_init(hexgpu_timeline *t, size_t capacity, hexgpu_error *err) {
    memset(t, 0, sizeof *t);
    t->entries = capacity ? malloc(capacity * sizeof *t->entries) : NULL;
    if (!t->entries)
        return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "timeline of %zu batches: out of memory (%zu bytes)",
                                capacity, capacity * sizeof *t->entries);
    t->capacity = capacity;
    pthread_mutex_init(&t->lock, NULL);
    return HEXGPU_OK;
}

void hexgpu_timeline_destroy(hexgpu_timeline *t) {
    if (!t->entries) return;
    free(t->entries);
    t->entries = NULL;
    pthread_mutex_destroy(&t->lock);
}

void hexgpu_timeline_add(hexgpu_timeline *t, const hexgpu_timeline_entry *entry) {
    pthread_mutex_lock(&t->lock);
    t->entries[t->next] = *entry;
    t->next = (t->next + 1) % t->capacity;
    if (t->count < t->capacity) t->count++;
    pthread_mutex_unlock(&t->lock);
}

size_t hexgpu_timeline_copy(hexgpu_timeline *t, hexgpu_timeline_entry **out) {
    pthread_mutex_lock(&t->lock);
    size_t n = t->count, oldest = (t->next + t->capacity - n) % t->capacity;
    *out = n ? malloc(n * sizeof **out) : NULL;
    if (*out) {
        size_t first = n < t->capacity - oldest ? n : t->capacity - oldest;
        memcpy(*out, t->entries + oldest, first * sizeof **out);
        memcpy(*out + first, t->entries, (n - first) * sizeof **out);
    }
    pthread_mutex_unlock(&t->lock);
    return *out ? n : 0;
}

/* A phase boundary for the sweep. */
typedef struct edge {
    int64_t at;
    int slot;
    int start;   /* 1 start, 0 end */
    int compute; /* 1 compute, 0 a copy */
} edge;

/* By time; at one instant starts first, so no count ever goes below zero. */
static int edge_order(const void *a, const void *b) {
    const edge *x = a, *y = b;
    if (x->at != y->at) return x->at < y->at ? -1 : 1;
    return y->start - x->start;
}

static void add_edges(edge *e, size_t *n, int slot, int compute, int64_t from, int64_t to) {
    if (to < from) to = from; /* a backend's rounding must not make a phase negative */
    e[(*n)++] = (edge){.at = from, .slot = slot, .start = 1, .compute = compute};
    e[(*n)++] = (edge){.at = to, .slot = slot, .start = 0, .compute = compute};
}

/* One sweep over all phase boundaries. Between two boundaries the set of running phases
 * is fixed: with copies of two or more slots running, every running compute overlaps
 * another slot's copy; with copies of one slot j, every compute but j's does. */
double hexgpu_timeline_overlap(const hexgpu_timeline_entry *entries, size_t n) {
    int slots = 0;
    for (size_t i = 0; i < n; i++)
        if (entries[i].slot >= slots) slots = entries[i].slot + 1;
    edge *e = malloc(6 * n * sizeof *e + 1);
    int *copies = calloc((size_t)slots + 1, sizeof *copies), *computes = calloc((size_t)slots + 1, sizeof *computes);
    double result = -1.0;
    if (!e || !copies || !computes) goto done;
    size_t m = 0;
    double total = 0.0, overlapped = 0.0;
    for (size_t i = 0; i < n; i++) {
        const hexgpu_slot_timing *p = &entries[i].phases;
        int s = entries[i].slot < 0 ? 0 : entries[i].slot;
        add_edges(e, &m, s, 0, p->h2d_start, p->h2d_end);
        add_edges(e, &m, s, 1, p->compute_start, p->compute_end);
        add_edges(e, &m, s, 0, p->d2h_start, p->d2h_end);
        if (p->compute_end > p->compute_start) total += (double)(p->compute_end - p->compute_start);
    }
    qsort(e, m, sizeof *e, edge_order);
    int copying_slots = 0, computing = 0;
    long copying_sum = 0; /* sum of the copying slots' indices: the one slot when only one copies */
    for (size_t k = 0; k < m; k++) {
        if (k > 0 && e[k].at > e[k - 1].at && computing > 0 && copying_slots > 0) {
            int with_other = copying_slots >= 2 ? computing : computing - computes[copying_sum];
            overlapped += (double)(e[k].at - e[k - 1].at) * with_other;
        }
        int s = e[k].slot, d = e[k].start ? 1 : -1;
        if (e[k].compute) {
            computes[s] += d;
            computing += d;
        } else {
            if (copies[s] == 0 && d > 0) copying_slots++, copying_sum += s;
            copies[s] += d;
            if (copies[s] == 0 && d < 0) copying_slots--, copying_sum -= s;
        }
    }
    if (total > 0) result = overlapped / total;
done:
    free(e), free(copies), free(computes);
    return result;
}

hexgpu_status hexgpu_timeline_write_chrome(const hexgpu_timeline_entry *entries, size_t n, const char *path,
                                           hexgpu_error *err) {
    FILE *f = fopen(path, "w");
    if (!f) return hexgpu_error_set(err, HEXGPU_ERR_IO, "%s: cannot write the timeline: %s", path, strerror(errno));
    int64_t origin = n ? entries[0].phases.h2d_start : 0;
    int slots = 0;
    for (size_t i = 0; i < n; i++) {
        if (entries[i].phases.h2d_start < origin) origin = entries[i].phases.h2d_start;
        if (entries[i].slot >= slots) slots = entries[i].slot + 1;
    }
    fprintf(f, "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[");
    for (int s = 0; s < slots; s++)
        fprintf(f, "%s\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":%d,\"args\":{\"name\":\"slot %d\"}}",
                s ? "," : "", s, s);
    static const char *names[3] = {"h2d", "compute", "d2h"};
    for (size_t i = 0; i < n; i++) {
        const hexgpu_slot_timing *p = &entries[i].phases;
        int64_t from[3] = {p->h2d_start, p->compute_start, p->d2h_start}, to[3] = {p->h2d_end, p->compute_end, p->d2h_end};
        for (int k = 0; k < 3; k++)
            fprintf(f, ",\n{\"name\":\"%s\",\"ph\":\"X\",\"pid\":1,\"tid\":%d,\"ts\":%.3f,\"dur\":%.3f,"
                       "\"args\":{\"batch\":%d}}",
                    names[k], entries[i].slot, (double)(from[k] - origin) * 1e-3,
                    (double)(to[k] > from[k] ? to[k] - from[k] : 0) * 1e-3, entries[i].batch);
    }
    double overlap = hexgpu_timeline_overlap(entries, n);
    if (overlap >= 0) fprintf(f, "\n],\"otherData\":{\"batches\":%zu,\"overlap_fraction\":%.4f}}\n", n, overlap);
    else fprintf(f, "\n],\"otherData\":{\"batches\":%zu,\"overlap_fraction\":null}}\n", n);
    int failed = ferror(f);
    if (fclose(f) != 0 || failed)
        return hexgpu_error_set(err, HEXGPU_ERR_IO, "%s: cannot write the timeline: %s", path, strerror(errno));
    return HEXGPU_OK;
}
