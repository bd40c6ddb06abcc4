/*
 * test_cut.c: the cut of a selection (issue 14, item 1): the fewest
 * reference patterns whose removal frees it. The two-holder story
 * (a listener list of bound methods and a filter's closure cell) gives the
 * list's items and the cell, not the bound methods' __self__; a runner's
 * unrelated bound method does not drag `method .__self__` into the cut;
 * a root holding a selected object is counted apart; more than the limit
 * of patterns is "not found"; a million-long chain is one pattern.
 */
#include "test_dom_graph.h"
#include "wa_test.h"

static char *pattern_text(const wa_snapshot *s, const wa_cut *cut, uint32_t i) {
    static char buf[4][1024];
    wa_cut_pattern_format(s, &cut->patterns[i], buf[i & 3], sizeof buf[0]);
    return buf[i & 3];
}

static int has_pattern(const wa_snapshot *s, const wa_cut *cut, const char *text) {
    for (uint32_t i = 0; i < cut->n; i++)
        if (!strcmp(pattern_text(s, cut, i), text)) return 1;
    return 0;
}

/* 6 sessions, each in the bus's listener list through a bound method; 2
 * also in a filter's closure cell; 3 also in a request cache (12 keys);
 * session 5 held by an external root, session 4 holding 5; an unrelated
 * runner (a root) with a bound method of its own. */
static wa_snapshot *story(uint32_t *sessions) {
    tg g;
    tg_new(&g);
    uint32_t m = tg_obj_full(&g, "builtins.module", 72, WA_OBJ_IS_MODULE, 0, "app");
    uint32_t ns = tg_obj(&g, "builtins.dict", 100);
    uint32_t bus = tg_obj(&g, "app.EventBus", 56);
    uint32_t listeners = tg_obj_full(&g, "builtins.list", 120, WA_OBJ_HAS_LEN, 6, NULL);
    uint32_t filt = tg_obj(&g, "logging.Filter", 56), fn = tg_obj(&g, "builtins.function", 136);
    uint32_t clo = tg_obj(&g, "builtins.tuple", 48), cell = tg_obj(&g, "builtins.cell", 40);
    uint32_t kept = tg_obj_full(&g, "builtins.list", 80, WA_OBJ_HAS_LEN, 2, NULL);
    uint32_t cache = tg_obj_full(&g, "builtins.dict", 600, WA_OBJ_HAS_LEN, 12, NULL);
    uint32_t runner = tg_obj(&g, "asyncio.Runner", 56), rmeth = tg_obj(&g, "builtins.method", 64);
    tg_attr(&g, m, ns, "__dict__");
    tg_edge(&g, ns, bus, WA_EDGE_DICT_VALUE, "'bus'");
    tg_edge(&g, ns, filt, WA_EDGE_DICT_VALUE, "'flt'");
    tg_edge(&g, ns, cache, WA_EDGE_DICT_VALUE, "'cache'");
    tg_attr(&g, bus, listeners, "listeners");
    tg_attr(&g, filt, fn, "filter");
    tg_attr(&g, fn, clo, "__closure__");
    tg_index(&g, clo, cell, 0);
    tg_edge(&g, cell, kept, WA_EDGE_CLOSURE, "sessions");
    /* the runner's bound method: a route into `method .__self__` that does
     * not go through the listener list */
    tg_attr(&g, runner, rmeth, "handler");
    tg_attr(&g, rmeth, bus, "__self__");
    for (uint32_t i = 0; i < 6; i++) {
        sessions[i] = tg_obj(&g, "app.Session", 48);
        uint32_t meth = tg_obj(&g, "builtins.method", 64);
        tg_index(&g, listeners, meth, i);
        tg_attr(&g, meth, sessions[i], "__self__");
    }
    tg_index(&g, kept, sessions[0], 0);
    tg_index(&g, kept, sessions[1], 1);
    char key[16];
    for (uint32_t i = 0; i < 12; i++) {
        snprintf(key, sizeof key, "'req-%u'", i);
        tg_edge(&g, cache, sessions[i % 3], WA_EDGE_DICT_VALUE, key);
    }
    tg_attr(&g, sessions[4], sessions[5], "peer");
    tg_root(&g, m, WA_ROOT_MODULE, "app", 0);
    tg_root(&g, runner, WA_ROOT_THREAD, "main", 0);
    tg_root(&g, sessions[5], WA_ROOT_EXTERNAL, NULL, 1);
    return tg_done(&g);
}

