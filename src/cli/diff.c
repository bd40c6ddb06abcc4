/* diff.c: `whyalive diff A B [C]`: per-type growth between dumps; with a
 * third dump, the objects new in B that still live in C, clustered by their
 * retention paths in C (the three-snapshot technique). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli/analysis_common.h"

static int run(int argc, char **argv);

const wa_cli_command wa_cmd_diff = {
    "diff",
    "what grew between dumps: per-type deltas; with 3 dumps, the survivors and their paths",
    "A B [C] [--select SEL] [--limit N] [--all] [--fail-on SEL [--max-growth N]] [--json]",
    "Per type: instances and shallow bytes in each dump and the change from the\n"
    "first to the last, largest growth first (like tracemalloc's compare_to and\n"
    "objgraph's show_growth). With three dumps A B C: objects that are new in B\n"
    "(no object with the same address and type in A) and still present in C,\n"
    "clustered by their retention paths in C: what a request allocated and never\n"
    "let go. Object identity across dumps is (address, type) at best: CPython\n"
    "reuses the addresses of freed objects, so a \"survivor\" may be a new object\n"
    "of the same type at the same address.\n\n"
    "CI gate: --fail-on SEL exits 1 when the objects SEL matches grew by more\n"
    "than --max-growth N (default 0) from the first dump to the last, and\n"
    "prints the retention routes of those new since the first dump.",
    2,
    3,
    run,
    1};

/* buf holds 40 bytes: a sign and a 32-byte number. */
static const char *signed_count(int64_t v, char buf[40]) {
    char t[32];
    wa_cli_count(v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, t);
    snprintf(buf, 40, "%s%s", v < 0 ? "-" : v > 0 ? "+" : "", t);
    return buf;
}

static const char *signed_size(int64_t v, char buf[40]) {
    char t[32];
    wa_size_text(v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, 2, t);
    snprintf(buf, 40, "%s%s", v < 0 ? "-" : v > 0 ? "+" : "", t);
    return buf;
}

/* The human table, drawn from the view's document. */
static int print_doc(const cJSON *doc, const wa_snapshot *snap, const void *ctx) {
    int has_select = wa_j_get(doc, "select") != NULL;
    char a[32], b[32], c[32];
    static const char *names[3] = {"A", "B", "C"};
    const cJSON *files = wa_j_get(doc, "snapshots"), *tot = wa_j_get(doc, "totals");
    uint32_t ns = (uint32_t)cJSON_GetArraySize(files);
    for (uint32_t i = 0; i < ns; i++) {
        const cJSON *t = cJSON_GetArrayItem(tot, (int)i);
        printf("%s = %s: %s objects, %s\n", names[i],
               cJSON_GetArrayItem(files, (int)i)->valuestring,
               wa_cli_count(wa_j_u64(t, "count"), a), wa_size_text(wa_j_u64(t, "bytes"), 2, b));
    }
    printf("note: %s\n\n", wa_j_str(doc, "identity_note"));
    int ncol = 1 + 2 * (int)ns + 2;
    wa_table *t = wa_table_new(ncol);
    wa_table_col(t, 0, "type", WA_LEFT, 60);
    char hdr[8][32];
    for (uint32_t i = 0; i < ns; i++) {
        snprintf(hdr[i], sizeof hdr[i], "%s count", names[i]);
        wa_table_col(t, 1 + (int)i, hdr[i], WA_RIGHT, 0);
        snprintf(hdr[4 + i], sizeof hdr[4 + i], "%s bytes", names[i]);
        wa_table_col(t, 1 + (int)ns + 1 + (int)i, hdr[4 + i], WA_RIGHT, 0);
    }
    wa_table_col(t, 1 + (int)ns, "Δ count", WA_RIGHT, 0);
    wa_table_col(t, ncol - 1, "Δ bytes", WA_RIGHT, 0);
    const cJSON *rows = wa_j_get(doc, "rows"), *r;
    cJSON_ArrayForEach(r, rows) {
        char cells[10][40];
        const char *cp[10];
        cp[0] = wa_type_display(wa_j_str(r, "type"));
        const cJSON *cn = wa_j_get(r, "count"), *by = wa_j_get(r, "bytes");
        for (uint32_t j = 0; j < ns; j++) {
            cp[1 + j] =
                wa_cli_count((uint64_t)cJSON_GetArrayItem(cn, (int)j)->valuedouble, cells[1 + j]);
            cp[1 + ns + 1 + j] = wa_size_text((uint64_t)cJSON_GetArrayItem(by, (int)j)->valuedouble,
                                              2, cells[5 + j]);
        }
        cp[1 + ns] = signed_count((int64_t)wa_j_num(r, "dcount"), cells[4]);
        cp[ncol - 1] = signed_size((int64_t)wa_j_num(r, "dbytes"), cells[9]);
        wa_table_row(t, cp);
    }
    if (cJSON_GetArraySize(rows))
        wa_table_print(t, stdout);
    else
        printf("no type changed%s\n", has_select ? " among the selected objects" : "");
    wa_table_free(t);
    uint64_t shown = (uint64_t)cJSON_GetArraySize(rows), total = wa_j_u64(doc, "rows_total");
    if (shown < total)
        printf("... %s more types (--limit 0 shows all)\n", wa_cli_count(total - shown, a));
    const cJSON *sv = wa_j_get(doc, "survivors");
    if (cJSON_IsObject(sv)) {
        const cJSON *cl = wa_j_get(sv, "clusters"), *e;
        printf("\nsurvivors: %s objects new in B and still alive in C (%s shallow), by "
               "retention path in C:\n",
               wa_cli_count(wa_j_u64(sv, "count"), a), wa_size_text(wa_j_u64(sv, "shallow"), 2, b));
        cJSON_ArrayForEach(e, cl) wa_ana_print_cluster(e);
        uint64_t m = (uint64_t)cJSON_GetArraySize(cl), n = wa_j_u64(sv, "clusters_total");
        if (m < n)
            printf("... %s more clusters (--clusters 0 shows all)\n", wa_cli_count(n - m, c));
    }
    return wa_cli_finish_output(WA_EXIT_OK);
}

