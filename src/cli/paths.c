/* paths.c: `whyalive paths SNAP --select SEL`: why are these objects alive?
 * Shortest retention paths from a root, clustered (default) or one per
 * object, or the k shortest through distinct roots. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli/analysis_common.h"

static int run(int argc, char **argv);

const wa_cli_command wa_cmd_paths = {
    "paths",
    "why objects are alive: retention paths from the roots, clustered",
    "SNAP --select SEL [--each | -k N | --holders | --cut] [--no-cut] [--limit N]\n"
    "       [--fail-on SEL [--max-count N]] [--json]",
    "For every selected object, the shortest path of references from a root\n"
    "(module, thread frame, external reference, ...) to it, with the attribute\n"
    "names, dict keys and indexes on every hop. By default paths that differ\n"
    "only in indexes, addresses or per-instance dict keys (shown [*]) are\n"
    "grouped into clusters, ranked by the bytes they retain:\n"
    "  700 ConversationTranscriber (12.3 MiB retained) via sys.modules['app.stt']\n"
    "      .__dict__['_sessions'] [*] .transcriber\n"
    "--holders lists every holder instead: each pattern of reference (holder\n"
    "type and edge) into the selection from outside it, with its route and the\n"
    "objects it holds; removing them all frees the selection.\n"
    "Both end with the cut: the fewest reference patterns whose removal frees\n"
    "the whole selection, found on the graph and checked (\"to free these 16\n"
    "objects, remove: EventBus .listeners [*]\"); references a program makes\n"
    "(container items, attributes, closure variables) are preferred to\n"
    "interpreter plumbing (a bound method's __self__). --cut prints it alone,\n"
    "--no-cut skips it.\n"
    "--each prints one path per object; -k N the N shortest paths through\n"
    "distinct roots (per object; a reverse search for each, so keep --limit small).\n"
    "Weak references never retain and are never on a path.\n\n"
    "CI gate: --fail-on SEL exits 1 when SEL matches more than --max-count N\n"
    "objects (default 0: \"none of these may be alive\"), after printing their\n"
    "paths (--select defaults to SEL).",
    1,
    1,
    run,
    1};

/* The cut: what to remove to free the selection. */
static void print_cut(const cJSON *doc) {
    char a[32], b[32];
    const cJSON *cut = wa_j_get(doc, "cut"), *p;
    if (!cut) return;
    uint64_t freed = wa_j_u64(cut, "freed"), byroot = wa_j_u64(cut, "held_by_root"),
             kept = wa_j_u64(cut, "kept_by_roots");
    const cJSON *ps = wa_j_get(cut, "patterns");
    if (!wa_j_bool(cut, "found")) {
        printf("\nno cut of at most %s reference patterns frees them: 'paths --holders' lists "
               "every holder\n",
               wa_cli_count(wa_j_u64(cut, "max_patterns"), a));
    } else if (freed && cJSON_GetArraySize(ps) > 0) {
        printf("\nto free %s %s object%s, remove:\n", freed == 1 ? "this" : "these",
               wa_cli_count(freed, a), freed == 1 ? "" : "s");
        cJSON_ArrayForEach(p, ps) {
            uint64_t refs = wa_j_u64(p, "refs");
            printf("  %s (%s reference%s%s)\n      e.g. %s\n", wa_j_str(p, "pattern"),
                   wa_cli_count(refs, b), refs == 1 ? "" : "s",
                   wa_j_bool(p, "internal") ? "; interpreter plumbing: no simpler cut" : "",
                   wa_j_str(p, "path"));
        }
    }
    if (byroot)
        printf("%s%s selected object%s %s held by a root itself (external reference, thread or "
               "module): no reference in the dump to remove\n",
               freed ? "" : "\n", wa_cli_count(byroot, a), byroot == 1 ? "" : "s",
               byroot == 1 ? "is" : "are");
    if (kept)
        printf("%s more %s held only through %s\n", wa_cli_count(kept, a), kept == 1 ? "is" : "are",
               byroot == 1 ? "it" : "them");
}

