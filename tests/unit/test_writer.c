/* The streaming writer's per-object contracts (whyalive/writer.h): the binary
 * OUT_OFFSETS section streams right behind OBJECTS, a site is accepted only
 * right after its object, the dump's duration can be given at the end, the
 * memory held does not grow with the object count; and files in the older
 * binary section order still load. */
#include <dirent.h>
#include <malloc.h>
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format/format_impl.h"
#include "wa_test.h"
#include "whyalive/whyalive.h"

#if defined(__SANITIZE_ADDRESS__)
#define WA_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WA_TEST_ASAN 1
#endif
#endif

static void tmp_path(char *buf, size_t n, const char *name) {
    snprintf(buf, n, "%s/%s", WA_TMPDIR, name);
}

/* ---------------- a generated graph ---------------- */

#define BIG_OBJ 7u /* one object with many edges */
#define BIG_DEG 5000u

static uint64_t addr_of(uint32_t i) { return 0x100000 + (uint64_t)i * 16; }

/* 0 edges for every fourth object, BIG_DEG for BIG_OBJ, else 1..3 (+ a few
 * hundred now and then) */
static uint32_t deg(uint32_t i) {
    if (i == BIG_OBJ) return BIG_DEG;
    if (i % 4 == 0) return 0;
    return i % 101 == 1 ? 300 : i % 4;
}
static uint32_t target(uint32_t i, uint32_t k, uint32_t n) {
    return (uint32_t)(((uint64_t)i * 31 + (uint64_t)k * 7 + k / 3) % n);
}
static const char *const attr_names[5] = {"alpha", "beta", "gamma", "delta", "epsilon"};

typedef struct gopts {
    int set_after_begin, set_after_objects, set_after_roots; /* wa_writer_set_seconds calls */
    double s1, s2, s3;
    double meta_seconds;
    int sites; /* a site on every third object, two on every ninth */
} gopts;

/* Writes the graph; on failure aborts the writer and returns the code. */
static wa_status write_graph(const char *path, wa_format fmt, uint32_t n, const gopts *g,
                             wa_error *err) {
    wa_writer *w = wa_writer_open(path, fmt, err);
    if (!w) return err->code;
    wa_writer_edge *e = malloc(BIG_DEG * sizeof *e);
    wa_status st = WA_OK;
#define TRY(call)                                                                                  \
    do {                                                                                           \
        if ((st = (call)) != WA_OK) goto out;                                                      \
    } while (0)
    wa_meta m;
    memset(&m, 0, sizeof m);
    m.tool_version = "0.1.0";
    m.pid = 42;
    m.seconds = g->meta_seconds;
    TRY(wa_writer_meta(w, &m, err));
    uint32_t t = wa_writer_type(w, "gen.Node", "gen", err);
    uint32_t names[5], s1 = wa_writer_intern(w, "gen.py:1", 8, err),
                       s2 = wa_writer_intern(w, "gen.py:2", 8, err);
    for (int k = 0; k < 5; k++)
        names[k] = wa_writer_intern(w, attr_names[k], strlen(attr_names[k]), err);
    TRY(wa_writer_begin(w, n, err));
    if (g->set_after_begin) TRY(wa_writer_set_seconds(w, g->s1, err));
    for (uint32_t i = 0; i < n; i++) {
        wa_object o;
        memset(&o, 0, sizeof o);
        o.addr = addr_of(i);
        o.size = 16 + i % 9;
        o.type = t;
        o.refcount = 1;
        uint32_t d = deg(i);
        for (uint32_t k = 0; k < d; k++) {
            uint32_t to = target(i, k, n);
            e[k].to = to;
            e[k].to_addr = addr_of(to);
            e[k].label = k % 3 == 0   ? WA_LABEL(WA_EDGE_INDEX, k)
                         : k % 3 == 1 ? WA_LABEL(WA_EDGE_ATTR, names[k % 5])
                                      : WA_LABEL(WA_EDGE_OTHER, 0);
        }
        TRY(wa_writer_object(w, &o, e, d, err));
        if (g->sites && i % 3 == 0) TRY(wa_writer_site(w, i, s1, err));
        if (g->sites && i % 9 == 0) TRY(wa_writer_site(w, i, s2, err));
    }
    if (g->set_after_objects) TRY(wa_writer_set_seconds(w, g->s2, err));
    if (n) TRY(wa_writer_root(w, 0, addr_of(0), WA_ROOT_MODULE, names[0], 0, err));
    if (g->set_after_roots) TRY(wa_writer_set_seconds(w, g->s3, err));
#undef TRY
    free(e);
    return wa_writer_commit(w, NULL, err);
out:
    free(e);
    wa_writer_abort(w);
    return st;
}

/* Every object's edges, in order, and the offsets. */
static void check_graph(const wa_snapshot *s, uint32_t n, int sites) {
    CHECK_EQ_U64(wa_snapshot_n_objects(s), n);
    uint64_t total = 0;
    for (uint32_t i = 0; i < n; i++) total += deg(i);
    CHECK_EQ_U64(wa_snapshot_n_edges(s), total);
    const uint32_t *off = wa_snapshot_out_offsets(s);
    CHECK_EQ_U64(off[0], 0);
    CHECK_EQ_U64(off[n], total);
    int bad = 0;
    for (uint32_t i = 0; i < n && bad < 5; i++) {
        const wa_edge *e;
        uint32_t d = wa_snapshot_out(s, i, &e);
        if (wa_snapshot_objects(s)[i].addr != addr_of(i) || d != deg(i) ||
            off[i + 1] - off[i] != d) {
            fprintf(stderr, "  object %u: %u edges, expected %u\n", i, d, deg(i));
            bad++;
            continue;
        }
        for (uint32_t k = 0; k < d; k++) {
            uint32_t lab = e[k].label, p = WA_LABEL_PAYLOAD(lab);
            wa_edge_kind kind = WA_LABEL_KIND(lab);
            int ok = e[k].to == target(i, k, n);
            if (k % 3 == 0)
                ok &= kind == WA_EDGE_INDEX && p == k;
            else if (k % 3 == 1)
                ok &= kind == WA_EDGE_ATTR &&
                      strcmp(wa_snapshot_string(s, p), attr_names[k % 5]) == 0;
            else
                ok &= kind == WA_EDGE_OTHER && p == 0;
            if (!ok) {
                fprintf(stderr, "  object %u edge %u: to %u label %08x\n", i, k, e[k].to, lab);
                bad++;
                break;
            }
        }
        if (sites) {
            const char *want = i % 9 == 0 ? "gen.py:2" : i % 3 == 0 ? "gen.py:1" : "";
            if (strcmp(wa_snapshot_site(s, i), want) != 0) {
                fprintf(stderr, "  object %u: site \"%s\", expected \"%s\"\n", i,
                        wa_snapshot_site(s, i), want);
                bad++;
            }
        }
    }
    CHECK(bad == 0);
}

/* ---------------- binary layout ---------------- */

static int read_file(const char *path, unsigned char **data, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    *data = malloc(n > 0 ? (size_t)n : 1);
    *len = *data && n >= 0 ? fread(*data, 1, (size_t)n, f) : 0;
    fclose(f);
    return *data && (long)*len == n ? 0 : -1;
}