static void test_two_holders_and_a_cache(void) {
    uint32_t ses[6];
    wa_snapshot *s = story(ses);
    wa_error err;
    wa_error_clear(&err);
    wa_dom *dom = wa_dom_compute(s, &err);
    CHECK(dom != NULL);
    wa_cut *cut = wa_cut_find(s, dom, ses, 6, 0, &err);
    CHECK(cut != NULL);
    if (!cut) return;
    CHECK(cut->found);
    CHECK_EQ_U64(cut->n_selected, 6);
    CHECK_EQ_U64(cut->held_by_root, 1); /* session 5: no reference to remove */
    CHECK_EQ_U64(cut->kept_by_roots, 0);
    CHECK_EQ_U64(cut->freed, 5);
    CHECK_EQ_U64(cut->n, 3);
    for (uint32_t i = 0; i < cut->n; i++) CHECK(!cut->patterns[i].internal);
    CHECK(has_pattern(s, cut, "app.EventBus .listeners [*]"));
    CHECK(has_pattern(s, cut, "cell <closure sessions> [*]"));
    CHECK(has_pattern(s, cut, "module 'app' __dict__['cache'] [*]"));
    /* most references first: the cache's 12 (to 3 sessions) */
    CHECK_EQ_U64(cut->patterns[0].refs, 12);
    wa_cut_free(cut);

    /* the first two sessions only: the cell and the list, plus the cache */
    cut = wa_cut_find(s, dom, ses, 2, 0, &err);
    CHECK(cut && cut->found && cut->freed == 2 && cut->n == 3);
    wa_cut_free(cut);

    /* session 3 alone: the listener list only */
    cut = wa_cut_find(s, dom, &ses[3], 1, 0, &err);
    CHECK(cut && cut->found && cut->freed == 1 && cut->n == 1);
    if (cut && cut->n == 1) CHECK_STR(pattern_text(s, cut, 0), "app.EventBus .listeners [*]");
    wa_cut_free(cut);

    /* session 5 alone: held by a root itself, nothing to remove */
    cut = wa_cut_find(s, dom, &ses[5], 1, 0, &err);
    CHECK(cut && cut->found && cut->freed == 0 && cut->held_by_root == 1 && cut->n == 0);
    wa_cut_free(cut);
    wa_dom_free(dom);
    wa_snapshot_free(s);
}

/* Ten globals each hold one object: no cut of at most 8 patterns; with a
 * limit of 10 the ten globals. */
static void test_beyond_the_limit(void) {
    tg g;
    tg_new(&g);
    uint32_t m = tg_obj_full(&g, "builtins.module", 72, WA_OBJ_IS_MODULE, 0, "app");
    uint32_t ns = tg_obj(&g, "builtins.dict", 100);
    tg_attr(&g, m, ns, "__dict__");
    uint32_t objs[10];
    char key[16];
    for (uint32_t i = 0; i < 10; i++) {
        objs[i] = tg_obj(&g, "app.Thing", 32);
        snprintf(key, sizeof key, "'g%u'", i);
        tg_edge(&g, ns, objs[i], WA_EDGE_DICT_VALUE, key);
    }
    tg_root(&g, m, WA_ROOT_MODULE, "app", 0);
    wa_snapshot *s = tg_done(&g);
    wa_error err;
    wa_error_clear(&err);
    wa_dom *dom = wa_dom_compute(s, &err);
    wa_cut *cut = wa_cut_find(s, dom, objs, 10, 0, &err);
    CHECK(cut && !cut->found && cut->n == 0 && cut->freed == 0);
    wa_cut_free(cut);
    cut = wa_cut_find(s, dom, objs, 10, 10, &err);
    CHECK(cut && cut->found && cut->n == 10 && cut->freed == 10);
    if (cut && cut->n == 10) CHECK(has_pattern(s, cut, "module 'app' __dict__['g7']"));
    wa_cut_free(cut);
    wa_dom_free(dom);
    wa_snapshot_free(s);
}

