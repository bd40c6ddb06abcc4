/* summary.c: `whyalive summary SNAP`: the per-type (or per-module) table of
 * counts, shallow and retained bytes, with the unreachable group. */
#include <string.h>

#include "cli/analysis_common.h"

static int run(int argc, char **argv);

const wa_cli_command wa_cmd_summary = {
    "summary",
    "what fills the heap: count, shallow and retained bytes per type, module or site",
    "SNAP [--by type|module|site] [--sort KEY] [--select SEL] [--limit N] [--json]",
    "One row per type (or module with --by module, or allocation site with --by\n"
    "site: the innermost file:line, for dumps taken with tracemalloc): instances,\n"
    "shallow bytes, and\n"
    "retained bytes = what would be freed if every instance of the row went at\n"
    "once (nested instances are counted once). Objects no root reaches are\n"
    "reported as their own group, never dropped. --select restricts the objects\n"
    "counted. --no-retained skips the dominator computation.",
    1,
    1,
    run,
    1};

/* The human table, drawn from the view's document. */
static int print_table(const cJSON *doc, const wa_snapshot *snap, const void *ctx) {
    (void)ctx;
    const char *path = wa_j_str(doc, "snapshot");
    char a[32], b[32], c[32];
    int has_ret = wa_j_bool(doc, "has_retained");
    const char *by = wa_j_str(doc, "by");
    int by_type = strcmp(by, "type") == 0, by_site = strcmp(by, "site") == 0;
    const cJSON *tot = wa_j_get(doc, "totals"), *rows = wa_j_get(doc, "rows");
    const cJSON *un = wa_j_get(doc, "unreachable");
    printf("%s: %s objects, %s shallow", path, wa_cli_count(wa_j_u64(tot, "count"), a),
           wa_size_text(wa_j_u64(tot, "shallow"), 2, b));
    if (has_ret)
        printf(", %s reachable from roots", wa_size_text(wa_j_u64(tot, "reachable_bytes"), 2, c));
    printf("\n\n");
    wa_table *t = wa_table_new(has_ret ? 4 : 3);
    wa_table_col(t, 0, by, WA_LEFT, 60);
    wa_table_col(t, 1, "count", WA_RIGHT, 0);
    wa_table_col(t, 2, "shallow", WA_RIGHT, 0);
    if (has_ret) wa_table_col(t, 3, "retained", WA_RIGHT, 0);
    const cJSON *r;
    cJSON_ArrayForEach(r, rows) {
        const char *name = by_type   ? wa_type_display(wa_j_str(r, "type"))
                           : by_site ? (cJSON_IsString(wa_j_get(r, "site")) ? wa_j_str(r, "site")
                                                                            : "(no site recorded)")
                                     : wa_j_str(r, "module");
        const char *cells[4] = {name, wa_cli_count(wa_j_u64(r, "count"), a),
                                wa_size_text(wa_j_u64(r, "shallow"), 2, b),
                                has_ret ? wa_size_text(wa_j_u64(r, "retained"), 2, c) : ""};
        wa_table_row(t, cells);
    }
    wa_table_print(t, stdout);
    wa_table_free(t);
    uint64_t shown = (uint64_t)cJSON_GetArraySize(rows), total = wa_j_u64(doc, "rows_total");
    if (shown < total)
        printf("... %s more %s (--limit 0 shows all)\n", wa_cli_count(total - shown, a),
               by_type   ? "types"
               : by_site ? "sites"
                         : "modules");
    if (has_ret && wa_j_u64(un, "count"))
        printf("\nunreachable: %s objects, %s (no root reaches them: garbage awaiting "
               "collection, or held by referrers the dump could not see)\n",
               wa_cli_count(wa_j_u64(un, "count"), a), wa_size_text(wa_j_u64(un, "bytes"), 2, b));
    return wa_cli_finish_output(WA_EXIT_OK);
}

static int run(int argc, char **argv) {
    wa_cli_common common;
    char *pos[argc > 0 ? argc : 1];
    int npos = 0, no_retained = 0;
    const char *by = "type", *sort = "retained", *select = NULL;
    uint64_t limit = 25;
    const wa_option opts[] = {
        {"by", 0, WA_OPT_STRING, &by, "type|module|site",
         "group rows by type (default), module or allocation site"},
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
    if (!strcmp(by, "type"))
        by_key = WA_SUMMARY_BY_TYPE;
    else if (!strcmp(by, "module"))
        by_key = WA_SUMMARY_BY_MODULE;
    else if (!strcmp(by, "site"))
        by_key = WA_SUMMARY_BY_SITE;
    else
        return wa_cli_fail(WA_EXIT_INPUT, "summary: --by expects type, module or site, got '%s'",
                           by);
    wa_sort_key sk;
    if (!strcmp(sort, "retained"))
        sk = WA_SORT_RETAINED;
    else if (!strcmp(sort, "shallow"))
        sk = WA_SORT_SHALLOW;
    else if (!strcmp(sort, "count"))
        sk = WA_SORT_COUNT;
    else if (!strcmp(sort, "name"))
        sk = WA_SORT_NAME;
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

    wa_view_options vo;
    wa_view_options_init(&vo);
    vo.by = by_key;
    vo.sort = sk;
    vo.no_retained = no_retained;
    vo.limit = (uint32_t)(limit > UINT32_MAX ? UINT32_MAX - 1 : limit);
    vo.select = select;
    wa_ana_job job = {
        .path = pos[0], .sel = sel, .vo = &vo, .view = wa_view_summary, .print = print_table};
    rc = wa_ana_cli_run(&job, &common);
    wa_select_free(sel);
    return rc;
}
