/* test_index.c: the sidecar index (whyalive/index.h) through the session:
 * a round trip gives the computed dominators, retained sizes and path tree
 * byte for byte without computing them; a changed dump, a truncated,
 * corrupted or otherwise damaged index, or one of another version is
 * ignored and the parts computed (and the index written again); a directory
 * where the index cannot be written changes nothing but the file's absence;
 * WHYALIVE_NO_INDEX and standard input turn it off. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "format/index_impl.h"
#include "test_dom_graph.h"
#include "wa_test.h"
#include "whyalive/session.h"

typedef struct events {
    int computed[3], ev[4];
} events;

static void on_compute(void *ctx, wa_session_part part, int done, double seconds) {
    (void)seconds;
    if (done) ((events *)ctx)->computed[part]++;
}

static void on_index(void *ctx, wa_session_part part, wa_index_event ev, const char *why) {
    (void)part;
    (void)why;
    ((events *)ctx)->ev[ev]++;
}

/* A random heap: n objects, about 3 edges each (one in ten weak), a few
 * roots, and some objects no root reaches. */
static wa_snapshot *random_snapshot(uint64_t seed, uint32_t n) {
    uint64_t st = seed;
    tg g;
    tg_new(&g);
    for (uint32_t i = 0; i < n; i++) tg_obj(&g, i % 3 ? "m.A" : "m.B", 1 + tg_rand(&st) % 500);
    for (uint32_t j = 0; j < 3 * n; j++) {
        uint32_t a = tg_rand(&st) % n, b = tg_rand(&st) % n;
        if (a >= n - n / 10) continue; /* the last tenth refers to nothing ... */
        if (b >= n - n / 10 && tg_rand(&st) % 2) continue; /* ... and is often unreachable */
        if (tg_rand(&st) % 10 == 0)
            tg_edge(&g, a, b, WA_EDGE_WEAK, NULL);
        else if (tg_rand(&st) % 2)
            tg_index(&g, a, b, j);
        else
            tg_attr(&g, a, b, "x");
    }
    for (uint32_t r = 0; r < 5; r++) tg_root(&g, tg_rand(&st) % (n / 2), WA_ROOT_MODULE, "m", 0);
    return tg_done(&g);
}

static char *tmp(const char *name) {
    static char buf[4][600];
    static int k;
    char *b = buf[k++ % 4];
    snprintf(b, 600, "%s/%s", WA_TMPDIR, name);
    return b;
}

static char *ixpath(const char *dump) {
    static char buf[1000];
    snprintf(buf, sizeof buf, "%s%s", dump, WA_INDEX_SUFFIX);
    return buf;
}

static int exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

static int same_dom(const wa_dom *a, const wa_dom *b) {
    if (!a || !b || a->n_objects != b->n_objects || a->n_reachable != b->n_reachable ||
        a->n_unreachable != b->n_unreachable || a->reachable_bytes != b->reachable_bytes ||
        a->unreachable_bytes != b->unreachable_bytes || a->weak_edges != b->weak_edges ||
        a->peak_temp != b->peak_temp)
        return 0;
    size_t n = a->n_objects;
    return memcmp(a->idom, b->idom, n * 4) == 0 && memcmp(a->retained, b->retained, n * 8) == 0 &&
           memcmp(a->preorder, b->preorder, (size_t)a->n_reachable * 4) == 0;
}

static int same_tree(const wa_path_tree *a, const wa_path_tree *b) {
    if (!a || !b || a->n_objects != b->n_objects || a->n_reachable != b->n_reachable) return 0;
    for (uint32_t v = 0; v < a->n_objects; v++)
        if (a->parent[v] != b->parent[v] || (a->parent[v] != WA_NONE && a->via[v] != b->via[v]))
            return 0;
    return 1;
}

/* The reference: both parts computed without an index. */
typedef struct ref {
    wa_snapshot *snap;
    wa_session *s;
    const wa_dom *dom;
    const wa_path_tree *tree;
} ref;

static int ref_load(ref *r, const char *path) {
    wa_error err;
    memset(r, 0, sizeof *r);
    r->snap = wa_snapshot_load(path, NULL, &err);
    if (!r->snap) {
        fprintf(stderr, "load %s: %s\n", path, wa_error_string(&err));
        return -1;
    }
    r->s = wa_session_new(r->snap, &err);
    r->dom = wa_session_dom(r->s, &err);
    r->tree = wa_session_tree(r->s, &err);
    return r->dom && r->tree ? 0 : -1;
}

