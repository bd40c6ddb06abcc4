/*
 * analysis/cut.c: the cut of a selection: the fewest edge patterns whose
 * removal leaves no route from a root to any selected object ("to free
 * these N objects, remove: EventBus .listeners [*], cell 'sessions' [*]").
 *
 * How. The retention subgraph G' is every object a root reaches that
 * reaches the selection (a backward walk from the selection over strong
 * references). Each reference u -> v of G' gets a pattern: the holder (u's
 * type; an instance's __dict__ stands for its owner's type, a module's or
 * class's namespace for that one module or class), the label with
 * container indexes and keys shown [*], and for containers the pattern
 * that holds the container (so `EventBus .listeners [*]` and `Logger
 * .filters [*]` are two patterns, not one `list [*]`). A flow network
 * routes every reference through its pattern's node (capacity: 1 for a
 * reference a program makes, WA_CUT_INTERNAL for interpreter plumbing such
 * as a bound method's __self__, a function's __closure__ or an instance's
 * __dict__ hop), roots feed a source, selected objects drain to a sink;
 * the minimum cut nearest the selection is read off the residual graph.
 * Routing through a shared pattern node only adds routes, so the cut is
 * always sufficient; it is then checked exactly on G' (a walk from the
 * roots with the cut patterns removed reaches no selected object) and
 * patterns the check shows redundant are dropped.
 *
 * Every traversal is iterative (explicit queues), so million-long chains
 * are fine. Selected objects that are roots themselves (held from outside
 * the visible graph, a module, a thread's frame) cannot be freed by
 * removing a reference: they are counted apart and not routed.
 */
#include "analysis/internal.h"
#include "core/containers.h"

#include <stdio.h>

/* Cost of cutting interpreter plumbing rather than a program's reference. */
#define WA_CUT_INTERNAL 64u
/* Augmenting paths before giving up (each saturates a pattern). */
#define WA_CUT_MAX_AUGMENT 4096u

typedef struct arc {
    uint32_t to;
    uint32_t cap; /* residual capacity */
} arc;

/* G' as CSR: per node its strong references inside G' (label, pattern),
 * and the reverse: per node its referrers in G' with the index of the
 * forward reference (so a label is read in O(1), never by scanning a
 * referrer's references: a list of a million items stays linear). */
typedef struct gcsr {
    uint32_t *off; /* ng + 1 */
    uint32_t *to;  /* G' ids */
    uint32_t *pat; /* pattern ids */
    uint32_t *lab; /* labels */
    uint32_t m;
    uint32_t *roff; /* ng + 1 */
    uint32_t *rsrc; /* m: referrer (G' id) */
    uint32_t *ridx; /* m: index of the forward reference */
} gcsr;

typedef struct cutctx {
    const wa_snapshot *s;
    const gcsr *g;
    const uint32_t *inlab; /* label of every reverse-index position */
    int strict;            /* leave out upward references (see wa_cut_find) */
    uint8_t *tk;           /* per type: TK_* flags (no string compare per object) */
    const wa_dom *dom;
    uint32_t n;        /* objects */
    uint32_t *gid;     /* object -> G' id, WA_NONE outside G' */
    uint32_t *gobj;    /* G' id -> object */
    uint32_t ng;       /* nodes of G' */
    uint64_t *hkey;    /* per G' node: holder key (0: not computed) */
    uint64_t *ctx;     /* per G' node: container context key (0: none) */
    uint8_t *ctx_done; /* ctx computed */
    uint8_t *ctx_int;  /* the container is held by interpreter plumbing */
    uint32_t *owner;   /* per G' node: namespace owner object or WA_NONE */
    uint32_t *ctx_par; /* per G' node: the container's holder object or WA_NONE */
    uint32_t *ctx_lab; /* per G' node: label of ctx_par -> node */
} cutctx;

