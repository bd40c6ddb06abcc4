/* Builder, CSR layout, address index, labels and kind names. */
#include <pthread.h>

#include "wa_test.h"
#include "whyalive/whyalive.h"

static wa_object obj(wa_builder *b, uint64_t addr, uint32_t type, uint64_t size) {
    (void)b;
    wa_object o;
    memset(&o, 0, sizeof o);
    o.addr = addr;
    o.type = type;
    o.size = size;
    o.refcount = 1;
    return o;
}

static wa_snapshot *small(void) {
    wa_error err;
    wa_error_clear(&err);
    wa_builder *b = wa_builder_new(&err);
    CHECK(b != NULL);
    uint32_t td = wa_builder_type(b, "builtins.dict", "builtins", &err);
    uint32_t tl = wa_builder_type(b, "builtins.list", "builtins", &err);
    CHECK(wa_builder_type(b, "builtins.dict", "builtins", &err) == td);
    CHECK(td != tl);
    wa_object o = obj(b, 0x100, td, 64);
    o.name = wa_builder_intern(b, "mod", 3, &err);
    CHECK_EQ_U64(wa_builder_object(b, &o, &err), 0);
    o = obj(b, 0x200, tl, 72);
    o.flags = WA_OBJ_HAS_LEN;
    o.length = 2;
    CHECK_EQ_U64(wa_builder_object(b, &o, &err), 1);
    o = obj(b, 0x300, td, 10);
    CHECK_EQ_U64(wa_builder_object(b, &o, &err), 2);
    uint32_t k = wa_builder_intern(b, "'k'", 3, &err);
    uint32_t x = wa_builder_intern(b, "x", 1, &err);
    CHECK(wa_builder_intern(b, "x", 1, &err) == x);
    CHECK(wa_builder_intern(b, "", 0, &err) == 0);
    /* out of order: edges of 1 before edges of 0, to forward addresses */
    CHECK(wa_builder_edge(b, 1, 0x300, WA_LABEL(WA_EDGE_INDEX, 0), &err) == WA_OK);
    CHECK(wa_builder_edge(b, 1, 0x300, WA_LABEL(WA_EDGE_INDEX, 1), &err) == WA_OK);
    CHECK(wa_builder_edge(b, 0, 0x200, WA_LABEL(WA_EDGE_DICT_VALUE, k), &err) == WA_OK);
    CHECK(wa_builder_edge(b, 0, 0xdead, WA_LABEL(WA_EDGE_ATTR, x), &err) == WA_OK);
    CHECK(wa_builder_edge(b, 0, 0x300, WA_LABEL(WA_EDGE_ATTR, x), &err) == WA_OK);
    CHECK(wa_builder_edge(b, 2, 0x100, WA_LABEL(WA_EDGE_WEAK, 0), &err) == WA_OK);
    CHECK(wa_builder_edge(b, 5, 0x100, 0, &err) == WA_ERR_ARG);
    CHECK(wa_builder_root(b, 0x100, WA_ROOT_MODULE, o.name, 0, &err) == WA_OK);
    CHECK(wa_builder_root(b, 0x300, WA_ROOT_EXTERNAL, 0, 2, &err) == WA_OK);
    uint32_t site = wa_builder_intern(b, "app.py:12", 9, &err);
    CHECK(wa_builder_site(b, 2, site, &err) == WA_OK);
    CHECK(wa_builder_site(b, 1, site, &err) == WA_OK);
    wa_meta m;
    memset(&m, 0, sizeof m);
    const char *argv[] = {"app.py", "--x"};
    m.python_version = "3.11.2";
    m.argc = 2;
    m.argv = argv;
    m.pid = 42;
    m.dangling_edges = 3;
    CHECK(wa_builder_meta(b, &m, &err) == WA_OK);
    wa_snapshot *s = wa_builder_finish(b, "test", &err);
    CHECK(s != NULL);
    return s;
}