static void ref_free(ref *r) {
    wa_session_free(r->s);
    wa_snapshot_free(r->snap);
}

/* One command's run on path with the index: open it, load, ask for both
 * parts, compare with the reference; the index's state at open in *state. */
static void run(const char *path, const ref *r, unsigned flags, events *e, wa_index_state *state) {
    wa_error err;
    memset(e, 0, sizeof *e);
    wa_index *ix = wa_index_open(path, flags, &err);
    CHECK(ix != NULL);
    if (state) *state = wa_index_state_of(ix);
    wa_snapshot *snap = wa_snapshot_load(path, NULL, &err);
    CHECK(snap != NULL);
    if (!snap) {
        wa_index_free(ix);
        return;
    }
    wa_session *s = wa_session_new(snap, &err);
    wa_session_set_hook(s, on_compute, e);
    wa_session_set_index(s, ix, on_index, e);
    CHECK(same_dom(wa_session_dom(s, &err), r->dom));
    CHECK(same_tree(wa_session_tree(s, &err), r->tree));
    wa_session_free(s);
    wa_snapshot_free(snap);
    CHECK_EQ_U64(temp_files_left(), 0);
}

static const unsigned RW = WA_INDEX_READ | WA_INDEX_WRITE;

static void round_trip(const char *path) {
    ref r;
    if (ref_load(&r, path) != 0) {
        CHECK(0);
        return;
    }
    unlink(ixpath(path));
    events e;
    wa_index_state st;
    run(path, &r, RW, &e, &st);
    CHECK_EQ_U64(st, WA_INDEX_ABSENT);
    CHECK_EQ_U64(e.computed[WA_SESSION_DOM], 1);
    CHECK_EQ_U64(e.computed[WA_SESSION_TREE], 1);
    CHECK_EQ_U64(e.ev[WA_INDEX_EV_WRITTEN], 2); /* after each part */
    CHECK(exists(ixpath(path)));
    /* the second command reads both parts: nothing computed or written */
    run(path, &r, RW, &e, &st);
    CHECK_EQ_U64(st, WA_INDEX_VALID);
    CHECK_EQ_U64(e.computed[WA_SESSION_DOM] + e.computed[WA_SESSION_TREE], 0);
    CHECK_EQ_U64(e.ev[WA_INDEX_EV_READ], 2);
    CHECK_EQ_U64(e.ev[WA_INDEX_EV_WRITTEN] + e.ev[WA_INDEX_EV_IGNORED], 0);
    /* read-only: read, never written */
    unlink(ixpath(path));
    run(path, &r, WA_INDEX_READ, &e, &st);
    CHECK(!exists(ixpath(path)));
    CHECK_EQ_U64(e.ev[WA_INDEX_EV_WRITTEN] + e.ev[WA_INDEX_EV_NOT_WRITTEN], 0);
    /* write-only: written, not read */
    run(path, &r, WA_INDEX_WRITE, &e, &st);
    CHECK(exists(ixpath(path)));
    run(path, &r, WA_INDEX_WRITE, &e, &st);
    CHECK_EQ_U64(e.computed[WA_SESSION_DOM], 1);
    ref_free(&r);
}

static wa_snapshot *save_random(const char *path, uint64_t seed, uint32_t n, wa_format f) {
    wa_snapshot *s = random_snapshot(seed, n);
    wa_error err;
    CHECK(wa_snapshot_save(s, path, f, &err) == WA_OK);
    return s;
}

