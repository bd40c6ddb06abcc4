/*
 * index.c: the sidecar index file DUMP.wai (whyalive/index.h, the layout in
 * docs/format.md, "Index file"): the dump's identity, opening and checking
 * an index, reading its sections, writing it atomically.
 *
 * An index is untrusted input: its header and table are checked before any
 * section is read (lengths inside the file, no overlap, known ids, its own
 * checksum), a section is checked against its checksum when it is read, and
 * anything wrong makes the index "damaged": ignored, never an error. What
 * the values of a section mean is checked by the session (analysis layer).
 * Sections are read with pread straight into big arrays (wa_big_alloc:
 * mapped, huge pages), which the analyses then own as they are.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/containers.h"
#include "core/snapshot_impl.h"
#include "core/util.h"
#include "format/format_impl.h"
#include "format/index_impl.h"

#define IX_MAGIC "WAINDEX\0"
#define IX_HEADER 128u
#define IX_ENTRY 32u
#define IX_MAX_SECTIONS 16u
#define IX_ALIGN 64u
#define ID_SPAN 65536u /* bytes of a file's head and tail in its identity */

struct wa_index {
    wa_index_state state;
    unsigned flags;
    int write_failed;
    int fd;                   /* the index file, open while its sections may be read */
    unsigned char *mem;       /* or the index in memory (wa_index_open_memory) */
    const unsigned char *map; /* the file mapped (first wa_index_view_section), until free */
    uint64_t size;            /* of the index file */
    char *dump_path, *path;   /* the dump and its index */
    wa_index_dump_id id;      /* the dump's, when the index was opened */
    uint32_t n_objects, n_roots, n_edges;
    uint32_t nsec;
    struct {
        uint32_t id;
        int verified; /* its checksum matched (views only) */
        uint64_t off, len, sum;
    } sec[IX_MAX_SECTIONS];
    char note[512];
};

static uint32_t rd32(const unsigned char *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}
static uint64_t rd64(const unsigned char *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}
static void wr32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }
static void wr64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }

static void set_note(wa_index *ix, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ix->note, sizeof ix->note, fmt, ap);
    va_end(ap);
}

/* The index is of no use: state and note, and nothing is read from it
 * again (its parts will be computed, and written over it). */
static void damaged(wa_index *ix, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ix->note, sizeof ix->note, fmt, ap);
    va_end(ap);
    ix->state = WA_INDEX_DAMAGED;
}

int wa_index_disabled_by_env(void) {
    const char *e = getenv("WHYALIVE_NO_INDEX");
    return e && e[0] && strcmp(e, "0") != 0;
}

/* n bytes at off of an open file, all of them; -1 on a short read. */
static int pread_all(int fd, void *buf, size_t n, uint64_t off) {
    unsigned char *p = buf;
    while (n) {
        ssize_t r = pread(fd, p, n > (1u << 30) ? (1u << 30) : n, (off_t)off);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            if (r == 0) errno = EIO;
            return -1;
        }
        p += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return 0;
}

/* ---------------- the dump's identity ---------------- */