static uint64_t mix(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static int label_is(const wa_snapshot *s, uint32_t label, const char *name) {
    wa_edge_kind k = WA_LABEL_KIND(label);
    if (k != WA_EDGE_ATTR && k != WA_EDGE_OTHER) return 0;
    return strcmp(wa_snapshot_string(s, WA_LABEL_PAYLOAD(label)), name) == 0;
}

static int label_dunder(const wa_snapshot *s, uint32_t label) {
    wa_edge_kind k = WA_LABEL_KIND(label);
    if (k != WA_EDGE_ATTR && k != WA_EDGE_OTHER) return 0;
    const char *t = wa_snapshot_string(s, WA_LABEL_PAYLOAD(label));
    size_t len = strlen(t);
    return len > 4 && t[0] == '_' && t[1] == '_' && t[len - 1] == '_' && t[len - 2] == '_';
}

enum { TK_DICT = 1, TK_MODULE = 2, TK_TYPE = 4, TK_METHOD = 8, TK_FRAME = 16, TK_CODE = 32 };

static uint8_t *type_kinds(const wa_snapshot *s, wa_error *err) {
    static const char *const names[] = {"builtins.dict",   "builtins.module", "builtins.type",
                                        "builtins.method", "builtins.frame",  "builtins.code"};
    uint8_t *tk = wa_calloc(s->n_types ? s->n_types : 1, 1, err);
    if (!tk) return NULL;
    for (uint32_t t = 0; t < s->n_types; t++)
        for (unsigned k = 0; k < sizeof names / sizeof names[0]; k++)
            if (!strcmp(wa_snapshot_type_name(s, t), names[k])) tk[t] = (uint8_t)(1u << k);
    return tk;
}

static int kind_of(const cutctx *c, uint32_t obj, int kind) {
    return (c->tk[c->s->objects[obj].type] & kind) != 0;
}

static int type_is(const wa_snapshot *s, uint32_t obj, const char *name) {
    return strcmp(wa_snapshot_type_name(s, s->objects[obj].type), name) == 0;
}

/* Labels of container items and keys are one pattern whatever the index. */
static uint32_t abstract_label(uint32_t label, int *abstracted) {
    wa_edge_kind k = WA_LABEL_KIND(label);
    *abstracted = k == WA_EDGE_INDEX || k == WA_EDGE_DICT_KEY || k == WA_EDGE_DICT_VALUE ||
                  k == WA_EDGE_SET_MEMBER;
    return *abstracted ? WA_LABEL(k, 0) : label;
}

/* The object whose namespace dict G' node g is (its referrer through
 * `__dict__`), or WA_NONE. */
static uint32_t ns_owner(const cutctx *c, uint32_t g) {
    if (!kind_of(c, c->gobj[g], TK_DICT)) return WA_NONE;
    for (uint32_t i = c->g->roff[g]; i < c->g->roff[g + 1]; i++)
        if (label_is(c->s, c->g->lab[c->g->ridx[i]], "__dict__")) return c->gobj[c->g->rsrc[i]];
    return WA_NONE;
}

static int owner_is_namespace(const wa_snapshot *s, uint32_t o) {
    return type_is(s, o, "builtins.module") || type_is(s, o, "builtins.type");
}

/* Who holds with u's references: its type, or for a namespace dict its
 * owner's type (an instance) or the owner itself (a module or class). */
static uint64_t holder_key(cutctx *c, uint32_t g) {
    if (c->hkey[g]) return c->hkey[g];
    uint32_t u = c->gobj[g];
    uint32_t o = ns_owner(c, g);
    c->owner[g] = o;
    uint64_t k;
    if (o == WA_NONE)
        k = mix(((uint64_t)1 << 62) | c->s->objects[u].type);
    else if (kind_of(c, o, TK_MODULE | TK_TYPE))
        k = mix(((uint64_t)2 << 62) | o);
    else
        k = mix(((uint64_t)3 << 62) | c->s->objects[o].type);
    c->hkey[g] = k ? k : 1;
    return c->hkey[g];
}

/* The one holder of G' node g in G', WA_NONE when it has none or several;
 * *lab: the label of its (first) reference. */
static uint32_t unique_parent(const cutctx *c, uint32_t g, uint32_t *lab) {
    uint32_t par = WA_NONE;
    for (uint32_t i = c->g->roff[g]; i < c->g->roff[g + 1]; i++) {
        uint32_t p = c->g->rsrc[i];
        if (p == par) continue;
        if (par != WA_NONE) return WA_NONE;
        par = p;
        *lab = c->g->lab[c->g->ridx[i]];
    }
    return par;
}

/* Order-independent key of the (holder, label) patterns of g's holders in
 * G', 0 beyond WA_CUT_CTX_PARENTS of them. */
#define WA_CUT_CTX_PARENTS 16
static uint64_t parents_key(cutctx *c, uint32_t g) {
    uint64_t key = 0;
    uint32_t seen = 0;
    for (uint32_t i = c->g->roff[g]; i < c->g->roff[g + 1]; i++) {
        if (++seen > WA_CUT_CTX_PARENTS) return 0;
        uint32_t gp = c->g->rsrc[i], lab = c->g->lab[c->g->ridx[i]];
        int abstracted;
        uint64_t pk = holder_key(c, gp);
        uint32_t plab = c->owner[gp] != WA_NONE ? lab : abstract_label(lab, &abstracted);
        key += mix(pk ^ mix(((uint64_t)plab << 1) | 1));
    }
    return key;
}

/* A context for the references of a container or of interpreter plumbing
 * (a bound method, a closure's tuple and cells): how it is held, up to
 * WA_CUT_CTX_DEPTH single holders up, so that `EventBus .listeners [*]` and
 * `Logger .filters [*]` are patterns of their own, and so are the __self__
 * of the methods in each. 0: no single holder. */
#define WA_CUT_CTX_DEPTH 4
static uint64_t container_ctx(cutctx *c, uint32_t g) {
    if (c->ctx_done[g]) return c->ctx[g];
    c->ctx_done[g] = 1;
    uint64_t key = 0;
    uint32_t at = g;
    for (int depth = 0; depth < WA_CUT_CTX_DEPTH; depth++) {
        uint32_t lab = 0, gp = unique_parent(c, at, &lab);
        if (gp == WA_NONE) {
            /* several holders: the set of their patterns (a task held by a
             * set and by a future's callback is not the runner's task) */
            key = mix(key ^ parents_key(c, at));
            break;
        }
        uint32_t par = c->gobj[gp];
        int abstracted;
        uint64_t pk = holder_key(c, gp);
        uint32_t plab = c->owner[gp] != WA_NONE ? lab : abstract_label(lab, &abstracted);
        if (depth == 0) {
            c->ctx_par[g] = par;
            c->ctx_lab[g] = lab;
            c->ctx_int[g] = label_dunder(c->s, lab) || kind_of(c, par, TK_METHOD);
        }
        key = mix(key ^ pk ^ mix(((uint64_t)plab << 1) | 1));
        /* a module's or class's namespace names a place already */
        if (c->owner[gp] != WA_NONE && kind_of(c, c->owner[gp], TK_MODULE | TK_TYPE)) break;
        at = gp;
    }
    c->ctx[g] = key ? key | 1 : 0;
    return c->ctx[g];
}

typedef struct pinfo {
    uint32_t cap;
    uint32_t refs;
    uint32_t ex_from, ex_to, ex_label; /* one reference of the pattern */
} pinfo;

/* A class of the program (not of the interpreter or a C module): its
 * instances' attributes are one pattern wherever the instances are. */
static int user_type(const wa_snapshot *s, uint32_t type) {
    const char *m = wa_snapshot_type_module(s, type);
    return m[0] && m[0] != '_' && strcmp(m, "builtins") != 0;
}

/* What cutting a reference costs: a container's items are what a leak fix
 * usually removes (an entry of a cache, a listener of a list), then a
 * closure's variable; an object's attribute; a global or a class
 * attribute, or a suspended frame's local; interpreter plumbing last. */
static uint32_t ref_cost(const cutctx *c, uint32_t gu, uint32_t lab, int abstracted, int internal) {
    if (internal) return WA_CUT_INTERNAL;
    if (c->owner[gu] != WA_NONE) return kind_of(c, c->owner[gu], TK_MODULE | TK_TYPE) ? 4 : 3;
    if (abstracted || WA_LABEL_KIND(lab) == WA_EDGE_CLOSURE) return 2;
    if (WA_LABEL_KIND(lab) == WA_EDGE_FRAME_LOCAL) return 4;
    return 3;
}

/* The pattern of reference u -> v (G' ids) with label lab. */
static uint64_t pattern_of(cutctx *c, uint32_t gu, uint32_t lab, uint32_t *cap) {
    int abstracted;
    uint64_t k = holder_key(c, gu);
    /* a namespace's keys are names: each one a pattern of its own */
    uint32_t plab = c->owner[gu] != WA_NONE ? lab : abstract_label(lab, &abstracted);
    if (c->owner[gu] != WA_NONE) abstracted = 0;
    uint32_t u = c->gobj[gu];
    int internal = label_dunder(c->s, lab) || kind_of(c, u, TK_METHOD) ||
                   (kind_of(c, u, TK_FRAME) && WA_LABEL_KIND(lab) != WA_EDGE_FRAME_LOCAL) ||
                   kind_of(c, u, TK_CODE);
    if ((abstracted || internal || !user_type(c->s, c->s->objects[u].type)) &&
        c->owner[gu] == WA_NONE) {
        uint64_t x = container_ctx(c, gu);
        if (x) {
            k ^= x;
            if (c->ctx_int[gu]) internal = 1;
        }
    }
    *cap = ref_cost(c, gu, lab, abstracted, internal);
    return mix(k ^ mix(((uint64_t)plab << 1) | 1)) | 1;
}

/* References that point back up, from an object to where its code lives:
 * an instance to its class, a function to its module's globals, a frame to
 * its globals and builtins. */
static int upward(const wa_snapshot *s, uint32_t label) {
    static const char *const names[] = {"__class__",    "__globals__", "f_globals", "f_builtins",
                                        "__builtins__", "__mro__",     "__base__",  "__bases__",
                                        "__objclass__", "__module__"};
    wa_edge_kind k = WA_LABEL_KIND(label);
    if (k != WA_EDGE_ATTR && k != WA_EDGE_OTHER) return 0;
    const char *t = wa_snapshot_string(s, WA_LABEL_PAYLOAD(label));
    if (!(t[0] == '_' && t[1] == '_') && !(t[0] == 'f' && t[1] == '_')) return 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(t, names[i])) return 1;
    return 0;
}

