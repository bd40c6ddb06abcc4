/*
 * analysis/suspects.c: ranked leak suspects, after Eclipse MAT's report.
 *
 *  1. Accumulation: candidates are objects retaining >= threshold of the
 *     reachable heap (an upward-closed set of the dominator tree). From each
 *     top candidate, walk down while the biggest child holds >= `accumulation`
 *     of its parent; where the walk stops is the accumulation point (the dict
 *     or list that holds the many). If the point still has children above the
 *     threshold, it is only a container of several suspects: those children
 *     are walked instead. Candidates skipped over on the way are walked too.
 *     Each candidate is visited once: O(n) with the child lists.
 *  2. Type: a non-builtin type whose instances together retain >= threshold
 *     (builtins are containers of everything: dicts hold every module's
 *     namespace, so they would always qualify and say nothing).
 *  3. External: objects held by external (native) references, grouped by type
 *     and by the hop they hold the most through (".__self__ -> Handler"),
 *     when the group retains >= external_share together (exactly: what the
 *     roots no longer reach without the group). They have no Python
 *     referrer: the answer to "gc.get_referrers() is empty".
 *  4. Growth: with a baseline, the retention-path clusters of the types that
 *     grew, matched across snapshots by their rendered path; a cluster that
 *     gained >= min_growth instances is a suspect.
 */
#include <pthread.h>
#include <stdio.h>

#include "analysis/internal.h"

void wa_suspect_options_init(wa_suspect_options *o) {
    memset(o, 0, sizeof *o);
    o->threshold = 0.10;
    o->accumulation = 0.70;
    o->external_share = 0.01;
    o->min_growth = 10;
}

const char *wa_suspect_kind_name(wa_suspect_kind kind) {
    switch (kind) {
    case WA_SUSPECT_ACCUMULATION: return "accumulation";
    case WA_SUSPECT_TYPE: return "type";
    case WA_SUSPECT_EXTERNAL: return "external";
    case WA_SUSPECT_GROWTH: return "growth";
    }
    return "unknown";
}

void wa_suspect_list_free(wa_suspect_list *l) {
    if (!l) return;
    for (uint32_t i = 0; i < l->n; i++) {
        free(l->items[i].path);
        free(l->items[i].via);
        free(l->items[i].members);
    }
    free(l->items);
    free(l);
}

typedef struct builder {
    wa_suspect_list *l;
    uint32_t cap;
} builder;

static wa_suspect *add(builder *b) {
    if (b->l->n == b->cap) {
        uint32_t cap = b->cap ? b->cap * 2 : 16;
        wa_suspect *it = realloc(b->l->items, (size_t)cap * sizeof *it);
        if (!it) return NULL;
        b->l->items = it;
        b->cap = cap;
    }
    wa_suspect *x = &b->l->items[b->l->n++];
    memset(x, 0, sizeof *x);
    x->obj = x->accumulation = x->type = WA_NONE;
    return x;
}

/* Rendered path of a cluster, malloc'd. */
static char *cluster_text(const wa_snapshot *s, const wa_cluster *c) {
    size_t need = wa_cluster_format(s, c, NULL, 0) + 1;
    char *t = malloc(need);
    if (t) wa_cluster_format(s, c, t, need);
    return t;
}

