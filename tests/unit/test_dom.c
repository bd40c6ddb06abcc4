/*
 * test_dom.c: dominators and retained sizes on hand-made graphs (diamonds,
 * cycles, self-loops, unreachable islands, several roots, weak edges), on a
 * 1,000,000-long chain and a 1,000,000-wide fan-out, and against a
 * brute-force oracle (remove an object, recount what the roots still reach)
 * on random graphs.
 */
#include "test_dom_graph.h"
#include "wa_test.h"

static wa_dom *dom_of(wa_snapshot *s) {
    wa_error err;
    wa_error_clear(&err);
    wa_dom *d = wa_dom_compute(s, &err);
    if (!d) fprintf(stderr, "wa_dom_compute: %s\n", wa_error_string(&err));
    return d;
}

static void test_diamond(void) {
    tg g;
    tg_new(&g);
    uint32_t r = tg_obj(&g, "m.R", 1), a = tg_obj(&g, "m.A", 2), b = tg_obj(&g, "m.B", 4),
             c = tg_obj(&g, "m.C", 8), d = tg_obj(&g, "m.D", 16);
    tg_attr(&g, r, a, "a");
    tg_attr(&g, r, b, "b");
    tg_attr(&g, a, c, "c");
    tg_attr(&g, b, c, "c");
    tg_attr(&g, c, d, "d");
    tg_root(&g, r, WA_ROOT_MODULE, "m", 0);
    wa_snapshot *s = tg_done(&g);
    wa_dom *dom = dom_of(s);
    CHECK(dom != NULL);
    if (dom) {
        CHECK_EQ_U64(dom->idom[r], WA_DOM_SUPER);
        CHECK_EQ_U64(dom->idom[a], r);
        CHECK_EQ_U64(dom->idom[b], r);
        CHECK_EQ_U64(dom->idom[c], r);
        CHECK_EQ_U64(dom->idom[d], c);
        CHECK_EQ_U64(dom->retained[r], 31);
        CHECK_EQ_U64(dom->retained[a], 2);
        CHECK_EQ_U64(dom->retained[c], 24);
        CHECK_EQ_U64(dom->n_unreachable, 0);
        CHECK_EQ_U64(dom->reachable_bytes, 31);
        uint32_t chain[4];
        CHECK_EQ_U64(wa_dom_chain(dom, d, chain, 4), 2);
        CHECK_EQ_U64(chain[0], c);
        CHECK_EQ_U64(chain[1], r);
        wa_error err;
        wa_objlist *kids = wa_dom_children(dom, r, 2, &err);
        CHECK(kids && kids->n == 2 && kids->total == 3 && kids->objs[0] == c && kids->objs[1] == b);
        wa_objlist_free(kids);
        uint64_t bytes = 0;
        uint32_t set[] = {d, c, a, c};
        CHECK(wa_dom_retained_set(dom, set, 4, &bytes, &err) == WA_OK);
        CHECK_EQ_U64(bytes, 24 + 2);
    }
    wa_dom_free(dom);
    wa_snapshot_free(s);
}