/* Payload offset and length of a section, from the TOC; 0 if absent. */
static uint64_t toc_find(const unsigned char *b, size_t n, uint32_t id, uint64_t *len) {
    uint64_t toc;
    uint32_t nt;
    memcpy(&toc, b + n - WA_BIN_FOOTER_SIZE, 8);
    memcpy(&nt, b + n - WA_BIN_FOOTER_SIZE + 8, 4);
    for (uint32_t i = 0; i < nt; i++) {
        const unsigned char *e = b + toc + (uint64_t)i * WA_BIN_TOC_ENTRY;
        uint32_t eid;
        memcpy(&eid, e, 4);
        if (eid != id) continue;
        uint64_t off;
        memcpy(&off, e + 8, 8);
        if (len) memcpy(len, e + 16, 8);
        return off;
    }
    return 0;
}

/* header | OBJECTS | OUT_OFFSETS | EDGES: the streaming writer's order. */
static void check_layout(const char *path, uint32_t n) {
    unsigned char *b = NULL;
    size_t len = 0;
    CHECK(read_file(path, &b, &len) == 0);
    if (!b || len < 64) {
        free(b);
        return;
    }
    uint64_t ol = 0, fl = 0, el = 0;
    uint64_t o = toc_find(b, len, WA_SEC_OBJECTS, &ol),
             f = toc_find(b, len, WA_SEC_OUT_OFFSETS, &fl);
    uint64_t e = toc_find(b, len, WA_SEC_EDGES, &el);
    uint64_t flen = ((uint64_t)n + 1) * 4;
    CHECK_EQ_U64(o, WA_BIN_HEADER_SIZE + WA_BIN_SECTION_HEADER);
    CHECK_EQ_U64(ol, (uint64_t)n * sizeof(wa_object));
    CHECK_EQ_U64(f, o + ol + WA_BIN_SECTION_HEADER);
    CHECK_EQ_U64(fl, flen);
    CHECK_EQ_U64(e, f + ((flen + 7) & ~(uint64_t)7) + WA_BIN_SECTION_HEADER);
    /* the padding after OUT_OFFSETS is zero */
    if (flen & 7) CHECK(memcmp(b + f + flen, "\0\0\0\0", 4) == 0);
    free(b);
}

/* ---------------- tests ---------------- */

static void test_edges_and_offsets_round_trip(void) {
    static const uint32_t sizes[] = {0, 1, 2, 8, 9, 1000, 1001, 20000};
    const char *names[] = {"graph.wa", "graph.jsonl"};
    for (int f = 0; f < 2; f++)
        for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
            uint32_t n = sizes[z];
            char path[512];
            tmp_path(path, sizeof path, names[f]);
            gopts g = {0};
            g.sites = 1;
            wa_error err;
            wa_status st = write_graph(path, WA_FORMAT_AUTO, n, &g, &err);
            if (st) fprintf(stderr, "  n=%u: %s\n", n, wa_error_string(&err));
            CHECK(st == WA_OK);
            wa_snapshot *s = wa_snapshot_load(path, NULL, &err);
            if (!s) fprintf(stderr, "  n=%u %s: %s\n", n, names[f], wa_error_string(&err));
            CHECK(s != NULL);
            if (s) {
                /* BIG_OBJ only exists from n = 8 on; deg() is the truth either way */
                check_graph(s, n, 1);
                wa_snapshot_free(s);
            }
            if (f == 0) check_layout(path, n);
            remove(path);
        }
    CHECK_EQ_U64(temp_files_left(), 0);
}

static double load_seconds(const char *path, int *ok) {
    wa_error err;
    wa_snapshot *s = wa_snapshot_load(path, NULL, &err);
    *ok = s != NULL;
    if (!s) {
        fprintf(stderr, "  %s\n", wa_error_string(&err));
        return NAN;
    }
    double v = wa_snapshot_meta(s)->seconds;
    wa_snapshot_free(s);
    return v;
}

/* First line of a file (without the newline). */
static size_t first_line(const char *path, char *buf, size_t cap) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    size_t n = 0;
    int c;
    while (n + 1 < cap && (c = fgetc(f)) != EOF && c != '\n') buf[n++] = (char)c;
    buf[n] = 0;
    fclose(f);
    return n;
}

static void test_seconds(void) {
    static const double values[] = {0.25, 1.0 / 3.0, 12345.678901, 999999999.999999,
                                    1e9,  3e-7,      0.1};
    /* small: the header is still in the stream buffer at commit; 50000
     * objects: it went to disk long before (and the JSON Lines file is big
     * enough for the parallel reader) */
    static const uint32_t sizes[] = {3, 50000};
    const char *names[] = {"sec.wa", "sec.jsonl"};
    char path[512];
    for (int f = 0; f < 2; f++) {
        tmp_path(path, sizeof path, names[f]);
        for (size_t z = 0; z < 2; z++) {
            uint32_t n = sizes[z];
            for (size_t v = 0; v < sizeof values / sizeof values[0]; v++) {
                /* set once at the very end, after the roots */
                gopts g = {0};
                g.set_after_roots = 1;
                g.s3 = values[v];
                wa_error err;
                CHECK(write_graph(path, WA_FORMAT_AUTO, n, &g, &err) == WA_OK);
                int ok;
                double got = load_seconds(path, &ok);
                CHECK(ok && fabs(got - values[v]) <= 1e-6);
                CHECK(got == values[v]); /* in fact exact: %.17g */
            }
            /* several calls: the last wins; meta's own value is replaced */
            gopts g = {0};
            g.meta_seconds = 7.5;
            g.set_after_begin = g.set_after_objects = 1;
            g.s1 = 1.0;
            g.s2 = 2.75;
            wa_error err;
            CHECK(write_graph(path, WA_FORMAT_AUTO, n, &g, &err) == WA_OK);
            int ok;
            CHECK(load_seconds(path, &ok) == 2.75 && ok);
            /* never set: 0, or what wa_writer_meta was given */
            memset(&g, 0, sizeof g);
            CHECK(write_graph(path, WA_FORMAT_AUTO, n, &g, &err) == WA_OK);
            CHECK(load_seconds(path, &ok) == 0 && ok);
            g.meta_seconds = 0.5;
            CHECK(write_graph(path, WA_FORMAT_AUTO, n, &g, &err) == WA_OK);
            CHECK(load_seconds(path, &ok) == 0.5 && ok);
        }
        remove(path);
    }
    /* JSON Lines: the value is patched in place; the header line keeps its
     * length and stays one JSON object with "seconds" a plain number */
    tmp_path(path, sizeof path, "sec.jsonl");
    char l0[1024], l1[1024];
    gopts g = {0};
    wa_error err;
    CHECK(write_graph(path, WA_FORMAT_JSONL, 5, &g, &err) == WA_OK);
    size_t n0 = first_line(path, l0, sizeof l0);
    g.set_after_roots = 1;
    g.s3 = 999999999.999999;
    CHECK(write_graph(path, WA_FORMAT_JSONL, 5, &g, &err) == WA_OK);
    size_t n1 = first_line(path, l1, sizeof l1);
    CHECK(n0 == n1 && n0 > 0);
    const char *p0 = strstr(l0, "\"seconds\":"), *p1 = strstr(l1, "\"seconds\":");
    CHECK(p0 && p1 && p0 - l0 == p1 - l1);
    if (p0 && p1) {
        CHECK(strcmp(l0 + n0 - 3, " 0}") == 0);
        CHECK(strstr(l1, " 999999999.99999905}") || strstr(l1, " 999999999.999999}"));
        CHECK(strncmp(l0, l1, (size_t)(p0 - l0)) == 0); /* nothing else changed */
    }
    remove(path);
    CHECK_EQ_U64(temp_files_left(), 0);
}

