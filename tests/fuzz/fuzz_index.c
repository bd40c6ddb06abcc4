/* libFuzzer target: arbitrary bytes as the sidecar index of a small fixed
 * snapshot (weak edges, several roots, unreachable objects). Each input is
 * tried as it is and "resealed": the dump identity, the counts and every
 * checksum made right, so that the checks behind them (the section layout,
 * then the session's checks of the dominator tree and the path tree) are
 * reached. Either the index is rejected (the parts are computed: then they
 * must equal the reference) or what came from it must be a valid tree that
 * every consumer can walk.
 *
 * Built with -DWA_FUZZ_INDEX_SEEDS and a main of its own, it writes the seed
 * corpus (tests/fuzz/corpus/index/): indexes of that snapshot with both
 * parts, one part, none. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/session_index.h"
#include "format/format_impl.h"
#include "format/index_impl.h"
#include "whyalive/whyalive.h"
#include "whyalive/session.h"

/* The fixed snapshot: 40 objects, edges from a fixed pseudo-random list. */
static wa_snapshot *fixed_snapshot(void) {
    wa_error err;
    wa_builder *b = wa_builder_new(&err);
    if (!b) abort();
    uint32_t t = wa_builder_type(b, "m.A", "m", &err), x = wa_builder_intern(b, "x", 1, &err);
    const uint32_t n = 40;
    for (uint32_t i = 0; i < n; i++) {
        wa_object o;
        memset(&o, 0, sizeof o);
        o.addr = 0x1000 + 16 * (uint64_t)i;
        o.size = 16 + 8 * (uint64_t)(i % 7);
        o.type = t;
        o.refcount = 1;
        if (wa_builder_object(b, &o, &err) == WA_NONE) abort();
    }
    uint64_t st = 0x9e3779b97f4a7c15ull;
    for (uint32_t j = 0; j < 90; j++) {
        st ^= st << 13;
        st ^= st >> 7;
        st ^= st << 17;
        uint32_t a = (uint32_t)(st >> 11) % 34, c = (uint32_t)(st >> 40) % n; /* 34..39: no refs */
        wa_edge_kind k = j % 9 == 0 ? WA_EDGE_WEAK : j % 2 ? WA_EDGE_ATTR : WA_EDGE_INDEX;
        if (wa_builder_edge(b, a, 0x1000 + 16 * (uint64_t)c,
                            WA_LABEL(k, k == WA_EDGE_INDEX ? j : x), &err) != WA_OK)
            abort();
    }
    uint32_t roots[] = {0, 5, 5, 17};
    for (size_t r = 0; r < sizeof roots / sizeof *roots; r++)
        if (wa_builder_root(b, 0x1000 + 16 * (uint64_t)roots[r], WA_ROOT_MODULE, x, 0, &err) !=
            WA_OK)
            abort();
    wa_snapshot *s = wa_builder_finish(b, "fuzz", &err);
    if (!s) abort();
    return s;
}

static const wa_index_dump_id fixed_id = {1, 1, 4242, 0, 0x1234567890abcdefull, 0x42};

static wa_snapshot *snap;
static wa_dom *ref_dom;
static wa_path_tree *ref_tree;

static void setup(void) {
    if (snap) return;
    snap = fixed_snapshot();
    wa_error err;
    ref_dom = wa_dom_compute(snap, &err);
    ref_tree = wa_path_tree_build(snap, &err);
    if (!ref_dom || !ref_tree) abort();
}

static int same_dom(const wa_dom *a, const wa_dom *b) {
    size_t n = a->n_objects;
    return a->n_objects == b->n_objects && a->n_reachable == b->n_reachable &&
           memcmp(a->idom, b->idom, n * 4) == 0 && memcmp(a->retained, b->retained, n * 8) == 0 &&
           memcmp(a->preorder, b->preorder, (size_t)a->n_reachable * 4) == 0;
}

/* A dominator tree from an index: a tree over the objects, its preorder a
 * permutation of the reachable ones, each retained size the sum of its
 * subtree's shallow sizes. */