static void test_round_trip(void) {
    wa_snapshot_free(save_random(tmp("rt.wa"), 7, 3000, WA_FORMAT_BINARY));
    wa_snapshot_free(save_random(tmp("rt.jsonl"), 8, 3000, WA_FORMAT_JSONL));
    round_trip(tmp("rt.wa"));
    round_trip(tmp("rt.jsonl"));
    char fx[600];
    snprintf(fx, sizeof fx, "%s/small.jsonl", WA_FIXTURES);
    /* a fixture (weak edges, unreachable objects), copied */
    ref r;
    if (ref_load(&r, fx) == 0) {
        CHECK(wa_snapshot_save(r.snap, tmp("small.wa"), WA_FORMAT_BINARY, NULL) == WA_OK);
        round_trip(tmp("small.wa"));
    }
    ref_free(&r);
    /* the tree asked for alone, then the dominators: the index gains them */
    const char *p = tmp("rt.wa");
    unlink(ixpath(p));
    wa_error err;
    wa_snapshot *snap = wa_snapshot_load(p, NULL, &err);
    wa_session *s = wa_session_new(snap, &err);
    wa_session_set_index(s, wa_index_open(p, RW, &err), NULL, NULL);
    CHECK(wa_session_tree(s, &err) != NULL);
    wa_session_free(s);
    wa_index *ix = wa_index_open(p, RW, &err);
    CHECK_EQ_U64(wa_index_state_of(ix), WA_INDEX_VALID);
    CHECK(wa_index_holds(ix, WA_INDEX_HAS_TREE) && !wa_index_holds(ix, WA_INDEX_HAS_DOM));
    s = wa_session_new(snap, &err);
    wa_session_set_index(s, ix, NULL, NULL);
    CHECK(wa_session_dom(s, &err) != NULL); /* computed, and saved with the tree read */
    CHECK(wa_session_tree(s, &err) != NULL);
    wa_session_free(s);
    ix = wa_index_open(p, RW, &err);
    CHECK(wa_index_holds(ix, WA_INDEX_HAS_TREE) && wa_index_holds(ix, WA_INDEX_HAS_DOM));
    wa_index_free(ix);
    wa_snapshot_free(snap);
}

/* The file's bytes. */
static unsigned char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n + 1);
    *len = fread(b, 1, (size_t)n, f);
    fclose(f);
    return b;
}

static void spit(const char *path, const void *b, size_t len) {
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f) return;
    CHECK(fwrite(b, 1, len, f) == len);
    fclose(f);
}

/* A damaged index: ignored (at open or when a part is read), both parts
 * computed, and the index written again (valid at the next open). */
static void expect_recomputed(const char *path, const ref *r, const char *what) {
    events e;
    wa_index_state st;
    run(path, r, RW, &e, &st);
    /* both parts computed, or (a damaged path tree section) the dominators
     * read and the tree computed; written after each part computed */
    int computed = e.computed[WA_SESSION_DOM] + e.computed[WA_SESSION_TREE];
    if (computed == 0 || e.ev[WA_INDEX_EV_WRITTEN] != computed ||
        (st == WA_INDEX_VALID) != (e.ev[WA_INDEX_EV_IGNORED] == 1)) {
        fprintf(stderr, "%s: state %s, computed %d/%d, written %d, ignored %d\n", what,
                wa_index_state_name(st), e.computed[0], e.computed[1], e.ev[WA_INDEX_EV_WRITTEN],
                e.ev[WA_INDEX_EV_IGNORED]);
        CHECK(0);
    }
    wa_error err;
    wa_index *ix = wa_index_open(path, RW, &err);
    CHECK_EQ_U64(wa_index_state_of(ix), WA_INDEX_VALID);
    wa_index_free(ix);
}

static void test_damaged(void) {
    const char *p = tmp("dmg.wa");
    wa_snapshot_free(save_random(p, 11, 800, WA_FORMAT_BINARY));
    ref r;
    if (ref_load(&r, p) != 0) {
        CHECK(0);
        return;
    }
    events e;
    run(p, &r, RW, &e, NULL);
    size_t len;
    unsigned char *good = slurp(ixpath(p), &len);
    CHECK(good != NULL && len > 200);
    if (!good) return;
    /* truncated */
    size_t cuts[] = {0, 7, 100, 127, 128, 200, len / 2, len - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
        spit(ixpath(p), good, cuts[i]);
        expect_recomputed(p, &r, "truncated");
    }
    /* one byte changed anywhere: the header, the table, any section */
    unsigned char *bad = malloc(len);
    for (size_t at = 0; at < len; at += at < 256 ? 1 : 97) {
        memcpy(bad, good, len);
        bad[at] ^= 0x5a;
        spit(ixpath(p), bad, len);
        expect_recomputed(p, &r, "corrupted");
    }
    /* another index version (the header checksum made right) */
    memcpy(bad, good, len);
    bad[8] = 2;
    spit(ixpath(p), bad, len);
    wa_error err;
    wa_index *ix = wa_index_open(p, RW, &err);
    CHECK_EQ_U64(wa_index_state_of(ix), WA_INDEX_DAMAGED);
    CHECK(strstr(wa_index_note(ix), "version") != NULL);
    wa_index_free(ix);
    expect_recomputed(p, &r, "version");
    /* not a file */
    unlink(ixpath(p));
    CHECK(mkdir(ixpath(p), 0700) == 0);
    ix = wa_index_open(p, RW, &err);
    CHECK_EQ_U64(wa_index_state_of(ix), WA_INDEX_DAMAGED);
    wa_index_free(ix);
    rmdir(ixpath(p));
    free(bad);
    free(good);
    ref_free(&r);
}