static void test_seconds_misuse(void) {
    const wa_format fmts[] = {WA_FORMAT_BINARY, WA_FORMAT_JSONL};
    for (int f = 0; f < 2; f++) {
        char path[512];
        tmp_path(path, sizeof path, f ? "secbad.jsonl" : "secbad.wa");
        remove(path);
        wa_error err;
        /* before wa_writer_meta */
        wa_writer *w = wa_writer_open(path, fmts[f], &err);
        CHECK(wa_writer_set_seconds(w, 1.0, &err) == WA_ERR_ARG);
        CHECK(strstr(err.what, "before wa_writer_meta") != NULL);
        CHECK(wa_writer_begin(w, 0, &err) != WA_OK); /* the writer failed */
        CHECK(wa_writer_commit(w, NULL, &err) != WA_OK);
        /* not a finite number >= 0 */
        const double badv[] = {NAN, INFINITY, -1.0};
        for (int i = 0; i < 3; i++) {
            w = wa_writer_open(path, fmts[f], &err);
            wa_meta m;
            memset(&m, 0, sizeof m);
            CHECK(wa_writer_meta(w, &m, &err) == WA_OK);
            CHECK(wa_writer_begin(w, 0, &err) == WA_OK);
            CHECK(wa_writer_set_seconds(w, badv[i], &err) == WA_ERR_ARG);
            CHECK(wa_writer_commit(w, NULL, &err) != WA_OK);
        }
        CHECK(access(path, F_OK) != 0);
    }
    CHECK_EQ_U64(temp_files_left(), 0);
}

/* Writes objects 0..2, then `misuse` (which must fail with WA_ERR_ARG and
 * `needle` in the message); the writer is then failed: nothing more is
 * accepted, commit refuses and nothing is left on disk. */
static void site_misuse(wa_format fmt, int misuse, const char *needle, int finish_by_abort) {
    char path[512];
    tmp_path(path, sizeof path, fmt == WA_FORMAT_BINARY ? "site.wa" : "site.jsonl");
    remove(path);
    wa_error err;
    wa_writer *w = wa_writer_open(path, fmt, &err);
    CHECK(w != NULL);
    if (!w) return;
    uint32_t t = wa_writer_type(w, "a.B", "a", &err);
    uint32_t site = wa_writer_intern(w, "a.py:3", 6, &err);
    CHECK(wa_writer_begin(w, 5, &err) == WA_OK);
    if (misuse == 0) CHECK(wa_writer_site(w, 0, site, &err) == WA_ERR_ARG); /* before any object */
    for (uint32_t i = 0; i < 3 && misuse; i++) {
        wa_object o = {0x100 + i * 16, 16, t, 1, 0, 0, 0, 0};
        CHECK(wa_writer_object(w, &o, NULL, 0, &err) == WA_OK);
        CHECK(wa_writer_site(w, i, site, &err) == WA_OK); /* right after its object: fine */
        CHECK(wa_writer_site(w, i, 0, &err) == WA_OK);    /* "no site": accepted, ignored */
    }
    wa_status st = WA_OK;
    switch (misuse) {
    case 1: st = wa_writer_site(w, 1, site, &err); break; /* an older object */
    case 2: st = wa_writer_site(w, 0, 0, &err); break;    /* older, even with no site */
    case 3: st = wa_writer_site(w, 3, site, &err); break; /* not written yet */
    case 4:                                               /* after a root */
        CHECK(wa_writer_root(w, 2, 0x120, WA_ROOT_MODULE, 0, 0, &err) == WA_OK);
        st = wa_writer_site(w, 2, site, &err);
        break;
    }
    if (misuse) CHECK(st == WA_ERR_ARG);
    if (!strstr(err.what, needle)) {
        fprintf(stderr, "  misuse %d: \"%s\" lacks \"%s\"\n", misuse, err.what, needle);
        CHECK(0);
    }
    CHECK(strstr(wa_error_string(&err), path) != NULL); /* names the file */
    /* unusable from now on */
    wa_object o = {0x200, 16, t, 1, 0, 0, 0, 0};
    CHECK(wa_writer_object(w, &o, NULL, 0, &err) == WA_ERR_ARG);
    CHECK(wa_writer_site(w, 3, site, &err) == WA_ERR_ARG);
    if (finish_by_abort) {
        wa_writer_abort(w);
    } else {
        CHECK(wa_writer_commit(w, NULL, &err) == WA_ERR_ARG);
        CHECK(strstr(err.what, "failed earlier") != NULL);
    }
    CHECK(access(path, F_OK) != 0);
    CHECK_EQ_U64(temp_files_left(), 0);
}

static void test_site_contract(void) {
    const wa_format fmts[] = {WA_FORMAT_BINARY, WA_FORMAT_JSONL};
    for (int f = 0; f < 2; f++) {
        site_misuse(fmts[f], 0, "not the object just written", 0);
        site_misuse(fmts[f], 1, "object 1 is not the object just written", 0);
        site_misuse(fmts[f], 1, "directly follow its object", 1);
        site_misuse(fmts[f], 2, "object 0 is not the object just written", 0);
        site_misuse(fmts[f], 3, "object 3 is not written yet", 0);
        site_misuse(fmts[f], 4, "object 2 is not the object just written", 1);
    }
    /* the JSON Lines writer no longer writes separate site lines: each site
     * is a field of its object's line, given once even when set twice */
    char path[512];
    tmp_path(path, sizeof path, "sites.jsonl");
    gopts g = {0};
    g.sites = 1;
    wa_error err;
    CHECK(write_graph(path, WA_FORMAT_JSONL, 30, &g, &err) == WA_OK);
    FILE *fp = fopen(path, "rb");
    static char line[1 << 20];
    int site_lines = 0, twice = 0, with_site = 0;
    while (fp && fgets(line, sizeof line, fp)) {
        if (strncmp(line, "{\"site\"", 7) == 0) site_lines++;
        char *p = strstr(line, "\"site\":");
        if (p) with_site++;
        if (p && strstr(p + 1, "\"site\":")) twice++;
    }
    if (fp) fclose(fp);
    CHECK_EQ_U64(site_lines, 0);
    CHECK_EQ_U64(twice, 0);
    CHECK_EQ_U64(with_site, 10); /* 0, 3, ..., 27 */
    remove(path);
}

/* ---------------- edges given in several calls ---------------- */

#define CH_N 7u       /* objects in the chunked-edges file */
#define CH_BIG 3u     /* the object whose edges come in chunks */
#define CH_DEG 10000u /* its edge count */
#define CH_STEP 7u    /* edges per wa_writer_edges call */

static const char *const ch_names[5] = {"first", "second", "__dict__", "'key'", "x"};

