/*
 * writer.c: the streaming wa_writer (both formats) and wa_snapshot_save() on
 * top of it.
 *
 * Binary streaming: begin(n) fixes the OBJECTS and OUT_OFFSETS regions
 * right after the file header (both sizes follow from n), so object records
 * and edge offsets go to their final place through two streams and edges
 * stream through a third into the EDGES section behind them. Nothing is held
 * per object: only strings, types, roots and sites wait in memory for
 * commit(), which appends them, the table of contents and the footer.
 *
 * JSON Lines streaming: the header at begin (with a fixed-width "seconds"
 * field that commit overwrites in place), one line per object (the newest
 * line is held open so that the site given right after its object lands in
 * the same line), root lines at the end.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/snapshot_impl.h"
#include "core/util.h"
#include "format/format_impl.h"
#include "whyalive/version.h"

#define STREAM_BUF (1u << 18)     /* 256 KiB: the dumper's budget is per object, not per write */
#define OFFS_BUF (STREAM_BUF / 8) /* 4 bytes per object against OBJECTS' 40 */

/* Width of the JSON Lines header's "seconds" value: any finite double in
 * %.17g takes at most 24 characters ("-1.2345678901234567e-308"), so every
 * value fits, exactly, and is right-aligned after blanks (JSON whitespace). */
#define SECONDS_WIDTH 24

struct wa_writer {
    wa_format fmt;
    wa_outfile f;
    wa_strtab str;
    wa_typetab types;
    wa_arena meta_arena;
    wa_meta meta;
    int begun, broken, have_meta;
    wa_compression compression;
    int site_open;           /* the last call wrote object next - 1: its site may follow */
    uint64_t obj_edges_left; /* edges of object next - 1 still to come (wa_writer_edges) */
    uint64_t obj_edge_i;     /* edges of that object written so far */
    uint32_t n_objects, next;
    uint64_t n_edges, n_roots;

    /* binary */
    wa_stream objs, offs, edges;
    uint64_t offs_hdr, edges_hdr;
    wa_edge *ebuf;
    uint64_t ebuf_cap;
    wa_root *roots;
    uint64_t roots_cap;
    uint32_t *sites;
    uint64_t n_sites, sites_cap;

    /* JSON Lines */
    wa_stream out;
    wa_buf line;
    int pending;          /* line holds an object not yet closed */
    size_t site_at;       /* where the pending object's "site" field starts, 0: none */
    uint64_t seconds_off; /* file offset of the header's seconds value */
    wa_buf header;        /* the header line, written at commit */
    wa_buf *type_json;    /* per type: the JSON string of its type name */
    uint64_t type_json_n;
};

static wa_status fail(wa_writer *w, wa_error *err, wa_status code, const char *fmt, const char *a) {
    w->broken = 1;
    return wa_error_set(err, code, w->f.path, WA_POS_NONE, WA_POS_NONE, fmt, a);
}

wa_writer *wa_writer_open(const char *path, wa_format format, wa_error *err) {
    wa_writer *w = calloc(1, sizeof *w);
    if (!w) {
        wa_error_set(err, WA_ERR_NOMEM, path, WA_POS_NONE, WA_POS_NONE, "out of memory");
        return NULL;
    }
    w->fmt = format == WA_FORMAT_AUTO ? wa_format_from_path(path) : format;
    if (w->fmt != WA_FORMAT_JSONL && w->fmt != WA_FORMAT_BINARY) {
        wa_error_set(err, WA_ERR_ARG, path, WA_POS_NONE, WA_POS_NONE, "unknown output format");
        free(w);
        return NULL;
    }
    wa_arena_init(&w->meta_arena);
    wa_typetab_init(&w->types);
    w->meta.tool_version = WA_VERSION;
    w->meta.python_version = w->meta.implementation = w->meta.host = w->meta.time = "";
    w->meta.pid = -1;
    if (wa_strtab_init(&w->str, 1, err) != WA_OK) {
        free(w);
        return NULL;
    }
    if (wa_outfile_open(&w->f, path, err) != WA_OK) {
        wa_strtab_free(&w->str);
        free(w);
        return NULL;
    }
    return w;
}

static void writer_free(wa_writer *w) {
    wa_strtab_free(&w->str);
    wa_typetab_free(&w->types);
    wa_arena_free(&w->meta_arena);
    wa_stream_free(&w->objs);
    wa_stream_free(&w->offs);
    wa_stream_free(&w->edges);
    wa_stream_free(&w->out);
    free(w->ebuf);
    free(w->roots);
    free(w->sites);
    free(w->line.data);
    free(w->header.data);
    for (uint64_t i = 0; i < w->type_json_n; i++) free(w->type_json[i].data);
    free(w->type_json);
    free(w);
}

void wa_writer_abort(wa_writer *w) {
    if (!w) return;
    wa_outfile_abort(&w->f);
    writer_free(w);
}

wa_status wa_writer_compress(wa_writer *w, wa_compression c, int level, wa_error *err) {
    if (w->begun || w->broken)
        return fail(w, err, WA_ERR_ARG, "%s", "wa_writer_compress after wa_writer_begin");
    if (c != WA_COMPRESSION_NONE && c != WA_COMPRESSION_GZIP && c != WA_COMPRESSION_ZSTD)
        return fail(w, err, WA_ERR_ARG, "%s", "unknown compression");
    wa_status st = wa_outfile_compress(&w->f, c, level, err);
    if (st != WA_OK) {
        w->broken = 1;
        return st;
    }
    w->compression = c;
    return WA_OK;
}

