/*
 * test_diff.c: per-type deltas of two snapshots, identity by (address,
 * type) for the three-snapshot survivors, and their clusters.
 */
#include "test_dom_graph.h"
#include "wa_test.h"

/* A registry holding `n` sessions at addresses depending on `base`; other
 * objects stay at fixed addresses. */
static wa_snapshot *gen(uint32_t n, uint32_t first, uint32_t extra_str) {
    tg g;
    tg_new(&g);
    uint32_t m = tg_obj_full(&g, "builtins.module", 72, WA_OBJ_IS_MODULE, 0, "app");
    uint32_t d = tg_obj_full(&g, "builtins.dict", 100, WA_OBJ_HAS_LEN, n, NULL);
    tg_attr(&g, m, d, "sessions");
    for (uint32_t i = 0; i < extra_str; i++) tg_obj(&g, "builtins.str", 50);
    /* pad so that session i always gets the same object index (= address) */
    while (g.n < 100) tg_obj(&g, "builtins.int", 28);
    for (uint32_t i = 0; i < first + n; i++) {
        uint32_t o = tg_obj(&g, "app.Session", 64);
        if (i >= first) tg_edge(&g, d, o, WA_EDGE_DICT_VALUE, "12345");
    }
    tg_root(&g, m, WA_ROOT_MODULE, "app", 0);
    return tg_done(&g);
}

static void test_two_and_three(void) {
    /* A: sessions 0..1; B: sessions 0..4; C: sessions 2..4 live (0,1 unlinked
     * but still present as unreachable objects) */
    wa_snapshot *a = gen(2, 0, 3), *b = gen(5, 0, 1), *c = gen(3, 2, 1);
    wa_error err;
    wa_diff *d = wa_diff_compute(a, b, NULL, NULL, &err);
    CHECK(d && d->n_snapshots == 2 && d->survivors == NULL);
    if (d) {
        CHECK_STR(d->rows[0].type, "app.Session");
        CHECK_EQ_U64(d->rows[0].dcount, 3);
        CHECK_EQ_U64(d->rows[0].dbytes, 192);
        const wa_diff_row *last = &d->rows[d->n_rows - 1];
        CHECK_STR(last->type, "builtins.str");
        CHECK(last->dcount == -2 && last->dbytes == -100);
    }
    wa_diff_free(d);
    d = wa_diff_compute(a, b, c, NULL, &err);
    CHECK(d && d->n_snapshots == 3 && d->survivors);
    if (d && d->survivors) {
        /* new in B: sessions 2,3,4 (0 and 1 were in A) and the two ints that
         * took over the addresses of A's strs (same address, other type:
         * another object); all still in C. */
        CHECK_EQ_U64(d->survivors->n, 5);
        CHECK(d->clusters && d->clusters->n == 2 && d->clusters->clusters[0].count == 3);
        CHECK(d->clusters && d->clusters->clusters[1].root == WA_NONE);
        char buf[128];
        wa_cluster_format(c, &d->clusters->clusters[0], buf, sizeof buf);
        CHECK_STR(buf, "sys.modules['app'] .sessions [*]");
    }
    wa_diff_free(d);
    /* a selector restricts the counts */
    wa_selector *sel = wa_select_parse("module=app", &err);
    d = wa_select_diff(a, b, c, sel, &err);
    CHECK(d && d->n_rows == 1 && d->survivors && d->survivors->n == 3);
    wa_diff_free(d);
    wa_select_free(sel);
    sel = wa_select_parse("retained>1", &err);
    d = wa_select_diff(a, b, NULL, sel, &err);
    CHECK(d == NULL && err.code == WA_ERR_ARG);
    wa_select_free(sel);
    wa_snapshot_free(a);
    wa_snapshot_free(b);
    wa_snapshot_free(c);
}

/* A keep predicate: objects of one size, counting the questions. */
typedef struct keep_size {
    uint64_t size, asked;
} keep_size;

static int keep_by_size(const wa_snapshot *snap, uint32_t obj, void *ctx) {
    keep_size *k = ctx;
    k->asked++;
    return wa_snapshot_objects(snap)[obj].size == k->size;
}

static void test_keep_predicate(void) {
    wa_snapshot *a = gen(2, 0, 3), *b = gen(5, 0, 1), *c = gen(3, 2, 1);
    wa_error err;
    wa_error_clear(&err);
    keep_size k = {64, 0};
    wa_diff_options o = {keep_by_size, &k};
    wa_diff *d = wa_diff_compute(a, b, c, &o, &err);
    CHECK(d && d->n_rows == 1 && d->survivors && d->survivors->n == 3);
    if (d && d->n_rows == 1) CHECK_STR(d->rows[0].type, "app.Session");
    /* once per object of each snapshot, the survivors reuse the answers */
    CHECK(k.asked ==
          (uint64_t)wa_snapshot_n_objects(a) + wa_snapshot_n_objects(b) + wa_snapshot_n_objects(c));
    wa_diff_free(d);
    /* a selector testing roots runs through the same predicate */
    wa_selector *sel = wa_select_parse("root=module or type=Session", &err);
    d = wa_select_diff(a, b, c, sel, &err);
    CHECK(d && d->n_rows == 2 && d->survivors && d->survivors->n == 3);
    wa_diff_free(d);
    wa_select_free(sel);
    wa_snapshot_free(a);
    wa_snapshot_free(b);
    wa_snapshot_free(c);
}

int main(void) {
    RUN(test_two_and_three);
    RUN(test_keep_predicate);
    return wa_test_result();
}
