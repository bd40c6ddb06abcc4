/*
 * test_render.c: the renderer on hand-made snapshots (tests/fixtures/graph):
 * DOT goldens for every mode, determinism across formats, fan-in collapse,
 * the node cap, escaping, the sfdp switch, real SVG/PNG/PDF output, errors
 * that leave no file behind, and concurrent callers.
 *
 * WA_UPDATE_GOLDEN=1 rewrites the goldens (review the diff before committing).
 */
#include <dirent.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wa_test.h"
#include "whyalive/analysis.h"
#include "whyalive/render.h"
#include "whyalive/snapshot.h"

#define GDIR WA_FIXTURES "/graph"

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *d = malloc((size_t)n + 1);
    size_t got = fread(d, 1, (size_t)n, f);
    fclose(f);
    d[got] = '\0';
    if (len) *len = got;
    return d;
}

/* Renders go through a session over the test's snapshot (created on first
 * use, from the main thread); snap_free() frees the session, then the
 * snapshot. */
static struct {
    const wa_snapshot *snap;
    wa_session *session;
} sessions[8];

static wa_session *sess(const wa_snapshot *s) {
    for (int i = 0; i < 8; i++)
        if (sessions[i].snap == s) return sessions[i].session;
    for (int i = 0; i < 8; i++)
        if (!sessions[i].snap) {
            wa_error err;
            sessions[i].snap = s;
            sessions[i].session = wa_session_new(s, &err);
            return sessions[i].session;
        }
    return NULL;
}

static void snap_free(wa_snapshot *s) {
    for (int i = 0; i < 8; i++)
        if (s && sessions[i].snap == s) {
            wa_session_free(sessions[i].session);
            sessions[i].snap = NULL;
            sessions[i].session = NULL;
        }
    wa_snapshot_free(s);
}

static wa_snapshot *load(const char *name) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", GDIR, name);
    wa_error err;
    wa_snapshot *s = wa_snapshot_load(path, NULL, &err);
    if (!s) fprintf(stderr, "load %s: %s\n", path, wa_error_string(&err));
    return s;
}

/* Object indexes of the given addresses (0-terminated list). */
static size_t pick(const wa_snapshot *s, const uint64_t *addrs, uint32_t *out) {
    size_t n = 0;
    for (; addrs[n]; n++) {
        out[n] = wa_snapshot_find(s, addrs[n]);
        CHECK(out[n] != WA_NONE);
    }
    return n;
}

/* Every object of a type. */
static size_t of_type(const wa_snapshot *s, const char *type, uint32_t *out) {
    size_t n = 0;
    const wa_object *o = wa_snapshot_objects(s);
    for (uint32_t i = 0; i < wa_snapshot_n_objects(s); i++)
        if (strcmp(wa_snapshot_type_name(s, o[i].type), type) == 0) out[n++] = i;
    return n;
}

static void golden(const char *name, const char *text) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", GDIR, name);
    if (getenv("WA_UPDATE_GOLDEN")) {
        FILE *f = fopen(path, "wb");
        CHECK(f != NULL);
        if (f) {
            fputs(text, f);
            fclose(f);
        }
        return;
    }
    char *want = slurp(path, NULL);
    CHECK(want != NULL);
    if (want && strcmp(want, text) != 0) {
        char act[512];
        snprintf(act, sizeof act, "%s/%s.actual", WA_TMPDIR, name);
        FILE *f = fopen(act, "wb");
        if (f) {
            fputs(text, f);
            fclose(f);
        }
        fprintf(stderr, "golden %s differs; actual output in %s\n", name, act);
        wa_test_failures++;
    }
    free(want);
}

typedef struct gcase {
    const char *fixture, *golden;
    const char *type;  /* select every object of this type, or */
    uint64_t addrs[8]; /* these addresses */
    wa_render_mode mode;
    uint32_t max_nodes, depth, fan_in;
} gcase;

