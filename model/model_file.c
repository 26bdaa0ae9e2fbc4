/* The model-file entry point: reads a file, detects its format from the bytes (gzip,
 * zip, safetensors) and hands it to the matching reader. Reading is careful: what is not
 * a regular file is refused at once, and the first bytes (for safetensors the header,
 * for zip the end records) are judged before the rest is read. */
#include "model/model_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/model_bytes.h"
#include "base/status.h"
#include "model/zip.h"

const char *hexgpu_model_format_name(hexgpu_model_format format) {
    switch (format) {
    case HEXGPU_MODEL_FORMAT_SAFETENSORS: return "safetensors";
    case HEXGPU_MODEL_FORMAT_TORCH_ZIP: return "pt (zip)";
    case HEXGPU_MODEL_FORMAT_TORCH_GZIP: return "pt.gz";
    default: return "unknown";
    }
}

/* Training wrappers prefix every key: nn.DataParallel / DistributedDataParallel with
 * "module.", torch.compile with "_orig_mod." (possibly both). A state dict saved from the
 * wrapper is the same network, so when EVERY key carries one of these prefixes it is
 * removed (repeatedly) and noted in info. A map where only some keys carry it is left as
 * it is, for network building to name the odd key. */
static void strip_wrapper_prefixes(hexgpu_tensor_map *map, hexgpu_model_file_info *info) {
    static const char *const prefixes[] = {"module.", "_orig_mod."};
    for (int stripped = 1; stripped && map->count > 0;) {
        stripped = 0;
        for (size_t p = 0; p < sizeof prefixes / sizeof prefixes[0]; p++) {
            size_t plen = strlen(prefixes[p]);
            size_t i = 0;
            while (i < map->count && strncmp(map->items[i].name, prefixes[p], plen) == 0) i++;
            if (i < map->count) continue;
            for (i = 0; i < map->count; i++) {
                char *name = map->items[i].name;
                memmove(name, name + plen, strlen(name + plen) + 1);
            }
            size_t used = strlen(info->stripped_prefix);
            snprintf(info->stripped_prefix + used, sizeof info->stripped_prefix - used, "%s", prefixes[p]);
            stripped = 1;
        }
    }
}

/* safetensors metadata may claim a board size; a claim that contradicts the policy head
 * (n*n rows) means the file was edited or mislabelled, so it is refused, not guessed. */
static hexgpu_status check_metadata_board_size(const hexgpu_tensor_map *map, const hexgpu_model_file_info *info,
                                               hexgpu_error *err) {
    const hexgpu_tensor *policy = hexgpu_tensor_map_find(map, "policy_head.weight");
    int64_t n = info->board_size;
    if (!n || !policy || policy->ndim != 2 || policy->shape[0] == n * n) return HEXGPU_OK;
    return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT,
                            "metadata says board_size %lld but policy_head.weight has %lld rows (%lld expected)",
                            (long long)n, (long long)policy->shape[0], (long long)(n * n));
}

/* The format from the first bytes of a file of file_len bytes (head holds
 * min(file_len, 16) or more of them). Refused at once: an empty file, a legacy pickle,
 * anything unrecognised, a safetensors header length over the limit or past the end. */
static hexgpu_status detect(const uint8_t *head, size_t head_len, uint64_t file_len, hexgpu_model_format *format,
                            hexgpu_error *err) {
    uint64_t header_len;
    *format = HEXGPU_MODEL_FORMAT_UNKNOWN;
    if (file_len == 0) return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT, "empty file");
    if (hexgpu_bytes_are_gzip(head, head_len)) {
        *format = HEXGPU_MODEL_FORMAT_TORCH_GZIP;
    } else if (hexgpu_bytes_are_zip(head, head_len)) {
        *format = HEXGPU_MODEL_FORMAT_TORCH_ZIP;
    } else if (head_len >= 2 && head[0] == 0x80 && head[1] <= 5) {
        return hexgpu_error_set(err, HEXGPU_ERR_UNSUPPORTED,
                                "legacy (pre-1.6, non-zip) PyTorch serialization is not supported: re-save with a "
                                "current torch.save or convert to safetensors");
    } else if (head_len >= 9 && head[8] == '{') {
        hexgpu_status st = hexgpu_safetensors_header_length(head, file_len, &header_len, err);
        if (st != HEXGPU_OK) return st;
        *format = HEXGPU_MODEL_FORMAT_SAFETENSORS;
    } else {
        return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT,
                                "unrecognised model file (first bytes %02x %02x %02x %02x): expected safetensors, a "
                                "PyTorch .pt zip archive or .pt.gz",
                                head[0], head_len > 1 ? head[1] : 0, head_len > 2 ? head[2] : 0,
                                head_len > 3 ? head[3] : 0);
    }
    return HEXGPU_OK;
}