/* Is this reference of a G' node one of G'\'s (build_csr and the full
 * check walk a node's references with the same test, in the same order)? */
static int g_edge(const cutctx *c, const wa_edge *e) {
    return c->gid[e->to] != WA_NONE && !wa_is_weak(e->label) &&
           !(c->strict && upward(c->s, e->label));
}

/* G': reachable objects that reach the selection (strong references). */
static wa_status build_gprime(cutctx *c, const uint32_t *objs, uint32_t n, wa_error *err) {
    wa_u32vec q = {0};
    for (uint32_t i = 0; i < n; i++) {
        uint32_t v = objs[i];
        if (v >= c->n || c->gid[v] != WA_NONE || c->dom->idom[v] == WA_NONE) continue;
        c->gid[v] = c->ng;
        c->gobj[c->ng++] = v;
        if (wa_u32vec_push(&q, v) != 0) goto oom;
    }
    for (size_t h = 0; h < q.n; h++) {
        uint32_t v = q.v[h];
        const uint32_t *src;
        uint32_t m = wa_snapshot_in(c->s, v, &src);
        const uint32_t *lab = c->inlab + (src - wa_snapshot_in_sources(c->s));
        for (uint32_t j = 0; j < m; j++) {
            uint32_t p = src[j];
            if (c->gid[p] != WA_NONE || c->dom->idom[p] == WA_NONE) continue;
            if (wa_is_weak(lab[j]) || (c->strict && upward(c->s, lab[j]))) continue;
            c->gid[p] = c->ng;
            c->gobj[c->ng++] = p;
            if (wa_u32vec_push(&q, p) != 0) goto oom;
        }
    }
    wa_u32vec_free(&q);
    return WA_OK;
oom:
    wa_u32vec_free(&q);
    return wa_nomem(err);
}

