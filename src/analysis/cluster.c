/*
 * analysis/cluster.c: grouping retention paths that differ only in
 * per-instance details.
 *
 * Two paths fall in one cluster when they start at roots of the same kind and
 * label and follow the same sequence of (object type, edge label), where a
 * label is compared in its abstracted form:
 *   - list/tuple indexes and dict -> key edges are always [*];
 *   - free-text labels that carry an address ("0x...") or a big index are [*];
 *   - a dict value keeps its key when the dict is a namespace (reached through
 *     an edge named __dict__: the namespace of a module, class or instance):
 *     such keys are attribute names, the same in every instance;
 *   - any other dict value is [*] when its key looks per-instance: not a
 *     string literal (ints, tuples, objects), a run of 4+ digits, a run of 8+
 *     hex characters with a digit among them (ids, uuids, addresses), or a
 *     dict with more than 64 entries (a registry keyed by something);
 *     otherwise (small dict, identifier-like key: configs, registries by
 *     name) the key is kept at first, and
 *   - a second pass abstracts the keys the first one kept where sibling
 *     paths differ only by that key: paths are grouped by their signature
 *     with that one hop's key left out; a group with two or more distinct
 *     keys there is keyed per instance (sessions['req-1'], ['req-2'], ...)
 *     and its hop becomes [*]. Namespace dicts (__dict__ of modules, classes
 *     and instances) are never abstracted: their keys are attribute names.
 * Path prefixes are interned (see `classes`): an object's class is derived
 * from its BFS parent's class, once, so grouping is exact (no hash decides
 * equality) and costs O(objects on the paths) even for million-hop paths.
 * Each class also carries a hash of its text (type names, labels), equal
 * across snapshots for equal paths: wa_cluster.key.
 */
#include <stdio.h>

#include "analysis/internal.h"

#define DICT_MANY 64

static int label_is_dunder_dict(const wa_snapshot *s, uint32_t label) {
    wa_edge_kind k = WA_LABEL_KIND(label);
    if (k != WA_EDGE_ATTR && k != WA_EDGE_OTHER) return 0;
    return strcmp(wa_snapshot_string(s, WA_LABEL_PAYLOAD(label)), "__dict__") == 0;
}

/* A generator's, coroutine's or async generator's frame hop. */
static int label_is_gen_frame(const wa_snapshot *s, uint32_t label) {
    wa_edge_kind k = WA_LABEL_KIND(label);
    if (k != WA_EDGE_ATTR && k != WA_EDGE_OTHER) return 0;
    const char *t = wa_snapshot_string(s, WA_LABEL_PAYLOAD(label));
    return !strcmp(t, "cr_frame") || !strcmp(t, "gi_frame") || !strcmp(t, "ag_frame");
}

/* Is dict object d (on a tree path) a namespace? */
static int namespace_dict(const wa_snapshot *s, const wa_path_tree *t, uint32_t d) {
    uint32_t p = t->parent[d];
    if (p == WA_NONE || p == WA_PATH_ROOT) return 0;
    return label_is_dunder_dict(s, s->edges[t->via[d]].label);
}

static int is_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int key_looks_per_instance(const char *k) {
    size_t len = strlen(k);
    if (len < 2 || (k[0] != '\'' && k[0] != '"') || k[len - 1] != k[0]) return 1;
    size_t digits = 0, hex = 0;
    int hex_digit = 0;
    for (size_t i = 1; i + 1 < len; i++) {
        char c = k[i];
        digits = (c >= '0' && c <= '9') ? digits + 1 : 0;
        if (digits >= 4) return 1;
        if (is_hex(c)) {
            hex++;
            hex_digit |= c >= '0' && c <= '9';
            if (hex >= 8 && hex_digit) return 1;
        } else {
            hex = 0;
            hex_digit = 0;
        }
    }
    return 0;
}

