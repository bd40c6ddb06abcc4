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
#include <pthread.h>
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
            return wa_error_set(err, WA_ERR_IO, in->path, WA_POS_NONE, off + done,
                                "read failed: %s", strerror(errno));
        }
        if (r == 0)
            return ferr(err, in, off + done,
                        "unexpected end of file (the file shrank while reading?)");
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

/* What header, footer and table of contents say, checked against the file
 * size: every section lies inside the file, each known one once. */
typedef struct layout {
    uint32_t version;
    uint64_t toc_off;
    loc sec[WA_SEC_MAX + 1];
    uint64_t sum[WA_SEC_MAX + 1];
    uint64_t n, ne; /* objects and edges the sections hold */
} layout;

static wa_status read_header(const wa_input *in, layout *L, wa_error *err) {
    unsigned char hdr[WA_BIN_HEADER_SIZE];
    if (in->size < WA_BIN_HEADER_SIZE + WA_BIN_FOOTER_SIZE)
        return ferr(err, in, in->size,
                    "file too short for a binary snapshot (%llu bytes): truncated?",
                    (unsigned long long)in->size);
    if (read_at(in, hdr, 0, sizeof hdr, 0, err) != WA_OK) return err ? err->code : WA_ERR_IO;
    if (memcmp(hdr, WA_BIN_MAGIC, 8) != 0)
        return ferr(err, in, 0,
                    "bad magic: expected \"WHYALIVE\" at the start of a binary snapshot");
    L->version = rd32(hdr + 8);
    if (L->version != WA_BIN_VERSION) {
        if (L->version > WA_BIN_VERSION)
            return ferr(err, in, 8, "format version %u is newer than this build reads (version %u)",
                        L->version, WA_BIN_VERSION);
        return ferr(err, in, 8, "bad format version %u (expected %u)", L->version, WA_BIN_VERSION);
    }
    if (rd32(hdr + 12) != 0 || rd32(hdr + 16) != WA_BIN_HEADER_SIZE || rd32(hdr + 20) != 8)
        return ferr(err, in, 12, "unsupported header flags, header size or alignment");
    return WA_OK;
}

/* Footer, then the table of contents it points at: section places and
 * checksums into L. */
static wa_status read_toc(const wa_input *in, layout *L, wa_error *err) {
    const uint64_t size = in->size;
    unsigned char foot[WA_BIN_FOOTER_SIZE];
    unsigned char toc[WA_BIN_MAX_SECTIONS * WA_BIN_TOC_ENTRY];
    uint64_t foot_off = size - WA_BIN_FOOTER_SIZE;
    if (read_at(in, foot, foot_off, sizeof foot, 0, err) != WA_OK)
        return err ? err->code : WA_ERR_IO;
    if (memcmp(foot + 24, WA_BIN_END_MAGIC, 8) != 0)
        return ferr(err, in, foot_off + 24,
                    "no end marker \"WHYALEND\": the file is truncated or damaged");
    uint64_t toc_off = rd64(foot);
    uint32_t nt = rd32(foot + 8);
    if (nt == 0 || nt > WA_BIN_MAX_SECTIONS || toc_off < WA_BIN_HEADER_SIZE ||
        toc_off != foot_off - (uint64_t)nt * WA_BIN_TOC_ENTRY)
        return ferr(err, in, foot_off,
                    "bad table of contents position or size (%u entries at byte %llu)", nt,
                    (unsigned long long)toc_off);
    if (read_at(in, toc, toc_off, (uint64_t)nt * WA_BIN_TOC_ENTRY, 0, err) != WA_OK)
        return err ? err->code : WA_ERR_IO;
    if (wa_checksum(toc, (size_t)nt * WA_BIN_TOC_ENTRY) != rd64(foot + 16))
        return ferr(err, in, toc_off, "table of contents checksum mismatch: the file is damaged");
    L->toc_off = toc_off;
    memset(L->sec, 0, sizeof L->sec);
    int seen[WA_SEC_MAX + 1] = {0};
    for (uint32_t i = 0; i < nt; i++) {
        const unsigned char *e = toc + i * WA_BIN_TOC_ENTRY;
        uint32_t id = rd32(e);
        uint64_t off = rd64(e + 8), len = rd64(e + 16);
        uint64_t eoff = toc_off + i * WA_BIN_TOC_ENTRY;
        if (off < WA_BIN_HEADER_SIZE + WA_BIN_SECTION_HEADER || (off & 7) || off > toc_off ||
            len > toc_off - off)
            return ferr(err, in, eoff,
                        "section %u claims %llu bytes at byte %llu, outside the file (%llu bytes)",
                        id, (unsigned long long)len, (unsigned long long)off,
                        (unsigned long long)size);
        if (id == 0 || id > WA_SEC_MAX) continue; /* unknown section: skipped */
        if (seen[id]) return ferr(err, in, eoff, "section %s appears twice", sec_names[id]);
        seen[id] = 1;
        L->sec[id].off = off;
        L->sec[id].len = len;
        L->sum[id] = rd64(e + 24);
    }
    for (uint32_t id = 1; id <= WA_SEC_MAX; id++)
        if (!seen[id]) return ferr(err, in, toc_off, "missing section %s", sec_names[id]);
    return WA_OK;
}