/* Loads zip or safetensors bytes, then what every form shares: no tensors is an error,
 * wrapper prefixes go, the metadata must agree. On failure out is emptied. */
static hexgpu_status load_tensors(const uint8_t *bytes, size_t len, hexgpu_model_format format, hexgpu_tensor_map *out,
                                  hexgpu_model_file_info *info, hexgpu_error *err) {
    hexgpu_status st = format == HEXGPU_MODEL_FORMAT_SAFETENSORS ? hexgpu_safetensors_load(bytes, len, out, info, err)
                                                                 : hexgpu_torch_zip_load(bytes, len, out, info, err);
    if (st == HEXGPU_OK && out->count == 0)
        st = hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT, "%s file holds no tensors",
                              hexgpu_model_format_name(info->format));
    if (st == HEXGPU_OK) strip_wrapper_prefixes(out, info);
    if (st == HEXGPU_OK) st = check_metadata_board_size(out, info, err);
    if (st != HEXGPU_OK) hexgpu_tensor_map_free(out);
    return st;
}

/* Inflates a .pt.gz first. owned (may be NULL) is the caller's buffer holding bytes: it
 * is freed as soon as it is no longer needed (after inflating, the compressed bytes
 * are), so a .pt.gz never holds both forms while its tensors are made. */
static hexgpu_status decode_and_load(const uint8_t *bytes, size_t len, hexgpu_model_format format, uint8_t *owned,
                                     hexgpu_tensor_map *out, hexgpu_model_file_info *info, hexgpu_error *err) {
    hexgpu_status st;
    if (format == HEXGPU_MODEL_FORMAT_TORCH_GZIP) {
        uint8_t *inner;
        size_t inner_len;
        st = hexgpu_gzip_inflate(bytes, len, HEXGPU_MODEL_MAX_FILE_BYTES, &inner, &inner_len, err);
        free(owned);
        if (st != HEXGPU_OK) return st;
        st = load_tensors(inner, inner_len, HEXGPU_MODEL_FORMAT_TORCH_ZIP, out, info, err);
        info->format = HEXGPU_MODEL_FORMAT_TORCH_GZIP;
        free(inner);
        return st;
    }
    st = load_tensors(bytes, len, format, out, info, err);
    free(owned);
    return st;
}

static hexgpu_status begin_load(const hexgpu_tensor_map *out, hexgpu_model_file_info *info, hexgpu_error *err) {
    memset(info, 0, sizeof *info);
    if (out->count)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "model load: the output tensor map is not empty");
    return HEXGPU_OK;
}

hexgpu_status hexgpu_model_bytes_load(const uint8_t *bytes, size_t len, hexgpu_tensor_map *out,
                                      hexgpu_model_file_info *info, hexgpu_error *err) {
    hexgpu_model_file_info scratch;
    if (!info) info = &scratch;
    hexgpu_model_format format = HEXGPU_MODEL_FORMAT_UNKNOWN;
    hexgpu_status st = begin_load(out, info, err);
    if (st == HEXGPU_OK) st = detect(bytes, len, len, &format, err);
    if (st == HEXGPU_OK) st = decode_and_load(bytes, len, format, NULL, out, info, err);
    return st;
}

/* ---- reading the file: open without blocking, refuse what is not a regular file, look
 * at the first bytes (and for safetensors the header, for zip the end records) before
 * reading the rest. */

static hexgpu_status open_error(int e, hexgpu_error *err) {
    /* The path itself is wrong (bad input); anything else is the system failing. */
    int bad_path = e == ENOENT || e == ENOTDIR || e == EACCES || e == EPERM || e == ELOOP || e == ENAMETOOLONG ||
                   e == EISDIR || e == ENXIO || e == ENODEV;
    return hexgpu_error_set(err, bad_path ? HEXGPU_ERR_INVALID_ARGUMENT : HEXGPU_ERR_IO, "cannot open: %s",
                            strerror(e));
}

static const char *file_kind(mode_t mode) {
    if (S_ISDIR(mode)) return "a folder";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISSOCK(mode)) return "a socket";
    return "something else";
}

/* Reads up to n bytes at offset; *got is less than n only at the end of the file. */
static hexgpu_status read_at(int fd, uint8_t *buf, size_t n, uint64_t offset, size_t *got, hexgpu_error *err) {
    *got = 0;
    while (*got < n) {
        size_t chunk = n - *got > ((size_t)1 << 30) ? (size_t)1 << 30 : n - *got;
        ssize_t r = pread(fd, buf + *got, chunk, (off_t)(offset + *got));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return hexgpu_error_set(err, HEXGPU_ERR_IO, "read error: %s", strerror(errno));
        if (r == 0) break;
        *got += (size_t)r;
    }
    return HEXGPU_OK;
}