static wa_status build_csr(cutctx *c, gcsr *g, pinfo **ps, uint32_t *np, wa_error *err) {
    uint32_t cap = 0;
    wa_u64map pm = {0};
    g->off = wa_alloc((size_t)c->ng + 1, sizeof *g->off, err);
    g->roff = wa_calloc((size_t)c->ng + 2, sizeof *g->roff, err);
    if (!g->off || !g->roff || wa_u64map_init(&pm, 64) != 0) goto oom;
    uint64_t m = 0;
    for (uint32_t gu = 0; gu < c->ng; gu++) {
        const wa_edge *e;
        uint32_t k = wa_snapshot_out(c->s, c->gobj[gu], &e);
        for (uint32_t i = 0; i < k; i++) m += g_edge(c, &e[i]);
    }
    if (m >= WA_NONE) goto oom;
    g->m = (uint32_t)m;
    g->to = wa_alloc(m ? m : 1, sizeof *g->to, err);
    g->pat = wa_alloc(m ? m : 1, sizeof *g->pat, err);
    g->lab = wa_alloc(m ? m : 1, sizeof *g->lab, err);
    g->rsrc = wa_alloc(m ? m : 1, sizeof *g->rsrc, err);
    g->ridx = wa_alloc(m ? m : 1, sizeof *g->ridx, err);
    if (!g->to || !g->pat || !g->lab || !g->rsrc || !g->ridx) goto oom;
    uint32_t at = 0;
    for (uint32_t gu = 0; gu < c->ng; gu++) {
        g->off[gu] = at;
        const wa_edge *e;
        uint32_t k = wa_snapshot_out(c->s, c->gobj[gu], &e);
        for (uint32_t i = 0; i < k; i++) {
            if (!g_edge(c, &e[i])) continue;
            uint32_t gv = c->gid[e[i].to];
            g->to[at] = gv;
            g->lab[at] = e[i].label;
            g->roff[gv + 2]++;
            at++;
        }
    }
    g->off[c->ng] = at;
    /* reverse: counts shifted by two, prefix sums, then fill (roff[v + 1]
     * is the fill cursor, ending at roff[v + 1]'s final value) */
    for (uint32_t v = 0; v < c->ng; v++) g->roff[v + 2] += g->roff[v + 1];
    for (uint32_t gu = 0; gu < c->ng; gu++)
        for (uint32_t i = g->off[gu]; i < g->off[gu + 1]; i++) {
            uint32_t slot = g->roff[g->to[i] + 1]++;
            g->rsrc[slot] = gu;
            g->ridx[slot] = i;
        }
    /* patterns (they read holders through the reverse index) */
    for (uint32_t gu = 0; gu < c->ng; gu++)
        for (uint32_t i = g->off[gu]; i < g->off[gu + 1]; i++) {
            uint32_t pcap;
            uint64_t key = pattern_of(c, gu, g->lab[i], &pcap);
            int inserted;
            uint32_t *slot = wa_u64map_put(&pm, key, *np, &inserted);
            if (!slot) goto oom;
            if (inserted) {
                if (*np == cap) {
                    uint32_t nc = cap ? cap * 2 : 64;
                    pinfo *n2 = realloc(*ps, (size_t)nc * sizeof **ps);
                    if (!n2) goto oom;
                    *ps = n2;
                    cap = nc;
                }
                pinfo *p = &(*ps)[(*np)++];
                p->cap = pcap;
                p->refs = 0;
                p->ex_from = c->gobj[gu];
                p->ex_to = c->gobj[g->to[i]];
                p->ex_label = g->lab[i];
            }
            (*ps)[*slot].refs++;
            g->pat[i] = *slot;
        }
    wa_u64map_free(&pm);
    return WA_OK;
oom:
    wa_u64map_free(&pm);
    return wa_nomem(err);
}

static void gcsr_free(gcsr *g) {
    free(g->roff);
    free(g->rsrc);
    free(g->ridx);
    free(g->off);
    free(g->to);
    free(g->pat);
    free(g->lab);
}

/* The flow network: nodes 0..ng-1 objects, then pattern in/out pairs,
 * then source and sink. Arcs come in pairs (i, i ^ 1). */
typedef struct net {
    uint32_t nn, src, snk;
    uint32_t na;
    arc *arcs;
    uint32_t *off;  /* nn + 1: arcs of each node, by index into order */
    uint32_t *list; /* arc ids grouped by tail */
    uint32_t *tail; /* per arc */
} net;

typedef struct arcbuf {
    arc *a;
    uint32_t *tail;
    size_t n, cap;
} arcbuf;

static int arc_add(arcbuf *b, uint32_t from, uint32_t to, uint32_t cap) {
    if (b->n + 2 > b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 1024;
        arc *a2 = realloc(b->a, nc * sizeof *a2);
        if (!a2) return -1;
        b->a = a2;
        uint32_t *t2 = realloc(b->tail, nc * sizeof *t2);
        if (!t2) return -1;
        b->tail = t2;
        b->cap = nc;
    }
    b->a[b->n] = (arc){to, cap};
    b->tail[b->n++] = from;
    b->a[b->n] = (arc){from, 0};
    b->tail[b->n++] = to;
    return 0;
}

#define INF 0x3FFFFFFFu

static wa_status build_net(const cutctx *c, const gcsr *g, const pinfo *ps, uint32_t np,
                           const wa_bits *in, const wa_bits *rootsel, const wa_bits *isroot,
                           net *nt, wa_error *err) {
    arcbuf b = {0};
    uint32_t *stamp = NULL;
    if (c->ng > (WA_NONE - 4) / 3 || np > (WA_NONE - 4) / 3) return wa_nomem(err);
    nt->nn = c->ng + 2 * np + 2;
    nt->src = nt->nn - 2;
    nt->snk = nt->nn - 1;
    /* stamp[p] == gu + 1: the arc gu -> pattern p is in */
    stamp = wa_calloc(np ? np : 1, sizeof *stamp, err);
    if (!stamp) return WA_ERR_NOMEM;
    for (uint32_t p = 0; p < np; p++)
        if (arc_add(&b, c->ng + 2 * p, c->ng + 2 * p + 1, ps[p].cap) != 0) goto oom;
    for (uint32_t gu = 0; gu < c->ng; gu++) {
        uint32_t u = c->gobj[gu];
        if (wa_bit(rootsel, u)) continue; /* held by a root itself: not routed */
        if (wa_bit(isroot, u) && arc_add(&b, nt->src, gu, INF) != 0) goto oom;
        if (wa_bit(in, u) && arc_add(&b, gu, nt->snk, INF) != 0) goto oom;
        for (uint32_t i = g->off[gu]; i < g->off[gu + 1]; i++) {
            uint32_t p = g->pat[i], gv = g->to[i];
            if (wa_bit(rootsel, c->gobj[gv])) continue;
            if (stamp[p] != gu + 1) {
                stamp[p] = gu + 1;
                if (arc_add(&b, gu, c->ng + 2 * p, INF) != 0) goto oom;
            }
            /* pattern -> target: a repeat is harmless (infinite capacity) */
            if (arc_add(&b, c->ng + 2 * p + 1, gv, INF) != 0) goto oom;
        }
    }
    free(stamp);
    stamp = NULL;
    if (b.n >= WA_NONE) goto oom;
    nt->na = (uint32_t)b.n;
    nt->arcs = b.a;
    nt->tail = b.tail;
    nt->off = wa_calloc((size_t)nt->nn + 1, sizeof *nt->off, err);
    nt->list = wa_alloc(b.n ? b.n : 1, sizeof *nt->list, err);
    if (!nt->off || !nt->list) return WA_ERR_NOMEM;
    for (uint32_t a = 0; a < nt->na; a++) nt->off[nt->tail[a] + 1]++;
    for (uint32_t v = 0; v < nt->nn; v++) nt->off[v + 1] += nt->off[v];
    uint32_t *fill = wa_alloc((size_t)nt->nn, sizeof *fill, err);
    if (!fill) return WA_ERR_NOMEM;
    memcpy(fill, nt->off, (size_t)nt->nn * sizeof *fill);
    for (uint32_t a = 0; a < nt->na; a++) nt->list[fill[nt->tail[a]]++] = a;
    free(fill);
    return WA_OK;
oom:
    free(stamp);
    free(b.a);
    free(b.tail);
    return wa_nomem(err);
}

