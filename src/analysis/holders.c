/*
 * analysis/holders.c: every holder of a selection, not only the shortest
 * route. A holder is a reference into the selection from an object outside
 * it that a root reaches (weak references and garbage never hold), or a
 * root that is a selected object itself. Holders are grouped by pattern:
 * the holding object's type and the edge's label, with list and tuple
 * indexes shown [*] and, when one holder type holds the selection under
 * many dict keys, the keys too. Cutting every pattern listed frees the
 * selection: every reference from outside into it is in one of them, and
 * objects held only from inside the selection (held_inside) go with it.
 */
#include "analysis/internal.h"
#include "core/containers.h"

/* Dict-key patterns of one holder type above this many become one. */
#define WA_HOLDER_KEYS 8

typedef struct hgroup {
    uint64_t key;
    wa_holder h;
    uint32_t last; /* last selected object counted */
} hgroup;

static uint64_t pattern_key(uint32_t type, uint32_t label, uint32_t root_kind) {
    if (type == WA_NONE) return ((uint64_t)0xFFFFFFFFu << 32) | root_kind;
    return ((uint64_t)type << 32) | label;
}

static int by_count(const void *a, const void *b) {
    const wa_holder *x = a, *y = b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    if (x->refs != y->refs) return x->refs > y->refs ? -1 : 1;
    if (x->holder_type != y->holder_type) return x->holder_type < y->holder_type ? -1 : 1;
    return x->label < y->label ? -1 : x->label > y->label;
}

/* The label of a holder pattern: list/tuple indexes as [*]. */
static uint32_t pattern_label(uint32_t label, int *abstracted) {
    *abstracted = WA_LABEL_KIND(label) == WA_EDGE_INDEX;
    return *abstracted ? WA_LABEL(WA_EDGE_INDEX, 0) : label;
}

static wa_status add_ref(hgroup **gs, uint32_t *ng, uint32_t *cap, wa_u64map *map, uint64_t key,
                         const wa_holder *proto, uint32_t v, uint64_t size, wa_error *err) {
    int inserted;
    uint32_t *slot = wa_u64map_put(map, key, *ng, &inserted);
    if (!slot) return wa_nomem(err);
    if (inserted) {
        if (*ng == *cap) {
            uint32_t nc = *cap ? *cap * 2 : 16;
            hgroup *n2 = realloc(*gs, (size_t)nc * sizeof **gs);
            if (!n2) return wa_nomem(err);
            *gs = n2;
            *cap = nc;
        }
        hgroup *g = &(*gs)[(*ng)++];
        memset(g, 0, sizeof *g);
        g->key = key;
        g->h = *proto;
        g->h.example = v;
        g->last = WA_NONE;
    }
    hgroup *g = &(*gs)[*slot];
    g->h.refs++;
    if (g->last != v) {
        g->last = v;
        g->h.count++;
        g->h.shallow += size;
    }
    return WA_OK;
}

/* The holder groups of the selection (bits `in`), every selected object
 * held from outside marked in `held`. Dict-kind labels of a (holder type,
 * kind) found in `fold` are abstracted. */
static wa_status collect(const wa_snapshot *s, const wa_dom *dom, const uint32_t *objs, uint32_t n,
                         const wa_bits *in, wa_bits *held, const wa_u64map *fold,
                         const uint32_t *inlab, hgroup **gs, uint32_t *ng, wa_error *err) {
    uint32_t cap = 0;
    wa_u64map map = {0};
    wa_status st = WA_OK;
    *gs = NULL;
    *ng = 0;
    if (wa_u64map_init(&map, 64) != 0) return wa_nomem(err);
    /* roots that are selected objects themselves */
    const wa_root *roots = wa_snapshot_roots(s);
    for (uint32_t r = 0; r < s->n_roots && st == WA_OK; r++) {
        uint32_t v = roots[r].obj;
        if (v >= s->n_objects || !wa_bit(in, v)) continue;
        wa_holder proto = {0};
        proto.holder_type = WA_NONE;
        proto.example_holder = WA_NONE;
        proto.root = r;
        st = add_ref(gs, ng, &cap, &map, pattern_key(WA_NONE, 0, roots[r].kind), &proto, v,
                     s->objects[v].size, err);
        wa_bit_set(held, v);
    }
    /* references from reachable objects outside the selection */
    for (uint32_t i = 0; i < n && st == WA_OK; i++) {
        uint32_t v = objs[i];
        if (v >= s->n_objects || (i > 0 && objs[i - 1] == v)) continue;
        const uint32_t *src;
        uint32_t m = wa_snapshot_in(s, v, &src);
        /* labels from the table of in-edge labels: neither a rescan of
         * v's referrers nor of a referrer's references (a list of a
         * million selected items stays linear) */
        const uint32_t *lab = inlab + (src - wa_snapshot_in_sources(s));
        for (uint32_t j = 0; j < m && st == WA_OK; j++) {
            uint32_t h = src[j];
            if (wa_bit(in, h) || (dom && dom->idom[h] == WA_NONE)) continue;
            uint32_t label = lab[j];
            wa_edge_kind kind = WA_LABEL_KIND(label);
            if (kind == WA_EDGE_WEAK) continue;
            wa_holder proto = {0};
            proto.holder_type = s->objects[h].type;
            proto.label = pattern_label(label, &proto.abstracted);
            if (fold && (kind == WA_EDGE_DICT_VALUE || kind == WA_EDGE_DICT_KEY) &&
                wa_u64map_get(fold, ((uint64_t)proto.holder_type << 4) | kind)) {
                proto.label = WA_LABEL(kind, 0);
                proto.abstracted = 1;
            }
            proto.root = WA_NONE;
            proto.example_holder = h;
            st = add_ref(gs, ng, &cap, &map, pattern_key(proto.holder_type, proto.label, 0), &proto,
                         v, s->objects[v].size, err);
            wa_bit_set(held, v);
        }
    }
    wa_u64map_free(&map);
    return st;
}

