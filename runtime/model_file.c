/* The model-file entry point: reads a file, detects its format from the bytes (gzip,
 * zip, safetensors) and hands it to the matching reader; also the gzip inflater.
 * Reading is careful: what is not a regular file is refused at once, and the first
 * bytes are judged before the rest is read. */
#include "runtime/model_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "runtime/status.h"

const char *hexgpu_model_format_name(hexgpu_model_format format) {
    switch (format) {
    case HEXGPU_MODEL_FORMAT_SAFETENSORS: return "safetensors";
    case HEXGPU_MODEL_FORMAT_TORCH_ZIP: return "pt (zip)";
    case HEXGPU_MODEL_FORMAT_TORCH_GZIP: return "pt.gz";
    default: return "unknown";
    }
}

static int is_gzip(const uint8_t *b, size_t len) { return len >= 2 && b[0] == 0x1f && b[1] == 0x8b; }
static int is_zip(const uint8_t *b, size_t len) {
    return len >= 4 && b[0] == 'P' && b[1] == 'K' && (b[2] == 3 || b[2] == 5) && b[3] == b[2] + 1;
}

hexgpu_status hexgpu_gzip_inflate(const uint8_t *bytes, size_t len, uint64_t max_out, uint8_t **out,
                                  size_t *out_len, hexgpu_error *err) {
    *out = NULL;
    *out_len = 0;
    /* The ISIZE trailer is a hint for the first allocation, trusted only up to deflate's
     * maximum ratio (about 1032:1) so a lying trailer cannot make us allocate much. */
    uint64_t cap = len >= 4 ? ((uint64_t)bytes[len - 4] | (uint64_t)bytes[len - 3] << 8 |
                               (uint64_t)bytes[len - 2] << 16 | (uint64_t)bytes[len - 1] << 24)
                            : 0;
    uint64_t ratio_limit = (uint64_t)len * 1032 + 65536;
    if (cap > ratio_limit) cap = ratio_limit;
    if (cap > max_out) cap = max_out;
    if (cap < 4096) cap = 4096;
    uint8_t *buf = malloc((size_t)cap);
    if (!buf) return hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "gzip: out of memory");
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
        free(buf);
        return hexgpu_error_set(err, HEXGPU_ERR_INTERNAL, "gzip: inflateInit2 failed");
    }
    size_t in_pos = 0;
    uint64_t produced = 0;
    hexgpu_status st = HEXGPU_OK;
    for (;;) {
        if (zs.avail_in == 0 && in_pos < len) {
            size_t n = len - in_pos > (1u << 30) ? (1u << 30) : len - in_pos;
            zs.next_in = (Bytef *)(bytes + in_pos);
            zs.avail_in = (uInt)n;
            in_pos += n;
        }
        if (produced == cap) {
            if (cap >= max_out) {
                st = hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT, "gzip: inflates to more than %llu bytes",
                                      (unsigned long long)max_out);
                break;
            }
            uint64_t nc = cap * 2 > max_out ? max_out : cap * 2;
            uint8_t *nb = realloc(buf, (size_t)nc);
            if (!nb) {
                st = hexgpu_error_set(err, HEXGPU_ERR_OUT_OF_MEMORY, "gzip: out of memory at %llu bytes",
                                      (unsigned long long)nc);
                break;
            }
            buf = nb;
            cap = nc;
        }
        uint64_t room = cap - produced;
        zs.next_out = buf + produced;
        zs.avail_out = room > (1u << 30) ? (1u << 30) : (uInt)room;
        uInt before = zs.avail_out;
        size_t consumed_before = in_pos - zs.avail_in;
        int ret = inflate(&zs, Z_NO_FLUSH);
        produced += before - zs.avail_out;
        if (ret == Z_STREAM_END) {
            size_t at = in_pos - zs.avail_in;
            if (at == len) break;
            if (!is_gzip(bytes + at, len - at)) {
                st = hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT, "gzip: trailing bytes after the stream (offset %zu)",
                                      at);
                break;
            }
            inflateReset(&zs); /* another gzip member follows */
            continue;
        }
        if (ret == Z_DATA_ERROR || ret == Z_NEED_DICT || ret == Z_STREAM_ERROR || ret == Z_MEM_ERROR) {
            st = hexgpu_error_set(err, ret == Z_MEM_ERROR ? HEXGPU_ERR_OUT_OF_MEMORY : HEXGPU_ERR_MODEL_FORMAT,
                                  "gzip: corrupt stream near input offset %zu (%s)", in_pos - zs.avail_in,
                                  zs.msg ? zs.msg : "inflate failed");
            break;
        }
        int progressed = before != zs.avail_out || consumed_before != in_pos - zs.avail_in;
        if (!progressed && zs.avail_in == 0 && in_pos == len) {
            st = hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT,
                                  "gzip: stream truncated after %zu bytes (file incomplete?)", len);
            break;
        }
    }
    inflateEnd(&zs);
    if (st != HEXGPU_OK) {
        free(buf);
        return st;
    }
    *out = buf;
    *out_len = (size_t)produced;
    return HEXGPU_OK;
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
 * anything unrecognised. */