static int text_has_address(const char *t) {
    if (t[0] == '[') return 1; /* an index too big for the label word */
    for (; t[0] && t[1]; t++)
        if (t[0] == '0' && (t[1] == 'x' || t[1] == 'X') && is_hex(t[2])) return 1;
    return 0;
}

/* Is the hop src --label--> (child) shown as [*]? */
static int abstract_hop(const wa_snapshot *s, const wa_path_tree *t, uint32_t src, uint32_t label) {
    const char *text;
    switch (WA_LABEL_KIND(label)) {
    case WA_EDGE_INDEX:
    case WA_EDGE_DICT_KEY: return 1;
    case WA_EDGE_DICT_VALUE:
        if (namespace_dict(s, t, src)) return 0;
        if ((s->objects[src].flags & WA_OBJ_HAS_LEN) && s->objects[src].length > DICT_MANY)
            return 1;
        return key_looks_per_instance(wa_snapshot_string(s, WA_LABEL_PAYLOAD(label)));
    case WA_EDGE_OTHER:
        text = wa_snapshot_string(s, WA_LABEL_PAYLOAD(label));
        return text_has_address(text);
    default: return 0;
    }
}

static uint64_t hash_label(const wa_snapshot *s, uint64_t h, uint32_t label, int abs) {
    h = wa_fnv_u64(h, WA_LABEL_KIND(label) + (abs ? 16u : 0u));
    if (abs) return h;
    if (WA_LABEL_KIND(label) == WA_EDGE_INDEX) return wa_fnv_u64(h, WA_LABEL_PAYLOAD(label));
    return wa_fnv_str(h, wa_snapshot_string(s, WA_LABEL_PAYLOAD(label)));
}

/* Path prefixes are interned as classes: class = (parent class, object type,
 * edge label as compared), a root class = (root kind, root label, type of the
 * root object). Two objects are in one cluster exactly when their classes
 * are equal, and each object's class is computed once from its parent's, so
 * grouping costs O(objects on the paths), whatever their depth. */
typedef struct classes {
    uint32_t *parent; /* parent class, WA_NONE for a root class */
    uint32_t *type;   /* type of the object the prefix ends at */
    uint32_t *label;  /* label word of the last hop (root class: root index) */
    uint8_t *abs;     /* last hop shown as [*] */
    uint32_t *depth;  /* hops */
    uint64_t *key;    /* text hash, comparable across snapshots */
    uint32_t n, cap;
    wa_u64map map;   /* structural hash -> first class with it; collisions chain */
    uint32_t *chain; /* next class with the same structural hash */
} classes;

static int classes_grow(classes *c) {
    uint32_t cap = c->cap ? c->cap * 2 : 256;
#define GROW(f)                                                                                    \
    do {                                                                                           \
        void *p_ = realloc(c->f, (size_t)cap * sizeof *c->f);                                      \
        if (!p_) return -1;                                                                        \
        c->f = p_;                                                                                 \
    } while (0)
    GROW(parent);
    GROW(type);
    GROW(label);
    GROW(abs);
    GROW(depth);
    GROW(key);
    GROW(chain);
#undef GROW
    c->cap = cap;
    return 0;
}

static void classes_free(classes *c) {
    free(c->parent);
    free(c->type);
    free(c->label);
    free(c->abs);
    free(c->depth);
    free(c->key);
    free(c->chain);
    wa_u64map_free(&c->map);
}

/* Compared part of a label: the kind, and the payload unless abstracted. */
static uint32_t label_cmp_word(uint32_t label, int abs) {
    return abs ? WA_LABEL(WA_LABEL_KIND(label), 0) : label;
}

/* Class for (parent, type, label, abs); for a root class parent is WA_NONE
 * and label is the root index, compared by the root's kind and label. */
