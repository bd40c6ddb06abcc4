/* For every fixture: JSON Lines -> binary -> JSON Lines gives the same
 * snapshot (compared by meaning: strings by text, not by id), and the second
 * JSON Lines text equals the first (the writer is canonical). */
#include <dirent.h>

#include "wa_test.h"
#include "whyalive/whyalive.h"

#define S(snap, id) wa_snapshot_string(snap, id)

static int label_eq(const wa_snapshot *a, uint32_t la, const wa_snapshot *b, uint32_t lb) {
    if (WA_LABEL_KIND(la) != WA_LABEL_KIND(lb)) return 0;
    if (WA_LABEL_KIND(la) == WA_EDGE_INDEX) return la == lb;
    return strcmp(S(a, WA_LABEL_PAYLOAD(la)), S(b, WA_LABEL_PAYLOAD(lb))) == 0;
}

static int meta_eq(const wa_meta *x, const wa_meta *y) {
    if (strcmp(x->tool_version, y->tool_version) || strcmp(x->python_version, y->python_version) ||
        strcmp(x->implementation, y->implementation) || strcmp(x->host, y->host) ||
        strcmp(x->time, y->time) || x->pid != y->pid || x->rss != y->rss ||
        x->seconds != y->seconds || x->argc != y->argc)
        return 0;
    for (uint32_t i = 0; i < x->argc; i++)
        if (strcmp(x->argv[i], y->argv[i])) return 0;
    return 1;
}

/* Same snapshot by meaning; prints the first difference. */
static int snap_eq(const wa_snapshot *a, const wa_snapshot *b) {
#define DIFF(cond, ...)                                                                            \
    if (cond) {                                                                                    \
        fprintf(stderr, "  differs: " __VA_ARGS__);                                                \
        fprintf(stderr, "\n");                                                                     \
        return 0;                                                                                  \
    }
    uint32_t n = wa_snapshot_n_objects(a);
    DIFF(n != wa_snapshot_n_objects(b), "object count");
    DIFF(wa_snapshot_n_edges(a) != wa_snapshot_n_edges(b), "edge count");
    DIFF(wa_snapshot_n_roots(a) != wa_snapshot_n_roots(b), "root count");
    DIFF(wa_snapshot_dangling(a) != wa_snapshot_dangling(b), "dangling");
    DIFF(wa_snapshot_total_size(a) != wa_snapshot_total_size(b), "total size");
    DIFF(!meta_eq(wa_snapshot_meta(a), wa_snapshot_meta(b)), "meta");
    const wa_object *oa = wa_snapshot_objects(a), *ob = wa_snapshot_objects(b);
    for (uint32_t i = 0; i < n; i++) {
        DIFF(oa[i].addr != ob[i].addr || oa[i].size != ob[i].size ||
                 oa[i].refcount != ob[i].refcount || oa[i].flags != ob[i].flags ||
                 oa[i].length != ob[i].length,
             "object %u numbers", i);
        DIFF(strcmp(wa_snapshot_type_name(a, oa[i].type), wa_snapshot_type_name(b, ob[i].type)) ||
                 strcmp(wa_snapshot_type_module(a, oa[i].type),
                        wa_snapshot_type_module(b, ob[i].type)),
             "object %u type %s", i, wa_snapshot_type_name(a, oa[i].type));
        DIFF(strcmp(S(a, oa[i].name), S(b, ob[i].name)) ||
                 strcmp(S(a, oa[i].value), S(b, ob[i].value)),
             "object %u name/value", i);
        DIFF(strcmp(wa_snapshot_site(a, i), wa_snapshot_site(b, i)), "object %u site", i);
        const wa_edge *ea, *eb;
        uint32_t na = wa_snapshot_out(a, i, &ea), nb = wa_snapshot_out(b, i, &eb);
        DIFF(na != nb, "object %u edge count", i);
        for (uint32_t k = 0; k < na; k++)
            DIFF(ea[k].to != eb[k].to || !label_eq(a, ea[k].label, b, eb[k].label),
                 "object %u edge %u", i, k);
        const uint32_t *ia, *ib;
        uint32_t ma = wa_snapshot_in(a, i, &ia), mb = wa_snapshot_in(b, i, &ib);
        DIFF(ma != mb || (ma && memcmp(ia, ib, ma * 4)), "object %u referrers", i);
    }
    const wa_root *ra = wa_snapshot_roots(a), *rb = wa_snapshot_roots(b);
    for (uint32_t i = 0; i < wa_snapshot_n_roots(a); i++)
        DIFF(ra[i].obj != rb[i].obj || ra[i].kind != rb[i].kind || ra[i].excess != rb[i].excess ||
                 strcmp(S(a, ra[i].label), S(b, rb[i].label)),
             "root %u", i);
    return 1;
#undef DIFF
}