static void net_free(net *nt) {
    free(nt->arcs);
    free(nt->tail);
    free(nt->off);
    free(nt->list);
}

/* Edmonds-Karp until no augmenting path, or `limit` flow is exceeded
 * (returns 1 then). */
static int max_flow(net *nt, uint64_t limit, uint32_t *via, uint32_t *queue) {
    uint64_t flow = 0;
    for (uint32_t round = 0; round < WA_CUT_MAX_AUGMENT; round++) {
        for (uint32_t v = 0; v < nt->nn; v++) via[v] = WA_NONE;
        size_t h = 0, t = 0;
        queue[t++] = nt->src;
        via[nt->src] = WA_NONE - 1;
        while (h < t && via[nt->snk] == WA_NONE) {
            uint32_t v = queue[h++];
            for (uint32_t i = nt->off[v]; i < nt->off[v + 1]; i++) {
                uint32_t a = nt->list[i];
                uint32_t w = nt->arcs[a].to;
                if (nt->arcs[a].cap == 0 || via[w] != WA_NONE) continue;
                via[w] = a;
                queue[t++] = w;
            }
        }
        if (via[nt->snk] == WA_NONE) return 0;
        uint32_t push = INF;
        for (uint32_t v = nt->snk; v != nt->src; v = nt->tail[via[v]])
            if (nt->arcs[via[v]].cap < push) push = nt->arcs[via[v]].cap;
        for (uint32_t v = nt->snk; v != nt->src; v = nt->tail[via[v]]) {
            nt->arcs[via[v]].cap -= push;
            nt->arcs[via[v] ^ 1].cap += push;
        }
        flow += push;
        if (flow > limit) return 1;
    }
    return 1;
}

/* The cut nearest the sink: patterns whose out node still reaches the sink
 * in the residual graph and whose in node does not. */
static void sink_side(const net *nt, uint8_t *side, uint32_t *queue) {
    memset(side, 0, nt->nn);
    size_t h = 0, t = 0;
    side[nt->snk] = 1;
    queue[t++] = nt->snk;
    while (h < t) {
        uint32_t w = queue[h++];
        /* arcs v -> w with residual capacity: the pairs of w's arcs */
        for (uint32_t i = nt->off[w]; i < nt->off[w + 1]; i++) {
            uint32_t a = nt->list[i] ^ 1;
            uint32_t v = nt->tail[a];
            if (nt->arcs[a].cap == 0 || side[v]) continue;
            side[v] = 1;
            queue[t++] = v;
        }
    }
}

/* Selected objects a walk from the roots reaches with patterns in `cut`
 * removed (exact, on G'). */
static uint32_t still_held(const cutctx *c, const gcsr *g, const uint8_t *cut, const wa_bits *in,
                           const wa_bits *rootsel, const wa_bits *isroot, uint8_t *seen,
                           uint32_t *queue) {
    memset(seen, 0, c->ng);
    size_t h = 0, t = 0;
    uint32_t held = 0;
    for (uint32_t gu = 0; gu < c->ng; gu++) {
        uint32_t u = c->gobj[gu];
        /* cut == NULL: what the selected roots themselves hold */
        if (cut ? wa_bit(isroot, u) && !wa_bit(rootsel, u) : wa_bit(rootsel, u)) {
            seen[gu] = 1;
            queue[t++] = gu;
        }
    }
    while (h < t) {
        uint32_t gu = queue[h++];
        if (wa_bit(in, c->gobj[gu]) && !wa_bit(rootsel, c->gobj[gu])) held++;
        for (uint32_t i = g->off[gu]; i < g->off[gu + 1]; i++) {
            uint32_t gv = g->to[i];
            if (seen[gv] || (cut && cut[g->pat[i]]) || wa_bit(rootsel, c->gobj[gv])) continue;
            seen[gv] = 1;
            queue[t++] = gv;
        }
    }
    return held;
}

/* Which references lead down to the selection. G' holds every object that
 * reaches the selection, and nearly everything does the long way round (an
 * instance -> its class -> a method's __globals__ -> the module dict -> ...),
 * so a pattern's references are counted, and its example and the edges
 * drawn red chosen, among those that reach the selection without such an
 * upward reference. `down` gets one byte per G' edge. */
