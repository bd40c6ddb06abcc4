/* JSON Lines reader, parallel path: a file cut into parts read by one thread
 * each must give exactly the snapshot, the errors (with their line numbers)
 * and the counts that one thread gives. WA_JSONL_THREADS forces the number
 * of parts (docs/format.md, "Loading"). */
#include <dirent.h>
#include <stdlib.h>

#include "format/format_impl.h"
#include "wa_test.h"
#include "whyalive/whyalive.h"

#define N_OBJ 40000u /* ~6 MB: above the size where loads go parallel */

static void threads(unsigned n) {
    char v[16];
    snprintf(v, sizeof v, "%u", n);
    setenv("WA_JSONL_THREADS", v, 1);
}

/* A path in the test's directory; one buffer per name (the names are few). */
static const char *tmp_path(const char *name) {
    static char buf[16][512];
    static int k;
    char *p = buf[k++ & 15];
    snprintf(p, 512, "%s/%s", WA_TMPDIR, name);
    return p;
}

/* Object line i of the generated file: line i + 2 (the header is line 1). */
static void object_line(FILE *f, uint32_t i, uint64_t addr) {
    fprintf(f,
            "{\"addr\":\"0x%llx\",\"type\":\"app.mod%u.Class%u\",\"size\":%u,\"rc\":%u,"
            "\"flags\":[\"gc\"],\"len\":%u",
            (unsigned long long)addr, i % 7, i % 31, 16 + i % 100, 1 + i % 3, i % 9);
    if (i % 5 == 0) fprintf(f, ",\"name\":\"name_%u\"", i % 1000);
    if (i % 11 == 0) fprintf(f, ",\"site\":\"app.py:%u\"", i % 50);
    fprintf(f, ",\"refs\":[");
    /* targets near i, before and after it, so edges cross part boundaries */
    uint32_t t[3] = {(i + 1) % N_OBJ, (i + N_OBJ - 3) % N_OBJ, (i * 7919u) % N_OBJ};
    static const char *const kinds[] = {"attr", "dict_value", "index"};
    for (int k = 0; k < 3; k++) {
        if (k == 2)
            fprintf(f, ",[\"0x%llx\",\"index\",%u]", (unsigned long long)(0x1000 + 0x30ull * t[k]),
                    i % 13);
        else
            fprintf(f, "%s[\"0x%llx\",\"%s\",\"%s_%u\"]", k ? "," : "",
                    (unsigned long long)(0x1000 + 0x30ull * t[k]), kinds[k], kinds[k],
                    (i + k) % 400);
    }
    fprintf(f, "]}\n");
}

enum plant {
    PLANT_NONE,
    PLANT_MALFORMED,
    PLANT_DUPLICATE,
    PLANT_DANGLING,
    PLANT_COUNT,
    PLANT_ROOT
};