wa_holder_set *wa_holders_find_labeled(const wa_snapshot *s, const wa_dom *dom,
                                       const uint32_t *objs, uint32_t n, const uint32_t *inlab,
                                       wa_error *err) {
    wa_holder_set *set = wa_calloc(1, sizeof *set, err);
    wa_bits *in = wa_bits_new(s->n_objects, err), *held = wa_bits_new(s->n_objects, err);
    wa_u64map fold = {0}, kinds = {0};
    hgroup *gs = NULL;
    uint32_t ng = 0;
    if (!set || !in || !held || wa_u64map_init(&fold, 16) != 0 || wa_u64map_init(&kinds, 16) != 0)
        goto oom;
    for (uint32_t i = 0; i < n; i++)
        if (objs[i] < s->n_objects) wa_bit_set(in, objs[i]);
    if (collect(s, dom, objs, n, in, held, NULL, inlab, &gs, &ng, err) != WA_OK) goto fail;
    /* one holder type holding the selection under many dict keys: those
     * keys become one pattern (per-request keys of a cache), counted again */
    int refold = 0;
    for (uint32_t a = 0; a < ng; a++) {
        const wa_holder *x = &gs[a].h;
        wa_edge_kind k = WA_LABEL_KIND(x->label);
        if (x->holder_type == WA_NONE || (k != WA_EDGE_DICT_VALUE && k != WA_EDGE_DICT_KEY))
            continue;
        uint64_t key = ((uint64_t)x->holder_type << 4) | k;
        int inserted;
        uint32_t *c = wa_u64map_put(&kinds, key, 0, &inserted);
        if (!c) goto oom;
        if (++*c == WA_HOLDER_KEYS + 1) {
            if (!wa_u64map_put(&fold, key, 1, &inserted)) goto oom;
            refold = 1;
        }
    }
    if (refold) {
        free(gs);
        memset(held, 0, ((size_t)(s->n_objects + 63) / 64 + 1) * sizeof *held);
        if (collect(s, dom, objs, n, in, held, &fold, inlab, &gs, &ng, err) != WA_OK) goto fail;
    }
    set->holders = wa_alloc(ng ? ng : 1, sizeof *set->holders, err);
    if (!set->holders) goto fail;
    for (uint32_t a = 0; a < ng; a++) set->holders[a] = gs[a].h;
    set->n = ng;
    if (ng > 1) qsort(set->holders, ng, sizeof *set->holders, by_count);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t v = objs[i];
        if (v >= s->n_objects || (i > 0 && objs[i - 1] == v)) continue;
        set->n_selected++;
        if (!wa_bit(held, v) && (!dom || dom->idom[v] != WA_NONE)) set->held_inside++;
        if (dom && dom->idom[v] == WA_NONE) set->unreachable++;
    }
    free(gs);
    free(in);
    free(held);
    wa_u64map_free(&fold);
    wa_u64map_free(&kinds);
    return set;
oom:
    wa_nomem(err);
fail:
    free(gs);
    free(in);
    free(held);
    wa_u64map_free(&fold);
    wa_u64map_free(&kinds);
    if (set) free(set->holders);
    free(set);
    return NULL;
}

wa_holder_set *wa_holders_find(const wa_snapshot *s, const wa_dom *dom, const uint32_t *objs,
                               uint32_t n, wa_error *err) {
    uint32_t *inlab = wa_snapshot_in_labels(s, err);
    if (!inlab) return NULL;
    wa_holder_set *set = wa_holders_find_labeled(s, dom, objs, n, inlab, err);
    free(inlab);
    return set;
}

void wa_holder_set_free(wa_holder_set *set) {
    if (!set) return;
    free(set->holders);
    free(set);
}