static int run(int argc, char **argv) {
    wa_cli_common common;
    char *pos[argc > 0 ? argc : 1];
    int npos = 0, all = 0;
    const char *select = NULL;
    uint64_t limit = 25, nclusters = 10, members = 20, max_growth = 0;
    const char *fail_on = NULL;
    const wa_option opts[] = {
        {"select", 's', WA_OPT_STRING, &select, "SEL", "count only the objects SEL matches"},
        {"limit", 'n', WA_OPT_UINT, &limit, "N", "rows to show (default 25, 0 = all)"},
        {"all", 'a', WA_OPT_FLAG, &all, NULL, "also show types that did not change"},
        {"clusters", 0, WA_OPT_UINT, &nclusters, "N", "survivor clusters to show (default 10)"},
        {"members", 0, WA_OPT_UINT, &members, "N", "--json: member addresses per cluster (20)"},
        {"fail-on", 0, WA_OPT_STRING, &fail_on, "SEL",
         "exit 1 when what SEL matches grew by more than --max-growth"},
        {"max-growth", 0, WA_OPT_UINT, &max_growth, "N", "growth --fail-on allows (default 0)"},
        {0},
    };
    int rc = wa_cli_parse(&wa_cmd_diff, opts, &common, argc, argv, pos, &npos);
    if (rc != WA_CLI_CONTINUE) return rc;
    wa_selector *sel = NULL, *fsel = NULL;
    wa_check_options check;
    if ((rc = wa_ana_cli_fail_on(fail_on, WA_CHECK_GROWTH, max_growth, &check, &fsel)) !=
        WA_EXIT_OK)
        return rc;
    if ((rc = wa_ana_cli_parse_select(select, &sel)) != WA_EXIT_OK) {
        wa_select_free(fsel);
        return rc;
    }
    if (wa_select_needs_dom(sel)) {
        wa_select_free(sel);
        wa_select_free(fsel);
        return wa_cli_fail(WA_EXIT_INPUT,
                           "diff: --select cannot test retained sizes or reachability here");
    }
    wa_error err;
    wa_error_clear(&err);
    wa_view_source src[3];
    memset(src, 0, sizeof src);
    for (int i = 0; i < npos; i++) {
        if (!(src[i].session = wa_ana_cli_open(pos[i], &common, &rc))) goto done;
        src[i].name = pos[i];
    }
    wa_view_options vo;
    wa_view_options_init(&vo);
    vo.select = select;
    vo.selector = sel;
    vo.all = all;
    vo.limit = limit >= UINT32_MAX ? 0 : (uint32_t)limit;
    vo.clusters = nclusters > UINT32_MAX ? UINT32_MAX : (uint32_t)nclusters;
    vo.members = members > UINT32_MAX ? UINT32_MAX : (uint32_t)members;
    wa_view *view = wa_view_diff(src, (uint32_t)npos, &vo, &err);
    if (wa_ana_cli_check(view, src, (uint32_t)npos, fail_on ? &check : NULL, &rc) != 0) goto done;
    rc = wa_ana_cli_show(view, &err, &common, NULL, print_doc, NULL);
done:
    for (int i = 0; i < 3; i++) wa_ana_cli_close(src[i].session);
    wa_select_free(sel);
    wa_select_free(fsel);
    return rc;
}