/* 0 edges for objects 1 and 5, CH_DEG for CH_BIG, else 1 + i % 3 */
static uint32_t ch_deg(uint32_t i) {
    if (i == CH_BIG) return CH_DEG;
    if (i == 1 || i == 5) return 0;
    return 1 + i % 3;
}
static uint64_t ch_addr(uint32_t i) { return 0x7f0000001000ull + (uint64_t)i * 48; }
/* edge k of object i: every label kind, index payloads and string payloads */
static wa_writer_edge ch_edge(uint32_t i, uint32_t k, const uint32_t *names) {
    wa_writer_edge e;
    e.to = (uint32_t)(((uint64_t)i * 5 + (uint64_t)k * 3 + k / 11) % CH_N);
    e.to_addr = ch_addr(e.to);
    switch (k % 5) {
    case 0: e.label = WA_LABEL(WA_EDGE_INDEX, k); break;
    case 1: e.label = WA_LABEL(WA_EDGE_ATTR, names[(k / 5 + 1) % 5]); break;
    case 2: e.label = WA_LABEL(WA_EDGE_OTHER, 0); break;
    case 3: e.label = WA_LABEL(WA_EDGE_DICT_VALUE, names[(k / 5) % 5]); break;
    default: e.label = WA_LABEL(WA_EDGE_SET_MEMBER, 0); break;
    }
    return e;
}

/* chunked = 0: every object through wa_writer_object; 1: CH_BIG through
 * wa_writer_object_begin and wa_writer_edges calls of CH_STEP edges (plus a
 * call of 0 edges after the first chunk), the objects without edges through
 * wa_writer_object_begin(.., 0) and no wa_writer_edges call, the others
 * through begin + one wa_writer_edges call. A site follows CH_BIG (and
 * object 5) either way. */
static wa_status write_chunked(const char *path, wa_format fmt, int chunked, wa_error *err) {
    wa_writer *w = wa_writer_open(path, fmt, err);
    if (!w) return err->code;
    wa_writer_edge *all = malloc(CH_DEG * sizeof *all);
    wa_status st = WA_OK;
#define TRY(call)                                                                                  \
    do {                                                                                           \
        if ((st = (call)) != WA_OK) goto out;                                                      \
    } while (0)
    wa_meta m;
    memset(&m, 0, sizeof m);
    m.pid = 7;
    TRY(wa_writer_meta(w, &m, err));
    uint32_t t = wa_writer_type(w, "chunk.Node", "chunk", err);
    uint32_t names[5];
    for (int k = 0; k < 5; k++)
        names[k] = wa_writer_intern(w, ch_names[k], strlen(ch_names[k]), err);
    uint32_t site = wa_writer_intern(w, "chunk.py:9", 10, err);
    TRY(wa_writer_begin(w, CH_N, err));
    for (uint32_t i = 0; i < CH_N; i++) {
        wa_object o;
        memset(&o, 0, sizeof o);
        o.addr = ch_addr(i);
        o.size = 56 + i;
        o.type = t;
        o.refcount = 2;
        o.flags = WA_OBJ_GC_TRACKED;
        uint32_t d = ch_deg(i);
        for (uint32_t k = 0; k < d; k++) all[k] = ch_edge(i, k, names);
        if (!chunked) {
            TRY(wa_writer_object(w, &o, all, d, err));
        } else if (i == CH_BIG) {
            TRY(wa_writer_object_begin(w, &o, d, err));
            for (uint32_t a = 0; a < d; a += CH_STEP) {
                uint32_t k = d - a < CH_STEP ? d - a : CH_STEP;
                /* each call from its own copy: the writer must not keep a pointer */
                wa_writer_edge part[CH_STEP];
                memcpy(part, all + a, k * sizeof *part);
                TRY(wa_writer_edges(w, part, k, err));
                memset(part, 0xA5, sizeof part);
                if (a == 0) TRY(wa_writer_edges(w, all, 0, err)); /* an empty chunk in between */
            }
        } else {
            TRY(wa_writer_object_begin(w, &o, d, err));
            if (d) TRY(wa_writer_edges(w, all, d, err));
        }
        if (i == CH_BIG || i == 5)
            TRY(wa_writer_site(w, i, site, err)); /* accepted once all are given */
    }
    TRY(wa_writer_root(w, CH_BIG, ch_addr(CH_BIG), WA_ROOT_MODULE, names[0], 0, err));
#undef TRY
    free(all);
    return wa_writer_commit(w, NULL, err);
out:
    free(all);
    wa_writer_abort(w);
    return st;
}

/* The label as text: index payloads as numbers, string payloads resolved. */
static void label_text(const wa_snapshot *s, uint32_t label, char *buf, size_t n) {
    wa_edge_kind k = WA_LABEL_KIND(label);
    if (k == WA_EDGE_INDEX)
        snprintf(buf, n, "%d:%u", (int)k, WA_LABEL_PAYLOAD(label));
    else
        snprintf(buf, n, "%d:%s", (int)k, wa_snapshot_string(s, WA_LABEL_PAYLOAD(label)));
}

/* a and b hold the same objects, edges (targets, labels, order), sites and
 * roots; a also is what write_chunked meant to write. */
static void same_chunked(const wa_snapshot *a, const wa_snapshot *b, const char *what) {
    int bad = 0;
    CHECK_EQ_U64(wa_snapshot_n_objects(a), CH_N);
    CHECK_EQ_U64(wa_snapshot_n_objects(b), CH_N);
    uint64_t total = 0;
    for (uint32_t i = 0; i < CH_N; i++) total += ch_deg(i);
    CHECK_EQ_U64(wa_snapshot_n_edges(a), total);
    CHECK_EQ_U64(wa_snapshot_n_edges(b), total);
    CHECK_EQ_U64(wa_snapshot_n_roots(a), 1);
    CHECK_EQ_U64(wa_snapshot_n_roots(b), 1);
    if (wa_snapshot_n_objects(a) != CH_N || wa_snapshot_n_objects(b) != CH_N) return;
    for (uint32_t i = 0; i <= CH_N; i++)
        if (wa_snapshot_out_offsets(a)[i] != wa_snapshot_out_offsets(b)[i]) bad++;
    for (uint32_t i = 0; i < CH_N && bad < 5; i++) {
        const wa_object *oa = &wa_snapshot_objects(a)[i], *ob = &wa_snapshot_objects(b)[i];
        if (oa->addr != ch_addr(i) || ob->addr != oa->addr || ob->size != oa->size ||
            oa->size != 56 + i ||
            strcmp(wa_snapshot_type_name(a, oa->type), wa_snapshot_type_name(b, ob->type)) != 0 ||
            strcmp(wa_snapshot_site(a, i), wa_snapshot_site(b, i)) != 0 ||
            strcmp(wa_snapshot_site(a, i), i == CH_BIG || i == 5 ? "chunk.py:9" : "") != 0) {
            fprintf(stderr, "  %s: object %u differs\n", what, i);
            bad++;
            continue;
        }
        const wa_edge *ea, *eb;
        uint32_t da = wa_snapshot_out(a, i, &ea), db = wa_snapshot_out(b, i, &eb);
        if (da != ch_deg(i) || db != da) {
            fprintf(stderr, "  %s: object %u has %u and %u edges, expected %u\n", what, i, da, db,
                    ch_deg(i));
            bad++;
            continue;
        }
        for (uint32_t k = 0; k < da; k++) {
            char la[128], lb[128], lw[128];
            label_text(a, ea[k].label, la, sizeof la);
            label_text(b, eb[k].label, lb, sizeof lb);
            /* what was given: the string ids of write_chunked are 1..5 in
             * ch_names order in the writer; compare by text */
            uint32_t fake[5] = {1, 2, 3, 4, 5};
            wa_writer_edge want = ch_edge(i, k, fake);
            wa_edge_kind wk = WA_LABEL_KIND(want.label);
            if (wk == WA_EDGE_INDEX)
                snprintf(lw, sizeof lw, "%d:%u", (int)wk, WA_LABEL_PAYLOAD(want.label));
            else if (WA_LABEL_PAYLOAD(want.label) == 0)
                snprintf(lw, sizeof lw, "%d:", (int)wk);
            else
                snprintf(lw, sizeof lw, "%d:%s", (int)wk,
                         ch_names[WA_LABEL_PAYLOAD(want.label) - 1]);
            if (ea[k].to != want.to || eb[k].to != want.to || strcmp(la, lb) != 0 ||
                strcmp(la, lw) != 0) {
                fprintf(stderr,
                        "  %s: object %u edge %u: to %u/%u label %s/%s, expected to %u label %s\n",
                        what, i, k, ea[k].to, eb[k].to, la, lb, want.to, lw);
                bad++;
                break;
            }
        }
    }
    CHECK(bad == 0);
}