/* Record sizes and limits, all before allocating. */
static wa_status check_sizes(const wa_input *in, layout *L, wa_error *err) {
    const loc *sec = L->sec;
    uint64_t n = sec[WA_SEC_OBJECTS].len / sizeof(wa_object);
    L->n = n;
    L->ne = sec[WA_SEC_EDGES].len / sizeof(wa_edge);
    struct {
        int id;
        uint64_t unit;
    } rec[] = {{WA_SEC_OBJECTS, sizeof(wa_object)},
               {WA_SEC_EDGES, sizeof(wa_edge)},
               {WA_SEC_ROOTS, sizeof(wa_root)},
               {WA_SEC_SITES, 8},
               {WA_SEC_TYPES, sizeof(wa_type)}};
    for (size_t i = 0; i < sizeof rec / sizeof rec[0]; i++)
        if (sec[rec[i].id].len % rec[i].unit)
            return ferr(err, in, sec[rec[i].id].off,
                        "section %s: %llu bytes is not a whole number of %llu-byte records",
                        sec_names[rec[i].id], (unsigned long long)sec[rec[i].id].len,
                        (unsigned long long)rec[i].unit);
    if (n > WA_MAX_OBJECTS || L->ne > WA_MAX_EDGES || sec[WA_SEC_ROOTS].len / 16 > WA_MAX_OBJECTS ||
        sec[WA_SEC_SITES].len / 8 > WA_MAX_OBJECTS || sec[WA_SEC_TYPES].len / 8 > WA_MAX_STRINGS)
        return wa_error_set(err, WA_ERR_LIMIT, in->path, WA_POS_NONE, sec[WA_SEC_OBJECTS].off,
                            "more objects, edges, roots, sites or types than the limits allow");
    if (sec[WA_SEC_OUT_OFFSETS].len != (n + 1) * 4)
        return ferr(err, in, sec[WA_SEC_OUT_OFFSETS].off,
                    "section OUT_OFFSETS: expected %llu bytes for %llu objects, found %llu",
                    (unsigned long long)((n + 1) * 4), (unsigned long long)n,
                    (unsigned long long)sec[WA_SEC_OUT_OFFSETS].len);
    if (sec[WA_SEC_STRINGS].len < 24)
        return ferr(err, in, sec[WA_SEC_STRINGS].off, "section STRINGS is too short");
    if (sec[WA_SEC_META].len > MAX_META)
        return wa_error_set(err, WA_ERR_LIMIT, in->path, WA_POS_NONE, sec[WA_SEC_META].off,
                            "META section of %llu bytes exceeds the limit of 16 MiB",
                            (unsigned long long)sec[WA_SEC_META].len);
    return WA_OK;
}

/* One read of the whole file into the snapshot's arena. *out points at the
 * file's first byte. */
static wa_status read_whole(const wa_input *in, struct wa_snapshot *s, unsigned char **out,
                            wa_error *err) {
    const uint64_t size = in->size;
    unsigned char *buf = size <= SIZE_MAX ? wa_arena_alloc(&s->arena, (size_t)size) : NULL;
    if (!buf)
        return wa_error_set(err, WA_ERR_NOMEM, in->path, WA_POS_NONE, WA_POS_NONE,
                            "out of memory reading %llu bytes", (unsigned long long)size);
    if (read_at(in, buf, 0, size, 1, err) != WA_OK) return err ? err->code : WA_ERR_IO;
    *out = buf;
    return WA_OK;
}

