/*
 * builder.c: snapshot construction from objects and edges given by address.
 *
 * Pending edges are kept as (target address, source, label) in insertion
 * order; finish() resolves the addresses through one hash table (which the
 * snapshot keeps as its address index), drops and counts the dangling ones,
 * and lays the rest out in CSR with a stable counting sort, so each object's
 * edges keep the order they were added in. When the edges came sorted by
 * source (every reader gives them so), resolving, placing and counting the
 * in-degrees is one sequential pass.
 *
 * Pending edges live in segments: the open array new edges go to, and closed
 * ones handed over by wa_builder_append() from builders that read other parts
 * of the same input. A handed-over segment keeps its edges as they were and
 * carries the source shift and string id map that finish() applies while it
 * reads them, so appending a part costs no pass over its edges.
 */
#include <stdlib.h>
#include <string.h>

#include "core/builder_impl.h"
#include "core/snapshot_impl.h"
#include "core/util.h"

typedef struct pending_edge {
    uint64_t to;
    uint32_t from, label;
} pending_edge;

/* A closed run of pending edges: source index += from_add, label string ids
 * through smap (NULL: as is). */
typedef struct edge_seg {
    pending_edge *e;
    uint64_t n;
    uint32_t from_add;
    uint32_t *smap; /* owned; smap_n entries */
    uint32_t smap_n;
} edge_seg;

typedef struct pending_root {
    uint64_t addr, line;
    uint32_t kind, label, excess;
} pending_root;

struct wa_builder {
    struct wa_snapshot *s; /* its arena receives meta now and the arrays in finish */
    wa_strtab str;
    wa_typetab types;

    wa_object *objs;
    uint64_t n_objs, objs_cap;
    int objs_in_arena; /* reserved exactly: objs is already the arena array */

    pending_edge *edges; /* the open segment */
    uint64_t n_edges, edges_cap;
    edge_seg *segs; /* closed segments, before the open one */
    uint64_t n_segs, segs_cap;
    uint64_t n_seg_edges; /* edges in closed segments */
    int edges_sorted;
    uint32_t last_from;

    pending_root *roots;
    uint64_t n_roots, roots_cap;

    uint32_t *sites;          /* pairs (obj, site) */
    pending_root *addr_sites; /* sites given by address: addr, line, label = site */
    uint64_t n_addr_sites, addr_sites_cap;
    uint64_t n_sites, sites_cap;
    int sites_sorted;

    uint64_t dangling_extra;
    wa_builder_locate_fn locate;
    void *locate_ctx;
};

static wa_status nomem(wa_error *err, const char *what) {
    return wa_error_set(err, WA_ERR_NOMEM, NULL, WA_POS_NONE, WA_POS_NONE, "out of memory %s",
                        what);
}

static void free_segs(wa_builder *b) {
    for (uint64_t i = 0; i < b->n_segs; i++) {
        free(b->segs[i].e);
        free(b->segs[i].smap);
    }
    free(b->segs);
    b->segs = NULL;
    b->n_segs = b->segs_cap = b->n_seg_edges = 0;
}

wa_builder *wa_builder_new(wa_error *err) {
    wa_builder *b = calloc(1, sizeof *b);
    if (!b) {
        nomem(err, "creating a builder");
        return NULL;
    }
    b->s = wa_snapshot_alloc(err);
    if (!b->s) {
        free(b);
        return NULL;
    }
    if (wa_strtab_init(&b->str, 0, err) != WA_OK) {
        wa_snapshot_free(b->s);
        free(b);
        return NULL;
    }
    wa_typetab_init(&b->types);
    b->edges_sorted = 1;
    b->sites_sorted = 1;
    return b;
}

void wa_builder_free(wa_builder *b) {
    if (!b) return;
    wa_strtab_free(&b->str);
    wa_typetab_free(&b->types);
    if (!b->objs_in_arena) free(b->objs);
    free(b->edges);
    free_segs(b);
    free(b->roots);
    free(b->sites);
    free(b->addr_sites);
    wa_snapshot_free(b->s);
    free(b);
}

void wa_builder_set_locator(wa_builder *b, wa_builder_locate_fn fn, void *ctx) {
    b->locate = fn;
    b->locate_ctx = ctx;
}

struct wa_strtab *wa_builder_strtab(wa_builder *b) {
    return &b->str;
}