/* Writes the test file; *bad_line gets the line of the planted problem. */
static const char *make_file(const char *name, enum plant what, uint64_t *bad_line) {
    const char *path = tmp_path(name);
    FILE *f = fopen(path, "w");
    if (!f) return path;
    fprintf(f,
            "\n{\"whyalive\":1,\"python\":\"3.11.2\",\"host\":\"t\",\"argv\":[\"a\",\"b\"],"
            "\"objects\":%u}\n",
            N_OBJ + (what == PLANT_COUNT ? 1 : 0));
    uint64_t line = 2;
    uint32_t at = N_OBJ - N_OBJ / 8; /* in the last part however it is cut (2..5 parts) */
    for (uint32_t i = 0; i < N_OBJ; i++) {
        if (i == N_OBJ / 3) { /* blank lines and a late site line in the middle */
            fprintf(f, "\n   \r\n{\"site\":\"late.py:1\",\"obj\":\"0x%llx\"}\n",
                    (unsigned long long)(0x1000 + 0x30ull * 5));
            line += 3;
        }
        if (i == at && what == PLANT_MALFORMED) {
            fprintf(f, "{\"addr\": \"0x1\",, }\n");
            *bad_line = ++line;
        }
        uint64_t addr = 0x1000 + 0x30ull * i;
        if (i == at && what == PLANT_DUPLICATE) addr = 0x1000 + 0x30ull * 17;
        if ((i == 100 || i == at) && what == PLANT_DANGLING) {
            fprintf(f,
                    "{\"addr\":\"0x%llx\",\"type\":\"x.Y\",\"size\":1,\"refs\":[[\"0xdead%u\"]]}\n",
                    (unsigned long long)addr, i);
            line++;
            continue;
        }
        object_line(f, i, addr);
        line++;
        if (i == at && what == PLANT_DUPLICATE) *bad_line = line;
    }
    for (uint32_t r = 0; r < 20; r++) {
        fprintf(f, "{\"root\":\"%s\",\"obj\":\"0x%llx\",\"label\":\"root_%u\",\"excess\":%u}\n",
                r % 2 ? "module" : "external", (unsigned long long)(0x1000 + 0x30ull * (r * 997)),
                r, r);
        line++;
    }
    if (what == PLANT_ROOT) {
        fprintf(f, "{\"root\":\"thread\",\"obj\":\"0x7\"}\n");
        *bad_line = ++line;
    }
    if (what == PLANT_COUNT) *bad_line = line;
    fclose(f);
    return path;
}

static int same_u32(const uint32_t *a, const uint32_t *b, uint64_t n) {
    return n == 0 || memcmp(a, b, (size_t)n * 4) == 0;
}

/* Everything observable in a snapshot is the same. */
static int snap_equal(const wa_snapshot *a, const wa_snapshot *b) {
    uint32_t n = wa_snapshot_n_objects(a), e = wa_snapshot_n_edges(a);
    if (n != wa_snapshot_n_objects(b) || e != wa_snapshot_n_edges(b) ||
        wa_snapshot_n_roots(a) != wa_snapshot_n_roots(b) ||
        wa_snapshot_n_types(a) != wa_snapshot_n_types(b) ||
        wa_snapshot_n_strings(a) != wa_snapshot_n_strings(b) ||
        wa_snapshot_dangling(a) != wa_snapshot_dangling(b) ||
        wa_snapshot_total_size(a) != wa_snapshot_total_size(b))
        return 0;
    if (memcmp(wa_snapshot_objects(a), wa_snapshot_objects(b), (size_t)n * sizeof(wa_object)) ||
        (e && memcmp(wa_snapshot_edges(a), wa_snapshot_edges(b), (size_t)e * sizeof(wa_edge))) ||
        !same_u32(wa_snapshot_out_offsets(a), wa_snapshot_out_offsets(b), n + 1ull) ||
        !same_u32(wa_snapshot_in_offsets(a), wa_snapshot_in_offsets(b), n + 1ull) ||
        !same_u32(wa_snapshot_in_sources(a), wa_snapshot_in_sources(b), e) ||
        (wa_snapshot_n_types(a) && memcmp(wa_snapshot_types(a), wa_snapshot_types(b),
                                          wa_snapshot_n_types(a) * sizeof(wa_type))) ||
        (wa_snapshot_n_roots(a) && memcmp(wa_snapshot_roots(a), wa_snapshot_roots(b),
                                          wa_snapshot_n_roots(a) * sizeof(wa_root))))
        return 0;
    for (uint32_t i = 0; i < wa_snapshot_n_strings(a); i++)
        if (strcmp(wa_snapshot_string(a, i), wa_snapshot_string(b, i)) != 0) return 0;
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(wa_snapshot_site(a, i), wa_snapshot_site(b, i)) != 0) return 0;
    const wa_meta *ma = wa_snapshot_meta(a), *mb = wa_snapshot_meta(b);
    if (strcmp(ma->python_version, mb->python_version) || strcmp(ma->host, mb->host) ||
        ma->argc != mb->argc || ma->pid != mb->pid)
        return 0;
    return 1;
}

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return p;
}