/* Every holder of the selection: one pattern a line, with its route. */
static int print_holders(const cJSON *doc, uint64_t selected) {
    char a[32], b[32];
    const cJSON *hs = wa_j_get(doc, "holders"), *h;
    uint64_t total = wa_j_u64(doc, "holders_total");
    printf("%s object%s selected, kept alive through %s holder%s (removing every reference "
           "below frees them):\n\n",
           wa_cli_count(selected, a), selected == 1 ? "" : "s", wa_cli_count(total, b),
           total == 1 ? "" : "s");
    cJSON_ArrayForEach(h, hs) {
        const char *holder = wa_j_str(h, "holder");
        printf("%s %s held by ", wa_cli_count(wa_j_u64(h, "count"), a), wa_j_str(h, "qualname"));
        const char *dict_of = wa_j_str(h, "holder_dict_of");
        if (dict_of[0])
            printf("%s __dict__ %s", dict_of, wa_j_str(h, "label"));
        else if (holder[0])
            printf("%s %s", wa_type_display(holder), wa_j_str(h, "label"));
        else
            printf("a root");
        uint64_t refs = wa_j_u64(h, "refs");
        if (refs != wa_j_u64(h, "count")) printf(" (%s references)", wa_cli_count(refs, b));
        printf("\n    via %s\n", wa_j_str(h, "path"));
    }
    uint64_t shown = (uint64_t)cJSON_GetArraySize(hs);
    if (shown < total)
        printf("... %s more holders (--limit 0 shows all)\n", wa_cli_count(total - shown, a));
    uint64_t inside = wa_j_u64(doc, "held_inside"), un = wa_j_u64(doc, "unreachable");
    if (inside)
        printf("%s of them are held only by other selected objects\n", wa_cli_count(inside, a));
    if (un)
        printf("%s of them no root reaches (garbage awaiting collection)\n", wa_cli_count(un, a));
    print_cut(doc);
    return wa_cli_finish_output(WA_EXIT_OK);
}

/* One path of a document, in two aligned columns: the edge label (the root
 * for the first hop), then the object it leads to. */
static void print_path(const wa_snapshot *snap, const cJSON *p) {
    char a[512], b[32];
    const cJSON *target = wa_j_get(p, "target"), *hops = wa_j_get(p, "hops"), *h;
    printf("%s", wa_ana_obj_text(target, a, sizeof a));
    if (wa_j_get(target, "retained"))
        printf(" (%s retained)", wa_size_text(wa_j_u64(target, "retained"), 2, b));
    printf("\n");
    wa_ana_print_site("  ", target);
    if (!wa_j_bool(p, "reachable")) {
        printf("  unreachable: no root reaches it (garbage awaiting collection, or held by "
               "referrers the dump could not see)\n");
        return;
    }
    /* Widths in columns, not bytes, as the tables: a label with non-ASCII
     * text keeps the second column aligned. */
    const char *root = wa_j_str(wa_j_get(p, "root"), "text");
    int w = wa_cli_width(root), first = 1;
    cJSON_ArrayForEach(h, hops) {
        int k = first ? 0 : wa_cli_width(wa_j_str(h, "label"));
        if (k > w) w = k;
        first = 0;
    }
    if (w > 60) w = 60;
    first = 1;
    cJSON_ArrayForEach(h, hops) {
        const char *label = first ? root : wa_j_str(h, "label");
        int pad = w - wa_cli_width(label);
        printf("  %s%*s  %s\n", label, pad > 0 ? pad : 0, "",
               wa_ana_addr_text(snap, wa_j_str(h, "addr"), a, sizeof a));
        first = 0;
    }
}

static int print_doc(const cJSON *doc, const wa_snapshot *snap, const void *ctx) {
    char a[32], b[32];
    uint64_t selected = wa_j_u64(doc, "selected");
    const cJSON *e;
    if (!strcmp(wa_j_str(doc, "mode"), "clusters")) {
        uint64_t total = wa_j_u64(doc, "clusters_total");
        const cJSON *cl = wa_j_get(doc, "clusters");
        if (selected)
            printf("%s object%s selected, %s path cluster%s\n\n", wa_cli_count(selected, a),
                   selected == 1 ? "" : "s", wa_cli_count(total, b), total == 1 ? "" : "s");
        cJSON_ArrayForEach(e, cl) wa_ana_print_cluster(e);
        uint64_t shown = (uint64_t)cJSON_GetArraySize(cl);
        if (shown < total)
            printf("... %s more clusters (--limit 0 shows all)\n", wa_cli_count(total - shown, a));
        uint64_t nh = wa_j_u64(doc, "holders_total");
        if (nh > 1)
            printf("\nthe selection has %s distinct holders: 'paths --holders' lists every route "
                   "that keeps it alive\n",
                   wa_cli_count(nh, a));
        print_cut(doc);
        return wa_cli_finish_output(WA_EXIT_OK);
    }
    if (!strcmp(wa_j_str(doc, "mode"), "holders")) return print_holders(doc, selected);
    if (!strcmp(wa_j_str(doc, "mode"), "cut")) {
        printf("%s object%s selected\n", wa_cli_count(selected, a), selected == 1 ? "" : "s");
        print_cut(doc);
        return wa_cli_finish_output(WA_EXIT_OK);
    }
    if (selected)
        printf("%s object%s selected%s\n\n", wa_cli_count(selected, a), selected == 1 ? "" : "s",
               wa_j_bool(doc, "truncated") ? " (showing the first ones; --limit)" : "");
    cJSON_ArrayForEach(e, wa_j_get(doc, "objects")) {
        const cJSON *ps = wa_j_get(e, "paths"), *p;
        int np = cJSON_GetArraySize(ps), j = 0;
        if (np == 0) {
            /* No path: the object alone, said unreachable. */
            cJSON *none = cJSON_CreateObject();
            cJSON_AddItemReferenceToObject(none, "target", (cJSON *)wa_j_get(e, "object"));
            cJSON_AddFalseToObject(none, "reachable");
            print_path(snap, none);
            cJSON_Delete(none);
        }
        cJSON_ArrayForEach(p, ps) {
            if (np > 1) printf("path %d of %d: ", ++j, np);
            print_path(snap, p);
        }
        printf("\n");
    }
    return wa_cli_finish_output(WA_EXIT_OK);
}

