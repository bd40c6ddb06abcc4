/*
 * load.c: wa_snapshot_load() and wa_snapshot_load_memory(): pick the reader
 * (the format asked for, or the first bytes: the binary magic, or '{' for JSON
 * Lines) and hand it the input. A pipe can only be read as JSON Lines, which
 * streams.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/snapshot_impl.h"
#include "format/format_impl.h"

static wa_snapshot *load_input(wa_input *in, const unsigned char *head, size_t nhead,
                               wa_error *err) {
    wa_format f = in->opts ? in->opts->format : WA_FORMAT_AUTO;
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
            wa_error_set(err, WA_ERR_FORMAT, in->path, WA_POS_NONE, 0,
                         "empty file: not a snapshot");
            return NULL;
        } else {
            wa_error_set(err, WA_ERR_FORMAT, in->path, WA_POS_NONE, 0,
                         "not a whyalive snapshot: expected the magic \"WHYALIVE\" (binary) or "
                         "'{' (JSON Lines)");
            return NULL;
        }
    }
    wa_snapshot *s = f == WA_FORMAT_BINARY ? wa_binary_read(in, err) : wa_jsonl_read(in, err);
    if (s) s->meta.source_format = f;
    return s;
}

wa_snapshot *wa_snapshot_load(const char *path, const wa_load_options *opts, wa_error *err) {
    wa_error_clear(err);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        wa_error_set(err, WA_ERR_IO, path, WA_POS_NONE, WA_POS_NONE, "cannot open: %s",
                     strerror(errno));
        return NULL;
    }
    struct stat st;
    wa_input in = {fd, NULL, UINT64_MAX, path, opts};
    int have_st = fstat(fd, &st) == 0;
    if (have_st && S_ISREG(st.st_mode)) in.size = (uint64_t)st.st_size;
    if (have_st && S_ISDIR(st.st_mode)) {
        close(fd);
        wa_error_set(err, WA_ERR_IO, path, WA_POS_NONE, WA_POS_NONE, "is a directory");
        return NULL;
    }
    unsigned char head[64];
    ssize_t n = in.size == UINT64_MAX ? 0 : pread(fd, head, sizeof head, 0);
    if (n < 0) {
        wa_error_set(err, WA_ERR_IO, path, WA_POS_NONE, WA_POS_NONE, "read failed: %s",
                     strerror(errno));
        close(fd);
        return NULL;
    }
    if (in.size == UINT64_MAX && !(opts && opts->format == WA_FORMAT_BINARY)) {
        /* a pipe: only JSON Lines can stream */
        wa_load_options o = opts ? *opts : (wa_load_options){0};
        o.format = WA_FORMAT_JSONL;
        in.opts = &o;
        wa_snapshot *s = wa_jsonl_read(&in, err);
        if (s) s->meta.source_format = WA_FORMAT_JSONL;
        close(fd);
        return s;
    }
    wa_snapshot *s = load_input(&in, head, (size_t)n, err);
    close(fd);
    return s;
}

wa_snapshot *wa_snapshot_load_memory(const void *data, size_t len, const char *name,
                                     const wa_load_options *opts, wa_error *err) {
    wa_error_clear(err);
    wa_input in = {-1, data ? data : (const void *)"", len, name ? name : "<memory>", opts};
    return load_input(&in, in.mem, len < 64 ? len : 64, err);
}
