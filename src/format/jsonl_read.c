/*
 * jsonl_read.c: the JSON Lines reader (format 1, docs/format.md).
 *
 * One line at a time: the line buffer grows to the longest line (capped at
 * 256 MiB), cJSON parses it into a tree that lives in a per-thread bump
 * arena (reset per line), and the fields go straight into a wa_builder. So
 * memory follows the graph, not the file.
 *
 * cJSON's hooks are process-global: they are installed once and fall back
 * to malloc/free on every thread that is not inside this reader, so other
 * cJSON users (the CLI's --json output) are unaffected. The arena is
 * per-thread, so parts of one input parse in parallel (see "parts" below).
 * cJSON's own global state is only its last-error pointer, written by every
 * parse; this reader never reads it (errors come from return_parse_end).
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/builder_impl.h"
#include "core/snapshot_impl.h"
#include "core/util.h"
#include "format/format_impl.h"

#define MAX_LINE ((size_t)256 << 20)
#define MAX_EXACT 9007199254740992.0 /* 2^53: larger JSON numbers are not exact */
#define PROGRESS_STEP ((uint64_t)4 << 20)

/* ---------------- cJSON bump arena ---------------- */

typedef struct jarena {
    unsigned char *base;
    size_t used, cap;
    int spilled; /* some node of this line came from malloc */
} jarena;

static _Thread_local jarena *tls_jarena;

static void *ja_malloc(size_t n) {
    jarena *a = tls_jarena;
    if (a) {
        size_t need = (n + 15) & ~(size_t)15;
        if (need >= n && a->cap - a->used >= need) {
            void *p = a->base + a->used;
            a->used += need;
            return p;
        }
        a->spilled = 1;
    }
    return malloc(n);
}

static void ja_free(void *p) {
    jarena *a = tls_jarena;
    if (a && (uintptr_t)p >= (uintptr_t)a->base && (uintptr_t)p < (uintptr_t)a->base + a->cap)
        return;
    free(p);
}

static pthread_once_t hooks_once = PTHREAD_ONCE_INIT;
static void install_hooks(void) {
    cJSON_Hooks h = {ja_malloc, ja_free};
    cJSON_InitHooks(&h);
}

/* ---------------- line source ---------------- */

/* Lines of the byte range [begin, limit) of the input; limit is UINT64_MAX
 * for a pipe, which is read sequentially, everything else by position. */
typedef struct lines {
    const wa_input *in;
    char *buf;
    size_t cap, start, end, scan;
    int eof;
    uint64_t pos, limit; /* next input offset to read; end of the range */
    uint64_t line_no, consumed;
} lines;

/* Next line (without the newline) in *p, *n. 1 = line, 0 = end, -1 = error. */
static int next_line(lines *L, const char **p, size_t *n, wa_error *err) {
    const wa_input *in = L->in;
    if (in->mem) {
        if (L->pos >= L->limit) return 0;
        const char *s = (const char *)in->mem + L->pos;
        size_t rest = (size_t)(L->limit - L->pos);
        const char *nl = memchr(s, '\n', rest);
        size_t len = nl ? (size_t)(nl - s) : rest;
        if (len > MAX_LINE) goto too_long;
        L->pos += len + (nl ? 1 : 0);
        L->line_no++;
        L->consumed += len + (nl ? 1 : 0);
        *p = s;
        *n = len;
        return 1;
    }
    for (;;) {
        char *nl = memchr(L->buf + L->scan, '\n', L->end - L->scan);
        if (nl || (L->eof && L->end > L->start)) {
            size_t len = nl ? (size_t)(nl - (L->buf + L->start)) : L->end - L->start;
            *p = L->buf + L->start;
            *n = len;
            L->start += len + (nl ? 1 : 0);
            L->scan = L->start;
            L->consumed += len + (nl ? 1 : 0);
            L->line_no++;
            return 1;
        }
        if (L->eof) return 0;
        L->scan = L->end;
        if (L->end - L->start > MAX_LINE) goto too_long;
        /* make room: slide the partial line down, grow if it fills the buffer */
        if (L->start > 0) {
            memmove(L->buf, L->buf + L->start, L->end - L->start);
            L->end -= L->start;
            L->scan -= L->start;
            L->start = 0;
        }
        if (L->cap - L->end < (1u << 16)) {
            size_t nc = L->cap * 2;
            char *b = realloc(L->buf, nc);
            if (!b) {
                wa_error_set(err, WA_ERR_NOMEM, in->path, L->line_no + 1, WA_POS_NONE,
                             "out of memory reading a long line");
                return -1;
            }
            L->buf = b;
            L->cap = nc;
        }
        size_t want = L->cap - L->end;
        if (L->limit != UINT64_MAX && L->limit - L->pos < want) want = (size_t)(L->limit - L->pos);
        ssize_t r = want == 0                ? 0
                    : L->limit == UINT64_MAX ? read(in->fd, L->buf + L->end, want)
                                             : pread(in->fd, L->buf + L->end, want, (off_t)L->pos);
        if (r < 0) {
            if (errno == EINTR) continue;
            wa_error_set(err, WA_ERR_IO, in->path, L->line_no + 1, WA_POS_NONE, "read failed: %s",
                         strerror(errno));
            return -1;
        }
        if (r == 0) L->eof = 1;
        L->end += (size_t)r;
        L->pos += (uint64_t)r;
    }
too_long:
    wa_error_set(err, WA_ERR_LIMIT, in->path, L->line_no + 1, WA_POS_NONE,
                 "line longer than the limit of 256 MiB");
    return -1;
}