/* Sections that pass their checksums but not the session's checks. */
static void test_forged(void) {
    const char *p = tmp("forged.wa");
    wa_snapshot_free(save_random(p, 12, 500, WA_FORMAT_BINARY));
    ref r;
    if (ref_load(&r, p) != 0) {
        CHECK(0);
        return;
    }
    const uint32_t n = r.dom->n_objects;
    wa_index_dump_id id;
    CHECK(wa_index_identify(p, &id) == 0);
    uint32_t *idom = malloc(n * 4), *pre = malloc(n * 4), *par = malloc(n * 4),
             *via = malloc(n * 4);
    uint64_t *ret = malloc(n * 8);
    uint64_t stats[2] = {r.dom->weak_edges, r.dom->peak_temp};
    /* 0..: each forgery; the last (none) is the genuine index */
    for (int k = 0; k <= 14; k++) {
        memcpy(idom, r.dom->idom, n * 4);
        memcpy(pre, r.dom->preorder, r.dom->n_reachable * 4);
        memcpy(par, r.tree->parent, n * 4);
        memcpy(via, r.tree->via, n * 4);
        memcpy(ret, r.dom->retained, n * 8);
        uint32_t R = r.dom->n_reachable;
        uint32_t a = pre[R / 2], b = pre[R - 1], unreach = WA_NONE;
        for (uint32_t v = 0; v < n; v++)
            if (idom[v] == WA_NONE) unreach = v;
        uint64_t st1[2] = {stats[0], stats[1]};
        switch (k) {
        case 0: idom[a] = n + 5; break;  /* no object */
        case 1: idom[a] = a; break;      /* itself */
        case 2: idom[pre[0]] = b; break; /* a descendant: a cycle */
        case 3: pre[1] = pre[0]; break;  /* repeated */
        case 4:
            if (unreach != WA_NONE)
                idom[unreach] = WA_DOM_SUPER;
            else
                idom[a] = WA_NONE;
            break;
        case 5: /* a child before its parent */
            for (uint32_t q = 1; q < R; q++)
                if (idom[pre[q]] == pre[q - 1]) {
                    uint32_t t = pre[q];
                    pre[q] = pre[q - 1];
                    pre[q - 1] = t;
                    break;
                }
            break;                                                /* order */
        case 6: par[a] = a; break;                                /* parent cycle */
        case 7: via[a] ^= 1; break;                               /* another edge */
        case 8: par[a] = n; break;                                /* no object */
        case 9: par[wa_snapshot_roots(r.snap)[0].obj] = a; break; /* root below */
        case 10: st1[0] = (uint64_t)wa_snapshot_n_edges(r.snap) + 1; break;
        case 11: R = R - 1; break;
        case 12: ret[a] += 1; break;
        case 13:
            if (unreach != WA_NONE)
                ret[unreach] = 1;
            else
                ret[b] = 0;
            break; /* a reachable object left out */
        default: break;
        }
        wa_index_section_out sec[] = {{WA_IXS_DOM_STATS, st1, 16},
                                      {WA_IXS_DOM_IDOM, idom, (uint64_t)n * 4},
                                      {WA_IXS_DOM_PREORDER, pre, (uint64_t)R * 4},
                                      {WA_IXS_TREE_PARENT, par, (uint64_t)n * 4},
                                      {WA_IXS_TREE_VIA, via, (uint64_t)n * 4},
                                      {WA_IXS_DOM_RETAINED, ret, (uint64_t)n * 8}};
        unsigned char *bytes;
        size_t len;
        wa_error err;
        CHECK(wa_index_build(&id, r.snap, sec, 6, &bytes, &len, &err) == WA_OK);
        spit(ixpath(p), bytes, len);
        free(bytes);
        events e;
        wa_index_state st;
        run(p, &r, RW, &e, &st);
        CHECK_EQ_U64(st, WA_INDEX_VALID);
        if (k == 14) {
            CHECK_EQ_U64(e.computed[0] + e.computed[1], 0);
        } else if (k == 7 && e.computed[WA_SESSION_TREE] == 0) {
            /* via ^ 1 may name the next edge to the same object from the same
             * parent: then it is as good as the original */
        } else {
            if (e.ev[WA_INDEX_EV_IGNORED] != 1) fprintf(stderr, "forgery %d not caught\n", k);
            CHECK_EQ_U64(e.ev[WA_INDEX_EV_IGNORED], 1);
        }
    }
    free(idom);
    free(pre);
    free(par);
    free(via);
    free(ret);
    ref_free(&r);
}