wa_status wa_writer_meta(wa_writer *w, const wa_meta *m, wa_error *err) {
    if (w->begun) return fail(w, err, WA_ERR_ARG, "%s", "wa_writer_meta after wa_writer_begin");
    wa_arena *a = &w->meta_arena;
    w->meta = *m;
#define DUP(f) w->meta.f = wa_arena_strdup(a, m->f ? m->f : "")
    DUP(tool_version);
    DUP(python_version);
    DUP(implementation);
    DUP(host);
    DUP(time);
#undef DUP
    w->meta.argv = NULL;
    w->meta.argc = 0;
    if (m->argc && m->argv) {
        const char **argv = wa_arena_alloc(a, (size_t)m->argc * sizeof *argv);
        if (!argv) return fail(w, err, WA_ERR_NOMEM, "%s", "out of memory");
        for (uint32_t i = 0; i < m->argc; i++)
            argv[i] = wa_arena_strdup(a, m->argv[i] ? m->argv[i] : "");
        w->meta.argv = argv;
        w->meta.argc = m->argc;
    }
    w->have_meta = 1;
    return WA_OK;
}

wa_status wa_writer_set_seconds(wa_writer *w, double seconds, wa_error *err) {
    if (w->broken)
        return fail(w, err, WA_ERR_ARG, "%s", "wa_writer_set_seconds: the writer failed earlier");
    if (!w->have_meta)
        return fail(w, err, WA_ERR_ARG, "%s", "wa_writer_set_seconds before wa_writer_meta");
    if (!isfinite(seconds) || seconds < 0)
        return fail(w, err, WA_ERR_ARG, "%s",
                    "wa_writer_set_seconds: seconds must be a finite number >= 0");
    w->meta.seconds = seconds;
    return WA_OK;
}

/* The fixed-width "seconds" value of a JSON Lines header: blanks, then the
 * number in %.17g (exact), or 0 when there is none. */
static void seconds_field(char out[SECONDS_WIDTH], double v) {
    char t[40];
    int n = isfinite(v) && v != 0 ? snprintf(t, sizeof t, "%.17g", v) : 0;
    if (n <= 0 || n > SECONDS_WIDTH) {
        t[0] = '0';
        n = 1;
    }
    for (int i = 0; i < n; i++)
        if (t[i] == ',') t[i] = '.'; /* a decimal comma from a process's LC_NUMERIC */
    memset(out, ' ', SECONDS_WIDTH);
    memcpy(out + SECONDS_WIDTH - n, t, (size_t)n);
}

uint32_t wa_writer_intern(wa_writer *w, const char *s, size_t len, wa_error *err) {
    uint32_t id = wa_strtab_intern(&w->str, s, len, err);
    if (id == WA_NONE && err)
        snprintf(err->path, sizeof err->path, "%s", w->f.path ? w->f.path : "");
    return id;
}

uint32_t wa_writer_type(wa_writer *w, const char *name, const char *module, wa_error *err) {
    uint32_t n = wa_writer_intern(w, name, strlen(name), err);
    uint32_t m = n == WA_NONE ? WA_NONE : wa_writer_intern(w, module, strlen(module), err);
    if (m == WA_NONE) return WA_NONE;
    return wa_typetab_add(&w->types, n, m, err);
}

/* "0x..." with quotes: the JSON Lines address form. */
static wa_status write_u64_hex(wa_buf *b, uint64_t v) {
    if (wa_buf_reserve(b, 22)) return WA_ERR_NOMEM;
    int nib = v ? (64 - __builtin_clzll(v) + 3) / 4 : 1;
    char *o = b->data + b->len;
    o[0] = '"';
    o[1] = '0';
    o[2] = 'x';
    for (int i = nib - 1; i >= 0; i--, v >>= 4) o[3 + i] = "0123456789abcdef"[v & 15];
    o[3 + nib] = '"';
    wa_buf_commit(b, (size_t)nib + 4);
    return WA_OK;
}