static void test_chunked_edges_round_trip(void) {
    const wa_format fmts[] = {WA_FORMAT_BINARY, WA_FORMAT_JSONL};
    const char *one[] = {"whole.wa", "whole.jsonl"}, *many[] = {"chunked.wa", "chunked.jsonl"};
    wa_snapshot *chunked_of[2] = {NULL, NULL};
    for (int f = 0; f < 2; f++) {
        char pa[512], pb[512];
        tmp_path(pa, sizeof pa, many[f]);
        tmp_path(pb, sizeof pb, one[f]);
        wa_error err;
        wa_status st = write_chunked(pa, fmts[f], 1, &err);
        if (st) fprintf(stderr, "  %s: %s\n", many[f], wa_error_string(&err));
        CHECK(st == WA_OK);
        st = write_chunked(pb, fmts[f], 0, &err);
        if (st) fprintf(stderr, "  %s: %s\n", one[f], wa_error_string(&err));
        CHECK(st == WA_OK);
        wa_snapshot *a = wa_snapshot_load(pa, NULL, &err);
        if (!a) fprintf(stderr, "  %s: %s\n", many[f], wa_error_string(&err));
        wa_snapshot *b = wa_snapshot_load(pb, NULL, &err);
        if (!b) fprintf(stderr, "  %s: %s\n", one[f], wa_error_string(&err));
        CHECK(a != NULL && b != NULL);
        if (a && b) same_chunked(a, b, many[f]);
        if (f == 0) check_layout(pa, CH_N);
        /* byte for byte the same file either way (same metadata, no clock) */
        unsigned char *da = NULL, *db = NULL;
        size_t la = 0, lb = 0;
        CHECK(read_file(pa, &da, &la) == 0 && read_file(pb, &db, &lb) == 0);
        CHECK(la == lb && da && db && memcmp(da, db, la) == 0);
        free(da);
        free(db);
        wa_snapshot_free(b);
        chunked_of[f] = a;
        remove(pa);
        remove(pb);
    }
    /* and the two formats agree with each other */
    if (chunked_of[0] && chunked_of[1])
        same_chunked(chunked_of[0], chunked_of[1], "binary vs JSON Lines");
    wa_snapshot_free(chunked_of[0]);
    wa_snapshot_free(chunked_of[1]);
    CHECK_EQ_U64(temp_files_left(), 0);
}

/* Writes object 0 (2 edges), announces object 1 with 5 edges and gives 2
 * of them (none for OWE_SITE_AT_ONCE; cases 1 and 2 give too many instead),
 * then the misuse; it must fail with WA_ERR_ARG, leave the writer failed
 * (the owed edges are refused, commit refuses) and leave no file behind.
 * Object 1 is the last object announced unless another one is needed (so
 * that only the owed edges are wrong). */
enum {
    OWE_TOO_MANY_ONE_CALL = 1, /* edges(6) after begin(5) */
    OWE_TOO_MANY_IN_TOTAL,     /* edges(3), edges(3) after begin(5) */
    OWE_OBJECT,                /* wa_writer_object while edges are owed */
    OWE_OBJECT_BEGIN,          /* wa_writer_object_begin while edges are owed */
    OWE_ROOT,                  /* wa_writer_root while edges are owed */
    OWE_COMMIT,                /* wa_writer_commit while edges are owed */
    OWE_SITE,                  /* wa_writer_site of the object whose edges are owed */
    OWE_SITE_AT_ONCE,          /* the same, before any of its edges */
    OWE_LAST
};
static const char *const owe_names[] = {
    "",     "too many in one call", "too many in total", "object", "object_begin", "root", "commit",
    "site", "site before any edge"};

static void owed_misuse(wa_format fmt, int misuse) {
    char path[512];
    tmp_path(path, sizeof path, fmt == WA_FORMAT_BINARY ? "owed.wa" : "owed.jsonl");
    remove(path);
    wa_error err;
    wa_writer *w = wa_writer_open(path, fmt, &err);
    CHECK(w != NULL);
    if (!w) return;
    wa_meta m;
    memset(&m, 0, sizeof m);
    CHECK(wa_writer_meta(w, &m, &err) == WA_OK);
    uint32_t t = wa_writer_type(w, "a.B", "a", &err);
    uint32_t site = wa_writer_intern(w, "a.py:3", 6, &err);
    uint32_t n = misuse == OWE_OBJECT || misuse == OWE_OBJECT_BEGIN ? 3 : 2;
    CHECK(wa_writer_begin(w, n, &err) == WA_OK);
    wa_writer_edge e[6];
    for (uint32_t k = 0; k < 6; k++) {
        e[k].to = k % 2;
        e[k].to_addr = 0x100 + (k % 2) * 16;
        e[k].label = WA_LABEL(WA_EDGE_INDEX, k);
    }
    wa_object o0 = {0x100, 16, t, 1, 0, 0, 0, 0}, o1 = {0x110, 16, t, 1, 0, 0, 0, 0},
              o2 = {0x120, 16, t, 1, 0, 0, 0, 0};
    CHECK(wa_writer_object(w, &o0, e, 2, &err) == WA_OK);
    CHECK(wa_writer_object_begin(w, &o1, 5, &err) == WA_OK);
    wa_status st = WA_OK;
    uint32_t given = 2;
    switch (misuse) {
    case OWE_TOO_MANY_ONE_CALL:
        st = wa_writer_edges(w, e, 6, &err);
        given = 0;
        break;
    case OWE_TOO_MANY_IN_TOTAL:
        CHECK(wa_writer_edges(w, e, 3, &err) == WA_OK);
        st = wa_writer_edges(w, e + 3, 3, &err);
        given = 3;
        break;
    case OWE_SITE_AT_ONCE:
        st = wa_writer_site(w, 1, site, &err);
        given = 0;
        break;
    default:
        CHECK(wa_writer_edges(w, e, 2, &err) == WA_OK);
        switch (misuse) {
        case OWE_OBJECT: st = wa_writer_object(w, &o2, NULL, 0, &err); break;
        case OWE_OBJECT_BEGIN: st = wa_writer_object_begin(w, &o2, 0, &err); break;
        case OWE_ROOT: st = wa_writer_root(w, 0, 0x100, WA_ROOT_MODULE, 0, 0, &err); break;
        case OWE_COMMIT:
            st = wa_writer_commit(w, NULL, &err);
            w = NULL;
            break;
        case OWE_SITE: st = wa_writer_site(w, 1, site, &err); break;
        }
    }
    if (st != WA_ERR_ARG)
        fprintf(stderr, "  %s: misuse \"%s\" returned %d\n", path, owe_names[misuse], (int)st);
    CHECK(st == WA_ERR_ARG);
    CHECK(strstr(wa_error_string(&err), path) != NULL); /* names the file */
    if (w) {
        /* failed for good: the rest of the owed edges, commit: refused */
        CHECK(wa_writer_edges(w, e, 5 - given, &err) == WA_ERR_ARG);
        CHECK(wa_writer_commit(w, NULL, &err) == WA_ERR_ARG);
    }
    if (access(path, F_OK) == 0)
        fprintf(stderr, "  %s left behind after \"%s\"\n", path, owe_names[misuse]);
    CHECK(access(path, F_OK) != 0);
    CHECK_EQ_U64(temp_files_left(), 0);
}