static wa_status mark_down(const cutctx *c, const gcsr *g, const wa_bits *in, uint8_t *down,
                           wa_error *err) {
    uint8_t *reach = wa_calloc(c->ng ? c->ng : 1, 1, err);
    uint32_t *queue = wa_alloc(c->ng ? c->ng : 1, sizeof *queue, err);
    if (!reach || !queue) {
        free(reach);
        free(queue);
        return WA_ERR_NOMEM;
    }
    size_t h = 0, t = 0;
    for (uint32_t gv = 0; gv < c->ng; gv++)
        if (wa_bit(in, c->gobj[gv])) {
            reach[gv] = 1;
            queue[t++] = gv;
        }
    while (h < t) {
        uint32_t gv = queue[h++];
        for (uint32_t i = g->roff[gv]; i < g->roff[gv + 1]; i++) {
            uint32_t gp = g->rsrc[i];
            if (reach[gp] || upward(c->s, g->lab[g->ridx[i]])) continue;
            reach[gp] = 1;
            queue[t++] = gp;
        }
    }
    for (uint32_t gu = 0; gu < c->ng; gu++)
        for (uint32_t i = g->off[gu]; i < g->off[gu + 1]; i++)
            down[i] = reach[g->to[i]] && !upward(c->s, g->lab[i]);
    free(reach);
    free(queue);
    return WA_OK;
}

/* Each pattern's references counted among the downward ones, its example
 * one of them (a reference to a selected object when there is one). */
static void recount(const cutctx *c, const gcsr *g, const uint8_t *down, const wa_bits *in,
                    pinfo *ps, uint32_t np) {
    uint8_t *has = calloc(np ? np : 1, 1);
    if (!has) return; /* keep the counts over every reference */
    for (uint32_t p = 0; p < np; p++) ps[p].refs = 0;
    for (uint32_t gu = 0; gu < c->ng; gu++)
        for (uint32_t i = g->off[gu]; i < g->off[gu + 1]; i++) {
            if (!down[i]) continue;
            pinfo *p = &ps[g->pat[i]];
            p->refs++;
            uint32_t v = c->gobj[g->to[i]];
            int better = !has[g->pat[i]] || (has[g->pat[i]] == 1 && wa_bit(in, v));
            if (better) {
                has[g->pat[i]] = wa_bit(in, v) ? 2 : 1;
                p->ex_from = c->gobj[gu];
                p->ex_to = v;
                p->ex_label = g->lab[i];
            }
        }
    free(has);
}

/* The references the cut removes (at most WA_CUT_EDGES_MAX), each with
 * the index of its pattern in res->patterns (sorted by then). */
static wa_status list_edges(const cutctx *c, const gcsr *g, const pinfo *ps, uint32_t np,
                            const uint8_t *cut, const uint8_t *down, wa_cut *res, wa_error *err) {
    uint32_t *out_of = wa_alloc(np ? np : 1, sizeof *out_of, err);
    if (!out_of) return WA_ERR_NOMEM;
    for (uint32_t p = 0; p < np; p++) {
        out_of[p] = WA_NONE;
        if (!cut[p]) continue;
        for (uint32_t i = 0; i < res->n; i++)
            if (res->patterns[i].example_holder == ps[p].ex_from &&
                res->patterns[i].example == ps[p].ex_to && res->patterns[i].label == ps[p].ex_label)
                out_of[p] = i;
    }
    uint64_t total = 0;
    for (uint32_t i = 0; i < g->m; i++) total += cut[g->pat[i]] && down[i];
    res->n_edges = total > WA_CUT_EDGES_MAX ? WA_CUT_EDGES_MAX : (uint32_t)total;
    res->edges = wa_alloc(res->n_edges ? res->n_edges : 1, sizeof *res->edges, err);
    if (!res->edges) {
        free(out_of);
        return WA_ERR_NOMEM;
    }
    uint32_t k = 0;
    for (uint32_t gu = 0; gu < c->ng && k < res->n_edges; gu++)
        for (uint32_t i = g->off[gu]; i < g->off[gu + 1] && k < res->n_edges; i++) {
            if (!cut[g->pat[i]] || !down[i]) continue;
            wa_cut_edge *e = &res->edges[k++];
            e->from = c->gobj[gu];
            e->to = c->gobj[g->to[i]];
            e->label = g->lab[i];
            e->pattern = out_of[g->pat[i]];
        }
    free(out_of);
    return WA_OK;
}

static int by_refs(const void *a, const void *b) {
    const wa_cut_pattern *x = a, *y = b;
    if (x->internal != y->internal) return x->internal < y->internal ? -1 : 1;
    if (x->refs != y->refs) return x->refs > y->refs ? -1 : 1;
    return x->example_holder < y->example_holder ? -1 : x->example_holder > y->example_holder;
}

/* Selected objects a walk of the whole graph from the roots reaches over
 * strong references with the cut's references removed (those of G' whose
 * pattern is cut: a node's G' references are its snapshot references that
 * pass g_edge, in order). */
static uint32_t held_in_full(const cutctx *c, const gcsr *g, const uint8_t *cut, const wa_bits *in,
                             const wa_bits *rootsel, const wa_bits *isroot, wa_error *err,
                             int *failed) {
    wa_bits *seen = wa_bits_new(c->n, err);
    uint32_t *queue = wa_alloc(c->n ? c->n : 1, sizeof *queue, err);
    uint32_t held = 0;
    *failed = !seen || !queue;
    if (*failed) goto out;
    size_t h = 0, t = 0;
    const wa_root *roots = wa_snapshot_roots(c->s);
    for (uint32_t r = 0; r < c->s->n_roots; r++) {
        uint32_t v = roots[r].obj;
        if (v >= c->n || wa_bit(seen, v) || wa_bit(rootsel, v)) continue;
        wa_bit_set(seen, v);
        queue[t++] = v;
    }
    while (h < t) {
        uint32_t u = queue[h++], gu = c->gid[u];
        if (wa_bit(in, u)) held++;
        const wa_edge *e;
        uint32_t k = wa_snapshot_out(c->s, u, &e), j = gu == WA_NONE ? 0 : g->off[gu];
        for (uint32_t i = 0; i < k; i++) {
            if (gu != WA_NONE && g_edge(c, &e[i]) && cut[g->pat[j++]]) continue;
            uint32_t v = e[i].to;
            if (wa_is_weak(e[i].label) || wa_bit(seen, v) || wa_bit(rootsel, v)) continue;
            wa_bit_set(seen, v);
            queue[t++] = v;
        }
    }
    (void)isroot;
out:
    free(seen);
    free(queue);
    return held;
}

