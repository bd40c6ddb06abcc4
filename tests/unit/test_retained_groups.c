/*
 * test_retained_groups.c: wa_dom_retained_groups (every group's retained
 * bytes in one pass) against two oracles on random graphs: the per-group
 * search wa_dom_retained_group, and a brute force here (remove the group,
 * recount what the roots still reach over strong edges). Groups of distinct
 * root objects take the one-pass path; groups with a non-root member or a
 * member in two groups take the per-group fallback, checked the same way.
 */
#include "test_dom_graph.h"
#include "wa_test.h"

/* Bytes the roots no longer reach once every object with gone[v] is removed. */
static uint64_t brute(const wa_snapshot *s, const uint8_t *gone) {
    uint32_t n = wa_snapshot_n_objects(s);
    const wa_object *o = wa_snapshot_objects(s);
    uint8_t *all = calloc(n, 1), *still = calloc(n, 1);
    uint32_t *q = malloc((n + 1) * sizeof *q);
    uint64_t bytes = 0;
    for (int pass = 0; pass < 2; pass++) {
        uint8_t *seen = pass ? still : all;
        uint32_t head = 0, tail = 0;
        for (uint32_t r = 0; r < wa_snapshot_n_roots(s); r++) {
            uint32_t v = wa_snapshot_roots(s)[r].obj;
            if ((pass && gone[v]) || seen[v]) continue;
            seen[v] = 1;
            q[tail++] = v;
        }
        while (head < tail) {
            const wa_edge *e;
            uint32_t v = q[head++], k = wa_snapshot_out(s, v, &e);
            for (uint32_t j = 0; j < k; j++) {
                uint32_t w = e[j].to;
                if (WA_LABEL_KIND(e[j].label) == WA_EDGE_WEAK || seen[w] || (pass && gone[w]))
                    continue;
                seen[w] = 1;
                q[tail++] = w;
            }
        }
    }
    for (uint32_t v = 0; v < n; v++)
        if (all[v] && !still[v]) bytes += o[v].size;
    free(all);
    free(still);
    free(q);
    return bytes;
}

/* mode 0: disjoint groups of root objects (one pass); 1: a non-root member
 * somewhere; 2: an object in two groups (both: per-group fallback). */
static int run_round(uint64_t *st, int round, int mode) {
    uint32_t n = 2 + tg_rand(st) % 50, m = tg_rand(st) % (3 * n + 1);
    tg g;
    tg_new(&g);
    for (uint32_t i = 0; i < n; i++) tg_obj(&g, i % 3 ? "m.A" : "m.B", 1 + tg_rand(st) % 100);
    for (uint32_t j = 0; j < m; j++) {
        uint32_t a = tg_rand(st) % n, b = tg_rand(st) % n;
        if (tg_rand(st) % 10 == 0)
            tg_edge(&g, a, b, WA_EDGE_WEAK, NULL);
        else
            tg_attr(&g, a, b, "x");
    }
    uint8_t *isroot = calloc(n, 1);
    uint32_t nroots = 1 + tg_rand(st) % (n < 12 ? n : 12);
    for (uint32_t r = 0; r < nroots; r++) {
        uint32_t v = tg_rand(st) % n;
        isroot[v] = 1;
        tg_root(&g, v, r % 2 ? WA_ROOT_EXTERNAL : WA_ROOT_MODULE, "m", 1);
    }
    wa_snapshot *s = tg_done(&g);
    wa_error err;
    wa_error_clear(&err);
    wa_dom *dom = wa_dom_compute(s, &err);
    /* Groups: each root object joins one of ngroups groups or none. */
    uint32_t ngroups = 1 + tg_rand(st) % 4, *objs = malloc((2 * n + 2) * sizeof *objs),
             off[6] = {0}, nobjs = 0;
    for (uint32_t k = 0; k < ngroups; k++) {
        for (uint32_t v = 0; v < n; v++)
            if (isroot[v] && tg_rand(st) % (ngroups + 1) == 0 && isroot[v] != 2) {
                objs[nobjs++] = v;
                if (tg_rand(st) % 4 == 0) objs[nobjs++] = v; /* a repeat in one group */
                isroot[v] = 2;
            }
        if (mode == 1 && k == ngroups - 1) objs[nobjs++] = tg_rand(st) % n;
        if (mode == 2 && k == ngroups - 1 && nobjs) objs[nobjs++] = objs[0];
        off[k + 1] = nobjs;
    }
    uint64_t got[5] = {0};
    int bad = dom == NULL || wa_dom_retained_groups(s, dom, objs, off, ngroups, got, &err) != WA_OK;
    uint8_t *gone = calloc(n, 1);
    for (uint32_t k = 0; k < ngroups && !bad; k++) {
        uint64_t one = 0;
        memset(gone, 0, n);
        for (uint32_t i = off[k]; i < off[k + 1]; i++) gone[objs[i]] = 1;
        uint64_t want = brute(s, gone);
        if (wa_dom_retained_group(s, dom, objs + off[k], off[k + 1] - off[k], &one, &err) !=
                WA_OK ||
            got[k] != want || one != want) {
            fprintf(stderr,
                    "mode %d round %d group %u: one pass %llu, per group %llu, brute %llu\n", mode,
                    round, k, (unsigned long long)got[k], (unsigned long long)one,
                    (unsigned long long)want);
            bad = 1;
        }
    }
    free(gone);
    free(objs);
    free(isroot);
    wa_dom_free(dom);
    wa_snapshot_free(s);
    return bad;
}