static int same_file(const char *x, const char *y) {
    size_t nx = 0, ny = 0;
    char *a = slurp(x, &nx), *b = slurp(y, &ny);
    int same = a && b && nx == ny && memcmp(a, b, nx) == 0;
    free(a);
    free(b);
    return same;
}

static wa_snapshot *load_with(unsigned n, const char *path, wa_error *err) {
    threads(n);
    return wa_snapshot_load(path, NULL, err);
}

static void test_same_snapshot(void) {
    uint64_t unused = 0;
    const char *path = make_file("par_ok.jsonl", PLANT_NONE, &unused);
    wa_error err;
    wa_snapshot *one = load_with(1, path, &err);
    CHECK(one != NULL);
    if (!one) return;
    CHECK_EQ_U64(wa_snapshot_n_objects(one), N_OBJ);
    CHECK_EQ_U64(wa_snapshot_n_edges(one), 3ull * N_OBJ);
    CHECK_EQ_U64(wa_snapshot_dangling(one), 0);
    CHECK_STR(wa_snapshot_site(one, 5), "late.py:1");
    const char *w1 = tmp_path("par_1.wa"), *j1 = tmp_path("par_1.jsonl");
    CHECK(wa_snapshot_save(one, w1, WA_FORMAT_BINARY, &err) == WA_OK);
    CHECK(wa_snapshot_save(one, j1, WA_FORMAT_JSONL, &err) == WA_OK);
    for (unsigned t = 2; t <= 5; t++) {
        wa_snapshot *s = load_with(t, path, &err);
        CHECK(s != NULL);
        if (!s) continue;
        if (!snap_equal(one, s)) {
            fprintf(stderr, "  %u parts: snapshot differs\n", t);
            CHECK(0);
        }
        char wn[512], jn[512];
        snprintf(wn, sizeof wn, "%s/par_n.wa", WA_TMPDIR);
        snprintf(jn, sizeof jn, "%s/par_n.jsonl", WA_TMPDIR);
        CHECK(wa_snapshot_save(s, wn, WA_FORMAT_BINARY, &err) == WA_OK);
        CHECK(wa_snapshot_save(s, jn, WA_FORMAT_JSONL, &err) == WA_OK);
        CHECK(same_file(w1, wn));
        CHECK(same_file(j1, jn));
        remove(wn);
        remove(jn);
        wa_snapshot_free(s);
    }
    /* the same from memory (load_memory takes the parallel path as well) */
    size_t len = 0;
    char *text = slurp(path, &len);
    threads(3);
    wa_snapshot *m = text ? wa_snapshot_load_memory(text, len, "mem.jsonl", NULL, &err) : NULL;
    CHECK(m != NULL && snap_equal(one, m));
    wa_snapshot_free(m);
    free(text);
    remove(w1);
    remove(j1);
    wa_snapshot_free(one);
    remove(path);
}

/* The load fails the same way with 1 and with 2..5 parts, at `line`. */
static void same_error(const char *path, uint64_t line, const char *needle) {
    wa_error e1, en;
    wa_snapshot *s = load_with(1, path, &e1);
    CHECK(s == NULL);
    wa_snapshot_free(s);
    CHECK_EQ_U64(e1.line, line);
    CHECK(strstr(e1.what, needle) != NULL);
    char want[1024];
    snprintf(want, sizeof want, "%s", wa_error_string(&e1));
    for (unsigned t = 2; t <= 5; t++) {
        s = load_with(t, path, &en);
        CHECK(s == NULL);
        wa_snapshot_free(s);
        CHECK_EQ_U64(en.code, e1.code);
        CHECK_STR(wa_error_string(&en), want);
    }
}