/* ---------------- object index -> line ---------------- */

typedef struct line_runs {
    uint64_t *v; /* pairs (first object index, its line) */
    uint64_t n, cap;
} line_runs;

static uint64_t locate_line(void *ctx, uint32_t obj) {
    const line_runs *r = ctx;
    uint64_t lo = 0, hi = r->n;
    if (!hi) return WA_POS_NONE;
    while (hi - lo > 1) {
        uint64_t mid = (lo + hi) / 2;
        if (r->v[2 * mid] <= obj)
            lo = mid;
        else
            hi = mid;
    }
    return r->v[2 * lo + 1] + (obj - r->v[2 * lo]);
}

/* ---------------- fields ---------------- */

typedef struct rd {
    const char *path;
    uint64_t line;
    wa_builder *b;
    wa_strtab *str;
    uint32_t *type_cache; /* raw type string id -> type index + 1 */
    uint64_t type_cache_cap;
    wa_error *err;
} rd;

static wa_status ferr(rd *r, const char *fmt, const char *key) {
    return wa_error_set(r->err, WA_ERR_FORMAT, r->path, r->line, WA_POS_NONE, fmt, key);
}

/* A builder error carries no position: give it this line. */
static wa_status here(rd *r, wa_status st) {
    if (st != WA_OK && r->err && !r->err->path[0]) {
        snprintf(r->err->path, sizeof r->err->path, "%s", r->path);
        r->err->line = r->line;
    }
    return st;
}

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

static int get_addr(const cJSON *v, uint64_t *out) {
    if (cJSON_IsString(v)) {
        const char *s = v->valuestring;
        if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || !s[2]) return -1;
        uint64_t a = 0;
        int digits = 0;
        for (s += 2; *s; s++) {
            int h = hexval((unsigned char)*s);
            if (h < 0 || ++digits > 16) return -1;
            a = a << 4 | (uint64_t)h;
        }
        *out = a;
        return 0;
    }
    if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= MAX_EXACT &&
        v->valuedouble == floor(v->valuedouble)) {
        *out = (uint64_t)v->valuedouble;
        return 0;
    }
    return -1;
}

static int get_uint(const cJSON *v, uint64_t *out) {
    if (!cJSON_IsNumber(v)) return -1;
    double d = v->valuedouble;
    if (!(d >= 0) || d > MAX_EXACT || d != floor(d)) return -1;
    *out = (uint64_t)d;
    return 0;
}

static uint32_t intern(rd *r, const cJSON *v) {
    return wa_strtab_intern(r->str, v->valuestring, strlen(v->valuestring), r->err);
}

static uint32_t get_type(rd *r, const cJSON *v) {
    size_t len = strlen(v->valuestring);
    if (len == 0) return ferr(r, "expected \"%s\" to be a non-empty type name", "type"), WA_NONE;
    uint32_t raw = wa_strtab_intern(r->str, v->valuestring, len, r->err);
    if (raw == WA_NONE) return here(r, r->err ? r->err->code : WA_ERR_FORMAT), WA_NONE;
    if (raw < r->type_cache_cap && r->type_cache[raw]) return r->type_cache[raw] - 1;
    uint32_t name, module;
    if (here(r, wa_type_split_intern(r->str, v->valuestring, len, &name, &module, r->err)) != WA_OK)
        return WA_NONE;
    uint32_t t = wa_builder_type_ids(r->b, name, module, r->err);
    if (t == WA_NONE) return here(r, WA_ERR_FORMAT), WA_NONE;
    uint64_t old = r->type_cache_cap;
    if (raw >= old) {
        if (wa_grow((void **)&r->type_cache, &r->type_cache_cap, (uint64_t)raw + 1,
                    sizeof *r->type_cache, WA_MAX_STRINGS + 1ull) != 0) {
            wa_error_set(r->err, WA_ERR_NOMEM, r->path, r->line, WA_POS_NONE, "out of memory");
            return WA_NONE;
        }
        memset(r->type_cache + old, 0, (size_t)(r->type_cache_cap - old) * sizeof *r->type_cache);
    }
    r->type_cache[raw] = t + 1;
    return t;
}

