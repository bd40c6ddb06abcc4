/*
 * test_paths.c: shortest retention paths, k paths through distinct roots,
 * weak edges, unreachable objects, and path clustering (abstraction of
 * indexes and per-instance dict keys, namespace keys kept, the rendered
 * "via" text), on hand-made graphs, a 1,000,000-long chain and 250,000
 * instances behind one registry.
 */
#include <time.h>

#include "test_dom_graph.h"
#include "wa_test.h"

/* The leak of the story: sys.modules['app.stt'].__dict__['_sessions'][id].transcriber */
typedef struct story {
    wa_snapshot *s;
    uint32_t mod, ns, sessions, first_session, first_tr, cb;
    uint32_t n;
} story;

static story make_story(uint32_t n, int with_external) {
    story st;
    memset(&st, 0, sizeof st);
    tg g;
    tg_new(&g);
    st.n = n;
    st.mod = tg_obj_full(&g, "builtins.module", 72, WA_OBJ_IS_MODULE, 0, "app.stt");
    st.ns = tg_obj_full(&g, "builtins.dict", 1000, WA_OBJ_HAS_LEN, 2, NULL);
    st.sessions = tg_obj_full(&g, "builtins.dict", 100, WA_OBJ_HAS_LEN, n, NULL);
    uint32_t small = tg_obj_full(&g, "builtins.dict", 100, WA_OBJ_HAS_LEN, 1, NULL);
    uint32_t cfg = tg_obj(&g, "app.stt.Settings", 10);
    tg_attr(&g, st.mod, st.ns, "__dict__");
    tg_edge(&g, st.ns, st.sessions, WA_EDGE_DICT_VALUE, "'_sessions'");
    tg_edge(&g, st.ns, small, WA_EDGE_DICT_VALUE, "'registry'");
    tg_edge(&g, small, cfg, WA_EDGE_DICT_VALUE,
            "'settings'"); /* small dict, identifier key: kept */
    char key[64];
    for (uint32_t i = 0; i < n; i++) {
        uint32_t sess = tg_obj(&g, "app.stt.Session", 50);
        uint32_t tr = tg_obj(&g, "app.stt.ConversationTranscriber", 1000);
        if (i == 0) {
            st.first_session = sess;
            st.first_tr = tr;
        }
        snprintf(key, sizeof key, "'sess-%u'", 100000 + i);
        tg_edge(&g, st.sessions, sess, WA_EDGE_DICT_VALUE, key);
        tg_attr(&g, sess, tr, "transcriber");
    }
    if (with_external) {
        st.cb = tg_obj(&g, "builtins.method", 48);
        tg_attr(&g, st.cb, st.first_tr, "__self__");
        tg_edge(&g, st.cb, st.first_session, WA_EDGE_WEAK, NULL);
    }
    tg_root(&g, st.mod, WA_ROOT_MODULE, "app.stt", 0);
    if (with_external) tg_root(&g, st.cb, WA_ROOT_EXTERNAL, NULL, 1);
    st.s = tg_done(&g);
    return st;
}

static void test_shortest_and_k(void) {
    story st = make_story(3, 1);
    wa_error err;
    wa_error_clear(&err);
    wa_path_tree *t = wa_path_tree_build(st.s, &err);
    CHECK(t != NULL);
    uint32_t objs[2] = {st.first_tr, st.first_tr + 2};
    wa_path_list *pl = wa_path_shortest(st.s, t, objs, 2, &err);
    CHECK(pl && pl->n == 2);
    if (pl) {
        /* first transcriber: the external root is one hop away */
        CHECK_EQ_U64(pl->paths[0].len, 2);
        CHECK_EQ_U64(pl->paths[0].objs[0], st.cb);
        CHECK_EQ_U64(wa_snapshot_roots(st.s)[pl->paths[0].root].kind, WA_ROOT_EXTERNAL);
        /* second one: module -> ns -> sessions -> session -> transcriber */
        CHECK_EQ_U64(pl->paths[1].len, 5);
        char buf[64];
        wa_label_format(st.s, pl->paths[1].labels[1], buf, sizeof buf);
        CHECK_STR(buf, "['_sessions']");
    }
    wa_path_list_free(pl);
    /* k paths through distinct roots, shortest first */
    pl = wa_path_k(st.s, st.first_tr, 5, &err);
    CHECK(pl && pl->n == 2);
    if (pl && pl->n == 2) {
        CHECK_EQ_U64(pl->paths[0].len, 2);
        CHECK_EQ_U64(pl->paths[1].len, 5);
        CHECK_EQ_U64(pl->paths[1].objs[0], st.mod);
        char buf[64];
        wa_label_format(st.s, pl->paths[1].labels[3], buf, sizeof buf);
        CHECK_STR(buf, ".transcriber");
    }
    wa_path_list_free(pl);
    /* the weak edge cb -> first session is never on a path */
    pl = wa_path_k(st.s, st.first_session, 5, &err);
    CHECK(pl && pl->n == 1 && pl->paths[0].objs[0] == st.mod);
    wa_path_list_free(pl);
    wa_path_tree_free(t);
    wa_snapshot_free(st.s);
}

