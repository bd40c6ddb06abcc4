/*
 * test_holders.c: every holder of a selection (issue 14, item 1): the two
 * independent holders of the story (a listener list of bound
 * methods and a logging filter's closure cell) both reported with their
 * counts, list indexes abstracted, many dict keys of one holder type folded,
 * a root holding a selected object directly, references from inside the
 * selection, from garbage and weak references left out.
 */
#include "test_dom_graph.h"
#include "wa_test.h"

typedef struct story {
    wa_snapshot *s;
    uint32_t sessions[6], listeners, cell, cache;
} story;

/* 6 sessions: all in a listener list through bound methods, 2 also in a
 * closure cell of a filter, 1 also a weak-ref target, 1 held by garbage;
 * a dict cache keyed per request holding 3 of them under 10 keys-worth of
 * entries (folded when above the limit); an external root on session 5. */
static story make(void) {
    story st;
    tg g;
    tg_new(&g);
    uint32_t m = tg_obj_full(&g, "builtins.module", 72, WA_OBJ_IS_MODULE, 0, "app");
    uint32_t ns = tg_obj(&g, "builtins.dict", 100);
    uint32_t bus = tg_obj(&g, "app.EventBus", 56);
    st.listeners = tg_obj_full(&g, "builtins.list", 120, WA_OBJ_HAS_LEN, 6, NULL);
    uint32_t filt = tg_obj(&g, "logging.Filter", 56), fn = tg_obj(&g, "builtins.function", 136);
    st.cell = tg_obj(&g, "builtins.cell", 40);
    st.cache = tg_obj_full(&g, "builtins.dict", 600, WA_OBJ_HAS_LEN, 12, NULL);
    uint32_t garbage = tg_obj(&g, "app.Old", 56); /* no root reaches it */
    uint32_t wr = tg_obj(&g, "weakref.ReferenceType", 64);
    tg_attr(&g, m, ns, "__dict__");
    tg_edge(&g, ns, bus, WA_EDGE_DICT_VALUE, "'bus'");
    tg_edge(&g, ns, filt, WA_EDGE_DICT_VALUE, "'flt'");
    tg_edge(&g, ns, st.cache, WA_EDGE_DICT_VALUE, "'cache'");
    tg_edge(&g, ns, wr, WA_EDGE_DICT_VALUE, "'wr'");
    tg_attr(&g, bus, st.listeners, "listeners");
    tg_attr(&g, filt, fn, "filter");
    tg_edge(&g, fn, st.cell, WA_EDGE_CLOSURE, "session");
    for (uint32_t i = 0; i < 6; i++) {
        st.sessions[i] = tg_obj(&g, "app.Session", 48);
        uint32_t meth = tg_obj(&g, "builtins.method", 64);
        tg_index(&g, st.listeners, meth, i);
        tg_attr(&g, meth, st.sessions[i], "__self__");
    }
    tg_edge(&g, st.cell, st.sessions[0], WA_EDGE_OTHER, "cell_contents");
    tg_edge(&g, st.cell, st.sessions[1], WA_EDGE_OTHER, "cell_contents");
    char key[16];
    for (uint32_t i = 0; i < 12; i++) { /* 12 request keys -> 3 sessions */
        snprintf(key, sizeof key, "'req-%u'", i);
        tg_edge(&g, st.cache, st.sessions[i % 3], WA_EDGE_DICT_VALUE, key);
    }
    tg_edge(&g, wr, st.sessions[2], WA_EDGE_WEAK, NULL);
    tg_attr(&g, garbage, st.sessions[3], "session");
    tg_attr(&g, st.sessions[4], st.sessions[5], "peer"); /* from inside the selection */
    tg_root(&g, m, WA_ROOT_MODULE, "app", 0);
    tg_root(&g, st.sessions[5], WA_ROOT_EXTERNAL, NULL, 1);
    st.s = tg_done(&g);
    return st;
}

static const wa_holder *find(const wa_holder_set *hs, const wa_snapshot *s, const char *type,
                             wa_edge_kind kind) {
    for (uint32_t i = 0; i < hs->n; i++) {
        const wa_holder *h = &hs->holders[i];
        if (h->holder_type == WA_NONE
                ? type == NULL
                : type && !strcmp(wa_snapshot_type_name(s, h->holder_type), type) &&
                      WA_LABEL_KIND(h->label) == kind)
            return h;
    }
    return NULL;
}

static void test_every_holder(void) {
    story st = make();
    wa_error err;
    wa_error_clear(&err);
    wa_dom *dom = wa_dom_compute(st.s, &err);
    CHECK(dom != NULL);
    wa_holder_set *hs = wa_holders_find(st.s, dom, st.sessions, 6, &err);
    CHECK(hs != NULL);
    if (!hs) return;
    CHECK_EQ_U64(hs->n_selected, 6);
    CHECK_EQ_U64(hs->held_inside, 0); /* every session has an outside holder too */
    const wa_holder *meth = find(hs, st.s, "builtins.method", WA_EDGE_ATTR);
    const wa_holder *cell = find(hs, st.s, "builtins.cell", WA_EDGE_OTHER);
    const wa_holder *cache = find(hs, st.s, "builtins.dict", WA_EDGE_DICT_VALUE);
    const wa_holder *root = find(hs, st.s, NULL, WA_EDGE_OTHER);
    CHECK(meth && cell && cache && root);
    if (meth && cell && cache && root) {
        CHECK_EQ_U64(meth->count, 6);
        CHECK_EQ_U64(cell->count, 2);
        /* 12 keys of one dict: folded into one pattern shown <...*> */
        CHECK_EQ_U64(cache->count, 3);
        CHECK_EQ_U64(cache->refs, 12);
        CHECK(cache->abstracted);
        CHECK_EQ_U64(root->count, 1);
        CHECK_EQ_U64(root->example, st.sessions[5]);
        CHECK_EQ_U64(hs->holders[0].count, 6); /* most held first */
    }
    /* neither the weak reference, nor garbage, nor the session itself */
    CHECK(find(hs, st.s, "weakref.ReferenceType", WA_EDGE_WEAK) == NULL);
    CHECK(find(hs, st.s, "app.Old", WA_EDGE_ATTR) == NULL);
    CHECK(find(hs, st.s, "app.Session", WA_EDGE_ATTR) == NULL);
    CHECK_EQ_U64(hs->n, 4);
    wa_holder_set_free(hs);
    wa_dom_free(dom);
    wa_snapshot_free(st.s);
}

/* A session only another session holds is counted as held inside. */
static void test_held_inside(void) {
    story st = make();
    wa_error err;
    wa_error_clear(&err);
    wa_dom *dom = wa_dom_compute(st.s, &err);
    uint32_t two[2] = {st.sessions[4], st.sessions[5]};
    wa_holder_set *hs = wa_holders_find(st.s, dom, two, 2, &err);
    CHECK(hs != NULL);
    if (hs) {
        CHECK_EQ_U64(hs->n_selected, 2);
        CHECK_EQ_U64(hs->held_inside, 0); /* 5 is a root, 4 is in the listener list */
        wa_holder_set_free(hs);
    }
    wa_dom_free(dom);
    wa_snapshot_free(st.s);
}

int main(void) {
    RUN(test_every_holder);
    RUN(test_held_inside);
    return wa_test_result();
}
