/* The training-target file and its sidecar (see training_writer.h). */
#include "records/training_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "base/file_write.h"
#include "base/status.h"

#define FIXED_BYTES 120 /* everything before visits */

struct hexgpu_training_writer {
    int fd;
    int board_size;
    size_t record_bytes;
    unsigned char *buffer; /* one game's records */
    size_t buffer_records;
    off_t committed; /* bytes of whole games in the file */
    char path[4096];
    char sidecar[4200];
};

size_t hexgpu_training_record_bytes(int board_size) {
    return FIXED_BYTES + 2 * sizeof(float) * (size_t)board_size * (size_t)board_size;
}

int hexgpu_training_paths(const char *records_path, char *data, size_t data_len, char *sidecar, size_t sidecar_len) {
    const char *slash = strrchr(records_path, '/'), *dot = strrchr(records_path, '.');
    int base = dot && (!slash || dot > slash) ? (int)(dot - records_path) : (int)strlen(records_path);
    int n = snprintf(data, data_len, "%.*s.train", base, records_path);
    int m = snprintf(sidecar, sidecar_len, "%.*s.train.json", base, records_path);
    return n > 0 && (size_t)n < data_len && m > 0 && (size_t)m < sidecar_len;
}

static void put_le(unsigned char *at, uint64_t v, int bytes) {
    for (int i = 0; i < bytes; i++) at[i] = (unsigned char)(v >> (8 * i));
}

static void put_f32(unsigned char *at, float f) {
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    put_le(at, bits, 4);
}

/* The sidecar (at w->sidecar): the layout as numpy dtype fields, written atomically so
 * that it is whole or absent. row_order: the rows are in the order the games finished
 * (each row's `game` is its game's index), whatever order the record file ends in. */
static hexgpu_status write_sidecar(const hexgpu_training_writer *w, const char *records_path, hexgpu_error *err) {
    const char *records_name = strrchr(records_path, '/') ? strrchr(records_path, '/') + 1 : records_path;
    const char *data_name = strrchr(w->path, '/') ? strrchr(w->path, '/') + 1 : w->path;
    char text[8192];
    int cells = w->board_size * w->board_size;
    int n = snprintf(text, sizeof text,
                     "{\"format\":\"hexgpu-training\",\"version\":%d,\"board_size\":%d,\"record_bytes\":%zu,"
                     "\"byte_order\":\"little\",\"records\":\"%s\",\"data\":\"%s\",\"row_order\":\"finishing\","
                     "\"fields\":["
                     "[\"game\",\"<i8\",[]],[\"ply\",\"<i2\",[]],[\"move\",\"<i2\",[]],[\"to_move\",\"u1\",[]],"
                     "[\"result\",\"i1\",[]],[\"full_search\",\"u1\",[]],[\"policy_target\",\"u1\",[]],"
                     "[\"root_value\",\"<f4\",[]],[\"reserved\",\"<u4\",[]],[\"blue\",\"<u8\",[%d]],"
                     "[\"red\",\"<u8\",[%d]],[\"visits\",\"<f4\",[%d]],[\"improved\",\"<f4\",[%d]]]}\n",
                     HEXGPU_TRAINING_FORMAT_VERSION, w->board_size, w->record_bytes, records_name, data_name,
                     HEXGPU_POSITION_WORDS, HEXGPU_POSITION_WORDS, cells, cells);
    if (n < 0 || (size_t)n >= sizeof text)
        return hexgpu_error_set(err, HEXGPU_ERR_IO, "training sidecar: file names too long");
    return hexgpu_file_write_atomic(w->sidecar, (const uint8_t *)text, (size_t)n, err);
}

hexgpu_status hexgpu_training_writer_open(const char *records_path, int board_size, hexgpu_training_writer **out,
                                          hexgpu_error *err) {
    *out = NULL;
    if (board_size < HEXGPU_MIN_SIZE || board_size > HEXGPU_MAX_SIZE)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "training writer: board size %d", board_size);
    hexgpu_training_writer *w = calloc(1, sizeof *w);
    if (!w) return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "training writer");
    w->board_size = board_size;
    w->record_bytes = hexgpu_training_record_bytes(board_size);
    if (!hexgpu_training_paths(records_path, w->path, sizeof w->path, w->sidecar, sizeof w->sidecar)) {
        free(w);
        return hexgpu_error_set(err, HEXGPU_ERR_IO, "training data: path too long: %s", records_path);
    }
    w->fd = open(w->path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (w->fd < 0) {
        hexgpu_error_set(err, HEXGPU_ERR_IO, "cannot create %s: %s", w->path, strerror(errno));
        free(w);
        return HEXGPU_ERR_IO;
    }
    hexgpu_status st = write_sidecar(w, records_path, err);
    if (st != HEXGPU_OK) {
        close(w->fd);
        unlink(w->path);
        free(w);
        return st;
    }
    *out = w;
    return HEXGPU_OK;
}