static void test_random_groups(void) {
    uint64_t st = 0x2545f4914f6cdd1dull;
    for (int mode = 0; mode < 3; mode++) {
        int bad = 0;
        for (int round = 0; round < 400 && !bad; round++) bad = run_round(&st, round, mode);
        CHECK(!bad);
    }
}

/* A handler held by three externally held bound methods: no single one
 * dominates it, the group of three retains it; a second group beside it. */
static void test_shared_holder(void) {
    tg g;
    tg_new(&g);
    uint32_t mod = tg_obj(&g, "m.Module", 10), h = tg_obj(&g, "m.Handler", 100),
             buf = tg_obj(&g, "builtins.bytearray", 5000), other = tg_obj(&g, "m.Other", 7), cb[3];
    tg_attr(&g, h, buf, "buf");
    tg_attr(&g, h, mod, "mod"); /* back to something the module roots reach anyway */
    for (int i = 0; i < 3; i++) {
        cb[i] = tg_obj(&g, "builtins.method", 48);
        tg_attr(&g, cb[i], h, "__self__");
        tg_root(&g, cb[i], WA_ROOT_EXTERNAL, NULL, 1);
    }
    tg_root(&g, mod, WA_ROOT_MODULE, "m", 0);
    tg_root(&g, other, WA_ROOT_EXTERNAL, NULL, 1);
    wa_snapshot *s = tg_done(&g);
    wa_error err;
    wa_dom *dom = wa_dom_compute(s, &err);
    uint32_t objs[4] = {cb[0], cb[1], cb[2], other}, off[3] = {0, 3, 4};
    uint64_t got[2] = {0};
    CHECK(dom && wa_dom_retained_groups(s, dom, objs, off, 2, got, &err) == WA_OK);
    CHECK_EQ_U64(got[0], 3 * 48 + 100 + 5000);
    CHECK_EQ_U64(got[1], 7);
    /* Two of the three methods free nothing but themselves. */
    uint32_t off2[3] = {0, 2, 4};
    objs[2] = other;
    CHECK(wa_dom_retained_groups(s, dom, objs, off2, 2, got, &err) == WA_OK);
    CHECK_EQ_U64(got[0], 2 * 48);
    CHECK_EQ_U64(got[1], 7 + 0);
    wa_dom_free(dom);
    wa_snapshot_free(s);
}

int main(void) {
    RUN(test_random_groups);
    RUN(test_shared_holder);
    return wa_test_result();
}