/* The sections' checksums, verified on a second thread while the first
 * parses the (read-only) image and builds the reverse index: parsing
 * validates every value anyway, so it is safe on unverified bytes, and the
 * errors are reported in the order a serial check would find them. */
typedef struct csum_job {
    const unsigned char *buf;
    const layout *L;
    uint32_t bad; /* first section whose checksum does not match, 0 if none */
    int threaded;
    pthread_t tid;
} csum_job;

static void *verify_sums(void *arg) {
    csum_job *j = arg;
    for (uint32_t id = 1; id <= WA_SEC_MAX; id++) {
        const loc *x = &j->L->sec[id];
        if (wa_checksum(j->buf + x->off, (size_t)x->len) != j->L->sum[id]) {
            j->bad = id;
            break;
        }
    }
    return NULL;
}

static void sums_start(csum_job *j, const unsigned char *buf, const layout *L) {
    j->buf = buf;
    j->L = L;
    j->bad = 0;
    j->threaded = pthread_create(&j->tid, NULL, verify_sums, j) == 0;
    if (!j->threaded) verify_sums(j); /* no thread to spare: verify now */
}

/* Waits for the checksums; a mismatch in a section before `before` (all:
 * WA_SEC_MAX + 1) replaces whatever error err holds, and one at or after
 * it is forgotten (the error at `before` comes first). */
static wa_status sums_wait(csum_job *j, const wa_input *in, uint32_t before, wa_error *err) {
    if (j->threaded) pthread_join(j->tid, NULL);
    j->threaded = 0;
    if (j->bad >= before) j->bad = 0; /* after the error found first: moot */
    if (!j->bad) return WA_OK;
    wa_error_clear(err);
    return ferr(err, in, j->L->sec[j->bad].off,
                "section %s: checksum mismatch: the file is damaged", sec_names[j->bad]);
}

/* Every section's header against the table of contents. */
static wa_status check_headers(const wa_input *in, const layout *L, const unsigned char *buf,
                               csum_job *j, wa_error *err) {
    for (uint32_t id = 1; id <= WA_SEC_MAX; id++) {
        const loc *x = &L->sec[id];
        const unsigned char *h = buf + x->off - WA_BIN_SECTION_HEADER;
        if (rd32(h) != id || rd64(h + 8) != x->len) {
            if (sums_wait(j, in, id, err) != WA_OK) return WA_ERR_FORMAT;
            return ferr(err, in, x->off - WA_BIN_SECTION_HEADER,
                        "section header of %s does not match the table of contents", sec_names[id]);
        }
    }
    return WA_OK;
}

/* The string table: count, offsets, blob; every string NUL-terminated,
 * without an inner NUL, valid UTF-8 and within the limits. */
static wa_status load_strings(const wa_input *in, const loc *x, const unsigned char *buf,
                              struct wa_snapshot *s, wa_error *err) {
    const unsigned char *p = buf + x->off;
    uint64_t len = x->len, count = rd64(p);
    if (count == 0 || count > WA_MAX_STRINGS || count > (len - 16) / 8)
        return wa_error_set(err, count > WA_MAX_STRINGS ? WA_ERR_LIMIT : WA_ERR_FORMAT, in->path,
                            WA_POS_NONE, x->off,
                            "string count %llu does not fit the STRINGS section or the limit",
                            (unsigned long long)count);
    const uint64_t *off = (const uint64_t *)(p + 8);
    const char *blob = (const char *)(p + 8 + (count + 1) * 8);
    uint64_t blob_len = len - 8 - (count + 1) * 8;
    uint64_t blob_pos = x->off + 8 + (count + 1) * 8;
    if (off[0] != 0 || off[count] != blob_len || blob_len < 1 || blob[0] != '\0')
        return ferr(
            err, in, x->off + 8,
            "string table: offsets must start at 0 with the empty string and end at the blob size");
    for (uint64_t i = 0; i < count; i++) {
        uint64_t a = off[i], b = off[i + 1];
        if (b <= a || b > blob_len)
            return ferr(err, in, x->off + 16 + i * 8,
                        "string %llu: offset %llu out of order or outside the blob",
                        (unsigned long long)i + 1, (unsigned long long)b);
        uint64_t sl = b - a - 1;
        if (sl > WA_MAX_STRING_BYTES)
            return wa_error_set(err, WA_ERR_LIMIT, in->path, WA_POS_NONE, blob_pos + a,
                                "string %llu is %llu bytes, more than the limit of %u",
                                (unsigned long long)i, (unsigned long long)sl, WA_MAX_STRING_BYTES);
        if (blob[b - 1] != '\0' || memchr(blob + a, 0, (size_t)sl))
            return ferr(err, in, blob_pos + a,
                        "string %llu is not NUL-terminated or holds a NUL byte",
                        (unsigned long long)i);
        size_t bad = wa_utf8_check(blob + a, (size_t)sl);
        if (bad != sl)
            return ferr(err, in, blob_pos + a + bad, "string %llu is not valid UTF-8",
                        (unsigned long long)i);
    }
    s->n_strings = (uint32_t)count;
    s->str_off = off;
    s->str_blob = blob;
    return WA_OK;
}