static void test_cycle_selfloop_island(void) {
    tg g;
    tg_new(&g);
    uint32_t r = tg_obj(&g, "m.R", 1), a = tg_obj(&g, "m.A", 10), b = tg_obj(&g, "m.B", 100),
             c = tg_obj(&g, "m.C", 1000), x = tg_obj(&g, "m.X", 7), y = tg_obj(&g, "m.Y", 9),
             l = tg_obj(&g, "m.L", 3);
    tg_attr(&g, r, a, "a");
    tg_attr(&g, a, b, "b");
    tg_attr(&g, b, c, "c");
    tg_attr(&g, c, a, "back");
    tg_attr(&g, c, c, "self");
    tg_attr(&g, r, l, "l");
    tg_attr(&g, l, l, "self");
    tg_attr(&g, x, y, "y"); /* island: x <-> y, no root reaches it */
    tg_attr(&g, y, x, "x");
    tg_attr(&g, x, a, "into_live");
    tg_root(&g, r, WA_ROOT_THREAD, "MainThread", 0);
    wa_snapshot *s = tg_done(&g);
    wa_dom *dom = dom_of(s);
    CHECK(dom != NULL);
    if (dom) {
        CHECK_EQ_U64(dom->idom[a], r);
        CHECK_EQ_U64(dom->idom[b], a);
        CHECK_EQ_U64(dom->idom[c], b);
        CHECK_EQ_U64(dom->idom[l], r);
        CHECK_EQ_U64(dom->idom[x], WA_NONE);
        CHECK_EQ_U64(dom->idom[y], WA_NONE);
        CHECK_EQ_U64(dom->retained[a], 1110);
        CHECK_EQ_U64(dom->retained[x], 0);
        CHECK_EQ_U64(dom->n_unreachable, 2);
        CHECK_EQ_U64(dom->unreachable_bytes, 16);
        CHECK_EQ_U64(dom->n_reachable, 5);
    }
    wa_dom_free(dom);
    wa_snapshot_free(s);
}

static void test_several_roots_and_weak(void) {
    tg g;
    tg_new(&g);
    uint32_t r1 = tg_obj(&g, "m.R1", 1), r2 = tg_obj(&g, "m.R2", 2), a = tg_obj(&g, "m.A", 4),
             w = tg_obj(&g, "weakref.ReferenceType", 8), b = tg_obj(&g, "m.B", 16),
             c = tg_obj(&g, "m.C", 32);
    tg_attr(&g, r1, a, "a");
    tg_attr(&g, r2, a, "a");
    tg_attr(&g, r1, w, "ref");
    tg_edge(&g, w, b, WA_EDGE_WEAK, NULL); /* only a weak reference reaches b */
    tg_edge(&g, w, c, WA_EDGE_WEAK, NULL);
    tg_attr(&g, r2, c, "c"); /* c is held strongly by r2 too */
    tg_root(&g, r1, WA_ROOT_MODULE, "one", 0);
    tg_root(&g, r2, WA_ROOT_EXTERNAL, NULL, 1);
    tg_root(&g, r2, WA_ROOT_MODULE, "two", 0); /* an object can be a root twice */
    wa_snapshot *s = tg_done(&g);
    wa_dom *dom = dom_of(s);
    CHECK(dom != NULL);
    if (dom) {
        CHECK_EQ_U64(dom->idom[a], WA_DOM_SUPER);
        CHECK_EQ_U64(dom->idom[w], r1);
        CHECK_EQ_U64(dom->idom[b], WA_NONE);
        CHECK_EQ_U64(dom->idom[c], r2);
        CHECK_EQ_U64(dom->retained[r1], 1 + 8);
        CHECK_EQ_U64(dom->retained[r2], 2 + 32);
        CHECK_EQ_U64(dom->weak_edges, 2);
        CHECK_EQ_U64(dom->n_unreachable, 1);
    }
    wa_dom_free(dom);
    wa_snapshot_free(s);
}

