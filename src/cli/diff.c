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
    "A B [C] [--select SEL] [--limit N] [--all] [--json]",
    "Per type: instances and shallow bytes in each dump and the change from the\n"
    "first to the last, largest growth first (like tracemalloc's compare_to and\n"
    "objgraph's show_growth). With three dumps A B C: objects that are new in B\n"
    "(no object with the same address and type in A) and still present in C,\n"
    "clustered by their retention paths in C: what a request allocated and never\n"
    "let go. Object identity across dumps is (address, type) at best: CPython\n"
    "reuses the addresses of freed objects, so a \"survivor\" may be a new object\n"
    "of the same type at the same address.",
    2, 3, run};

/* buf holds 40 bytes: a sign and a 32-byte number. */
static const char *signed_count(int64_t v, char buf[40]) {
    char t[32];
    wa_cli_count(v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, t);
    snprintf(buf, 40, "%s%s", v < 0 ? "-" : v > 0 ? "+" : "", t);
    return buf;
}

static const char *signed_size(int64_t v, char buf[40]) {
    char t[32];
    wa_cli_size(v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, t);
    snprintf(buf, 40, "%s%s", v < 0 ? "-" : v > 0 ? "+" : "", t);
    return buf;
}

#define IDENTITY_NOTE                                                                              \
    "objects are matched across dumps by (address, type) at best: CPython reuses addresses"