static const gcase cases[] = {
    {"stt.jsonl", "stt_backrefs.dot", NULL, {0x200}, WA_RENDER_BACKREFS, 0, 0, 0},
    {"stt.jsonl",
     "stt_backrefs_all.dot",
     "azure.cognitiveservices.speech.transcription.ConversationTranscriber",
     {0},
     WA_RENDER_BACKREFS,
     0,
     0,
     0},
    {"stt.jsonl",
     "stt_paths.dot",
     "azure.cognitiveservices.speech.transcription.ConversationTranscriber",
     {0},
     WA_RENDER_PATHS,
     0,
     0,
     0},
    {"stt.jsonl", "stt_dominators.dot", NULL, {0x120, 0x200}, WA_RENDER_DOMINATORS, 0, 0, 0},
    {"roots.jsonl", "roots_backrefs.dot", NULL, {0x40, 0x50}, WA_RENDER_BACKREFS, 0, 0, 0},
    {"fanin.jsonl", "fanin_backrefs.dot", NULL, {0x3000}, WA_RENDER_BACKREFS, 0, 0, 4},
    {"wide.jsonl", "wide_cut.dot", NULL, {0x3000}, WA_RENDER_BACKREFS, 20, 0, 100},
    {"wide.jsonl", "wide_depth.dot", NULL, {0x3000}, WA_RENDER_BACKREFS, 0, 1, 3},
    {"leak.jsonl",
     "leak_paths.dot",
     "azure.cognitiveservices.speech.transcription.ConversationTranscriber",
     {0},
     WA_RENDER_AUTO,
     0,
     0,
     0},
    {"leak.jsonl", "leak_dominators.dot", NULL, {0x1200}, WA_RENDER_DOMINATORS, 0, 0, 0},
};

static char *render_case(const gcase *c, wa_snapshot *s, wa_render_stats *st) {
    uint32_t sel[256];
    size_t n = c->type ? of_type(s, c->type, sel) : pick(s, c->addrs, sel);
    wa_render_options o;
    wa_render_options_init(&o);
    o.mode = c->mode;
    if (c->max_nodes) o.max_nodes = c->max_nodes;
    if (c->depth) o.depth = c->depth;
    if (c->fan_in) o.fan_in = c->fan_in;
    wa_error err;
    size_t len = 0;
    char *dot = wa_render_dot(sess(s), sel, n, &o, &len, st, &err);
    if (!dot) fprintf(stderr, "%s: %s\n", c->golden, wa_error_string(&err));
    CHECK(dot != NULL);
    if (dot) CHECK_EQ_U64(len, strlen(dot));
    return dot;
}

static void test_goldens(void) {
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wa_snapshot *s = load(cases[i].fixture);
        CHECK(s != NULL);
        if (!s) continue;
        wa_render_stats st;
        char *dot = render_case(&cases[i], s, &st);
        if (dot) golden(cases[i].golden, dot);
        /* the same request twice: byte-identical */
        wa_render_stats st2;
        char *again = render_case(&cases[i], s, &st2);
        if (dot && again) CHECK_STR(again, dot);
        wa_render_free(dot);
        wa_render_free(again);
        snap_free(s);
    }
}

/* Ids come from addresses, not load order: the binary form of a snapshot
 * draws the same DOT as its JSON Lines form. */
static void test_same_across_formats(void) {
    wa_snapshot *s = load("stt.jsonl");
    CHECK(s != NULL);
    if (!s) return;
    char bin[512];
    snprintf(bin, sizeof bin, "%s/render_stt.wa", WA_TMPDIR);
    wa_error err;
    CHECK(wa_snapshot_save(s, bin, WA_FORMAT_BINARY, &err) == WA_OK);
    wa_snapshot *b = wa_snapshot_load(bin, NULL, &err);
    CHECK(b != NULL);
    for (size_t i = 0; b && i < 4; i++) {
        wa_render_stats st;
        char *x = render_case(&cases[i], s, &st), *y = render_case(&cases[i], b, &st);
        if (x && y) CHECK_STR(y, x);
        wa_render_free(x);
        wa_render_free(y);
    }
    snap_free(b);
    snap_free(s);
    unlink(bin);
}

