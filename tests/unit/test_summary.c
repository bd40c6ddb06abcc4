/*
 * test_summary.c: the per-type and per-module table: counts, shallow bytes,
 * retained bytes with nested instances counted once, subsets, sorting, the
 * unreachable group.
 */
#include "test_dom_graph.h"
#include "wa_test.h"

static const wa_summary_row *row(const wa_snapshot *s, const wa_summary *sum, const char *name) {
    for (uint32_t i = 0; i < sum->n_rows; i++)
        if (!strcmp(wa_summary_row_name(s, sum, &sum->rows[i]), name)) return &sum->rows[i];
    return NULL;
}

static void test_types_and_modules(void) {
    tg g;
    tg_new(&g);
    uint32_t r = tg_obj(&g, "builtins.dict", 10);
    uint32_t a1 = tg_obj(&g, "app.A", 100), a2 = tg_obj(&g, "app.A", 100),
             b = tg_obj(&g, "lib.B", 1000);
    uint32_t a3 = tg_obj(&g, "app.A", 100), c = tg_obj(&g, "lib.sub.C", 7);
    uint32_t z = tg_obj(&g, "app.Z", 5); /* unreachable */
    tg_edge(&g, r, a1, WA_EDGE_DICT_VALUE, "'x'");
    tg_attr(&g, a1, a2, "child"); /* a2 nested inside a1: counted once */
    tg_attr(&g, a2, b, "b");
    tg_edge(&g, r, a3, WA_EDGE_DICT_VALUE, "'y'");
    tg_attr(&g, a3, c, "c");
    tg_root(&g, r, WA_ROOT_MODULE, "app", 0);
    (void)z;
    wa_snapshot *s = tg_done(&g);
    wa_error err;
    wa_dom *dom = wa_dom_compute(s, &err);
    wa_summary *sum = wa_summary_compute(s, dom, WA_SUMMARY_BY_TYPE, NULL, WA_SORT_RETAINED, &err);
    CHECK(sum != NULL);
    if (sum) {
        const wa_summary_row *ra = row(s, sum, "app.A");
        CHECK(ra && ra->count == 3 && ra->shallow == 300 && ra->retained == 1200 + 107);
        CHECK(sum->rows[0].key == wa_snapshot_objects(s)[r].type); /* dict retains all */
        CHECK_EQ_U64(sum->rows[0].retained, 10 + 300 + 1007);
        const wa_summary_row *rz = row(s, sum, "app.Z");
        CHECK(rz && rz->retained == 0 && rz->count == 1);
        CHECK_EQ_U64(sum->n_unreachable, 1);
        CHECK_EQ_U64(sum->unreachable_bytes, 5);
        CHECK_EQ_U64(sum->count, 7);
        CHECK_EQ_U64(sum->shallow, 1322);
    }
    wa_summary_free(sum);
    sum = wa_summary_compute(s, dom, WA_SUMMARY_BY_MODULE, NULL, WA_SORT_NAME, &err);
    CHECK(sum && sum->n_rows == 4);
    if (sum) {
        CHECK_STR(wa_summary_row_name(s, sum, &sum->rows[0]), "app");
        CHECK_STR(wa_summary_row_name(s, sum, &sum->rows[1]), "builtins");
        CHECK_STR(wa_summary_row_name(s, sum, &sum->rows[2]), "lib");
        CHECK_STR(wa_summary_row_name(s, sum, &sum->rows[3]), "lib.sub");
        CHECK_EQ_U64(sum->rows[0].count, 4);
        CHECK_EQ_U64(sum->rows[0].retained, 1307);
        CHECK_EQ_U64(sum->rows[2].retained, 1000);
    }
    wa_summary_free(sum);
    /* a subset: only a2 and b */
    uint32_t pick[] = {a2, b};
    wa_objlist sub = {2, 2, pick};
    sum = wa_summary_compute(s, dom, WA_SUMMARY_BY_TYPE, &sub, WA_SORT_COUNT, &err);
    CHECK(sum && sum->n_rows == 2 && sum->count == 2);
    if (sum) {
        const wa_summary_row *ra = row(s, sum, "app.A");
        CHECK(ra && ra->count == 1 && ra->retained == 1100);
    }
    wa_summary_free(sum);
    /* no dom: no retained, sorted by shallow */
    sum = wa_summary_compute(s, NULL, WA_SUMMARY_BY_TYPE, NULL, WA_SORT_RETAINED, &err);
    CHECK(sum && sum->rows[0].retained == 0 && sum->rows[0].shallow == 1000);
    wa_summary_free(sum);
    wa_dom_free(dom);
    wa_snapshot_free(s);
}

/* Nested same-type chains of 1,000,000: the per-type walk must be O(n). */
static void test_deep_same_type(void) {
    const uint32_t N = 1000000;
    tg g;
    tg_new(&g);
    for (uint32_t i = 0; i < N; i++) tg_obj(&g, i % 2 ? "m.Odd" : "m.Even", 2);
    for (uint32_t i = 0; i + 1 < N; i++) tg_attr(&g, i, i + 1, "next");
    tg_root(&g, 0, WA_ROOT_MODULE, "m", 0);
    wa_snapshot *s = tg_done(&g);
    wa_error err;
    wa_dom *dom = wa_dom_compute(s, &err);
    wa_summary *sum = wa_summary_compute(s, dom, WA_SUMMARY_BY_TYPE, NULL, WA_SORT_RETAINED, &err);
    CHECK(sum && sum->n_rows == 2);
    if (sum) {
        CHECK_EQ_U64(sum->rows[0].retained, 2ull * N);     /* Even: the head holds all */
        CHECK_EQ_U64(sum->rows[1].retained, 2ull * N - 2); /* Odd: from node 1 down */
    }
    wa_summary_free(sum);
    wa_dom_free(dom);
    wa_snapshot_free(s);
}

int main(void) {
    RUN(test_types_and_modules);
    RUN(test_deep_same_type);
    return wa_test_result();
}
