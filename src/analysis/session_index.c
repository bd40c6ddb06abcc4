/*
 * analysis/session_index.c: the session's parts to and from the sidecar
 * index (format/index.c holds the file; this file knows what its sections
 * mean).
 *
 * A part read from an index is checked as thoroughly as its structure
 * allows, in O(objects) with explicit arrays (no recursion):
 *  - dominators: the preorder lists each reachable object (idom not
 *    WA_NONE) exactly once; each object's idom is WA_DOM_SUPER or an object
 *    on the path from the top to the object listed before it (so idom is a
 *    tree over the super-root and the list one of its preorders, every
 *    subtree contiguous, as dom.c's preorder is); every root object hangs
 *    from the super-root. The retained sizes and the counts are not stored:
 *    they are summed again from the tree and the shallow sizes, exactly as
 *    dom.c sums them, in one pass;
 *  - path tree: every parent is WA_NONE, WA_PATH_ROOT or a reachable
 *    object; a root object's via names a root of that object; any other
 *    object's via names a strong edge from its parent to it; the parent
 *    links reach a root from every object (no cycle).
 * A genuine index gives exactly the arrays the computation gives, so views
 * built on either are byte-identical. Any failed check rejects the index
 * (wa_index_reject): the caller computes the part instead.
 */
#include "analysis/internal.h"
#include "analysis/session_index.h"
#include "format/index_impl.h"

/* Reject ix and give -1. */
static int reject(wa_index *ix, const char *why) {
    wa_index_reject(ix, why);
    return -1;
}

/* Checks idom/preorder (R entries) against snap. scratch has room for 2n
 * entries (the buffer that then takes the retained sizes: no other big
 * array to fault in): object -> preorder position, then the stack of the
 * preorder walk. 0 or -1.
 *
 * The walk: a sequence that lists every object of a tree once is a
 * preorder with contiguous subtrees exactly when each object's parent is on
 * the path from the top to the object before it (the stack): pop to the
 * parent, push the object. Sequential but for one read of idom per object,
 * and no recursion whatever the depth. */
static int check_dom(wa_index *ix, const wa_snapshot *s, const uint32_t *idom, const uint32_t *pre,
                     uint32_t R, uint32_t *scratch) {
    const uint32_t n = s->n_objects;
    uint32_t *pos = scratch, *stack = scratch + n;
    for (uint32_t v = 0; v < n; v++) pos[v] = WA_NONE;
    for (uint32_t k = 0; k < R; k++) {
        uint32_t v = pre[k];
        if (v >= n || pos[v] != WA_NONE)
            return reject(ix, "dominators: the preorder repeats or names no object");
        pos[v] = k;
    }
    /* reachable (an idom) exactly when in the preorder */
    for (uint32_t v = 0; v < n; v++)
        if ((idom[v] == WA_NONE) != (pos[v] == WA_NONE))
            return reject(ix, "dominators: the preorder and the tree disagree on reachability");
    for (uint32_t r = 0; r < s->n_roots; r++)
        if (idom[s->roots[r].obj] != WA_DOM_SUPER)
            return reject(ix, "dominators: a root object below another object");
    uint32_t top = 0;
    for (uint32_t k = 0; k < R; k++) {
        uint32_t v = pre[k], d = idom[v];
        if (d == WA_DOM_SUPER) {
            top = 0;
        } else {
            while (top > 0 && stack[top - 1] != d) top--;
            if (top == 0) return reject(ix, "dominators: the preorder is no preorder of the tree");
        }
        stack[top++] = v;
    }
    return 0;
}