static void test_chunked_edges_misuse(void) {
    const wa_format fmts[] = {WA_FORMAT_BINARY, WA_FORMAT_JSONL};
    for (int f = 0; f < 2; f++)
        for (int m = 1; m < OWE_LAST; m++) owed_misuse(fmts[f], m);
    /* the control: the same calls without the misuse commit and load */
    for (int f = 0; f < 2; f++) {
        char path[512];
        tmp_path(path, sizeof path, f ? "owed-ok.jsonl" : "owed-ok.wa");
        wa_error err;
        wa_writer *w = wa_writer_open(path, fmts[f], &err);
        wa_meta m;
        memset(&m, 0, sizeof m);
        CHECK(wa_writer_meta(w, &m, &err) == WA_OK);
        uint32_t t = wa_writer_type(w, "a.B", "a", &err);
        uint32_t site = wa_writer_intern(w, "a.py:3", 6, &err);
        CHECK(wa_writer_begin(w, 3, &err) == WA_OK);
        wa_writer_edge e[5];
        for (uint32_t k = 0; k < 5; k++) {
            e[k].to = k % 3;
            e[k].to_addr = 0x100 + (k % 3) * 16;
            e[k].label = WA_LABEL(WA_EDGE_INDEX, k);
        }
        wa_object o0 = {0x100, 16, t, 1, 0, 0, 0, 0}, o1 = {0x110, 16, t, 1, 0, 0, 0, 0},
                  o2 = {0x120, 16, t, 1, 0, 0, 0, 0};
        CHECK(wa_writer_object(w, &o0, e, 2, &err) == WA_OK);
        CHECK(wa_writer_object_begin(w, &o1, 5, &err) == WA_OK);
        CHECK(wa_writer_edges(w, e, 2, &err) == WA_OK);
        CHECK(wa_writer_edges(w, e + 2, 3, &err) == WA_OK);
        CHECK(wa_writer_site(w, 1, site, &err) == WA_OK);
        CHECK(wa_writer_object_begin(w, &o2, 0, &err) == WA_OK);
        CHECK(wa_writer_root(w, 0, 0x100, WA_ROOT_MODULE, 0, 0, &err) == WA_OK);
        CHECK(wa_writer_commit(w, NULL, &err) == WA_OK);
        wa_snapshot *s = wa_snapshot_load(path, NULL, &err);
        CHECK(s && wa_snapshot_n_edges(s) == 7 && wa_snapshot_n_objects(s) == 3);
        if (s) {
            const wa_edge *x;
            CHECK(wa_snapshot_out(s, 1, &x) == 5);
            for (uint32_t k = 0; k < 5; k++)
                CHECK(x[k].to == k % 3 && x[k].label == WA_LABEL(WA_EDGE_INDEX, k));
            CHECK_STR(wa_snapshot_site(s, 1), "a.py:3");
        }
        wa_snapshot_free(s);
        remove(path);
    }
    CHECK_EQ_U64(temp_files_left(), 0);
}

/* Edges when no object waits for them, and a site before any object: a
 * zero-edge call is a no-op (the file stays valid), anything else fails. */
static void test_edges_nobody_waits_for(void) {
    const wa_format fmts[] = {WA_FORMAT_BINARY, WA_FORMAT_JSONL};
    for (int f = 0; f < 2; f++) {
        char path[512];
        tmp_path(path, sizeof path, f ? "unowed.jsonl" : "unowed.wa");
        wa_error err;
        wa_writer *w = wa_writer_open(path, fmts[f], &err);
        wa_meta m;
        memset(&m, 0, sizeof m);
        CHECK(wa_writer_meta(w, &m, &err) == WA_OK);
        uint32_t t = wa_writer_type(w, "a.B", "a", &err);
        uint32_t site = wa_writer_intern(w, "a.py:3", 6, &err);
        CHECK(wa_writer_begin(w, 2, &err) == WA_OK);
        CHECK(wa_writer_edges(w, NULL, 0, &err) == WA_OK); /* before any object */
        wa_object o0 = {0x100, 16, t, 1, 0, 0, 0, 0}, o1 = {0x110, 16, t, 1, 0, 0, 0, 0};
        CHECK(wa_writer_object_begin(w, &o0, 0, &err) == WA_OK);
        CHECK(wa_writer_edges(w, NULL, 0, &err) == WA_OK); /* nothing owed */
        CHECK(wa_writer_object(w, &o1, NULL, 0, &err) == WA_OK);
        CHECK(wa_writer_commit(w, NULL, &err) == WA_OK);
        wa_snapshot *s = wa_snapshot_load(path, NULL, &err);
        CHECK(s && wa_snapshot_n_objects(s) == 2 && wa_snapshot_n_edges(s) == 0);
        wa_snapshot_free(s);
        remove(path);

        /* an edge nobody waits for; a site before any object was written */
        for (int k = 0; k < 2; k++) {
            w = wa_writer_open(path, fmts[f], &err);
            CHECK(wa_writer_meta(w, &m, &err) == WA_OK);
            t = wa_writer_type(w, "a.B", "a", &err);
            site = wa_writer_intern(w, "a.py:3", 6, &err);
            CHECK(wa_writer_begin(w, 1, &err) == WA_OK);
            wa_writer_edge e = {0x100, 0, WA_LABEL(WA_EDGE_INDEX, 0)};
            if (k == 0) {
                CHECK(wa_writer_object_begin(w, &o0, 0, &err) == WA_OK);
                CHECK(wa_writer_edges(w, &e, 1, &err) == WA_ERR_ARG);
            } else {
                CHECK(wa_writer_site(w, UINT32_MAX, site, &err) == WA_ERR_ARG);
            }
            CHECK(wa_writer_commit(w, NULL, &err) != WA_OK);
            CHECK(access(path, F_OK) != 0);
        }
    }
    CHECK_EQ_U64(temp_files_left(), 0);
}

/* ---------------- existing files ---------------- */

static void same_snapshot(const wa_snapshot *a, const wa_snapshot *b, const char *what) {
    uint32_t n = wa_snapshot_n_objects(a);
    int ok = n == wa_snapshot_n_objects(b) && wa_snapshot_n_edges(a) == wa_snapshot_n_edges(b) &&
             wa_snapshot_n_roots(a) == wa_snapshot_n_roots(b) &&
             wa_snapshot_meta(a)->seconds == wa_snapshot_meta(b)->seconds;
    for (uint32_t i = 0; ok && i <= n; i++)
        ok = wa_snapshot_out_offsets(a)[i] == wa_snapshot_out_offsets(b)[i];
    for (uint32_t i = 0; ok && i < wa_snapshot_n_edges(a); i++) {
        wa_edge x = wa_snapshot_edges(a)[i], y = wa_snapshot_edges(b)[i];
        ok = x.to == y.to && WA_LABEL_KIND(x.label) == WA_LABEL_KIND(y.label);
    }
    for (uint32_t i = 0; ok && i < n; i++)
        ok = wa_snapshot_objects(a)[i].addr == wa_snapshot_objects(b)[i].addr &&
             strcmp(wa_snapshot_site(a, i), wa_snapshot_site(b, i)) == 0;
    if (!ok) fprintf(stderr, "  %s differs after a save through the writer\n", what);
    CHECK(ok);
}