static uint32_t intern(classes *c, const wa_snapshot *s, const uint64_t *type_hash, uint32_t parent,
                       uint32_t type, uint32_t label, int abs) {
    uint32_t cmp = parent == WA_NONE ? 0 : label_cmp_word(label, abs);
    uint32_t rkind = 0, rlabel = 0;
    if (parent == WA_NONE) {
        rkind = s->roots[label].kind;
        rlabel = s->roots[label].label;
    }
    uint64_t h = wa_fnv_u64(wa_fnv_u64(parent, type), ((uint64_t)cmp << 3) ^ (uint64_t)abs);
    if (parent == WA_NONE) h = wa_fnv_u64(h, ((uint64_t)rkind << 32) | rlabel);
    int inserted = 0;
    uint32_t *head = wa_u64map_put(&c->map, h, c->n, &inserted);
    if (!head) return WA_NONE;
    if (!inserted) {
        for (uint32_t k = *head; k != WA_NONE; k = c->chain[k]) {
            if (c->parent[k] != parent || c->type[k] != type || c->abs[k] != abs) continue;
            if (parent == WA_NONE) {
                const wa_root *r = &s->roots[c->label[k]];
                if (r->kind == rkind && r->label == rlabel) return k;
            } else if (label_cmp_word(c->label[k], c->abs[k]) == cmp) {
                return k;
            }
        }
    }
    if (c->n == c->cap && classes_grow(c) != 0) return WA_NONE;
    uint32_t id = c->n++;
    c->parent[id] = parent;
    c->type[id] = type;
    c->label[id] = label;
    c->abs[id] = (uint8_t)abs;
    c->depth[id] = parent == WA_NONE ? 0 : c->depth[parent] + 1;
    c->chain[id] = inserted ? WA_NONE : *head;
    if (!inserted) *head = id;
    /* the key hashes text, so that equal paths agree across snapshots */
    uint64_t k;
    if (parent == WA_NONE) {
        k = wa_fnv_u64(0xcbf29ce484222325ull, rkind);
        k = wa_fnv_str(k, wa_snapshot_string(s, rlabel));
    } else {
        k = hash_label(s, c->key[parent], label, abs);
    }
    c->key[id] = wa_fnv_u64(k, type_hash[type]);
    return id;
}

static void cluster_clear(wa_cluster *c) {
    free(c->types);
    free(c->labels);
    free(c->abstracted);
    free(c->members);
}

void wa_cluster_set_free(wa_cluster_set *set) {
    if (!set) return;
    for (uint32_t i = 0; i < set->n; i++) cluster_clear(&set->clusters[i]);
    free(set->clusters);
    free(set);
}

static int cluster_cmp(const void *a, const void *b) {
    const wa_cluster *x = a, *y = b;
    if (x->retained != y->retained) return x->retained > y->retained ? -1 : 1;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    if (x->shallow != y->shallow) return x->shallow > y->shallow ? -1 : 1;
    return x->example < y->example ? -1 : x->example > y->example;
}

/* Fill a cluster's path from its class chain. */
static wa_status fill_shape(const classes *cl, uint32_t cls, wa_cluster *c, wa_error *err) {
    uint32_t len = cl->depth[cls];
    c->len = len;
    c->types = wa_alloc((size_t)len + 1, 4, err);
    c->labels = wa_alloc(len, 4, err);
    c->abstracted = wa_alloc(len, 1, err);
    if (!c->types || !c->labels || !c->abstracted) return WA_ERR_NOMEM;
    uint32_t k = cls;
    for (uint32_t i = len + 1; i-- > 0;) {
        c->types[i] = cl->type[k];
        if (i == 0) break;
        c->labels[i - 1] = cl->label[k];
        c->abstracted[i - 1] = cl->abs[k];
        k = cl->parent[k];
    }
    c->root = cl->label[k];
    c->key = cl->key[cls];
    return WA_OK;
}

/* Hops kept for all clusters' paths together; beyond it a selection is
 * refused rather than eating memory (a million distinct million-hop paths
 * would be 10^12 hops). */
#define MAX_SHAPE_HOPS (64u * 1024u * 1024u)