static void test_backrefs_content(void) {
    wa_snapshot *s = load("stt.jsonl");
    if (!s) return;
    wa_render_stats st;
    char *dot = render_case(&cases[0], s, &st);
    if (dot) {
        /* the chain to the module root, with labels on every hop */
        CHECK(strstr(dot, "\"0x100\" -> \"0x110\" [label=\".__dict__\"]") != NULL);
        /* a cross edge (both ends on one level) keeps its label as an xlabel */
        CHECK(strstr(dot, "\"0x110\" -> \"0x120\" [xlabel=\"['_sessions']\", constraint=false]") !=
              NULL);
        CHECK(strstr(dot, "\"0x130\" -> \"0x200\" [label=\".transcriber\"]") != NULL);
        CHECK(strstr(dot, "\"0x205\" -> \"0x200\" [label=\".__self__\"]") != NULL);
        CHECK(strstr(dot, "\"0x600\" -> \"0x200\" [label=\"[0]\"]") != NULL);
        /* roots by kind, with the external excess */
        CHECK(strstr(dot, "root: module app.stt") != NULL);
        CHECK(strstr(dot, "root: external, excess 1 (refcount 2, 1 seen)") != NULL);
        CHECK(strstr(dot, "#ffd54f") != NULL); /* selected */
        CHECK(strstr(dot, "#c5e1a5") != NULL); /* module root */
        CHECK(strstr(dot, "#ef9a9a") != NULL); /* external root */
        /* type, short name, sizes */
        CHECK(strstr(dot, "azure.cognitiveservices.speech.transcription."
                          "ConversationTranscriber\\n56 B / 313 KiB retained") != NULL);
        CHECK(strstr(dot, "method\\non_transcribed\\n64 B") != NULL);
        CHECK(strstr(dot, "dict\\nlen=4") != NULL);
        CHECK(strstr(dot, "layout=dot") != NULL);
        CHECK_EQ_U64(st.selected, 1);
        CHECK_EQ_U64(st.selected_drawn, 1);
        CHECK(st.roots_drawn >= 2);
        CHECK_EQ_U64(st.mode, WA_RENDER_BACKREFS);
        CHECK_STR(st.engine, "dot");
    }
    wa_render_free(dot);
    /* a weak reference is drawn dashed, and does not make a path */
    uint64_t a[] = {0x220, 0};
    uint32_t sel[2];
    pick(s, a, sel);
    wa_render_options o;
    wa_render_options_init(&o);
    o.mode = WA_RENDER_BACKREFS;
    wa_error err;
    dot = wa_render_dot(sess(s), sel, 1, &o, NULL, &st, &err);
    CHECK(dot != NULL);
    if (dot) {
        CHECK(strstr(dot, "\"0x900\" -> \"0x220\" [label=\"<weak>\", style=dashed") != NULL);
        CHECK(strstr(dot, "\"0x150\" -> \"0x220\" [label=\".transcriber\"]") != NULL);
    }
    wa_render_free(dot);
    /* an unreachable selected object says so */
    uint64_t u[] = {0x230, 0};
    pick(s, u, sel);
    dot = wa_render_dot(sess(s), sel, 1, &o, NULL, &st, &err);
    CHECK(dot != NULL);
    if (dot) CHECK(strstr(dot, "unreachable from every root") != NULL);
    CHECK_EQ_U64(st.unreachable, 1);
    wa_render_free(dot);
    snap_free(s);
}