static void test_cluster_story(void) {
    story st = make_story(700, 0);
    wa_error err;
    wa_error_clear(&err);
    wa_dom *dom = wa_dom_compute(st.s, &err);
    wa_path_tree *t = wa_path_tree_build(st.s, &err);
    wa_selector *sel = wa_select_parse("type=ConversationTranscriber or type=Settings", &err);
    wa_objlist *l = wa_select_run(sel, st.s, dom, 0, &err);
    CHECK(l && l->n == 701);
    wa_cluster_set *cs = wa_path_cluster(st.s, t, dom, l->objs, l->n, &err);
    CHECK(cs && cs->n == 2);
    if (cs && cs->n == 2) {
        const wa_cluster *c = &cs->clusters[0];
        CHECK_EQ_U64(c->count, 700);
        CHECK_EQ_U64(c->retained, 700000);
        CHECK_EQ_U64(c->len, 4);
        char buf[256];
        wa_cluster_format(st.s, c, buf, sizeof buf);
        CHECK_STR(buf, "sys.modules['app.stt'] .__dict__['_sessions'] [*] .transcriber");
        wa_cluster_format(st.s, &cs->clusters[1], buf, sizeof buf);
        CHECK_STR(buf, "sys.modules['app.stt'] .__dict__['registry'] ['settings']");
        /* truncation behaves like snprintf */
        size_t want = wa_cluster_format(st.s, c, buf, 10);
        CHECK(want == strlen("sys.modules['app.stt'] .__dict__['_sessions'] [*] .transcriber"));
        CHECK_EQ_U64(strlen(buf), 9);
    }
    wa_cluster_set_free(cs);
    wa_objlist_free(l);
    wa_select_free(sel);
    wa_path_tree_free(t);
    wa_dom_free(dom);
    wa_snapshot_free(st.s);
}

