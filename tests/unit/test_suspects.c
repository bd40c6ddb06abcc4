/*
 * test_suspects.c: accumulation points (MAT's walk down the dominator tree),
 * containers of several suspects, type suspects, externally held types and
 * growth against a baseline.
 */
#include "test_dom_graph.h"
#include "wa_test.h"

static wa_snapshot *leaky(uint32_t n) {
    tg g;
    tg_new(&g);
    uint32_t m = tg_obj_full(&g, "builtins.module", 72, WA_OBJ_IS_MODULE, 0, "app.stt");
    uint32_t ns = tg_obj(&g, "builtins.dict", 100);
    uint32_t reg = tg_obj_full(&g, "builtins.dict", 100, WA_OBJ_HAS_LEN, n, NULL);
    uint32_t other = tg_obj(&g, "app.Other", 1000);
    tg_attr(&g, m, ns, "__dict__");
    tg_edge(&g, ns, reg, WA_EDGE_DICT_VALUE, "'_sessions'");
    tg_edge(&g, ns, other, WA_EDGE_DICT_VALUE, "'other'");
    for (uint32_t i = 0; i < n; i++) {
        uint32_t t = tg_obj(&g, "app.stt.ConversationTranscriber", 100);
        tg_index(&g, reg, t, i);
    }
    /* native callbacks: 5 bound methods held from C, each on a big buffer */
    for (uint32_t i = 0; i < 5; i++) {
        uint32_t cb = tg_obj(&g, "builtins.method", 48), buf = tg_obj(&g, "builtins.bytes", 400);
        tg_attr(&g, cb, buf, "__self__");
        tg_root(&g, cb, WA_ROOT_EXTERNAL, NULL, 1);
    }
    tg_root(&g, m, WA_ROOT_MODULE, "app.stt", 0);
    return tg_done(&g);
}

static const wa_suspect *find(const wa_suspect_list *l, wa_suspect_kind k) {
    for (uint32_t i = 0; i < l->n; i++)
        if (l->items[i].kind == k) return &l->items[i];
    return NULL;
}

static void test_accumulation_and_external(void) {
    wa_snapshot *s = leaky(100);
    wa_error err;
    wa_dom *dom = wa_dom_compute(s, &err);
    wa_suspect_list *l = wa_suspect_find(s, dom, NULL, NULL, &err);
    CHECK(l != NULL);
    if (l) {
        const wa_suspect *acc = find(l, WA_SUSPECT_ACCUMULATION);
        CHECK(acc != NULL);
        if (acc) {
            CHECK_EQ_U64(acc->obj, 0);          /* the module */
            CHECK_EQ_U64(acc->accumulation, 2); /* the _sessions dict */
            CHECK_EQ_U64(acc->count, 100);
            CHECK_STR(wa_snapshot_type_name(s, acc->type), "app.stt.ConversationTranscriber");
            CHECK_STR(acc->path, "sys.modules['app.stt'] .__dict__['_sessions']");
            CHECK(acc->share > 0.7);
        }
        /* the transcribers are the accumulation's content: no duplicate type suspect */
        const wa_suspect *ty = find(l, WA_SUSPECT_TYPE);
        CHECK(ty == NULL);
        const wa_suspect *ext = find(l, WA_SUSPECT_EXTERNAL);
        CHECK(ext && ext->count == 5 && ext->excess == 5 && ext->retained == 5 * 448);
        CHECK(l->items[0].kind == WA_SUSPECT_ACCUMULATION); /* ranked by bytes */
    }
    wa_suspect_list_free(l);
    /* a stricter external threshold drops the native suspect */
    wa_suspect_options o;
    wa_suspect_options_init(&o);
    o.external_share = 0.5;
    l = wa_suspect_find(s, dom, NULL, &o, &err);
    CHECK(l && find(l, WA_SUSPECT_EXTERNAL) == NULL);
    wa_suspect_list_free(l);
    o.threshold = 2.0;
    CHECK(wa_suspect_find(s, dom, NULL, &o, &err) == NULL && err.code == WA_ERR_ARG);
    wa_dom_free(dom);
    wa_snapshot_free(s);
}