static void test_chain_1m(void) {
    const uint32_t N = 1000000;
    tg g;
    tg_new(&g);
    wa_builder_reserve(g.b, N, N, &g.err);
    for (uint32_t i = 0; i < N; i++) tg_obj(&g, "m.Node", 1);
    for (uint32_t i = 0; i + 1 < N; i++) tg_attr(&g, i, i + 1, "next");
    tg_root(&g, 0, WA_ROOT_MODULE, "m", 0);
    wa_snapshot *s = tg_done(&g);
    wa_dom *dom = dom_of(s);
    CHECK(dom != NULL);
    if (dom) {
        int ok = 1;
        for (uint32_t i = 1; i < N && ok; i++)
            ok = dom->idom[i] == i - 1 && dom->retained[i] == N - i;
        CHECK(ok);
        CHECK_EQ_U64(dom->retained[0], N);
        CHECK_EQ_U64(wa_dom_chain(dom, N - 1, NULL, 0), N - 1);
        wa_error err;
        wa_summary *sum =
            wa_summary_compute(s, dom, WA_SUMMARY_BY_TYPE, NULL, WA_SORT_RETAINED, &err);
        CHECK(sum && sum->n_rows == 1 && sum->rows[0].retained == N && sum->rows[0].count == N);
        wa_summary_free(sum);
        uint64_t bytes = 0;
        uint32_t all[3] = {N - 1, N / 2, 5};
        CHECK(wa_dom_retained_set(dom, all, 3, &bytes, &err) == WA_OK);
        CHECK_EQ_U64(bytes, N - 5);
    }
    /* A back edge from the far end to every tenth node: long compressions. */
    wa_dom_free(dom);
    wa_snapshot_free(s);

    tg_new(&g);
    for (uint32_t i = 0; i < N; i++) tg_obj(&g, "m.Node", 1);
    for (uint32_t i = 0; i + 1 < N; i++) tg_attr(&g, i, i + 1, "next");
    for (uint32_t i = 0; i + 2 < N; i += 10) tg_attr(&g, N - 1 - i, i + 2, "back");
    tg_root(&g, 0, WA_ROOT_MODULE, "m", 0);
    s = tg_done(&g);
    dom = dom_of(s);
    CHECK(dom != NULL);
    if (dom) {
        /* Node i+2 (i % 10 == 0) is entered from two places, so its idom
         * climbs to where both sides meet: node i+1 is on every path. */
        CHECK_EQ_U64(dom->idom[2], 1);
        CHECK_EQ_U64(dom->idom[3], 2);
        CHECK_EQ_U64(dom->retained[0], N);
    }
    wa_dom_free(dom);
    wa_snapshot_free(s);
}

static void test_fanout_1m(void) {
    const uint32_t N = 1000000;
    tg g;
    tg_new(&g);
    uint32_t r = tg_obj(&g, "builtins.list", 8), z = tg_obj(&g, "m.Shared", 5);
    for (uint32_t i = 0; i < N; i++) {
        uint32_t c = tg_obj(&g, "m.Item", 2);
        tg_index(&g, r, c, i);
        tg_attr(&g, c, z, "shared");
    }
    tg_root(&g, r, WA_ROOT_MODULE, "m", 0);
    wa_snapshot *s = tg_done(&g);
    wa_dom *dom = dom_of(s);
    CHECK(dom != NULL);
    if (dom) {
        CHECK_EQ_U64(dom->idom[z], r);
        CHECK_EQ_U64(dom->retained[r], 8 + 5 + 2ull * N);
        CHECK_EQ_U64(dom->retained[2], 2);
        wa_error err;
        wa_objlist *kids = wa_dom_children(dom, r, 3, &err);
        CHECK(kids && kids->total == N + 1 && kids->objs[0] == z);
        wa_objlist_free(kids);
    }
    wa_dom_free(dom);
    wa_snapshot_free(s);
}

/* ---- brute force ---- */

static void reach(const wa_snapshot *s, uint32_t removed, uint8_t *seen) {
    uint32_t n = wa_snapshot_n_objects(s);
    uint32_t *stack = malloc(sizeof *stack * (n + 1));
    size_t top = 0;
    memset(seen, 0, n);
    const wa_root *roots = wa_snapshot_roots(s);
    for (uint32_t r = 0; r < wa_snapshot_n_roots(s); r++)
        if (roots[r].obj != removed && !seen[roots[r].obj]) {
            seen[roots[r].obj] = 1;
            stack[top++] = roots[r].obj;
        }
    while (top) {
        uint32_t v = stack[--top];
        const wa_edge *e;
        uint32_t k = wa_snapshot_out(s, v, &e);
        for (uint32_t i = 0; i < k; i++) {
            if (WA_LABEL_KIND(e[i].label) == WA_EDGE_WEAK || e[i].to == removed || seen[e[i].to])
                continue;
            seen[e[i].to] = 1;
            stack[top++] = e[i].to;
        }
    }
    free(stack);
}