static void test_layout(void) {
    wa_snapshot *s = small();
    if (!s) return;
    CHECK_EQ_U64(wa_snapshot_n_objects(s), 3);
    CHECK_EQ_U64(wa_snapshot_n_edges(s), 5);
    CHECK_EQ_U64(wa_snapshot_dangling(s), 4); /* 1 dropped + 3 from meta */
    CHECK_EQ_U64(wa_snapshot_total_size(s), 146);
    const uint32_t *off = wa_snapshot_out_offsets(s);
    CHECK_EQ_U64(off[0], 0);
    CHECK_EQ_U64(off[1], 2);
    CHECK_EQ_U64(off[2], 4);
    CHECK_EQ_U64(off[3], 5);
    const wa_edge *e;
    CHECK_EQ_U64(wa_snapshot_out(s, 0, &e), 2);
    CHECK_EQ_U64(e[0].to, 1);
    CHECK_EQ_U64(WA_LABEL_KIND(e[0].label), WA_EDGE_DICT_VALUE);
    CHECK_EQ_U64(e[1].to, 2);
    CHECK_EQ_U64(wa_snapshot_out(s, 1, &e), 2);
    CHECK_EQ_U64(WA_LABEL_PAYLOAD(e[0].label), 0); /* insertion order kept */
    CHECK_EQ_U64(WA_LABEL_PAYLOAD(e[1].label), 1);
    const uint32_t *src;
    CHECK_EQ_U64(wa_snapshot_in(s, 2, &src), 3);
    CHECK_EQ_U64(src[0], 0);
    CHECK_EQ_U64(src[1], 1);
    CHECK_EQ_U64(src[2], 1);
    CHECK_EQ_U64(wa_snapshot_in(s, 0, &src), 1);
    CHECK_EQ_U64(src[0], 2);
    CHECK_EQ_U64(wa_snapshot_in(s, 99, &src), 0);
    CHECK_EQ_U64(wa_snapshot_edge_label(s, 1, 2, 1), WA_LABEL(WA_EDGE_INDEX, 1));
    CHECK_EQ_U64(wa_snapshot_edge_label(s, 1, 2, 2), 0);
    CHECK_EQ_U64(wa_snapshot_find(s, 0x200), 1);
    CHECK_EQ_U64(wa_snapshot_find(s, 0xdead), WA_NONE);
    CHECK_STR(wa_snapshot_site(s, 1), "app.py:12");
    CHECK_STR(wa_snapshot_site(s, 2), "app.py:12");
    CHECK_STR(wa_snapshot_site(s, 0), "");
    CHECK_EQ_U64(wa_snapshot_n_roots(s), 2);
    CHECK_EQ_U64(wa_snapshot_roots(s)[1].obj, 2);
    CHECK_EQ_U64(wa_snapshot_roots(s)[1].excess, 2);
    CHECK_STR(wa_snapshot_type_name(s, wa_snapshot_objects(s)[1].type), "builtins.list");
    CHECK_STR(wa_snapshot_type_module(s, 0), "builtins");
    const wa_meta *m = wa_snapshot_meta(s);
    CHECK_STR(m->python_version, "3.11.2");
    CHECK_STR(m->host, "");
    CHECK_EQ_U64(m->argc, 2);
    CHECK_STR(m->argv[1], "--x");
    CHECK(wa_snapshot_memory(s) > 0);
    wa_snapshot_free(s);
}