static void test_dump_changed(void) {
    const char *p = tmp("chg.wa"), *q = tmp("chg.jsonl");
    wa_snapshot_free(save_random(p, 21, 600, WA_FORMAT_BINARY));
    wa_snapshot_free(save_random(q, 22, 600, WA_FORMAT_JSONL));
    events e;
    wa_index_state st;
    ref r;
    if (ref_load(&r, p) == 0) run(p, &r, RW, &e, &st);
    ref_free(&r);
    if (ref_load(&r, q) == 0) run(q, &r, RW, &e, &st);
    ref_free(&r);
    /* another heap of the same size in the binary dump: stale */
    wa_snapshot_free(save_random(p, 23, 600, WA_FORMAT_BINARY));
    if (ref_load(&r, p) == 0) {
        run(p, &r, RW, &e, &st);
        CHECK_EQ_U64(st, WA_INDEX_STALE);
        CHECK_EQ_U64(e.computed[0] + e.computed[1], 2);
        run(p, &r, RW, &e, &st);
        CHECK_EQ_U64(st, WA_INDEX_VALID);
    }
    ref_free(&r);
    /* the JSON Lines dump touched: its time changed, so it may be another */
    struct timeval tv[2] = {{1000000000, 0}, {1000000000, 0}};
    CHECK(utimes(q, tv) == 0);
    if (ref_load(&r, q) == 0) {
        run(q, &r, RW, &e, &st);
        CHECK_EQ_U64(st, WA_INDEX_STALE);
        CHECK_EQ_U64(e.computed[0] + e.computed[1], 2);
    }
    ref_free(&r);
    /* a binary dump copied elsewhere keeps its index valid (content identity) */
    size_t len, ilen;
    unsigned char *d = slurp(p, &len), *ixb = slurp(ixpath(p), &ilen);
    const char *c = tmp("copy.wa");
    spit(c, d, len);
    spit(ixpath(c), ixb, ilen);
    free(d);
    free(ixb);
    wa_error err;
    wa_index *ix = wa_index_open(c, RW, &err);
    CHECK_EQ_U64(wa_index_state_of(ix), WA_INDEX_VALID);
    wa_index_free(ix);
    /* an index of a snapshot of another shape (same identity forged) */
    wa_snapshot *other = random_snapshot(24, 601);
    wa_index_dump_id id;
    CHECK(wa_index_identify(p, &id) == 0);
    unsigned char *bytes;
    CHECK(wa_index_build(&id, other, NULL, 0, &bytes, &len, &err) == WA_OK);
    spit(ixpath(p), bytes, len);
    free(bytes);
    wa_snapshot_free(other);
    ix = wa_index_open(p, RW, &err);
    CHECK_EQ_U64(wa_index_state_of(ix), WA_INDEX_VALID);
    wa_snapshot *snap = wa_snapshot_load(p, NULL, &err);
    wa_index_check_snapshot(ix, snap);
    CHECK_EQ_U64(wa_index_state_of(ix), WA_INDEX_STALE);
    wa_index_free(ix);
    wa_snapshot_free(snap);
}