/* One attempt (see wa_cut_find): *verified is 0 when a cut was found on G'
 * that the whole graph does not confirm. */
static wa_cut *attempt(const wa_snapshot *s, const wa_dom *dom, const uint32_t *objs, uint32_t n,
                       uint32_t max_patterns, const uint32_t *inlab, int strict, int *verified,
                       wa_error *err) {
    cutctx c = {0};
    gcsr g = {0};
    net nt = {0};
    pinfo *ps = NULL;
    uint32_t np = 0, *via = NULL, *queue = NULL;
    uint8_t *side = NULL, *cut = NULL, *down = NULL;
    wa_bits *in = NULL, *rootsel = NULL, *isroot = NULL;
    wa_cut *res = wa_calloc(1, sizeof *res, err);
    if (!res) return NULL;
    *verified = 1;
    c.s = s;
    c.inlab = inlab;
    c.strict = strict;
    if (!(c.tk = type_kinds(s, err))) goto fail;
    c.dom = dom;
    c.n = s->n_objects;
    in = wa_bits_new(c.n, err);
    rootsel = wa_bits_new(c.n, err);
    c.gid = wa_alloc(c.n ? c.n : 1, sizeof *c.gid, err);
    c.gobj = wa_alloc(c.n ? c.n : 1, sizeof *c.gobj, err);
    isroot = wa_ana_root_bits(s, err);
    if (!in || !rootsel || !c.gid || !c.gobj || !isroot) goto fail;
    for (uint32_t i = 0; i < c.n; i++) c.gid[i] = WA_NONE;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t v = objs[i];
        if (v >= c.n || wa_bit(in, v)) continue;
        wa_bit_set(in, v);
        res->n_selected++;
        if (dom->idom[v] == WA_NONE)
            res->unreachable++;
        else if (wa_bit(isroot, v)) {
            wa_bit_set(rootsel, v);
            res->held_by_root++;
        }
    }
    if (build_gprime(&c, objs, n, err) != WA_OK) goto fail;
    c.hkey = wa_calloc(c.ng ? c.ng : 1, sizeof *c.hkey, err);
    c.ctx = wa_calloc(c.ng ? c.ng : 1, sizeof *c.ctx, err);
    c.ctx_done = wa_calloc(c.ng ? c.ng : 1, 1, err);
    c.ctx_int = wa_calloc(c.ng ? c.ng : 1, 1, err);
    c.owner = wa_alloc(c.ng ? c.ng : 1, sizeof *c.owner, err);
    c.ctx_par = wa_alloc(c.ng ? c.ng : 1, sizeof *c.ctx_par, err);
    c.ctx_lab = wa_calloc(c.ng ? c.ng : 1, sizeof *c.ctx_lab, err);
    if (!c.hkey || !c.ctx || !c.ctx_done || !c.ctx_int || !c.owner || !c.ctx_par || !c.ctx_lab)
        goto fail;
    for (uint32_t i = 0; i < c.ng; i++) c.owner[i] = c.ctx_par[i] = WA_NONE;
    c.g = &g;
    if (build_csr(&c, &g, &ps, &np, err) != WA_OK) goto fail;
    down = wa_alloc(g.m ? g.m : 1, 1, err);
    if (!down || mark_down(&c, &g, in, down, err) != WA_OK) goto fail;
    recount(&c, &g, down, in, ps, np);
    if (build_net(&c, &g, ps, np, in, rootsel, isroot, &nt, err) != WA_OK) goto fail;
    via = wa_alloc(nt.nn, sizeof *via, err);
    queue = wa_alloc(nt.nn, sizeof *queue, err);
    side = wa_alloc(nt.nn, 1, err);
    cut = wa_calloc(np ? np : 1, 1, err);
    if (!via || !queue || !side || !cut) goto fail;
    uint32_t to_free = res->n_selected - res->unreachable - res->held_by_root;
    res->found = 1;
    if (to_free && max_flow(&nt, (uint64_t)(max_patterns + 1) * WA_CUT_INTERNAL, via, queue)) {
        res->found = 0;
    } else if (to_free) {
        sink_side(&nt, side, queue);
        uint32_t k = 0;
        for (uint32_t p = 0; p < np; p++)
            if (!side[c.ng + 2 * p] && side[c.ng + 2 * p + 1]) {
                cut[p] = 1;
                k++;
            }
        /* exact check, then drop what the check shows redundant (costly
         * patterns first, so a program's own references stay) */
        if (still_held(&c, &g, cut, in, rootsel, isroot, side, queue) != 0) {
            res->found = 0;
        } else {
            for (int pass = 0; pass < 2; pass++)
                for (uint32_t p = 0; p < np; p++) {
                    if (!cut[p] || (pass == 0) != (ps[p].cap >= WA_CUT_INTERNAL)) continue;
                    cut[p] = 0;
                    if (still_held(&c, &g, cut, in, rootsel, isroot, side, queue) != 0)
                        cut[p] = 1;
                    else
                        k--;
                }
            if (k > max_patterns) res->found = 0;
        }
        /* G' left out the upward references: confirm on the whole graph */
        if (res->found && strict) {
            int failed;
            uint32_t left = held_in_full(&c, &g, cut, in, rootsel, isroot, err, &failed);
            if (failed) goto fail;
            if (left) {
                *verified = 0;
                goto done;
            }
        }
        if (res->found) {
            res->patterns = wa_calloc(k ? k : 1, sizeof *res->patterns, err);
            if (!res->patterns) goto fail;
            for (uint32_t p = 0; p < np; p++) {
                if (!cut[p]) continue;
                wa_cut_pattern *o = &res->patterns[res->n++];
                uint32_t gu = c.gid[ps[p].ex_from];
                o->refs = ps[p].refs;
                o->internal = ps[p].cap >= WA_CUT_INTERNAL;
                o->example_holder = ps[p].ex_from;
                o->example = ps[p].ex_to;
                o->label = ps[p].ex_label;
                o->holder_type = s->objects[ps[p].ex_from].type;
                o->owner = c.owner[gu];
                o->context = WA_NONE;
                int abstracted;
                abstract_label(ps[p].ex_label, &abstracted);
                if ((abstracted || ps[p].cap >= WA_CUT_INTERNAL) && c.owner[gu] == WA_NONE &&
                    c.ctx[gu] && c.ctx_par[gu] != WA_NONE) {
                    o->context = c.ctx_par[gu];
                    o->context_label = c.ctx_lab[gu];
                    o->context_owner = c.owner[c.gid[c.ctx_par[gu]]];
                }
            }
            if (res->n > 1) qsort(res->patterns, res->n, sizeof *res->patterns, by_refs);
            if (list_edges(&c, &g, ps, np, cut, down, res, err) != WA_OK) goto fail;
        }
    }
    /* what the selected roots hold stays with them */
    res->kept_by_roots =
        res->held_by_root ? still_held(&c, &g, NULL, in, rootsel, isroot, side, queue) : 0;
    res->freed = res->found ? to_free - res->kept_by_roots : 0;
    res->subgraph = c.ng;
    goto done;
