/*
 * analysis_bench.c: times the analysis pipeline on a snapshot file and
 * reports peak memory per object.
 *
 *   wa_anabench SNAP [--edges OUT]      load, dominators + retained, summary;
 *                                       --edges also writes the graph as an
 *                                       edge list for networkx (node 0 = the
 *                                       super-root, object i = node i+1, weak
 *                                       edges left out)
 *   wa_anabench --story N               N instances behind one registry (the
 *                                       leak of the story), built in memory:
 *                                       time paths for every instance, clustered
 *
 * After the analysis, read_hugepages_s: the time to read the same file (from
 * the page cache by then) into fresh 2 MiB-aligned memory advised
 * MADV_HUGEPAGE: the floor a load can approach (issue 15).
 *
 * Output: one "key value" per line, read by bench/bench_analysis.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>

#include "whyalive/analysis.h"
#include "whyalive/select.h"
#include "whyalive/whyalive.h"

static double cpu(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Peak resident set so far, bytes. */
static double peak_rss(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss * 1024.0;
}

/* Current resident set, bytes (from /proc). */
static double cur_rss(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, res = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &res) != 2) res = 0;
        fclose(f);
    }
    return (double)res * 4096.0;
}

static int die(const char *what, wa_error *err) {
    fprintf(stderr, "wa_anabench: %s: %s\n", what, wa_error_string(err));
    return 2;
}

static int story(uint32_t n) {
    wa_error err;
    wa_error_clear(&err);
    wa_builder *b = wa_builder_new(&err);
    if (!b) return die("builder", &err);
    wa_builder_reserve(b, 2ull * n + 8, 2ull * n + 8, &err);
    uint32_t tmod = wa_builder_type(b, "builtins.module", "builtins", &err);
    uint32_t tdict = wa_builder_type(b, "builtins.dict", "builtins", &err);
    uint32_t tsess = wa_builder_type(b, "app.stt.Session", "app.stt", &err);
    uint32_t ttr = wa_builder_type(b, "app.stt.ConversationTranscriber", "app.stt", &err);
    uint32_t sdict = wa_builder_intern(b, "__dict__", 8, &err);
    uint32_t ssess = wa_builder_intern(b, "'_sessions'", 11, &err);
    uint32_t str = wa_builder_intern(b, "transcriber", 11, &err);
    uint32_t smod = wa_builder_intern(b, "app.stt", 7, &err);
    wa_object o;
    memset(&o, 0, sizeof o);
    o.refcount = 1;
    o.addr = 0x10, o.type = tmod, o.size = 72, o.flags = WA_OBJ_IS_MODULE;
    uint32_t m = wa_builder_object(b, &o, &err);
    o.addr = 0x20, o.type = tdict, o.size = 1000, o.flags = 0;
    uint32_t ns = wa_builder_object(b, &o, &err);
    o.addr = 0x30, o.flags = WA_OBJ_HAS_LEN, o.length = n;
    uint32_t reg = wa_builder_object(b, &o, &err);
    wa_builder_edge(b, m, 0x20, WA_LABEL(WA_EDGE_ATTR, sdict), &err);
    wa_builder_edge(b, ns, 0x30, WA_LABEL(WA_EDGE_DICT_VALUE, ssess), &err);
    char key[32];
    for (uint32_t i = 0; i < n; i++) {
        uint64_t a = 0x1000 + 32ull * i;
        snprintf(key, sizeof key, "'sess-%u'", 100000 + i);
        uint32_t k = wa_builder_intern(b, key, strlen(key), &err);
        wa_builder_edge(b, reg, a, WA_LABEL(WA_EDGE_DICT_VALUE, k), &err);
        o.addr = a, o.type = tsess, o.size = 56, o.flags = 0;
        uint32_t s = wa_builder_object(b, &o, &err);
        wa_builder_edge(b, s, a + 16, WA_LABEL(WA_EDGE_ATTR, str), &err);
        o.addr = a + 16, o.type = ttr, o.size = 1000;
        if (wa_builder_object(b, &o, &err) == WA_NONE) return die("object", &err);
    }
    wa_builder_root(b, 0x10, WA_ROOT_MODULE, smod, 0, &err);
    wa_snapshot *snap = wa_builder_finish(b, "story", &err);
    if (!snap) return die("finish", &err);
    double t0 = now();
    wa_dom *dom = wa_dom_compute(snap, &err);
    double t1 = now();
    wa_path_tree *tree = wa_path_tree_build(snap, &err);
    wa_selector *sel = wa_select_parse("type=ConversationTranscriber", &err);
    wa_objlist *l = wa_select_run(sel, snap, dom, 0, &err);
    wa_cluster_set *cs = l ? wa_path_cluster(snap, tree, dom, l->objs, l->n, &err) : NULL;
    double t2 = now();
    if (!cs) return die("cluster", &err);
    char text[256];
    wa_cluster_format(snap, &cs->clusters[0], text, sizeof text);
    printf("story_instances %u\nstory_dom_s %.3f\nstory_paths_clustered_s %.3f\n"
           "story_clusters %u\nstory_top \"%u via %s\"\n",
           n, t1 - t0, t2 - t1, cs->n, cs->clusters[0].count, text);
    wa_cluster_set_free(cs);
    wa_objlist_free(l);
    wa_select_free(sel);
    wa_path_tree_free(tree);
    wa_dom_free(dom);
    wa_snapshot_free(snap);
    return 0;
}