static void test_labels(void) {
    wa_snapshot *s = small();
    if (!s) return;
    char buf[64];
    uint32_t k = 0, x = 0;
    for (uint32_t i = 0; i < wa_snapshot_n_strings(s); i++) {
        if (strcmp(wa_snapshot_string(s, i), "'k'") == 0) k = i;
        if (strcmp(wa_snapshot_string(s, i), "x") == 0) x = i;
    }
    struct {
        uint32_t label;
        const char *want;
    } cases[] = {
        {WA_LABEL(WA_EDGE_ATTR, x), ".x"},
        {WA_LABEL(WA_EDGE_DICT_VALUE, k), "['k']"},
        {WA_LABEL(WA_EDGE_DICT_KEY, k), "<key 'k'>"},
        {WA_LABEL(WA_EDGE_INDEX, 3), "[3]"},
        {WA_LABEL(WA_EDGE_SET_MEMBER, 0), "{member}"},
        {WA_LABEL(WA_EDGE_CLOSURE, x), "<closure x>"},
        {WA_LABEL(WA_EDGE_CLOSURE, 0), "<closure>"},
        {WA_LABEL(WA_EDGE_FRAME_LOCAL, x), "f_locals.x"},
        {WA_LABEL(WA_EDGE_WEAK, 0), "<weak>"},
        {WA_LABEL(WA_EDGE_WEAK, x), "<weak x>"},
        {WA_LABEL(WA_EDGE_OTHER, x), "x"},
        {WA_LABEL(WA_EDGE_OTHER, 0), "<referent>"},          /* never empty */
        {WA_LABEL(WA_EDGE_OTHER, 0x0FFFFFFF), "<referent>"}, /* out of range id */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = wa_label_format(s, cases[i].label, buf, sizeof buf);
        CHECK_STR(buf, cases[i].want);
        CHECK_EQ_U64(n, strlen(cases[i].want));
    }
    size_t n = wa_label_format(s, WA_LABEL(WA_EDGE_FRAME_LOCAL, x), buf, 4);
    CHECK_EQ_U64(n, 10);
    CHECK_STR(buf, "f_l");
    CHECK_EQ_U64(wa_label_format(s, WA_LABEL(WA_EDGE_INDEX, 12), NULL, 0), 4);
    wa_snapshot_free(s);
}

static void test_kinds(void) {
    for (int k = 0; k < WA_EDGE_KIND_COUNT; k++) {
        const char *nm = wa_edge_kind_name((wa_edge_kind)k);
        CHECK_EQ_U64(wa_edge_kind_parse(nm, strlen(nm)), k);
    }
    for (int k = 0; k < WA_ROOT_KIND_COUNT; k++) {
        const char *nm = wa_root_kind_name((wa_root_kind)k);
        CHECK_EQ_U64(wa_root_kind_parse(nm, strlen(nm)), k);
    }
    CHECK(wa_edge_kind_parse("attribute", 9) == -1);
    CHECK(wa_edge_kind_parse("attrx", 4) == WA_EDGE_ATTR);
    CHECK(wa_root_kind_parse("", 0) == -1);
    CHECK(wa_format_from_path("a.jsonl") == WA_FORMAT_JSONL);
    CHECK(wa_format_from_path("a.json") == WA_FORMAT_JSONL);
    CHECK(wa_format_from_path("a.wa") == WA_FORMAT_BINARY);
}

static void test_duplicate_and_bad_root(void) {
    wa_error err;
    wa_error_clear(&err);
    wa_builder *b = wa_builder_new(&err);
    uint32_t t = wa_builder_type(b, "builtins.int", "builtins", &err);
    wa_object o = obj(b, 0xabc, t, 28);
    wa_builder_object(b, &o, &err);
    o.addr = 0xdef;
    wa_builder_object(b, &o, &err);
    o.addr = 0xabc;
    wa_builder_object(b, &o, &err);
    CHECK(wa_builder_finish(b, "dup.jsonl", &err) == NULL);
    CHECK_EQ_U64(err.code, WA_ERR_FORMAT);
    CHECK(strstr(wa_error_string(&err), "0xabc") != NULL);
    CHECK(strstr(wa_error_string(&err), "dup.jsonl") != NULL);

    b = wa_builder_new(&err);
    t = wa_builder_type(b, "builtins.int", "builtins", &err);
    o = obj(b, 0x1, t, 28);
    wa_builder_object(b, &o, &err);
    wa_builder_root(b, 0x2, WA_ROOT_OTHER, 0, 0, &err);
    CHECK(wa_builder_finish(b, "r.jsonl", &err) == NULL);
    CHECK_EQ_U64(err.code, WA_ERR_FORMAT);
    CHECK(strstr(err.what, "0x2") != NULL);

    b = wa_builder_new(&err);
    CHECK(wa_builder_intern(b, "\xff", 1, &err) == WA_NONE);
    CHECK_EQ_U64(err.code, WA_ERR_FORMAT);
    CHECK(wa_builder_intern(b, "a\0b", 3, &err) == WA_NONE);
    CHECK(wa_builder_intern(b, "\xc3\xa9", 2, &err) != WA_NONE);
    CHECK(wa_builder_reserve(b, (uint64_t)1 << 40, 0, &err) == WA_ERR_LIMIT);
    wa_builder_free(b);
}