/* A million-long chain of nodes: one pattern, found without recursion. */
static void test_long_chain(void) {
    enum { N = 1000000 };
    tg g;
    tg_new(&g);
    uint32_t first = tg_obj(&g, "app.Node", 48), prev = first;
    for (uint32_t i = 1; i < N; i++) {
        uint32_t o = tg_obj(&g, "app.Node", 48);
        tg_attr(&g, prev, o, "next");
        prev = o;
    }
    tg_root(&g, first, WA_ROOT_THREAD, "main", 0);
    wa_snapshot *s = tg_done(&g);
    wa_error err;
    wa_error_clear(&err);
    wa_dom *dom = wa_dom_compute(s, &err);
    uint32_t last = prev;
    wa_cut *cut = wa_cut_find(s, dom, &last, 1, 0, &err);
    CHECK(cut && cut->found && cut->n == 1 && cut->freed == 1);
    if (cut && cut->n == 1) {
        CHECK_STR(pattern_text(s, cut, 0), "app.Node .next");
        CHECK_EQ_U64(cut->patterns[0].refs, N - 1);
        CHECK_EQ_U64(cut->subgraph, N);
    }
    wa_cut_free(cut);
    wa_dom_free(dom);
    wa_snapshot_free(s);
}

/* Unreachable selected objects are counted, never routed. */
static void test_unreachable(void) {
    tg g;
    tg_new(&g);
    uint32_t a = tg_obj(&g, "app.Old", 32), b = tg_obj(&g, "app.Old", 32);
    tg_attr(&g, a, b, "x");
    wa_snapshot *s = tg_done(&g);
    wa_error err;
    wa_error_clear(&err);
    wa_dom *dom = wa_dom_compute(s, &err);
    uint32_t sel[2] = {a, b};
    wa_cut *cut = wa_cut_find(s, dom, sel, 2, 0, &err);
    CHECK(cut && cut->found && cut->unreachable == 2 && cut->freed == 0 && cut->n == 0);
    wa_cut_free(cut);
    wa_dom_free(dom);
    wa_snapshot_free(s);
}

/* A class made in a function, reached only through its instances'
 * __class__: the route runs through an upward reference, which the first
 * attempt leaves out; the whole-graph check catches it and the cut is
 * still found. */
static void test_route_through_a_class(void) {
    tg g;
    tg_new(&g);
    uint32_t m = tg_obj_full(&g, "builtins.module", 72, WA_OBJ_IS_MODULE, 0, "app");
    uint32_t ns = tg_obj(&g, "builtins.dict", 100);
    uint32_t objs = tg_obj_full(&g, "builtins.list", 80, WA_OBJ_HAS_LEN, 1, NULL);
    uint32_t inst = tg_obj(&g, "app.Local", 48);
    uint32_t cls = tg_obj_full(&g, "builtins.type", 900, 0, 0, "Local");
    uint32_t cdict = tg_obj(&g, "builtins.dict", 200);
    uint32_t reg = tg_obj_full(&g, "builtins.list", 80, WA_OBJ_HAS_LEN, 3, NULL);
    tg_attr(&g, m, ns, "__dict__");
    tg_edge(&g, ns, objs, WA_EDGE_DICT_VALUE, "'objs'");
    tg_index(&g, objs, inst, 0);
    tg_attr(&g, inst, cls, "__class__");
    tg_attr(&g, cls, cdict, "__dict__");
    tg_edge(&g, cdict, reg, WA_EDGE_DICT_VALUE, "'registry'");
    uint32_t sel[3];
    for (uint32_t i = 0; i < 3; i++) {
        sel[i] = tg_obj(&g, "app.Entry", 32);
        tg_index(&g, reg, sel[i], i);
    }
    tg_root(&g, m, WA_ROOT_MODULE, "app", 0);
    wa_snapshot *s = tg_done(&g);
    wa_error err;
    wa_error_clear(&err);
    wa_dom *dom = wa_dom_compute(s, &err);
    wa_cut *cut = wa_cut_find(s, dom, sel, 3, 0, &err);
    CHECK(cut && cut->found && cut->freed == 3 && cut->n == 1);
    if (cut && cut->n == 1)
        CHECK_STR(pattern_text(s, cut, 0), "class 'Local' __dict__['registry'] [*]");
    wa_cut_free(cut);
    wa_dom_free(dom);
    wa_snapshot_free(s);
}

int main(void) {
    RUN(test_two_holders_and_a_cache);
    RUN(test_beyond_the_limit);
    RUN(test_long_chain);
    RUN(test_unreachable);
    RUN(test_route_through_a_class);
    return wa_test_result();
}
