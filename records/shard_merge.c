/* Merging a sharded self-play run's files (see shard_merge.h): the shards read and
 * checked (shard_records.c), checked as one run here, their targets checked and copied
 * (shard_training.c), the outputs written aside and published (shard_output.c). */
#include "records/shard_merge.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/available_memory.h"
#include "base/status.h"
#include "records/training_writer.h"
#include "shard_merge_impl.h"

static int by_shard(const void *a, const void *b) {
    return ((const shard_file *)a)->index - ((const shard_file *)b)->index;
}

/* Checks that every shard comes from the same run as the first, once each. */
static hexgpu_status check_run(shard_file *files, int count, hexgpu_error *err) {
    qsort(files, (size_t)count, sizeof *files, by_shard);
    for (int i = 0; i < count; i++) {
        const shard_file *a = &files[0], *f = &files[i];
        if (i > 0 && f->index == files[i - 1].index)
            return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "shard %d/%d given twice: %s and %s", f->index,
                                    f->count, files[i - 1].path, f->path);
        if (f->count != a->count)
            return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "%s is a shard of %d, %s of %d", f->path, f->count,
                                    a->path, a->count);
        if (i > 0 && f->first <= files[i - 1].last)
            return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "%s and %s overlap (games %lld.. and ..%lld)",
                                    files[i - 1].path, f->path, (long long)f->first, (long long)files[i - 1].last);
        if (f->games && a->games && f->size != a->size)
            return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "%s has %dx%d games, %s %dx%d", f->path, f->size,
                                    f->size, a->path, a->size, a->size);
        for (size_t k = 0; k < SHARD_RUN_FIELDS; k++)
            if (f->field_len[k] != a->field_len[k] || (f->fields[k] == NULL) != (a->fields[k] == NULL) ||
                (f->fields[k] && strncmp(f->fields[k], a->fields[k], f->field_len[k]) != 0))
                return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT,
                                        "%s and %s are not of one run: their '%s' header fields differ", a->path,
                                        f->path, hexgpu_shard_run_fields[k]);
    }
    return HEXGPU_OK;
}

/* The record files must fit in memory together (read whole), with their line index. */
static hexgpu_status check_memory(const char *const *inputs, int count, hexgpu_error *err) {
    double need = 0.0, have = hexgpu_available_memory();
    for (int i = 0; i < count; i++) {
        struct stat st;
        if (stat(inputs[i], &st) == 0 && S_ISREG(st.st_mode)) need += 1.5 * (double)st.st_size;
    }
    if (have > 0.0 && need > have)
        return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY,
                                "records merge: the record files need about %.0f MiB, %.0f MiB of memory are available",
                                need / 1048576.0, have / 1048576.0);
    return HEXGPU_OK;
}

/* Fills the totals of the merged shards; refuses an empty or (unless allowed) incomplete run. */
static hexgpu_status count_run(shard_file *files, int count, int allow_incomplete, hexgpu_shard_merge_totals *t,
                               hexgpu_error *err) {
    t->shards = count, t->shard_count = files[0].count;
    for (int i = 0; i < count; i++) {
        t->games += files[i].games;
        t->expected += files[i].last - files[i].first + 1; /* disjoint ranges below 2^62: no overflow */
        t->blue_wins += files[i].wins[0], t->red_wins += files[i].wins[1];
    }
    for (int s = 0, i = 0; s < files[0].count; s++) { /* files are in shard order */
        if (i < count && files[i].index == s) {
            i++;
            continue;
        }
        size_t used = strlen(t->missing);
        if (used + 16 < sizeof t->missing)
            snprintf(t->missing + used, sizeof t->missing - used, "%s%d", used ? ", " : "", s);
        else if (used + 5 < sizeof t->missing && strcmp(t->missing + used - 3, "...") != 0)
            snprintf(t->missing + used, sizeof t->missing - used, ", ...");
    }
    if (t->games == 0) return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "records merge: no game in any shard");
    if (!allow_incomplete && (t->missing[0] || t->games < t->expected))
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT,
                                "records merge: an incomplete run: %lld of %lld games%s%s (shards of %d); "
                                "--allow-incomplete merges what is there",
                                (long long)t->games, (long long)t->expected, t->missing[0] ? ", missing shards " : "",
                                t->missing, t->shard_count);
    return HEXGPU_OK;
}

/* Whether the run has training targets: its header says so (older files without the
 * line: the first shard has them). The shards then must all have them, unless left out. */
static hexgpu_status want_training(shard_file *files, int count, int no_training, int *training, int *left_out,
                                   hexgpu_error *err) {
    int present[2] = {0, 0};
    for (int i = 0; i < count; i++) present[hexgpu_shard_training_paths(&files[i])]++;
    size_t k = SHARD_RUN_FIELDS - 1; /* "Training data", the same in every shard (check_run) */
    const char *said = files[0].fields[k];
    int wanted = said ? !(files[0].field_len[k] == 4 && strncmp(said, "none", 4) == 0) : present[1] > 0;
    *training = wanted && !no_training, *left_out = wanted && no_training;
    for (int i = 0; *training && i < count; i++)
        if (access(files[i].train, F_OK) != 0 || access(files[i].sidecar, F_OK) != 0)
            return hexgpu_error_set(err, HEXGPU_ERR_IO,
                                    "%s: its training targets %s are missing (%d of %d shards have them); "
                                    "--no-training merges the records alone",
                                    files[i].path, access(files[i].train, F_OK) != 0 ? files[i].train : files[i].sidecar,
                                    present[1], count);
    return HEXGPU_OK;
}