static int write_u64(wa_buf *b, uint64_t v) {
    char t[24];
    int i = 24;
    do {
        t[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return wa_buf_put(b, t + i, (size_t)(24 - i));
}

wa_status wa_writer_begin(wa_writer *w, uint32_t n, wa_error *err) {
    if (w->begun || w->broken)
        return fail(w, err, WA_ERR_ARG, "%s", "wa_writer_begin called twice");
    if (n > WA_MAX_OBJECTS) return fail(w, err, WA_ERR_LIMIT, "%s", "too many objects");
    w->begun = 1;
    w->n_objects = n;
    if (w->fmt == WA_FORMAT_BINARY) {
        /* header | OBJECTS (40 n) | OUT_OFFSETS (4 (n + 1), padded to 8) | EDGES ... */
        unsigned char hdr[WA_BIN_HEADER_SIZE] = {0};
        memcpy(hdr, WA_BIN_MAGIC, 8);
        uint32_t v[4] = {WA_BIN_VERSION, 0, WA_BIN_HEADER_SIZE, 8};
        memcpy(hdr + 8, v, 16);
        uint64_t objs_len = (uint64_t)n * sizeof(wa_object);
        uint64_t offs_len = ((uint64_t)n + 1) * 4;
        unsigned char sh[WA_BIN_SECTION_HEADER] = {0}, oh[WA_BIN_SECTION_HEADER] = {0};
        uint32_t id = WA_SEC_OBJECTS, oid = WA_SEC_OUT_OFFSETS, zero = 0;
        memcpy(sh, &id, 4);
        memcpy(sh + 8, &objs_len, 8);
        memcpy(oh, &oid, 4);
        memcpy(oh + 8, &offs_len, 8);
        w->offs_hdr = WA_BIN_HEADER_SIZE + WA_BIN_SECTION_HEADER + objs_len;
        w->edges_hdr = w->offs_hdr + WA_BIN_SECTION_HEADER + ((offs_len + 7) & ~(uint64_t)7);
        if (wa_outfile_pwrite(&w->f, hdr, sizeof hdr, 0, err) != WA_OK ||
            wa_outfile_pwrite(&w->f, sh, sizeof sh, WA_BIN_HEADER_SIZE, err) != WA_OK ||
            wa_outfile_pwrite(&w->f, oh, sizeof oh, w->offs_hdr, err) != WA_OK ||
            wa_stream_init(&w->objs, &w->f, WA_BIN_HEADER_SIZE + WA_BIN_SECTION_HEADER, STREAM_BUF,
                           err) != WA_OK ||
            wa_stream_init(&w->offs, &w->f, w->offs_hdr + WA_BIN_SECTION_HEADER, OFFS_BUF, err) !=
                WA_OK ||
            wa_stream_init(&w->edges, &w->f, w->edges_hdr + WA_BIN_SECTION_HEADER, STREAM_BUF,
                           err) != WA_OK ||
            wa_stream_write(&w->offs, &zero, 4, err) != WA_OK) {
            w->broken = 1;
            return err ? err->code : WA_ERR_IO;
        }
        return WA_OK;
    }
    if (wa_stream_init(&w->out, &w->f, 0, STREAM_BUF, err) != WA_OK) {
        w->broken = 1;
        return err ? err->code : WA_ERR_IO;
    }
    /* The header line with "seconds" last and fixed-width, patched at commit:
     * ...,"dangling_edges":0,"seconds":<SECONDS_WIDTH bytes>} */
    wa_buf h = {0};
    wa_meta m = w->meta;
    m.seconds = 0; /* wa_meta_to_json leaves it out */
    char sf[SECONDS_WIDTH];
    seconds_field(sf, w->meta.seconds);
    int r = wa_meta_to_json(&h, &m, n, w->meta.dangling_edges);
    if (!r && h.len && h.data[h.len - 1] == '}') {
        wa_buf_truncate(&h, h.len - 1);
        r |= wa_buf_put(&h, ",\"seconds\":", 11);
        w->seconds_off = h.len;
        r |= wa_buf_put(&h, sf, sizeof sf) | wa_buf_put(&h, "}\n", 2);
    } else {
        r = -1;
    }
    if (r) {
        free(h.data);
        return fail(w, err, WA_ERR_NOMEM, "%s", "out of memory");
    }
    /* The lines follow the header, which is written at commit with its
     * final "seconds" (in place, not patched: a compressed file has no
     * place to patch). */
    w->header = h;
    w->out.pos = h.len;
    return WA_OK;
}

static int label_ok(const wa_writer *w, uint32_t label) {
    wa_edge_kind k = WA_LABEL_KIND(label);
    return (unsigned)k < WA_EDGE_KIND_COUNT &&
           (k == WA_EDGE_INDEX || WA_LABEL_PAYLOAD(label) < w->str.n);
}

/* JSON string of a type name in the form that reads back to (name, module). */
static wa_buf *type_json(wa_writer *w, uint32_t t) {
    if (t >= w->type_json_n) {
        uint64_t old = w->type_json_n, cap = old;
        if (wa_grow((void **)&w->type_json, &cap, (uint64_t)w->types.n, sizeof *w->type_json,
                    UINT32_MAX))
            return NULL;
        memset(w->type_json + old, 0, (size_t)(cap - old) * sizeof *w->type_json);
        w->type_json_n = cap;
    }
    wa_buf *b = &w->type_json[t];
    if (b->len) return b;
    const char *name = wa_strtab_get(&w->str, w->types.types[t].name);
    const char *mod = wa_strtab_get(&w->str, w->types.types[t].module);
    size_t ml = strlen(mod), nl = strlen(name);
    int r;
    if (ml && nl > ml + 1 && memcmp(name, mod, ml) == 0 && name[ml] == '.') {
        const char *qual = name + ml + 1;
        if (strchr(qual, '.') || strchr(name, ':')) {
            wa_buf tmp = {0};
            r = wa_buf_put(&tmp, mod, ml) | wa_buf_put(&tmp, ":", 1) |
                wa_buf_put(&tmp, qual, strlen(qual));
            r |= r ? 0 : wa_json_string(b, tmp.data, tmp.len);
            free(tmp.data);
        } else {
            r = wa_json_string(b, name, nl);
        }
    } else {
        /* Not "module.qual": closest readable form. */
        wa_buf tmp = {0};
        r = wa_buf_put(&tmp, ml ? mod : "builtins", ml ? ml : 8) | wa_buf_put(&tmp, ":", 1) |
            wa_buf_put(&tmp, nl ? name : "?", nl ? nl : 1);
        r |= r ? 0 : wa_json_string(b, tmp.data, tmp.len);
        free(tmp.data);
    }
    return r ? NULL : b;
}

static wa_status jsonl_close_pending(wa_writer *w, wa_error *err) {
    if (!w->pending) return WA_OK;
    w->pending = 0;
    if (wa_buf_put(&w->line, "}\n", 2)) return fail(w, err, WA_ERR_NOMEM, "%s", "out of memory");
    wa_status st = wa_stream_write(&w->out, w->line.data, w->line.len, err);
    wa_buf_truncate(&w->line, 0);
    if (st != WA_OK) w->broken = 1;
    return st;
}

static int json_str_id(wa_buf *b, const wa_writer *w, uint32_t id) {
    const char *s = wa_strtab_get(&w->str, id);
    return wa_json_string(b, s, (size_t)(w->str.off[id + 1] - w->str.off[id] - 1));
}

/* The line of an object up to its refs; the line stays open (pending). */
static wa_status jsonl_object_head(wa_writer *w, const wa_object *o, uint64_t ne, wa_error *err) {
    if (jsonl_close_pending(w, err) != WA_OK) return err ? err->code : WA_ERR_IO;
    wa_buf *b = &w->line;
    wa_buf *tj = type_json(w, o->type);
    int r = !tj;
    r |= wa_buf_put(b, "{\"addr\":", 8);
    r |= write_u64_hex(b, o->addr) != WA_OK;
    r |= wa_buf_put(b, ",\"type\":", 8);
    if (tj) r |= wa_buf_put(b, tj->data, tj->len);
    r |= wa_buf_put(b, ",\"size\":", 8) | write_u64(b, o->size);
    r |= wa_buf_put(b, ",\"rc\":", 6) | write_u64(b, o->refcount);
    uint32_t fl = o->flags & (WA_OBJ_GC_TRACKED | WA_OBJ_IMMORTAL | WA_OBJ_IS_TYPE |
                              WA_OBJ_IS_MODULE | WA_OBJ_TRUNCATED);
    if (fl) {
        static const char *const names[] = {"\"gc\"",   "\"immortal\"", NULL,
                                            "\"type\"", "\"module\"",   "\"truncated\""};
        r |= wa_buf_put(b, ",\"flags\":[", 10);
        int first = 1;
        for (int i = 0; i < 6; i++) {
            if (!names[i] || !(fl & (1u << i))) continue;
            if (!first) r |= wa_buf_put(b, ",", 1);
            r |= wa_buf_put(b, names[i], strlen(names[i]));
            first = 0;
        }
        r |= wa_buf_put(b, "]", 1);
    }
    if (o->flags & WA_OBJ_HAS_LEN) r |= wa_buf_put(b, ",\"len\":", 7) | write_u64(b, o->length);
    if (o->name) r |= wa_buf_put(b, ",\"name\":", 8) | json_str_id(b, w, o->name);
    if (o->value) r |= wa_buf_put(b, ",\"value\":", 9) | json_str_id(b, w, o->value);
    if (ne) r |= wa_buf_put(b, ",\"refs\":[", 9);
    if (r) return fail(w, err, WA_ERR_NOMEM, "%s", "out of memory");
    w->pending = 1;
    w->site_at = 0;
    return WA_OK;
}

/* Part of an object's refs; a long line goes to the stream in pieces, so
 * the line buffer stays small whatever the object's size. */
static wa_status jsonl_edges(wa_writer *w, const wa_writer_edge *e, uint32_t ne, int last,
                             wa_error *err) {
    wa_buf *b = &w->line;
    int r = 0;
    for (uint32_t i = 0; i < ne; i++) {
        wa_edge_kind k = WA_LABEL_KIND(e[i].label);
        uint32_t p = WA_LABEL_PAYLOAD(e[i].label);
        int first = w->obj_edge_i++ == 0;
        r |= wa_buf_put(b, first ? "[" : ",[", first ? 1 : 2);
        r |= write_u64_hex(b, e[i].to_addr) != WA_OK;
        if (k != WA_EDGE_OTHER || p) {
            const char *kn = wa_edge_kind_name(k);
            r |= wa_buf_put(b, ",\"", 2) | wa_buf_put(b, kn, strlen(kn)) | wa_buf_put(b, "\"", 1);
            if (k == WA_EDGE_INDEX)
                r |= wa_buf_put(b, ",", 1) | write_u64(b, p);
            else if (p)
                r |= wa_buf_put(b, ",", 1) | json_str_id(b, w, p);
        }
        r |= wa_buf_put(b, "]", 1);
        if (!r && b->len >= STREAM_BUF) {
            wa_status st = wa_stream_write(&w->out, b->data, b->len, err);
            wa_buf_truncate(b, 0);
            if (st != WA_OK) {
                w->broken = 1;
                return st;
            }
        }
    }
    if (last) r |= wa_buf_put(b, "]", 1);
    if (r) return fail(w, err, WA_ERR_NOMEM, "%s", "out of memory");
    return WA_OK;
}

wa_status wa_writer_object_begin(wa_writer *w, const wa_object *o, uint64_t ne, wa_error *err) {
    if (!w->begun || w->broken)
        return fail(w, err, WA_ERR_ARG, "%s", "writer not begun or already failed");
    if (w->obj_edges_left)
        return fail(w, err, WA_ERR_ARG, "%s", "the previous object's edges were not all given");
    if (w->next >= w->n_objects)
        return fail(w, err, WA_ERR_ARG, "%s", "more objects than announced to wa_writer_begin");
    if (o->type >= w->types.n || o->name >= w->str.n || o->value >= w->str.n)
        return fail(w, err, WA_ERR_ARG, "%s", "object type or string id out of range");
    if (ne > WA_MAX_EDGES - w->n_edges) return fail(w, err, WA_ERR_LIMIT, "%s", "too many edges");
    wa_status st;
    if (w->fmt == WA_FORMAT_JSONL) {
        st = jsonl_object_head(w, o, ne, err);
    } else {
        st = wa_stream_write(&w->objs, o, sizeof *o, err);
        uint32_t end = (uint32_t)(w->n_edges + ne); /* <= WA_MAX_EDGES, checked above */
        if (st == WA_OK) st = wa_stream_write(&w->offs, &end, 4, err);
    }
    if (st != WA_OK) {
        w->broken = 1;
        return st;
    }
    w->n_edges += ne;
    w->next++;
    w->obj_edges_left = ne;
    w->obj_edge_i = 0;
    w->site_open = ne == 0;
    return WA_OK;
}

wa_status wa_writer_edges(wa_writer *w, const wa_writer_edge *e, uint32_t ne, wa_error *err) {
    if (!w->begun || w->broken)
        return fail(w, err, WA_ERR_ARG, "%s", "writer not begun or already failed");
    if (!w->obj_edges_left) {
        if (ne == 0) return WA_OK; /* nothing owed, nothing given: no change */
        return fail(w, err, WA_ERR_ARG, "%s", "wa_writer_edges: no object is waiting for edges");
    }
    if (ne > w->obj_edges_left)
        return fail(w, err, WA_ERR_ARG, "%s",
                    "more edges than announced to wa_writer_object_begin");
    for (uint32_t i = 0; i < ne; i++)
        if (e[i].to >= w->n_objects || !label_ok(w, e[i].label))
            return fail(w, err, WA_ERR_ARG, "%s", "edge target index or label out of range");
    int last = ne == w->obj_edges_left;
    wa_status st = WA_OK;
    if (w->fmt == WA_FORMAT_JSONL) {
        st = jsonl_edges(w, e, ne, last, err);
    } else {
        /* through a bounded buffer: no per-object scratch of the edge count */
        enum { CHUNK = 4096 };
        if (ne && wa_grow((void **)&w->ebuf, &w->ebuf_cap, ne < CHUNK ? ne : CHUNK, sizeof *w->ebuf,
                          CHUNK))
            return fail(w, err, WA_ERR_NOMEM, "%s", "out of memory");
        for (uint32_t a = 0; a < ne && st == WA_OK; a += CHUNK) {
            uint32_t k = ne - a < CHUNK ? ne - a : CHUNK;
            for (uint32_t i = 0; i < k; i++) {
                w->ebuf[i].to = e[a + i].to;
                w->ebuf[i].label = e[a + i].label;
            }
            st = wa_stream_write(&w->edges, w->ebuf, (size_t)k * sizeof *w->ebuf, err);
        }
    }
    if (st != WA_OK) {
        w->broken = 1;
        return st;
    }
    w->obj_edges_left -= ne;
    w->site_open = w->obj_edges_left == 0;
    return WA_OK;
}

wa_status wa_writer_object(wa_writer *w, const wa_object *o, const wa_writer_edge *e, uint32_t ne,
                           wa_error *err) {
    for (uint32_t i = 0; i < ne; i++)
        if (e[i].to >= w->n_objects || !label_ok(w, e[i].label))
            return fail(w, err, WA_ERR_ARG, "%s", "edge target index or label out of range");
    wa_status st = wa_writer_object_begin(w, o, ne, err);
    if (st == WA_OK && ne) st = wa_writer_edges(w, e, ne, err);
    return st;
}

wa_status wa_writer_site(wa_writer *w, uint32_t index, uint32_t site, wa_error *err) {
    if (w->broken)
        return fail(w, err, WA_ERR_ARG, "%s", "wa_writer_site: the writer failed earlier");
    if (!w->site_open || w->next == 0 || index != w->next - 1) {
        w->broken = 1;
        if (w->site_open && w->next && index >= w->next)
            return wa_error_set(
                err, WA_ERR_ARG, w->f.path, WA_POS_NONE, WA_POS_NONE,
                "wa_writer_site: object %u is not written yet (a site must directly "
                "follow its object's wa_writer_object call)",
                index);
        return wa_error_set(err, WA_ERR_ARG, w->f.path, WA_POS_NONE, WA_POS_NONE,
                            "wa_writer_site: object %u is not the object just written (a site must "
                            "directly follow its object's wa_writer_object call)",
                            index);
    }
    if (site >= w->str.n)
        return fail(w, err, WA_ERR_ARG, "%s", "wa_writer_site: site string id out of range");
    if (site == 0) return WA_OK;
    if (w->fmt == WA_FORMAT_JSONL) {
        /* the object's line is still open: add the field, or replace the
         * site given before for the same object (the last one wins) */
        if (w->site_at)
            wa_buf_truncate(&w->line, w->site_at);
        else
            w->site_at = w->line.len;
        int r = wa_buf_put(&w->line, ",\"site\":", 8) | json_str_id(&w->line, w, site);
        return r ? fail(w, err, WA_ERR_NOMEM, "%s", "out of memory") : WA_OK;
    }
    /* sites arrive in object order; the last one given for an object wins */
    if (w->n_sites && w->sites[2 * (w->n_sites - 1)] == index) {
        w->sites[2 * (w->n_sites - 1) + 1] = site;
        return WA_OK;
    }
    if (wa_grow((void **)&w->sites, &w->sites_cap, 2 * (w->n_sites + 1), 4,
                (uint64_t)WA_MAX_OBJECTS * 2))
        return fail(w, err, WA_ERR_NOMEM, "%s", "out of memory");
    w->sites[2 * w->n_sites] = index;
    w->sites[2 * w->n_sites + 1] = site;
    w->n_sites++;
    return WA_OK;
}

wa_status wa_writer_root(wa_writer *w, uint32_t index, uint64_t addr, wa_root_kind kind,
                         uint32_t label, uint32_t excess, wa_error *err) {
    if (w->broken || !w->begun || index >= w->n_objects || (unsigned)kind >= WA_ROOT_KIND_COUNT ||
        label >= w->str.n)
        return fail(w, err, WA_ERR_ARG, "%s", "root: bad object index, kind or label");
    if (w->obj_edges_left)
        return fail(w, err, WA_ERR_ARG, "%s", "root: the last object's edges were not all given");
    w->site_open = 0;
    w->n_roots++;
    if (w->fmt == WA_FORMAT_JSONL) {
        if (jsonl_close_pending(w, err) != WA_OK) return err ? err->code : WA_ERR_IO;
        wa_buf *b = &w->line;
        const char *kn = wa_root_kind_name(kind);
        int r = wa_buf_put(b, "{\"root\":\"", 9) | wa_buf_put(b, kn, strlen(kn)) |
                wa_buf_put(b, "\",\"obj\":", 8) | (write_u64_hex(b, addr) != WA_OK);
        if (label) r |= wa_buf_put(b, ",\"label\":", 9) | json_str_id(b, w, label);
        if (excess) r |= wa_buf_put(b, ",\"excess\":", 10) | write_u64(b, excess);
        w->pending = 1;
        return r ? fail(w, err, WA_ERR_NOMEM, "%s", "out of memory") : WA_OK;
    }
    if (wa_grow((void **)&w->roots, &w->roots_cap, w->n_roots, sizeof *w->roots, WA_MAX_OBJECTS))
        return fail(w, err, WA_ERR_NOMEM, "%s", "out of memory");
    wa_root *r = &w->roots[w->n_roots - 1];
    r->obj = index;
    r->kind = (uint32_t)kind;
    r->label = label;
    r->excess = excess;
    return WA_OK;
}

/* ---------------- binary commit ---------------- */

typedef struct toc_entry {
    uint32_t id, flags;
    uint64_t offset, length, checksum;
} toc_entry;

/* A section written in parts: header, payload parts, padding to 8. */
typedef struct sec {
    toc_entry *t;
    wa_csum c;
} sec;

static wa_status sec_begin(wa_stream *s, sec *x, toc_entry *t, uint32_t id, uint64_t len,
                           wa_error *err) {
    unsigned char sh[WA_BIN_SECTION_HEADER] = {0};
    memcpy(sh, &id, 4);
    memcpy(sh + 8, &len, 8);
    x->t = t;
    t->id = id;
    t->flags = 0;
    t->length = len;
    wa_csum_init(&x->c);
    wa_status st = wa_stream_write(s, sh, sizeof sh, err);
    t->offset = s->pos + s->n;
    return st;
}

static wa_status sec_part(wa_stream *s, sec *x, const void *data, uint64_t len, wa_error *err) {
    if (!len) return WA_OK;
    wa_csum_update(&x->c, data, (size_t)len);
    return wa_stream_write(s, data, (size_t)len, err);
}

static wa_status sec_end(wa_stream *s, sec *x, wa_error *err) {
    static const unsigned char zero[8] = {0};
    x->t->checksum = wa_csum_final(&x->c);
    uint64_t len = x->t->length;
    return (len & 7) ? wa_stream_write(s, zero, (size_t)(8 - (len & 7)), err) : WA_OK;
}

static wa_status sec_whole(wa_stream *s, toc_entry *t, uint32_t id, const void *data, uint64_t len,
                           wa_error *err) {
    sec x;
    wa_status st = sec_begin(s, &x, t, id, len, err);
    if (st == WA_OK) st = sec_part(s, &x, data, len, err);
    if (st == WA_OK) st = sec_end(s, &x, err);
    return st;
}

static wa_status binary_commit(wa_writer *w, uint64_t *bytes, wa_error *err) {
    toc_entry toc[WA_SEC_MAX];
    uint32_t nt = 0;
    static const unsigned char zero[8] = {0};
    toc[nt].id = WA_SEC_OBJECTS;
    toc[nt].flags = 0;
    toc[nt].offset = WA_BIN_HEADER_SIZE + WA_BIN_SECTION_HEADER;
    toc[nt].length = w->objs.written;
    toc[nt].checksum = wa_csum_final(&w->objs.csum);
    nt++;
    toc[nt].id = WA_SEC_OUT_OFFSETS;
    toc[nt].flags = 0;
    toc[nt].offset = w->offs_hdr + WA_BIN_SECTION_HEADER;
    toc[nt].length = w->offs.written; /* 4 (n + 1): every object was written */
    toc[nt].checksum = wa_csum_final(&w->offs.csum);
    nt++;
    /* padding after the payload, outside the checksum */
    if ((w->offs.written & 7) &&
        wa_stream_write(&w->offs, zero, (size_t)(8 - (w->offs.written & 7)), err) != WA_OK)
        return err ? err->code : WA_ERR_IO;
    if (wa_stream_flush(&w->objs, err) != WA_OK || wa_stream_flush(&w->offs, err) != WA_OK ||
        wa_stream_flush(&w->edges, err) != WA_OK)
        return err ? err->code : WA_ERR_IO;
    unsigned char sh[WA_BIN_SECTION_HEADER] = {0};
    uint32_t id = WA_SEC_EDGES;
    uint64_t elen = w->edges.written;
    memcpy(sh, &id, 4);
    memcpy(sh + 8, &elen, 8);
    if (wa_outfile_pwrite(&w->f, sh, sizeof sh, w->edges_hdr, err) != WA_OK)
        return err ? err->code : WA_ERR_IO;
    toc[nt].id = WA_SEC_EDGES;
    toc[nt].flags = 0;
    toc[nt].offset = w->edges_hdr + WA_BIN_SECTION_HEADER;
    toc[nt].length = elen;
    toc[nt].checksum = wa_csum_final(&w->edges.csum);
    nt++;

    uint64_t n_sites = w->n_sites; /* strictly increasing object indexes, see wa_writer_site */
    wa_buf meta = {0};
    if (wa_meta_to_json(&meta, &w->meta, w->n_objects, w->meta.dangling_edges))
        return fail(w, err, WA_ERR_NOMEM, "%s", "out of memory");

    wa_stream s;
    if (wa_stream_init(&s, &w->f, w->edges_hdr + WA_BIN_SECTION_HEADER + elen, STREAM_BUF, err) !=
        WA_OK) {
        free(meta.data);
        return err ? err->code : WA_ERR_IO;
    }
    wa_status st =
        sec_whole(&s, &toc[nt++], WA_SEC_ROOTS, w->roots, w->n_roots * sizeof(wa_root), err);
    if (st == WA_OK) st = sec_whole(&s, &toc[nt++], WA_SEC_SITES, w->sites, n_sites * 8, err);
    if (st == WA_OK)
        st = sec_whole(&s, &toc[nt++], WA_SEC_TYPES, w->types.types,
                       (uint64_t)w->types.n * sizeof(wa_type), err);
    if (st == WA_OK) {
        sec x;
        uint64_t count = w->str.n;
        uint64_t len = 8 + (count + 1) * 8 + w->str.len;
        st = sec_begin(&s, &x, &toc[nt++], WA_SEC_STRINGS, len, err);
        if (st == WA_OK) st = sec_part(&s, &x, &count, 8, err);
        if (st == WA_OK) st = sec_part(&s, &x, w->str.off, (count + 1) * 8, err);
        if (st == WA_OK) st = sec_part(&s, &x, w->str.blob, w->str.len, err);
        if (st == WA_OK) st = sec_end(&s, &x, err);
    }
    if (st == WA_OK) st = sec_whole(&s, &toc[nt++], WA_SEC_META, meta.data, meta.len, err);
    free(meta.data);
    if (st == WA_OK) {
        uint64_t toc_off = s.pos + s.n;
        unsigned char tb[WA_SEC_MAX * WA_BIN_TOC_ENTRY];
        for (uint32_t i = 0; i < nt; i++) {
            unsigned char *p = tb + i * WA_BIN_TOC_ENTRY;
            memcpy(p, &toc[i].id, 4);
            memcpy(p + 4, &toc[i].flags, 4);
            memcpy(p + 8, &toc[i].offset, 8);
            memcpy(p + 16, &toc[i].length, 8);
            memcpy(p + 24, &toc[i].checksum, 8);
        }
        unsigned char foot[WA_BIN_FOOTER_SIZE] = {0};
        uint64_t tsum = wa_checksum(tb, (size_t)nt * WA_BIN_TOC_ENTRY);
        memcpy(foot, &toc_off, 8);
        memcpy(foot + 8, &nt, 4);
        memcpy(foot + 16, &tsum, 8);
        memcpy(foot + 24, WA_BIN_END_MAGIC, 8);
        st = wa_stream_write(&s, tb, (size_t)nt * WA_BIN_TOC_ENTRY, err);
        if (st == WA_OK) st = wa_stream_write(&s, foot, sizeof foot, err);
        if (st == WA_OK) st = wa_stream_flush(&s, err);
        *bytes = s.pos;
    }
    wa_stream_free(&s);
    return st;
}

wa_status wa_writer_commit(wa_writer *w, wa_writer_stats *stats, wa_error *err) {
    wa_status st = WA_OK;
    uint64_t bytes = 0;
    if (w->broken) {
        st = wa_error_set(err, WA_ERR_ARG, w->f.path, WA_POS_NONE, WA_POS_NONE,
                          "the writer failed earlier; nothing was written");
    } else if (!w->begun || w->next != w->n_objects) {
        st =
            wa_error_set(err, WA_ERR_ARG, w->f.path, WA_POS_NONE, WA_POS_NONE,
                         "only %u of the %u objects announced were written", w->next, w->n_objects);
    } else if (w->obj_edges_left) {
        st = wa_error_set(err, WA_ERR_ARG, w->f.path, WA_POS_NONE, WA_POS_NONE,
                          "the last object's edges were not all given");
    } else if (w->fmt == WA_FORMAT_BINARY) {
        st = binary_commit(w, &bytes, err);
    } else {
        st = jsonl_close_pending(w, err);
        if (st == WA_OK) st = wa_stream_flush(&w->out, err);
        bytes = w->out.pos;
        /* the header line, with the final seconds */
        char sf[SECONDS_WIDTH];
        seconds_field(sf, w->meta.seconds);
        memcpy(w->header.data + w->seconds_off, sf, sizeof sf);
        if (st == WA_OK) st = wa_outfile_pwrite(&w->f, w->header.data, w->header.len, 0, err);
    }
    if (st == WA_OK)
        st = wa_outfile_commit(&w->f, err);
    else
        wa_outfile_abort(&w->f);
    if (st == WA_OK && w->compression != WA_COMPRESSION_NONE) bytes = w->f.zbytes;
    if (st == WA_OK && stats) {
        stats->objects = w->n_objects;
        stats->edges = w->n_edges;
        stats->roots = w->n_roots;
        stats->bytes = bytes;
    }
    writer_free(w);
    return st;
}

/* ---------------- save ---------------- */

wa_status wa_snapshot_save(const wa_snapshot *s, const char *path, wa_format format,
                           wa_error *err) {
    return wa_snapshot_save_compressed(s, path, format, wa_compression_from_path(path), err);
}

wa_status wa_snapshot_save_compressed(const wa_snapshot *s, const char *path, wa_format format,
                                      wa_compression compression, wa_error *err) {
    wa_writer *w = wa_writer_open(path, format, err);
    if (!w) return err ? err->code : WA_ERR_IO;
    if (compression != WA_COMPRESSION_NONE && wa_writer_compress(w, compression, 0, err) != WA_OK) {
        wa_writer_abort(w);
        return err ? err->code : WA_ERR_ARG;
    }
    uint32_t *remap = malloc(((size_t)s->n_strings + 1) * 4);
    wa_writer_edge *eb = NULL;
    uint64_t eb_cap = 0;
    wa_status st = WA_OK;
    if (!remap) {
        st = wa_error_set(err, WA_ERR_NOMEM, path, WA_POS_NONE, WA_POS_NONE, "out of memory");
        goto out;
    }
    wa_meta m = s->meta;
    m.dangling_edges = s->dangling;
    if ((st = wa_writer_meta(w, &m, err)) != WA_OK) goto out;
    for (uint32_t i = 0; i < s->n_strings; i++) {
        const char *str = s->str_blob + s->str_off[i];
        remap[i] = wa_writer_intern(w, str, (size_t)(s->str_off[i + 1] - s->str_off[i] - 1), err);
        if (remap[i] == WA_NONE) {
            st = err ? err->code : WA_ERR_NOMEM;
            goto out;
        }
    }
    for (uint32_t t = 0; t < s->n_types; t++) {
        if (wa_typetab_add(&w->types, remap[s->types[t].name], remap[s->types[t].module], err) !=
            t) {
            /* duplicate types in the input: keep ids stable anyway */
            wa_typetab *tt = &w->types;
            uint64_t cap = tt->cap;
            if (wa_grow((void **)&tt->types, &cap, (uint64_t)t + 1, sizeof *tt->types,
                        WA_MAX_STRINGS)) {
                st = wa_error_set(err, WA_ERR_NOMEM, path, WA_POS_NONE, WA_POS_NONE,
                                  "out of memory");
                goto out;
            }
            tt->cap = (uint32_t)cap;
            tt->types[t].name = remap[s->types[t].name];
            tt->types[t].module = remap[s->types[t].module];
            tt->n = t + 1;
        }
    }
    if ((st = wa_writer_begin(w, s->n_objects, err)) != WA_OK) goto out;
    uint32_t si = 0;
    for (uint32_t i = 0; i < s->n_objects; i++) {
        wa_object o = s->objects[i];
        o.name = remap[o.name];
        o.value = remap[o.value];
        uint32_t a = s->out_off[i], n = s->out_off[i + 1] - a;
        if (wa_grow((void **)&eb, &eb_cap, n ? n : 1, sizeof *eb, WA_MAX_EDGES)) {
            st = wa_error_set(err, WA_ERR_NOMEM, path, WA_POS_NONE, WA_POS_NONE, "out of memory");
            goto out;
        }
        for (uint32_t k = 0; k < n; k++) {
            const wa_edge *e = &s->edges[a + k];
            uint32_t lab = e->label;
            if (WA_LABEL_KIND(lab) != WA_EDGE_INDEX)
                lab = WA_LABEL(WA_LABEL_KIND(lab), remap[WA_LABEL_PAYLOAD(lab)]);
            eb[k].to = e->to;
            eb[k].to_addr = s->objects[e->to].addr;
            eb[k].label = lab;
        }
        if ((st = wa_writer_object(w, &o, eb, n, err)) != WA_OK) goto out;
        for (; si < s->n_sites && s->site_pairs[2 * (size_t)si] == i; si++)
            if ((st = wa_writer_site(w, i, remap[s->site_pairs[2 * (size_t)si + 1]], err)) != WA_OK)
                goto out;
    }
    for (uint32_t i = 0; i < s->n_roots; i++) {
        const wa_root *r = &s->roots[i];
        if ((st = wa_writer_root(w, r->obj, s->objects[r->obj].addr, (wa_root_kind)r->kind,
                                 remap[r->label], r->excess, err)) != WA_OK)
            goto out;
    }
    free(remap);
    free(eb);
    return wa_writer_commit(w, NULL, err);
out:
    free(remap);
    free(eb);
    wa_writer_abort(w);
    return st;
}