fail:
    wa_cut_free(res);
    res = NULL;
done:
    free(c.tk);
    free(in);
    free(rootsel);
    free(isroot);
    free(c.gid);
    free(c.gobj);
    free(c.hkey);
    free(c.ctx);
    free(c.ctx_done);
    free(c.ctx_int);
    free(c.owner);
    free(c.ctx_par);
    free(c.ctx_lab);
    gcsr_free(&g);
    net_free(&nt);
    free(ps);
    free(via);
    free(queue);
    free(side);
    free(cut);
    free(down);
    return res;
}

/* The cut is first sought on G' without upward references (an instance's
 * __class__, a function's __globals__: through them nearly every object
 * reaches the selection, which would make G' the whole heap), then checked
 * on the whole graph; in the rare heap where a route does run through such
 * a reference, again on the full G'. */
wa_cut *wa_cut_find_labeled(const wa_snapshot *s, const wa_dom *dom, const uint32_t *objs,
                            uint32_t n, uint32_t max_patterns, const uint32_t *in_labels,
                            wa_error *err) {
    if (max_patterns == 0) max_patterns = WA_CUT_DEFAULT_MAX;
    int verified;
    wa_cut *res = attempt(s, dom, objs, n, max_patterns, in_labels, 1, &verified, err);
    if (res && !verified) {
        wa_cut_free(res);
        res = attempt(s, dom, objs, n, max_patterns, in_labels, 0, &verified, err);
    }
    return res;
}

wa_cut *wa_cut_find(const wa_snapshot *s, const wa_dom *dom, const uint32_t *objs, uint32_t n,
                    uint32_t max_patterns, wa_error *err) {
    uint32_t *inlab = wa_snapshot_in_labels(s, err);
    if (!inlab) return NULL;
    wa_cut *res = wa_cut_find_labeled(s, dom, objs, n, max_patterns, inlab, err);
    free(inlab);
    return res;
}

void wa_cut_free(wa_cut *cut) {
    if (!cut) return;
    free(cut->patterns);
    free(cut->edges);
    free(cut);
}

/* "module 'app' __dict__", "class 'Bus' __dict__", or a type's name. */
static size_t holder_text(const wa_snapshot *s, uint32_t obj, uint32_t owner, char *buf,
                          size_t cap) {
    int k;
    if (owner != WA_NONE && owner_is_namespace(s, owner)) {
        char own[600];
        wa_snapshot_dict_owner(s, obj, own, sizeof own);
        k = snprintf(buf, cap, "%s __dict__", own);
    } else if (owner == WA_NONE && owner_is_namespace(s, obj) && s->objects[obj].name) {
        /* a module or class holding an attribute itself */
        k = snprintf(buf, cap, "%s '%s'", type_is(s, obj, "builtins.module") ? "module" : "class",
                     wa_snapshot_string(s, s->objects[obj].name));
    } else {
        uint32_t t = owner != WA_NONE ? s->objects[owner].type : s->objects[obj].type;
        k = snprintf(buf, cap, "%s", wa_snapshot_type_display(s, t));
    }
    return k < 0 ? 0 : (size_t)k;
}

/* `module 'app' __dict__['_cache']` reads as Python: a key sticks to its
 * namespace. */
static int glue(const char *holder, const char *hop) {
    size_t n = strlen(holder);
    return hop[0] == '[' && n >= 8 && strcmp(holder + n - 8, "__dict__") == 0;
}

size_t wa_cut_pattern_format(const wa_snapshot *s, const wa_cut_pattern *p, char *buf, size_t cap) {
    char holder[700], hop[512], chop[512];
    int abstracted, k;
    abstract_label(p->label, &abstracted);
    if (p->owner != WA_NONE) abstracted = 0;
    wa_path_hop_format(s, p->label, abstracted, hop, sizeof hop);
    if (p->context != WA_NONE) {
        int cabs;
        abstract_label(p->context_label, &cabs);
        if (p->context_owner != WA_NONE) cabs = 0;
        holder_text(s, p->context, p->context_owner, holder, sizeof holder);
        wa_path_hop_format(s, p->context_label, cabs, chop, sizeof chop);
        k = snprintf(buf, cap, "%s%s%s %s", holder, glue(holder, chop) ? "" : " ", chop, hop);
    } else {
        holder_text(s, p->example_holder, p->owner, holder, sizeof holder);
        k = snprintf(buf, cap, "%s%s%s", holder, glue(holder, hop) ? "" : " ", hop);
    }
    return k < 0 ? 0 : (size_t)k;
}