static void test_cluster_abstraction(void) {
    tg g;
    tg_new(&g);
    uint32_t root = tg_obj(&g, "m.Holder", 8);
    uint32_t big = tg_obj_full(&g, "builtins.dict", 8, WA_OBJ_HAS_LEN, 100, NULL);
    uint32_t small = tg_obj_full(&g, "builtins.dict", 8, WA_OBJ_HAS_LEN, 3, NULL);
    uint32_t a = tg_obj(&g, "m.X", 1), b = tg_obj(&g, "m.X", 1), c = tg_obj(&g, "m.X", 1),
             d = tg_obj(&g, "m.Y", 1), e = tg_obj(&g, "m.X", 1), f = tg_obj(&g, "m.X", 1),
             h = tg_obj(&g, "m.X", 1), u = tg_obj(&g, "m.X", 1);
    tg_attr(&g, root, big, "big");
    tg_attr(&g, root, small, "small");
    tg_edge(&g, big, a, WA_EDGE_DICT_VALUE, "'alpha'"); /* big dict: abstracted */
    tg_edge(&g, big, b, WA_EDGE_DICT_VALUE, "'beta'");
    /* small dict, identifier keys, and no sibling path that differs only by
     * the key (d is another type): kept */
    tg_edge(&g, small, c, WA_EDGE_DICT_VALUE, "'alpha'");
    tg_edge(&g, small, d, WA_EDGE_DICT_VALUE, "'beta'");
    tg_edge(&g, small, e, WA_EDGE_DICT_VALUE, "12");           /* int key: abstracted */
    tg_edge(&g, small, f, WA_EDGE_DICT_VALUE, "'deadbeef01'"); /* hex id: abstracted */
    tg_edge(&g, small, h, WA_EDGE_OTHER, "<obj at 0x7f00ab>"); /* address: abstracted */
    tg_root(&g, root, WA_ROOT_THREAD, "MainThread", 0);
    (void)u; /* unreachable */
    wa_snapshot *s = tg_done(&g);
    wa_error err;
    wa_path_tree *t = wa_path_tree_build(s, &err);
    uint32_t objs[] = {a, b, c, d, e, f, h, u};
    wa_cluster_set *cs = wa_path_cluster(s, t, NULL, objs, 8, &err);
    CHECK(cs != NULL);
    if (cs) {
        /* {a,b}; c; d; {e,f} (both [*] dict values); h (an abstracted OTHER
         * edge: another kind, so another cluster); u unreachable */
        CHECK_EQ_U64(cs->n, 6);
        int found_ab = 0, found_ef = 0, found_u = 0;
        char buf[256];
        for (uint32_t i = 0; i < cs->n; i++) {
            wa_cluster_format(s, &cs->clusters[i], buf, sizeof buf);
            if (cs->clusters[i].count == 2 && !strcmp(buf, "<thread MainThread> .big [*]"))
                found_ab = cs->clusters[i].members[0] == a;
            if (cs->clusters[i].count == 2 && !strcmp(buf, "<thread MainThread> .small [*]"))
                found_ef = cs->clusters[i].members[0] == e;
            if (cs->clusters[i].count == 1 && cs->clusters[i].members[0] == c)
                CHECK_STR(buf, "<thread MainThread> .small ['alpha']");
            if (cs->clusters[i].root == WA_NONE) found_u = cs->clusters[i].members[0] == u;
        }
        CHECK(found_ab && found_ef && found_u);
    }
    wa_cluster_set_free(cs);
    wa_path_tree_free(t);
    wa_snapshot_free(s);
}

/* The example service's leak: a small dict keyed 'req-1', 'req-2', ...
 * (short keys that look like names) holds one session per request. Sibling
 * paths that differ only by that key form one cluster with the key as [*];
 * the module's __dict__ keeps its attribute name. */
static void test_cluster_sibling_keys(void) {
    tg g;
    tg_new(&g);
    uint32_t mod = tg_obj_full(&g, "builtins.module", 72, WA_OBJ_IS_MODULE, 0, "app.stt");
    uint32_t ns = tg_obj_full(&g, "builtins.dict", 100, WA_OBJ_HAS_LEN, 2, NULL);
    uint32_t sessions = tg_obj_full(&g, "builtins.dict", 100, WA_OBJ_HAS_LEN, 3, NULL);
    uint32_t other = tg_obj(&g, "app.stt.Session", 50);
    tg_attr(&g, mod, ns, "__dict__");
    tg_edge(&g, ns, sessions, WA_EDGE_DICT_VALUE, "'_sessions'");
    tg_edge(&g, ns, other, WA_EDGE_DICT_VALUE, "'_current'");
    uint32_t tr[3];
    char key[32];
    for (uint32_t i = 0; i < 3; i++) {
        uint32_t sess = tg_obj(&g, "app.stt.Session", 50);
        tr[i] = tg_obj(&g, "app.stt.ConversationTranscriber", 1000);
        snprintf(key, sizeof key, "'req-%u'", i + 1);
        tg_edge(&g, sessions, sess, WA_EDGE_DICT_VALUE, key);
        tg_attr(&g, sess, tr[i], "transcriber");
    }
    tg_root(&g, mod, WA_ROOT_MODULE, "app.stt", 0);
    wa_snapshot *s = tg_done(&g);
    wa_error err;
    wa_path_tree *t = wa_path_tree_build(s, &err);
    wa_cluster_set *cs = wa_path_cluster(s, t, NULL, tr, 3, &err);
    CHECK(cs != NULL);
    if (cs) {
        CHECK_EQ_U64(cs->n, 1);
        CHECK_EQ_U64(cs->clusters[0].count, 3);
        char buf[256];
        wa_cluster_format(s, &cs->clusters[0], buf, sizeof buf);
        CHECK_STR(buf, "sys.modules['app.stt'] .__dict__['_sessions'] [*] .transcriber");
    }
    wa_cluster_set_free(cs);
    /* Module attributes holding one Session each stay apart and named. */
    uint32_t two[2] = {other, tr[0]};
    cs = wa_path_cluster(s, t, NULL, two, 2, &err);
    CHECK(cs != NULL);
    if (cs) {
        CHECK_EQ_U64(cs->n, 2);
        char buf[256];
        int named = 0;
        for (uint32_t i = 0; i < cs->n; i++) {
            wa_cluster_format(s, &cs->clusters[i], buf, sizeof buf);
            named += !strcmp(buf, "sys.modules['app.stt'] .__dict__['_current']");
        }
        CHECK(named == 1);
    }
    wa_cluster_set_free(cs);
    wa_path_tree_free(t);
    wa_snapshot_free(s);
}