/* wa_edge_kind_parse() with one comparison for the usual names. */
static int edge_kind(const char *s) {
    int k;
    switch (s[0]) {
    case 'a': k = WA_EDGE_ATTR; break;
    case 'd': k = strcmp(s, "dict_value") == 0 ? WA_EDGE_DICT_VALUE : WA_EDGE_DICT_KEY; break;
    case 'i': k = WA_EDGE_INDEX; break;
    case 's': k = WA_EDGE_SET_MEMBER; break;
    case 'c': k = WA_EDGE_CLOSURE; break;
    case 'f': k = WA_EDGE_FRAME_LOCAL; break;
    case 'w': k = WA_EDGE_WEAK; break;
    default: k = WA_EDGE_OTHER; break;
    }
    if (strcmp(s, wa_edge_kind_name((wa_edge_kind)k)) == 0) return k;
    return wa_edge_kind_parse(s, strlen(s));
}

static wa_status edge_line(rd *r, uint32_t from, const cJSON *e, uint64_t k) {
    if (!cJSON_IsArray(e) || !e->child)
        return wa_error_set(r->err, WA_ERR_FORMAT, r->path, r->line, WA_POS_NONE,
                            "expected refs[%llu] to be an array [to, kind, label]",
                            (unsigned long long)k);
    const cJSON *to = e->child, *kind = to->next, *lab = kind ? kind->next : NULL;
    if (lab && lab->next)
        return wa_error_set(r->err, WA_ERR_FORMAT, r->path, r->line, WA_POS_NONE,
                            "expected refs[%llu] to have at most 3 items [to, kind, label]",
                            (unsigned long long)k);
    uint64_t addr;
    if (get_addr(to, &addr) != 0)
        return wa_error_set(r->err, WA_ERR_FORMAT, r->path, r->line, WA_POS_NONE,
                            "expected refs[%llu][0] to be an address (\"0x...\" or an integer)",
                            (unsigned long long)k);
    int kd = WA_EDGE_OTHER;
    if (kind && !cJSON_IsNull(kind)) {
        if (!cJSON_IsString(kind) || (kd = edge_kind(kind->valuestring)) < 0)
            return wa_error_set(r->err, WA_ERR_FORMAT, r->path, r->line, WA_POS_NONE,
                                "expected refs[%llu][1] to be an edge kind (attr, dict_key, "
                                "dict_value, index, set_member, closure, frame_local, weak, other)",
                                (unsigned long long)k);
    }
    uint32_t label = WA_LABEL(kd, 0);
    if (lab && !cJSON_IsNull(lab)) {
        if (kd == WA_EDGE_INDEX) {
            uint64_t ix;
            if (get_uint(lab, &ix) != 0)
                return wa_error_set(r->err, WA_ERR_FORMAT, r->path, r->line, WA_POS_NONE,
                                    "expected refs[%llu][2] to be a non-negative integer index",
                                    (unsigned long long)k);
            if (ix <= WA_INDEX_MAX) {
                label = WA_LABEL(WA_EDGE_INDEX, ix);
            } else {
                char t[32];
                int tn = snprintf(t, sizeof t, "[%llu]", (unsigned long long)ix);
                uint32_t id = wa_strtab_intern(r->str, t, (size_t)tn, r->err);
                if (id == WA_NONE) return here(r, r->err ? r->err->code : WA_ERR_FORMAT);
                label = WA_LABEL(WA_EDGE_OTHER, id);
            }
        } else {
            if (!cJSON_IsString(lab))
                return wa_error_set(r->err, WA_ERR_FORMAT, r->path, r->line, WA_POS_NONE,
                                    "expected refs[%llu][2] to be a string label",
                                    (unsigned long long)k);
            uint32_t id = intern(r, lab);
            if (id == WA_NONE) return here(r, r->err ? r->err->code : WA_ERR_FORMAT);
            label = WA_LABEL(kd, id);
        }
    }
    return here(r, wa_builder_edge(r->b, from, addr, label, r->err));
}

