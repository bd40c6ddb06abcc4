/*
 * test_suggest.c: "did you mean" (issue 14, item 5): wa_text_distance()
 * against a brute-force reference on random short words, wa_text_closest()
 * (case first, then the smallest distance within the limit, NULL when
 * nothing is close), and wa_select_suggest() on a snapshot: a typo, the
 * wrong case, a module left out, `type:X` for `type=X`, a mistyped module,
 * globs named without a guess, and silence when a test matches.
 */
#include <stdlib.h>

#include "test_dom_graph.h"
#include "wa_test.h"
#include "whyalive/select.h"
#include "whyalive/text.h"

/* Optimal string alignment distance, the plain O(n*m) table, no cap. */
static size_t ref_distance(const char *a, const char *b) {
    size_t n = strlen(a), m = strlen(b);
    size_t d[16][16];
    for (size_t i = 0; i <= n; i++) d[i][0] = i;
    for (size_t j = 0; j <= m; j++) d[0][j] = j;
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 1; j <= m; j++) {
            size_t v = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < v) v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v) v = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[n][m];
}

static void test_distance_reference(void) {
    srand(7);
    char a[16], b[16];
    for (int round = 0; round < 20000; round++) {
        size_t n = (size_t)(rand() % 12), m = (size_t)(rand() % 12);
        for (size_t i = 0; i < n; i++) a[i] = "abcx"[rand() % 4];
        for (size_t j = 0; j < m; j++) b[j] = "abcx"[rand() % 4];
        a[n] = b[m] = '\0';
        size_t want = ref_distance(a, b);
        CHECK_EQ_U64(wa_text_distance(a, b, 0, 100), want);
        for (size_t cap = 0; cap < 5; cap++)
            CHECK_EQ_U64(wa_text_distance(a, b, 0, cap), want > cap ? cap + 1 : want);
    }
    CHECK_EQ_U64(wa_text_distance("Summary", "summary", 1, 3), 0);
    CHECK_EQ_U64(wa_text_distance("Summary", "summary", 0, 3), 1);
    CHECK_EQ_U64(wa_text_distance("teh", "the", 0, 3), 1); /* a swap counts one */
    /* long words go through the heap-allocated rows */
    char l1[301], l2[301];
    memset(l1, 'q', 300);
    memset(l2, 'q', 300);
    l1[300] = l2[300] = '\0';
    l2[150] = 'r';
    CHECK_EQ_U64(wa_text_distance(l1, l2, 0, 5), 1);
}

static void test_closest(void) {
    const char *cmds[] = {"info", "summary", "paths", "retainers", "dominators", "diff"};
    size_t n = sizeof cmds / sizeof cmds[0];
    CHECK_STR(wa_text_closest("sumary", cmds, n), "summary");
    CHECK_STR(wa_text_closest("SUMMARY", cmds, n), "summary");
    CHECK_STR(wa_text_closest("retainer", cmds, n), "retainers");
    CHECK_STR(wa_text_closest("dominator", cmds, n), "dominators");
    CHECK_STR(wa_text_closest("pahts", cmds, n), "paths");
    CHECK(wa_text_closest("graph", cmds, n) == NULL);
    CHECK(wa_text_closest("xyz", cmds, n) == NULL);
    CHECK(wa_text_closest("", cmds, n) == NULL || strlen(wa_text_closest("", cmds, n)) <= 1);
    /* the limits: 1 edit up to 4 characters, 2 up to 8, 3 beyond */
    CHECK_EQ_U64(wa_text_close_enough(4), 1);
    CHECK_EQ_U64(wa_text_close_enough(8), 2);
    CHECK_EQ_U64(wa_text_close_enough(9), 3);
    const char *opts[] = {"select", "limit", "json", "each"};
    CHECK_STR(wa_text_closest("limt", opts, 4), "limit");
    CHECK_STR(wa_text_closest("slect", opts, 4), "select");
    CHECK(wa_text_closest("baseline", opts, 4) == NULL);
}

