/*
 * load.c: wa_snapshot_load() and wa_snapshot_load_memory(): pick the reader
 * (the format asked for, or the first bytes: the binary magic, or '{' for JSON
 * Lines) and hand it the input. "-" is standard input. A pipe of JSON Lines
 * streams; a binary dump from a pipe is read into memory first (its reader
 * reads sections out of order). gzip- and zstd-compressed input, from a file
 * or a pipe, is decompressed into memory (input.c) and loaded from there.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/snapshot_impl.h"
#include "format/format_impl.h"

/* The format the first bytes announce (or the one asked for); -1 with err
 * filled when they are no snapshot. */
static int sniff(const wa_load_options *opts, const unsigned char *head, size_t nhead,
                 const char *path, wa_format *out, wa_error *err) {
    wa_format f = opts ? opts->format : WA_FORMAT_AUTO;
    if (f == WA_FORMAT_AUTO) {
        size_t i = 0;
        if (nhead >= 3 && memcmp(head, "\xEF\xBB\xBF", 3) == 0) i = 3;
        while (i < nhead &&
               (head[i] == ' ' || head[i] == '\n' || head[i] == '\r' || head[i] == '\t'))
            i++;
        if (nhead >= 8 && memcmp(head, WA_BIN_MAGIC, 8) == 0)
            f = WA_FORMAT_BINARY;
        else if (i < nhead && head[i] == '{')
            f = WA_FORMAT_JSONL;
        else if (nhead == 0) {
            wa_error_set(err, WA_ERR_FORMAT, path, WA_POS_NONE, 0, "empty file: not a snapshot");
            return -1;
        } else {
            wa_error_set(err, WA_ERR_FORMAT, path, WA_POS_NONE, 0,
                         "not a whyalive snapshot: expected the magic \"WHYALIVE\" (binary), "
                         "'{' (JSON Lines), or either compressed with gzip or zstd");
            return -1;
        }
    }
    *out = f;
    return 0;
}

static wa_snapshot *load_gathered(const wa_input_source *from, wa_compression c,
                                  const wa_load_options *opts, int depth, wa_error *err);

static wa_snapshot *load_input(wa_input *in, const unsigned char *head, size_t nhead, int depth,
                               wa_error *err) {
    wa_compression c = in->mem ? wa_input_compression(head, nhead) : WA_COMPRESSION_NONE;
    if (c != WA_COMPRESSION_NONE) {
        wa_input_source from = {NULL, 0,        in->mem,  (size_t)in->size,
                                -1,   in->path, in->opts, in->size};
        return load_gathered(&from, c, in->opts, depth, err);
    }
    wa_format f;
    if (sniff(in->opts, head, nhead, in->path, &f, err) != 0) return NULL;
    wa_snapshot *s = f == WA_FORMAT_BINARY ? wa_binary_read(in, err) : wa_jsonl_read(in, err);
    if (s) s->meta.source_format = f;
    return s;
}

/* Everything from `from` in memory (decompressed when c says so), then
 * loaded from there. */
static wa_snapshot *load_gathered(const wa_input_source *from, wa_compression c,
                                  const wa_load_options *opts, int depth, wa_error *err) {
    if (depth > 0 && c != WA_COMPRESSION_NONE) {
        wa_error_set(err, WA_ERR_FORMAT, from->path, WA_POS_NONE, 0,
                     "the decompressed content is compressed again (%s): decompress it first",
                     wa_compression_name(c));
        return NULL;
    }
    unsigned char *buf;
    size_t len;
    if (wa_input_gather(from, c, &buf, &len, err) != WA_OK) return NULL;
    /* positions in a decompressed dump count in its decompressed bytes */
    char name[4200];
    if (c != WA_COMPRESSION_NONE)
        snprintf(name, sizeof name, "%.4096s (%s-decompressed)", from->path,
                 wa_compression_name(c));
    else
        snprintf(name, sizeof name, "%.4096s", from->path);
    wa_input in = {-1, buf, len, name, opts, NULL, 0};
    wa_snapshot *s = load_input(&in, buf, len < 64 ? len : 64, depth + 1, err);
    free(buf);
    if (s) s->meta.source_compression = c;
    return s;
}