int wa_ana_dom_from_index(const wa_snapshot *s, wa_index *ix, wa_dom **out, wa_error *err) {
    *out = NULL;
    const uint32_t n = s->n_objects;
    void *idom = NULL, *pre = NULL, *stats = NULL;
    uint64_t ni, np, ns;
    int rc;
    if ((rc = wa_index_read_section(ix, WA_IXS_DOM_STATS, 8, 2, 0, &stats, &ns, err)) != 1 ||
        (rc = wa_index_read_section(ix, WA_IXS_DOM_IDOM, 4, n, 0, &idom, &ni, err)) != 1 ||
        (rc = wa_index_read_section(ix, WA_IXS_DOM_PREORDER, 4, WA_INDEX_ANY, n, &pre, &np, err)) !=
            1) {
        wa_big_free(idom);
        wa_big_free(pre);
        wa_big_free(stats);
        return rc;
    }
    const uint64_t *st = stats;
    wa_dom *d = NULL;
    uint64_t *ret = wa_big_alloc(n ? n : 1, 8, err);
    rc = -2;
    if (!ret || !(d = wa_calloc(1, sizeof *d, err))) goto fail;
    rc = -1;
    if (st[0] > s->n_edges) {
        reject(ix, "dominators: more weak edges than edges");
        goto fail;
    }
    const uint32_t R = (uint32_t)np;
    if (check_dom(ix, s, idom, pre, R, (uint32_t *)ret) != 0) goto fail;
    /* retained sizes, as dom.c sums them */
    const uint32_t *id = idom, *pr = pre;
    d->n_objects = n;
    for (uint32_t v = 0; v < n; v++) {
        if (id[v] == WA_NONE) {
            ret[v] = 0;
            d->n_unreachable++;
            d->unreachable_bytes += s->objects[v].size;
        } else {
            ret[v] = s->objects[v].size;
            d->n_reachable++;
            d->reachable_bytes += s->objects[v].size;
        }
    }
    for (uint32_t k = R; k-- > 0;) {
        uint32_t v = pr[k], p = id[v];
        if (p != WA_DOM_SUPER) ret[p] += ret[v];
    }
    d->idom = idom;
    d->preorder = pre;
    d->retained = ret;
    d->weak_edges = st[0];
    d->peak_temp = st[1];
    wa_big_free(stats);
    *out = d;
    return 1;
fail:
    free(d);
    wa_big_free(ret);
    wa_big_free(idom);
    wa_big_free(pre);
    wa_big_free(stats);
    return rc;
}

static int check_tree(wa_index *ix, const wa_snapshot *s, const uint32_t *parent,
                      const uint32_t *via, uint32_t *n_reachable, wa_error *err) {
    const uint32_t n = s->n_objects;
    uint32_t reach = 0;
    for (uint32_t v = 0; v < n; v++) {
        uint32_t p = parent[v], e = via[v];
        if (p == WA_NONE) continue;
        reach++;
        if (p == WA_PATH_ROOT) {
            if (e >= s->n_roots || s->roots[e].obj != v)
                return reject(ix, "path tree: a root object reached through no root of it");
            continue;
        }
        if (p >= n || parent[p] == WA_NONE || e < s->out_off[p] || e >= s->out_off[p + 1] ||
            s->edges[e].to != v || wa_is_weak(s->edges[e].label))
            return reject(ix, "path tree: a parent that holds no strong edge to its object");
    }
    for (uint32_t r = 0; r < s->n_roots; r++)
        if (parent[s->roots[r].obj] != WA_PATH_ROOT)
            return reject(ix, "path tree: a root object below another object");
    /* no cycle: climb from each object until a root or an object already
     * known to reach one; the climbed path is then known too */
    wa_bits *done = wa_bits_new(n, err), *on = wa_bits_new(n, err);
    wa_u32vec path = {0};
    int rc = 0;
    if (!done || !on) {
        rc = -2;
        goto out;
    }
    for (uint32_t v = 0; v < n && rc == 0; v++) {
        if (parent[v] == WA_NONE || wa_bit(done, v)) continue;
        path.n = 0;
        uint32_t x = v;
        while (x != WA_PATH_ROOT && !wa_bit(done, x)) {
            if (wa_bit(on, x)) {
                rc = reject(ix, "path tree: the parents form a cycle");
                break;
            }
            wa_bit_set(on, x);
            if (wa_u32vec_push(&path, x) != 0) {
                wa_nomem(err);
                rc = -2;
                break;
            }
            x = parent[x];
        }
        for (size_t i = 0; i < path.n; i++) wa_bit_set(done, path.v[i]);
    }
out:
    free(done);
    free(on);
    wa_u32vec_free(&path);
    *n_reachable = reach;
    return rc;
}

