/*
 * test_select.c: the selector language: what parses, what each field
 * matches, units, and that every syntax error names the right column.
 */
#include "test_dom_graph.h"
#include "wa_test.h"

static wa_snapshot *fixture(void) {
    tg g;
    tg_new(&g);
    uint32_t m = tg_obj_full(&g, "builtins.module", 72, WA_OBJ_IS_MODULE, 0, "app.stt");
    uint32_t d = tg_obj_full(&g, "builtins.dict", 2000000, WA_OBJ_HAS_LEN, 3, NULL);
    uint32_t t1 = tg_obj(&g, "app.stt.ConversationTranscriber", 56);
    uint32_t t2 = tg_obj(&g, "app.stt.ConversationTranscriber", 56);
    uint32_t c = tg_obj(&g, "app.stt.sub.Config", 1500);
    uint32_t f = tg_obj_full(&g, "builtins.function", 160, 0, 0, "handle_request");
    uint32_t o = tg_obj(&g, "other.Outer.Inner", 8); /* unreachable */
    tg_attr(&g, m, d, "__dict__");
    tg_edge(&g, d, t1, WA_EDGE_DICT_VALUE, "'a'");
    tg_edge(&g, d, c, WA_EDGE_DICT_VALUE, "'cfg'");
    tg_edge(&g, d, f, WA_EDGE_DICT_VALUE, "'f'");
    tg_attr(&g, t1, c, "config");
    tg_root(&g, m, WA_ROOT_MODULE, "app.stt", 0);
    tg_root(&g, t2, WA_ROOT_EXTERNAL, NULL, 3);
    (void)o;
    return tg_done(&g);
}

/* Count of matches, or -1 on a parse error. */
static long count(const wa_snapshot *s, const wa_dom *dom, const char *text) {
    wa_error err;
    wa_error_clear(&err);
    wa_selector *sel = wa_select_parse(text, &err);
    if (!sel) {
        fprintf(stderr, "  parse error for '%s': %s\n", text, wa_error_string(&err));
        return -1;
    }
    wa_objlist *l = wa_select_run(sel, s, dom, 0, &err);
    long n = l ? (long)l->total : -2;
    /* wa_select_match must agree with wa_select_run */
    for (uint32_t v = 0, k = 0; l && v < wa_snapshot_n_objects(s); v++) {
        int in = k < l->n && l->objs[k] == v;
        if (in) k++;
        if (in != wa_select_match(sel, s, dom, v)) {
            fprintf(stderr, "  match/run disagree on object %u for '%s'\n", v, text);
            n = -3;
        }
    }
    wa_objlist_free(l);
    wa_select_free(sel);
    return n;
}

/* Parse must fail at column col. */
static void bad(const char *text, uint64_t col, const char *needle) {
    wa_error err;
    wa_error_clear(&err);
    wa_selector *sel = wa_select_parse(text, &err);
    CHECK(sel == NULL);
    wa_select_free(sel);
    if (err.code != WA_ERR_SELECTOR || err.offset != col || (needle && !strstr(err.what, needle))) {
        fprintf(stderr, "  '%s': code %d column %llu '%s' (want column %llu, '%s')\n", text,
                err.code, (unsigned long long)err.offset, err.what, (unsigned long long)col,
                needle ? needle : "");
        wa_test_failures++;
    }
}

