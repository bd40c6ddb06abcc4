/* The streaming writer (both formats) and the binary reader. */
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

#include "wa_test.h"
#include "whyalive/whyalive.h"

/* A ring of n objects with back edges, written through the writer. On a
 * failure the writer is aborted (nothing may be left behind). */
#define TRY(call)                                                                                  \
    do {                                                                                           \
        if ((call) != WA_OK) {                                                                     \
            wa_writer_abort(w);                                                                    \
            return err->code;                                                                      \
        }                                                                                          \
    } while (0)
static wa_status write_ring(const char *path, wa_format fmt, uint32_t n, int stop_early,
                            wa_error *err) {
    wa_writer *w = wa_writer_open(path, fmt, err);
    if (!w) return err->code;
    wa_meta m;
    memset(&m, 0, sizeof m);
    m.tool_version = "0.1.0";
    m.python_version = "3.12.1";
    m.pid = 7;
    m.seconds = 1.5;
    TRY(wa_writer_meta(w, &m, err));
    uint32_t tn = wa_writer_type(w, "ring.Node", "ring", err);
    uint32_t tl = wa_writer_type(w, "builtins.list", "builtins", err);
    uint32_t nxt = wa_writer_intern(w, "next", 4, err);
    uint32_t site = wa_writer_intern(w, "ring.py:1", 9, err);
    uint32_t site2 = wa_writer_intern(w, "ring.py:2", 9, err);
    /* invalid UTF-8 is replaced, not fatal, in a writer */
    uint32_t bad = wa_writer_intern(w, "x\xff", 2, err);
    if (bad == WA_NONE) {
        wa_writer_abort(w);
        return err->code;
    }
    TRY(wa_writer_begin(w, n, err));
    for (uint32_t i = 0; i < n; i++) {
        if (stop_early && i == n / 2) break;
        wa_object o;
        memset(&o, 0, sizeof o);
        o.addr = 0x10000 + (uint64_t)i * 32;
        o.size = 48 + i % 7;
        o.type = i % 10 == 0 ? tl : tn;
        o.refcount = 1;
        o.name = i == 0 ? bad : 0;
        wa_writer_edge e[2] = {
            {0x10000 + (uint64_t)((i + 1) % n) * 32, (i + 1) % n, WA_LABEL(WA_EDGE_ATTR, nxt)},
            {0x10000 + (uint64_t)(i / 2) * 32, i / 2, WA_LABEL(WA_EDGE_INDEX, i)}};
        TRY(wa_writer_object(w, &o, e, i % 3 ? 2 : 1, err));
        /* sites follow their object; a second one for the same object wins */
        if (i % 5 == 0) TRY(wa_writer_site(w, i, site, err));
        if (i % 7 == 0) TRY(wa_writer_site(w, i, site2, err));
    }
    TRY(wa_writer_root(w, 0, 0x10000, WA_ROOT_MODULE, tn, 0, err));
    if (n > 3) TRY(wa_writer_root(w, 3, 0x10000 + 3 * 32, WA_ROOT_EXTERNAL, 0, 5, err));
    wa_writer_stats st;
    return wa_writer_commit(w, &st, err);
}

static void check_ring(wa_snapshot *s, uint32_t n) {
    CHECK_EQ_U64(wa_snapshot_n_objects(s), n);
    uint64_t edges = 0;
    for (uint32_t i = 0; i < n; i++) edges += i % 3 ? 2 : 1;
    CHECK_EQ_U64(wa_snapshot_n_edges(s), edges);
    CHECK_EQ_U64(wa_snapshot_find(s, 0x10000 + 5 * 32), 5);
    CHECK_STR(wa_snapshot_type_name(s, wa_snapshot_objects(s)[10].type), "builtins.list");
    CHECK_STR(wa_snapshot_type_module(s, wa_snapshot_objects(s)[11].type), "ring");
    CHECK_STR(wa_snapshot_string(s, wa_snapshot_objects(s)[0].name), "x\xef\xbf\xbd");
    CHECK_STR(wa_snapshot_site(s, 5), "ring.py:1");
    CHECK_STR(wa_snapshot_site(s, 14), "ring.py:2");
    CHECK_STR(wa_snapshot_site(s, 35), "ring.py:2"); /* two sites: the last wins */
    CHECK_STR(wa_snapshot_site(s, 0), "ring.py:2");
    CHECK_STR(wa_snapshot_site(s, 12), "");
    CHECK_STR(wa_snapshot_site(s, 1), "");
    CHECK_EQ_U64(wa_snapshot_n_roots(s), 2);
    CHECK_EQ_U64(wa_snapshot_roots(s)[1].excess, 5);
    CHECK(wa_snapshot_meta(s)->seconds == 1.5);
    CHECK_EQ_U64(wa_snapshot_meta(s)->pid, 7);
    const uint32_t *src;
    CHECK_EQ_U64(wa_snapshot_in(s, 1, &src), 2); /* from 0 (next) and 2 (i/2; 3 has one edge) */
    char buf[64];
    const wa_edge *e;
    wa_snapshot_out(s, 4, &e);
    wa_label_format(s, e[0].label, buf, sizeof buf);
    CHECK_STR(buf, ".next");
    wa_label_format(s, e[1].label, buf, sizeof buf);
    CHECK_STR(buf, "[4]");
}