static wa_status object_line(rd *r, const cJSON *root, uint32_t *index_out) {
    wa_object o;
    memset(&o, 0, sizeof o);
    const cJSON *addr = NULL, *type = NULL, *size = NULL, *refs = NULL, *site = NULL;
    for (const cJSON *v = root->child; v; v = v->next) {
        const char *k = v->string;
        switch (k[0]) {
        case 'a':
            if (strcmp(k, "addr") == 0) addr = v;
            break;
        case 't':
            if (strcmp(k, "type") == 0) type = v;
            break;
        case 's':
            if (strcmp(k, "size") == 0)
                size = v;
            else if (strcmp(k, "site") == 0)
                site = v;
            break;
        case 'r':
            if (strcmp(k, "refs") == 0)
                refs = v;
            else if (strcmp(k, "rc") == 0) {
                uint64_t x;
                if (get_uint(v, &x) != 0)
                    return ferr(r, "expected \"%s\" to be a non-negative integer", "rc");
                o.refcount = x > UINT32_MAX ? UINT32_MAX : (uint32_t)x;
            }
            break;
        case 'l':
            if (strcmp(k, "len") == 0) {
                uint64_t x;
                if (get_uint(v, &x) != 0)
                    return ferr(r, "expected \"%s\" to be a non-negative integer", "len");
                o.length = x > UINT32_MAX ? UINT32_MAX : (uint32_t)x;
                o.flags |= WA_OBJ_HAS_LEN;
            }
            break;
        case 'n':
        case 'v':
            if (strcmp(k, "name") == 0 || strcmp(k, "value") == 0) {
                if (!cJSON_IsString(v)) return ferr(r, "expected \"%s\" to be a string", k);
                uint32_t id = intern(r, v);
                if (id == WA_NONE) return here(r, r->err ? r->err->code : WA_ERR_FORMAT);
                if (k[0] == 'n')
                    o.name = id;
                else
                    o.value = id;
            }
            break;
        case 'f':
            if (strcmp(k, "flags") == 0) {
                if (!cJSON_IsArray(v))
                    return ferr(r, "expected \"%s\" to be an array of strings", k);
                for (const cJSON *f = v->child; f; f = f->next) {
                    if (!cJSON_IsString(f))
                        return ferr(r, "expected \"%s\" to be an array of strings", k);
                    const char *s = f->valuestring;
                    if (strcmp(s, "gc") == 0)
                        o.flags |= WA_OBJ_GC_TRACKED;
                    else if (strcmp(s, "immortal") == 0)
                        o.flags |= WA_OBJ_IMMORTAL;
                    else if (strcmp(s, "type") == 0)
                        o.flags |= WA_OBJ_IS_TYPE;
                    else if (strcmp(s, "module") == 0)
                        o.flags |= WA_OBJ_IS_MODULE;
                    else if (strcmp(s, "truncated") == 0)
                        o.flags |= WA_OBJ_TRUNCATED;
                    /* unknown flags: ignored */
                }
            }
            break;
        default: break;
        }
    }
    if (get_addr(addr, &o.addr) != 0)
        return ferr(r,
                    "expected \"%s\" to be an address (\"0x...\" hex string or an integer <= 2^53)",
                    "addr");
    if (!cJSON_IsString(type)) return ferr(r, "expected \"%s\" to be a type name string", "type");
    if (get_uint(size, &o.size) != 0)
        return ferr(r, "expected \"%s\" to be a non-negative integer", "size");
    o.type = get_type(r, type);
    if (o.type == WA_NONE) return r->err ? r->err->code : WA_ERR_FORMAT;
    uint32_t idx = wa_builder_object(r->b, &o, r->err);
    if (idx == WA_NONE) return here(r, r->err ? r->err->code : WA_ERR_FORMAT);
    *index_out = idx;
    if (site && !cJSON_IsNull(site)) {
        if (!cJSON_IsString(site)) return ferr(r, "expected \"%s\" to be a string", "site");
        uint32_t id = intern(r, site);
        if (id == WA_NONE || wa_builder_site(r->b, idx, id, r->err) != WA_OK)
            return here(r, r->err ? r->err->code : WA_ERR_FORMAT);
    }
    if (refs && !cJSON_IsNull(refs)) {
        if (!cJSON_IsArray(refs)) return ferr(r, "expected \"%s\" to be an array of edges", "refs");
        uint64_t k = 0;
        for (const cJSON *e = refs->child; e; e = e->next, k++)
            if (edge_line(r, idx, e, k) != WA_OK) return r->err ? r->err->code : WA_ERR_FORMAT;
    }
    return WA_OK;
}

static wa_status root_line(rd *r, const cJSON *root) {
    const cJSON *kind = NULL, *obj = NULL, *label = NULL, *excess = NULL;
    for (const cJSON *v = root->child; v; v = v->next) {
        if (strcmp(v->string, "root") == 0)
            kind = v;
        else if (strcmp(v->string, "obj") == 0)
            obj = v;
        else if (strcmp(v->string, "label") == 0)
            label = v;
        else if (strcmp(v->string, "excess") == 0)
            excess = v;
    }
    int kd;
    if (!cJSON_IsString(kind) ||
        (kd = wa_root_kind_parse(kind->valuestring, strlen(kind->valuestring))) < 0)
        return ferr(
            r, "expected \"%s\" to be a root kind (module, thread, external, interpreter, other)",
            "root");
    uint64_t addr;
    if (get_addr(obj, &addr) != 0) return ferr(r, "expected \"%s\" to be an address", "obj");
    uint32_t lab = 0;
    if (label && !cJSON_IsNull(label)) {
        if (!cJSON_IsString(label)) return ferr(r, "expected \"%s\" to be a string", "label");
        lab = intern(r, label);
        if (lab == WA_NONE) return here(r, r->err ? r->err->code : WA_ERR_FORMAT);
    }
    uint64_t ex = 0;
    if (excess && !cJSON_IsNull(excess) && get_uint(excess, &ex) != 0)
        return ferr(r, "expected \"%s\" to be a non-negative integer", "excess");
    return here(r,
                wa_builder_root_at(r->b, addr, (wa_root_kind)kd, lab,
                                   ex > UINT32_MAX ? UINT32_MAX : (uint32_t)ex, r->line, r->err));
}