/* Loads a file, saves it in both formats through the writer, reloads. */
static int load_and_resave(const char *path) {
    wa_error err;
    wa_snapshot *s = wa_snapshot_load(path, NULL, &err);
    if (!s) {
        fprintf(stderr, "  %s\n", wa_error_string(&err));
        CHECK(0);
        return 0;
    }
    const char *outs[] = {"resave.wa", "resave.jsonl"};
    for (int f = 0; f < 2; f++) {
        char out[512];
        tmp_path(out, sizeof out, outs[f]);
        CHECK(wa_snapshot_save(s, out, WA_FORMAT_AUTO, &err) == WA_OK);
        wa_snapshot *t = wa_snapshot_load(out, NULL, &err);
        CHECK(t != NULL);
        if (t) same_snapshot(s, t, path);
        wa_snapshot_free(t);
        if (f == 0) check_layout(out, wa_snapshot_n_objects(s));
        remove(out);
    }
    wa_snapshot_free(s);
    return 1;
}

static void test_existing_files_load(void) {
    int loaded = 0, old_order = 0;
    const char *dirs[] = {WA_FIXTURES, WA_FIXTURES "/analysis", WA_FIXTURES "/graph",
                          WA_FIXTURES "/../fuzz/corpus/binary",
                          WA_FIXTURES "/../../examples/snapshots"};
    for (size_t d = 0; d < sizeof dirs / sizeof dirs[0]; d++) {
        DIR *dp = opendir(dirs[d]);
        CHECK(dp != NULL);
        struct dirent *e;
        while (dp && (e = readdir(dp))) {
            size_t l = strlen(e->d_name);
            int is_wa = l > 3 && strcmp(e->d_name + l - 3, ".wa") == 0;
            if (!is_wa && !(l > 6 && strcmp(e->d_name + l - 6, ".jsonl") == 0)) continue;
            char path[1024];
            snprintf(path, sizeof path, "%s/%s", dirs[d], e->d_name);
            if (is_wa) {
                /* written by the earlier writer: OUT_OFFSETS after EDGES */
                unsigned char *b = NULL;
                size_t n = 0;
                if (read_file(path, &b, &n) == 0 && n > 64 &&
                    toc_find(b, n, WA_SEC_OUT_OFFSETS, NULL) > toc_find(b, n, WA_SEC_EDGES, NULL))
                    old_order++;
                free(b);
            }
            loaded += load_and_resave(path);
        }
        if (dp) closedir(dp);
    }
    fprintf(stderr, "  %d files loaded and re-saved, %d binary in the older section order\n",
            loaded, old_order);
    CHECK(loaded >= 15);
    CHECK(old_order >= 4);
    CHECK_EQ_U64(temp_files_left(), 0);
}

/* ---------------- memory ---------------- */

static size_t heap_now(void) {
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd; /* small blocks + mmapped ones */
}

/* kB of a "Vm...:" line of /proc/self/status, or -1 */
static long vm_kb(const char *key) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    size_t kl = strlen(key);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, key, kl) == 0) v = strtol(line + kl, NULL, 10);
    if (f) fclose(f);
    return v;
}
static int reset_peak_rss(void) {
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (!f) return -1;
    int ok = fputs("5", f) >= 0;
    return fclose(f) == 0 && ok ? 0 : -1;
}

typedef struct memuse {
    size_t heap_growth; /* max heap (malloc) over the run, above the heap before open */
    long peak_rss_kb;   /* peak RSS growth over the whole run incl. commit; -1: unknown */
} memuse;

/* Writes n objects of two edges each, sampling the heap every 4096 objects. */
static memuse write_measured(const char *path, wa_format fmt, uint32_t n) {
    memuse u = {0, -1};
    wa_error err;
    int have_peak = reset_peak_rss() == 0;
    long rss0 = vm_kb("VmRSS:");
    size_t h0 = heap_now(), hmax = h0;
    wa_writer *w = wa_writer_open(path, fmt, &err);
    CHECK(w != NULL);
    if (!w) return u;
    wa_meta m;
    memset(&m, 0, sizeof m);
    CHECK(wa_writer_meta(w, &m, &err) == WA_OK);
    uint32_t t = wa_writer_type(w, "m.T", "m", &err), a = wa_writer_intern(w, "a", 1, &err);
    uint32_t site = wa_writer_intern(w, "m.py:1", 6, &err);
    CHECK(wa_writer_begin(w, n, &err) == WA_OK);
    wa_status st = WA_OK;
    for (uint32_t i = 0; i < n && st == WA_OK; i++) {
        wa_object o = {0x1000 + (uint64_t)i * 32, 32, t, 1, WA_OBJ_GC_TRACKED, 0, 0, 0};
        uint32_t j = (i + 1) % n, k = i / 2;
        wa_writer_edge e[2] = {{0x1000 + (uint64_t)j * 32, j, WA_LABEL(WA_EDGE_ATTR, a)},
                               {0x1000 + (uint64_t)k * 32, k, WA_LABEL(WA_EDGE_INDEX, i % 100)}};
        st = wa_writer_object(w, &o, e, 2, &err);
        if (st == WA_OK && fmt == WA_FORMAT_JSONL && i % 2 == 0)
            st = wa_writer_site(w, i, site, &err);
        if ((i & 4095) == 0 && heap_now() > hmax) hmax = heap_now();
    }
    CHECK(st == WA_OK);
    CHECK(wa_writer_root(w, 0, 0x1000, WA_ROOT_MODULE, 0, 0, &err) == WA_OK);
    CHECK(wa_writer_set_seconds(w, 0.5, &err) == WA_OK);
    if (heap_now() > hmax) hmax = heap_now();
    CHECK(wa_writer_commit(w, NULL, &err) == WA_OK);
    u.heap_growth = hmax - h0;
    long peak = vm_kb("VmHWM:");
    if (have_peak && rss0 >= 0 && peak >= 0) u.peak_rss_kb = peak - rss0;
    return u;
}