int wa_ana_tree_from_index(const wa_snapshot *s, wa_index *ix, wa_path_tree **out, wa_error *err) {
    *out = NULL;
    const uint32_t n = s->n_objects;
    void *parent = NULL, *via = NULL;
    uint64_t a, b;
    int rc;
    if ((rc = wa_index_read_section(ix, WA_IXS_TREE_PARENT, 4, n, 0, &parent, &a, err)) != 1 ||
        (rc = wa_index_read_section(ix, WA_IXS_TREE_VIA, 4, n, 0, &via, &b, err)) != 1) {
        wa_big_free(parent);
        wa_big_free(via);
        return rc;
    }
    uint32_t reach = 0;
    wa_path_tree *t = NULL;
    if ((rc = check_tree(ix, s, parent, via, &reach, err)) != 0 ||
        !(t = wa_calloc(1, sizeof *t, err))) {
        wa_big_free(parent);
        wa_big_free(via);
        return rc != 0 ? rc : -2;
    }
    t->n_objects = n;
    t->parent = parent;
    t->via = via;
    t->n_reachable = reach;
    *out = t;
    return 1;
}

/* The sections of a part this session did not build but the index holds
 * (read, checksums verified, to go into the new file as they are: the
 * next reader checks them like any other). */
static void carry(wa_index *ix, const uint32_t *ids, uint32_t k, wa_index_section_out *sec,
                  uint32_t *n, void **bufs, uint32_t *nb) {
    void *got[3] = {0};
    uint64_t len[3] = {0};
    wa_error e;
    uint32_t i;
    for (i = 0; i < k; i++)
        if (wa_index_read_section(ix, ids[i], 1, WA_INDEX_ANY, UINT64_MAX, &got[i], &len[i], &e) !=
            1)
            break;
    for (uint32_t j = 0; j < k; j++) {
        if (i == k) {
            sec[(*n)++] = (wa_index_section_out){ids[j], got[j], len[j]};
            bufs[(*nb)++] = got[j];
        } else {
            wa_big_free(got[j]);
        }
    }
}

wa_status wa_ana_index_save(const wa_snapshot *s, wa_index *ix, const wa_dom *dom,
                            const wa_path_tree *tree, wa_error *err) {
    wa_index_section_out sec[5];
    void *bufs[5];
    uint32_t n = 0, nb = 0;
    static const uint32_t dom_ids[] = {WA_IXS_DOM_STATS, WA_IXS_DOM_IDOM, WA_IXS_DOM_PREORDER};
    static const uint32_t tree_ids[] = {WA_IXS_TREE_PARENT, WA_IXS_TREE_VIA};
    if (!dom && wa_index_holds(ix, WA_INDEX_HAS_DOM)) carry(ix, dom_ids, 3, sec, &n, bufs, &nb);
    if (!tree && wa_index_holds(ix, WA_INDEX_HAS_TREE)) carry(ix, tree_ids, 2, sec, &n, bufs, &nb);
    uint64_t stats[2];
    if (dom) {
        stats[0] = dom->weak_edges;
        stats[1] = dom->peak_temp;
        sec[n++] = (wa_index_section_out){WA_IXS_DOM_STATS, stats, sizeof stats};
        sec[n++] = (wa_index_section_out){WA_IXS_DOM_IDOM, dom->idom, (uint64_t)s->n_objects * 4};
        sec[n++] = (wa_index_section_out){WA_IXS_DOM_PREORDER, dom->preorder,
                                          (uint64_t)dom->n_reachable * 4};
    }
    if (tree) {
        sec[n++] =
            (wa_index_section_out){WA_IXS_TREE_PARENT, tree->parent, (uint64_t)s->n_objects * 4};
        sec[n++] = (wa_index_section_out){WA_IXS_TREE_VIA, tree->via, (uint64_t)s->n_objects * 4};
    }
    wa_status st = wa_index_write(ix, s, sec, n, err);
    for (uint32_t i = 0; i < nb; i++) wa_big_free(bufs[i]);
    return st;
}