typedef struct inst {
    uint32_t cls; /* class, or WA_NONE: unreachable */
    uint32_t pos; /* index into the caller's objs */
} inst;

static int inst_cmp(const void *a, const void *b) {
    const inst *x = a, *y = b;
    if (x->cls != y->cls) return x->cls < y->cls ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Could the last hop of class c be abstracted by the second pass: a dict
 * value kept by its key, in a dict that is not a namespace? */
static int key_candidate(const classes *cl, const wa_snapshot *s, uint32_t c) {
    if (cl->parent[c] == WA_NONE || cl->abs[c]) return 0;
    if (WA_LABEL_KIND(cl->label[c]) != WA_EDGE_DICT_VALUE) return 0;
    uint32_t dict = cl->parent[c]; /* the class of the dict itself */
    return cl->parent[dict] == WA_NONE || !label_is_dunder_dict(s, cl->label[dict]);
}

/* Walk leaf's chain upward; for each candidate hop, the signature of the
 * whole path with that hop's key left out: (prefix class, type, hash of
 * everything below). Calls visit(ctx, class, signature) for each. */
typedef int (*sig_visit)(void *ctx, uint32_t cls, uint64_t sig);

static int for_each_signature(const classes *cl, const wa_snapshot *s, uint32_t leaf,
                              sig_visit visit, void *ctx) {
    uint64_t below = 0x9e3779b97f4a7c15ull; /* hash of the hops below the current class */
    for (uint32_t c = leaf; cl->parent[c] != WA_NONE; c = cl->parent[c]) {
        if (key_candidate(cl, s, c)) {
            uint64_t sig = wa_fnv_u64(wa_fnv_u64(cl->parent[c], cl->type[c]), below);
            if (visit(ctx, c, sig) != 0) return -1;
        }
        below = wa_fnv_u64(wa_fnv_u64(below, cl->type[c]),
                           ((uint64_t)label_cmp_word(cl->label[c], cl->abs[c]) << 1) | cl->abs[c]);
    }
    return 0;
}

/* Signature -> the first key seen there, or WA_NONE once a second,
 * different key was seen. Signatures are 64-bit hashes: a collision can only
 * make a hop [*] that would have kept its key, never merge two clusters
 * whose shown paths differ (clusters are still grouped by exact classes). */
typedef struct sig_groups {
    const classes *cl;
    wa_u64map map; /* signature -> index into key */
    uint32_t *key;
    uint32_t n, cap;
    uint8_t *abstract; /* per class (second walk): abstract its hop */
    uint32_t n_marked;
} sig_groups;

static int collect_sig(void *ctx, uint32_t cls, uint64_t sig) {
    sig_groups *g = ctx;
    uint32_t key = WA_LABEL_PAYLOAD(g->cl->label[cls]);
    int inserted = 0;
    uint32_t *slot = wa_u64map_put(&g->map, sig, g->n, &inserted);
    if (!slot) return -1;
    if (!inserted) {
        if (g->key[*slot] != key) g->key[*slot] = WA_NONE;
        return 0;
    }
    if (g->n == g->cap) {
        uint32_t cap = g->cap ? g->cap * 2 : 64;
        uint32_t *v = realloc(g->key, (size_t)cap * sizeof *v);
        if (!v) return -1;
        g->key = v;
        g->cap = cap;
    }
    g->key[g->n++] = key;
    return 0;
}

static int mark_sig(void *ctx, uint32_t cls, uint64_t sig) {
    sig_groups *g = ctx;
    const uint32_t *slot = wa_u64map_get(&g->map, sig);
    if (slot && g->key[*slot] == WA_NONE && !g->abstract[cls]) {
        g->abstract[cls] = 1;
        g->n_marked++;
    }
    return 0;
}

/* The second pass: leaf[i] (classes of the instances) are replaced by the
 * classes of their paths with the per-instance keys abstracted. Each
 * distinct leaf is walked twice (collect, then re-intern top-down), so the
 * cost is the hops of the distinct paths, which the caller bounds. */
static wa_status abstract_sibling_keys(classes *cl, const wa_snapshot *s, const uint64_t *type_hash,
                                       inst *in, uint32_t n, wa_error *err) {
    uint32_t n0 = cl->n;
    sig_groups g;
    memset(&g, 0, sizeof g);
    g.cl = cl;
    uint32_t *remap = wa_alloc(n0, 4, err);
    uint8_t *seen = wa_calloc(n0, 1, err);
    g.abstract = wa_calloc(n0, 1, err);
    wa_u32vec up = {0};
    wa_status st = WA_ERR_NOMEM;
    if (!remap || !seen || !g.abstract || wa_u64map_init(&g.map, 64) != 0) goto out;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t L = in[i].cls;
        if (L == WA_NONE || seen[L]) continue;
        seen[L] = 1;
        if (for_each_signature(cl, s, L, collect_sig, &g) != 0) goto out;
    }
    for (uint32_t c = 0; c < n0; c++)
        if (seen[c] && for_each_signature(cl, s, c, mark_sig, &g) != 0) goto out;
    if (g.n_marked == 0) {
        st = WA_OK;
        goto out;
    }
    for (uint32_t c = 0; c < n0; c++) {
        remap[c] = c;
        if (!seen[c]) continue;
        int any = 0;
        up.n = 0;
        for (uint32_t k = c; k != WA_NONE; k = cl->parent[k]) {
            if (wa_u32vec_push(&up, k) != 0) goto out;
            any |= g.abstract[k];
        }
        if (!any) continue;
        uint32_t cur = up.v[up.n - 1]; /* the root class stays */
        for (size_t j = up.n - 1; j-- > 0;) {
            uint32_t k = up.v[j];
            cur = intern(cl, s, type_hash, cur, cl->type[k], cl->label[k],
                         cl->abs[k] || g.abstract[k]);
            if (cur == WA_NONE) goto out;
        }
        remap[c] = cur;
    }
    for (uint32_t i = 0; i < n; i++)
        if (in[i].cls != WA_NONE) in[i].cls = remap[in[i].cls];
    st = WA_OK;
out:
    if (st != WA_OK) wa_nomem(err);
    free(remap);
    free(seen);
    free(g.abstract);
    free(g.key);
    wa_u64map_free(&g.map);
    wa_u32vec_free(&up);
    return st;
}