static int write_edges(const wa_snapshot *s, const char *path) {
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    uint32_t n = wa_snapshot_n_objects(s);
    const wa_root *r = wa_snapshot_roots(s);
    for (uint32_t i = 0; i < wa_snapshot_n_roots(s); i++) fprintf(f, "0 %u\n", r[i].obj + 1);
    for (uint32_t v = 0; v < n; v++) {
        const wa_edge *e;
        uint32_t k = wa_snapshot_out(s, v, &e);
        for (uint32_t j = 0; j < k; j++)
            if (WA_LABEL_KIND(e[j].label) != WA_EDGE_WEAK)
                fprintf(f, "%u %u\n", v + 1, e[j].to + 1);
    }
    return fclose(f);
}

/* Seconds to read the whole file into fresh huge-page-advised memory, or -1. */
static double read_hugepages(const char *path) {
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        if (fd >= 0) close(fd);
        return -1;
    }
    const size_t two = (size_t)2 << 20, len = (size_t)st.st_size;
    double t0 = now();
    unsigned char *raw =
        mmap(NULL, len + two, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) {
        close(fd);
        return -1;
    }
    unsigned char *p = (unsigned char *)(((uintptr_t)raw + two - 1) & ~(uintptr_t)(two - 1));
    madvise(p, len, MADV_HUGEPAGE);
    size_t done = 0;
    while (done < len) {
        ssize_t r =
            pread(fd, p + done, len - done > (64u << 20) ? 64u << 20 : len - done, (off_t)done);
        if (r <= 0) break;
        done += (size_t)r;
    }
    double t = now() - t0;
    munmap(raw, len + two);
    close(fd);
    return done == len ? t : -1;
}

int main(int argc, char **argv) {
    if (argc >= 3 && strcmp(argv[1], "--story") == 0)
        return story((uint32_t)strtoul(argv[2], NULL, 10));
    if (argc < 2) {
        fprintf(stderr, "usage: wa_anabench SNAP [--edges OUT] | --story N\n");
        return 2;
    }
    const char *edges = argc >= 4 && strcmp(argv[2], "--edges") == 0 ? argv[3] : NULL;
    wa_error err;
    wa_error_clear(&err);
    double rss0 = cur_rss();
    double c0 = cpu(), t0 = now();
    wa_snapshot *s = wa_snapshot_load(argv[1], NULL, &err);
    if (!s) return die(argv[1], &err);
    double t1 = now(), peak_load = peak_rss(), rss_loaded = cur_rss();
    wa_dom *dom = wa_dom_compute(s, &err);
    if (!dom) return die("dominators", &err);
    double t2 = now(), peak_dom = peak_rss(), rss_dom = cur_rss();
    wa_summary *sum = wa_summary_compute(s, dom, WA_SUMMARY_BY_TYPE, NULL, WA_SORT_RETAINED, &err);
    if (!sum) return die("summary", &err);
    double t3 = now(), c3 = cpu(), peak_all = peak_rss();
    uint32_t n = wa_snapshot_n_objects(s);
    printf("objects %u\nedges %u\n", n, wa_snapshot_n_edges(s));
    printf("load_s %.3f\ndom_retained_s %.3f\nsummary_s %.3f\ntotal_s %.3f\n", t1 - t0, t2 - t1,
           t3 - t2, t3 - t0);
    printf("total_cpu_s %.3f\n", c3 - c0);
    printf("snapshot_bytes_per_object %.1f\n", (double)wa_snapshot_memory(s) / n);
    printf("rss_after_load_per_object %.1f\n", (rss_loaded - rss0) / n);
    printf("peak_rss_load_per_object %.1f\n", (peak_load - rss0) / n);
    printf("peak_rss_dom_per_object %.1f\n", (peak_dom - rss0) / n);
    printf("rss_after_dom_per_object %.1f\n", (rss_dom - rss0) / n);
    printf("peak_rss_all_per_object %.1f\n", (peak_all - rss0) / n);
    printf("dom_peak_temp_per_object %.1f\n", (double)dom->peak_temp / n);
    printf("dom_result_per_object %.1f\n", 16.0);
    printf("unreachable %u\n", dom->n_unreachable);
    if (sum->n_rows) {
        printf("top_type \"%s\"\n", wa_summary_row_name(s, sum, &sum->rows[0]));
    }
    wa_summary_free(sum);
    wa_dom_free(dom);
    if (edges && write_edges(s, edges) != 0) {
        fprintf(stderr, "wa_anabench: cannot write %s\n", edges);
        return 3;
    }
    wa_snapshot_free(s);
    printf("read_hugepages_s %.3f\n", read_hugepages(argv[1]));
    return 0;
}