/* Up to cap first bytes of a pipe (fewer only at its end); -1 on error. */
static ssize_t read_head(int fd, unsigned char *head, size_t cap) {
    size_t n = 0;
    while (n < cap) {
        ssize_t r = read(fd, head + n, cap - n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        if (r == 0) break;
        n += (size_t)r;
    }
    return (ssize_t)n;
}

/* A pipe or another stream: sniffed from its first bytes, then JSON Lines
 * streams and anything else is read into memory first. */
static wa_snapshot *load_stream(int fd, const char *path, const wa_load_options *opts,
                                wa_error *err) {
    unsigned char head[64];
    ssize_t n = read_head(fd, head, sizeof head);
    if (n < 0) {
        wa_error_set(err, WA_ERR_IO, path, WA_POS_NONE, WA_POS_NONE, "read failed: %s",
                     strerror(errno));
        return NULL;
    }
    wa_compression c = wa_input_compression(head, (size_t)n);
    wa_format f = WA_FORMAT_AUTO;
    if (c == WA_COMPRESSION_NONE && sniff(opts, head, (size_t)n, path, &f, err) != 0) return NULL;
    if (c != WA_COMPRESSION_NONE || f == WA_FORMAT_BINARY) {
        /* the binary reader reads sections out of order: all in memory */
        wa_input_source from = {head, (size_t)n, NULL, 0, fd, path, opts, UINT64_MAX};
        return load_gathered(&from, c, opts, 0, err);
    }
    wa_load_options o = opts ? *opts : (wa_load_options){0};
    o.format = WA_FORMAT_JSONL;
    wa_input in = {fd, NULL, UINT64_MAX, path, &o, head, (size_t)n};
    wa_snapshot *s = wa_jsonl_read(&in, err);
    if (s) s->meta.source_format = WA_FORMAT_JSONL;
    return s;
}

static wa_snapshot *load_fd(int fd, const char *path, const wa_load_options *opts, wa_error *err) {
    struct stat st;
    int have_st = fstat(fd, &st) == 0;
    if (have_st && S_ISDIR(st.st_mode)) {
        wa_error_set(err, WA_ERR_IO, path, WA_POS_NONE, WA_POS_NONE, "is a directory");
        return NULL;
    }
    if (!have_st || !S_ISREG(st.st_mode)) return load_stream(fd, path, opts, err);
    wa_input in = {fd, NULL, (uint64_t)st.st_size, path, opts, NULL, 0};
    unsigned char head[64];
    ssize_t n = pread(fd, head, sizeof head, 0);
    if (n < 0) {
        wa_error_set(err, WA_ERR_IO, path, WA_POS_NONE, WA_POS_NONE, "read failed: %s",
                     strerror(errno));
        return NULL;
    }
    wa_compression c = wa_input_compression(head, (size_t)n);
    if (c != WA_COMPRESSION_NONE) {
        /* fd is still at offset 0 (pread) */
        wa_input_source from = {NULL, 0, NULL, 0, fd, path, opts, in.size};
        return load_gathered(&from, c, opts, 0, err);
    }
    return load_input(&in, head, (size_t)n, 0, err);
}

wa_snapshot *wa_snapshot_load(const char *path, const wa_load_options *opts, wa_error *err) {
    wa_error_clear(err);
    if (path && strcmp(path, "-") == 0) {
        const char *name = "<stdin>";
        if (isatty(STDIN_FILENO)) {
            wa_error_set(err, WA_ERR_ARG, name, WA_POS_NONE, WA_POS_NONE,
                         "standard input is a terminal: pipe a dump in (... - < dump.wa)");
            return NULL;
        }
        int fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0);
        if (fd < 0) {
            wa_error_set(err, WA_ERR_IO, name, WA_POS_NONE, WA_POS_NONE, "cannot read: %s",
                         strerror(errno));
            return NULL;
        }
        wa_snapshot *s = load_fd(fd, name, opts, err);
        close(fd);
        return s;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        wa_error_set(err, WA_ERR_IO, path, WA_POS_NONE, WA_POS_NONE, "cannot open: %s",
                     strerror(errno));
        return NULL;
    }
    wa_snapshot *s = load_fd(fd, path, opts, err);
    close(fd);
    return s;
}

wa_snapshot *wa_snapshot_load_memory(const void *data, size_t len, const char *name,
                                     const wa_load_options *opts, wa_error *err) {
    wa_error_clear(err);
    wa_input in = {-1, data ? data : (const void *)"", len, name ? name : "<memory>", opts, NULL,
                   0};
    return load_input(&in, in.mem, len < 64 ? len : 64, 0, err);
}