/* Exactly n bytes at offset into a malloc'd buffer; a shorter file changed under us. */
static hexgpu_status read_exact(int fd, size_t n, uint64_t offset, uint8_t **out, hexgpu_error *err) {
    size_t got = 0;
    uint8_t *buf = malloc(n ? n : 1);
    hexgpu_status st = buf ? read_at(fd, buf, n, offset, &got, err)
                           : hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "out of memory for %zu bytes", n);
    if (st == HEXGPU_OK && got != n)
        st = hexgpu_error_set(err, HEXGPU_ERR_IO, "the file shrank while it was read (being written?)");
    if (st != HEXGPU_OK) {
        free(buf);
        buf = NULL;
    }
    *out = buf;
    return st;
}

/* What a safetensors header or zip end records say is checked against the file's size
 * before the bulk of it is read: a file they do not account for is refused cheaply. */
static hexgpu_status check_structure(int fd, const uint8_t *head, uint64_t size, hexgpu_model_format format,
                                     hexgpu_error *err) {
    uint64_t header_len = 0;
    if (format == HEXGPU_MODEL_FORMAT_SAFETENSORS) hexgpu_safetensors_header_length(head, size, &header_len, err);
    else if (format != HEXGPU_MODEL_FORMAT_TORCH_ZIP) return HEXGPU_OK;
    size_t n = format == HEXGPU_MODEL_FORMAT_SAFETENSORS ? (size_t)(8 + header_len)
                                                         : (size_t)(size < HEXGPU_ZIP_END_BYTES ? size : HEXGPU_ZIP_END_BYTES);
    uint8_t *part;
    hexgpu_status st = read_exact(fd, n, format == HEXGPU_MODEL_FORMAT_SAFETENSORS ? 0 : size - n, &part, err);
    if (st != HEXGPU_OK) return st;
    st = format == HEXGPU_MODEL_FORMAT_SAFETENSORS ? hexgpu_safetensors_check_header(part, size, err)
                                                   : hexgpu_zip_check_end(part, n, size, err);
    free(part);
    return st;
}

static hexgpu_status read_model_file(int fd, uint8_t **bytes, size_t *len, hexgpu_model_format *format,
                                     hexgpu_error *err) {
    struct stat sb;
    if (fstat(fd, &sb) != 0) return hexgpu_error_set(err, HEXGPU_ERR_IO, "cannot stat: %s", strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "%s, not a regular file", file_kind(sb.st_mode));
    int flags = fcntl(fd, F_GETFL); /* a regular file: reads may block as usual */
    if (flags != -1) fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    uint64_t size = (uint64_t)sb.st_size;
    if (size > HEXGPU_MODEL_MAX_FILE_BYTES)
        return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT, "%llu bytes, larger than the %llu-byte limit",
                                (unsigned long long)size, (unsigned long long)HEXGPU_MODEL_MAX_FILE_BYTES);
    uint8_t head[16];
    size_t head_len;
    hexgpu_status st = read_at(fd, head, size < sizeof head ? (size_t)size : sizeof head, 0, &head_len, err);
    if (st == HEXGPU_OK) st = detect(head, head_len, size, format, err);
    if (st == HEXGPU_OK) st = check_structure(fd, head, size, *format, err);
    if (st == HEXGPU_OK) st = read_exact(fd, (size_t)size, 0, bytes, err);
    uint8_t more;
    size_t extra = 0;
    if (st == HEXGPU_OK && (st = read_at(fd, &more, 1, size, &extra, err)) == HEXGPU_OK && extra)
        st = hexgpu_error_set(err, HEXGPU_ERR_IO, "the file grew while it was read (being written?)");
    if (st != HEXGPU_OK) {
        free(*bytes);
        *bytes = NULL;
        return st;
    }
    *len = (size_t)size;
    return HEXGPU_OK;
}

hexgpu_status hexgpu_model_file_load(const char *path, hexgpu_tensor_map *out, hexgpu_model_file_info *info,
                                     hexgpu_error *err) {
    hexgpu_model_file_info scratch;
    if (!info) info = &scratch;
    hexgpu_status st = begin_load(out, info, err);
    if (st != HEXGPU_OK) return st;
    /* Non-blocking: opening a FIFO must not wait for a writer (it is refused right after). */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        st = open_error(errno, err);
        hexgpu_error_prefix(err, st, "%s", path);
        return st;
    }
    uint8_t *bytes = NULL;
    size_t len = 0;
    hexgpu_model_format format = HEXGPU_MODEL_FORMAT_UNKNOWN;
    st = read_model_file(fd, &bytes, &len, &format, err);
    close(fd);
    if (st == HEXGPU_OK) st = decode_and_load(bytes, len, format, bytes, out, info, err);
    else free(bytes);
    if (st != HEXGPU_OK) hexgpu_error_prefix(err, st, "%s", path);
    return st;
}