/* One clustering under way: every temporary lives here and goes in
 * clustering_free(), the one cleanup path. */
typedef struct clustering {
    const wa_snapshot *s;
    const wa_path_tree *t;
    const uint32_t *objs;
    uint32_t n;
    wa_cluster_set *set; /* the result, handed over at the end */
    uint64_t *type_hash; /* per type: hash of its name */
    inst *in;            /* per instance: class and position */
    uint32_t *memo;      /* object -> class (first pass only) */
    uint32_t *cl_of;     /* position -> cluster */
    wa_bits *top;        /* instances no other instance dominates */
    wa_u32vec stack;
    classes cl;
} clustering;

static void clustering_free(clustering *w) {
    wa_cluster_set_free(w->set);
    free(w->type_hash);
    free(w->in);
    wa_big_free(w->memo);
    free(w->cl_of);
    free(w->top);
    wa_u32vec_free(&w->stack);
    classes_free(&w->cl);
}

static wa_status clustering_init(clustering *w, const wa_snapshot *s, const wa_path_tree *t,
                                 const uint32_t *objs, uint32_t n, wa_error *err) {
    memset(w, 0, sizeof *w);
    w->s = s;
    w->t = t;
    w->objs = objs;
    w->n = n;
    w->set = wa_calloc(1, sizeof *w->set, err);
    w->type_hash = wa_alloc(s->n_types, 8, err);
    w->in = wa_alloc(n, sizeof *w->in, err);
    w->memo = wa_big_alloc(s->n_objects, 4, err);
    if (!w->set || !w->type_hash || !w->in || !w->memo || wa_u64map_init(&w->cl.map, 64) != 0)
        return WA_ERR_NOMEM;
    for (uint32_t i = 0; i < n; i++)
        if (objs[i] >= s->n_objects)
            return wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE, "no such object");
    w->set->n_instances = n;
    for (uint32_t ty = 0; ty < s->n_types; ty++)
        w->type_hash[ty] = wa_fnv_str(0x84222325ull, wa_snapshot_type_name(s, ty));
    for (uint32_t v = 0; v < s->n_objects; v++) w->memo[v] = WA_NONE;
    return WA_OK;
}