static hexgpu_status detect(const uint8_t *head, size_t head_len, uint64_t file_len, hexgpu_model_format *format,
                            hexgpu_error *err) {
    *format = HEXGPU_MODEL_FORMAT_UNKNOWN;
    if (file_len == 0) return hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT, "empty file");
    if (is_gzip(head, head_len)) {
        *format = HEXGPU_MODEL_FORMAT_TORCH_GZIP;
    } else if (is_zip(head, head_len)) {
        *format = HEXGPU_MODEL_FORMAT_TORCH_ZIP;
    } else if (head_len >= 2 && head[0] == 0x80 && head[1] <= 5) {
        return hexgpu_error_set(err, HEXGPU_ERR_UNSUPPORTED,
                                "legacy (pre-1.6, non-zip) PyTorch serialization is not supported: re-save with a "
                                "current torch.save or convert to safetensors");
    } else if (head_len >= 9 && head[8] == '{') {
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

hexgpu_status hexgpu_model_bytes_load(const uint8_t *bytes, size_t len, hexgpu_tensor_map *out,
                                      hexgpu_model_file_info *info, hexgpu_error *err) {
    hexgpu_model_file_info scratch;
    if (!info) info = &scratch;
    memset(info, 0, sizeof *info);
    if (out->count)
        return hexgpu_error_set(err, HEXGPU_ERR_INVALID_ARGUMENT, "model load: the output tensor map is not empty");
    hexgpu_model_format format;
    hexgpu_status st = detect(bytes, len, len, &format, err);
    if (st != HEXGPU_OK) return st;
    if (format == HEXGPU_MODEL_FORMAT_TORCH_GZIP) {
        uint8_t *inner;
        size_t inner_len;
        if ((st = hexgpu_gzip_inflate(bytes, len, HEXGPU_MODEL_MAX_FILE_BYTES, &inner, &inner_len, err)) != HEXGPU_OK)
            return st;
        if (is_zip(inner, inner_len)) {
            st = hexgpu_torch_zip_load(inner, inner_len, out, info, err);
            info->format = HEXGPU_MODEL_FORMAT_TORCH_GZIP;
        } else {
            st = hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT,
                                  "gzip: the decompressed data is not a PyTorch zip archive");
        }
        free(inner);
    } else if (format == HEXGPU_MODEL_FORMAT_TORCH_ZIP) {
        st = hexgpu_torch_zip_load(bytes, len, out, info, err);
    } else {
        st = hexgpu_safetensors_load(bytes, len, out, info, err);
    }
    if (st == HEXGPU_OK && out->count == 0)
        st = hexgpu_error_set(err, HEXGPU_ERR_MODEL_FORMAT, "%s file holds no tensors",
                              hexgpu_model_format_name(info->format));
    if (st == HEXGPU_OK) strip_wrapper_prefixes(out, info);
    if (st == HEXGPU_OK) st = check_metadata_board_size(out, info, err);
    if (st != HEXGPU_OK) hexgpu_tensor_map_free(out);
    return st;
}

/* ---- reading the file: open without blocking, refuse what is not a regular file, look
 * at the first bytes before reading the rest. */

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
    hexgpu_status st;
    /* Non-blocking: opening a FIFO must not wait for a writer (it is refused right after). */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        st = open_error(errno, err);
        hexgpu_error_prefix(err, "%s", path);
        return st;
    }
    uint8_t *bytes = NULL;
    size_t len = 0;
    hexgpu_model_format format = HEXGPU_MODEL_FORMAT_UNKNOWN;
    st = read_model_file(fd, &bytes, &len, &format, err);
    close(fd);
    if (st == HEXGPU_OK) st = hexgpu_model_bytes_load(bytes, len, out, info, err);
    free(bytes);
    if (st != HEXGPU_OK) hexgpu_error_prefix(err, "%s", path);
    return st;
}