static void test_paths_content(void) {
    wa_snapshot *s = load("stt.jsonl");
    if (!s) return;
    wa_render_stats st;
    char *dot = render_case(&cases[2], s, &st);
    if (dot) {
        CHECK_EQ_U64(st.mode, WA_RENDER_PATHS);
        CHECK_EQ_U64(st.selected, 4);
        CHECK(st.clusters >= 2);
        CHECK(strstr(dot, "retention paths of 4 selected objects") != NULL);
        CHECK(strstr(dot, "unreachable from every root") != NULL);
    }
    wa_render_free(dot);
    /* AUTO picks paths above five selected objects, backrefs below */
    uint32_t sel[8];
    size_t n =
        of_type(s, "azure.cognitiveservices.speech.transcription.ConversationTranscriber", sel);
    wa_render_options o;
    wa_render_options_init(&o);
    wa_error err;
    dot = wa_render_dot(sess(s), sel, n, &o, NULL, &st, &err);
    CHECK_EQ_U64(st.mode, WA_RENDER_BACKREFS);
    wa_render_free(dot);
    uint32_t many[8] = {sel[0], sel[1], sel[2], sel[3], sel[0], sel[1]};
    dot = wa_render_dot(sess(s), many, 6, &o, NULL, &st, &err);
    CHECK_EQ_U64(st.mode, WA_RENDER_PATHS);
    CHECK_EQ_U64(st.selected, 4); /* duplicates ignored */
    wa_render_free(dot);
    snap_free(s);
}

/* The motivating leak: 12 sessions' transcribers are one cluster drawn as
 * "12 x ConversationTranscriber" under the shared module and dict. */
static void test_leak_clusters(void) {
    wa_snapshot *s = load("leak.jsonl");
    if (!s) return;
    wa_render_stats st;
    char *dot = render_case(&cases[8], s, &st);
    if (dot) {
        CHECK_EQ_U64(st.mode, WA_RENDER_PATHS);
        CHECK_EQ_U64(st.selected, 17);
        CHECK_EQ_U64(st.clusters, 4);
        CHECK_EQ_U64(st.clusters_drawn, 4);
        CHECK(strstr(
                  dot,
                  "12 x azure.cognitiveservices.speech.transcription.ConversationTranscriber\\n3.7 "
                  "MiB retained") != NULL);
        CHECK(strstr(dot, "3 x method") != NULL);
        /* the _sessions items are the cut: drawn red */
        CHECK(strstr(dot, "\"0x1200\" -> \"group:0x2000:0\" [label=\"[*]\", color=\"#d32f2f\"") !=
              NULL);
        CHECK(strstr(dot, "\"0x1100\" -> \"0x1200\" [label=\"['_sessions']\"]") != NULL);
        CHECK(strstr(dot, "shape=box3d") != NULL);
    }
    wa_render_free(dot);
    /* max-paths cuts the smaller clusters and says so */
    uint32_t sel[32];
    size_t n =
        of_type(s, "azure.cognitiveservices.speech.transcription.ConversationTranscriber", sel);
    wa_render_options o;
    wa_render_options_init(&o);
    o.max_paths = 1;
    wa_error err;
    dot = wa_render_dot(sess(s), sel, n, &o, NULL, &st, &err);
    CHECK(dot != NULL);
    CHECK_EQ_U64(st.clusters_drawn, 1);
    if (dot)
        CHECK(strstr(dot, "not drawn: 3 smaller clusters (5 objects) beyond max-paths 1") != NULL);
    wa_render_free(dot);
    snap_free(s);
}

static void test_fan_in(void) {
    wa_snapshot *s = load("fanin.jsonl");
    if (!s) return;
    wa_render_stats st;
    char *dot = render_case(&cases[5], s, &st);
    if (dot) {
        /* 20 referrers: the one on the shortest path plus 4 drawn, 15 in one node */
        CHECK_EQ_U64(st.collapsed_nodes, 1);
        CHECK_EQ_U64(st.collapsed, 15);
        CHECK(strstr(dot, "15 more referrers") != NULL);
        CHECK(strstr(dot, "shape=note") != NULL);
        CHECK(strstr(dot, "collapsed: 15 referrers into 1 \\\"more\\\" node (fan-in 4)") != NULL);
        CHECK(strstr(dot, "root: module app.cache") != NULL);
    }
    wa_render_free(dot);
    snap_free(s);
}