static void test_memory_does_not_grow_with_objects(void) {
    /* A fixed mmap threshold: every block of 64 KiB or more is a fresh
     * mapping, returned at free, so peak RSS does not depend on which heap
     * pages earlier runs left resident. */
    mallopt(M_MMAP_THRESHOLD, 64 * 1024);
    const wa_format fmts[] = {WA_FORMAT_BINARY, WA_FORMAT_JSONL};
    const char *names[] = {"mem.wa", "mem.jsonl"};
    for (int f = 0; f < 2; f++) {
        char path[512];
        tmp_path(path, sizeof path, names[f]);
        memuse small = write_measured(path, fmts[f], 100000);
#ifdef WA_TEST_ASAN
        /* ASan's allocator is not glibc's: mallinfo2 and RSS say nothing
         * here; the writes themselves still run under ASan */
        const uint32_t big_n = 100000;
        memuse big = small;
#else
        const uint32_t big_n = 1000000;
        memuse big = write_measured(path, fmts[f], big_n);
#endif
        wa_error err;
        wa_snapshot *s = wa_snapshot_load(path, NULL, &err);
        CHECK(s && wa_snapshot_n_objects(s) == big_n &&
              wa_snapshot_n_edges(s) == 2 * (uint64_t)big_n);
        if (s) CHECK(wa_snapshot_meta(s)->seconds == 0.5);
        wa_snapshot_free(s);
        remove(path);
#ifdef WA_TEST_ASAN
        (void)big;
        fprintf(stderr, "  %s: memory figures skipped under AddressSanitizer\n", names[f]);
#else
        fprintf(stderr,
                "  %s: heap growth %zu bytes at 100k objects, %zu at 1M; peak RSS growth %ld kB, "
                "%ld kB\n",
                names[f], small.heap_growth, big.heap_growth, small.peak_rss_kb, big.peak_rss_kb);
        /* 4 (binary) or 8 (JSON Lines) bytes per object would be 3.6 or 7.2 MB more */
        CHECK(big.heap_growth <= small.heap_growth + 64 * 1024);
        CHECK(big.heap_growth < 8u << 20); /* stream buffers and the string table, no more */
        if (small.peak_rss_kb >= 0 && big.peak_rss_kb >= 0)
            CHECK(big.peak_rss_kb <= small.peak_rss_kb + 512);
        else
            fprintf(stderr, "  (peak RSS not measurable here: /proc/self/clear_refs)\n");
#endif
    }
}

/* Heap growth (sampled after every call) while writing a file of two
 * objects where object 0 has `deg` edges, given as wa_writer_edges calls of
 * `step` edges, or (step 0) as one wa_writer_object call. The caller's edge
 * array is allocated before the measurement: only the writer's memory counts. */
static size_t big_object_growth(const char *path, wa_format fmt, uint32_t deg, uint32_t step) {
    wa_writer_edge *all = malloc((size_t)deg * sizeof *all);
    CHECK(all != NULL);
    if (!all) return 0;
    wa_error err;
    wa_writer *w = wa_writer_open(path, fmt, &err);
    CHECK(w != NULL);
    if (!w) {
        free(all);
        return 0;
    }
    wa_meta m;
    memset(&m, 0, sizeof m);
    CHECK(wa_writer_meta(w, &m, &err) == WA_OK);
    uint32_t t = wa_writer_type(w, "builtins.list", "builtins", &err);
    uint32_t a = wa_writer_intern(w, "attr", 4, &err);
    for (uint32_t k = 0; k < deg; k++) {
        all[k].to = k % 2;
        all[k].to_addr = 0x7f1234560000ull + (k % 2) * 64;
        all[k].label = k % 4 == 3 ? WA_LABEL(WA_EDGE_ATTR, a) : WA_LABEL(WA_EDGE_INDEX, k);
    }
    size_t h0 = heap_now(), hmax = h0;
    CHECK(wa_writer_begin(w, 2, &err) == WA_OK);
    wa_object o = {0x7f1234560000ull,
                   56 + 8 * (uint64_t)deg,
                   t,
                   1,
                   WA_OBJ_GC_TRACKED | WA_OBJ_HAS_LEN,
                   deg,
                   0,
                   0};
    wa_status st;
    if (step == 0) {
        st = wa_writer_object(w, &o, all, deg, &err);
        if (heap_now() > hmax) hmax = heap_now();
    } else {
        st = wa_writer_object_begin(w, &o, deg, &err);
        for (uint32_t i = 0; i < deg && st == WA_OK; i += step) {
            st = wa_writer_edges(w, all + i, deg - i < step ? deg - i : step, &err);
            if (heap_now() > hmax) hmax = heap_now();
        }
    }
    CHECK(st == WA_OK);
    wa_object o1 = {0x7f1234560040ull, 56, t, 1, WA_OBJ_GC_TRACKED | WA_OBJ_HAS_LEN, 0, 0, 0};
    CHECK(wa_writer_object(w, &o1, NULL, 0, &err) == WA_OK);
    if (heap_now() > hmax) hmax = heap_now();
    CHECK(wa_writer_root(w, 0, o.addr, WA_ROOT_THREAD, a, 0, &err) == WA_OK);
    if (heap_now() > hmax) hmax = heap_now();
    CHECK(wa_writer_commit(w, NULL, &err) == WA_OK);
    free(all);
    /* the long line reads back whole */
    wa_snapshot *s = wa_snapshot_load(path, NULL, &err);
    if (!s) fprintf(stderr, "  %s\n", wa_error_string(&err));
    CHECK(s != NULL);
    if (s) {
        const wa_edge *e;
        CHECK(wa_snapshot_out(s, 0, &e) == deg);
        int bad = 0;
        for (uint32_t k = 0; k < deg && !bad; k++)
            bad = e[k].to != k % 2 ||
                  (k % 4 == 3 ? WA_LABEL_KIND(e[k].label) != WA_EDGE_ATTR ||
                                    strcmp(wa_snapshot_string(s, WA_LABEL_PAYLOAD(e[k].label)),
                                           "attr") != 0
                              : e[k].label != WA_LABEL(WA_EDGE_INDEX, k));
        CHECK(!bad);
        wa_snapshot_free(s);
    }
    remove(path);
    return hmax - h0;
}

/* An object of 300,000 edges: a JSON Lines line of about 9 MB (about 30
 * bytes an edge) goes out in pieces; the writer's heap stays at its stream
 * buffers whether the edges come in one call or in many. */
static void test_memory_does_not_grow_with_edges(void) {
    const wa_format fmts[] = {WA_FORMAT_JSONL, WA_FORMAT_BINARY};
    const char *names[] = {"bigobj.jsonl", "bigobj.wa"};
    const uint32_t big = 300000;
    for (int f = 0; f < 2; f++) {
        char path[512];
        tmp_path(path, sizeof path, names[f]);
        size_t small = big_object_growth(path, fmts[f], 1000, 1000);
        size_t chunked = big_object_growth(path, fmts[f], big, 1000);
        size_t whole = big_object_growth(path, fmts[f], big, 0);
#ifdef WA_TEST_ASAN
        (void)small;
        (void)chunked;
        (void)whole;
        fprintf(stderr, "  %s: memory figures skipped under AddressSanitizer\n", names[f]);
#else
        fprintf(stderr,
                "  %s: heap growth %zu bytes for 1000 edges, %zu for %u edges in calls of 1000, "
                "%zu in one call\n",
                names[f], small, chunked, big, whole);
        /* holding the line (or the edges) would be 300000 * 30 = 9 MB for
         * JSON Lines, 2.4 MB for binary; allow 1 MiB over the small object */
        CHECK(chunked <= small + (1u << 20));
        CHECK(whole <= small + (1u << 20));
        CHECK(chunked < (size_t)big * 30 / 4);
        CHECK(whole < (size_t)big * 30 / 4);
#endif
    }
    CHECK_EQ_U64(temp_files_left(), 0);
}

int main(void) {
    RUN(test_edges_and_offsets_round_trip);
    RUN(test_seconds);
    RUN(test_seconds_misuse);
    RUN(test_site_contract);
    RUN(test_chunked_edges_round_trip);
    RUN(test_chunked_edges_misuse);
    RUN(test_edges_nobody_waits_for);
    RUN(test_existing_files_load);
    RUN(test_memory_does_not_grow_with_objects);
    RUN(test_memory_does_not_grow_with_edges);
    return wa_test_result();
}