static void check_dom(const wa_dom *d) {
    const uint32_t n = wa_snapshot_n_objects(snap);
    const wa_object *o = wa_snapshot_objects(snap);
    if (d->n_objects != n || d->n_reachable + d->n_unreachable != n) abort();
    uint8_t seen[64] = {0};
    for (uint32_t k = 0; k < d->n_reachable; k++) {
        uint32_t v = d->preorder[k];
        if (v >= n || seen[v] || d->idom[v] == WA_NONE) abort();
        seen[v] = 1;
        /* the chain ends at the super-root within n steps */
        uint32_t x = d->idom[v], steps = 0;
        while (x != WA_DOM_SUPER) {
            if (x >= n || ++steps > n) abort();
            x = d->idom[x];
        }
    }
    /* each reachable object's size added to itself and every dominator
     * above it: O(n * depth), not a subtree scan per object (the target's
     * own checks are instrumented too, and were most of each execution) */
    uint64_t sum[64] = {0};
    for (uint32_t w = 0; w < n; w++) {
        if (d->idom[w] == WA_NONE) continue;
        uint32_t steps = 0;
        for (uint32_t x = w; x != WA_DOM_SUPER; x = d->idom[x]) {
            if (x >= n || ++steps > n) abort(); /* not a tree */
            sum[x] += o[w].size;
        }
    }
    for (uint32_t v = 0; v < n; v++) {
        if (d->idom[v] != WA_NONE && d->retained[v] != sum[v]) abort();
        if (d->idom[v] == WA_NONE && (seen[v] || d->retained[v] != 0)) abort();
    }
    uint32_t chain[64];
    for (uint32_t v = 0; v < n; v++) (void)wa_dom_chain(d, v, chain, 64);
    wa_error err;
    wa_objlist *top = wa_dom_children(d, WA_DOM_SUPER, 3, &err);
    if (!top) abort();
    wa_objlist_free(top);
}

/* A path tree from an index: parents reach a root, each hop a strong edge. */
static void check_tree(const wa_path_tree *t) {
    const uint32_t n = wa_snapshot_n_objects(snap);
    const wa_edge *edges = wa_snapshot_edges(snap);
    const uint32_t *out = wa_snapshot_out_offsets(snap);
    if (t->n_objects != n) abort();
    uint32_t reach = 0;
    for (uint32_t v = 0; v < n; v++) {
        if (t->parent[v] == WA_NONE) continue;
        reach++;
        uint32_t x = v, steps = 0;
        while (t->parent[x] != WA_PATH_ROOT) {
            uint32_t p = t->parent[x], e = t->via[x];
            if (p >= n || ++steps > n || e < out[p] || e >= out[p + 1] || edges[e].to != x ||
                WA_LABEL_KIND(edges[e].label) == WA_EDGE_WEAK)
                abort();
            x = p;
        }
        if (t->via[x] >= wa_snapshot_n_roots(snap) || wa_snapshot_roots(snap)[t->via[x]].obj != x)
            abort();
    }
    if (reach != t->n_reachable) abort();
    uint32_t all[64];
    for (uint32_t v = 0; v < n; v++) all[v] = v;
    wa_error err;
    wa_path_list *l = wa_path_shortest(snap, t, all, n, &err);
    if (!l) abort();
    wa_path_list_free(l);
}

/* Which parts came from the index (the session's index hook). */
static void on_index(void *ctx, wa_session_part part, wa_index_event ev, const char *why) {
    (void)why;
    if (ev == WA_INDEX_EV_READ) ((int *)ctx)[part] = 1;
}

static void try_index(const uint8_t *data, size_t size) {
    wa_error err;
    wa_index *ix = wa_index_open_memory(data, size, &fixed_id, WA_INDEX_READ, &err);
    if (!ix) abort();
    wa_session *s = wa_session_new(snap, &err);
    if (!s) abort();
    int from_ix[3] = {0, 0, 0};
    wa_session_set_index(s, ix, on_index, from_ix);
    const wa_dom *d = wa_session_dom(s, &err);
    const wa_path_tree *t = wa_session_tree(s, &err);
    if (!d || !t) abort();
    /* from the index or computed, each must be a valid tree; a part
     * computed is the reference itself */
    check_dom(d);
    check_tree(t);
    if (!from_ix[WA_SESSION_DOM] && !same_dom(d, ref_dom)) abort();
    if (!from_ix[WA_SESSION_TREE] && (t->n_reachable != ref_tree->n_reachable ||
                                      memcmp(t->parent, ref_tree->parent, t->n_objects * 4) != 0))
        abort();

    wa_session_free(s);
}