static wa_status load_types(const wa_input *in, const loc *x, const unsigned char *buf,
                            struct wa_snapshot *s, wa_error *err) {
    const wa_type *t = (const wa_type *)(buf + x->off);
    uint64_t nty = x->len / sizeof *t;
    for (uint64_t i = 0; i < nty; i++)
        if (t[i].name >= s->n_strings || t[i].module >= s->n_strings)
            return ferr(err, in, x->off + i * 8, "type %llu: string id out of range",
                        (unsigned long long)i);
    s->types = t;
    s->n_types = (uint32_t)nty;
    return WA_OK;
}

static wa_status load_objects(const wa_input *in, const layout *L, const unsigned char *buf,
                              struct wa_snapshot *s, wa_error *err) {
    const loc *x = &L->sec[WA_SEC_OBJECTS];
    const wa_object *o = (const wa_object *)(buf + x->off);
    const uint32_t ns = s->n_strings;
    uint64_t total = 0;
    for (uint64_t i = 0; i < L->n; i++) {
        if (o[i].type >= s->n_types || o[i].name >= ns || o[i].value >= ns)
            return ferr(err, in, x->off + i * sizeof *o,
                        "object %llu: type or string id out of range", (unsigned long long)i);
        total += o[i].size;
    }
    s->objects = o;
    s->n_objects = (uint32_t)L->n;
    s->total_size = total;
    return WA_OK;
}

/* Forward CSR as stored (offsets monotonic, targets and labels in range),
 * and the reverse CSR built from it. */
static wa_status load_edges(const wa_input *in, const layout *L, const unsigned char *buf,
                            struct wa_snapshot *s, wa_error *err) {
    const uint64_t n = L->n, ne = L->ne;
    const loc *xo = &L->sec[WA_SEC_OUT_OFFSETS], *xe = &L->sec[WA_SEC_EDGES];
    const uint32_t *off = (const uint32_t *)(buf + xo->off);
    if (off[0] != 0 || off[n] != ne)
        return ferr(err, in, xo->off, "edge offsets must start at 0 and end at the edge count %llu",
                    (unsigned long long)ne);
    for (uint64_t i = 0; i < n; i++)
        if (off[i + 1] < off[i])
            return ferr(err, in, xo->off + (i + 1) * 4, "edge offsets decrease at object %llu",
                        (unsigned long long)i + 1);
    uint32_t *in_off = wa_arena_calloc(&s->arena, (size_t)n + 1, 4);
    if (!in_off)
        return wa_error_set(err, WA_ERR_NOMEM, in->path, WA_POS_NONE, WA_POS_NONE, "out of memory");
    const wa_edge *e = (const wa_edge *)(buf + xe->off);
    for (uint64_t i = 0; i < ne; i++) {
        uint32_t to = e[i].to, lab = e[i].label;
        wa_edge_kind k = WA_LABEL_KIND(lab);
        if (to >= n || (unsigned)k >= WA_EDGE_KIND_COUNT ||
            (k != WA_EDGE_INDEX && WA_LABEL_PAYLOAD(lab) >= s->n_strings))
            return ferr(err, in, xe->off + i * 8,
                        "edge %llu: target %u, kind %u or label id out of range",
                        (unsigned long long)i, to, (unsigned)k);
        in_off[to]++;
    }
    s->out_off = off;
    s->edges = e;
    s->n_edges = (uint32_t)ne;
    return wa_snapshot_reverse_from_counts(s, in_off, err);
}