static wa_status site_line(rd *r, const cJSON *root) {
    const cJSON *site = cJSON_GetObjectItemCaseSensitive(root, "site");
    const cJSON *obj = cJSON_GetObjectItemCaseSensitive(root, "obj");
    uint64_t addr;
    if (!cJSON_IsString(site)) return ferr(r, "expected \"%s\" to be a string", "site");
    if (get_addr(obj, &addr) != 0) return ferr(r, "expected \"%s\" to be an address", "obj");
    uint32_t id = intern(r, site);
    if (id == WA_NONE) return here(r, r->err ? r->err->code : WA_ERR_FORMAT);
    return here(r, wa_builder_site_addr(r->b, addr, id, r->line, r->err));
}

/* Column (1-based) of the first \u0000 escape in the line, or 0. cJSON
 * decodes it to a NUL byte, which would cut the string short without a
 * word (a type "Evil\u0000Hidden" shown as "Evil"); the format's strings
 * have no NUL (docs/format.md), so the line is refused instead, as the
 * binary reader refuses an inner NUL. Only a backslash preceded by an even
 * number of backslashes starts an escape ("\\u0000" is text). */
static size_t nul_escape_column(const char *p, size_t n) {
    if (!memchr(p, '\\', n)) return 0;
    const char *q = p, *end = p + n;
    while ((q = memmem(q, (size_t)(end - q), "\\u0000", 6)) != NULL) {
        size_t at = (size_t)(q - p), run = 0;
        while (run < at && p[at - 1 - run] == '\\') run++;
        if (run % 2 == 0) return (size_t)(q - p) + 1;
        q++;
    }
    return 0;
}

static int blank(const char *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r') return 0;
    return 1;
}

/* ---------------- parts ---------------- */

/*
 * A large regular file (or memory buffer) is cut at line starts into parts
 * read by one thread each into a builder of its own; the builders are then
 * appended in input order (wa_builder_append), which gives exactly the
 * snapshot one thread would have built. Lines a part reports are its own,
 * counted from 1, and shifted by the lines of the parts before it. The first
 * part holds the header and runs on the calling thread, which is also the
 * only one that calls the progress callback.
 */
#define MAX_PARTS 16u
#define AUTO_PARTS 4u
#define PARALLEL_MIN ((uint64_t)4 << 20) /* smaller inputs: one thread */
#define SCAN_WINDOW ((size_t)64 << 10)

typedef struct shared shared;

typedef struct part {
    shared *sh;
    unsigned index;
    uint64_t begin, end; /* byte range; end UINT64_MAX: a pipe, to its end */
    wa_builder *b;
    line_runs runs;
    wa_error err;
    wa_status st;
    int64_t declared; /* first part: the header's "objects", -1 if absent */
    int have_header;
    uint64_t lines, n_objects;
    _Atomic uint64_t consumed, at_line; /* for the progress reporter */
    atomic_int done;
    int threaded;
    pthread_t tid;
} part;

struct shared {
    const wa_input *in;
    const char *path;
    part *parts;
    unsigned n;
    atomic_uint stop_from; /* parts with an index >= this one stop early */
    uint64_t next_progress;
};

/* Bytes done by all parts, for the progress callback. */
static uint64_t progress_done(shared *sh) {
    uint64_t d = 0;
    for (unsigned i = 0; i < sh->n; i++)
        d += atomic_load_explicit(&sh->parts[i].consumed, memory_order_relaxed);
    return d;
}

/* Calls the progress callback every PROGRESS_STEP bytes; non-zero: cancel. */
static int report_progress(shared *sh) {
    const wa_load_options *o = sh->in->opts;
    if (!o || !o->progress) return 0;
    uint64_t d = progress_done(sh);
    if (d < sh->next_progress) return 0;
    sh->next_progress = d + PROGRESS_STEP;
    return o->progress(o->progress_ctx, d, sh->in->size);
}

static void stop_parts_from(shared *sh, unsigned i) {
    unsigned cur = atomic_load(&sh->stop_from);
    while (i < cur && !atomic_compare_exchange_weak(&sh->stop_from, &cur, i)) {
    }
}

static wa_status header_line(rd *r, part *P, const cJSON *root) {
    const wa_input *in = P->sh->in;
    wa_meta m;
    wa_arena tmp;
    wa_arena_init(&tmp);
    wa_status st =
        wa_meta_from_json(root, &m, &tmp, &P->declared, r->path, r->line, WA_POS_NONE, r->err);
    if (st == WA_OK) st = wa_builder_meta(P->b, &m, r->err);
    wa_arena_free(&tmp);
    if (st == WA_OK && P->declared > 0) {
        uint64_t want = (uint64_t)P->declared;
        /* never trust the count beyond what the input could hold; the
         * objects are reserved for the whole input (the other parts append
         * to them), the edges for this part's share */
        uint64_t cap = in->size == UINT64_MAX ? (1u << 20) : in->size / 24 + 16;
        if (want > cap) want = cap;
        uint64_t range = P->end == UINT64_MAX ? in->size : P->end - P->begin;
        uint64_t ecap = in->size == UINT64_MAX ? (3u << 20) : range / 8 + 16;
        uint64_t we = want * 3;
        if (in->size != UINT64_MAX && range < in->size)
            we = (uint64_t)((double)we * (double)range / (double)in->size);
        if (we > ecap) we = ecap;
        st = here(r, wa_builder_reserve(P->b, want, we > WA_MAX_EDGES ? WA_MAX_EDGES : we, r->err));
    }
    P->have_header = 1;
    return st;
}

