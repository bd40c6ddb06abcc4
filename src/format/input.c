/*
 * input.c: the bytes a reader is given, when they are not simply a file on
 * disk: standard input and pipes (read into memory, since the binary reader
 * reads sections out of order), and gzip- or zstd-compressed dumps
 * (decompressed into memory, whatever their source). load.c decides; this
 * file only moves bytes.
 *
 * Errors name the compressed input's byte offset where the stream broke, so
 * a truncated copy off a production host says where it ends.
 *
 * Decompression is bounded (wa_load_options.max_decompressed): by default a
 * compressed input may expand to WA_DECOMPRESS_FLOOR or WA_DECOMPRESS_RATIO
 * times its size, whichever is larger (from a pipe, of the compressed bytes
 * read so far). Real dumps compress 5-20x; gzip cannot exceed about 1032x,
 * zstd reaches 30000x, so a small "bomb" is refused with an error instead of
 * taking the host's memory. The decompressed buffer never grows past the
 * limit.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "format/format_impl.h"

#define IN_CHUNK (1u << 20)
/* The decompressed buffer starts here and doubles. */
#define OUT_FIRST (64u << 10)

wa_compression wa_input_compression(const unsigned char *head, size_t n) {
    if (n >= 2 && head[0] == 0x1f && head[1] == 0x8b) return WA_COMPRESSION_GZIP;
    if (n >= 4 && head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd)
        return WA_COMPRESSION_ZSTD;
    return WA_COMPRESSION_NONE;
}

const char *wa_compression_name(wa_compression c) {
    return c == WA_COMPRESSION_GZIP ? "gzip" : c == WA_COMPRESSION_ZSTD ? "zstd" : "none";
}

/* ---------------- the source: prefix bytes, then memory or a descriptor ---------------- */

typedef struct src {
    const unsigned char *pre; /* bytes already read from fd */
    size_t npre, pre_pos;
    const unsigned char *mem; /* or the whole input in memory */
    size_t mem_len, mem_pos;
    int fd;
    unsigned char *buf; /* fd reads land here */
    uint64_t consumed;  /* bytes handed out so far (the compressed offset) */
    const char *path;
    const wa_load_options *opts;
    uint64_t total; /* input size if known (progress), else UINT64_MAX */
} src;

/* Up to cap bytes into *p; 0 at the end, -1 on error (err filled). */
static ssize_t src_next(src *s, const unsigned char **p, size_t cap, wa_error *err) {
    if (s->pre_pos < s->npre) {
        size_t n = s->npre - s->pre_pos;
        if (n > cap) n = cap;
        *p = s->pre + s->pre_pos;
        s->pre_pos += n;
        s->consumed += n;
        return (ssize_t)n;
    }
    if (s->mem) {
        size_t n = s->mem_len - s->mem_pos;
        if (n > cap) n = cap;
        *p = s->mem + s->mem_pos;
        s->mem_pos += n;
        s->consumed += n;
        return (ssize_t)n;
    }
    if (cap > IN_CHUNK) cap = IN_CHUNK;
    for (;;) {
        ssize_t r = read(s->fd, s->buf, cap);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            wa_error_set(err, WA_ERR_IO, s->path, WA_POS_NONE, s->consumed, "read failed: %s",
                         strerror(errno));
            return -1;
        }
        *p = s->buf;
        s->consumed += (uint64_t)r;
        if (r > 0 && s->opts && s->opts->progress && s->total != UINT64_MAX &&
            s->opts->progress(s->opts->progress_ctx, s->consumed, s->total)) {
            wa_error_set(err, WA_ERR_ARG, s->path, WA_POS_NONE, s->consumed, "cancelled");
            return -1;
        }
        return r;
    }
}

/* ---------------- the output: a growing buffer ---------------- */

typedef struct sink {
    unsigned char *p;
    size_t len, cap;
    int bounded; /* decompressing: the limit applies */
} sink;