static void test_max_nodes(void) {
    wa_snapshot *s = load("wide.jsonl");
    if (!s) return;
    wa_render_stats st;
    char *dot = render_case(&cases[6], s, &st);
    if (dot) {
        CHECK(st.nodes <= 20);
        CHECK(st.cut_max_nodes > 0);
        CHECK(strstr(dot, "not drawn: ") != NULL);
        CHECK(strstr(dot, "beyond max-nodes 20") != NULL);
        /* the chain to the root survived the cut */
        CHECK(strstr(dot, "root: module app.wide") != NULL);
    }
    wa_render_free(dot);
    dot = render_case(&cases[7], s, &st);
    if (dot) {
        CHECK(st.cut_depth > 0);
        CHECK(strstr(dot, "beyond depth 1") != NULL);
        CHECK(strstr(dot, "root: module app.wide") != NULL);
    }
    wa_render_free(dot);
    snap_free(s);
}

static void test_dominators_content(void) {
    wa_snapshot *s = load("stt.jsonl");
    if (!s) return;
    wa_render_stats st;
    char *dot = render_case(&cases[3], s, &st);
    if (dot) {
        CHECK_EQ_U64(st.mode, WA_RENDER_DOMINATORS);
        CHECK_EQ_U64(st.selected_drawn, 2);
        CHECK(strstr(dot, "\"0x110\" -> \"0x120\" [label=\"['_sessions']\"]") != NULL);
        CHECK(strstr(dot, "\"0x200\" -> \"0x201\" [label=\"._audio\"]") != NULL);
        CHECK(strstr(dot, "dominator chains of 2 of 2 selected objects") != NULL);
    }
    wa_render_free(dot);
    snap_free(s);
}

/* Quotes and backslashes in labels survive into DOT that Graphviz reads. */
static void test_escaping(void) {
    wa_snapshot *s = load("roots.jsonl");
    if (!s) return;
    uint64_t a[] = {0x41, 0};
    uint32_t sel[2];
    pick(s, a, sel);
    wa_render_options o;
    wa_render_options_init(&o);
    o.format = WA_RENDER_FMT_SVG;
    char *data = NULL;
    size_t len = 0;
    wa_render_stats st;
    wa_error err;
    CHECK(wa_render_data(sess(s), sel, 1, &o, &data, &len, &st, &err) == WA_OK);
    if (data) {
        CHECK(strstr(data, "cache &quot;quoted&quot; \\ back") != NULL);
        CHECK(strstr(data, "root: thread Worker&#45;1 (77)") != NULL);
        CHECK(strstr(data, "root: interpreter builtins") != NULL);
        CHECK(strstr(data, "root: external, excess 3 (refcount 4, 1 seen)") != NULL);
        CHECK(strstr(data, "&lt;closure item&gt;") != NULL);
        CHECK(strstr(data, "f_locals.item") != NULL);
        CHECK(strstr(data, "...") != NULL); /* long value snippet cut */
    }
    wa_render_free(data);
    snap_free(s);
}

static int no_leftovers(const char *dir, const char *base) {
    DIR *d = opendir(dir);
    if (!d) return 1;
    struct dirent *e;
    int clean = 1;
    while ((e = readdir(d)))
        if (strstr(e->d_name, base)) clean = 0;
    closedir(d);
    return clean;
}

static void test_outputs(void) {
    wa_snapshot *s = load("stt.jsonl");
    if (!s) return;
    uint64_t a[] = {0x200, 0};
    uint32_t sel[2];
    pick(s, a, sel);
    const char *exts[] = {"svg", "png", "pdf", "dot"};
    for (int i = 0; i < 4; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/render_out.%s", WA_TMPDIR, exts[i]);
        unlink(path);
        wa_render_stats st;
        wa_error err;
        wa_status rc = wa_render_graph(sess(s), sel, 1, NULL, path, &st, &err);
        if (rc != WA_OK) fprintf(stderr, "%s: %s\n", path, wa_error_string(&err));
        CHECK(rc == WA_OK);
        size_t len = 0;
        char *d = slurp(path, &len);
        CHECK(d != NULL);
        CHECK_EQ_U64(len, st.bytes);
        if (d && i == 0) {
            CHECK(strstr(d, "<svg") != NULL);
            CHECK(strstr(d, "fill=\"#ffd54f\"") != NULL);
            CHECK(strstr(d, "ConversationTranscriber") != NULL);
        }
        if (d && i == 1) {
            CHECK(len > 8 && memcmp(d, "\x89PNG", 4) == 0);
            /* the whole image, NULs included: the last chunk is IEND */
            CHECK(len > 12 && memcmp(d + len - 8, "IEND", 4) == 0);
        }
        if (d && i == 2) CHECK(len > 5 && memcmp(d, "%PDF", 4) == 0);
        if (d && i == 3) CHECK(strncmp(d, "digraph whyalive {", 18) == 0);
        free(d);
        CHECK(no_leftovers(WA_TMPDIR, ".render_out."));
        unlink(path);
    }
    snap_free(s);
}