/* The identity, the counts and every checksum made right. */
static void reseal(uint8_t *b, size_t n) {
    if (n < 128) return;
    uint32_t nsec;
    memcpy(&nsec, b + 20, 4);
    memcpy(b + 32, &fixed_id.kind, 4);
    memcpy(b + 36, &fixed_id.format_version, 4);
    memcpy(b + 40, &fixed_id.size, 8);
    memcpy(b + 48, &fixed_id.mtime_ns, 8);
    memcpy(b + 56, &fixed_id.sum_a, 8);
    memcpy(b + 64, &fixed_id.sum_b, 8);
    uint32_t no = wa_snapshot_n_objects(snap), nr = wa_snapshot_n_roots(snap);
    uint64_t ne = wa_snapshot_n_edges(snap), size = n;
    memcpy(b + 72, &no, 4);
    memcpy(b + 76, &nr, 4);
    memcpy(b + 80, &ne, 8);
    memcpy(b + 24, &size, 8);
    if (nsec > 16 || 128 + (size_t)nsec * 32 > n) return;
    for (uint32_t i = 0; i < nsec; i++) {
        uint8_t *e = b + 128 + i * 32;
        uint64_t off, len;
        memcpy(&off, e + 8, 8);
        memcpy(&len, e + 16, 8);
        if (off <= n && len <= n - off) {
            uint64_t c = wa_checksum(b + off, (size_t)len);
            memcpy(e + 24, &c, 8);
        }
    }
    wa_csum c;
    wa_csum_init(&c);
    wa_csum_update(&c, b, 120);
    wa_csum_update(&c, b + 128, (size_t)nsec * 32);
    uint64_t h = wa_csum_final(&c);
    memcpy(b + 120, &h, 8);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    setup();
    try_index(data, size);
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy) return 0;
    memcpy(copy, data, size);
    reseal(copy, size);
    try_index(copy, size);
    free(copy);
    return 0;
}

#ifdef WA_FUZZ_INDEX_SEEDS
/* usage: fuzz_index_seeds DIR */
static void seed(const char *dir, const char *name, int dom, int tree) {
    wa_index_section_out sec[6];
    uint32_t k = 0;
    uint64_t stats[2] = {ref_dom->weak_edges, 0};
    uint32_t n = wa_snapshot_n_objects(snap);
    if (dom) {
        sec[k++] = (wa_index_section_out){WA_IXS_DOM_STATS, stats, 16};
        sec[k++] = (wa_index_section_out){WA_IXS_DOM_IDOM, ref_dom->idom, (uint64_t)n * 4};
        sec[k++] = (wa_index_section_out){WA_IXS_DOM_PREORDER, ref_dom->preorder,
                                          (uint64_t)ref_dom->n_reachable * 4};
        sec[k++] = (wa_index_section_out){WA_IXS_DOM_RETAINED, ref_dom->retained, (uint64_t)n * 8};
    }
    if (tree) {
        sec[k++] = (wa_index_section_out){WA_IXS_TREE_PARENT, ref_tree->parent, (uint64_t)n * 4};
        sec[k++] = (wa_index_section_out){WA_IXS_TREE_VIA, ref_tree->via, (uint64_t)n * 4};
    }
    unsigned char *b;
    size_t len;
    wa_error err;
    if (wa_index_build(&fixed_id, snap, sec, k, &b, &len, &err) != WA_OK) abort();
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b, 1, len, f) != len) abort();
    fclose(f);
    free(b);
}

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    setup();
    seed(argv[1], "both.wai", 1, 1);
    seed(argv[1], "dom.wai", 1, 0);
    seed(argv[1], "tree.wai", 0, 1);
    seed(argv[1], "none.wai", 0, 0);
    return 0;
}
#endif