static wa_snapshot *fixture(void) {
    tg g;
    tg_new(&g);
    uint32_t m = tg_obj_full(&g, "builtins.module", 72, WA_OBJ_IS_MODULE, 0, "app.stt");
    uint32_t s1 = tg_obj(&g, "app.stt.StreamSession", 56);
    uint32_t s2 = tg_obj(&g, "app.stt.StreamSession", 56);
    uint32_t c = tg_obj(&g, "vendor.speech.Config", 100);
    uint32_t o1 = tg_obj(&g, "a.Outer.Inner", 8);
    uint32_t o2 = tg_obj(&g, "b.Outer.Inner", 8);
    tg_attr(&g, m, s1, "s1");
    tg_attr(&g, m, s2, "s2");
    tg_attr(&g, m, c, "c");
    tg_attr(&g, m, o1, "o1");
    tg_attr(&g, m, o2, "o2");
    tg_root(&g, m, WA_ROOT_MODULE, "app.stt", 0);
    return tg_done(&g);
}

/* The suggestion text for a selector on the fixture. */
static const char *suggest(const wa_snapshot *s, const char *text) {
    static char buf[1024];
    wa_error err;
    wa_error_clear(&err);
    wa_selector *sel = wa_select_parse(text, &err);
    CHECK(sel != NULL);
    size_t need = wa_select_suggest(sel, s, buf, sizeof buf);
    CHECK_EQ_U64(need, strlen(buf));
    wa_select_free(sel);
    return buf;
}

static void test_select_suggest(void) {
    wa_snapshot *s = fixture();
    CHECK(s != NULL);
    CHECK_STR(suggest(s, "StreamSesion"),
              "no type is named 'StreamSesion'; did you mean 'StreamSession'?");
    CHECK_STR(suggest(s, "type=streamsession"),
              "no type is named 'streamsession'; did you mean 'StreamSession'?");
    CHECK_STR(suggest(s, "type:StreamSession"),
              "no type is named 'type:StreamSession'; did you mean 'type=StreamSession'?");
    /* a module left out or wrong: the same last part */
    CHECK_STR(suggest(s, "app.StreamSession"),
              "no type is named 'app.StreamSession'; did you mean 'StreamSession'?");
    /* two types share the qualname: the full name is suggested */
    CHECK_STR(suggest(s, "Outer.Iner"),
              "no type is named 'Outer.Iner'; did you mean 'a.Outer.Inner'?");
    CHECK_STR(suggest(s, "module=vendor.speach"),
              "no module is named 'vendor.speach'; did you mean 'vendor.speech'?");
    CHECK_STR(suggest(s, "module=ap"), "no module is named 'ap'; did you mean 'app'?");
    CHECK_STR(suggest(s, "type=Zebra*"), "no type matches 'Zebra*'");
    CHECK_STR(suggest(s, "Quokka"), "no type is named 'Quokka'");
    /* each test that matches no type, joined */
    CHECK_STR(suggest(s, "StreamSesion or module=vendr"),
              "no type is named 'StreamSesion'; did you mean 'StreamSession'?; "
              "no module is named 'vendr'; did you mean 'vendor'?");
    /* tests that match a type say nothing, even when the selection is empty */
    CHECK_STR(suggest(s, "StreamSession and size>1GB"), "");
    CHECK_STR(suggest(s, "type!=Quokka"), "");
    /* a small buffer: the length wanted, the text cut */
    char small[8];
    wa_error err;
    wa_error_clear(&err);
    wa_selector *sel = wa_select_parse("Quokka", &err);
    CHECK_EQ_U64(wa_select_suggest(sel, s, small, sizeof small),
                 strlen("no type is named 'Quokka'"));
    CHECK_STR(small, "no type");
    wa_select_free(sel);
    wa_snapshot_free(s);
}

int main(void) {
    RUN(test_distance_reference);
    RUN(test_closest);
    RUN(test_select_suggest);
    return wa_test_result();
}
