/*
 * binary_read.c: the binary reader (format 1, docs/format.md).
 *
 * Header, footer and table of contents are read and checked first, so that
 * every size the file claims is bounded by the file's real size before
 * anything is allocated. Then the whole file is read once into the
 * snapshot's arena and the arrays point into it: no per-object parsing, but
 * every value a hostile file could lie about is validated (checksums, record
 * sizes, offsets, indexes, string table, UTF-8) before the snapshot is
 * handed out.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/snapshot_impl.h"
#include "core/util.h"
#include "format/format_impl.h"

#define CHUNK ((size_t)64 << 20)
#define MAX_META ((uint64_t)16 << 20)

static const char *const sec_names[WA_SEC_MAX + 1] = {
    "?", "META", "STRINGS", "TYPES", "OBJECTS", "OUT_OFFSETS", "EDGES", "ROOTS", "SITES"};

typedef struct loc {
    uint64_t off, len;
} loc;

static wa_status ferr(wa_error *err, const wa_input *in, uint64_t off, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static wa_status ferr(wa_error *err, const wa_input *in, uint64_t off, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    wa_status s = wa_error_setv(err, WA_ERR_FORMAT, in->path, WA_POS_NONE, off, fmt, ap);
    va_end(ap);
    return s;
}

static wa_status read_at(const wa_input *in, void *dst, uint64_t off, uint64_t n, int progress,
                         wa_error *err) {
    if (in->mem) {
        memcpy(dst, in->mem + off, (size_t)n);
        return WA_OK;
    }
    unsigned char *p = dst;
    uint64_t done = 0;
    while (done < n) {
        size_t want = n - done > CHUNK ? CHUNK : (size_t)(n - done);
        ssize_t r = pread(in->fd, p + done, want, (off_t)(off + done));
        if (r < 0) {
            if (errno == EINTR) continue;
            return wa_error_set(err, WA_ERR_IO, in->path, WA_POS_NONE, off + done, "read failed: %s",
                                strerror(errno));
        }
        if (r == 0)
            return ferr(err, in, off + done, "unexpected end of file (the file shrank while reading?)");
        done += (uint64_t)r;
        if (progress && in->opts && in->opts->progress &&
            in->opts->progress(in->opts->progress_ctx, off + done, in->size))
            return wa_error_set(err, WA_ERR_ARG, in->path, WA_POS_NONE, off + done, "cancelled");
    }
    return WA_OK;
}

static uint32_t rd32(const unsigned char *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}
static uint64_t rd64(const unsigned char *p) { return wa_load64(p); }

wa_snapshot *wa_binary_read(const wa_input *in, wa_error *err) {
    const uint64_t size = in->size;
    unsigned char hdr[WA_BIN_HEADER_SIZE], foot[WA_BIN_FOOTER_SIZE];
    unsigned char toc[WA_BIN_MAX_SECTIONS * WA_BIN_TOC_ENTRY];
    if (size == UINT64_MAX) {
        wa_error_set(err, WA_ERR_UNSUPPORTED, in->path, WA_POS_NONE, WA_POS_NONE,
                     "binary snapshots must be read from a regular file");
        return NULL;
    }
    if (size < WA_BIN_HEADER_SIZE + WA_BIN_FOOTER_SIZE) {
        ferr(err, in, size, "file too short for a binary snapshot (%llu bytes): truncated?",
             (unsigned long long)size);
        return NULL;
    }
    if (read_at(in, hdr, 0, sizeof hdr, 0, err) != WA_OK) return NULL;
    if (memcmp(hdr, WA_BIN_MAGIC, 8) != 0) {
        ferr(err, in, 0, "bad magic: expected \"WHYALIVE\" at the start of a binary snapshot");
        return NULL;
    }
    uint32_t version = rd32(hdr + 8);
    if (version != WA_BIN_VERSION) {
        if (version > WA_BIN_VERSION)
            ferr(err, in, 8, "format version %u is newer than this build reads (version %u)", version,
                 WA_BIN_VERSION);
        else
            ferr(err, in, 8, "bad format version %u (expected %u)", version, WA_BIN_VERSION);
        return NULL;
    }
    if (rd32(hdr + 12) != 0 || rd32(hdr + 16) != WA_BIN_HEADER_SIZE || rd32(hdr + 20) != 8) {
        ferr(err, in, 12, "unsupported header flags, header size or alignment");
        return NULL;
    }
    uint64_t foot_off = size - WA_BIN_FOOTER_SIZE;
    if (read_at(in, foot, foot_off, sizeof foot, 0, err) != WA_OK) return NULL;
    if (memcmp(foot + 24, WA_BIN_END_MAGIC, 8) != 0) {
        ferr(err, in, foot_off + 24, "no end marker \"WHYALEND\": the file is truncated or damaged");
        return NULL;
    }
    uint64_t toc_off = rd64(foot);
    uint32_t nt = rd32(foot + 8);
    if (nt == 0 || nt > WA_BIN_MAX_SECTIONS || toc_off < WA_BIN_HEADER_SIZE ||
        toc_off != foot_off - (uint64_t)nt * WA_BIN_TOC_ENTRY) {
        ferr(err, in, foot_off, "bad table of contents position or size (%u entries at byte %llu)",
             nt, (unsigned long long)toc_off);
        return NULL;
    }
    if (read_at(in, toc, toc_off, (uint64_t)nt * WA_BIN_TOC_ENTRY, 0, err) != WA_OK) return NULL;
    if (wa_checksum(toc, (size_t)nt * WA_BIN_TOC_ENTRY) != rd64(foot + 16)) {
        ferr(err, in, toc_off, "table of contents checksum mismatch: the file is damaged");
        return NULL;
    }
    loc sec[WA_SEC_MAX + 1];
    uint64_t sum[WA_SEC_MAX + 1];
    memset(sec, 0, sizeof sec);
    int seen[WA_SEC_MAX + 1] = {0};
    for (uint32_t i = 0; i < nt; i++) {
        const unsigned char *e = toc + i * WA_BIN_TOC_ENTRY;
        uint32_t id = rd32(e);
        uint64_t off = rd64(e + 8), len = rd64(e + 16);
        uint64_t eoff = toc_off + i * WA_BIN_TOC_ENTRY;
        if (off < WA_BIN_HEADER_SIZE + WA_BIN_SECTION_HEADER || (off & 7) || off > toc_off ||
            len > toc_off - off) {
            ferr(err, in, eoff,
                 "section %u claims %llu bytes at byte %llu, outside the file (%llu bytes)", id,
                 (unsigned long long)len, (unsigned long long)off, (unsigned long long)size);
            return NULL;
        }
        if (id == 0 || id > WA_SEC_MAX) continue; /* unknown section: skipped */
        if (seen[id]) {
            ferr(err, in, eoff, "section %s appears twice", sec_names[id]);
            return NULL;
        }
        seen[id] = 1;
        sec[id].off = off;
        sec[id].len = len;
        sum[id] = rd64(e + 24);
    }
    for (uint32_t id = 1; id <= WA_SEC_MAX; id++)
        if (!seen[id]) {
            ferr(err, in, toc_off, "missing section %s", sec_names[id]);
            return NULL;
        }
    /* record sizes and limits, all before allocating */
    uint64_t n = sec[WA_SEC_OBJECTS].len / sizeof(wa_object);
    uint64_t ne = sec[WA_SEC_EDGES].len / sizeof(wa_edge);
    struct {
        int id;
        uint64_t unit;
    } rec[] = {{WA_SEC_OBJECTS, sizeof(wa_object)}, {WA_SEC_EDGES, sizeof(wa_edge)},
               {WA_SEC_ROOTS, sizeof(wa_root)},     {WA_SEC_SITES, 8},
               {WA_SEC_TYPES, sizeof(wa_type)}};
    for (size_t i = 0; i < sizeof rec / sizeof rec[0]; i++)
        if (sec[rec[i].id].len % rec[i].unit) {
            ferr(err, in, sec[rec[i].id].off, "section %s: %llu bytes is not a whole number of %llu-byte records",
                 sec_names[rec[i].id], (unsigned long long)sec[rec[i].id].len, (unsigned long long)rec[i].unit);
            return NULL;
        }
    if (n > WA_MAX_OBJECTS || ne > WA_MAX_EDGES || sec[WA_SEC_ROOTS].len / 16 > WA_MAX_OBJECTS ||
        sec[WA_SEC_SITES].len / 8 > WA_MAX_OBJECTS || sec[WA_SEC_TYPES].len / 8 > WA_MAX_STRINGS) {
        wa_error_set(err, WA_ERR_LIMIT, in->path, WA_POS_NONE, sec[WA_SEC_OBJECTS].off,
                     "more objects, edges, roots, sites or types than the limits allow");
        return NULL;
    }
    if (sec[WA_SEC_OUT_OFFSETS].len != (n + 1) * 4) {
        ferr(err, in, sec[WA_SEC_OUT_OFFSETS].off, "section OUT_OFFSETS: expected %llu bytes for %llu objects, found %llu",
             (unsigned long long)((n + 1) * 4), (unsigned long long)n, (unsigned long long)sec[WA_SEC_OUT_OFFSETS].len);
        return NULL;
    }
    if (sec[WA_SEC_STRINGS].len < 24) {
        ferr(err, in, sec[WA_SEC_STRINGS].off, "section STRINGS is too short");
        return NULL;
    }
    if (sec[WA_SEC_META].len > MAX_META) {
        wa_error_set(err, WA_ERR_LIMIT, in->path, WA_POS_NONE, sec[WA_SEC_META].off,
                     "META section of %llu bytes exceeds the limit of 16 MiB",
                     (unsigned long long)sec[WA_SEC_META].len);
        return NULL;
    }

    /* one read of the whole file into the arena */
    struct wa_snapshot *s = wa_snapshot_alloc(err);
    if (!s) return NULL;
    unsigned char *buf = size <= SIZE_MAX ? wa_arena_alloc(&s->arena, (size_t)size) : NULL;
    if (!buf) {
        wa_error_set(err, WA_ERR_NOMEM, in->path, WA_POS_NONE, WA_POS_NONE,
                     "out of memory reading %llu bytes", (unsigned long long)size);
        goto fail;
    }
    if (read_at(in, buf, 0, size, 1, err) != WA_OK) goto fail;
    for (uint32_t id = 1; id <= WA_SEC_MAX; id++) {
        const unsigned char *h = buf + sec[id].off - WA_BIN_SECTION_HEADER;
        if (rd32(h) != id || rd64(h + 8) != sec[id].len) {
            ferr(err, in, sec[id].off - WA_BIN_SECTION_HEADER,
                 "section header of %s does not match the table of contents", sec_names[id]);
            goto fail;
        }
        if (wa_checksum(buf + sec[id].off, (size_t)sec[id].len) != sum[id]) {
            ferr(err, in, sec[id].off, "section %s: checksum mismatch: the file is damaged",
                 sec_names[id]);
            goto fail;
        }
    }

    /* strings */
    {
        const unsigned char *p = buf + sec[WA_SEC_STRINGS].off;
        uint64_t len = sec[WA_SEC_STRINGS].len, count = rd64(p);
        if (count == 0 || count > WA_MAX_STRINGS || count > (len - 16) / 8) {
            wa_error_set(err, count > WA_MAX_STRINGS ? WA_ERR_LIMIT : WA_ERR_FORMAT, in->path,
                         WA_POS_NONE, sec[WA_SEC_STRINGS].off,
                         "string count %llu does not fit the STRINGS section or the limit",
                         (unsigned long long)count);
            goto fail;
        }
        const uint64_t *off = (const uint64_t *)(p + 8);
        const char *blob = (const char *)(p + 8 + (count + 1) * 8);
        uint64_t blob_len = len - 8 - (count + 1) * 8;
        uint64_t blob_pos = sec[WA_SEC_STRINGS].off + 8 + (count + 1) * 8;
        if (off[0] != 0 || off[count] != blob_len || blob_len < 1 || blob[0] != '\0') {
            ferr(err, in, sec[WA_SEC_STRINGS].off + 8,
                 "string table: offsets must start at 0 with the empty string and end at the blob size");
            goto fail;
        }
        for (uint64_t i = 0; i < count; i++) {
            uint64_t a = off[i], b = off[i + 1];
            if (b <= a || b > blob_len) {
                ferr(err, in, sec[WA_SEC_STRINGS].off + 16 + i * 8,
                     "string %llu: offset %llu out of order or outside the blob", (unsigned long long)i + 1,
                     (unsigned long long)b);
                goto fail;
            }
            uint64_t sl = b - a - 1;
            if (sl > WA_MAX_STRING_BYTES) {
                wa_error_set(err, WA_ERR_LIMIT, in->path, WA_POS_NONE, blob_pos + a,
                             "string %llu is %llu bytes, more than the limit of %u",
                             (unsigned long long)i, (unsigned long long)sl, WA_MAX_STRING_BYTES);
                goto fail;
            }
            if (blob[b - 1] != '\0' || memchr(blob + a, 0, (size_t)sl)) {
                ferr(err, in, blob_pos + a, "string %llu is not NUL-terminated or holds a NUL byte",
                     (unsigned long long)i);
                goto fail;
            }
            size_t bad = wa_utf8_check(blob + a, (size_t)sl);
            if (bad != sl) {
                ferr(err, in, blob_pos + a + bad, "string %llu is not valid UTF-8", (unsigned long long)i);
                goto fail;
            }
        }
        s->n_strings = (uint32_t)count;
        s->str_off = off;
        s->str_blob = blob;
    }
    const uint32_t ns = s->n_strings;

    /* types */
    {
        const wa_type *t = (const wa_type *)(buf + sec[WA_SEC_TYPES].off);
        uint64_t nty = sec[WA_SEC_TYPES].len / sizeof *t;
        for (uint64_t i = 0; i < nty; i++)
            if (t[i].name >= ns || t[i].module >= ns) {
                ferr(err, in, sec[WA_SEC_TYPES].off + i * 8, "type %llu: string id out of range",
                     (unsigned long long)i);
                goto fail;
            }
        s->types = t;
        s->n_types = (uint32_t)nty;
    }

    /* objects */
    {
        const wa_object *o = (const wa_object *)(buf + sec[WA_SEC_OBJECTS].off);
        uint64_t total = 0;
        for (uint64_t i = 0; i < n; i++) {
            if (o[i].type >= s->n_types || o[i].name >= ns || o[i].value >= ns) {
                ferr(err, in, sec[WA_SEC_OBJECTS].off + i * sizeof *o,
                     "object %llu: type or string id out of range", (unsigned long long)i);
                goto fail;
            }
            total += o[i].size;
        }
        s->objects = o;
        s->n_objects = (uint32_t)n;
        s->total_size = total;
    }

    /* forward CSR */
    {
        const uint32_t *off = (const uint32_t *)(buf + sec[WA_SEC_OUT_OFFSETS].off);
        if (off[0] != 0 || off[n] != ne) {
            ferr(err, in, sec[WA_SEC_OUT_OFFSETS].off, "edge offsets must start at 0 and end at the edge count %llu",
                 (unsigned long long)ne);
            goto fail;
        }
        for (uint64_t i = 0; i < n; i++)
            if (off[i + 1] < off[i]) {
                ferr(err, in, sec[WA_SEC_OUT_OFFSETS].off + (i + 1) * 4,
                     "edge offsets decrease at object %llu", (unsigned long long)i + 1);
                goto fail;
            }
        uint32_t *in_off = wa_arena_calloc(&s->arena, (size_t)n + 1, 4);
        if (!in_off) {
            wa_error_set(err, WA_ERR_NOMEM, in->path, WA_POS_NONE, WA_POS_NONE, "out of memory");
            goto fail;
        }
        const wa_edge *e = (const wa_edge *)(buf + sec[WA_SEC_EDGES].off);
        for (uint64_t i = 0; i < ne; i++) {
            uint32_t to = e[i].to, lab = e[i].label;
            wa_edge_kind k = WA_LABEL_KIND(lab);
            if (to >= n || (unsigned)k >= WA_EDGE_KIND_COUNT ||
                (k != WA_EDGE_INDEX && WA_LABEL_PAYLOAD(lab) >= ns)) {
                ferr(err, in, sec[WA_SEC_EDGES].off + i * 8,
                     "edge %llu: target %u, kind %u or label id out of range", (unsigned long long)i,
                     to, (unsigned)k);
                goto fail;
            }
            in_off[to]++;
        }
        s->out_off = off;
        s->edges = e;
        s->n_edges = (uint32_t)ne;
        if (wa_snapshot_reverse_from_counts(s, in_off, err) != WA_OK) goto fail;
    }

    /* roots and sites */
    {
        const wa_root *r = (const wa_root *)(buf + sec[WA_SEC_ROOTS].off);
        uint64_t nr = sec[WA_SEC_ROOTS].len / sizeof *r;
        for (uint64_t i = 0; i < nr; i++)
            if (r[i].obj >= n || r[i].kind >= WA_ROOT_KIND_COUNT || r[i].label >= ns) {
                ferr(err, in, sec[WA_SEC_ROOTS].off + i * 16, "root %llu: object, kind or label out of range",
                     (unsigned long long)i);
                goto fail;
            }
        s->roots = r;
        s->n_roots = (uint32_t)nr;
        const uint32_t *sp = (const uint32_t *)(buf + sec[WA_SEC_SITES].off);
        uint64_t nsi = sec[WA_SEC_SITES].len / 8;
        for (uint64_t i = 0; i < nsi; i++)
            if (sp[2 * i] >= n || sp[2 * i + 1] >= ns || (i && sp[2 * i] <= sp[2 * i - 2])) {
                ferr(err, in, sec[WA_SEC_SITES].off + i * 8,
                     "site %llu: object out of range or out of order, or bad string id", (unsigned long long)i);
                goto fail;
            }
        s->site_pairs = sp;
        s->n_sites = (uint32_t)nsi;
    }

    /* metadata */
    {
        const char *mj = (const char *)(buf + sec[WA_SEC_META].off);
        uint64_t ml = sec[WA_SEC_META].len;
        cJSON *meta = cJSON_ParseWithLength(mj, (size_t)ml);
        if (!meta) {
            ferr(err, in, sec[WA_SEC_META].off, "META section is not valid JSON");
            goto fail;
        }
        int64_t declared;
        wa_status st = wa_meta_from_json(meta, &s->meta, &s->arena, &declared, in->path, WA_POS_NONE,
                                         sec[WA_SEC_META].off, err);
        cJSON_Delete(meta);
        if (st != WA_OK) goto fail;
        if (declared >= 0 && (uint64_t)declared != n) {
            ferr(err, in, sec[WA_SEC_META].off, "META declares %lld objects but OBJECTS holds %llu",
                 (long long)declared, (unsigned long long)n);
            goto fail;
        }
        s->meta.format_version = version;
        s->dangling = s->meta.dangling_edges;
    }
    return s;
fail:
    wa_snapshot_free(s);
    return NULL;
}