static wa_status body_line(rd *r, part *P, const cJSON *root, uint64_t *expect_line) {
    const cJSON *first = root->child;
    int kind = 0; /* 1 object, 2 root, 3 site */
    for (const cJSON *v = first; v && !kind; v = v->next) {
        if (strcmp(v->string, "addr") == 0)
            kind = 1;
        else if (strcmp(v->string, "root") == 0)
            kind = 2;
    }
    if (!kind && cJSON_GetObjectItemCaseSensitive(root, "site")) kind = 3;
    if (kind == 2) return root_line(r, root);
    if (kind == 3) return site_line(r, root);
    if (kind != 1)
        return ferr(r, "expected an object line (with \"%s\") or a root line (with \"root\")",
                    "addr");
    uint32_t idx = 0;
    wa_status st = object_line(r, root, &idx);
    if (st != WA_OK) return st;
    if (r->line != *expect_line) { /* a new run of consecutive object lines */
        line_runs *runs = &P->runs;
        if (wa_grow((void **)&runs->v, &runs->cap, 2 * (runs->n + 1), 8, UINT64_MAX / 16))
            return wa_error_set(r->err, WA_ERR_NOMEM, r->path, r->line, WA_POS_NONE,
                                "out of memory");
        runs->v[2 * runs->n] = idx;
        runs->v[2 * runs->n + 1] = r->line;
        runs->n++;
    }
    *expect_line = r->line + 1;
    P->n_objects++;
    return WA_OK;
}

/* Read part P into its builder; P->st and P->err say how it went. */
static void parse_part(part *P) {
    shared *sh = P->sh;
    const wa_input *in = sh->in;
    wa_error *err = &P->err;
    lines L;
    memset(&L, 0, sizeof L);
    L.in = in;
    L.pos = P->begin;
    L.limit = P->end;
    /* small inputs get small buffers: both grow or spill as needed */
    size_t initial = in->size < (1u << 20) ? (1u << 16) : (1u << 20);
    if (!in->mem) {
        L.cap = initial;
        L.buf = malloc(L.cap);
    }
    jarena ja = {0};
    ja.cap = initial;
    ja.base = malloc(ja.cap);
    rd r = {sh->path, 0, P->b, wa_builder_strtab(P->b), NULL, 0, err};
    uint64_t expect_line = 0;
    wa_status st = WA_OK;
    if ((!in->mem && !L.buf) || !ja.base) {
        st = wa_error_set(err, WA_ERR_NOMEM, sh->path, WA_POS_NONE, WA_POS_NONE, "out of memory");
        goto done;
    }
    if (!in->mem && in->npre && P->begin == 0 && in->npre <= L.cap) {
        /* a pipe's first bytes, read to tell its format */
        memcpy(L.buf, in->pre, in->npre);
        L.end = in->npre;
        L.pos += in->npre;
    }
    tls_jarena = &ja;
    for (;;) {
        const char *p;
        size_t n;
        int got = next_line(&L, &p, &n, err);
        if (got < 0) {
            st = err->code;
            goto done;
        }
        if (got == 0) break;
        r.line = L.line_no;
        atomic_store_explicit(&P->consumed, L.consumed, memory_order_relaxed);
        atomic_store_explicit(&P->at_line, L.line_no, memory_order_relaxed);
        if (P->index == 0) {
            if (report_progress(sh)) {
                st = wa_error_set(err, WA_ERR_ARG, sh->path, r.line, WA_POS_NONE, "cancelled");
                goto done;
            }
        } else if (P->index >= atomic_load_explicit(&sh->stop_from, memory_order_relaxed)) {
            st = wa_error_set(err, WA_ERR_ARG, sh->path, r.line, WA_POS_NONE, "stopped");
            goto done;
        }
        if (blank(p, n)) continue;
        ja.used = 0;
        ja.spilled = 0;
        const char *end = NULL;
        size_t nul_col;
        cJSON *root = cJSON_ParseWithLengthOpts(p, n, &end, 0);
        if (!root) {
            size_t col = end && end >= p && end <= p + n ? (size_t)(end - p) + 1 : 1;
            st = wa_error_set(err, WA_ERR_FORMAT, sh->path, r.line, WA_POS_NONE,
                              "malformed JSON near column %zu: expected one JSON object per line",
                              col);
            goto done;
        }
        /* trailing text after the object (other than blanks) is an error */
        if (end && !blank(end, (size_t)(p + n - end)))
            st = wa_error_set(err, WA_ERR_FORMAT, sh->path, r.line, WA_POS_NONE,
                              "unexpected text after the JSON object at column %zu",
                              (size_t)(end - p) + 1);
        else if (!cJSON_IsObject(root))
            st = ferr(&r, "expected a JSON object (%s) on each line", "{...}");
        else if ((nul_col = nul_escape_column(p, n)) != 0)
            st = wa_error_set(err, WA_ERR_FORMAT, sh->path, r.line, WA_POS_NONE,
                              "string contains a NUL character (\\u0000) at column %zu", nul_col);
        else if (P->index == 0 && !P->have_header)
            st = header_line(&r, P, root);
        else
            st = body_line(&r, P, root, &expect_line);
        if (ja.used == 0 || ja.spilled) cJSON_Delete(root);
        if (st != WA_OK) goto done;
    }
    P->lines = L.line_no;
done:
    tls_jarena = NULL;
    P->st = st;
    free(ja.base);
    free(L.buf);
    free(r.type_cache);
}

