/*
 * test_render_big.c: the renderer on shapes that break naive walks, built
 * with the snapshot builder: a 300,000-long chain (the way to the root is
 * longer than any cap: iterative walks, cut at max-nodes, in every mode) and
 * a 100,000-wide fan-in (one collapse node, fast). DOT only: the point is the
 * walk, not Graphviz.
 */
#include <time.h>

#include "wa_test.h"
#include "whyalive/analysis.h"
#include "whyalive/render.h"
#include "whyalive/snapshot.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static wa_object object(uint64_t addr, uint32_t type) {
    wa_object o;
    memset(&o, 0, sizeof o);
    o.addr = addr;
    o.type = type;
    o.size = 48;
    o.refcount = 1;
    return o;
}

/* module -> n0 -> n1 -> ... -> n(len-1), by attribute "next". */
static wa_snapshot *chain(uint32_t len) {
    wa_error err;
    wa_builder *b = wa_builder_new(&err);
    uint32_t tm = wa_builder_type(b, "builtins.module", "builtins", &err);
    uint32_t tn = wa_builder_type(b, "app.Node", "app", &err);
    uint32_t next = wa_builder_intern(b, "next", 4, &err);
    wa_object m = object(0x10, tm);
    m.name = wa_builder_intern(b, "app", 3, &err);
    wa_builder_object(b, &m, &err);
    wa_builder_edge(b, 0, 0x1000, WA_LABEL(WA_EDGE_ATTR, next), &err);
    for (uint32_t i = 0; i < len; i++) {
        wa_object o = object(0x1000 + 16 * (uint64_t)i, tn);
        uint32_t id = wa_builder_object(b, &o, &err);
        if (i + 1 < len)
            wa_builder_edge(b, id, 0x1000 + 16 * (uint64_t)(i + 1), WA_LABEL(WA_EDGE_ATTR, next),
                            &err);
    }
    wa_builder_root(b, 0x10, WA_ROOT_MODULE, m.name, 0, &err);
    wa_snapshot *s = wa_builder_finish(b, "chain", &err);
    if (!s) fprintf(stderr, "chain: %s\n", wa_error_string(&err));
    return s;
}

/* module -> list -> holder[i] (n of them) -> target. */
static wa_snapshot *fan(uint32_t n) {
    wa_error err;
    wa_builder *b = wa_builder_new(&err);
    uint32_t tm = wa_builder_type(b, "builtins.module", "builtins", &err);
    uint32_t tl = wa_builder_type(b, "builtins.list", "builtins", &err);
    uint32_t th = wa_builder_type(b, "app.Holder", "app", &err);
    uint32_t tt = wa_builder_type(b, "app.Target", "app", &err);
    uint32_t items = wa_builder_intern(b, "items", 5, &err);
    uint32_t target = wa_builder_intern(b, "target", 6, &err);
    wa_object m = object(0x10, tm);
    m.name = wa_builder_intern(b, "app", 3, &err);
    wa_builder_object(b, &m, &err);
    wa_builder_edge(b, 0, 0x20, WA_LABEL(WA_EDGE_ATTR, items), &err);
    wa_object l = object(0x20, tl);
    uint32_t lid = wa_builder_object(b, &l, &err);
    wa_object t = object(0x30, tt);
    wa_builder_object(b, &t, &err);
    for (uint32_t i = 0; i < n; i++) {
        wa_builder_edge(b, lid, 0x1000 + 16 * (uint64_t)i, WA_LABEL(WA_EDGE_INDEX, i), &err);
        wa_object h = object(0x1000 + 16 * (uint64_t)i, th);
        uint32_t id = wa_builder_object(b, &h, &err);
        wa_builder_edge(b, id, 0x30, WA_LABEL(WA_EDGE_ATTR, target), &err);
    }
    wa_builder_root(b, 0x10, WA_ROOT_MODULE, m.name, 0, &err);
    wa_snapshot *s = wa_builder_finish(b, "fan", &err);
    if (!s) fprintf(stderr, "fan: %s\n", wa_error_string(&err));
    return s;
}

static void test_long_chain(void) {
    const uint32_t len = 300000;
    wa_snapshot *s = chain(len);
    CHECK(s != NULL);
    if (!s) return;
    wa_error err;
    /* one session for the three modes: its analyses are computed once */
    wa_session *session = wa_session_new(s, &err);
    CHECK(session && wa_session_dom(session, &err) && wa_session_tree(session, &err));
    uint32_t last = wa_snapshot_find(s, 0x1000 + 16 * (uint64_t)(len - 1));
    for (int mode = WA_RENDER_BACKREFS; mode <= WA_RENDER_DOMINATORS; mode++) {
        wa_render_options o;
        wa_render_options_init(&o);
        o.mode = (wa_render_mode)mode;
        wa_render_stats st;
        double t0 = now();
        char *dot = wa_render_dot(session, &last, 1, &o, NULL, &st, &err);
        double dt = now() - t0;
        CHECK(dot != NULL);
        CHECK(st.nodes <= o.max_nodes);
        CHECK(dt < 5.0);
        if (mode == WA_RENDER_BACKREFS) {
            /* the chain is cut at the cap, and the picture says so */
            CHECK_EQ_U64(st.nodes, o.max_nodes);
            CHECK(st.cut_max_nodes >= 1);
            if (dot) CHECK(strstr(dot, "beyond max-nodes 300") != NULL);
        }
        if (mode == WA_RENDER_PATHS) {
            /* one cluster 300,001 objects long: does not fit, not drawn */
            CHECK_EQ_U64(st.clusters, 1);
            CHECK_EQ_U64(st.clusters_drawn, 0);
        }
        if (mode == WA_RENDER_DOMINATORS) {
            CHECK_EQ_U64(st.clusters, len); /* dominators on the chain */
            CHECK_EQ_U64(st.nodes, o.max_nodes);
        }
        fprintf(stderr, "  chain %u, %s: %u nodes in %.3f s\n", len,
                wa_render_mode_name((wa_render_mode)mode), st.nodes, dt);
        wa_render_free(dot);
    }
    wa_session_free(session);
    wa_snapshot_free(s);
}

static void test_wide_fan_in(void) {
    const uint32_t n = 100000;
    wa_snapshot *s = fan(n);
    CHECK(s != NULL);
    if (!s) return;
    uint32_t target = wa_snapshot_find(s, 0x30);
    wa_render_options o;
    wa_render_options_init(&o);
    o.mode = WA_RENDER_BACKREFS;
    wa_render_stats st;
    wa_error err;
    wa_session *session = wa_session_new(s, &err);
    double t0 = now();
    char *dot = wa_render_dot(session, &target, 1, &o, NULL, &st, &err);
    double dt = now() - t0;
    CHECK(dot != NULL);
    /* one holder on the shortest path, fan-in 8 more, the rest collapsed */
    CHECK_EQ_U64(st.collapsed, n - 1 - o.fan_in);
    CHECK_EQ_U64(st.collapsed_nodes, 1);
    CHECK(st.nodes < 20);
    CHECK(dt < 5.0);
    if (dot) CHECK(strstr(dot, "99991 more referrers\\n99991 app.Holder") != NULL);
    fprintf(stderr, "  fan-in %u: %u nodes in %.3f s\n", n, st.nodes, dt);
    wa_render_free(dot);
    wa_session_free(session);
    wa_snapshot_free(s);
}

int main(void) {
    RUN(test_long_chain);
    RUN(test_wide_fan_in);
    return wa_test_result();
}
