/*
 * analysis/session_index.c: the session's parts to and from the sidecar
 * index (format/index.c holds the file; this file knows what its sections
 * mean).
 *
 * A part read from an index is used where it lies (the index file is
 * mapped once: nothing copied, no fresh memory to fault in), after checks
 * as thorough as its structure allows, in O(objects) with explicit arrays
 * and bit sets (no recursion):
 *  - dominators: the preorder lists each reachable object (idom not
 *    WA_NONE) exactly once; each object's idom is WA_DOM_SUPER or an object
 *    on the path from the top to the object listed before it (so idom is a
 *    tree over the super-root and the list one of its preorders, every
 *    subtree contiguous, as dom.c's preorder is); every root object hangs
 *    from the super-root; each retained size is exactly the shallow bytes
 *    of its subtree (a contiguous run of the preorder: checked when the
 *    walk leaves it), 0 for an unreachable object;
 *  - path tree: every parent is WA_NONE, WA_PATH_ROOT or a reachable
 *    object; a root object's via names a root of that object; any other
 *    object's via names a strong edge from its parent to it; the parent
 *    links reach a root from every object (no cycle).
 * A genuine index gives exactly the arrays the computation gives, so views
 * built on either are byte-identical. Any failed check rejects the index
 * (wa_index_reject): the caller computes the part instead. A part from the
 * index is freed with wa_ana_index_part_free (its arrays are the index's).
 */
#include "analysis/internal.h"
#include "analysis/session_index.h"
#include "format/index_impl.h"

/* Reject ix and give -1. */
static int reject(wa_index *ix, const char *why) {
    wa_index_reject(ix, why);
    return -1;
}

/* One object on the preorder walk's path: where the shallow bytes summed
 * so far must stand when the walk leaves its subtree (its start plus its
 * retained size). */
typedef struct frame {
    uint32_t v;
    uint64_t end;
} frame;

/* Checks the dominators (idom, the R-entry preorder, retained) against s
 * and sums the reachable and unreachable bytes into d. 0, -1 (rejected) or
 * -2 (out of memory).
 *
 * The walk: a sequence that lists every object of a tree once is a
 * preorder with contiguous subtrees exactly when each object's parent is on
 * the path from the top to the object before it (the stack): pop to the
 * parent, push the object. An object popped has had its whole subtree
 * listed since it was pushed: its retained size is the shallow bytes summed
 * in between. One pass over the preorder, its random reads (idom, size,
 * retained of each listed object) fetched ahead as dom.c does. */
static int check_dom(wa_index *ix, const wa_snapshot *s, const uint32_t *idom, const uint32_t *pre,
                     const uint64_t *ret, uint32_t R, wa_dom *d, wa_error *err) {
    const uint32_t n = s->n_objects;
    const wa_object *o = s->objects;
    wa_bits *seen = wa_bits_new(n, err);
    frame *st = NULL;
    size_t cap = 0, top = 0;
    int rc = -2;
    if (!seen) return -2;
    rc = -1;
    uint64_t sum = 0;
    for (uint32_t k = 0; k <= R; k++) {
        if (k + 16 < R) {
            uint32_t w = pre[k + 16];
            if (w < n) {
                __builtin_prefetch(&idom[w]);
                __builtin_prefetch(&o[w].size);
                __builtin_prefetch(&ret[w]);
            }
        }
        uint32_t v = WA_NONE, p = WA_DOM_SUPER;
        if (k < R) {
            v = pre[k];
            if (v >= n || wa_bit(seen, v)) {
                reject(ix, "dominators: the preorder repeats or names no object");
                goto out;
            }
            wa_bit_set(seen, v);
            p = idom[v];
            if (p == WA_NONE) {
                reject(ix, "dominators: an unreachable object in the preorder");
                goto out;
            }
        }
        while (top > 0 && (p == WA_DOM_SUPER || st[top - 1].v != p)) {
            top--;
            if (st[top].end != sum) {
                reject(ix, "dominators: a retained size is not its subtree's bytes");
                goto out;
            }
        }
        if (k == R) break;
        if (p != WA_DOM_SUPER && top == 0) {
            reject(ix, "dominators: the preorder is no preorder of the tree");
            goto out;
        }
        if (top == cap) {
            size_t nc = cap ? 2 * cap : 1024;
            frame *g = realloc(st, nc * sizeof *g);
            if (!g) {
                wa_nomem(err);
                rc = -2;
                goto out;
            }
            st = g;
            cap = nc;
        }
        if (ret[v] > UINT64_MAX - sum) {
            reject(ix, "dominators: a retained size is not its subtree's bytes");
            goto out;
        }
        st[top++] = (frame){v, sum + ret[v]};
        sum += o[v].size;
    }
    /* The R listed objects (distinct, each with an idom) are all the
     * objects with an idom when there are R of those; the rest retain 0.
     * Sequential, and no object record read: their bytes are the rest of
     * the snapshot's. */
    uint32_t with_idom = 0, bad = 0;
    for (uint32_t v = 0; v < n; v++) {
        uint32_t reach = idom[v] != WA_NONE;
        with_idom += reach;
        bad |= !reach && ret[v] != 0;
    }
    if (with_idom != R || bad || sum > s->total_size) {
        reject(ix, "dominators: the preorder and the tree disagree on reachability");
        goto out;
    }
    d->unreachable_bytes = s->total_size - sum;
    for (uint32_t r = 0; r < s->n_roots; r++)
        if (idom[s->roots[r].obj] != WA_DOM_SUPER) {
            reject(ix, "dominators: a root object below another object");
            goto out;
        }
    d->reachable_bytes = sum;
    d->n_reachable = R;
    d->n_unreachable = n - R;
    rc = 0;
out:
    free(seen);
    free(st);
    return rc;
}

