/*
 * analysis/retainers.c: the referrer tree of one object (wa_retainers_tree),
 * the walk behind `whyalive retainers` and Snapshot.retainers().
 *
 * Depth-first with an explicit stack: referrers are pushed in reverse so
 * they come out in referrer order, and the nodes are emitted in the order a
 * tree printer shows them. The branch (ancestors of the current node) is
 * kept in an array indexed by depth, which the depth cap bounds; the objects
 * already listed are kept in a hash set, so a tree over a huge snapshot
 * costs memory in proportion to the tree, not to the snapshot.
 */
#include "analysis/internal.h"

typedef struct pending {
    uint32_t obj, depth, parent, in_edge; /* in_edge: reverse-CSR position that led here */
} pending;

typedef struct pending_vec {
    pending *v;
    size_t n, cap;
} pending_vec;

static int pending_push(pending_vec *s, pending p) {
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        pending *v = realloc(s->v, cap * sizeof *v);
        if (!v) return -1;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = p;
    return 0;
}

static int node_push(wa_retainer_tree *t, size_t *cap, const wa_retainer_node *nd) {
    if (t->n == *cap) {
        size_t c = *cap ? *cap * 2 : 64;
        wa_retainer_node *v = realloc(t->nodes, c * sizeof *v);
        if (!v) return -1;
        t->nodes = v;
        *cap = c;
    }
    t->nodes[t->n++] = *nd;
    return 0;
}

/* Label of in-edge j of dst. Two edges src->dst are told apart by their
 * rank among dst's referrers equal to src, which is the rank the forward
 * edge list has too. */
static uint32_t in_label(const wa_snapshot *snap, uint32_t dst, uint32_t j) {
    const uint32_t *in_off = wa_snapshot_in_offsets(snap), *src = wa_snapshot_in_sources(snap);
    uint32_t k = 0;
    for (uint32_t i = in_off[dst]; i < j; i++) k += src[i] == src[j];
    return wa_snapshot_edge_label(snap, src[j], dst, k);
}

wa_retainer_tree *wa_retainers_tree(const wa_snapshot *snap, uint32_t target, uint32_t depth,
                                    uint32_t max_referrers, wa_error *err) {
    if (target >= wa_snapshot_n_objects(snap) || depth > WA_RETAINERS_MAX_DEPTH) {
        wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE, "%s",
                     depth > WA_RETAINERS_MAX_DEPTH ? "retainers: depth is at most 100"
                                                    : "retainers: no such object");
        return NULL;
    }
    if (max_referrers == 0) max_referrers = 1;
    const uint32_t *in_off = wa_snapshot_in_offsets(snap), *src = wa_snapshot_in_sources(snap);
    wa_retainer_tree *t = wa_calloc(1, sizeof *t, err);
    if (!t) return NULL;
    size_t cap = 0;
    pending_vec st = {0};
    wa_u64map listed;
    uint32_t branch[WA_RETAINERS_MAX_DEPTH + 1];
    if (wa_u64map_init(&listed, 64) != 0) {
        free(t);
        wa_nomem(err);
        return NULL;
    }
    if (pending_push(&st, (pending){target, 0, WA_NONE, WA_NONE}) != 0) goto nomem;
    while (st.n) {
        pending p = st.v[--st.n];
        branch[p.depth] = p.obj;
        wa_retainer_node nd;
        memset(&nd, 0, sizeof nd);
        nd.obj = p.obj;
        nd.parent = p.parent;
        nd.depth = p.depth;
        nd.n_referrers = in_off[p.obj + 1] - in_off[p.obj];
        if (p.depth > 0) nd.label = in_label(snap, branch[p.depth - 1], p.in_edge);
        for (uint32_t d = 0; d < p.depth; d++) nd.cycle |= branch[d] == p.obj;
        nd.shown_above = !nd.cycle && wa_u64map_get(&listed, p.obj) != NULL;
        int inserted;
        if (!nd.cycle && !nd.shown_above && !wa_u64map_put(&listed, p.obj, 0, &inserted))
            goto nomem;
        nd.expanded = !nd.cycle && !nd.shown_above && p.depth < depth;
        uint32_t listed_n = nd.n_referrers < max_referrers ? nd.n_referrers : max_referrers;
        if (nd.expanded) nd.more = nd.n_referrers - listed_n;
        uint32_t self = t->n;
        if (node_push(t, &cap, &nd) != 0) goto nomem;
        if (!nd.expanded) continue;
        for (uint32_t i = listed_n; i-- > 0;) {
            uint32_t j = in_off[p.obj] + i;
            if (pending_push(&st, (pending){src[j], p.depth + 1, self, j}) != 0) goto nomem;
        }
    }
    free(st.v);
    wa_u64map_free(&listed);
    return t;
nomem:
    free(st.v);
    wa_u64map_free(&listed);
    wa_retainers_free(t);
    wa_nomem(err);
    return NULL;
}

void wa_retainers_free(wa_retainer_tree *tree) {
    if (!tree) return;
    free(tree->nodes);
    free(tree);
}