static void test_fields(void) {
    wa_snapshot *s = fixture();
    wa_error err;
    wa_dom *dom = wa_dom_compute(s, &err);
    CHECK(dom != NULL);
    CHECK_EQ_U64(count(s, dom, "type=ConversationTranscriber"), 2);
    CHECK_EQ_U64(count(s, dom, "ConversationTranscriber"), 2);
    CHECK_EQ_U64(count(s, dom, "type=app.stt.ConversationTranscriber"), 2);
    CHECK_EQ_U64(count(s, dom, "type=stt.ConversationTranscriber"), 0); /* not a qualname */
    CHECK_EQ_U64(count(s, dom, "type=*Transcriber"), 2);
    CHECK_EQ_U64(count(s, dom, "type=Inner"), 1); /* module other.Outer, qualname Inner */
    CHECK_EQ_U64(count(s, dom, "type='other.Outer.Inner'"), 1);
    CHECK_EQ_U64(count(s, dom, "type=dict"), 1);
    CHECK_EQ_U64(count(s, dom, "type!=dict"), 6);
    CHECK_EQ_U64(count(s, dom, "module=app.stt"), 3); /* and its submodule app.stt.sub */
    CHECK_EQ_U64(count(s, dom, "module=app"), 3);
    CHECK_EQ_U64(count(s, dom, "module=ap"), 0);
    CHECK_EQ_U64(count(s, dom, "mod=app.*"), 3);
    CHECK_EQ_U64(count(s, dom, "module=builtins"), 3);
    CHECK_EQ_U64(count(s, dom, "addr=0x1010"), 1);
    CHECK_EQ_U64(count(s, dom, "addr=4112"), 1);
    CHECK_EQ_U64(count(s, dom, "size>=1500"), 2);
    CHECK_EQ_U64(count(s, dom, "size>1.5KB"), 1);
    CHECK_EQ_U64(count(s, dom, "size>1.5KiB"), 1);
    CHECK_EQ_U64(count(s, dom, "size>=2MB"), 1);
    CHECK_EQ_U64(count(s, dom, "size>=2MiB"), 0);
    CHECK_EQ_U64(count(s, dom, "retained>1MB"), 2); /* module and its dict */
    CHECK_EQ_U64(count(s, dom, "retained < 100 and reachable=yes"), 2);
    CHECK_EQ_U64(count(s, dom, "reachable=no"), 1);
    CHECK_EQ_U64(count(s, dom, "root=module"), 1);
    CHECK_EQ_U64(count(s, dom, "root=any"), 2);
    CHECK_EQ_U64(count(s, dom, "root=external and excess>=3"), 1);
    CHECK_EQ_U64(count(s, dom, "root!=external"), 6);
    CHECK_EQ_U64(count(s, dom, "refcount=1"), 7);
    CHECK_EQ_U64(count(s, dom, "rc>1"), 0);
    CHECK_EQ_U64(count(s, dom, "len=3"), 1);
    CHECK_EQ_U64(count(s, dom, "name=handle_*"), 1);
    CHECK_EQ_U64(count(s, dom, "name='app.stt'"), 1);
    CHECK_EQ_U64(count(s, dom, "type=dict or type=function"), 2);
    CHECK_EQ_U64(count(s, dom, "not (type=dict or type=function) and module=builtins"), 1);
    CHECK_EQ_U64(count(s, dom, "NOT type=dict AND NOT type=module AND module=builtins"), 1);
    CHECK_EQ_U64(count(s, dom, "((type=dict))"), 1);
    CHECK_EQ_U64(count(s, dom, "type=a or type=b or type=dict or size=8"), 2);
    CHECK_EQ_U64(count(s, dom, "not not type=dict"), 1);
    CHECK_EQ_U64(count(s, dom, "type=\"f.<locals>.X\" or type=f.<locals>.X"), 0);
    /* a selector that needs retained sizes and got no dom */
    wa_selector *sel = wa_select_parse("retained>1", &err);
    CHECK(sel && wa_select_needs_dom(sel));
    CHECK(wa_select_run(sel, s, NULL, 0, &err) == NULL && err.code == WA_ERR_ARG);
    wa_select_free(sel);
    /* limits keep the total */
    sel = wa_select_parse("module=builtins", &err);
    wa_objlist *l = wa_select_run(sel, s, dom, 2, &err);
    CHECK(l && l->n == 2 && l->total == 3);
    wa_objlist_free(l);
    char buf[128];
    wa_select_format(sel, buf, sizeof buf);
    CHECK_STR(buf, "module='builtins'");
    wa_select_free(sel);
    sel = wa_select_parse("a and (b or not size > 3KB)", &err);
    wa_select_format(sel, buf, sizeof buf);
    CHECK_STR(buf, "type='a' and (type='b' or not size>3KB)");
    wa_select_free(sel);
    /* parentheses only where needed: no deeper than the text */
    sel = wa_select_parse("((a and b) or c) and not (d or e) and not f", &err);
    wa_select_format(sel, buf, sizeof buf);
    CHECK_STR(
        buf, "(type='a' and type='b' or type='c') and not (type='d' or type='e') and not type='f'");
    wa_select_free(sel);
    wa_dom_free(dom);
    wa_snapshot_free(s);
}

static void test_errors(void) {
    bad("", 1, "empty");
    bad("   ", 4, NULL);
    bad("type=", 6, "expected a value");
    bad("typo=x", 1, "unknown field 'typo'");
    bad("type<x", 5, "use = or !=");
    bad("size>10XB", 6, "bad size");
    bad("size>-1", 6, "bad size");
    bad("size>99999999999999999999", 6, "bad size");
    bad("refcount=abc", 10, "bad number");
    bad("root=foo", 6, "unknown root kind");
    bad("reachable=maybe", 11, "yes or no");
    bad("(type=a", 8, "column 1");
    bad("type=a)", 7, "unexpected ')'");
    bad("type=a and", 11, NULL);
    bad("type=a or or type=b", 11, "before 'and' / 'or'");
    bad("and type=a", 1, NULL);
    bad("type=a type=b", 8, "expected 'and', 'or'");
    bad("=x", 1, "field name");
    bad("type='abc", 6, "unterminated");
    bad("size >", 7, "expected a value");
    bad("()", 2, "unexpected ')'");
    char deep[400] = "";
    for (int i = 0; i < 100; i++) strcat(deep, "(");
    bad(deep, 65, "nested too deeply");
    char nots[600] = "";
    for (int i = 0; i < 100; i++) strcat(nots, "not ");
    strcat(nots, "x");
    bad(nots, 257, "nested too deeply");
    char *huge = malloc(WA_SELECT_MAX_LENGTH + 10);
    memset(huge, 'a', WA_SELECT_MAX_LENGTH + 9);
    huge[WA_SELECT_MAX_LENGTH + 9] = '\0';
    bad(huge, WA_SELECT_MAX_LENGTH + 1, "longer");
    free(huge);
}

static void test_sizes(void) {
    uint64_t v = 0;
    CHECK(wa_select_parse_size("10MB", 4, &v) == 0 && v == 10000000);
    CHECK(wa_select_parse_size("10mib", 5, &v) == 0 && v == 10485760);
    CHECK(wa_select_parse_size("1.5GB", 5, &v) == 0 && v == 1500000000);
    CHECK(wa_select_parse_size("0.5KiB", 6, &v) == 0 && v == 512);
    CHECK(wa_select_parse_size("12", 2, &v) == 0 && v == 12);
    CHECK(wa_select_parse_size("12B", 3, &v) == 0 && v == 12);
    CHECK(wa_select_parse_size("3TiB", 4, &v) == 0 && v == 3ull << 40);
    CHECK(wa_select_parse_size("", 0, &v) != 0);
    CHECK(wa_select_parse_size("MB", 2, &v) != 0);
    CHECK(wa_select_parse_size("1.2.3", 5, &v) != 0);
    CHECK(wa_select_parse_size("20000000TB", 10, &v) != 0);
}

int main(void) {
    RUN(test_fields);
    RUN(test_errors);
    RUN(test_sizes);
    return wa_test_result();
}