const char *hexgpu_training_writer_path(const hexgpu_training_writer *w) { return w->path; }

static int stones(const hexgpu_position *pos) {
    int n = 0;
    for (int i = 0; i < HEXGPU_POSITION_WORDS; i++)
        n += __builtin_popcountll(pos->blue[i]) + __builtin_popcountll(pos->red[i]);
    return n;
}

static void encode(const hexgpu_training_writer *w, int64_t game, hexgpu_color winner, const hexgpu_training_row *r,
                   unsigned char *at) {
    int cells = w->board_size * w->board_size;
    memset(at, 0, w->record_bytes);
    put_le(at + 0, (uint64_t)game, 8);
    put_le(at + 8, (uint64_t)stones(&r->position), 2);
    put_le(at + 10, (uint64_t)(uint16_t)r->move, 2);
    at[12] = r->position.to_move;
    at[13] = (unsigned char)(int8_t)(r->position.to_move == winner ? 1 : -1);
    at[14] = r->full_search;
    at[15] = r->policy_target;
    put_f32(at + 16, r->root_value);
    for (int i = 0; i < HEXGPU_POSITION_WORDS; i++) {
        put_le(at + 24 + 8 * i, r->position.blue[i], 8);
        put_le(at + 72 + 8 * i, r->position.red[i], 8);
    }
    for (int c = 0; c < cells; c++) {
        put_f32(at + FIXED_BYTES + 4 * (size_t)c, r->visits[c]);
        put_f32(at + FIXED_BYTES + 4 * (size_t)(cells + c), r->improved[c]);
    }
}

/* Appends whole records in one write, or cuts the file back to its last whole game (a
 * full disk or a size limit). */
static hexgpu_status append(hexgpu_training_writer *w, const void *data, size_t bytes, hexgpu_error *err) {
    if (hexgpu_write_all(w->fd, data, bytes)) {
        w->committed += (off_t)bytes;
        return HEXGPU_OK;
    }
    int code = errno;
    int cut = ftruncate(w->fd, w->committed); /* best effort: the error already says why */
    (void)cut;
    return hexgpu_error_set(err, HEXGPU_ERR_IO, "cannot write %s: %s", w->path, strerror(code));
}

hexgpu_status hexgpu_training_writer_add_game(hexgpu_training_writer *w, int64_t game, hexgpu_color winner,
                                              const hexgpu_training_row *rows, int count, hexgpu_error *err) {
    if (count <= 0) return HEXGPU_OK;
    if ((size_t)count > w->buffer_records) {
        unsigned char *grown = realloc(w->buffer, (size_t)count * w->record_bytes);
        if (!grown)
            return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "training writer: %d records of %zu bytes", count,
                                    w->record_bytes);
        w->buffer = grown;
        w->buffer_records = (size_t)count;
    }
    for (int i = 0; i < count; i++) encode(w, game, winner, &rows[i], w->buffer + (size_t)i * w->record_bytes);
    return append(w, w->buffer, (size_t)count * w->record_bytes, err);
}

hexgpu_status hexgpu_training_writer_add_encoded(hexgpu_training_writer *w, const void *records, size_t len,
                                                 hexgpu_error *err) {
    if (len % w->record_bytes)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "training writer: %zu bytes are not whole records",
                                len);
    return len ? append(w, records, len, err) : HEXGPU_OK;
}

void hexgpu_training_writer_discard(hexgpu_training_writer *w) {
    if (!w) return;
    close(w->fd);
    unlink(w->path);
    unlink(w->sidecar);
    free(w->buffer);
    free(w);
}

hexgpu_status hexgpu_training_writer_close(hexgpu_training_writer *w, hexgpu_error *err) {
    if (!w) return HEXGPU_OK;
    hexgpu_status st = HEXGPU_OK;
    if (close(w->fd) != 0) st = hexgpu_error_set(err, HEXGPU_ERR_IO, "cannot close %s: %s", w->path, strerror(errno));
    free(w->buffer);
    free(w);
    return st;
}