/* Class of every instance: climb to the first known prefix, then intern
 * the climbed objects top-down. */
static wa_status classify(clustering *w, wa_error *err) {
    const wa_snapshot *s = w->s;
    const wa_path_tree *t = w->t;
    const uint64_t *type_hash = w->type_hash;
    uint32_t *memo = w->memo;
    inst *in = w->in;
    wa_u32vec *stack = &w->stack;
    const uint32_t *objs = w->objs, n = w->n;
    for (uint32_t i = 0; i < n; i++) {
        /* Bound by memory latency (instances scattered over the heap): fetch
         * ahead in two stages, an instance's tree entries 16 ahead, then
         * what its first climbing step reads 8 ahead. */
        if (i + 16 < n) {
            uint32_t a = objs[i + 16];
            __builtin_prefetch(&t->parent[a]);
            __builtin_prefetch(&t->via[a]);
            __builtin_prefetch(&memo[a]);
        }
        if (i + 8 < n) {
            uint32_t b = objs[i + 8], p = t->parent[b];
            if (p < WA_PATH_ROOT) {
                __builtin_prefetch(&s->edges[t->via[b]]);
                __builtin_prefetch(&memo[p]);
                __builtin_prefetch(&s->objects[p]);
                __builtin_prefetch(&t->parent[p]);
                __builtin_prefetch(&t->via[p]);
            }
        }
        uint32_t v = objs[i];
        in[i].pos = i;
        if (t->parent[v] == WA_NONE) {
            in[i].cls = WA_NONE;
            continue;
        }
        stack->n = 0;
        uint32_t x = v;
        while (memo[x] == WA_NONE) {
            if (wa_u32vec_push(stack, x) != 0) return wa_nomem(err);
            if (t->parent[x] == WA_PATH_ROOT) break;
            x = t->parent[x];
        }
        while (stack->n) {
            uint32_t y = stack->v[--stack->n], p = t->parent[y], c;
            if (p == WA_PATH_ROOT) {
                c = intern(&w->cl, s, type_hash, WA_NONE, s->objects[y].type, t->via[y], 0);
            } else {
                uint32_t label = s->edges[t->via[y]].label;
                c = intern(&w->cl, s, type_hash, memo[p], s->objects[y].type, label,
                           abstract_hop(s, t, p, label));
            }
            if (c == WA_NONE) return wa_nomem(err);
            memo[y] = c;
        }
        in[i].cls = memo[v];
    }
    wa_big_free(w->memo);
    w->memo = NULL;
    return WA_OK;
}

/* The second pass walks each distinct path: only within the bound the
 * clusters themselves must respect (checked again in make_clusters). */
static wa_status abstract_if_bounded(clustering *w, wa_error *err) {
    const inst *in = w->in;
    uint64_t distinct_hops = 0;
    uint8_t *once = wa_calloc(w->cl.n, 1, err);
    if (!once) return WA_ERR_NOMEM;
    for (uint32_t i = 0; i < w->n; i++)
        if (in[i].cls != WA_NONE && !once[in[i].cls]) {
            once[in[i].cls] = 1;
            distinct_hops += w->cl.depth[in[i].cls];
        }
    free(once);
    if (distinct_hops > MAX_SHAPE_HOPS) return WA_OK;
    return abstract_sibling_keys(&w->cl, w->s, w->type_hash, w->in, w->n, err);
}

