/* JSON Lines reader: every field of the hand-made fixtures lands where it should. */
#include "format/format_impl.h"
#include "wa_test.h"
#include "whyalive/whyalive.h"

static wa_snapshot *load(const char *name) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", WA_FIXTURES, name);
    wa_error err;
    wa_snapshot *s = wa_snapshot_load(path, NULL, &err);
    if (!s) fprintf(stderr, "load %s: %s\n", name, wa_error_string(&err));
    return s;
}

static const char *label(const wa_snapshot *s, uint32_t obj, uint32_t k, char *buf) {
    const wa_edge *e;
    uint32_t n = wa_snapshot_out(s, obj, &e);
    if (k >= n) return "(none)";
    wa_label_format(s, e[k].label, buf, 128);
    return buf;
}

static void test_small(void) {
    wa_snapshot *s = load("small.jsonl");
    CHECK(s != NULL);
    if (!s) return;
    char b[128];
    CHECK_EQ_U64(wa_snapshot_n_objects(s), 11);
    CHECK_EQ_U64(wa_snapshot_n_edges(s), 19);
    CHECK_EQ_U64(wa_snapshot_dangling(s), 1);
    CHECK_EQ_U64(wa_snapshot_n_roots(s), 5);
    const wa_meta *m = wa_snapshot_meta(s);
    CHECK_STR(m->python_version, "3.11.2");
    CHECK_STR(m->implementation, "CPython");
    CHECK_STR(m->host, "box");
    CHECK_STR(m->time, "2026-11-26T01:02:03Z");
    CHECK_EQ_U64(m->pid, 4242);
    CHECK_EQ_U64(m->rss, 123456789);
    CHECK(m->seconds == 0.25);
    CHECK_EQ_U64(m->argc, 3);
    CHECK_STR(m->argv[2], "8000");
    const wa_object *o = wa_snapshot_objects(s);
    uint32_t mod = wa_snapshot_find(s, 0x1000), d = wa_snapshot_find(s, 0x1100);
    uint32_t t = wa_snapshot_find(s, 0x1400), i = wa_snapshot_find(s, 6656);
    CHECK_EQ_U64(mod, 0);
    CHECK_EQ_U64(i, 10);
    CHECK_EQ_U64(o[mod].flags, WA_OBJ_GC_TRACKED | WA_OBJ_IS_MODULE);
    CHECK_STR(wa_snapshot_string(s, o[mod].name), "app");
    CHECK_STR(wa_snapshot_type_name(s, o[d].type), "builtins.dict");
    CHECK_STR(wa_snapshot_type_module(s, o[d].type), "builtins");
    CHECK_STR(wa_snapshot_type_name(s, o[t].type), "app.stt.ConversationTranscriber");
    CHECK_STR(wa_snapshot_type_module(s, o[t].type), "app.stt");
    CHECK_EQ_U64(o[d].length, 4);
    CHECK(o[d].flags & WA_OBJ_HAS_LEN);
    CHECK(!(o[t].flags & WA_OBJ_HAS_LEN));
    CHECK_EQ_U64(o[i].refcount, UINT32_MAX); /* saturated */
    CHECK_EQ_U64(o[t].refcount, 4);
    CHECK_STR(wa_snapshot_string(s, o[2].value), "sessions");
    CHECK(o[2].flags & WA_OBJ_IMMORTAL);
    CHECK(o[wa_snapshot_find(s, 0x1500)].flags & WA_OBJ_TRUNCATED);
    CHECK(o[wa_snapshot_find(s, 0x1900)].flags & WA_OBJ_IS_TYPE);
    CHECK_STR(wa_snapshot_site(s, 3), "app.py:12;app.py:30");
    CHECK_STR(wa_snapshot_site(s, 2), "app.py:3");
    CHECK_STR(wa_snapshot_site(s, 7), "app.py:99"); /* from a site line */
    CHECK_STR(label(s, mod, 0, b), ".__dict__");
    CHECK_STR(label(s, d, 0, b), "<key 'sessions'>");
    CHECK_STR(label(s, d, 1, b), "['sessions']");
    CHECK_STR(label(s, d, 3, b), "[42]");
    CHECK_EQ_U64(wa_snapshot_out(s, d, NULL), 5); /* the dangling one dropped */
    CHECK_STR(label(s, 3, 2, b), "[2]");
    CHECK_STR(label(s, t, 1, b), "<weak>");
    CHECK_STR(label(s, t, 2, b), "__globals__");
    CHECK_STR(label(s, t, 3, b), "<referent>"); /* unnamed: never empty */
    CHECK_STR(label(s, 5, 0, b), "{member}");
    CHECK_STR(label(s, 6, 0, b), "<closure cb>");
    CHECK_STR(label(s, 6, 1, b), "<closure>");
    CHECK_STR(label(s, 8, 0, b), "f_locals.self");
    CHECK_STR(label(s, 9, 0, b), "<weak __module__>");
    const wa_root *r = wa_snapshot_roots(s);
    CHECK_EQ_U64(r[0].kind, WA_ROOT_MODULE);
    CHECK_STR(wa_snapshot_string(s, r[1].label), "MainThread (140000)");
    CHECK_EQ_U64(r[2].kind, WA_ROOT_EXTERNAL);
    CHECK_EQ_U64(r[2].excess, 2);
    CHECK_EQ_U64(r[2].obj, t);
    CHECK_EQ_U64(r[4].kind, WA_ROOT_OTHER);
    CHECK_EQ_U64(wa_snapshot_total_size(s),
                 72 + 640 + 57 + 88 + 56 + 216 + 160 + 40 + 400 + 1072 + 28);
    /* referrers of the transcriber: list twice, set, frame */
    CHECK_EQ_U64(wa_snapshot_in(s, t, NULL), 4);
    CHECK_EQ_U64(wa_snapshot_edge_label(s, 3, t, 1), WA_LABEL(WA_EDGE_INDEX, 2));
    wa_snapshot_free(s);
}