/* The most a compressed source may decompress to, as far as it is read. */
static uint64_t sink_limit(const src *s) {
    if (s->opts && s->opts->max_decompressed) return s->opts->max_decompressed;
    uint64_t in = s->mem                   ? (uint64_t)s->mem_len + s->npre
                  : s->total != UINT64_MAX ? s->total
                                           : s->consumed;
    uint64_t lim = in > UINT64_MAX / WA_DECOMPRESS_RATIO ? UINT64_MAX : in * WA_DECOMPRESS_RATIO;
    return lim < WA_DECOMPRESS_FLOOR ? WA_DECOMPRESS_FLOOR : lim;
}

/* Room for at least 1 and up to `want` more bytes; -1 with err filled when
 * nothing more fits (out of memory, or past the decompression limit). */
static int sink_room(sink *o, size_t want, const src *s, wa_error *err) {
    size_t maxcap = SIZE_MAX;
    if (o->bounded) {
        uint64_t lim = sink_limit(s);
        if (o->len > lim) {
            wa_error_set(err, WA_ERR_FORMAT, s->path, WA_POS_NONE, s->consumed,
                         "the compressed data expands past %llu bytes (%llu compressed bytes "
                         "read): refused as a decompression bomb; if it is a real dump, "
                         "decompress it to a file first",
                         (unsigned long long)lim, (unsigned long long)s->consumed);
            return -1;
        }
        /* one byte past the limit, so that crossing it is seen */
        if (lim < SIZE_MAX) maxcap = (size_t)lim + 1;
        if (want > maxcap - o->len) want = maxcap - o->len;
    }
    if (o->cap - o->len >= want) return 0;
    size_t nc = o->cap ? o->cap : OUT_FIRST;
    while (nc - o->len < want) {
        if (nc > SIZE_MAX / 2)
            nc = SIZE_MAX;
        else
            nc *= 2;
    }
    if (nc > maxcap) nc = maxcap;
    unsigned char *np = realloc(o->p, nc);
    if (!np) {
        wa_error_set(err, WA_ERR_NOMEM, s->path, WA_POS_NONE, s->consumed,
                     "out of memory holding the input in memory (%zu MiB read so far): "
                     "decompress it to a file first",
                     o->len >> 20);
        return -1;
    }
    o->p = np;
    o->cap = nc;
    return 0;
}

/* ---------------- the three ways ---------------- */

static int copy_all(src *s, sink *o, wa_error *err) {
    for (;;) {
        if (sink_room(o, IN_CHUNK, s, err) != 0) return -1;
        const unsigned char *p;
        ssize_t n = src_next(s, &p, o->cap - o->len, err);
        if (n < 0) return -1;
        if (n == 0) return 0;
        memcpy(o->p + o->len, p, (size_t)n);
        o->len += (size_t)n;
    }
}

static int gunzip_all(src *s, sink *o, wa_error *err) {
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 15 + 16) != Z_OK) {
        wa_error_set(err, WA_ERR_NOMEM, s->path, WA_POS_NONE, WA_POS_NONE,
                     "cannot start the gzip decoder");
        return -1;
    }
    int rc = -1, ended = 0;
    for (;;) {
        if (z.avail_in == 0) {
            const unsigned char *p;
            ssize_t n = src_next(s, &p, IN_CHUNK, err);
            if (n < 0) goto done;
            if (n == 0) break;
            z.next_in = (unsigned char *)p;
            z.avail_in = (uInt)n;
        }
        if (ended) {
            /* another member follows (gzip files may be concatenated) */
            if (inflateReset(&z) != Z_OK) goto corrupt;
            ended = 0;
        }
        if (sink_room(o, OUT_FIRST, s, err) != 0) goto done;
        size_t room = o->cap - o->len;
        z.next_out = o->p + o->len;
        z.avail_out = room > UINT32_MAX ? UINT32_MAX : (uInt)room;
        uInt before = z.avail_out;
        int r = inflate(&z, Z_NO_FLUSH);
        o->len += before - z.avail_out;
        if (r == Z_STREAM_END)
            ended = 1;
        else if (r == Z_BUF_ERROR)
            continue;
        else if (r != Z_OK)
            goto corrupt;
    }
    if (!ended) {
        wa_error_set(err, WA_ERR_FORMAT, s->path, WA_POS_NONE, s->consumed,
                     "truncated gzip data: the stream ends before its end marker "
                     "(%zu bytes decompressed)",
                     o->len);
        goto done;
    }
    rc = 0;
    goto done;