void wa_builder_add_dangling(wa_builder *b, uint64_t n) { b->dangling_extra += n; }

uint32_t wa_builder_intern(wa_builder *b, const char *s, size_t len, wa_error *err) {
    return wa_strtab_intern(&b->str, s, len, err);
}

uint32_t wa_builder_type_ids(wa_builder *b, uint32_t name, uint32_t module, wa_error *err) {
    if (name >= b->str.n || module >= b->str.n) {
        wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE,
                     "type string id out of range");
        return WA_NONE;
    }
    return wa_typetab_add(&b->types, name, module, err);
}

uint32_t wa_builder_type(wa_builder *b, const char *name, const char *module, wa_error *err) {
    uint32_t n = wa_strtab_intern(&b->str, name, strlen(name), err);
    if (n == WA_NONE) return WA_NONE;
    uint32_t m = wa_strtab_intern(&b->str, module, strlen(module), err);
    if (m == WA_NONE) return WA_NONE;
    return wa_typetab_add(&b->types, n, m, err);
}

wa_status wa_builder_reserve(wa_builder *b, uint64_t objects, uint64_t edges, wa_error *err) {
    if (objects > WA_MAX_OBJECTS)
        return wa_error_set(err, WA_ERR_LIMIT, NULL, WA_POS_NONE, WA_POS_NONE,
                            "%llu objects exceed the limit of %u", (unsigned long long)objects,
                            WA_MAX_OBJECTS);
    if (edges > WA_MAX_EDGES)
        return wa_error_set(err, WA_ERR_LIMIT, NULL, WA_POS_NONE, WA_POS_NONE,
                            "%llu edges exceed the limit of %u", (unsigned long long)edges,
                            WA_MAX_EDGES);
    if (b->n_objs == 0 && !b->objs_in_arena && objects > 0 && b->objs_cap < objects) {
        wa_object *o = wa_arena_alloc(&b->s->arena, (size_t)objects * sizeof *o);
        if (!o) return nomem(err, "reserving objects");
        free(b->objs);
        b->objs = o;
        b->objs_cap = objects;
        b->objs_in_arena = 1;
    }
    if (edges > b->edges_cap &&
        wa_grow((void **)&b->edges, &b->edges_cap, edges, sizeof *b->edges, WA_MAX_EDGES) != 0)
        return nomem(err, "reserving edges");
    return WA_OK;
}

uint32_t wa_builder_object(wa_builder *b, const wa_object *obj, wa_error *err) {
    if (obj->type >= b->types.n || obj->name >= b->str.n || obj->value >= b->str.n) {
        wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE,
                     "object 0x%llx: type or string id out of range",
                     (unsigned long long)obj->addr);
        return WA_NONE;
    }
    if (b->n_objs >= WA_MAX_OBJECTS) {
        wa_error_set(err, WA_ERR_LIMIT, NULL, WA_POS_NONE, WA_POS_NONE, "more than %u objects",
                     WA_MAX_OBJECTS);
        return WA_NONE;
    }
    if (b->n_objs == b->objs_cap) {
        if (b->objs_in_arena) { /* reservation exceeded: move to the heap */
            uint64_t nc = b->objs_cap * 2;
            wa_object *o = malloc((size_t)nc * sizeof *o);
            if (!o) return nomem(err, "adding an object"), WA_NONE;
            memcpy(o, b->objs, (size_t)b->n_objs * sizeof *o);
            b->objs = o;
            b->objs_cap = nc;
            b->objs_in_arena = 0;
        } else if (wa_grow((void **)&b->objs, &b->objs_cap, b->n_objs + 1, sizeof *b->objs,
                           WA_MAX_OBJECTS) != 0) {
            return nomem(err, "adding an object"), WA_NONE;
        }
    }
    b->objs[b->n_objs] = *obj;
    return (uint32_t)b->n_objs++;
}

static int label_ok(const wa_builder *b, uint32_t label) {
    wa_edge_kind k = WA_LABEL_KIND(label);
    if ((unsigned)k >= WA_EDGE_KIND_COUNT) return 0;
    return k == WA_EDGE_INDEX || WA_LABEL_PAYLOAD(label) < b->str.n;
}