static wa_status load_roots_sites(const wa_input *in, const layout *L, const unsigned char *buf,
                                  struct wa_snapshot *s, wa_error *err) {
    const uint64_t n = L->n;
    const uint32_t ns = s->n_strings;
    const loc *xr = &L->sec[WA_SEC_ROOTS], *xs = &L->sec[WA_SEC_SITES];
    const wa_root *r = (const wa_root *)(buf + xr->off);
    uint64_t nr = xr->len / sizeof *r;
    for (uint64_t i = 0; i < nr; i++)
        if (r[i].obj >= n || r[i].kind >= WA_ROOT_KIND_COUNT || r[i].label >= ns)
            return ferr(err, in, xr->off + i * 16, "root %llu: object, kind or label out of range",
                        (unsigned long long)i);
    s->roots = r;
    s->n_roots = (uint32_t)nr;
    const uint32_t *sp = (const uint32_t *)(buf + xs->off);
    uint64_t nsi = xs->len / 8;
    for (uint64_t i = 0; i < nsi; i++)
        if (sp[2 * i] >= n || sp[2 * i + 1] >= ns || (i && sp[2 * i] <= sp[2 * i - 2]))
            return ferr(err, in, xs->off + i * 8,
                        "site %llu: object out of range or out of order, or bad string id",
                        (unsigned long long)i);
    s->site_pairs = sp;
    s->n_sites = (uint32_t)nsi;
    return WA_OK;
}

/* The META JSON, whose object count must agree with OBJECTS. */
static wa_status load_meta(const wa_input *in, const layout *L, const unsigned char *buf,
                           struct wa_snapshot *s, wa_error *err) {
    const loc *x = &L->sec[WA_SEC_META];
    cJSON *meta = cJSON_ParseWithLength((const char *)(buf + x->off), (size_t)x->len);
    if (!meta) return ferr(err, in, x->off, "META section is not valid JSON");
    int64_t declared;
    wa_status st =
        wa_meta_from_json(meta, &s->meta, &s->arena, &declared, in->path, WA_POS_NONE, x->off, err);
    cJSON_Delete(meta);
    if (st != WA_OK) return st;
    if (declared >= 0 && (uint64_t)declared != L->n)
        return ferr(err, in, x->off, "META declares %lld objects but OBJECTS holds %llu",
                    (long long)declared, (unsigned long long)L->n);
    s->meta.format_version = L->version;
    s->dangling = s->meta.dangling_edges;
    return WA_OK;
}

wa_snapshot *wa_binary_read(const wa_input *in, wa_error *err) {
    if (in->size == UINT64_MAX) {
        wa_error_set(err, WA_ERR_UNSUPPORTED, in->path, WA_POS_NONE, WA_POS_NONE,
                     "binary snapshots must be read from a regular file");
        return NULL;
    }
    layout L;
    if (read_header(in, &L, err) != WA_OK || read_toc(in, &L, err) != WA_OK ||
        check_sizes(in, &L, err) != WA_OK)
        return NULL;
    struct wa_snapshot *s = wa_snapshot_alloc(err);
    if (!s) return NULL;
    unsigned char *buf = NULL;
    if (read_whole(in, s, &buf, err) != WA_OK) {
        wa_snapshot_free(s);
        return NULL;
    }
    csum_job sums;
    sums_start(&sums, buf, &L);
    /* strings first: every later section names strings by id */
    int ok =
        check_headers(in, &L, buf, &sums, err) == WA_OK &&
        load_strings(in, &L.sec[WA_SEC_STRINGS], buf, s, err) == WA_OK &&
        load_types(in, &L.sec[WA_SEC_TYPES], buf, s, err) == WA_OK &&
        load_objects(in, &L, buf, s, err) == WA_OK && load_edges(in, &L, buf, s, err) == WA_OK &&
        load_roots_sites(in, &L, buf, s, err) == WA_OK && load_meta(in, &L, buf, s, err) == WA_OK;
    /* A damaged section explains any parse error: it wins, as it did when
     * the checksums were verified before parsing. */
    if (sums_wait(&sums, in, WA_SEC_MAX + 1, err) != WA_OK || !ok) {
        wa_snapshot_free(s);
        return NULL;
    }
    return s;
}