static void test_errors_in_later_parts(void) {
    uint64_t line = 0;
    const char *p = make_file("par_bad.jsonl", PLANT_MALFORMED, &line);
    same_error(p, line, "malformed JSON near column");
    remove(p);
    p = make_file("par_dup.jsonl", PLANT_DUPLICATE, &line);
    char dup[128];
    snprintf(dup, sizeof dup, "duplicate object address 0x%llx (objects #17 and #%u)",
             (unsigned long long)(0x1000 + 0x30ull * 17), N_OBJ - N_OBJ / 8);
    same_error(p, line, dup);
    remove(p);
    p = make_file("par_count.jsonl", PLANT_COUNT, &line);
    same_error(p, line, "truncated file");
    remove(p);
    p = make_file("par_root.jsonl", PLANT_ROOT, &line);
    same_error(p, line, "root refers to address 0x7");
    remove(p);
}

static void test_dangling_in_each_part(void) {
    uint64_t unused = 0;
    const char *p = make_file("par_dangle.jsonl", PLANT_DANGLING, &unused);
    wa_error err;
    wa_snapshot *one = load_with(1, p, &err);
    CHECK(one != NULL);
    for (unsigned t = 2; one && t <= 5; t++) {
        wa_snapshot *s = load_with(t, p, &err);
        CHECK(s != NULL);
        if (!s) continue;
        CHECK_EQ_U64(wa_snapshot_dangling(s), 2);
        CHECK(snap_equal(one, s));
        wa_snapshot_free(s);
    }
    wa_snapshot_free(one);
    remove(p);
}

typedef struct prog {
    int calls, cancel_at;
    uint64_t last, total;
    int monotonic;
} prog;

static int progress_cb(void *ctx, uint64_t done, uint64_t total) {
    prog *p = ctx;
    p->calls++;
    if (done < p->last) p->monotonic = 0;
    p->last = done;
    p->total = total;
    return p->cancel_at && p->calls >= p->cancel_at;
}

static void test_progress_and_cancel(void) {
    uint64_t unused = 0;
    const char *path = make_file("par_prog.jsonl", PLANT_NONE, &unused);
    prog pr = {0, 0, 0, 0, 1};
    wa_load_options o = {WA_FORMAT_AUTO, progress_cb, &pr, 0};
    wa_error err;
    threads(2);
    wa_snapshot *s = wa_snapshot_load(path, &o, &err);
    CHECK(s != NULL);
    wa_snapshot_free(s);
    CHECK(pr.calls >= 1);
    CHECK(pr.monotonic);
    CHECK(pr.last <= pr.total);
    prog pc = {0, 1, 0, 0, 1};
    o.progress_ctx = &pc;
    s = wa_snapshot_load(path, &o, &err);
    CHECK(s == NULL);
    CHECK_EQ_U64(pc.calls, 1);
    CHECK_EQ_U64(err.code, WA_ERR_ARG);
    CHECK(strstr(err.what, "cancelled") != NULL);
    remove(path);
}

/* Tiny inputs cut into as many parts as they have lines still load the same
 * (and the malformed-input cases keep their lines: test_malformed runs under
 * any WA_JSONL_THREADS too). */
static void test_fixtures_forced(void) {
    DIR *d = opendir(WA_FIXTURES);
    CHECK(d != NULL);
    if (!d) return;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l < 6 || strcmp(de->d_name + l - 6, ".jsonl") != 0) continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", WA_FIXTURES, de->d_name);
        wa_error e1, en;
        wa_snapshot *one = load_with(1, path, &e1);
        for (unsigned t = 2; t <= 16; t *= 2) {
            wa_snapshot *s = load_with(t, path, &en);
            CHECK((one == NULL) == (s == NULL));
            if (one && s && !snap_equal(one, s)) {
                fprintf(stderr, "  %s with %u parts differs\n", de->d_name, t);
                CHECK(0);
            }
            wa_snapshot_free(s);
        }
        wa_snapshot_free(one);
    }
    closedir(d);
}

int main(void) {
    RUN(test_same_snapshot);
    RUN(test_errors_in_later_parts);
    RUN(test_dangling_in_each_part);
    RUN(test_progress_and_cancel);
    RUN(test_fixtures_forced);
    unsetenv("WA_JSONL_THREADS");
    return wa_test_result();
}