corrupt:
    wa_error_set(err, WA_ERR_FORMAT, s->path, WA_POS_NONE, s->consumed - z.avail_in,
                 "corrupt gzip data: %s", z.msg ? z.msg : "invalid stream");
done:
    inflateEnd(&z);
    return rc;
}

static int unzstd_all(src *s, sink *o, wa_error *err) {
    ZSTD_DCtx *z = ZSTD_createDCtx();
    if (!z) {
        wa_error_set(err, WA_ERR_NOMEM, s->path, WA_POS_NONE, WA_POS_NONE,
                     "cannot start the zstd decoder");
        return -1;
    }
    int rc = -1;
    size_t pending = 1; /* 0 right after a frame ends */
    ZSTD_inBuffer in = {NULL, 0, 0};
    for (;;) {
        if (in.pos == in.size) {
            const unsigned char *p;
            ssize_t n = src_next(s, &p, IN_CHUNK, err);
            if (n < 0) goto done;
            if (n == 0) break;
            in.src = p;
            in.size = (size_t)n;
            in.pos = 0;
        }
        if (sink_room(o, OUT_FIRST, s, err) != 0) goto done;
        ZSTD_outBuffer out = {o->p + o->len, o->cap - o->len, 0};
        pending = ZSTD_decompressStream(z, &out, &in);
        o->len += out.pos;
        if (ZSTD_isError(pending)) {
            wa_error_set(err, WA_ERR_FORMAT, s->path, WA_POS_NONE,
                         s->consumed - (uint64_t)(in.size - in.pos), "corrupt zstd data: %s",
                         ZSTD_getErrorName(pending));
            goto done;
        }
    }
    /* flush what the decoder still holds */
    for (;;) {
        if (pending == 0) break;
        if (sink_room(o, OUT_FIRST, s, err) != 0) goto done;
        ZSTD_outBuffer out = {o->p + o->len, o->cap - o->len, 0};
        ZSTD_inBuffer none = {NULL, 0, 0};
        pending = ZSTD_decompressStream(z, &out, &none);
        o->len += out.pos;
        if (ZSTD_isError(pending) || out.pos == 0) break;
    }
    if (pending != 0) {
        wa_error_set(err, WA_ERR_FORMAT, s->path, WA_POS_NONE, s->consumed,
                     "truncated zstd data: the stream ends inside a frame (%zu bytes "
                     "decompressed)",
                     o->len);
        goto done;
    }
    rc = 0;
done:
    ZSTD_freeDCtx(z);
    return rc;
}

wa_status wa_input_gather(const wa_input_source *from, wa_compression c, unsigned char **out,
                          size_t *out_len, wa_error *err) {
    *out = NULL;
    *out_len = 0;
    src s = {from->pre, from->npre, 0, from->mem,  from->mem_len, 0,
             from->fd,  NULL,       0, from->path, from->opts,    from->total};
    if (!s.mem) {
        s.buf = malloc(IN_CHUNK);
        if (!s.buf)
            return wa_error_set(err, WA_ERR_NOMEM, s.path, WA_POS_NONE, WA_POS_NONE,
                                "out of memory");
    }
    sink o = {NULL, 0, 0, c != WA_COMPRESSION_NONE};
    int r = c == WA_COMPRESSION_GZIP   ? gunzip_all(&s, &o, err)
            : c == WA_COMPRESSION_ZSTD ? unzstd_all(&s, &o, err)
                                       : copy_all(&s, &o, err);
    /* the stream may end right past the limit */
    if (r == 0 && o.bounded && o.len > sink_limit(&s)) r = sink_room(&o, 1, &s, err);
    free(s.buf);
    if (r != 0) {
        free(o.p);
        return err ? err->code : WA_ERR_FORMAT;
    }
    *out = o.p ? o.p : malloc(1);
    if (!*out)
        return wa_error_set(err, WA_ERR_NOMEM, s.path, WA_POS_NONE, WA_POS_NONE, "out of memory");
    *out_len = o.len;
    return WA_OK;
}