wa_status wa_builder_edge(wa_builder *b, uint32_t from, uint64_t to_addr, uint32_t label,
                          wa_error *err) {
    if (from >= b->n_objs)
        return wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE,
                            "edge from object %u, which does not exist", from);
    if (!label_ok(b, label))
        return wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE,
                            "edge label 0x%08x has an unknown kind or string id", label);
    if (b->n_seg_edges + b->n_edges >= WA_MAX_EDGES)
        return wa_error_set(err, WA_ERR_LIMIT, NULL, WA_POS_NONE, WA_POS_NONE, "more than %u edges",
                            WA_MAX_EDGES);
    if (b->n_edges == b->edges_cap && wa_grow((void **)&b->edges, &b->edges_cap, b->n_edges + 1,
                                              sizeof *b->edges, WA_MAX_EDGES) != 0)
        return nomem(err, "adding an edge");
    if (from < b->last_from) b->edges_sorted = 0;
    b->last_from = from;
    pending_edge *e = &b->edges[b->n_edges++];
    e->to = to_addr;
    e->from = from;
    e->label = label;
    return WA_OK;
}

wa_status wa_builder_root_at(wa_builder *b, uint64_t addr, wa_root_kind kind, uint32_t label,
                             uint32_t excess, uint64_t line, wa_error *err) {
    if ((unsigned)kind >= WA_ROOT_KIND_COUNT || label >= b->str.n)
        return wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE,
                            "root kind or label id out of range");
    if (b->n_roots >= WA_MAX_OBJECTS)
        return wa_error_set(err, WA_ERR_LIMIT, NULL, WA_POS_NONE, WA_POS_NONE, "too many roots");
    if (wa_grow((void **)&b->roots, &b->roots_cap, b->n_roots + 1, sizeof *b->roots,
                WA_MAX_OBJECTS) != 0)
        return nomem(err, "adding a root");
    pending_root *r = &b->roots[b->n_roots++];
    r->addr = addr;
    r->line = line;
    r->kind = (uint32_t)kind;
    r->label = label;
    r->excess = excess;
    return WA_OK;
}

wa_status wa_builder_root(wa_builder *b, uint64_t addr, wa_root_kind kind, uint32_t label,
                          uint32_t excess, wa_error *err) {
    return wa_builder_root_at(b, addr, kind, label, excess, WA_POS_NONE, err);
}

wa_status wa_builder_site(wa_builder *b, uint32_t obj, uint32_t site, wa_error *err) {
    if (obj >= b->n_objs || site >= b->str.n)
        return wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE,
                            "site for object %u: object or string id out of range", obj);
    if (site == 0) return WA_OK;
    if (wa_grow((void **)&b->sites, &b->sites_cap, 2 * (b->n_sites + 1), sizeof *b->sites,
                (uint64_t)WA_MAX_OBJECTS * 2) != 0)
        return nomem(err, "adding a site");
    if (b->n_sites && b->sites[2 * (b->n_sites - 1)] >= obj) b->sites_sorted = 0;
    b->sites[2 * b->n_sites] = obj;
    b->sites[2 * b->n_sites + 1] = site;
    b->n_sites++;
    return WA_OK;
}

wa_status wa_builder_site_addr(wa_builder *b, uint64_t addr, uint32_t site, uint64_t line,
                               wa_error *err) {
    if (site >= b->str.n)
        return wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE,
                            "site string id out of range");
    if (wa_grow((void **)&b->addr_sites, &b->addr_sites_cap, b->n_addr_sites + 1,
                sizeof *b->addr_sites, WA_MAX_OBJECTS) != 0)
        return nomem(err, "adding a site");
    pending_root *r = &b->addr_sites[b->n_addr_sites++];
    memset(r, 0, sizeof *r);
    r->addr = addr;
    r->line = line;
    r->label = site;
    return WA_OK;
}

static const char *meta_str(wa_arena *a, const char *s) { return s ? wa_arena_strdup(a, s) : ""; }

wa_status wa_builder_meta(wa_builder *b, const wa_meta *m, wa_error *err) {
    wa_arena *a = &b->s->arena;
    wa_meta *d = &b->s->meta;
    *d = *m;
    d->tool_version = meta_str(a, m->tool_version);
    d->python_version = meta_str(a, m->python_version);
    d->implementation = meta_str(a, m->implementation);
    d->host = meta_str(a, m->host);
    d->time = meta_str(a, m->time);
    d->argv = NULL;
    d->argc = 0;
    if (!d->tool_version || !d->python_version || !d->implementation || !d->host || !d->time)
        return nomem(err, "copying metadata");
    if (m->argv && m->argc) {
        const char **argv = wa_arena_alloc(a, (size_t)m->argc * sizeof *argv);
        if (!argv) return nomem(err, "copying metadata");
        for (uint32_t i = 0; i < m->argc; i++) {
            argv[i] = meta_str(a, m->argv[i]);
            if (!argv[i]) return nomem(err, "copying metadata");
        }
        d->argv = argv;
        d->argc = m->argc;
    }
    return WA_OK;
}

