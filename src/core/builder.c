/*
 * builder.c: snapshot construction from objects and edges given by address.
 *
 * Pending edges are kept as (target address, source, label) in insertion
 * order; finish() resolves the addresses through one hash table (which the
 * snapshot keeps as its address index), drops and counts the dangling ones,
 * and lays the rest out in CSR with a stable counting sort, so each object's
 * edges keep the order they were added in.
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

    pending_edge *edges;
    uint64_t n_edges, edges_cap;
    int edges_sorted;
    uint32_t last_from;

    pending_root *roots;
    uint64_t n_roots, roots_cap;

    uint32_t *sites; /* pairs (obj, site) */
    pending_root *addr_sites; /* sites given by address: addr, line, label = site */
    uint64_t n_addr_sites, addr_sites_cap;
    uint64_t n_sites, sites_cap;
    int sites_sorted;

    uint64_t dangling_extra;
    wa_builder_locate_fn locate;
    void *locate_ctx;
};

static wa_status nomem(wa_error *err, const char *what) {
    return wa_error_set(err, WA_ERR_NOMEM, NULL, WA_POS_NONE, WA_POS_NONE, "out of memory %s", what);
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

struct wa_strtab *wa_builder_strtab(wa_builder *b) { return &b->str; }

void wa_builder_add_dangling(wa_builder *b, uint64_t n) { b->dangling_extra += n; }

uint32_t wa_builder_intern(wa_builder *b, const char *s, size_t len, wa_error *err) {
    return wa_strtab_intern(&b->str, s, len, err);
}

uint32_t wa_builder_type_ids(wa_builder *b, uint32_t name, uint32_t module, wa_error *err) {
    if (name >= b->str.n || module >= b->str.n) {
        wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE, "type string id out of range");
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
                     "object 0x%llx: type or string id out of range", (unsigned long long)obj->addr);
        return WA_NONE;
    }
    if (b->n_objs >= WA_MAX_OBJECTS) {
        wa_error_set(err, WA_ERR_LIMIT, NULL, WA_POS_NONE, WA_POS_NONE,
                     "more than %u objects", WA_MAX_OBJECTS);
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
    if (b->n_edges == b->edges_cap &&
        wa_grow((void **)&b->edges, &b->edges_cap, b->n_edges + 1, sizeof *b->edges,
                WA_MAX_EDGES) != 0) {
        if (b->n_edges >= WA_MAX_EDGES)
            return wa_error_set(err, WA_ERR_LIMIT, NULL, WA_POS_NONE, WA_POS_NONE,
                                "more than %u edges", WA_MAX_EDGES);
        return nomem(err, "adding an edge");
    }
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
        return wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE, "site string id out of range");
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

static const char *meta_str(wa_arena *a, const char *s) {
    return s ? wa_arena_strdup(a, s) : "";
}

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