static void test_writer_both_formats(void) {
    const char *names[] = {"ring.wa", "ring.jsonl"};
    for (int f = 0; f < 2; f++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", WA_TMPDIR, names[f]);
        wa_error err;
        wa_status st = write_ring(path, WA_FORMAT_AUTO, 1000, 0, &err);
        if (st) fprintf(stderr, "%s\n", wa_error_string(&err));
        CHECK(st == WA_OK);
        struct stat sb;
        CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
        wa_snapshot *s = wa_snapshot_load(path, NULL, &err);
        if (!s) fprintf(stderr, "%s\n", wa_error_string(&err));
        CHECK(s != NULL);
        if (s) {
            check_ring(s, 1000);
            wa_snapshot_free(s);
        }
        remove(path);
    }
    CHECK_EQ_U64(temp_files_left(), 0);
}

static void test_writer_failure_leaves_nothing(void) {
    char path[512];
    snprintf(path, sizeof path, "%s/fail.wa", WA_TMPDIR);
    remove(path);
    wa_error err;
    CHECK(write_ring(path, WA_FORMAT_BINARY, 100, 1, &err) == WA_ERR_ARG);
    CHECK(access(path, F_OK) != 0);
    CHECK_EQ_U64(temp_files_left(), 0);
    /* an existing file survives a failed rewrite intact */
    CHECK(write_ring(path, WA_FORMAT_BINARY, 50, 0, &err) == WA_OK);
    CHECK(write_ring(path, WA_FORMAT_BINARY, 100, 1, &err) == WA_ERR_ARG);
    wa_snapshot *s = wa_snapshot_load(path, NULL, &err);
    CHECK(s && wa_snapshot_n_objects(s) == 50);
    wa_snapshot_free(s);
    /* abort */
    wa_writer *w = wa_writer_open(path, WA_FORMAT_JSONL, &err);
    CHECK(w != NULL);
    CHECK(wa_writer_begin(w, 3, &err) == WA_OK);
    wa_writer_abort(w);
    CHECK_EQ_U64(temp_files_left(), 0);
    /* bad target index is refused, and the writer stays failed */
    w = wa_writer_open(path, WA_FORMAT_BINARY, &err);
    uint32_t t = wa_writer_type(w, "a.B", "a", &err);
    CHECK(wa_writer_begin(w, 1, &err) == WA_OK);
    wa_object o = {1, 1, t, 1, 0, 0, 0, 0};
    wa_writer_edge e = {2, 7, 0};
    CHECK(wa_writer_object(w, &o, &e, 1, &err) == WA_ERR_ARG);
    CHECK(wa_writer_commit(w, NULL, &err) != WA_OK);
    CHECK_EQ_U64(temp_files_left(), 0);
    s = wa_snapshot_load(path, NULL, &err);
    CHECK(s && wa_snapshot_n_objects(s) == 50);
    wa_snapshot_free(s);
    remove(path);
    /* a directory that does not exist */
    CHECK(wa_writer_open("/nonexistent-dir/x.wa", WA_FORMAT_AUTO, &err) == NULL);
    CHECK_EQ_U64(err.code, WA_ERR_IO);
}

static void test_binary_memory_and_empty(void) {
    char path[512];
    snprintf(path, sizeof path, "%s/empty.wa", WA_TMPDIR);
    wa_error err;
    wa_writer *w = wa_writer_open(path, WA_FORMAT_BINARY, &err);
    CHECK(wa_writer_begin(w, 0, &err) == WA_OK);
    CHECK(wa_writer_commit(w, NULL, &err) == WA_OK);
    wa_snapshot *s = wa_snapshot_load(path, NULL, &err);
    CHECK(s && wa_snapshot_n_objects(s) == 0 && wa_snapshot_n_edges(s) == 0);
    wa_snapshot_free(s);
    FILE *f = fopen(path, "rb");
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    s = wa_snapshot_load_memory(buf, n, "buf", NULL, &err);
    CHECK(s != NULL);
    wa_snapshot_free(s);
    wa_load_options o = {WA_FORMAT_JSONL, NULL, NULL, 0};
    s = wa_snapshot_load(path, &o, &err); /* forced to the wrong reader */
    CHECK(s == NULL && err.code == WA_ERR_FORMAT);
    remove(path);
}

int main(void) {
    RUN(test_writer_both_formats);
    RUN(test_writer_failure_leaves_nothing);
    RUN(test_binary_memory_and_empty);
    return wa_test_result();
}
