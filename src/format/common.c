/*
 * common.c: checksum, atomic output file, buffered streams, JSON text helpers
 * and metadata <-> JSON, shared by both formats.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/util.h"
#include "format/format_impl.h"

_Static_assert(sizeof(wa_object) == 40, "wa_object is 40 bytes on disk");
_Static_assert(sizeof(wa_edge) == 8, "wa_edge is 8 bytes on disk");
_Static_assert(sizeof(wa_root) == 16, "wa_root is 16 bytes on disk");
_Static_assert(sizeof(wa_type) == 8, "wa_type is 8 bytes on disk");

/* ---------------- checksum "wa64" ---------------- */

static inline uint64_t csum_round(uint64_t lane, uint64_t w) {
    return wa_rotl64(lane ^ (w * WA_K2), 29) * WA_K1;
}

void wa_csum_init(wa_csum *c) {
    for (int i = 0; i < 4; i++) c->lane[i] = WA_K3 * (uint64_t)(i + 1);
    c->nbuf = 0;
    c->total = 0;
}

static void csum_blocks(uint64_t lane[4], const unsigned char *p, size_t nblocks) {
    uint64_t a = lane[0], b = lane[1], c = lane[2], d = lane[3];
    for (size_t i = 0; i < nblocks; i++, p += 32) {
        a = csum_round(a, wa_load64(p));
        b = csum_round(b, wa_load64(p + 8));
        c = csum_round(c, wa_load64(p + 16));
        d = csum_round(d, wa_load64(p + 24));
    }
    lane[0] = a;
    lane[1] = b;
    lane[2] = c;
    lane[3] = d;
}

void wa_csum_update(wa_csum *c, const void *data, size_t n) {
    const unsigned char *p = data;
    c->total += n;
    if (c->nbuf) {
        size_t take = 32 - c->nbuf < n ? 32 - c->nbuf : n;
        memcpy(c->buf + c->nbuf, p, take);
        c->nbuf += take;
        p += take;
        n -= take;
        if (c->nbuf < 32) return;
        csum_blocks(c->lane, c->buf, 1);
        c->nbuf = 0;
    }
    csum_blocks(c->lane, p, n / 32);
    p += n / 32 * 32;
    n %= 32;
    memcpy(c->buf, p, n);
    c->nbuf = n;
}

uint64_t wa_csum_final(const wa_csum *c) {
    uint64_t l[4] = {c->lane[0], c->lane[1], c->lane[2], c->lane[3]};
    size_t k = 0, i = 0;
    for (; i + 8 <= c->nbuf; i += 8) {
        l[k] = csum_round(l[k], wa_load64(c->buf + i));
        k++;
    }
    if (i < c->nbuf) {
        uint64_t w = 0;
        memcpy(&w, c->buf + i, c->nbuf - i);
        l[k] = csum_round(l[k], w);
    }
    uint64_t h =
        wa_rotl64(l[0], 1) + wa_rotl64(l[1], 7) + wa_rotl64(l[2], 12) + wa_rotl64(l[3], 18);
    h ^= c->total * WA_K1;
    return wa_mix64(h);
}

uint64_t wa_checksum(const void *data, size_t n) {
    wa_csum c;
    wa_csum_init(&c);
    wa_csum_update(&c, data, n);
    return wa_csum_final(&c);
}

/* ---------------- atomic output file ---------------- */

static wa_status io_error(wa_error *err, const char *path, const char *what) {
    return wa_error_set(err, WA_ERR_IO, path, WA_POS_NONE, WA_POS_NONE, "%s: %s", what,
                        strerror(errno));
}