static int identify_fd(int fd, wa_index_dump_id *id) {
    struct stat st;
    memset(id, 0, sizeof *id);
    if (fstat(fd, &st) != 0) return -1;
    if (!S_ISREG(st.st_mode)) {
        errno = EINVAL;
        return -1;
    }
    id->size = (uint64_t)st.st_size;
    unsigned char head[WA_BIN_HEADER_SIZE], foot[WA_BIN_FOOTER_SIZE];
    if (id->size >= WA_BIN_HEADER_SIZE + WA_BIN_FOOTER_SIZE &&
        pread_all(fd, head, sizeof head, 0) == 0 && memcmp(head, WA_BIN_MAGIC, 8) == 0 &&
        pread_all(fd, foot, sizeof foot, id->size - WA_BIN_FOOTER_SIZE) == 0 &&
        memcmp(foot + 24, WA_BIN_END_MAGIC, 8) == 0) {
        /* The footer holds the checksum of the table of contents, which
         * holds every section's checksum: the whole content, in 64 bytes. */
        id->kind = 1;
        id->format_version = rd32(head + 8);
        id->sum_a = wa_checksum(foot, sizeof foot);
        id->sum_b = wa_checksum(head, sizeof head);
        return 0;
    }
    id->kind = 2;
    id->mtime_ns = (uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec;
    size_t span = id->size < ID_SPAN ? (size_t)id->size : ID_SPAN;
    unsigned char *buf = malloc(span ? span : 1);
    if (!buf) return -1;
    int rc = -1;
    if (pread_all(fd, buf, span, 0) == 0) {
        id->sum_a = wa_checksum(buf, span);
        if (pread_all(fd, buf, span, id->size - span) == 0) {
            id->sum_b = wa_checksum(buf, span);
            rc = 0;
        }
    }
    free(buf);
    return rc;
}

int wa_index_identify(const char *path, wa_index_dump_id *id) {
    memset(id, 0, sizeof *id);
    if (!path || strcmp(path, "-") == 0) {
        errno = EINVAL;
        return -1;
    }
    /* a FIFO would block open() (and lose its writer): regular files only */
    struct stat st;
    if (stat(path, &st) != 0) return -1;
    if (!S_ISREG(st.st_mode)) {
        errno = EINVAL;
        return -1;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return -1;
    int rc = identify_fd(fd, id);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

static int same_id(const wa_index_dump_id *a, const wa_index_dump_id *b) {
    return a->kind == b->kind && a->format_version == b->format_version && a->size == b->size &&
           a->mtime_ns == b->mtime_ns && a->sum_a == b->sum_a && a->sum_b == b->sum_b;
}

/* ---------------- reading ---------------- */

static int ix_read(wa_index *ix, void *buf, size_t n, uint64_t off) {
    if (off > ix->size || n > ix->size - off) return -1;
    if (ix->mem) {
        memcpy(buf, ix->mem + off, n);
        return 0;
    }
    return pread_all(ix->fd, buf, n, off);
}

static const char *sec_name(uint32_t id) {
    static const char *const names[] = {"?",
                                        "dominators",
                                        "dominator preorder",
                                        "dominator statistics",
                                        "path tree parents",
                                        "path tree edges",
                                        "retained sizes"};
    return id <= WA_IXS_MAX ? names[id] : "?";
}

/* Header and table: checked, then the identity compared. */
static void parse(wa_index *ix) {
    unsigned char h[IX_HEADER + IX_MAX_SECTIONS * IX_ENTRY];
    if (ix->size < IX_HEADER) {
        damaged(ix, "truncated (%llu bytes)", (unsigned long long)ix->size);
        return;
    }
    if (ix_read(ix, h, IX_HEADER, 0) != 0) {
        damaged(ix, "cannot read: %s", strerror(errno));
        return;
    }
    if (memcmp(h, IX_MAGIC, 8) != 0) {
        damaged(ix, "not a whyalive index (bad magic)");
        return;
    }
    uint32_t version = rd32(h + 8);
    if (version != WA_INDEX_VERSION) {
        damaged(ix, "index version %u (this build reads version %u)", version, WA_INDEX_VERSION);
        return;
    }
    uint32_t nsec = rd32(h + 20);
    uint64_t fsize = rd64(h + 24);
    if (rd32(h + 12) != IX_HEADER || nsec > IX_MAX_SECTIONS) {
        damaged(ix, "bad header size or section count");
        return;
    }
    if (fsize != ix->size) {
        damaged(ix, "%s (%llu bytes, its header says %llu)",
                fsize > ix->size ? "truncated" : "bad size", (unsigned long long)ix->size,
                (unsigned long long)fsize);
        return;
    }
    const uint64_t table_end = IX_HEADER + (uint64_t)nsec * IX_ENTRY;
    if (table_end > ix->size ||
        ix_read(ix, h + IX_HEADER, (size_t)nsec * IX_ENTRY, IX_HEADER) != 0) {
        damaged(ix, "truncated section table");
        return;
    }
    wa_csum c;
    wa_csum_init(&c);
    wa_csum_update(&c, h, 120);
    wa_csum_update(&c, h + IX_HEADER, (size_t)nsec * IX_ENTRY);
    if (wa_csum_final(&c) != rd64(h + 120)) {
        damaged(ix, "header checksum mismatch");
        return;
    }
    for (size_t i = 88; i < 120; i++)
        if (h[i]) {
            damaged(ix, "reserved header bytes are not zero");
            return;
        }
    int seen[WA_IXS_MAX + 1] = {0};
    uint64_t pos = table_end;
    for (uint32_t i = 0; i < nsec; i++) {
        const unsigned char *e = h + IX_HEADER + i * IX_ENTRY;
        uint32_t id = rd32(e);
        uint64_t off = rd64(e + 8), len = rd64(e + 16);
        if (id == 0 || id > WA_IXS_MAX || seen[id] || rd32(e + 4) != 0) {
            damaged(ix, "bad or repeated section id %u", id);
            return;
        }
        seen[id] = 1;
        /* the writer's layout and no other: each section at the first
         * aligned offset after the one before, the file ending with the
         * last, so that every byte is under a checksum or zero padding */
        if (off != (pos + IX_ALIGN - 1) / IX_ALIGN * IX_ALIGN || off > ix->size ||
            len > ix->size - off) {
            damaged(ix, "section %s out of place", sec_name(id));
            return;
        }
        if (off > pos) {
            unsigned char pad[IX_ALIGN];
            if (ix_read(ix, pad, (size_t)(off - pos), pos) != 0) {
                damaged(ix, "cannot read: %s", strerror(errno));
                return;
            }
            for (uint64_t j = 0; j < off - pos; j++)
                if (pad[j]) {
                    damaged(ix, "padding bytes are not zero");
                    return;
                }
        }
        pos = off + len;
        ix->sec[i].id = id;
        ix->sec[i].off = off;
        ix->sec[i].len = len;
        ix->sec[i].sum = rd64(e + 24);
    }
    if (pos != ix->size) {
        damaged(ix, "bytes after the last section");
        return;
    }
    ix->nsec = nsec;
    ix->n_objects = rd32(h + 72);
    ix->n_roots = rd32(h + 76);
    uint64_t n_edges = rd64(h + 80);
    ix->n_edges = n_edges > UINT32_MAX ? UINT32_MAX : (uint32_t)n_edges;
    if (n_edges > UINT32_MAX) {
        damaged(ix, "bad edge count");
        return;
    }
    wa_index_dump_id id = {rd32(h + 32), rd32(h + 36), rd64(h + 40),
                           rd64(h + 48), rd64(h + 56), rd64(h + 64)};
    if (rd32(h + 16) != WA_INDEX_ANALYSIS_REVISION) {
        set_note(ix, "made by another version of the analyses");
        ix->state = WA_INDEX_STALE;
        return;
    }
    if (!same_id(&id, &ix->id)) {
        set_note(ix, "made for another dump, or another version of this one");
        ix->state = WA_INDEX_STALE;
        return;
    }
    ix->state = WA_INDEX_VALID;
}

static wa_index *ix_new(unsigned flags, wa_error *err) {
    wa_index *ix = wa_calloc(1, sizeof *ix, err);
    if (!ix) return NULL;
    ix->fd = -1;
    ix->flags = flags;
    ix->state = WA_INDEX_OFF;
    return ix;
}

wa_index *wa_index_open(const char *dump_path, unsigned flags, wa_error *err) {
    flags &= WA_INDEX_READ | WA_INDEX_WRITE;
    if (wa_index_disabled_by_env()) flags = 0;
    wa_index *ix = ix_new(flags, err);
    if (!ix || !flags) return ix;
    if (wa_index_identify(dump_path, &ix->id) != 0) {
        ix->state = WA_INDEX_NO_ID;
        ix->flags = 0;
        return ix;
    }
    size_t n = strlen(dump_path);
    ix->dump_path = malloc(n + 1);
    ix->path = malloc(n + sizeof WA_INDEX_SUFFIX);
    if (!ix->dump_path || !ix->path) {
        wa_index_free(ix);
        wa_nomem(err);
        return NULL;
    }
    memcpy(ix->dump_path, dump_path, n + 1);
    memcpy(ix->path, dump_path, n);
    memcpy(ix->path + n, WA_INDEX_SUFFIX, sizeof WA_INDEX_SUFFIX);
    ix->state = WA_INDEX_ABSENT;
    if (!(flags & WA_INDEX_READ)) return ix;
    ix->fd = open(ix->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK); /* a FIFO: no wait */
    if (ix->fd < 0) {
        if (errno != ENOENT) damaged(ix, "cannot open: %s", strerror(errno));
        return ix;
    }
    struct stat st;
    if (fstat(ix->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        damaged(ix, "not a regular file");
    } else {
        ix->size = (uint64_t)st.st_size;
        parse(ix);
    }
    if (ix->state != WA_INDEX_VALID) {
        close(ix->fd);
        ix->fd = -1;
    }
    return ix;
}

wa_index *wa_index_open_memory(const void *data, size_t len, const wa_index_dump_id *id,
                               unsigned flags, wa_error *err) {
    wa_index *ix = ix_new(flags & WA_INDEX_READ, err);
    if (!ix) return NULL;
    ix->id = *id;
    ix->state = WA_INDEX_ABSENT;
    if (!(ix->flags & WA_INDEX_READ)) return ix;
    ix->mem = malloc(len ? len : 1);
    if (!ix->mem) {
        wa_index_free(ix);
        wa_nomem(err);
        return NULL;
    }
    if (len) memcpy(ix->mem, data, len);
    ix->size = len;
    parse(ix);
    return ix;
}

void wa_index_free(wa_index *ix) {
    if (!ix) return;
    if (ix->map) munmap((void *)ix->map, (size_t)ix->size);
    if (ix->fd >= 0) close(ix->fd);
    free(ix->mem);
    free(ix->dump_path);
    free(ix->path);
    free(ix);
}

void wa_index_check_snapshot(wa_index *ix, const wa_snapshot *snap) {
    if (!ix || ix->state != WA_INDEX_VALID || !snap) return;
    if (ix->n_objects != snap->n_objects || ix->n_roots != snap->n_roots ||
        ix->n_edges != snap->n_edges) {
        set_note(ix, "made for a dump of another size (%u objects, the dump has %u)", ix->n_objects,
                 snap->n_objects);
        ix->state = WA_INDEX_STALE;
    }
}

wa_index_state wa_index_state_of(const wa_index *ix) { return ix ? ix->state : WA_INDEX_OFF; }

const char *wa_index_state_name(wa_index_state s) {
    switch (s) {
    case WA_INDEX_OFF: return "off";
    case WA_INDEX_NO_ID: return "no dump identity";
    case WA_INDEX_ABSENT: return "absent";
    case WA_INDEX_VALID: return "valid";
    case WA_INDEX_STALE: return "stale";
    case WA_INDEX_DAMAGED: return "damaged";
    }
    return "?";
}

const char *wa_index_path(const wa_index *ix) { return ix ? ix->path : NULL; }
const char *wa_index_note(const wa_index *ix) { return ix ? ix->note : ""; }
unsigned wa_index_flags(const wa_index *ix) { return ix ? ix->flags : 0; }
int wa_index_can_write(const wa_index *ix) {
    return ix && (ix->flags & WA_INDEX_WRITE) && ix->path && !ix->write_failed;
}

static int find(const wa_index *ix, uint32_t id) {
    for (uint32_t i = 0; i < ix->nsec; i++)
        if (ix->sec[i].id == id) return (int)i;
    return -1;
}

int wa_index_holds(const wa_index *ix, wa_index_content what) {
    if (!ix || ix->state != WA_INDEX_VALID) return 0;
    if (what == WA_INDEX_HAS_DOM)
        return find(ix, WA_IXS_DOM_IDOM) >= 0 && find(ix, WA_IXS_DOM_PREORDER) >= 0 &&
               find(ix, WA_IXS_DOM_STATS) >= 0 && find(ix, WA_IXS_DOM_RETAINED) >= 0;
    return find(ix, WA_IXS_TREE_PARENT) >= 0 && find(ix, WA_IXS_TREE_VIA) >= 0;
}

void wa_index_reject(wa_index *ix, const char *why) {
    if (!ix) return;
    damaged(ix, "%s", why);
    if (ix->fd >= 0) close(ix->fd);
    ix->fd = -1;
}

int wa_index_view_section(wa_index *ix, uint32_t id, size_t elem, uint64_t count, uint64_t max,
                          const void **out, uint64_t *n) {
    *out = NULL;
    *n = 0;
    if (!ix || ix->state != WA_INDEX_VALID || !(ix->flags & WA_INDEX_READ)) return 0;
    int i = find(ix, id);
    if (i < 0) return 0;
    uint64_t len = ix->sec[i].len, cnt = elem ? len / elem : 0;
    if (!elem || len % elem || (count != WA_INDEX_ANY ? cnt != count : cnt > max)) {
        wa_index_reject(ix, "a section has the wrong length");
        return -1;
    }
    const unsigned char *base = ix->mem;
    if (!base) {
        /* The whole file, mapped once and read where it lies in the page
         * cache: nothing copied, no fresh memory to fault in. Private and
         * read-only; a rename over the file leaves this mapping as it is. */
        if (!ix->map) {
            void *m =
                mmap(NULL, (size_t)ix->size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, ix->fd, 0);
            if (m == MAP_FAILED) {
                char why[160];
                snprintf(why, sizeof why, "cannot map: %s", strerror(errno));
                wa_index_reject(ix, why);
                return -1;
            }
            ix->map = m;
        }
        base = ix->map;
    }
    if (!ix->sec[i].verified) {
        if (wa_checksum(base + ix->sec[i].off, (size_t)len) != ix->sec[i].sum) {
            char why[160];
            snprintf(why, sizeof why, "section %s: checksum mismatch", sec_name(id));
            wa_index_reject(ix, why);
            return -1;
        }
        ix->sec[i].verified = 1;
    }
    *out = base + ix->sec[i].off;
    *n = cnt;
    return 1;
}

/* ---------------- writing ---------------- */

/* Header and table (hdr: IX_HEADER + n * IX_ENTRY bytes), each section's
 * offset in off[]; the file's size. */
static uint64_t layout(const wa_index_dump_id *id, const wa_snapshot *snap,
                       const wa_index_section_out *secs, uint32_t n, unsigned char *hdr,
                       uint64_t *off) {
    memset(hdr, 0, IX_HEADER + (size_t)n * IX_ENTRY);
    uint64_t pos = IX_HEADER + (uint64_t)n * IX_ENTRY;
    for (uint32_t i = 0; i < n; i++) {
        pos = (pos + IX_ALIGN - 1) / IX_ALIGN * IX_ALIGN;
        off[i] = pos;
        pos += secs[i].len;
    }
    memcpy(hdr, IX_MAGIC, 8);
    wr32(hdr + 8, WA_INDEX_VERSION);
    wr32(hdr + 12, IX_HEADER);
    wr32(hdr + 16, WA_INDEX_ANALYSIS_REVISION);
    wr32(hdr + 20, n);
    wr64(hdr + 24, pos);
    wr32(hdr + 32, id->kind);
    wr32(hdr + 36, id->format_version);
    wr64(hdr + 40, id->size);
    wr64(hdr + 48, id->mtime_ns);
    wr64(hdr + 56, id->sum_a);
    wr64(hdr + 64, id->sum_b);
    wr32(hdr + 72, snap->n_objects);
    wr32(hdr + 76, snap->n_roots);
    wr64(hdr + 80, snap->n_edges);
    for (uint32_t i = 0; i < n; i++) {
        unsigned char *e = hdr + IX_HEADER + i * IX_ENTRY;
        wr32(e, secs[i].id);
        wr64(e + 8, off[i]);
        wr64(e + 16, secs[i].len);
        wr64(e + 24, wa_checksum(secs[i].data, (size_t)secs[i].len));
    }
    wa_csum c;
    wa_csum_init(&c);
    wa_csum_update(&c, hdr, 120);
    wa_csum_update(&c, hdr + IX_HEADER, (size_t)n * IX_ENTRY);
    wr64(hdr + 120, wa_csum_final(&c));
    return pos;
}

static wa_status check_secs(const wa_index_section_out *secs, uint32_t n, wa_error *err) {
    if (n > IX_MAX_SECTIONS)
        return wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE, "too many sections");
    for (uint32_t i = 0; i < n; i++)
        if (secs[i].id == 0 || secs[i].id > WA_IXS_MAX)
            return wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE, "bad section");
    return WA_OK;
}

wa_status wa_index_build(const wa_index_dump_id *id, const wa_snapshot *snap,
                         const wa_index_section_out *secs, uint32_t n, unsigned char **out,
                         size_t *len, wa_error *err) {
    *out = NULL;
    *len = 0;
    if (check_secs(secs, n, err) != WA_OK) return WA_ERR_ARG;
    unsigned char hdr[IX_HEADER + IX_MAX_SECTIONS * IX_ENTRY];
    uint64_t off[IX_MAX_SECTIONS];
    uint64_t size = layout(id, snap, secs, n, hdr, off);
    unsigned char *b = wa_calloc((size_t)size, 1, err);
    if (!b) return WA_ERR_NOMEM;
    memcpy(b, hdr, IX_HEADER + (size_t)n * IX_ENTRY);
    for (uint32_t i = 0; i < n; i++)
        if (secs[i].len) memcpy(b + off[i], secs[i].data, (size_t)secs[i].len);
    *out = b;
    *len = (size_t)size;
    return WA_OK;
}

static wa_status write_failed(wa_index *ix, wa_error *err, const char *what) {
    ix->write_failed = 1;
    snprintf(ix->note, sizeof ix->note, "%s", what);
    return wa_error_set(err, WA_ERR_IO, ix->path, WA_POS_NONE, WA_POS_NONE, "%s", what);
}

wa_status wa_index_write(wa_index *ix, const wa_snapshot *snap, const wa_index_section_out *secs,
                         uint32_t n, wa_error *err) {
    if (!ix || !(ix->flags & WA_INDEX_WRITE) || !ix->path || ix->write_failed)
        return wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE,
                            "the index is not to be written");
    if (check_secs(secs, n, err) != WA_OK) return WA_ERR_ARG;
    wa_index_dump_id now;
    if (wa_index_identify(ix->dump_path, &now) != 0 || !same_id(&now, &ix->id))
        return write_failed(ix, err, "the dump changed since it was loaded");
    unsigned char hdr[IX_HEADER + IX_MAX_SECTIONS * IX_ENTRY];
    uint64_t off[IX_MAX_SECTIONS];
    uint64_t size = layout(&ix->id, snap, secs, n, hdr, off);
    wa_outfile f;
    wa_error e;
    wa_error_clear(&e);
    if (wa_outfile_open(&f, ix->path, &e) != WA_OK) return write_failed(ix, err, e.what);
    wa_status st = wa_outfile_pwrite(&f, hdr, IX_HEADER + (size_t)n * IX_ENTRY, 0, &e);
    for (uint32_t i = 0; st == WA_OK && i < n; i++)
        if (secs[i].len) st = wa_outfile_pwrite(&f, secs[i].data, (size_t)secs[i].len, off[i], &e);
    /* the padding after the last section, if any, is part of the size */
    if (st == WA_OK && ftruncate(f.fd, (off_t)size) != 0) {
        wa_error_set(&e, WA_ERR_IO, ix->path, WA_POS_NONE, WA_POS_NONE, "cannot size: %s",
                     strerror(errno));
        st = WA_ERR_IO;
    }
    if (st != WA_OK) {
        wa_outfile_abort(&f);
        return write_failed(ix, err, e.what);
    }
    if (wa_outfile_commit(&f, &e) != WA_OK) return write_failed(ix, err, e.what);
    ix->note[0] = '\0';
    return WA_OK;
}