static void test_split_container(void) {
    /* one root holding two big halves: the root is a container, each half a suspect */
    tg g;
    tg_new(&g);
    uint32_t r = tg_obj(&g, "builtins.dict", 1), h1 = tg_obj(&g, "builtins.list", 1),
             h2 = tg_obj(&g, "builtins.list", 1);
    tg_edge(&g, r, h1, WA_EDGE_DICT_VALUE, "'a'");
    tg_edge(&g, r, h2, WA_EDGE_DICT_VALUE, "'b'");
    for (uint32_t i = 0; i < 40; i++) {
        uint32_t x = tg_obj(&g, "m.X", 10), y = tg_obj(&g, "m.Y", 12);
        tg_index(&g, h1, x, i);
        tg_index(&g, h2, y, i);
    }
    tg_root(&g, r, WA_ROOT_MODULE, "m", 0);
    wa_snapshot *s = tg_done(&g);
    wa_error err;
    wa_dom *dom = wa_dom_compute(s, &err);
    wa_suspect_list *l = wa_suspect_find(s, dom, NULL, NULL, &err);
    uint32_t nacc = 0;
    for (uint32_t i = 0; l && i < l->n; i++)
        if (l->items[i].kind == WA_SUSPECT_ACCUMULATION) {
            nacc++;
            CHECK(l->items[i].accumulation == h1 || l->items[i].accumulation == h2);
            CHECK_EQ_U64(l->items[i].count, 40);
        }
    CHECK_EQ_U64(nacc, 2);
    wa_suspect_list_free(l);
    wa_dom_free(dom);
    wa_snapshot_free(s);
}

static void test_growth(void) {
    wa_snapshot *base = leaky(10), *now = leaky(100);
    wa_error err;
    wa_dom *dom = wa_dom_compute(now, &err);
    wa_suspect_options o;
    wa_suspect_options_init(&o);
    o.baseline = base;
    wa_suspect_list *l = wa_suspect_find(now, dom, NULL, &o, &err);
    const wa_suspect *gr = l ? find(l, WA_SUSPECT_GROWTH) : NULL;
    CHECK(gr != NULL);
    if (gr) {
        CHECK_EQ_U64(gr->count, 100);
        CHECK_EQ_U64(gr->baseline, 10);
        CHECK_STR(gr->path, "sys.modules['app.stt'] .__dict__['_sessions'] [*]");
    }
    wa_suspect_list_free(l);
    wa_dom_free(dom);
    wa_snapshot_free(base);
    wa_snapshot_free(now);
}

/* n outer nodes in a registry list, each holding an inner node of the same
 * type (with a 500-byte buffer) through .child. */
static wa_snapshot *nested(uint32_t n) {
    tg g;
    tg_new(&g);
    uint32_t m = tg_obj_full(&g, "builtins.module", 72, WA_OBJ_IS_MODULE, 0, "app");
    uint32_t ns = tg_obj(&g, "builtins.dict", 100);
    uint32_t reg = tg_obj_full(&g, "builtins.list", 100, WA_OBJ_HAS_LEN, n, NULL);
    tg_attr(&g, m, ns, "__dict__");
    tg_edge(&g, ns, reg, WA_EDGE_DICT_VALUE, "'registry'");
    for (uint32_t i = 0; i < n; i++) {
        uint32_t outer = tg_obj(&g, "app.Node", 64), inner = tg_obj(&g, "app.Node", 64);
        uint32_t buf = tg_obj(&g, "builtins.bytes", 500);
        tg_index(&g, reg, outer, i);
        tg_attr(&g, outer, inner, "child");
        tg_attr(&g, inner, buf, "buf");
    }
    tg_root(&g, m, WA_ROOT_MODULE, "app", 0);
    return tg_done(&g);
}

/* A growth cluster retains what its members retain on their own (fix: the
 * inner nodes' cluster said 0 B: clustered with every Node, they were
 * nested in the outer ones and counted there). */