static void test_errors(void) {
    wa_snapshot *s = load("stt.jsonl");
    if (!s) return;
    uint64_t a[] = {0x200, 0};
    uint32_t sel[2];
    pick(s, a, sel);
    wa_error err;
    char path[512];

    /* unknown format by extension: WA_ERR_ARG, nothing written */
    snprintf(path, sizeof path, "%s/render_bad.txt", WA_TMPDIR);
    unlink(path);
    CHECK(wa_render_graph(sess(s), sel, 1, NULL, path, NULL, &err) == WA_ERR_ARG);
    CHECK(strstr(wa_error_string(&err), "unknown output format") != NULL);
    CHECK(access(path, F_OK) != 0);

    /* unwritable: a directory that does not exist */
    CHECK(wa_render_graph(sess(s), sel, 1, NULL, "/nonexistent-dir/x.svg", NULL, &err) ==
          WA_ERR_IO);
    CHECK(strstr(wa_error_string(&err), "/nonexistent-dir/x.svg") != NULL);

    /* the path is a directory */
    snprintf(path, sizeof path, "%s/render_dir.svg", WA_TMPDIR);
    mkdir(path, 0700);
    CHECK(wa_render_graph(sess(s), sel, 1, NULL, path, NULL, &err) == WA_ERR_IO);
    CHECK(strstr(wa_error_string(&err), "is a directory") != NULL);
    rmdir(path);

    /* an unknown engine fails before anything is created */
    wa_render_options o;
    wa_render_options_init(&o);
    o.engine = "bogus";
    snprintf(path, sizeof path, "%s/render_engine.svg", WA_TMPDIR);
    unlink(path);
    CHECK(wa_render_graph(sess(s), sel, 1, &o, path, NULL, &err) == WA_ERR_ARG);
    CHECK(strstr(wa_error_string(&err), "bogus") != NULL);
    CHECK(access(path, F_OK) != 0);
    CHECK(no_leftovers(WA_TMPDIR, ".render_engine."));

    /* an existing file is left as it was when rendering fails */
    FILE *f = fopen(path, "wb");
    fputs("previous", f);
    fclose(f);
    CHECK(wa_render_graph(sess(s), sel, 1, &o, path, NULL, &err) == WA_ERR_ARG);
    char *d = slurp(path, NULL);
    CHECK(d && strcmp(d, "previous") == 0);
    free(d);
    unlink(path);

    /* empty selection, index out of range, data without a format */
    CHECK(wa_render_dot(sess(s), sel, 0, NULL, NULL, NULL, &err) == NULL);
    CHECK(err.code == WA_ERR_ARG);
    uint32_t bad = 99999;
    CHECK(wa_render_dot(sess(s), &bad, 1, NULL, NULL, NULL, &err) == NULL);
    CHECK(err.code == WA_ERR_ARG);
    char *data;
    size_t len;
    CHECK(wa_render_data(sess(s), sel, 1, NULL, &data, &len, NULL, &err) == WA_ERR_ARG);
    CHECK(data == NULL);

    /* names */
    CHECK(wa_render_format_from_path("a/b.SVG") == WA_RENDER_FMT_SVG);
    CHECK(wa_render_format_from_path("a.gv") == WA_RENDER_FMT_DOT);
    CHECK(wa_render_format_from_path("a.jpeg") == WA_RENDER_FMT_AUTO);
    CHECK(wa_render_format_parse("pdf") == WA_RENDER_FMT_PDF);
    CHECK(wa_render_format_parse("gif") == WA_RENDER_FMT_AUTO);
    CHECK(wa_render_mode_parse("dominators") == WA_RENDER_DOMINATORS);
    CHECK(wa_render_mode_parse("nope") == -1);
    snap_free(s);
}