/* ---------------- appending a builder (parallel readers) ---------------- */

static int push_seg(wa_builder *b, pending_edge *e, uint64_t n, uint32_t from_add, uint32_t *smap,
                    uint32_t smap_n) {
    if (wa_grow((void **)&b->segs, &b->segs_cap, b->n_segs + 1, sizeof *b->segs, UINT32_MAX) != 0)
        return -1;
    edge_seg *g = &b->segs[b->n_segs++];
    g->e = e;
    g->n = n;
    g->from_add = from_add;
    g->smap = smap;
    g->smap_n = smap_n;
    b->n_seg_edges += n;
    return 0;
}

/* Close the open segment, so that edges appended or added later follow it. */
static int close_open(wa_builder *b) {
    if (b->n_edges == 0) return 0;
    if (push_seg(b, b->edges, b->n_edges, 0, NULL, 0) != 0) return -1;
    b->edges = NULL;
    b->n_edges = b->edges_cap = 0;
    return 0;
}

static uint64_t shift_line(uint64_t line, uint64_t by) {
    return line == WA_POS_NONE ? line : line + by;
}

wa_status wa_builder_append(wa_builder *dst, wa_builder *src, uint64_t line_offset, wa_error *err) {
    wa_status st = WA_OK;
    uint32_t *map = NULL, *tmap = NULL;
    uint64_t n0 = dst->n_objs, n1 = src->n_objs;
    if (n0 + n1 > WA_MAX_OBJECTS) {
        st = wa_error_set(err, WA_ERR_LIMIT, NULL, WA_POS_NONE, WA_POS_NONE, "more than %u objects",
                          WA_MAX_OBJECTS);
        goto out;
    }
    if (dst->n_seg_edges + dst->n_edges + src->n_seg_edges + src->n_edges > WA_MAX_EDGES) {
        st = wa_error_set(err, WA_ERR_LIMIT, NULL, WA_POS_NONE, WA_POS_NONE, "more than %u edges",
                          WA_MAX_EDGES);
        goto out;
    }
    /* strings, then types, in src's order: what dst would have interned had
     * it read src's input itself */
    map = malloc((size_t)src->str.n * sizeof *map);
    tmap = malloc((size_t)(src->types.n ? src->types.n : 1) * sizeof *tmap);
    if (!map || !tmap) goto oom;
    map[0] = 0;
    for (uint32_t id = 1; id < src->str.n; id++) {
        uint64_t len = src->str.off[id + 1] - src->str.off[id] - 1;
        map[id] = wa_strtab_intern(&dst->str, src->str.blob + src->str.off[id], (size_t)len, err);
        if (map[id] == WA_NONE) {
            st = err ? err->code : WA_ERR_NOMEM;
            goto out;
        }
    }
    for (uint32_t t = 0; t < src->types.n; t++) {
        tmap[t] = wa_typetab_add(&dst->types, map[src->types.types[t].name],
                                 map[src->types.types[t].module], err);
        if (tmap[t] == WA_NONE) {
            st = err ? err->code : WA_ERR_NOMEM;
            goto out;
        }
    }

    /* objects */
    if (n0 + n1 > dst->objs_cap) {
        if (dst->objs_in_arena) { /* reservation exceeded: move to the heap */
            wa_object *o = malloc((size_t)(n0 + n1) * sizeof *o);
            if (!o) goto oom;
            if (n0) memcpy(o, dst->objs, (size_t)n0 * sizeof *o);
            dst->objs = o;
            dst->objs_cap = n0 + n1;
            dst->objs_in_arena = 0;
        } else if (wa_grow((void **)&dst->objs, &dst->objs_cap, n0 + n1, sizeof *dst->objs,
                           WA_MAX_OBJECTS) != 0) {
            goto oom;
        }
    }
    for (uint64_t i = 0; i < n1; i++) {
        wa_object o = src->objs[i];
        o.type = tmap[o.type];
        o.name = map[o.name];
        o.value = map[o.value];
        dst->objs[n0 + i] = o;
    }
    dst->n_objs = n0 + n1;

    /* edges: src's segments become dst's, remapped when finish() reads them */
    if (close_open(dst) != 0) goto oom;
    for (uint64_t k = 0; k < src->n_segs; k++) {
        edge_seg *g = &src->segs[k];
        uint32_t *m = malloc((size_t)(g->smap ? g->smap_n : src->str.n) * sizeof *m);
        if (!m) goto oom;
        if (g->smap)
            for (uint32_t i = 0; i < g->smap_n; i++) m[i] = map[g->smap[i]];
        else
            memcpy(m, map, (size_t)src->str.n * sizeof *m);
        if (push_seg(dst, g->e, g->n, g->from_add + (uint32_t)n0, m,
                     g->smap ? g->smap_n : src->str.n) != 0) {
            free(m);
            goto oom;
        }
        src->n_seg_edges -= g->n;
        g->e = NULL;
        g->n = 0;
    }
    if (src->n_edges) {
        if (push_seg(dst, src->edges, src->n_edges, (uint32_t)n0, map, src->str.n) != 0) goto oom;
        map = NULL; /* the segment owns it now */
        src->edges = NULL;
        src->n_edges = src->edges_cap = 0;
        dst->last_from = src->last_from + (uint32_t)n0;
    }
    dst->edges_sorted = dst->edges_sorted && src->edges_sorted;

    /* roots, sites */
    const uint32_t *sm = map ? map : dst->segs[dst->n_segs - 1].smap;
    if (src->n_roots && wa_grow((void **)&dst->roots, &dst->roots_cap, dst->n_roots + src->n_roots,
                                sizeof *dst->roots, WA_MAX_OBJECTS) != 0)
        goto oom;
    for (uint64_t i = 0; i < src->n_roots; i++) {
        pending_root r = src->roots[i];
        r.label = sm[r.label];
        r.line = shift_line(r.line, line_offset);
        dst->roots[dst->n_roots++] = r;
    }
    if (src->n_addr_sites && wa_grow((void **)&dst->addr_sites, &dst->addr_sites_cap,
                                     dst->n_addr_sites + src->n_addr_sites, sizeof *dst->addr_sites,
                                     WA_MAX_OBJECTS) != 0)
        goto oom;
    for (uint64_t i = 0; i < src->n_addr_sites; i++) {
        pending_root r = src->addr_sites[i];
        r.label = sm[r.label];
        r.line = shift_line(r.line, line_offset);
        dst->addr_sites[dst->n_addr_sites++] = r;
    }
    if (src->n_sites &&
        wa_grow((void **)&dst->sites, &dst->sites_cap, 2 * (dst->n_sites + src->n_sites),
                sizeof *dst->sites, (uint64_t)WA_MAX_OBJECTS * 2) != 0)
        goto oom;
    for (uint64_t i = 0; i < src->n_sites; i++) {
        dst->sites[2 * dst->n_sites] = src->sites[2 * i] + (uint32_t)n0;
        dst->sites[2 * dst->n_sites + 1] = sm[src->sites[2 * i + 1]];
        dst->n_sites++;
    }
    dst->sites_sorted = dst->sites_sorted && src->sites_sorted; /* src's indexes all follow */
    dst->dangling_extra += src->dangling_extra;
    goto out;
oom:
    st = nomem(err, "appending a builder");
out:
    free(map);
    free(tmap);
    wa_builder_free(src);
    return st;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Sort sites by object (stable), keep the last site given for an object. */
static wa_status finish_sites(wa_builder *b, wa_error *err) {
    struct wa_snapshot *s = b->s;
    uint64_t n = b->n_sites;
    if (n == 0) return WA_OK;
    uint32_t *out = wa_arena_alloc(&s->arena, (size_t)n * 8);
    if (!out) return nomem(err, "storing sites");
    uint64_t kept = 0;
    if (b->sites_sorted) {
        memcpy(out, b->sites, (size_t)n * 8);
        kept = n;
    } else {
        uint64_t *keys = malloc((size_t)n * 8);
        if (!keys) return nomem(err, "sorting sites");
        for (uint64_t i = 0; i < n; i++) keys[i] = ((uint64_t)b->sites[2 * i] << 32) | i;
        qsort(keys, (size_t)n, 8, cmp_u64);
        for (uint64_t i = 0; i < n; i++) {
            uint32_t obj = (uint32_t)(keys[i] >> 32);
            uint32_t seq = (uint32_t)keys[i];
            if (kept && out[2 * (kept - 1)] == obj) kept--; /* later one wins */
            out[2 * kept] = obj;
            out[2 * kept + 1] = b->sites[2 * (uint64_t)seq + 1];
            kept++;
        }
        free(keys);
    }
    s->site_pairs = out;
    s->n_sites = (uint32_t)kept;
    return WA_OK;
}

static wa_status located(wa_builder *b, wa_error *err, const char *path, uint32_t obj,
                         wa_status code, const char *fmt, unsigned long long x, unsigned a,
                         unsigned c) {
    uint64_t line = b->locate ? b->locate(b->locate_ctx, obj) : WA_POS_NONE;
    return wa_error_set(err, code, path, line, WA_POS_NONE, fmt, x, a, c);
}

#define RESOLVE_BATCH 16u
#if defined(__GNUC__) || defined(__clang__)
#define WA_PREFETCH(p) __builtin_prefetch(p)
#else
#define WA_PREFETCH(p) ((void)(p))
#endif

/* Object index at address `to` in the finished address table, or WA_NONE. */
static inline uint32_t resolve(const uint32_t *slots, uint64_t mask, const wa_object *objs,
                               uint64_t to) {
    uint64_t h = wa_hash_u64(to) & mask;
    for (;;) {
        uint32_t idx = slots[h];
        if (idx == WA_NONE || objs[idx].addr == to) return idx;
        h = (h + 1) & mask;
    }
}

/* A label as the finished snapshot's string ids name it. */
static inline uint32_t map_label(const edge_seg *g, uint32_t label) {
    if (!g->smap || WA_LABEL_KIND(label) == WA_EDGE_INDEX) return label;
    return WA_LABEL(WA_LABEL_KIND(label), g->smap[WA_LABEL_PAYLOAD(label)]);
}

#define OOM_FINISH "building the snapshot"

/* The objects into the arena (they are there already when reserved). */
static wa_status place_objects(wa_builder *b, wa_error *err) {
    struct wa_snapshot *s = b->s;
    uint32_t n = (uint32_t)b->n_objs;
    if (b->objs_in_arena) {
        s->objects = b->objs;
    } else {
        wa_object *o = wa_arena_alloc(&s->arena, (size_t)(n ? n : 1) * sizeof *o);
        if (!o) return nomem(err, OOM_FINISH);
        if (n) memcpy(o, b->objs, (size_t)n * sizeof *o);
        free(b->objs);
        s->objects = o;
    }
    b->objs = NULL;
    b->objs_in_arena = 0;
    s->n_objects = n;
    return WA_OK;
}

/* The address index, kept by the snapshot; duplicates are an error. */
static wa_status index_addresses(wa_builder *b, const char *path, wa_error *err) {
    struct wa_snapshot *s = b->s;
    uint32_t dup_a = WA_NONE, dup_b = WA_NONE;
    uint64_t mask = 0;
    uint32_t *slots = wa_addr_index_build(s->objects, s->n_objects, &mask, &dup_a, &dup_b);
    if (!slots) {
        if (dup_a != WA_NONE)
            return located(b, err, path, dup_b, WA_ERR_FORMAT,
                           "duplicate object address 0x%llx (objects #%u and #%u)",
                           (unsigned long long)s->objects[dup_a].addr, dup_a, dup_b);
        return nomem(err, OOM_FINISH);
    }
    s->addr_slots = slots;
    s->addr_mask = mask;
    return WA_OK;
}

/* Roots by address become roots by index; an unknown address is an error. */
static wa_status resolve_roots(wa_builder *b, const char *path, wa_error *err) {
    struct wa_snapshot *s = b->s;
    wa_root *roots =
        wa_arena_alloc(&s->arena, (size_t)(b->n_roots ? b->n_roots : 1) * sizeof *roots);
    if (!roots) return nomem(err, OOM_FINISH);
    for (uint64_t i = 0; i < b->n_roots; i++) {
        const pending_root *r = &b->roots[i];
        uint32_t idx = wa_snapshot_find(s, r->addr);
        if (idx == WA_NONE)
            return wa_error_set(err, WA_ERR_FORMAT, path, r->line, WA_POS_NONE,
                                "root refers to address 0x%llx, which is not an object of the dump",
                                (unsigned long long)r->addr);
        roots[i].obj = idx;
        roots[i].kind = r->kind;
        roots[i].label = r->label;
        roots[i].excess = r->excess;
    }
    s->roots = roots;
    s->n_roots = (uint32_t)b->n_roots;
    return WA_OK;
}

/* Edges that came sorted by source: one pass resolves, places and counts
 * them, since each edge's final place is the next one. Room for all of
 * them: dropped ones cost 8 bytes each. */
static wa_edge *place_edges_sorted(wa_builder *b, uint32_t *out_off, uint32_t *in_off,
                                   uint64_t *kept_out, uint64_t *dropped_out) {
    struct wa_snapshot *s = b->s;
    const uint32_t *slots = s->addr_slots;
    const uint64_t mask = s->addr_mask;
    const wa_object *objs = s->objects;
    uint64_t kept = 0, dropped = 0;
    uint64_t cap = b->n_seg_edges;
    wa_edge *edges = wa_arena_alloc(&s->arena, (size_t)(cap ? cap : 1) * sizeof *edges);
    if (!edges) return NULL;
    for (uint64_t k = 0; k < b->n_segs; k++) {
        const edge_seg *g = &b->segs[k];
        for (uint64_t i0 = 0; i0 < g->n; i0 += RESOLVE_BATCH) {
            /* a batch at a time: the table slots, then the objects they
             * name, are fetched for the whole batch before any is used,
             * so the cache misses overlap instead of queueing */
            uint32_t m = g->n - i0 < RESOLVE_BATCH ? (uint32_t)(g->n - i0) : RESOLVE_BATCH;
            const pending_edge *e = &g->e[i0];
            uint64_t h[RESOLVE_BATCH];
            uint32_t first[RESOLVE_BATCH];
            for (uint32_t j = 0; j < m; j++) {
                h[j] = wa_hash_u64(e[j].to) & mask;
                WA_PREFETCH(&slots[h[j]]);
            }
            for (uint32_t j = 0; j < m; j++) {
                first[j] = slots[h[j]];
                if (first[j] != WA_NONE) {
                    WA_PREFETCH(&objs[first[j]]);
                    WA_PREFETCH(&in_off[first[j]]);
                }
            }
            for (uint32_t j = 0; j < m; j++) {
                uint32_t idx = first[j];
                if (idx != WA_NONE && objs[idx].addr != e[j].to)
                    idx = resolve(slots, mask, objs, e[j].to);
                if (idx == WA_NONE) {
                    dropped++;
                    continue;
                }
                edges[kept].to = idx;
                edges[kept].label = map_label(g, e[j].label);
                kept++;
                out_off[e[j].from + g->from_add]++;
                in_off[idx]++;
            }
        }
    }
    wa_offsets_from_counts(out_off, s->n_objects);
    *kept_out = kept;
    *dropped_out = dropped;
    return edges;
}

/* Edges in any order: resolve in place, then a stable counting sort by
 * source. */
static wa_edge *place_edges_unsorted(wa_builder *b, uint32_t *out_off, uint32_t *in_off,
                                     uint64_t *kept_out, uint64_t *dropped_out) {
    struct wa_snapshot *s = b->s;
    const uint32_t *slots = s->addr_slots;
    const uint64_t mask = s->addr_mask;
    const wa_object *objs = s->objects;
    const uint32_t n = s->n_objects;
    uint64_t kept = 0, dropped = 0;
    for (uint64_t k = 0; k < b->n_segs; k++) {
        const edge_seg *g = &b->segs[k];
        for (uint64_t i = 0; i < g->n; i++) {
            pending_edge *e = &g->e[i];
            uint32_t idx = resolve(slots, mask, objs, e->to);
            if (idx == WA_NONE) {
                e->to = UINT64_MAX;
                dropped++;
                continue;
            }
            e->to = idx;
            e->from += g->from_add;
            e->label = map_label(g, e->label);
            out_off[e->from]++;
            in_off[idx]++;
            kept++;
        }
    }
    wa_edge *edges = wa_arena_alloc(&s->arena, (size_t)(kept ? kept : 1) * sizeof *edges);
    if (!edges) return NULL;
    wa_offsets_from_counts(out_off, n);
    for (uint64_t k = 0; k < b->n_segs; k++) {
        const edge_seg *g = &b->segs[k];
        for (uint64_t i = 0; i < g->n; i++) {
            const pending_edge *e = &g->e[i];
            if (e->to == UINT64_MAX) continue;
            wa_edge *d = &edges[out_off[e->from]++];
            d->to = (uint32_t)e->to;
            d->label = e->label;
        }
    }
    if (n) memmove(out_off + 1, out_off, (size_t)n * 4);
    out_off[0] = 0;
    *kept_out = kept;
    *dropped_out = dropped;
    return edges;
}

/* Edges: resolve, count per source and per target, place stably; then the
 * reverse CSR. *dropped: edges whose target is not in the dump. */
static wa_status place_edges(wa_builder *b, uint64_t *dropped, wa_error *err) {
    struct wa_snapshot *s = b->s;
    uint32_t *out_off = wa_arena_calloc(&s->arena, (size_t)s->n_objects + 1, 4);
    uint32_t *in_off = wa_arena_calloc(&s->arena, (size_t)s->n_objects + 1, 4);
    if (!out_off || !in_off || close_open(b) != 0) return nomem(err, OOM_FINISH);
    uint64_t kept = 0;
    wa_edge *edges = b->edges_sorted ? place_edges_sorted(b, out_off, in_off, &kept, dropped)
                                     : place_edges_unsorted(b, out_off, in_off, &kept, dropped);
    if (!edges) return nomem(err, OOM_FINISH);
    free_segs(b);
    s->out_off = out_off;
    s->edges = edges;
    s->n_edges = (uint32_t)kept;
    return wa_snapshot_reverse_from_counts(s, in_off, err);
}

/* The string and type tables into the arena. */
static wa_status place_strings_types(wa_builder *b, wa_error *err) {
    struct wa_snapshot *s = b->s;
    wa_arena *a = &s->arena;
    char *blob = wa_arena_alloc(a, (size_t)b->str.len);
    uint64_t *soff = wa_arena_alloc(a, ((size_t)b->str.n + 1) * 8);
    wa_type *types = wa_arena_alloc(a, (size_t)(b->types.n ? b->types.n : 1) * sizeof *types);
    if (!blob || !soff || !types) return nomem(err, OOM_FINISH);
    memcpy(blob, b->str.blob, (size_t)b->str.len);
    memcpy(soff, b->str.off, ((size_t)b->str.n + 1) * 8);
    if (b->types.n) memcpy(types, b->types.types, (size_t)b->types.n * sizeof *types);
    s->str_blob = blob;
    s->str_off = soff;
    s->n_strings = b->str.n;
    s->types = types;
    s->n_types = b->types.n;
    return WA_OK;
}

/* Sites given by address join those given by index, then all are sorted. */
static wa_status place_sites(wa_builder *b, const char *path, wa_error *err) {
    for (uint64_t i = 0; i < b->n_addr_sites; i++) {
        const pending_root *r = &b->addr_sites[i];
        uint32_t idx = wa_snapshot_find(b->s, r->addr);
        if (idx == WA_NONE)
            return wa_error_set(err, WA_ERR_FORMAT, path, r->line, WA_POS_NONE,
                                "site refers to address 0x%llx, which is not an object of the dump",
                                (unsigned long long)r->addr);
        wa_status st = wa_builder_site(b, idx, r->label, err);
        if (st != WA_OK) return st;
    }
    return finish_sites(b, err);
}

wa_snapshot *wa_builder_finish(wa_builder *b, const char *path, wa_error *err) {
    struct wa_snapshot *s = b->s;
    uint64_t dropped = 0;
    if (place_objects(b, err) != WA_OK || index_addresses(b, path, err) != WA_OK ||
        resolve_roots(b, path, err) != WA_OK || place_edges(b, &dropped, err) != WA_OK ||
        place_strings_types(b, err) != WA_OK || place_sites(b, path, err) != WA_OK) {
        wa_builder_free(b);
        return NULL;
    }
    uint64_t total = 0;
    for (uint32_t i = 0; i < s->n_objects; i++) total += s->objects[i].size;
    s->total_size = total;
    s->dangling = s->meta.dangling_edges + dropped + b->dangling_extra;
    b->s = NULL;
    wa_builder_free(b);
    return s;
}