wa_status wa_outfile_open(wa_outfile *f, const char *path, wa_error *err) {
    memset(f, 0, sizeof *f);
    f->fd = -1;
    if (!path || !*path)
        return wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE, "empty output path");
    size_t n = strlen(path);
    f->path = malloc(n + 1);
    f->tmp_path = malloc(n + 32);
    char *copy = malloc(n + 1);
    if (!f->path || !f->tmp_path || !copy) {
        free(copy);
        free(f->path);
        free(f->tmp_path);
        return wa_error_set(err, WA_ERR_NOMEM, path, WA_POS_NONE, WA_POS_NONE, "out of memory");
    }
    memcpy(f->path, path, n + 1);
    memcpy(copy, path, n + 1);
    const char *slash = strrchr(path, '/');
    if (slash)
        snprintf(f->tmp_path, n + 32, "%.*s/.%s.tmp.XXXXXX", (int)(slash - path), path, slash + 1);
    else
        snprintf(f->tmp_path, n + 32, ".%s.tmp.XXXXXX", path);
    free(copy);
    f->fd = mkstemp(f->tmp_path);
    if (f->fd < 0) {
        wa_status s = io_error(err, path, "cannot create a temporary file next to the output");
        free(f->path);
        free(f->tmp_path);
        f->path = f->tmp_path = NULL;
        return s;
    }
    if (fchmod(f->fd, 0600) != 0) {
        wa_status s = io_error(err, path, "cannot set mode 0600");
        wa_outfile_abort(f);
        return s;
    }
    return WA_OK;
}

wa_status wa_outfile_compress(wa_outfile *f, wa_compression c, int level, wa_error *err) {
    wa_zout_free(f->z);
    f->z = NULL;
    if (c == WA_COMPRESSION_NONE) return WA_OK;
    f->z = wa_zout_new(f->path, c, level, err);
    return f->z ? WA_OK : (err ? err->code : WA_ERR_NOMEM);
}

wa_status wa_outfile_pwrite(wa_outfile *f, const void *data, size_t n, uint64_t off,
                            wa_error *err) {
    if (f->z) {
        wa_status st = wa_zout_write(f->z, f->path, data, n, off, err);
        if (st != WA_OK) f->failed = 1;
        return st;
    }
    const char *p = data;
    while (n) {
        ssize_t w = pwrite(f->fd, p, n > (1u << 30) ? (1u << 30) : n, (off_t)off);
        if (w < 0) {
            if (errno == EINTR) continue;
            f->failed = 1;
            return io_error(err, f->path, "write failed");
        }
        p += w;
        n -= (size_t)w;
        off += (uint64_t)w;
    }
    return WA_OK;
}

wa_status wa_outfile_commit(wa_outfile *f, wa_error *err) {
    if (f->z) {
        wa_status st = wa_zout_finish(f->z, f->fd, f->path, &f->zbytes, err);
        wa_zout_free(f->z);
        f->z = NULL;
        if (st != WA_OK) {
            wa_outfile_abort(f);
            return st;
        }
    }
    if (fsync(f->fd) != 0) {
        wa_status s = io_error(err, f->path, "fsync failed");
        wa_outfile_abort(f);
        return s;
    }
    if (close(f->fd) != 0) {
        f->fd = -1;
        wa_status s = io_error(err, f->path, "close failed");
        wa_outfile_abort(f);
        return s;
    }
    f->fd = -1;
    if (rename(f->tmp_path, f->path) != 0) {
        wa_status s = io_error(err, f->path, "cannot rename the temporary file into place");
        wa_outfile_abort(f);
        return s;
    }
    /* Make the rename itself durable (best effort). */
    char *dir = strdup(f->path);
    if (dir) {
        int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY);
        if (dfd >= 0) {
            (void)fsync(dfd);
            close(dfd);
        }
        free(dir);
    }
    free(f->path);
    free(f->tmp_path);
    f->path = f->tmp_path = NULL;
    return WA_OK;
}

void wa_outfile_abort(wa_outfile *f) {
    wa_zout_free(f->z);
    f->z = NULL;
    if (f->fd >= 0) close(f->fd);
    f->fd = -1;
    if (f->tmp_path) unlink(f->tmp_path);
    free(f->path);
    free(f->tmp_path);
    f->path = f->tmp_path = NULL;
}

/* ---------------- streams ---------------- */

wa_status wa_stream_init(wa_stream *s, wa_outfile *f, uint64_t pos, size_t cap, wa_error *err) {
    memset(s, 0, sizeof *s);
    s->f = f;
    s->pos = pos;
    s->cap = cap;
    s->buf = malloc(cap);
    wa_csum_init(&s->csum);
    if (!s->buf)
        return wa_error_set(err, WA_ERR_NOMEM, f->path, WA_POS_NONE, WA_POS_NONE, "out of memory");
    return WA_OK;
}