static void *part_thread(void *arg) {
    part *P = arg;
    parse_part(P);
    if (P->st != WA_OK) stop_parts_from(P->sh, P->index + 1);
    atomic_store(&P->done, 1);
    return NULL;
}

/* n bytes of the input at off into buf (or a pointer into memory input). */
static const char *input_at(const wa_input *in, uint64_t off, size_t *n, char *buf) {
    if (off >= in->size) return *n = 0, NULL;
    if (*n > in->size - off) *n = (size_t)(in->size - off);
    if (in->mem) return (const char *)in->mem + off;
    ssize_t r;
    do r = pread(in->fd, buf, *n, (off_t)off);
    while (r < 0 && errno == EINTR);
    if (r <= 0) return *n = 0, NULL;
    *n = (size_t)r;
    return buf;
}

/* Offset just past the first non-blank line (the header), if it ends within
 * the first SCAN_WINDOW bytes; 0 otherwise. */
static uint64_t header_end(const wa_input *in, char *buf) {
    size_t n = SCAN_WINDOW;
    const char *p = input_at(in, 0, &n, buf);
    size_t i = 0;
    while (p && i < n) {
        const char *nl = memchr(p + i, '\n', n - i);
        if (!nl) return 0;
        size_t len = (size_t)(nl - (p + i));
        if (!blank(p + i, len)) return i + len + 1;
        i += len + 1;
    }
    return 0;
}

/* The first line start at or after t (t >= 1), or the input size. */
static uint64_t line_start_from(const wa_input *in, uint64_t t, char *buf) {
    uint64_t pos = t - 1;
    for (;;) {
        size_t n = SCAN_WINDOW;
        const char *p = input_at(in, pos, &n, buf);
        if (!p) return in->size; /* the end, or a read error the part before will meet */
        const char *nl = memchr(p, '\n', n);
        if (nl) return pos + (uint64_t)(nl - p) + 1;
        pos += n;
    }
}

/* How many parts to read the input in: WA_JSONL_THREADS (1 = one thread,
 * N = N parts whatever the size) or, by default, one per CPU up to
 * AUTO_PARTS for inputs of PARALLEL_MIN bytes or more. Pipes: one. */
static unsigned parts_wanted(const wa_input *in) {
    if (in->size == UINT64_MAX) return 1;
    const char *e = getenv("WA_JSONL_THREADS");
    if (e && *e) {
        long v = strtol(e, NULL, 10);
        if (v >= 1) return v > (long)MAX_PARTS ? MAX_PARTS : (unsigned)v;
    }
    if (in->size < PARALLEL_MIN) return 1;
    long c = sysconf(_SC_NPROCESSORS_ONLN);
    return c <= 1 ? 1 : c > (long)AUTO_PARTS ? AUTO_PARTS : (unsigned)c;
}

/* Cut the input into at most `want` non-empty parts at line starts, the
 * first one holding the header line; returns how many. */
static unsigned plan_parts(const wa_input *in, part *parts, unsigned want) {
    parts[0].begin = 0;
    parts[0].end = in->size;
    if (want <= 1) return 1;
    char *buf = in->mem ? NULL : malloc(SCAN_WINDOW);
    if (!in->mem && !buf) return 1;
    unsigned n = 1;
    uint64_t hend = header_end(in, buf);
    if (hend > 0) {
        for (unsigned i = 1; i < want; i++) {
            uint64_t t = (uint64_t)((double)in->size * i / want);
            if (t < hend) t = hend;
            if (t < parts[n - 1].begin + 1) t = parts[n - 1].begin + 1;
            uint64_t at = line_start_from(in, t, buf);
            if (at >= in->size) break;
            if (at <= parts[n - 1].begin) continue;
            parts[n - 1].end = at;
            parts[n].begin = at;
            parts[n].end = in->size;
            n++;
        }
    }
    free(buf);
    return n;
}