static void test_unwritable(void) {
    const char *p = tmp("ro.wa");
    wa_snapshot_free(save_random(p, 31, 400, WA_FORMAT_BINARY));
    ref r;
    if (ref_load(&r, p) != 0) {
        CHECK(0);
        return;
    }
    /* a directory where the index would go: rename fails, as it would in
     * a read-only directory (which root could write) */
    unlink(ixpath(p));
    CHECK(mkdir(ixpath(p), 0700) == 0);
    char inner[1100];
    snprintf(inner, sizeof inner, "%s/x", ixpath(p));
    spit(inner, "x", 1);
    events e;
    run(p, &r, RW, &e, NULL);
    CHECK_EQ_U64(e.ev[WA_INDEX_EV_NOT_WRITTEN], 1); /* once: no second try */
    CHECK_EQ_U64(e.ev[WA_INDEX_EV_WRITTEN], 0);
    CHECK_EQ_U64(temp_files_left(), 0);
    unlink(inner);
    rmdir(ixpath(p));
    if (geteuid() != 0) { /* a read-only directory */
        const char *dir = tmp("rodir");
        mkdir(dir, 0700);
        char dp[900];
        snprintf(dp, sizeof dp, "%s/ro.wa", dir);
        size_t len;
        unsigned char *d = slurp(p, &len);
        spit(dp, d, len);
        free(d);
        chmod(dir, 0500);
        run(dp, &r, RW, &e, NULL);
        CHECK_EQ_U64(e.ev[WA_INDEX_EV_NOT_WRITTEN], 1);
        CHECK(!exists(ixpath(dp)));
        chmod(dir, 0700);
        unlink(dp);
        rmdir(dir);
    }
    ref_free(&r);
}

static void test_off(void) {
    const char *p = tmp("off.wa");
    wa_snapshot_free(save_random(p, 41, 300, WA_FORMAT_BINARY));
    ref r;
    if (ref_load(&r, p) != 0) {
        CHECK(0);
        return;
    }
    unlink(ixpath(p));
    events e;
    wa_index_state st;
    setenv("WHYALIVE_NO_INDEX", "1", 1);
    run(p, &r, RW, &e, &st);
    CHECK_EQ_U64(st, WA_INDEX_OFF);
    CHECK(!exists(ixpath(p)));
    setenv("WHYALIVE_NO_INDEX", "0", 1);
    run(p, &r, 0, &e, &st);
    CHECK_EQ_U64(st, WA_INDEX_OFF);
    CHECK(!exists(ixpath(p)));
    unsetenv("WHYALIVE_NO_INDEX");
    wa_error err;
    wa_index *ix = wa_index_open("-", RW, &err);
    CHECK_EQ_U64(wa_index_state_of(ix), WA_INDEX_NO_ID);
    CHECK(wa_index_path(ix) == NULL);
    wa_index_free(ix);
    ix = wa_index_open(WA_TMPDIR, RW, &err); /* a directory */
    CHECK_EQ_U64(wa_index_state_of(ix), WA_INDEX_NO_ID);
    wa_index_free(ix);
    ref_free(&r);
}

/* wa_dom_children with a small limit (a bounded heap, not a full sort):
 * the full sort's first entries, and its total. */
static void test_top_children(void) {
    for (uint64_t seed = 1; seed <= 5; seed++) {
        wa_snapshot *s = random_snapshot(seed, 4000);
        wa_error err;
        wa_dom *d = wa_dom_compute(s, &err);
        CHECK(d != NULL);
        if (!d) continue;
        /* equal retained sizes too: every leaf of one size */
        wa_objlist *all = wa_dom_children(d, WA_DOM_SUPER, 0, &err);
        uint32_t lims[] = {1, 2, 3, 7, 20, 100};
        for (size_t i = 0; all && i < sizeof lims / sizeof *lims; i++) {
            wa_objlist *top = wa_dom_children(d, WA_DOM_SUPER, lims[i], &err);
            CHECK(top != NULL);
            if (!top) continue;
            CHECK_EQ_U64(top->total, all->total);
            CHECK_EQ_U64(top->n, lims[i] < all->n ? lims[i] : all->n);
            CHECK(memcmp(top->objs, all->objs, top->n * 4) == 0);
            wa_objlist_free(top);
        }
        wa_objlist_free(all);
        wa_dom_free(d);
        wa_snapshot_free(s);
    }
}

int main(void) {
    RUN(test_top_children);
    RUN(test_round_trip);
    RUN(test_damaged);
    RUN(test_forged);
    RUN(test_dump_changed);
    RUN(test_unwritable);
    RUN(test_off);
    return wa_test_result();
}