/* The merged header: the first shard's lines, with the game count of the merged files,
 * a Merged line in place of the Shard line and, targets left out, no training data. */
static int write_header(FILE *out, const shard_file *files, int count, const hexgpu_shard_merge_totals *t) {
    const shard_file *a = &files[0];
    for (const char *line = a->text; line < a->text + a->body;) {
        const char *end = strchr(line, '\n') + 1;
        if (strncmp(line, "# Games: ", 9) == 0) fprintf(out, "# Games: %lld\n", (long long)t->games);
        else if (strncmp(line, "# Shard: ", 9) == 0)
            fprintf(out, "# Merged: %d of %d shards, games %lld..%lld\n", count, a->count, (long long)files[0].first,
                    (long long)files[count - 1].last);
        else if (t->targets_left_out && strncmp(line, "# Training data: ", 17) == 0)
            fputs("# Training data: none (left out of the merge: --no-training)\n", out);
        else fwrite(line, 1, (size_t)(end - line), out);
        line = end;
    }
    return !ferror(out);
}

/* The record file: the header, then the shards' lines, in game order where the rows
 * gave each line its game, else in the shard's order. Synced. */
static hexgpu_status write_records(const char *path, const shard_file *files, int count,
                                   const hexgpu_shard_merge_totals *t, hexgpu_error *err) {
    FILE *out = fopen(path, "wx");
    if (!out) return hexgpu_error_set(err, HEXGPU_ERR_IO, "cannot create %s: %s", path, strerror(errno));
    int ok = write_header(out, files, count, t);
    for (int i = 0; ok && i < count; i++)
        for (int64_t j = 0; ok && j < files[i].games; j++) {
            const shard_line *line = files[i].in_game_order ? files[i].by_hash[j] : &files[i].lines[j];
            ok = fwrite(files[i].text + line->offset, 1, line->length + 1, out) == line->length + 1; /* with its \n */
        }
    int code = errno;
    if (ok && (fflush(out) != 0 || fdatasync(fileno(out)) != 0)) ok = 0, code = errno;
    if (fclose(out) != 0 && ok) ok = 0, code = errno;
    if (!ok) return hexgpu_error_set(err, HEXGPU_ERR_IO, "cannot write %s: %s", path, strerror(code));
    return HEXGPU_OK;
}

/* Writes the merged files aside (targets checked as they are copied) and publishes them. */
static hexgpu_status write_outputs(shard_output *o, shard_file *files, int count, int size, int training,
                                   hexgpu_shard_merge_totals *t, hexgpu_error *err) {
    hexgpu_status st = hexgpu_shard_output_begin(o, err);
    if (st != HEXGPU_OK) return st;
    if (training) {
        hexgpu_training_writer *w = NULL;
        st = hexgpu_training_writer_open(o->temp[0], size, &w, err);
        for (int i = 0; st == HEXGPU_OK && i < count; i++) {
            st = hexgpu_shard_check_training(&files[i], size, w, err);
            t->training_rows += files[i].rows;
        }
        if (st == HEXGPU_OK) st = hexgpu_training_writer_close(w, err);
        else hexgpu_training_writer_discard(w);
    }
    if (st == HEXGPU_OK) st = write_records(o->temp[0], files, count, t, err);
    if (st == HEXGPU_OK) st = hexgpu_shard_output_publish(o, training, err);
    if (st != HEXGPU_OK) hexgpu_shard_output_abandon(o);
    return st;
}

hexgpu_status hexgpu_shard_merge(const char *const *inputs, int count, const char *output,
                                 const hexgpu_shard_merge_options *options, hexgpu_shard_merge_totals *t,
                                 hexgpu_error *err) {
    *t = (hexgpu_shard_merge_totals){.training_rows = -1};
    if (count < 1) return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "records merge: no shard files");
    shard_file *files = calloc((size_t)count, sizeof *files);
    if (!files) return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "records merge: %d files", count);
    for (int i = 0; i < count; i++) {
        files[i].path = inputs[i];
        hexgpu_shard_training_paths(&files[i]);
    }
    shard_output out;
    hexgpu_status st = hexgpu_shard_output_prepare(&out, output, files, count, err);
    if (st == HEXGPU_OK) st = check_memory(inputs, count, err);
    for (int i = 0; i < count && st == HEXGPU_OK; i++) st = hexgpu_shard_read_records(&files[i], err);
    if (st == HEXGPU_OK) st = check_run(files, count, err);
    int training = 0;
    if (st == HEXGPU_OK) st = count_run(files, count, options->allow_incomplete, t, err);
    if (st == HEXGPU_OK) st = want_training(files, count, options->no_training, &training, &t->targets_left_out, err);
    for (int i = 0; st == HEXGPU_OK && !training && i < count; i++) st = hexgpu_shard_check_distinct(&files[i], err);
    if (st == HEXGPU_OK) {
        int size = 0; /* a shard without games has none */
        for (int i = 0; i < count; i++) size = files[i].games ? files[i].size : size;
        t->training_rows = training ? 0 : -1;
        st = write_outputs(&out, files, count, size, training, t, err);
    }
    if (st != HEXGPU_OK) t->training_rows = -1;
    for (int i = 0; i < count; i++) free(files[i].text), free(files[i].lines), free(files[i].by_hash);
    free(files);
    return st;
}