static int run(int argc, char **argv) {
    wa_cli_common common;
    char *pos[argc > 0 ? argc : 1];
    int npos = 0, all = 0;
    const char *select = NULL;
    uint64_t limit = 25, nclusters = 10, members = 20;
    const wa_option opts[] = {
        {"select", 's', WA_OPT_STRING, &select, "SEL", "count only the objects SEL matches"},
        {"limit", 'n', WA_OPT_UINT, &limit, "N", "rows to show (default 25, 0 = all)"},
        {"all", 'a', WA_OPT_FLAG, &all, NULL, "also show types that did not change"},
        {"clusters", 0, WA_OPT_UINT, &nclusters, "N", "survivor clusters to show (default 10)"},
        {"members", 0, WA_OPT_UINT, &members, "N", "--json: member addresses per cluster (20)"},
        {0},
    };
    int rc = wa_cli_parse(&wa_cmd_diff, opts, &common, argc, argv, pos, &npos);
    if (rc != WA_CLI_CONTINUE) return rc;
    wa_selector *sel = NULL;
    if ((rc = wa_ana_cli_parse_select(select, &sel)) != WA_EXIT_OK) return rc;
    if (wa_select_needs_dom(sel)) {
        wa_select_free(sel);
        return wa_cli_fail(WA_EXIT_INPUT,
                           "diff: --select cannot test retained sizes or reachability here");
    }
    wa_snapshot *snaps[3] = {NULL, NULL, NULL};
    wa_diff *d = NULL;
    wa_error err;
    wa_error_clear(&err);
    for (int i = 0; i < npos; i++)
        if (!(snaps[i] = wa_cli_load(pos[i], &common, &rc))) goto done;
    if (!(d = wa_diff_compute(snaps[0], snaps[1], snaps[2], sel, &err))) {
        rc = wa_cli_fail_err(err.code == WA_ERR_NOMEM ? WA_EXIT_INTERNAL : WA_EXIT_INPUT, &err);
        goto done;
    }
    uint32_t ns = d->n_snapshots;
    /* Rows to show: changed ones unless --all. */
    uint32_t shown = 0, candidates = 0;
    for (uint32_t i = 0; i < d->n_rows; i++)
        if (all || d->rows[i].dcount || d->rows[i].dbytes) candidates++;
    shown = limit && candidates > limit ? (uint32_t)limit : candidates;

    if (common.json) {
        cJSON *doc = cJSON_CreateObject();
        cJSON_AddStringToObject(doc, "command", "diff");
        cJSON *files = cJSON_AddArrayToObject(doc, "snapshots");
        for (uint32_t i = 0; i < ns; i++) cJSON_AddItemToArray(files, cJSON_CreateString(pos[i]));
        if (select) cJSON_AddStringToObject(doc, "select", select);
        cJSON_AddStringToObject(doc, "identity", "address+type");
        cJSON_AddStringToObject(doc, "identity_note", IDENTITY_NOTE);
        cJSON *tot = cJSON_AddArrayToObject(doc, "totals");
        for (uint32_t i = 0; i < ns; i++) {
            cJSON *t = cJSON_CreateObject();
            wa_json_add_u64(t, "count", d->count[i]);
            wa_json_add_u64(t, "bytes", d->bytes[i]);
            cJSON_AddItemToArray(tot, t);
        }
        cJSON *rows = cJSON_AddArrayToObject(doc, "rows");
        uint32_t k = 0;
        for (uint32_t i = 0; i < d->n_rows && k < shown; i++) {
            const wa_diff_row *r = &d->rows[i];
            if (!all && !r->dcount && !r->dbytes) continue;
            k++;
            cJSON *row = cJSON_CreateObject();
            cJSON_AddStringToObject(row, "type", r->type);
            cJSON *cn = cJSON_AddArrayToObject(row, "count");
            cJSON *by = cJSON_AddArrayToObject(row, "bytes");
            for (uint32_t j = 0; j < ns; j++) {
                cJSON_AddItemToArray(cn, cJSON_CreateNumber((double)r->count[j]));
                cJSON_AddItemToArray(by, cJSON_CreateNumber((double)r->bytes[j]));
            }
            cJSON_AddNumberToObject(row, "dcount", (double)r->dcount);
            cJSON_AddNumberToObject(row, "dbytes", (double)r->dbytes);
            cJSON_AddItemToArray(rows, row);
        }
        wa_json_add_u64(doc, "rows_total", candidates);
        cJSON_AddBoolToObject(doc, "truncated", shown < candidates);
        if (d->survivors) {
            cJSON *sv = cJSON_AddObjectToObject(doc, "survivors");
            wa_json_add_u64(sv, "count", d->survivors->n);
            uint64_t bytes = 0;
            for (uint32_t i = 0; i < d->clusters->n; i++) bytes += d->clusters->clusters[i].shallow;
            wa_json_add_u64(sv, "shallow", bytes);
            cJSON *cl = cJSON_AddArrayToObject(sv, "clusters");
            uint32_t m = nclusters && d->clusters->n > nclusters ? (uint32_t)nclusters : d->clusters->n;
            for (uint32_t i = 0; i < m; i++)
                cJSON_AddItemToArray(cl, wa_ana_json_cluster(snaps[2], &d->clusters->clusters[i],
                                                             (uint32_t)members));
            wa_json_add_u64(sv, "clusters_total", d->clusters->n);
        } else {
            cJSON_AddNullToObject(doc, "survivors");
        }
        rc = wa_cli_json_out(doc);
        goto done;
    }

    char a[32], b[32], c[32];
    static const char *names[3] = {"A", "B", "C"};
    for (uint32_t i = 0; i < ns; i++)
        printf("%s = %s: %s objects, %s\n", names[i], pos[i], wa_cli_count(d->count[i], a),
               wa_cli_size(d->bytes[i], b));
    printf("note: %s\n\n", IDENTITY_NOTE);
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
    uint32_t k = 0;
    for (uint32_t i = 0; i < d->n_rows && k < shown; i++) {
        const wa_diff_row *r = &d->rows[i];
        if (!all && !r->dcount && !r->dbytes) continue;
        k++;
        char cells[10][40];
        const char *cp[10];
        const char *name = r->type;
        if (strncmp(name, "builtins.", 9) == 0) name += 9;
        cp[0] = name;
        for (uint32_t j = 0; j < ns; j++) {
            cp[1 + j] = wa_cli_count(r->count[j], cells[1 + j]);
            cp[1 + ns + 1 + j] = wa_cli_size(r->bytes[j], cells[5 + j]);
        }
        cp[1 + ns] = signed_count(r->dcount, cells[4]);
        cp[ncol - 1] = signed_size(r->dbytes, cells[9]);
        wa_table_row(t, cp);
    }
    if (k) wa_table_print(t, stdout);
    else printf("no type changed%s\n", select ? " among the selected objects" : "");
    wa_table_free(t);
    if (shown < candidates)
        printf("... %s more types (--limit 0 shows all)\n", wa_cli_count(candidates - shown, a));
    if (d->survivors) {
        uint64_t bytes = 0;
        for (uint32_t i = 0; i < d->clusters->n; i++) bytes += d->clusters->clusters[i].shallow;
        printf("\nsurvivors: %s objects new in B and still alive in C (%s shallow), by "
               "retention path in C:\n",
               wa_cli_count(d->survivors->n, a), wa_cli_size(bytes, b));
        uint32_t m = nclusters && d->clusters->n > nclusters ? (uint32_t)nclusters : d->clusters->n;
        for (uint32_t i = 0; i < m; i++) wa_ana_print_cluster(snaps[2], &d->clusters->clusters[i], 1);
        if (m < d->clusters->n)
            printf("... %s more clusters (--clusters 0 shows all)\n",
                   wa_cli_count(d->clusters->n - m, c));
    }
    rc = wa_cli_finish_output(WA_EXIT_OK);
done:
    wa_diff_free(d);
    for (int i = 0; i < 3; i++) wa_snapshot_free(snaps[i]);
    wa_select_free(sel);
    return rc;
}