static void test_chain_1m_path(void) {
    const uint32_t N = 1000000;
    tg g;
    tg_new(&g);
    for (uint32_t i = 0; i < N; i++) tg_obj(&g, "m.Node", 1);
    for (uint32_t i = 0; i + 1 < N; i++) tg_attr(&g, i, i + 1, "next");
    tg_root(&g, 0, WA_ROOT_MODULE, "m", 0);
    wa_snapshot *s = tg_done(&g);
    wa_error err;
    wa_path_tree *t = wa_path_tree_build(s, &err);
    uint32_t last = N - 1;
    wa_path_list *pl = wa_path_shortest(s, t, &last, 1, &err);
    CHECK(pl && pl->paths[0].len == N);
    wa_path_list_free(pl);
    pl = wa_path_k(s, last, 3, &err);
    CHECK(pl && pl->n == 1 && pl->paths[0].len == N);
    wa_path_list_free(pl);
    uint32_t objs[3] = {last, N / 2, 7};
    wa_dom *dom = wa_dom_compute(s, &err);
    wa_cluster_set *cs = wa_path_cluster(s, t, dom, objs, 3, &err);
    CHECK(cs && cs->n == 3);
    /* the outermost instance holds the others: counted once */
    uint64_t total = 0;
    for (uint32_t i = 0; cs && i < cs->n; i++) total += cs->clusters[i].retained;
    CHECK_EQ_U64(total, N - 7);
    wa_cluster_set_free(cs);
    wa_dom_free(dom);
    wa_path_tree_free(t);
    wa_snapshot_free(s);
}

/* Issue 8's hostile shapes: every node of a 1,000,000-long chain selected
 * (a million distinct paths, 5*10^11 hops: refused quickly, not a hang) and
 * every member of a 1,000,000-wide fan-out (one cluster, linear). */
static void test_cluster_hostile(void) {
    const uint32_t N = 1000000;
    tg g;
    tg_new(&g);
    for (uint32_t i = 0; i < N; i++) tg_obj(&g, "m.Node", 1);
    for (uint32_t i = 0; i + 1 < N; i++) tg_attr(&g, i, i + 1, "next");
    tg_root(&g, 0, WA_ROOT_MODULE, "m", 0);
    wa_snapshot *s = tg_done(&g);
    wa_error err;
    wa_error_clear(&err);
    wa_path_tree *t = wa_path_tree_build(s, &err);
    uint32_t *all = malloc(sizeof *all * N);
    for (uint32_t i = 0; i < N; i++) all[i] = i;
    wa_cluster_set *cs = wa_path_cluster(s, t, NULL, all, N, &err);
    CHECK(cs == NULL && err.code == WA_ERR_LIMIT);
    wa_cluster_set_free(cs);
    /* the first 5,000: 12.5M hops in all, accepted */
    wa_error_clear(&err);
    cs = wa_path_cluster(s, t, NULL, all, 5000, &err);
    CHECK(cs && cs->n == 5000 && cs->clusters[0].len + 1 <= 5000);
    wa_cluster_set_free(cs);
    wa_path_tree_free(t);
    wa_snapshot_free(s);

    tg_new(&g);
    uint32_t r = tg_obj(&g, "builtins.list", 8);
    for (uint32_t i = 0; i < N; i++) tg_index(&g, r, tg_obj(&g, "m.Item", 2), i);
    tg_root(&g, r, WA_ROOT_MODULE, "m", 0);
    s = tg_done(&g);
    t = wa_path_tree_build(s, &err);
    for (uint32_t i = 0; i < N; i++) all[i] = i + 1;
    wa_dom *dom = wa_dom_compute(s, &err);
    cs = wa_path_cluster(s, t, dom, all, N, &err);
    CHECK(cs && cs->n == 1 && cs->clusters[0].count == N && cs->clusters[0].retained == 2ull * N);
    wa_cluster_set_free(cs);
    wa_dom_free(dom);
    wa_path_tree_free(t);
    wa_snapshot_free(s);
    free(all);
}