static void test_nested_and_index(void) {
    wa_snapshot *s = load("nested.jsonl");
    CHECK(s != NULL);
    if (!s) return;
    const wa_object *o = wa_snapshot_objects(s);
    char b[128];
    CHECK_STR(wa_snapshot_type_name(s, o[0].type), "app.stt.Outer.Inner");
    CHECK_STR(wa_snapshot_type_module(s, o[0].type), "app.stt");
    CHECK_STR(wa_snapshot_type_module(s, o[1].type), "app.stt");
    CHECK_STR(wa_snapshot_type_name(s, o[2].type), "pkg.A.B.C");
    CHECK_STR(wa_snapshot_type_module(s, o[2].type), "pkg");
    CHECK_STR(wa_snapshot_type_name(s, o[3].type), "builtins.object");
    CHECK_STR(wa_snapshot_type_module(s, o[3].type), "builtins");
    const wa_edge *e;
    CHECK_EQ_U64(wa_snapshot_out(s, 0, &e), 3);
    CHECK_EQ_U64(WA_LABEL_KIND(e[1].label), WA_EDGE_OTHER);
    CHECK_STR(label(s, 0, 1, b), "[268435456]");
    CHECK_EQ_U64(e[2].label, WA_LABEL(WA_EDGE_INDEX, 268435455));
    wa_snapshot_free(s);
}

static void test_unicode(void) {
    wa_snapshot *s = load("unicode.jsonl");
    CHECK(s != NULL);
    if (!s) return;
    char b[128];
    const wa_object *o = wa_snapshot_objects(s);
    CHECK_STR(wa_snapshot_meta(s)->host, "hôte-é");
    CHECK_STR(wa_snapshot_meta(s)->argv[2], "😀");
    CHECK_STR(wa_snapshot_type_name(s, o[0].type), "módulo.Ñame");
    CHECK_STR(wa_snapshot_type_module(s, o[0].type), "módulo");
    CHECK_STR(label(s, 0, 0, b), ".naïve");
    CHECK_STR(label(s, 0, 1, b), "['日本語']");
    CHECK_STR(label(s, 0, 2, b), "['tab\there \"quoted\" back\\\\slash \x01']");
    CHECK_STR(wa_snapshot_string(s, o[1].value), "emoji 😀 😀 and newline\n");
    CHECK_STR(label(s, 2, 0, b), "f_locals.변수");
    wa_snapshot_free(s);
}

static void test_memory_and_whitespace(void) {
    const char *text = "\r\n  \n{\"whyalive\":1}\r\n"
                       "{\"addr\":1,\"type\":\"a.B\",\"size\":0,\"refs\":[[2,\"index\",7]]}\r\n"
                       "\n\t\n"
                       "{\"addr\":\"0X2\",\"type\":\"a.B\",\"size\":1}";
    wa_error err;
    wa_snapshot *s = wa_snapshot_load_memory(text, strlen(text), "mem", NULL, &err);
    if (!s) fprintf(stderr, "%s\n", wa_error_string(&err));
    CHECK(s != NULL);
    if (!s) return;
    CHECK_EQ_U64(wa_snapshot_n_objects(s), 2);
    CHECK_EQ_U64(wa_snapshot_n_edges(s), 1);
    CHECK_EQ_U64(wa_snapshot_n_types(s), 1);
    CHECK_EQ_U64(wa_snapshot_edges(s)[0].label, WA_LABEL(WA_EDGE_INDEX, 7));
    CHECK_EQ_U64(wa_snapshot_meta(s)->pid, (uint64_t)-1);
    wa_snapshot_free(s);
}

/* Progress callback that cancels. */
static int cancel_cb(void *ctx, uint64_t done, uint64_t total) {
    (void)done;
    (void)total;
    ++*(int *)ctx;
    return 1;
}

static void test_long_lines_and_cancel(void) {
    /* a line far longer than the initial 1 MiB line buffer */
    char path[512];
    snprintf(path, sizeof path, "%s/long.jsonl", WA_TMPDIR);
    FILE *f = fopen(path, "w");
    fprintf(f, "{\"whyalive\":1}\n{\"addr\":1,\"type\":\"x.Y\",\"size\":1,\"value\":\"");
    for (int i = 0; i < 3 << 20; i++) fputc('a' + i % 26, f);
    fprintf(f, "\"}\n");
    for (int i = 0; i < 300000; i++)
        fprintf(f, "{\"addr\":%d,\"type\":\"x.Y\",\"size\":1}\n", i + 2);
    fclose(f);
    wa_error err;
    wa_snapshot *s = wa_snapshot_load(path, NULL, &err);
    CHECK(s != NULL);
    if (s) {
        CHECK_EQ_U64(strlen(wa_snapshot_string(s, wa_snapshot_objects(s)[0].value)), 3 << 20);
        CHECK_EQ_U64(wa_snapshot_n_objects(s), 300001);
        wa_snapshot_free(s);
    }
    int calls = 0;
    wa_load_options o = {WA_FORMAT_AUTO, cancel_cb, &calls, 0};
    s = wa_snapshot_load(path, &o, &err);
    CHECK(s == NULL);
    CHECK(calls == 1);
    CHECK_EQ_U64(err.code, WA_ERR_ARG);
    remove(path);
}

int main(void) {
    RUN(test_small);
    RUN(test_nested_and_index);
    RUN(test_unicode);
    RUN(test_memory_and_whitespace);
    RUN(test_long_lines_and_cancel);
    return wa_test_result();
}