/* Path text of the shortest path to obj. */
static char *path_text(const wa_snapshot *s, const wa_path_tree *tree, uint32_t obj,
                       wa_error *err) {
    wa_cluster_set *cs = wa_path_cluster(s, tree, NULL, &obj, 1, err);
    if (!cs) return NULL;
    char *t = cluster_text(s, &cs->clusters[0]);
    wa_cluster_set_free(cs);
    return t;
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* x->members = a sorted copy of objs (equal sets compare equal). */
static int set_members(wa_suspect *x, const uint32_t *objs, size_t n) {
    x->members = malloc((n ? n : 1) * sizeof *objs);
    if (!x->members) return -1;
    if (n) memcpy(x->members, objs, n * sizeof *objs);
    x->n_members = (uint32_t)n;
    if (n > 1) qsort(x->members, n, sizeof *objs, cmp_u32);
    return 0;
}

static double share_of(uint64_t bytes, uint64_t total) {
    return total ? (double)bytes / (double)total : 0.0;
}

static int cmp_suspect(const void *a, const void *b) {
    const wa_suspect *x = a, *y = b;
    if (x->retained != y->retained) return x->retained > y->retained ? -1 : 1;
    if (x->kind != y->kind) return x->kind < y->kind ? -1 : 1;
    return x->obj < y->obj ? -1 : x->obj > y->obj;
}

static wa_status accumulation(const wa_snapshot *s, const wa_dom *dom, const wa_path_tree *tree,
                              const wa_suspect_options *o, builder *b, wa_error *err) {
    const uint32_t n = s->n_objects;
    const uint64_t total = dom->reachable_bytes;
    const uint64_t thr = (uint64_t)((double)total * o->threshold);
    wa_domkids kids = {0};
    wa_u32vec work = {0};
    wa_u64map bytype = {0};
    wa_status st = WA_ERR_NOMEM;
    if (total == 0) return WA_OK;
    if (wa_domkids_build(dom, &kids, err) != WA_OK) return WA_ERR_NOMEM;
    for (uint32_t c = kids.first[n]; c != WA_NONE; c = kids.next[c])
        if (dom->retained[c] >= thr && wa_u32vec_push(&work, c) != 0) goto out;
    while (work.n) {
        uint32_t top = work.v[--work.n], cur = top;
        for (;;) {
            uint32_t big = WA_NONE;
            for (uint32_t c = kids.first[cur]; c != WA_NONE; c = kids.next[c])
                if (big == WA_NONE || dom->retained[c] > dom->retained[big]) big = c;
            if (big == WA_NONE ||
                (double)dom->retained[big] < o->accumulation * (double)dom->retained[cur])
                break;
            /* Other big children are suspects of their own. */
            for (uint32_t c = kids.first[cur]; c != WA_NONE; c = kids.next[c])
                if (c != big && dom->retained[c] >= thr && wa_u32vec_push(&work, c) != 0) goto out;
            cur = big;
        }
        uint64_t split = 0;
        int nsplit = 0;
        for (uint32_t c = kids.first[cur]; c != WA_NONE; c = kids.next[c])
            if (dom->retained[c] >= thr) {
                if (wa_u32vec_push(&work, c) != 0) goto out;
                split += dom->retained[c];
                nsplit++;
            }
        /* A container of several suspects is reported only for what it
         * holds besides them. */
        if (nsplit && dom->retained[cur] - split < thr) continue;
        /* Dominant type among the point's children. */
        if (wa_u64map_init(&bytype, 16) != 0) goto out;
        uint32_t best_t = s->objects[cur].type, best_count = 1;
        uint64_t best_bytes = 0;
        typedef struct {
            uint64_t bytes;
            uint32_t count;
        } acc;
        acc *accs = NULL;
        uint32_t naccs = 0, capaccs = 0;
        for (uint32_t c = kids.first[cur]; c != WA_NONE; c = kids.next[c]) {
            if (dom->retained[c] >= thr) continue;
            int ins = 0;
            uint32_t *slot = wa_u64map_put(&bytype, s->objects[c].type, naccs, &ins);
            if (!slot) {
                free(accs);
                goto out;
            }
            if (ins) {
                if (naccs == capaccs) {
                    capaccs = capaccs ? capaccs * 2 : 16;
                    acc *na = realloc(accs, capaccs * sizeof *na);
                    if (!na) {
                        free(accs);
                        goto out;
                    }
                    accs = na;
                }
                accs[naccs++] = (acc){0, 0};
            }
            accs[*slot].bytes += dom->retained[c];
            accs[*slot].count++;
            if (accs[*slot].bytes > best_bytes) {
                best_bytes = accs[*slot].bytes;
                best_t = s->objects[c].type;
                best_count = accs[*slot].count;
            }
        }
        if (best_bytes) { /* the winner's final count */
            const uint32_t *slot = wa_u64map_get(&bytype, best_t);
            if (slot) best_count = accs[*slot].count;
        }
        free(accs);
        wa_u64map_free(&bytype);
        wa_suspect *x = add(b);
        if (!x) goto out;
        x->kind = WA_SUSPECT_ACCUMULATION;
        x->obj = top;
        x->accumulation = cur;
        x->type = best_t;
        x->count = best_count;
        x->retained = dom->retained[cur] - split;
        x->share = share_of(x->retained, total);
        x->path = path_text(s, tree, cur, err);
        if (!x->path) goto out;
        /* the point's children of the dominant type: what accumulates */
        x->members = malloc((size_t)(best_count ? best_count : 1) * sizeof *x->members);
        if (!x->members) goto out;
        for (uint32_t c = kids.first[cur]; c != WA_NONE && x->n_members < best_count;
             c = kids.next[c])
            if (s->objects[c].type == best_t) x->members[x->n_members++] = c;
        if (x->n_members > 1) qsort(x->members, x->n_members, sizeof *x->members, cmp_u32);
    }
    st = WA_OK;
out:
    if (st != WA_OK && err && err->code == WA_OK) wa_nomem(err);
    wa_domkids_free(&kids);
    wa_u32vec_free(&work);
    wa_u64map_free(&bytype);
    return st;
}

static int type_is_builtin(const wa_snapshot *s, uint32_t t) {
    return strcmp(wa_snapshot_type_module(s, t), "builtins") == 0;
}

/* Instances of type t, as a list. */
static wa_status instances(const wa_snapshot *s, uint32_t t, wa_objlist *out, wa_error *err) {
    out->n = out->total = 0;
    out->objs = NULL;
    uint32_t cnt = 0;
    for (uint32_t v = 0; v < s->n_objects; v++) cnt += s->objects[v].type == t;
    out->objs = wa_alloc(cnt, 4, err);
    if (!out->objs) return WA_ERR_NOMEM;
    for (uint32_t v = 0; v < s->n_objects; v++)
        if (s->objects[v].type == t) out->objs[out->n++] = v;
    out->total = out->n;
    return WA_OK;
}

static wa_status type_suspects(const wa_snapshot *s, const wa_dom *dom, const wa_path_tree *tree,
                               const wa_suspect_options *o, builder *b, uint32_t n_acc,
                               wa_error *err) {
    const uint64_t total = dom->reachable_bytes;
    wa_summary *sum = wa_summary_compute(s, dom, WA_SUMMARY_BY_TYPE, NULL, WA_SORT_RETAINED, err);
    if (!sum) return WA_ERR_NOMEM;
    wa_status st = WA_OK;
    for (uint32_t i = 0; i < sum->n_rows && st == WA_OK; i++) {
        const wa_summary_row *r = &sum->rows[i];
        if (!total || (double)r->retained < o->threshold * (double)total) break;
        if (type_is_builtin(s, r->key)) continue;
        int dup = 0; /* already named as an accumulation point's content */
        for (uint32_t k = 0; k < n_acc; k++) dup |= b->l->items[k].type == r->key;
        if (dup) continue;
        wa_objlist inst;
        if ((st = instances(s, r->key, &inst, err)) != WA_OK) break;
        wa_cluster_set *cs = wa_path_cluster(s, tree, dom, inst.objs, inst.n, err);
        wa_suspect *x = cs ? add(b) : NULL;
        if (x) {
            x->kind = WA_SUSPECT_TYPE;
            x->type = r->key;
            x->count = r->count;
            x->retained = r->retained;
            x->share = share_of(r->retained, total);
            x->obj = cs->n ? cs->clusters[0].example : WA_NONE;
            x->path = cs->n ? cluster_text(s, &cs->clusters[0]) : NULL;
            if (cs->n && !x->path) st = WA_ERR_NOMEM;
            x->members = inst.objs; /* handed over */
            x->n_members = inst.n;
            inst.objs = NULL;
        } else {
            st = WA_ERR_NOMEM;
        }
        wa_cluster_set_free(cs);
        free(inst.objs);
    }
    wa_summary_free(sum);
    if (st != WA_OK && err && err->code == WA_OK) wa_nomem(err);
    return st;
}

/* The hop an externally held object holds the most through: its non-weak
 * out-edge to the referent retaining the most (first on ties), or WA_NONE.
 * A bound method held by native code says ".__self__ -> Handler". */
static uint32_t first_hop(const wa_snapshot *s, const wa_dom *dom, uint32_t v) {
    uint32_t best = WA_NONE;
    for (uint32_t e = s->out_off[v]; e < s->out_off[v + 1]; e++) {
        if (wa_is_weak(s->edges[e].label)) continue;
        if (best == WA_NONE || dom->retained[s->edges[e].to] > dom->retained[s->edges[best].to])
            best = e;
    }
    return best;
}

static char *hop_text(const wa_snapshot *s, uint32_t e) {
    char lab[256];
    wa_label_format(s, s->edges[e].label, lab, sizeof lab);
    uint32_t t = s->objects[s->edges[e].to].type;
    const char *full = wa_snapshot_type_qualname(s, t);
    size_t need = strlen(lab) + strlen(full) + 8;
    char *out = malloc(need);
    if (out) snprintf(out, need, "%s \xe2\x86\x92 %s", lab, full);
    return out;
}

/* Externally held root objects, grouped by type and first hop; a group is a
 * suspect when the objects retain >= external_share together. Together is
 * what matters: a handler held by three bound methods is dominated by none
 * of them, and only freeing all three frees it (wa_dom_retained_group). */
static wa_status external_suspects(const wa_snapshot *s, const wa_dom *dom,
                                   const wa_path_tree *tree, const wa_suspect_options *o,
                                   builder *b, wa_error *err) {
    const uint64_t total = dom->reachable_bytes;
    wa_u64map seen = {0}, groups = {0};
    wa_status st = WA_ERR_NOMEM;
    typedef struct grp {
        uint32_t type, hop_label, hop_type, hop_edge; /* hop_edge: the example's, or WA_NONE */
        uint64_t excess;
        wa_u32vec objs;
    } grp;
    grp *g = NULL;
    uint32_t ng = 0, cap = 0, *all = NULL, *off = NULL;
    uint64_t *gbytes = NULL;
    if (wa_u64map_init(&seen, 64) != 0 || wa_u64map_init(&groups, 16) != 0) goto out;
    for (uint32_t r = 0; r < s->n_roots; r++) {
        const wa_root *root = &s->roots[r];
        if (root->kind != WA_ROOT_EXTERNAL) continue;
        uint32_t v = root->obj, t = s->objects[v].type, e = first_hop(s, dom, v);
        uint32_t hl = e == WA_NONE ? WA_NONE : s->edges[e].label;
        uint32_t ht = e == WA_NONE ? WA_NONE : s->objects[s->edges[e].to].type;
        /* The key is a hash of (type, hop label, hop type); the fields are
         * compared too, and a colliding group is found by a scan. */
        uint64_t key = wa_fnv_u64(wa_fnv_u64(wa_fnv_u64(0x51ed, t), hl), ht);
        int ins = 0;
        uint32_t *gi = wa_u64map_put(&groups, key, ng, &ins);
        if (!gi) goto out;
        uint32_t k = *gi;
        if (!ins && (g[k].type != t || g[k].hop_label != hl || g[k].hop_type != ht)) {
            for (k = 0; k < ng; k++)
                if (g[k].type == t && g[k].hop_label == hl && g[k].hop_type == ht) break;
            ins = k == ng;
        }
        if (ins) {
            if (ng == cap) {
                cap = cap ? cap * 2 : 16;
                grp *ngp = realloc(g, cap * sizeof *ngp);
                if (!ngp) goto out;
                g = ngp;
            }
            k = ng++;
            memset(&g[k], 0, sizeof g[k]);
            g[k].type = t;
            g[k].hop_label = hl;
            g[k].hop_type = ht;
            g[k].hop_edge = e;
        }
        g[k].excess += root->excess;
        int fresh = 0;
        if (!wa_u64map_put(&seen, v, 0, &fresh)) goto out;
        if (fresh && wa_u32vec_push(&g[k].objs, v) != 0) goto out;
    }
    /* Every group's exact bytes in one pass over the heap (the members are
     * distinct root objects); the dominator lower bound would miss what only
     * the members together keep alive. */
    size_t nall = 0;
    for (uint32_t i = 0; i < ng; i++) nall += g[i].objs.n;
    all = wa_alloc(nall ? nall : 1, 4, err);
    off = wa_alloc((size_t)ng + 1, 4, err);
    gbytes = wa_alloc(ng ? ng : 1, 8, err);
    if (!all || !off || !gbytes) goto out;
    off[0] = 0;
    for (uint32_t i = 0; i < ng; i++) {
        memcpy(all + off[i], g[i].objs.v, g[i].objs.n * sizeof *all);
        off[i + 1] = off[i] + (uint32_t)g[i].objs.n;
    }
    if (wa_dom_retained_groups(s, dom, all, off, ng, gbytes, err) != WA_OK) goto out;
    for (uint32_t i = 0; i < ng; i++) {
        uint64_t bytes = gbytes[i];
        if (!g[i].objs.n) continue; /* all its objects were counted in another group */
        if (!total || (double)bytes < o->external_share * (double)total) continue;
        wa_cluster_set *cs = wa_path_cluster(s, tree, dom, g[i].objs.v, (uint32_t)g[i].objs.n, err);
        if (!cs) goto out;
        wa_suspect *x = add(b);
        if (!x) {
            wa_cluster_set_free(cs);
            goto out;
        }
        x->kind = WA_SUSPECT_EXTERNAL;
        x->type = g[i].type;
        x->count = g[i].objs.n;
        x->excess = g[i].excess;
        x->retained = bytes;
        x->share = share_of(bytes, total);
        x->obj = g[i].objs.v[0];
        x->path = cs->n ? cluster_text(s, &cs->clusters[0]) : NULL;
        wa_cluster_set_free(cs);
        if (!x->path) goto out;
        if (g[i].hop_edge != WA_NONE && !(x->via = hop_text(s, g[i].hop_edge))) goto out;
        if (set_members(x, g[i].objs.v, g[i].objs.n) != 0) goto out;
    }
    st = WA_OK;
out:
    if (st != WA_OK && err && err->code == WA_OK) wa_nomem(err);
    for (uint32_t i = 0; i < ng; i++) wa_u32vec_free(&g[i].objs);
    free(g);
    free(all);
    free(off);
    free(gbytes);
    wa_u64map_free(&seen);
    wa_u64map_free(&groups);
    return st;
}

/* Type index of `name` in s, or WA_NONE. */
static uint32_t find_type(const wa_snapshot *s, const char *name) {
    for (uint32_t t = 0; t < s->n_types; t++)
        if (strcmp(wa_snapshot_type_name(s, t), name) == 0) return t;
    return WA_NONE;
}

#define GROWTH_TYPES 10

/* The baseline's side of the growth suspects: its path tree and the
 * clusters of each picked type's instances there. Independent of the
 * current dump's side, so it runs on a second thread meanwhile. */
typedef struct base_job {
    const wa_snapshot *base;
    const uint32_t *types; /* baseline type per picked type, WA_NONE: none */
    uint32_t n;
    wa_cluster_set **out; /* n */
    wa_path_tree *tree;
    wa_status st;
    wa_error err;
} base_job;

static void *base_side(void *arg) {
    base_job *j = arg;
    j->st = WA_ERR_NOMEM;
    j->tree = wa_path_tree_build(j->base, &j->err);
    if (!j->tree) return NULL;
    for (uint32_t k = 0; k < j->n; k++) {
        wa_objlist then = {0};
        if (j->types[k] != WA_NONE && instances(j->base, j->types[k], &then, &j->err) != WA_OK)
            return NULL;
        j->out[k] = wa_path_cluster(j->base, j->tree, NULL, then.objs, then.n, &j->err);
        free(then.objs);
        if (!j->out[k]) return NULL;
    }
    j->st = WA_OK;
    return NULL;
}

/* What a set of objects retains on its own: the sum of retained[v] over
 * its members that no other member dominates (as summary computes a row),
 * in one walk of the dominator preorder. A growth cluster's own retained
 * size (fix: the cluster's share of a clustering of every instance of its
 * type, where instances nested in other clusters' instances count there,
 * could be 0 B while the cluster alone retains kilobytes). */
static int set_retained(const wa_snapshot *s, const wa_dom *dom, const uint32_t *objs, uint32_t n,
                        uint64_t *out, wa_error *err) {
    wa_bits *in = wa_bits_new(s->n_objects, err);
    if (!in) return -1;
    for (uint32_t i = 0; i < n; i++)
        if (objs[i] < s->n_objects) wa_bit_set(in, objs[i]);
    uint64_t sum = 0;
    uint32_t active = 0, prev = WA_NONE;
    for (uint32_t k = 0; k <= dom->n_reachable; k++) {
        uint32_t v = k < dom->n_reachable ? dom->preorder[k] : WA_NONE;
        uint32_t p = v == WA_NONE ? WA_DOM_SUPER : dom->idom[v];
        while (prev != WA_NONE && prev != p) {
            if (wa_bit(in, prev)) active--;
            prev = dom->idom[prev] == WA_DOM_SUPER ? WA_NONE : dom->idom[prev];
        }
        if (v == WA_NONE) break;
        if (wa_bit(in, v) && active++ == 0) sum += dom->retained[v];
        prev = v;
    }
    free(in);
    *out = sum;
    return 0;
}

static wa_status growth_suspects(const wa_snapshot *s, const wa_dom *dom, const wa_path_tree *tree,
                                 const wa_suspect_options *o, builder *b, wa_error *err) {
    const wa_snapshot *base = o->baseline;
    wa_diff *d = wa_diff_compute(base, s, NULL, NULL, err);
    wa_status st = WA_ERR_NOMEM;
    if (!d) return WA_ERR_NOMEM;
    /* The types that grew most in count (a type the current dump lacks is
     * skipped: nothing of it to report). */
    uint32_t picked = 0, n = 0, now_t[GROWTH_TYPES], base_t[GROWTH_TYPES];
    for (uint32_t i = 0; i < d->n_rows && picked < GROWTH_TYPES; i++) {
        const wa_diff_row *r = &d->rows[i];
        if (r->dcount < (int64_t)o->min_growth) continue;
        picked++;
        uint32_t t = find_type(s, r->type);
        if (t == WA_NONE) continue;
        now_t[n] = t;
        base_t[n++] = find_type(base, r->type);
    }
    wa_cluster_set *cnow[GROWTH_TYPES] = {0}, *cbase[GROWTH_TYPES] = {0};
    base_job job = {base, base_t, n, cbase, NULL, WA_ERR_NOMEM, {0}};
    wa_error_clear(&job.err);
    pthread_t tid;
    int threaded = n && pthread_create(&tid, NULL, base_side, &job) == 0;
    if (!threaded) base_side(&job);
    wa_status now_st = WA_OK;
    for (uint32_t k = 0; k < n && now_st == WA_OK; k++) {
        wa_objlist now = {0};
        if ((now_st = instances(s, now_t[k], &now, err)) != WA_OK) break;
        cnow[k] = wa_path_cluster(s, tree, dom, now.objs, now.n, err);
        free(now.objs);
        if (!cnow[k]) now_st = WA_ERR_NOMEM;
    }
    if (threaded) pthread_join(tid, NULL);
    if (now_st != WA_OK) goto out;
    if (job.st != WA_OK) {
        if (err) *err = job.err;
        goto out;
    }
    for (uint32_t k = 0; k < n; k++) {
        wa_cluster_set *cn = cnow[k], *cb = cbase[k];
        uint32_t t = now_t[k];
        for (uint32_t i = 0; i < cn->n; i++) {
            const wa_cluster *c = &cn->clusters[i];
            char *text = cluster_text(s, c);
            if (!text) goto out;
            uint64_t before = 0;
            for (uint32_t j = 0; j < cb->n; j++) {
                if (cb->clusters[j].key != c->key) continue;
                char *bt_text = cluster_text(base, &cb->clusters[j]);
                if (bt_text && strcmp(bt_text, text) == 0) before += cb->clusters[j].count;
                free(bt_text);
            }
            if (c->count < before + o->min_growth) {
                free(text);
                continue;
            }
            wa_suspect *x = add(b);
            if (!x) {
                free(text);
                goto out;
            }
            x->kind = WA_SUSPECT_GROWTH;
            x->type = t;
            x->obj = c->example;
            x->count = c->count;
            x->baseline = before;
            if (set_retained(s, dom, c->members, c->count, &x->retained, err) != 0) goto out;
            x->share = share_of(x->retained, dom->reachable_bytes);
            x->path = text;
            if (set_members(x, c->members, c->count) != 0) goto out;
        }
    }
    st = WA_OK;
out:
    if (st != WA_OK && err && err->code == WA_OK) wa_nomem(err);
    for (uint32_t k = 0; k < n; k++) {
        wa_cluster_set_free(cnow[k]);
        wa_cluster_set_free(cbase[k]);
    }
    wa_diff_free(d);
    wa_path_tree_free(job.tree);
    return st;
}

wa_suspect_list *wa_suspect_find(const wa_snapshot *s, const wa_dom *dom, const wa_path_tree *tree,
                                 const wa_suspect_options *opts, wa_error *err) {
    wa_suspect_options o;
    if (opts)
        o = *opts;
    else
        wa_suspect_options_init(&o);
    if (!(o.threshold > 0 && o.threshold <= 1) || !(o.accumulation > 0 && o.accumulation <= 1) ||
        !(o.external_share >= 0 && o.external_share <= 1)) {
        wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE,
                     "suspect thresholds must be shares between 0 and 1");
        return NULL;
    }
    if (!dom) {
        wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE, "suspects need dominators");
        return NULL;
    }
    wa_path_tree *own = NULL;
    if (!tree) {
        own = wa_path_tree_build(s, err);
        if (!own) return NULL;
        tree = own;
    }
    builder b = {wa_calloc(1, sizeof(wa_suspect_list), err), 0};
    if (!b.l) goto fail;
    b.l->reachable_bytes = dom->reachable_bytes;
    if (accumulation(s, dom, tree, &o, &b, err) != WA_OK) goto fail;
    if (type_suspects(s, dom, tree, &o, &b, b.l->n, err) != WA_OK) goto fail;
    if (external_suspects(s, dom, tree, &o, &b, err) != WA_OK) goto fail;
    if (o.baseline && growth_suspects(s, dom, tree, &o, &b, err) != WA_OK) goto fail;
    if (b.l->n > 1) qsort(b.l->items, b.l->n, sizeof *b.l->items, cmp_suspect);
    wa_path_tree_free(own);
    return b.l;
fail:
    if (err && err->code == WA_OK) wa_nomem(err);
    wa_suspect_list_free(b.l);
    wa_path_tree_free(own);
    return NULL;
}