int wa_ana_dom_from_index(const wa_snapshot *s, wa_index *ix, wa_dom **out, wa_error *err) {
    *out = NULL;
    const uint32_t n = s->n_objects;
    const void *idom, *pre, *stats, *ret;
    uint64_t ni, np, ns, nr;
    int rc;
    if ((rc = wa_index_view_section(ix, WA_IXS_DOM_STATS, 8, 2, 0, &stats, &ns)) != 1 ||
        (rc = wa_index_view_section(ix, WA_IXS_DOM_IDOM, 4, n, 0, &idom, &ni)) != 1 ||
        (rc = wa_index_view_section(ix, WA_IXS_DOM_PREORDER, 4, WA_INDEX_ANY, n, &pre, &np)) != 1 ||
        (rc = wa_index_view_section(ix, WA_IXS_DOM_RETAINED, 8, n, 0, &ret, &nr)) != 1)
        return rc;
    const uint64_t *st = stats;
    if (st[0] > s->n_edges) return reject(ix, "dominators: more weak edges than edges");
    wa_dom *d = wa_calloc(1, sizeof *d, err);
    if (!d) return -2;
    if ((rc = check_dom(ix, s, idom, pre, ret, (uint32_t)np, d, err)) != 0) {
        free(d);
        return rc;
    }
    d->n_objects = n;
    /* read-only in the index; the session never writes them */
    d->idom = (uint32_t *)(uintptr_t)idom;
    d->preorder = (uint32_t *)(uintptr_t)pre;
    d->retained = (uint64_t *)(uintptr_t)ret;
    d->weak_edges = st[0];
    d->peak_temp = st[1];
    *out = d;
    return 1;
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
    const void *parent, *via;
    uint64_t a, b;
    int rc;
    if ((rc = wa_index_view_section(ix, WA_IXS_TREE_PARENT, 4, n, 0, &parent, &a)) != 1 ||
        (rc = wa_index_view_section(ix, WA_IXS_TREE_VIA, 4, n, 0, &via, &b)) != 1)
        return rc;
    uint32_t reach = 0;
    if ((rc = check_tree(ix, s, parent, via, &reach, err)) != 0) return rc;
    wa_path_tree *t = wa_calloc(1, sizeof *t, err);
    if (!t) return -2;
    t->n_objects = n;
    t->parent = (uint32_t *)(uintptr_t)parent;
    t->via = (uint32_t *)(uintptr_t)via;
    t->n_reachable = reach;
    *out = t;
    return 1;
}

void wa_ana_index_part_free(void *part) { free(part); }

/* The sections of a part this session did not build but the index holds
 * (checksums verified, to go into the new file as they are: the next
 * reader checks them like any other). All of the part's sections or none. */
static void carry(wa_index *ix, const uint32_t *ids, uint32_t k, wa_index_section_out *sec,
                  uint32_t *n) {
    const void *got[4];
    uint64_t len[4];
    for (uint32_t i = 0; i < k; i++)
        if (wa_index_view_section(ix, ids[i], 1, WA_INDEX_ANY, UINT64_MAX, &got[i], &len[i]) != 1)
            return;
    for (uint32_t i = 0; i < k; i++) sec[(*n)++] = (wa_index_section_out){ids[i], got[i], len[i]};
}

wa_status wa_ana_index_save(const wa_snapshot *s, wa_index *ix, const wa_dom *dom,
                            const wa_path_tree *tree, wa_error *err) {
    wa_index_section_out sec[6];
    uint32_t n = 0;
    static const uint32_t dom_ids[] = {WA_IXS_DOM_STATS, WA_IXS_DOM_IDOM, WA_IXS_DOM_PREORDER,
                                       WA_IXS_DOM_RETAINED};
    static const uint32_t tree_ids[] = {WA_IXS_TREE_PARENT, WA_IXS_TREE_VIA};
    if (!dom && wa_index_holds(ix, WA_INDEX_HAS_DOM)) carry(ix, dom_ids, 4, sec, &n);
    if (!tree && wa_index_holds(ix, WA_INDEX_HAS_TREE)) carry(ix, tree_ids, 2, sec, &n);
    uint64_t stats[2];
    if (dom) {
        stats[0] = dom->weak_edges;
        stats[1] = dom->peak_temp;
        const uint64_t no = s->n_objects;
        sec[n++] = (wa_index_section_out){WA_IXS_DOM_STATS, stats, sizeof stats};
        sec[n++] = (wa_index_section_out){WA_IXS_DOM_IDOM, dom->idom, no * 4};
        sec[n++] = (wa_index_section_out){WA_IXS_DOM_PREORDER, dom->preorder,
                                          (uint64_t)dom->n_reachable * 4};
        sec[n++] = (wa_index_section_out){WA_IXS_DOM_RETAINED, dom->retained, no * 8};
    }
    if (tree) {
        sec[n++] =
            (wa_index_section_out){WA_IXS_TREE_PARENT, tree->parent, (uint64_t)s->n_objects * 4};
        sec[n++] = (wa_index_section_out){WA_IXS_TREE_VIA, tree->via, (uint64_t)s->n_objects * 4};
    }
    return wa_index_write(ix, s, sec, n, err);
}