static void test_sfdp_switch(void) {
    wa_snapshot *s = load("wide.jsonl");
    if (!s) return;
    uint64_t a[] = {0x3000, 0};
    uint32_t sel[2];
    pick(s, a, sel);
    wa_render_options o;
    wa_render_options_init(&o);
    o.fan_in = 100;
    o.sfdp_above = 50;
    o.format = WA_RENDER_FMT_SVG;
    char *data = NULL;
    size_t len = 0;
    wa_render_stats st;
    wa_error err;
    CHECK(wa_render_data(sess(s), sel, 1, &o, &data, &len, &st, &err) == WA_OK);
    CHECK(st.nodes > 50);
    CHECK_STR(st.engine, "sfdp");
    if (data) CHECK(strstr(data, "<svg") != NULL);
    wa_render_free(data);
    snap_free(s);
}

/* Graphviz is not thread-safe: the library serializes. Four threads render
 * at once and all get the same SVG. */
typedef struct tjob {
    wa_session *s;
    uint32_t sel;
    char *data;
    size_t len;
    wa_status rc;
} tjob;

static void *thread_main(void *arg) {
    tjob *j = arg;
    wa_render_options o;
    wa_render_options_init(&o);
    o.format = WA_RENDER_FMT_SVG;
    wa_error err;
    for (int k = 0; k < 3; k++) {
        wa_render_free(j->data);
        j->rc = wa_render_data(j->s, &j->sel, 1, &o, &j->data, &j->len, NULL, &err);
        if (j->rc != WA_OK) break;
    }
    return NULL;
}

static void test_threads(void) {
    wa_snapshot *s = load("stt.jsonl");
    if (!s) return;
    tjob jobs[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        memset(&jobs[i], 0, sizeof jobs[i]);
        jobs[i].s = sess(s);
        jobs[i].sel = wa_snapshot_find(s, 0x200);
        pthread_create(&th[i], NULL, thread_main, &jobs[i]);
    }
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < 4; i++) {
        CHECK(jobs[i].rc == WA_OK);
        if (i && jobs[i].data && jobs[0].data) {
            int same =
                jobs[i].len == jobs[0].len && memcmp(jobs[i].data, jobs[0].data, jobs[0].len) == 0;
            if (!same) {
                char p0[512], p1[512];
                snprintf(p0, sizeof p0, "%s/thread0.svg", WA_TMPDIR);
                snprintf(p1, sizeof p1, "%s/thread%d.svg", WA_TMPDIR, i);
                FILE *f = fopen(p0, "wb");
                if (f) {
                    fwrite(jobs[0].data, 1, jobs[0].len, f);
                    fclose(f);
                }
                f = fopen(p1, "wb");
                if (f) {
                    fwrite(jobs[i].data, 1, jobs[i].len, f);
                    fclose(f);
                }
                fprintf(stderr, "thread %d rendered a different SVG: see %s and %s\n", i, p0, p1);
            }
            CHECK(same);
        }
    }
    for (int i = 0; i < 4; i++) wa_render_free(jobs[i].data);
    snap_free(s);
}

int main(void) {
    RUN(test_goldens);
    RUN(test_same_across_formats);
    RUN(test_backrefs_content);
    RUN(test_paths_content);
    RUN(test_leak_clusters);
    RUN(test_fan_in);
    RUN(test_max_nodes);
    RUN(test_dominators_content);
    RUN(test_escaping);
    RUN(test_outputs);
    RUN(test_errors);
    RUN(test_sfdp_switch);
    RUN(test_threads);
    wa_render_shutdown();
    return wa_test_result();
}