wa_snapshot *wa_builder_finish(wa_builder *b, const char *path, wa_error *err) {
    struct wa_snapshot *s = b->s;
    wa_arena *a = &s->arena;
    uint32_t n = (uint32_t)b->n_objs;

    /* objects */
    if (b->objs_in_arena) {
        s->objects = b->objs;
    } else {
        wa_object *o = wa_arena_alloc(a, (size_t)(n ? n : 1) * sizeof *o);
        if (!o) goto oom;
        if (n) memcpy(o, b->objs, (size_t)n * sizeof *o);
        free(b->objs);
        s->objects = o;
    }
    b->objs = NULL;
    b->objs_in_arena = 0;
    s->n_objects = n;

    /* address index; duplicates are an error */
    uint32_t dup_a = WA_NONE, dup_b = WA_NONE;
    uint64_t mask = 0;
    uint32_t *slots = wa_addr_index_build(s->objects, n, &mask, &dup_a, &dup_b);
    if (!slots) {
        if (dup_a != WA_NONE) {
            located(b, err, path, dup_b, WA_ERR_FORMAT,
                    "duplicate object address 0x%llx (objects #%u and #%u)",
                    (unsigned long long)s->objects[dup_a].addr, dup_a, dup_b);
            goto fail;
        }
        goto oom;
    }
    s->addr_slots = slots;
    s->addr_mask = mask;

    /* roots */
    wa_root *roots = wa_arena_alloc(a, (size_t)(b->n_roots ? b->n_roots : 1) * sizeof *roots);
    if (!roots) goto oom;
    for (uint64_t i = 0; i < b->n_roots; i++) {
        const pending_root *r = &b->roots[i];
        uint32_t idx = wa_snapshot_find(s, r->addr);
        if (idx == WA_NONE) {
            wa_error_set(err, WA_ERR_FORMAT, path, r->line, WA_POS_NONE,
                         "root refers to address 0x%llx, which is not an object of the dump",
                         (unsigned long long)r->addr);
            goto fail;
        }
        roots[i].obj = idx;
        roots[i].kind = r->kind;
        roots[i].label = r->label;
        roots[i].excess = r->excess;
    }
    s->roots = roots;
    s->n_roots = (uint32_t)b->n_roots;

    /* edges: resolve, count per source, place stably */
    uint32_t *out_off = wa_arena_calloc(a, (size_t)n + 1, 4);
    if (!out_off) goto oom;
    uint64_t kept = 0, dropped = 0;
    for (uint64_t i = 0; i < b->n_edges; i++) {
        pending_edge *e = &b->edges[i];
        uint64_t h = wa_hash_u64(e->to) & mask;
        uint32_t idx;
        for (;;) {
            idx = slots[h];
            if (idx == WA_NONE || s->objects[idx].addr == e->to) break;
            h = (h + 1) & mask;
        }
        if (idx == WA_NONE) {
            e->to = UINT64_MAX;
            dropped++;
        } else {
            e->to = idx;
            out_off[e->from]++;
            kept++;
        }
    }
    wa_edge *edges = wa_arena_alloc(a, (size_t)(kept ? kept : 1) * sizeof *edges);
    if (!edges) goto oom;
    uint32_t sum = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t c = out_off[i];
        out_off[i] = sum;
        sum += c;
    }
    out_off[n] = sum;
    if (b->edges_sorted) {
        uint64_t k = 0;
        for (uint64_t i = 0; i < b->n_edges; i++) {
            if (b->edges[i].to == UINT64_MAX) continue;
            edges[k].to = (uint32_t)b->edges[i].to;
            edges[k].label = b->edges[i].label;
            k++;
        }
    } else {
        for (uint64_t i = 0; i < b->n_edges; i++) {
            const pending_edge *e = &b->edges[i];
            if (e->to == UINT64_MAX) continue;
            wa_edge *d = &edges[out_off[e->from]++];
            d->to = (uint32_t)e->to;
            d->label = e->label;
        }
        if (n) memmove(out_off + 1, out_off, (size_t)n * 4);
        out_off[0] = 0;
    }
    free(b->edges);
    b->edges = NULL;
    s->out_off = out_off;
    s->edges = edges;
    s->n_edges = (uint32_t)kept;
    if (wa_snapshot_build_reverse(s, err) != WA_OK) goto fail;

    /* strings and types */
    char *blob = wa_arena_alloc(a, (size_t)b->str.len);
    uint64_t *soff = wa_arena_alloc(a, ((size_t)b->str.n + 1) * 8);
    wa_type *types = wa_arena_alloc(a, (size_t)(b->types.n ? b->types.n : 1) * sizeof *types);
    if (!blob || !soff || !types) goto oom;
    memcpy(blob, b->str.blob, (size_t)b->str.len);
    memcpy(soff, b->str.off, ((size_t)b->str.n + 1) * 8);
    if (b->types.n) memcpy(types, b->types.types, (size_t)b->types.n * sizeof *types);
    s->str_blob = blob;
    s->str_off = soff;
    s->n_strings = b->str.n;
    s->types = types;
    s->n_types = b->types.n;

    for (uint64_t i = 0; i < b->n_addr_sites; i++) {
        const pending_root *r = &b->addr_sites[i];
        uint32_t idx = wa_snapshot_find(s, r->addr);
        if (idx == WA_NONE) {
            wa_error_set(err, WA_ERR_FORMAT, path, r->line, WA_POS_NONE,
                         "site refers to address 0x%llx, which is not an object of the dump",
                         (unsigned long long)r->addr);
            goto fail;
        }
        if (wa_builder_site(b, idx, r->label, err) != WA_OK) goto fail;
    }
    if (finish_sites(b, err) != WA_OK) goto fail;

    uint64_t total = 0;
    for (uint32_t i = 0; i < n; i++) total += s->objects[i].size;
    s->total_size = total;
    s->dangling = s->meta.dangling_edges + dropped + b->dangling_extra;

    b->s = NULL;
    wa_builder_free(b);
    return s;

oom:
    nomem(err, "building the snapshot");
fail:
    wa_builder_free(b);
    return NULL;
}
