/* summary.c: `whyalive summary SNAP`: the per-type (or per-module) table of
 * counts, shallow and retained bytes, with the unreachable group. */
#include <string.h>

#include "cli/analysis_common.h"

static int run(int argc, char **argv);

const wa_cli_command wa_cmd_summary = {
    "summary",
    "what fills the heap: count, shallow and retained bytes per type or module",
    "SNAP [--by type|module] [--sort KEY] [--select SEL] [--limit N] [--json]",
    "One row per type (or module with --by module): instances, shallow bytes, and\n"
    "retained bytes = what would be freed if every instance of the row went at\n"
    "once (nested instances are counted once). Objects no root reaches are\n"
    "reported as their own group, never dropped. --select restricts the objects\n"
    "counted. --no-retained skips the dominator computation.",
    1, 1, run};

static int run(int argc, char **argv) {
    wa_cli_common common;
    char *pos[argc > 0 ? argc : 1];
    int npos = 0, no_retained = 0;
    const char *by = "type", *sort = "retained", *select = NULL;
    uint64_t limit = 25;
    const wa_option opts[] = {
        {"by", 0, WA_OPT_STRING, &by, "type|module", "group rows by type (default) or module"},
        {"sort", 0, WA_OPT_STRING, &sort, "KEY", "retained (default), shallow, count or name"},
        {"select", 's', WA_OPT_STRING, &select, "SEL", "count only the objects SEL matches"},
        {"limit", 'n', WA_OPT_UINT, &limit, "N", "show the first N rows (default 25, 0 = all)"},
        {"no-retained", 0, WA_OPT_FLAG, &no_retained, NULL,
         "skip dominators (faster; no retained column)"},
        {0},
    };
    int rc = wa_cli_parse(&wa_cmd_summary, opts, &common, argc, argv, pos, &npos);
    if (rc != WA_CLI_CONTINUE) return rc;
    wa_summary_by by_key;
    if (!strcmp(by, "type")) by_key = WA_SUMMARY_BY_TYPE;
    else if (!strcmp(by, "module")) by_key = WA_SUMMARY_BY_MODULE;
    else return wa_cli_fail(WA_EXIT_INPUT, "summary: --by expects type or module, got '%s'", by);
    wa_sort_key sk;
    if (!strcmp(sort, "retained")) sk = WA_SORT_RETAINED;
    else if (!strcmp(sort, "shallow")) sk = WA_SORT_SHALLOW;
    else if (!strcmp(sort, "count")) sk = WA_SORT_COUNT;
    else if (!strcmp(sort, "name")) sk = WA_SORT_NAME;
    else
        return wa_cli_fail(WA_EXIT_INPUT,
                           "summary: --sort expects retained, shallow, count or name, got '%s'",
                           sort);
    wa_selector *sel = NULL;
    if ((rc = wa_ana_cli_parse_select(select, &sel)) != WA_EXIT_OK) return rc;
    if (no_retained && wa_select_needs_dom(sel)) {
        wa_select_free(sel);
        return wa_cli_fail(WA_EXIT_INPUT, "summary: this selector needs retained sizes; "
                                          "drop --no-retained");
    }

    wa_snapshot *snap = wa_cli_load(pos[0], &common, &rc);
    wa_dom *dom = NULL;
    wa_objlist *subset = NULL;
    wa_summary *sum = NULL;
    if (!snap) goto done;
    if (!no_retained && !(dom = wa_ana_cli_dom(snap, &common, &rc))) goto done;
    if (sel && !(subset = wa_ana_cli_select(sel, snap, dom, 0, &rc))) goto done;
    wa_error err;
    wa_error_clear(&err);
    sum = wa_summary_compute(snap, dom, by_key, subset, sk, &err);
    if (!sum) {
        rc = wa_cli_fail_err(WA_EXIT_INTERNAL, &err);
        goto done;
    }
    uint32_t shown = limit && sum->n_rows > limit ? (uint32_t)limit : sum->n_rows;
    if (subset && subset->total == 0) wa_cli_note(&common, "the selection matched no object");

    if (common.json) {
        cJSON *doc = cJSON_CreateObject();
        cJSON_AddStringToObject(doc, "command", "summary");
        cJSON_AddStringToObject(doc, "snapshot", pos[0]);
        cJSON_AddStringToObject(doc, "by", by_key == WA_SUMMARY_BY_TYPE ? "type" : "module");
        cJSON_AddStringToObject(doc, "sort", sort);
        if (select) cJSON_AddStringToObject(doc, "select", select);
        cJSON *tot = cJSON_AddObjectToObject(doc, "totals");
        wa_json_add_u64(tot, "count", sum->count);
        wa_json_add_u64(tot, "shallow", sum->shallow);
        if (dom) wa_json_add_u64(tot, "reachable_bytes", sum->reachable_bytes);
        cJSON_AddBoolToObject(doc, "has_retained", dom != NULL);
        cJSON *un = cJSON_AddObjectToObject(doc, "unreachable");
        wa_json_add_u64(un, "count", sum->n_unreachable);
        wa_json_add_u64(un, "bytes", sum->unreachable_bytes);
        cJSON *rows = cJSON_AddArrayToObject(doc, "rows");
        for (uint32_t i = 0; i < shown; i++) {
            const wa_summary_row *r = &sum->rows[i];
            cJSON *row = cJSON_CreateObject();
            if (by_key == WA_SUMMARY_BY_TYPE) {
                cJSON_AddStringToObject(row, "type", wa_snapshot_type_name(snap, r->key));
                cJSON_AddStringToObject(row, "module", wa_snapshot_type_module(snap, r->key));
            } else {
                cJSON_AddStringToObject(row, "module", wa_snapshot_string(snap, r->key));
            }
            wa_json_add_u64(row, "count", r->count);
            wa_json_add_u64(row, "shallow", r->shallow);
            if (dom) wa_json_add_u64(row, "retained", r->retained);
            else cJSON_AddNullToObject(row, "retained");
            cJSON_AddItemToArray(rows, row);
        }
        wa_json_add_u64(doc, "rows_total", sum->n_rows);
        cJSON_AddBoolToObject(doc, "truncated", shown < sum->n_rows);
        rc = wa_cli_json_out(doc);
        goto done;
    }

    char a[32], b[32], c[32];
    printf("%s: %s objects, %s shallow", pos[0], wa_cli_count(sum->count, a),
           wa_cli_size(sum->shallow, b));
    if (dom) printf(", %s reachable from roots", wa_cli_size(sum->reachable_bytes, c));
    printf("\n\n");
    wa_table *t = wa_table_new(dom ? 4 : 3);
    wa_table_col(t, 0, by_key == WA_SUMMARY_BY_TYPE ? "type" : "module", WA_LEFT, 60);
    wa_table_col(t, 1, "count", WA_RIGHT, 0);
    wa_table_col(t, 2, "shallow", WA_RIGHT, 0);
    if (dom) wa_table_col(t, 3, "retained", WA_RIGHT, 0);
    for (uint32_t i = 0; i < shown; i++) {
        const wa_summary_row *r = &sum->rows[i];
        const char *name = by_key == WA_SUMMARY_BY_TYPE ? wa_cli_type_display(snap, r->key)
                                                        : wa_snapshot_string(snap, r->key);
        const char *cells[4] = {name, wa_cli_count(r->count, a), wa_cli_size(r->shallow, b),
                                dom ? wa_cli_size(r->retained, c) : ""};
        wa_table_row(t, cells);
    }
    wa_table_print(t, stdout);
    wa_table_free(t);
    if (shown < sum->n_rows)
        printf("... %s more %s (--limit 0 shows all)\n", wa_cli_count(sum->n_rows - shown, a),
               by_key == WA_SUMMARY_BY_TYPE ? "types" : "modules");
    if (dom && sum->n_unreachable)
        printf("\nunreachable: %s objects, %s (no root reaches them: garbage awaiting "
               "collection, or held by referrers the dump could not see)\n",
               wa_cli_count(sum->n_unreachable, a), wa_cli_size(sum->unreachable_bytes, b));
    rc = wa_cli_finish_output(WA_EXIT_OK);
done:
    wa_summary_free(sum);
    wa_objlist_free(subset);
    wa_dom_free(dom);
    wa_snapshot_free(snap);
    wa_select_free(sel);
    return rc;
}