static void test_cluster_250k(void) {
    story st = make_story(250000, 1);
    wa_error err;
    struct timespec t0, t1;
    wa_dom *dom = wa_dom_compute(st.s, &err);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    wa_path_tree *t = wa_path_tree_build(st.s, &err);
    wa_selector *sel = wa_select_parse("type=ConversationTranscriber", &err);
    wa_objlist *l = wa_select_run(sel, st.s, dom, 0, &err);
    wa_cluster_set *cs = wa_path_cluster(st.s, t, dom, l->objs, l->n, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    CHECK(cs && cs->n == 2 && cs->clusters[0].count == 249999);
    fprintf(stderr, "  250k instances: tree + select + cluster in %.3f s\n",
            (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    wa_cluster_set_free(cs);
    wa_objlist_free(l);
    wa_select_free(sel);
    wa_path_tree_free(t);
    wa_dom_free(dom);
    wa_snapshot_free(st.s);
}

/* A reference the dump could not name (an OTHER edge with no label, as
 * tp_traverse reports a Task's coroutine or context) reads "<referent>":
 * no empty label, no trailing or doubled space in a path (issue 14). */
static void test_unnamed_hop(void) {
    tg g;
    tg_new(&g);
    uint32_t m = tg_obj_full(&g, "builtins.module", 72, WA_OBJ_IS_MODULE, 0, "app");
    uint32_t ns = tg_obj(&g, "builtins.dict", 100);
    uint32_t tasks = tg_obj(&g, "builtins.set", 200);
    uint32_t task = tg_obj(&g, "_asyncio.Task", 100), coro = tg_obj(&g, "builtins.coroutine", 50);
    uint32_t buf = tg_obj(&g, "builtins.bytearray", 1000);
    tg_attr(&g, m, ns, "__dict__");
    tg_edge(&g, ns, tasks, WA_EDGE_DICT_VALUE, "'_tasks'");
    tg_edge(&g, tasks, task, WA_EDGE_SET_MEMBER, NULL);
    tg_edge(&g, task, coro, WA_EDGE_OTHER, "");
    tg_edge(&g, coro, buf, WA_EDGE_OTHER, NULL);
    tg_root(&g, m, WA_ROOT_MODULE, "app", 0);
    wa_snapshot *s = tg_done(&g);
    wa_error err;
    wa_error_clear(&err);
    char lab[64];
    wa_label_format(s, WA_LABEL(WA_EDGE_OTHER, 0), lab, sizeof lab);
    CHECK_STR(lab, "<referent>");
    wa_label_format(s, WA_LABEL(WA_EDGE_ATTR, 0), lab, sizeof lab);
    CHECK_STR(lab, "<referent>");
    wa_label_format(s, WA_LABEL(WA_EDGE_FRAME_LOCAL, 0), lab, sizeof lab);
    CHECK_STR(lab, "f_locals.<referent>");
    wa_dom *dom = wa_dom_compute(s, &err);
    wa_path_tree *t = wa_path_tree_build(s, &err);
    uint32_t objs[1] = {buf};
    wa_cluster_set *cs = dom && t ? wa_path_cluster(s, t, dom, objs, 1, &err) : NULL;
    CHECK(cs && cs->n == 1);
    if (cs && cs->n == 1) {
        char text[256];
        wa_cluster_format(s, &cs->clusters[0], text, sizeof text);
        CHECK_STR(text, "sys.modules['app'] .__dict__['_tasks'] {member} <referent> <referent>");
        CHECK(strstr(text, "  ") == NULL && text[strlen(text) - 1] != ' ');
    }
    wa_cluster_set_free(cs);
    wa_path_tree_free(t);
    wa_dom_free(dom);
    wa_snapshot_free(s);
}

/* One path form across interpreters (issue 14): an attribute held in an
 * instance's own __dict__ (3.9/3.10 dumps: obj .__dict__ dict .filters)
 * reads as 3.11+ writes it (obj .filters); a module's namespace keeps
 * its __dict__['k']. */
static void test_canonical_instance_dict(void) {
    tg g;
    tg_new(&g);
    uint32_t m = tg_obj_full(&g, "builtins.module", 72, WA_OBJ_IS_MODULE, 0, "app");
    uint32_t ns = tg_obj(&g, "builtins.dict", 100);
    uint32_t app = tg_obj(&g, "app.App", 48), d = tg_obj(&g, "builtins.dict", 100);
    uint32_t lst = tg_obj(&g, "builtins.list", 88), f = tg_obj(&g, "app.Filter", 48);
    tg_attr(&g, m, ns, "__dict__");
    tg_edge(&g, ns, app, WA_EDGE_DICT_VALUE, "'handler'");
    tg_attr(&g, app, d, "__dict__");
    tg_attr(&g, d, lst, "filters");
    tg_index(&g, lst, f, 0);
    /* a module whose namespace entries are labeled as attributes, as live
     * dumps label them, keeps its .__dict__ */
    uint32_t m2 = tg_obj_full(&g, "builtins.module", 72, WA_OBJ_IS_MODULE, 0, "reg");
    uint32_t ns2 = tg_obj(&g, "builtins.dict", 100), reg = tg_obj(&g, "builtins.list", 88);
    uint32_t item = tg_obj(&g, "app.Item", 48);
    tg_attr(&g, m2, ns2, "__dict__");
    tg_attr(&g, ns2, reg, "_registry");
    tg_index(&g, reg, item, 0);
    tg_root(&g, m, WA_ROOT_MODULE, "app", 0);
    tg_root(&g, m2, WA_ROOT_MODULE, "reg", 0);
    wa_snapshot *s = tg_done(&g);
    wa_error err;
    wa_error_clear(&err);
    wa_dom *dom = wa_dom_compute(s, &err);
    wa_path_tree *t = wa_path_tree_build(s, &err);
    uint32_t items[1] = {item};
    wa_cluster_set *cm = dom && t ? wa_path_cluster(s, t, dom, items, 1, &err) : NULL;
    CHECK(cm && cm->n == 1);
    if (cm && cm->n == 1) {
        char text[256];
        wa_cluster_format(s, &cm->clusters[0], text, sizeof text);
        CHECK_STR(text, "sys.modules['reg'] .__dict__ ._registry [*]");
    }
    wa_cluster_set_free(cm);
    uint32_t objs[1] = {f};
    wa_cluster_set *cs = dom && t ? wa_path_cluster(s, t, dom, objs, 1, &err) : NULL;
    CHECK(cs && cs->n == 1);
    if (cs && cs->n == 1) {
        char text[256];
        wa_cluster_format(s, &cs->clusters[0], text, sizeof text);
        CHECK_STR(text, "sys.modules['app'] .__dict__['handler'] .filters [*]");
    }
    wa_cluster_set_free(cs);
    wa_path_tree_free(t);
    wa_dom_free(dom);
    wa_snapshot_free(s);
}

int main(void) {
    RUN(test_shortest_and_k);
    RUN(test_canonical_instance_dict);
    RUN(test_unnamed_hop);
    RUN(test_cluster_story);
    RUN(test_cluster_abstraction);
    RUN(test_cluster_sibling_keys);
    RUN(test_chain_1m_path);
    RUN(test_cluster_hostile);
    RUN(test_cluster_250k);
    return wa_test_result();
}