static void test_empty(void) {
    wa_error err;
    wa_builder *b = wa_builder_new(&err);
    wa_snapshot *s = wa_builder_finish(b, NULL, &err);
    CHECK(s != NULL);
    if (!s) return;
    CHECK_EQ_U64(wa_snapshot_n_objects(s), 0);
    CHECK_EQ_U64(wa_snapshot_out_offsets(s)[0], 0);
    CHECK_EQ_U64(wa_snapshot_in_offsets(s)[0], 0);
    CHECK_EQ_U64(wa_snapshot_find(s, 0), WA_NONE);
    CHECK_STR(wa_snapshot_string(s, 0), "");
    wa_snapshot_free(s);
}

/* Many objects, reserved, in an interleaved edge order; checks the CSR
 * invariants and the lazy index from several threads. */
static wa_snapshot *big;
static void *finder(void *arg) {
    (void)arg;
    uintptr_t bad = 0;
    for (uint32_t i = 0; i < 20000; i++)
        if (wa_snapshot_find(big, 0x1000 + (uint64_t)i * 16) != i) bad++;
    return (void *)bad;
}

static void test_big(void) {
    wa_error err;
    wa_builder *b = wa_builder_new(&err);
    CHECK(wa_builder_reserve(b, 20000, 60000, &err) == WA_OK);
    uint32_t t = wa_builder_type(b, "m.T", "m", &err);
    for (uint32_t i = 0; i < 20000; i++) {
        wa_object o = obj(b, 0x1000 + (uint64_t)i * 16, t, i);
        wa_builder_object(b, &o, &err);
    }
    for (uint32_t r = 0; r < 3; r++)
        for (uint32_t i = 0; i < 20000; i++)
            wa_builder_edge(b, (i * 7919u) % 20000, 0x1000 + (uint64_t)((i * 31u + r) % 20000) * 16,
                            WA_LABEL(WA_EDGE_INDEX, r), &err);
    wa_snapshot *s = wa_builder_finish(b, NULL, &err);
    CHECK(s != NULL);
    if (!s) return;
    CHECK_EQ_U64(wa_snapshot_n_edges(s), 60000);
    const uint32_t *off = wa_snapshot_out_offsets(s), *in = wa_snapshot_in_offsets(s);
    for (uint32_t i = 0; i < 20000; i++) {
        CHECK(off[i] <= off[i + 1]);
        CHECK(in[i] <= in[i + 1]);
        const wa_edge *e;
        uint32_t n = wa_snapshot_out(s, i, &e);
        CHECK_EQ_U64(n, 3);
        for (uint32_t j = 0; j < n; j++) CHECK_EQ_U64(WA_LABEL_PAYLOAD(e[j].label), j);
    }
    CHECK_EQ_U64(in[20000], 60000);
    /* the builder's index was handed over; a loaded copy builds lazily */
    big = s;
    pthread_t th[4];
    for (int i = 0; i < 4; i++) pthread_create(&th[i], NULL, finder, NULL);
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(th[i], &r);
        CHECK(r == NULL);
    }
    wa_snapshot_free(s);
}

int main(void) {
    RUN(test_layout);
    RUN(test_labels);
    RUN(test_kinds);
    RUN(test_duplicate_and_bad_root);
    RUN(test_empty);
    RUN(test_big);
    return wa_test_result();
}
