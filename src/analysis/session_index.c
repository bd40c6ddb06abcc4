/*
 * analysis/session_index.c: the session's parts to and from the sidecar
 * index (format/index.c holds the file; this file knows what its sections
 * mean).
 *
 * A part read from an index is checked as thoroughly as its structure
 * allows, in O(objects) with explicit arrays (no recursion):
 *  - dominators: every idom value is WA_NONE, WA_DOM_SUPER or another
 *    object; the preorder lists each reachable object (idom not WA_NONE)
 *    exactly once; each object comes after its idom (so idom is a tree
 *    over the super-root) and inside its idom's subtree interval (so every
 *    subtree is contiguous, as dom.c's preorder is); every root object hangs
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

/* Checks idom/preorder (R entries) against snap, and fills pos (object ->
 * preorder position) and size (subtree sizes) on the way. 0 or -1. */
static int check_dom(wa_index *ix, const wa_snapshot *s, const uint32_t *idom, const uint32_t *pre,
                     uint32_t R, uint32_t *pos, uint32_t *size) {
    const uint32_t n = s->n_objects;
    for (uint32_t v = 0; v < n; v++) pos[v] = WA_NONE;
    for (uint32_t k = 0; k < R; k++) {
        uint32_t v = pre[k];
        if (v >= n || pos[v] != WA_NONE)
            return reject(ix, "dominators: the preorder repeats or names no object");
        pos[v] = k;
    }
    for (uint32_t v = 0; v < n; v++) {
        uint32_t d = idom[v];
        if (d == WA_NONE) {
            if (pos[v] != WA_NONE)
                return reject(ix, "dominators: an unreachable object in the preorder");
            continue;
        }
        if (pos[v] == WA_NONE)
            return reject(ix, "dominators: a reachable object not in the preorder");
        if (d == WA_DOM_SUPER) continue;
        if (d >= n || pos[d] == WA_NONE || pos[d] >= pos[v])
            return reject(ix, "dominators: an immediate dominator that is no ancestor");
    }
    for (uint32_t r = 0; r < s->n_roots; r++)
        if (idom[s->roots[r].obj] != WA_DOM_SUPER)
            return reject(ix, "dominators: a root object below another object");
    /* subtree sizes, children before parents (each follows its idom) */
    for (uint32_t k = 0; k < R; k++) size[pre[k]] = 1;
    for (uint32_t k = R; k-- > 0;) {
        uint32_t v = pre[k], d = idom[v];
        if (d != WA_DOM_SUPER) size[d] += size[v];
    }
    /* each subtree inside its parent's interval: with the sizes and
     * distinct positions, every subtree fills its interval exactly */
    for (uint32_t k = 0; k < R; k++) {
        uint32_t v = pre[k], d = idom[v];
        uint64_t end = (uint64_t)k + size[v];
        if (end > R) return reject(ix, "dominators: the preorder is no preorder of the tree");
        if (d != WA_DOM_SUPER && end > (uint64_t)pos[d] + size[d])
            return reject(ix, "dominators: the preorder is no preorder of the tree");
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
    uint32_t *pos = wa_big_alloc(n ? n : 1, 4, err), *size = wa_big_alloc(n ? n : 1, 4, err);
    uint64_t *ret = wa_big_alloc(n ? n : 1, 8, err);
    rc = -2;
    if (!pos || !size || !ret || !(d = wa_calloc(1, sizeof *d, err))) goto fail;
    rc = -1;
    if (st[0] > s->n_edges) {
        reject(ix, "dominators: more weak edges than edges");
        goto fail;
    }
    const uint32_t R = (uint32_t)np;
    if (check_dom(ix, s, idom, pre, R, pos, size) != 0) goto fail;
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
    wa_big_free(pos);
    wa_big_free(size);
    wa_big_free(stats);
    *out = d;
    return 1;
fail:
    free(d);
    wa_big_free(pos);
    wa_big_free(size);
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

wa_status wa_ana_index_save(const wa_snapshot *s, wa_index *ix, const wa_dom *dom,
                            const wa_path_tree *tree, wa_error *err) {
    wa_index_section_out sec[5];
    uint32_t n = 0;
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
    return wa_index_write(ix, s, sec, n, err);
}