static void test_growth_nested_cluster_retained(void) {
    wa_snapshot *base = nested(2), *now = nested(40);
    wa_error err;
    wa_dom *dom = wa_dom_compute(now, &err);
    wa_suspect_options o;
    wa_suspect_options_init(&o);
    o.baseline = base;
    o.threshold = 1.0; /* few other suspects */
    o.external_share = 1.0;
    wa_suspect_list *l = wa_suspect_find(now, dom, NULL, &o, &err);
    CHECK(l != NULL);
    int outer = 0, inner = 0;
    for (uint32_t i = 0; l && i < l->n; i++) {
        const wa_suspect *x = &l->items[i];
        if (x->kind != WA_SUSPECT_GROWTH) continue;
        if (!strcmp(x->path, "sys.modules['app'] .__dict__['registry'] [*]")) {
            outer = 1;
            CHECK_EQ_U64(x->retained, 40 * (64 + 64 + 500));
        } else if (!strcmp(x->path, "sys.modules['app'] .__dict__['registry'] [*] .child")) {
            inner = 1;
            CHECK_EQ_U64(x->count, 40);
            CHECK_EQ_U64(x->baseline, 2);
            CHECK_EQ_U64(x->retained, 40 * (64 + 500));
        }
    }
    CHECK(outer && inner);
    wa_suspect_list_free(l);
    wa_dom_free(dom);
    wa_snapshot_free(base);
    wa_snapshot_free(now);
}

/* The example service's native route: each handler is held by three bound
 * methods that native code holds, so no single method dominates it and
 * each method alone retains 48 bytes. Together they retain every handler
 * and its buffer: one external suspect for the group, with the hop. */
static void test_external_shared_holders(void) {
    tg g;
    tg_new(&g);
    uint32_t m = tg_obj_full(&g, "builtins.module", 72, WA_OBJ_IS_MODULE, 0, "app.stt");
    uint32_t ns = tg_obj(&g, "builtins.dict", 100);
    uint32_t other = tg_obj(&g, "app.Other", 20000);
    tg_attr(&g, m, ns, "__dict__");
    tg_edge(&g, ns, other, WA_EDGE_DICT_VALUE, "'other'");
    for (uint32_t i = 0; i < 3; i++) {
        uint32_t h = tg_obj(&g, "app.stt.TranscriptionHandler", 64);
        uint32_t buf = tg_obj(&g, "builtins.bytearray", 5000);
        tg_attr(&g, h, buf, "_audio");
        for (uint32_t k = 0; k < 3; k++) {
            uint32_t cb = tg_obj(&g, "builtins.method", 48);
            tg_attr(&g, cb, h, "__self__");
            tg_root(&g, cb, WA_ROOT_EXTERNAL, NULL, 1);
        }
    }
    tg_root(&g, m, WA_ROOT_MODULE, "app.stt", 0);
    wa_snapshot *s = tg_done(&g);
    wa_error err;
    wa_dom *dom = wa_dom_compute(s, &err);
    wa_suspect_options o;
    wa_suspect_options_init(&o);
    o.threshold = 0.9; /* no accumulation or type suspect: the external one alone */
    wa_suspect_list *l = dom ? wa_suspect_find(s, dom, NULL, &o, &err) : NULL;
    CHECK(l != NULL);
    const wa_suspect *x = l ? find(l, WA_SUSPECT_EXTERNAL) : NULL;
    CHECK(x != NULL);
    if (x) {
        CHECK_EQ_U64(x->count, 9);
        CHECK_EQ_U64(x->excess, 9);
        CHECK_EQ_U64(x->retained, 9 * 48 + 3 * (64 + 5000));
        CHECK_STR(wa_snapshot_type_name(s, x->type), "builtins.method");
        CHECK(x->via != NULL);
        if (x->via) CHECK_STR(x->via, ".__self__ \xe2\x86\x92 TranscriptionHandler");
    }
    /* The exact group size against the lower bound. */
    uint32_t cbs[9], k = 0;
    for (uint32_t r = 0; r < wa_snapshot_n_roots(s); r++)
        if (wa_snapshot_roots(s)[r].kind == WA_ROOT_EXTERNAL)
            cbs[k++] = wa_snapshot_roots(s)[r].obj;
    uint64_t lower = 0, exact = 0;
    CHECK(k == 9 && wa_dom_retained_set(dom, cbs, 9, &lower, &err) == WA_OK);
    CHECK(wa_dom_retained_group(s, dom, cbs, 9, &exact, &err) == WA_OK);
    CHECK_EQ_U64(lower, 9 * 48);
    CHECK_EQ_U64(exact, 9 * 48 + 3 * (64 + 5000));
    wa_suspect_list_free(l);
    wa_dom_free(dom);
    wa_snapshot_free(s);
}

int main(void) {
    RUN(test_accumulation_and_external);
    RUN(test_split_container);
    RUN(test_growth);
    RUN(test_growth_nested_cluster_retained);
    RUN(test_external_shared_holders);
    return wa_test_result();
}