wa_snapshot *wa_jsonl_read(const wa_input *in, wa_error *err) {
    pthread_once(&hooks_once, install_hooks);
    const char *path = in->path ? in->path : "";
    wa_snapshot *snap = NULL;
    unsigned want = parts_wanted(in);
    part *parts = calloc(want, sizeof *parts);
    if (!parts) {
        wa_error_set(err, WA_ERR_NOMEM, path, WA_POS_NONE, WA_POS_NONE, "out of memory");
        return NULL;
    }
    shared sh;
    memset(&sh, 0, sizeof sh);
    sh.in = in;
    sh.path = path;
    sh.parts = parts;
    sh.next_progress = PROGRESS_STEP;
    atomic_init(&sh.stop_from, MAX_PARTS);
    unsigned n = plan_parts(in, parts, want);
    sh.n = n;
    for (unsigned i = 0; i < n; i++) {
        part *P = &parts[i];
        P->sh = &sh;
        P->index = i;
        P->declared = -1;
        atomic_init(&P->consumed, 0);
        atomic_init(&P->at_line, 0);
        atomic_init(&P->done, 0);
        wa_error_clear(&P->err);
        P->b = wa_builder_new(err);
        if (!P->b) goto done;
    }
    wa_builder_set_locator(parts[0].b, locate_line, &parts[0].runs);

    for (unsigned i = 1; i < n; i++)
        parts[i].threaded = pthread_create(&parts[i].tid, NULL, part_thread, &parts[i]) == 0;
    parse_part(&parts[0]);
    if (parts[0].st != WA_OK) stop_parts_from(&sh, 1);
    /* the others: run here what could not start, keep reporting progress */
    int cancelled = 0;
    uint64_t cancel_line = WA_POS_NONE, lines_before = parts[0].lines;
    for (unsigned i = 1; i < n; i++) {
        part *P = &parts[i];
        if (!P->threaded) {
            if (i < atomic_load(&sh.stop_from))
                parse_part(P);
            else
                P->st = WA_ERR_ARG;
        } else {
            int polling = in->opts && in->opts->progress;
            while (polling && !cancelled && i < atomic_load(&sh.stop_from) &&
                   !atomic_load(&P->done)) {
                if (report_progress(&sh)) {
                    cancelled = 1;
                    cancel_line = lines_before + atomic_load(&P->at_line);
                    stop_parts_from(&sh, 1);
                    break;
                }
                struct timespec ts = {0, 2000000};
                nanosleep(&ts, NULL);
            }
            pthread_join(P->tid, NULL);
            P->threaded = 0;
        }
        if (P->st != WA_OK) stop_parts_from(&sh, i + 1);
        lines_before += P->lines;
    }
    if (cancelled) {
        wa_error_set(err, WA_ERR_ARG, path, cancel_line, WA_POS_NONE, "cancelled");
        goto done;
    }

    /* the first error in input order is the one a single thread would meet */
    lines_before = 0;
    for (unsigned i = 0; i < n; i++) {
        if (parts[i].st != WA_OK) {
            *err = parts[i].err;
            if (err->line != WA_POS_NONE) err->line += lines_before;
            goto done;
        }
        lines_before += parts[i].lines;
    }

    /* append the parts in order */
    part *P0 = &parts[0];
    lines_before = P0->lines;
    for (unsigned i = 1; i < n; i++) {
        part *P = &parts[i];
        line_runs *dr = &P0->runs;
        if (P->runs.n &&
            wa_grow((void **)&dr->v, &dr->cap, 2 * (dr->n + P->runs.n), 8, UINT64_MAX / 16)) {
            wa_error_set(err, WA_ERR_NOMEM, path, WA_POS_NONE, WA_POS_NONE, "out of memory");
            goto done;
        }
        for (uint64_t k = 0; k < P->runs.n; k++) {
            dr->v[2 * dr->n] = P->runs.v[2 * k] + P0->n_objects;
            dr->v[2 * dr->n + 1] = P->runs.v[2 * k + 1] + lines_before;
            dr->n++;
        }
        wa_status st = wa_builder_append(P0->b, P->b, lines_before, err);
        P->b = NULL;
        if (st != WA_OK) {
            if (!err->path[0]) snprintf(err->path, sizeof err->path, "%s", path);
            goto done;
        }
        P0->n_objects += P->n_objects;
        lines_before += P->lines;
    }
    if (!P0->have_header) {
        wa_error_set(err, WA_ERR_FORMAT, path, lines_before ? lines_before : 1, WA_POS_NONE,
                     "empty file: expected a header line {\"whyalive\": 1, ...}");
        goto done;
    }
    if (P0->declared >= 0 && (uint64_t)P0->declared != P0->n_objects) {
        wa_error_set(err, WA_ERR_FORMAT, path, lines_before, WA_POS_NONE,
                     "header declares %lld objects but the file has %llu object lines "
                     "(truncated file?)",
                     (long long)P0->declared, (unsigned long long)P0->n_objects);
        goto done;
    }
    snap = wa_builder_finish(P0->b, path, err);
    P0->b = NULL;
done:
    for (unsigned i = 0; i < n; i++) {
        part *P = &parts[i];
        if (P->threaded) pthread_join(P->tid, NULL);
        if (P->b) wa_builder_free(P->b);
        free(P->runs.v);
    }
    free(parts);
    return snap;
}