/* One cluster per distinct class (instances sorted by class: the
 * unreachable group sorts last), its path filled; cl_of[pos] set. */
static wa_status make_clusters(clustering *w, wa_error *err) {
    const inst *in = w->in;
    const uint32_t n = w->n;
    wa_cluster_set *set = w->set;
    uint32_t ncl = 0;
    uint64_t hops = 0;
    for (uint32_t i = 0; i < n; i++)
        if (i == 0 || in[i].cls != in[i - 1].cls) {
            ncl++;
            if (in[i].cls != WA_NONE) hops += w->cl.depth[in[i].cls];
        }
    if (hops > MAX_SHAPE_HOPS)
        return wa_error_set(err, WA_ERR_LIMIT, NULL, WA_POS_NONE, WA_POS_NONE,
                            "the selection has %u distinct retention paths with %llu hops in all "
                            "(more than %u): select fewer objects",
                            ncl, (unsigned long long)hops, MAX_SHAPE_HOPS);
    set->clusters = wa_calloc(ncl, sizeof *set->clusters, err);
    if (!set->clusters) return WA_ERR_NOMEM;
    /* the climbing stack's memory, no longer needed, becomes cl_of */
    uint32_t *cl_of = realloc(w->stack.v, (size_t)(n ? n : 1) * sizeof *cl_of);
    if (!cl_of) return wa_nomem(err);
    w->stack.v = NULL;
    w->stack.n = w->stack.cap = 0;
    w->cl_of = cl_of;
    for (uint32_t i = 0, k = 0; i < n; i++) {
        if (i > 0 && in[i].cls != in[i - 1].cls) k++;
        wa_cluster *c = &set->clusters[k];
        set->n = k + 1;
        if (c->count == 0) {
            c->example = w->objs[in[i].pos];
            if (in[i].cls == WA_NONE) {
                c->root = WA_NONE;
                c->key = 0x5eed;
                c->types = wa_alloc(1, 4, err);
                if (!c->types) return WA_ERR_NOMEM;
                c->types[0] = w->s->objects[c->example].type;
            } else if (fill_shape(&w->cl, in[i].cls, c, err) != WA_OK) {
                return WA_ERR_NOMEM;
            }
        }
        c->count++;
        cl_of[in[i].pos] = k;
    }
    return WA_OK;
}

/* Members in the caller's order (the example is the first of them), their
 * shallow sizes, and the retained size of those no other member dominates. */
static wa_status fill_members(clustering *w, const wa_dom *dom, wa_error *err) {
    wa_cluster_set *set = w->set;
    for (uint32_t k = 0; k < set->n; k++) {
        set->clusters[k].members = wa_alloc(set->clusters[k].count, 4, err);
        if (!set->clusters[k].members) return WA_ERR_NOMEM;
        set->clusters[k].count = 0;
    }
    if (dom) {
        w->top = wa_ana_top_members(dom, w->objs, w->n, err);
        if (!w->top) return WA_ERR_NOMEM;
    }
    wa_bits *top = w->top;
    for (uint32_t i = 0; i < w->n; i++) {
        wa_cluster *c = &set->clusters[w->cl_of[i]];
        uint32_t v = w->objs[i];
        if (c->count == 0) c->example = v;
        c->members[c->count++] = v;
        c->shallow += w->s->objects[v].size;
        if (top && wa_bit(top, v)) {
            c->retained += dom->retained[v];
            wa_bit_clear(top, v); /* duplicates once */
        }
    }
    return WA_OK;
}