static void test_random_vs_bruteforce(void) {
    uint64_t st = 0x9e3779b97f4a7c15ull;
    int bad = 0;
    for (int round = 0; round < 300 && !bad; round++) {
        uint32_t n = 2 + tg_rand(&st) % 40, m = tg_rand(&st) % (3 * n + 1);
        tg g;
        tg_new(&g);
        for (uint32_t i = 0; i < n; i++) tg_obj(&g, i % 3 ? "m.A" : "m.B", 1 + tg_rand(&st) % 100);
        for (uint32_t j = 0; j < m; j++) {
            uint32_t a = tg_rand(&st) % n, b = tg_rand(&st) % n;
            if (tg_rand(&st) % 10 == 0)
                tg_edge(&g, a, b, WA_EDGE_WEAK, NULL);
            else
                tg_attr(&g, a, b, "x");
        }
        uint32_t nroots = 1 + tg_rand(&st) % 3;
        for (uint32_t r = 0; r < nroots; r++) tg_root(&g, tg_rand(&st) % n, WA_ROOT_MODULE, "m", 0);
        wa_snapshot *s = tg_done(&g);
        wa_dom *dom = dom_of(s);
        const wa_object *objs = wa_snapshot_objects(s);
        uint8_t *all = malloc(n), *without = malloc(n), **domset = calloc(n, sizeof *domset);
        reach(s, WA_NONE, all);
        /* dominators of v: v itself plus every d whose removal cuts v off */
        for (uint32_t d = 0; d < n; d++) {
            domset[d] = calloc(n, 1);
        }
        uint64_t *ret = calloc(n, 8);
        for (uint32_t d = 0; d < n; d++) {
            if (!all[d]) continue;
            reach(s, d, without);
            for (uint32_t v = 0; v < n; v++)
                if (all[v] && (!without[v] || v == d)) {
                    domset[v][d] = 1;
                    ret[d] += objs[v].size;
                }
        }
        for (uint32_t v = 0; v < n && !bad; v++) {
            uint32_t want = WA_NONE;
            if (all[v]) {
                /* the closest strict dominator is the one with most dominators */
                uint32_t best = WA_DOM_SUPER, bestcount = 0;
                for (uint32_t d = 0; d < n; d++) {
                    if (d == v || !domset[v][d]) continue;
                    uint32_t c = 0;
                    for (uint32_t e = 0; e < n; e++) c += domset[d][e];
                    if (c > bestcount) {
                        bestcount = c;
                        best = d;
                    }
                }
                want = best;
            }
            if (dom->idom[v] != want || dom->retained[v] != ret[v]) {
                fprintf(stderr, "round %d: object %u: idom %u want %u, retained %llu want %llu\n",
                        round, v, dom->idom[v], want, (unsigned long long)dom->retained[v],
                        (unsigned long long)ret[v]);
                bad = 1;
            }
        }
        CHECK(!bad);
        for (uint32_t d = 0; d < n; d++) free(domset[d]);
        free(domset);
        free(all);
        free(without);
        free(ret);
        wa_dom_free(dom);
        wa_snapshot_free(s);
    }
}

static void test_empty(void) {
    tg g;
    tg_new(&g);
    wa_snapshot *s = tg_done(&g);
    wa_dom *dom = dom_of(s);
    CHECK(dom != NULL);
    if (dom) CHECK_EQ_U64(dom->n_reachable, 0);
    wa_dom_free(dom);
    wa_snapshot_free(s);
}

int main(void) {
    RUN(test_diamond);
    RUN(test_cycle_selfloop_island);
    RUN(test_several_roots_and_weak);
    RUN(test_empty);
    RUN(test_random_vs_bruteforce);
    RUN(test_chain_1m);
    RUN(test_fanout_1m);
    return wa_test_result();
}