wa_status wa_stream_flush(wa_stream *s, wa_error *err) {
    if (!s->n) return WA_OK;
    wa_status st = wa_outfile_pwrite(s->f, s->buf, s->n, s->pos, err);
    s->pos += s->n;
    s->n = 0;
    return st;
}

wa_status wa_stream_write(wa_stream *s, const void *data, size_t n, wa_error *err) {
    wa_csum_update(&s->csum, data, n);
    s->written += n;
    if (s->n + n > s->cap) {
        if (wa_stream_flush(s, err) != WA_OK) return err ? err->code : WA_ERR_IO;
        if (n >= s->cap) {
            wa_status st = wa_outfile_pwrite(s->f, data, n, s->pos, err);
            s->pos += n;
            return st;
        }
    }
    memcpy(s->buf + s->n, data, n);
    s->n += n;
    return WA_OK;
}

void wa_stream_free(wa_stream *s) {
    free(s->buf);
    s->buf = NULL;
}

/* ---------------- JSON text ---------------- */

int wa_json_string(wa_buf *b, const char *s, size_t n) {
    if (n > (SIZE_MAX - 2) / 6 || wa_buf_reserve(b, n * 6 + 2)) return -1;
    char *start = b->data + b->len, *o = start;
    *o++ = '"';
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            *o++ = (char)c;
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\n': *o++ = 'n'; break;
        case '\t': *o++ = 't'; break;
        case '\r': *o++ = 'r'; break;
        default:
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    *o++ = '"';
    wa_buf_commit(b, (size_t)(o - start));
    return 0;
}

static int field_str(wa_buf *b, const char *key, const char *v) {
    if (!v || !*v) return 0;
    return wa_buf_printf(b, ",\"%s\":", key) || wa_json_string(b, v, strlen(v));
}

int wa_meta_to_json(wa_buf *b, const wa_meta *m, uint64_t n_objects, uint64_t dangling) {
    int r = wa_buf_printf(b, "{\"whyalive\":%u", (unsigned)WA_BIN_VERSION);
    r |= field_str(b, "tool_version", m->tool_version);
    r |= field_str(b, "python", m->python_version);
    r |= field_str(b, "implementation", m->implementation);
    if (m->pid >= 0) r |= wa_buf_printf(b, ",\"pid\":%lld", (long long)m->pid);
    r |= field_str(b, "host", m->host);
    r |= field_str(b, "time", m->time);
    if (m->argc && m->argv) {
        r |= wa_buf_put(b, ",\"argv\":[", 9);
        for (uint32_t i = 0; i < m->argc; i++) {
            if (i) r |= wa_buf_put(b, ",", 1);
            const char *a = m->argv[i] ? m->argv[i] : "";
            r |= wa_json_string(b, a, strlen(a));
        }
        r |= wa_buf_put(b, "]", 1);
    }
    if (m->rss) r |= wa_buf_printf(b, ",\"rss\":%llu", (unsigned long long)m->rss);
    if (m->seconds != 0 && isfinite(m->seconds))
        r |= wa_buf_printf(b, ",\"seconds\":%.17g", m->seconds);
    r |= wa_buf_printf(b, ",\"objects\":%llu,\"dangling_edges\":%llu}",
                       (unsigned long long)n_objects, (unsigned long long)dangling);
    return r ? -1 : 0;
}

#define MAX_EXACT 9007199254740992.0 /* 2^53 */

static wa_status meta_err(wa_error *err, const char *path, uint64_t line, uint64_t offset,
                          const char *key, const char *want) {
    return wa_error_set(err, WA_ERR_FORMAT, path, line, offset,
                        "expected header field \"%s\" to be %s", key, want);
}

static const char *meta_copy(struct wa_arena *a, const cJSON *v) {
    size_t n = strlen(v->valuestring);
    if (wa_utf8_check(v->valuestring, n) != n) return NULL;
    return wa_arena_strdup(a, v->valuestring);
}