static int run(int argc, char **argv) {
    wa_cli_common common;
    char *pos[argc > 0 ? argc : 1];
    int npos = 0, each = 0, holders = 0, cut = 0, no_cut = 0;
    const char *select = NULL;
    uint64_t limit = UINT64_MAX, k = 0, members = 20, max_count = 0; /* UINT64_MAX: not given */
    const char *fail_on = NULL;
    const wa_option opts[] = {
        {"select", 's', WA_OPT_STRING, &select, "SEL", "the objects to explain (required)"},
        {"each", 0, WA_OPT_FLAG, &each, NULL, "one path per object instead of clusters"},
        {"holders", 0, WA_OPT_FLAG, &holders, NULL,
         "every holder of the selection, each with its route, not only the shortest paths"},
        {"cut", 0, WA_OPT_FLAG, &cut, NULL,
         "only the cut: the fewest reference patterns whose removal frees the selection"},
        {"no-cut", 0, WA_OPT_FLAG, &no_cut, NULL, "skip the cut after clusters or holders"},
        {"k", 'k', WA_OPT_UINT, &k, "N", "N shortest paths through distinct roots, per object"},
        {"limit", 'n', WA_OPT_UINT, &limit, "N",
         "clusters (default 20) or objects (default 10) to show; 0 = all"},
        {"members", 0, WA_OPT_UINT, &members, "N", "--json: member addresses per cluster (20)"},
        {"fail-on", 0, WA_OPT_STRING, &fail_on, "SEL",
         "exit 1 when SEL matches more than --max-count objects (--select defaults to it)"},
        {"max-count", 0, WA_OPT_UINT, &max_count, "N", "objects --fail-on allows (default 0)"},
        {0},
    };
    int rc = wa_cli_parse(&wa_cmd_paths, opts, &common, argc, argv, pos, &npos);
    if (rc != WA_CLI_CONTINUE) return rc;
    if (!select) select = fail_on;
    if (!select)
        return wa_cli_fail(WA_EXIT_INPUT,
                           "paths: --select SEL is required (e.g. --select type=MyClass)");
    if ((each != 0) + (k != 0) + (holders != 0) + (cut != 0) > 1)
        return wa_cli_fail(WA_EXIT_INPUT, "paths: --each, -k N, --holders and --cut are "
                                          "alternatives: give one of them");
    if (cut && no_cut)
        return wa_cli_fail(WA_EXIT_INPUT, "paths: --cut and --no-cut contradict each other");
    int clustered = !each && !k;
    if (limit == UINT64_MAX) limit = common.json ? 0 : clustered ? 20 : 10;
    if (limit >= UINT32_MAX) limit = 0;
    wa_selector *sel = NULL, *fsel = NULL;
    wa_check_options check;
    if ((rc = wa_ana_cli_fail_on(fail_on, WA_CHECK_COUNT, max_count, &check, &fsel)) != WA_EXIT_OK)
        return rc;
    if ((rc = wa_ana_cli_parse_select(select, &sel)) != WA_EXIT_OK) {
        wa_select_free(fsel);
        return rc;
    }

    wa_view_options vo;
    wa_view_options_init(&vo);
    vo.select = select;
    vo.each = each;
    vo.holders = holders;
    vo.cut_only = cut;
    vo.no_cut = no_cut;
    vo.k = k > UINT32_MAX ? UINT32_MAX : (uint32_t)k;
    vo.limit = (uint32_t)limit;
    vo.members = members > UINT32_MAX ? UINT32_MAX : (uint32_t)members;
    /* Clusters need every match; one path per object only the shown ones. */
    wa_ana_job job = {.path = pos[0],
                      .sel = sel,
                      .select_limit = clustered ? 0 : (uint32_t)limit,
                      .vo = &vo,
                      .view = wa_view_paths,
                      .print = print_doc,
                      .check = fail_on ? &check : NULL};
    rc = wa_ana_cli_run(&job, &common);
    wa_select_free(sel);
    wa_select_free(fsel);
    return rc;
}