wa_cluster_set *wa_path_cluster(const wa_snapshot *s, const wa_path_tree *t, const wa_dom *dom,
                                const uint32_t *objs, uint32_t n, wa_error *err) {
    clustering w;
    wa_status st = clustering_init(&w, s, t, objs, n, err);
    if (st == WA_OK) st = classify(&w, err);
    if (st == WA_OK) st = abstract_if_bounded(&w, err);
    if (st == WA_OK) {
        qsort(w.in, n, sizeof *w.in, inst_cmp);
        st = make_clusters(&w, err);
    }
    if (st == WA_OK) st = fill_members(&w, dom, err);
    wa_cluster_set *set = NULL;
    if (st == WA_OK) {
        set = w.set;
        w.set = NULL;
        if (set->n > 1) qsort(set->clusters, set->n, sizeof *set->clusters, cluster_cmp);
    } else if (err && err->code == WA_OK) {
        wa_nomem(err);
    }
    clustering_free(&w);
    return set;
}

size_t wa_path_hop_format(const wa_snapshot *s, uint32_t label, int abstracted, char *buf,
                          size_t cap) {
    if (!abstracted) return wa_label_format(s, label, buf, cap);
    int n = WA_LABEL_KIND(label) == WA_EDGE_DICT_KEY ? snprintf(buf, cap, "<key *>")
                                                     : snprintf(buf, cap, "[*]");
    return n < 0 ? 0 : (size_t)n;
}

/* Append src to buf at *len (always counting what was wanted). */
static void put(char *buf, size_t cap, size_t *len, const char *src) {
    size_t k = strlen(src);
    if (*len < cap) {
        size_t room = cap - *len - 1;
        size_t c = k < room ? k : room;
        memcpy(buf + *len, src, c);
        buf[*len + c] = '\0';
    }
    *len += k;
}

/* Modules and classes keep their `.__dict__` hop in a path: their
 * namespace is a dict of its own in every version. */
static int is_namespace_type(const wa_snapshot *s, uint32_t type) {
    const char *t = wa_snapshot_type_name(s, type);
    return strcmp(t, "builtins.module") == 0 || strcmp(t, "builtins.type") == 0;
}

size_t wa_cluster_format(const wa_snapshot *s, const wa_cluster *c, char *buf, size_t cap) {
    char tmp[1024];
    size_t len = 0;
    if (cap) buf[0] = '\0';
    if (c->root == WA_NONE) {
        put(buf, cap, &len, "<unreachable>");
        return len;
    }
    wa_path_root_format(s, c->root, tmp, sizeof tmp);
    put(buf, cap, &len, tmp);
    for (uint32_t i = 0; i < c->len; i++) {
        /* One form across interpreters: an instance's attribute reads
         * `.handler .filters` whether its __dict__ is a dict of its own
         * (3.9/3.10: `.__dict__ .filters`) or kept inline (3.11+). */
        if (i + 1 < c->len && label_is_dunder_dict(s, c->labels[i]) &&
            WA_LABEL_KIND(c->labels[i + 1]) == WA_EDGE_ATTR && !is_namespace_type(s, c->types[i]))
            continue;
        /* Likewise a suspended coroutine's local reads `._coro f_locals.job`
         * whether its frame is an object of its own (3.9/3.10: `.cr_frame
         * f_locals.job`) or kept inside the coroutine (3.11+). */
        if (i + 1 < c->len && label_is_gen_frame(s, c->labels[i]) &&
            WA_LABEL_KIND(c->labels[i + 1]) == WA_EDGE_FRAME_LOCAL)
            continue;
        /* `x.__dict__['k']` reads as Python: a namespace key sticks to its
         * __dict__ hop; every other hop is a word of its own. */
        int glue = i > 0 && WA_LABEL_KIND(c->labels[i]) == WA_EDGE_DICT_VALUE &&
                   label_is_dunder_dict(s, c->labels[i - 1]);
        if (!glue) put(buf, cap, &len, " ");
        wa_path_hop_format(s, c->labels[i], c->abstracted[i], tmp, sizeof tmp);
        put(buf, cap, &len, tmp);
    }
    return len;
}