wa_status wa_meta_from_json(const cJSON *obj, wa_meta *m, struct wa_arena *a, int64_t *objects,
                            const char *path, uint64_t line, uint64_t offset, wa_error *err) {
    memset(m, 0, sizeof *m);
    m->tool_version = m->python_version = m->implementation = m->host = m->time = "";
    m->pid = -1;
    *objects = -1;
    if (!cJSON_IsObject(obj))
        return wa_error_set(err, WA_ERR_FORMAT, path, line, offset,
                            "expected the header to be a JSON object");
    int have_version = 0;
    for (const cJSON *v = obj->child; v; v = v->next) {
        const char *k = v->string;
        if (!k) continue;
        if (strcmp(k, "whyalive") == 0) {
            if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble != floor(v->valuedouble))
                return meta_err(err, path, line, offset, k, "a format version number (1)");
            if (v->valuedouble > WA_BIN_VERSION)
                return wa_error_set(
                    err, WA_ERR_FORMAT, path, line, offset,
                    "format version %.0f is newer than this build reads (version %u)",
                    v->valuedouble > 1e15 ? 1e15 : v->valuedouble, WA_BIN_VERSION);
            m->format_version = (uint32_t)v->valuedouble;
            have_version = 1;
        } else if (strcmp(k, "tool_version") == 0 || strcmp(k, "python") == 0 ||
                   strcmp(k, "implementation") == 0 || strcmp(k, "host") == 0 ||
                   strcmp(k, "time") == 0) {
            if (!cJSON_IsString(v)) return meta_err(err, path, line, offset, k, "a string");
            const char *c = meta_copy(a, v);
            if (!c) return meta_err(err, path, line, offset, k, "valid UTF-8 text");
            if (k[0] == 't' && k[1] == 'o')
                m->tool_version = c;
            else if (k[0] == 'p')
                m->python_version = c;
            else if (k[0] == 'i')
                m->implementation = c;
            else if (k[0] == 'h')
                m->host = c;
            else
                m->time = c;
        } else if (strcmp(k, "pid") == 0) {
            if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) ||
                fabs(v->valuedouble) > MAX_EXACT)
                return meta_err(err, path, line, offset, k, "an integer");
            m->pid = (int64_t)v->valuedouble;
        } else if (strcmp(k, "rss") == 0 || strcmp(k, "objects") == 0 ||
                   strcmp(k, "dangling_edges") == 0) {
            if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble != floor(v->valuedouble))
                return meta_err(err, path, line, offset, k, "a non-negative integer");
            if (k[0] == 'o') {
                if (v->valuedouble > WA_MAX_OBJECTS)
                    return wa_error_set(err, WA_ERR_LIMIT, path, line, offset,
                                        "header claims %.0f objects, more than the limit of %u",
                                        v->valuedouble > 1e18 ? 1e18 : v->valuedouble,
                                        WA_MAX_OBJECTS);
                *objects = (int64_t)v->valuedouble;
            } else {
                uint64_t x = v->valuedouble >= 1.8e19 ? UINT64_MAX : (uint64_t)v->valuedouble;
                if (k[0] == 'r')
                    m->rss = x;
                else
                    m->dangling_edges = x > ((uint64_t)1 << 53) ? ((uint64_t)1 << 53) : x;
            }
        } else if (strcmp(k, "seconds") == 0) {
            if (!cJSON_IsNumber(v)) return meta_err(err, path, line, offset, k, "a number");
            m->seconds = v->valuedouble;
        } else if (strcmp(k, "argv") == 0) {
            if (!cJSON_IsArray(v))
                return meta_err(err, path, line, offset, k, "an array of strings");
            uint32_t n = 0;
            for (const cJSON *x = v->child; x; x = x->next) {
                if (!cJSON_IsString(x))
                    return meta_err(err, path, line, offset, k, "an array of strings");
                if (n == UINT32_MAX - 1)
                    return meta_err(err, path, line, offset, k, "a shorter array");
                n++;
            }
            const char **argv = n ? wa_arena_alloc(a, (size_t)n * sizeof *argv) : NULL;
            if (n && !argv)
                return wa_error_set(err, WA_ERR_NOMEM, path, line, offset, "out of memory");
            uint32_t i = 0;
            for (const cJSON *x = v->child; x; x = x->next) {
                argv[i] = meta_copy(a, x);
                if (!argv[i++]) return meta_err(err, path, line, offset, k, "valid UTF-8 text");
            }
            m->argv = argv;
            m->argc = n;
        }
        /* anything else: ignored (forward compatible) */
    }
    if (!have_version)
        return wa_error_set(err, WA_ERR_FORMAT, path, line, offset,
                            "expected a header with \"whyalive\": <format version>");
    return WA_OK;
}