static char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)sz + 1);
    *n = fread(p, 1, (size_t)sz, f);
    fclose(f);
    return p;
}

static void roundtrip(const char *name) {
    char in[512], wa[512], j2[512], wa2[512], j3[512];
    snprintf(in, sizeof in, "%s/%s", WA_FIXTURES, name);
    snprintf(wa, sizeof wa, "%s/rt_%s.wa", WA_TMPDIR, name);
    snprintf(j2, sizeof j2, "%s/rt_%s.2.jsonl", WA_TMPDIR, name);
    snprintf(wa2, sizeof wa2, "%s/rt_%s.2.wa", WA_TMPDIR, name);
    snprintf(j3, sizeof j3, "%s/rt_%s.3.jsonl", WA_TMPDIR, name);
    wa_error err;
    wa_snapshot *a = wa_snapshot_load(in, NULL, &err);
    if (!a) {
        fprintf(stderr, "  %s\n", wa_error_string(&err));
        CHECK(a != NULL);
        return;
    }
    CHECK(wa_snapshot_save(a, wa, WA_FORMAT_AUTO, &err) == WA_OK);
    wa_snapshot *b = wa_snapshot_load(wa, NULL, &err);
    CHECK(b != NULL);
    CHECK(b && snap_eq(a, b));
    CHECK(b && wa_snapshot_save(b, j2, WA_FORMAT_AUTO, &err) == WA_OK);
    wa_snapshot *c = wa_snapshot_load(j2, NULL, &err);
    CHECK(c != NULL);
    CHECK(c && snap_eq(a, c));
    CHECK(c && wa_snapshot_save(c, wa2, WA_FORMAT_BINARY, &err) == WA_OK);
    wa_snapshot *d = wa_snapshot_load(wa2, NULL, &err);
    CHECK(d && wa_snapshot_save(d, j3, WA_FORMAT_JSONL, &err) == WA_OK);
    size_t n2 = 0, n3 = 0;
    char *t2 = slurp(j2, &n2), *t3 = slurp(j3, &n3);
    CHECK(t2 && t3 && n2 == n3 && memcmp(t2, t3, n2) == 0);
    free(t2);
    free(t3);
    wa_snapshot_free(a);
    wa_snapshot_free(b);
    wa_snapshot_free(c);
    wa_snapshot_free(d);
    remove(wa);
    remove(j2);
    remove(wa2);
    remove(j3);
}

static int by_name(const void *x, const void *y) {
    return strcmp(*(char *const *)x, *(char *const *)y);
}

static void test_every_fixture(void) {
    DIR *d = opendir(WA_FIXTURES);
    CHECK(d != NULL);
    if (!d) return;
    char *names[256];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 256) {
        size_t l = strlen(e->d_name);
        if (l > 6 && strcmp(e->d_name + l - 6, ".jsonl") == 0) names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, by_name);
    CHECK(n >= 4);
    for (int i = 0; i < n; i++) {
        int before = wa_test_failures;
        roundtrip(names[i]);
        fprintf(stderr, "  %s %s\n", wa_test_failures == before ? "ok  " : "FAIL", names[i]);
        free(names[i]);
    }
}

int main(void) {
    RUN(test_every_fixture);
    return wa_test_result();
}
