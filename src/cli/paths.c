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
    "SNAP --select SEL [--each | -k N] [--limit N] [--json]",
    "For every selected object, the shortest path of references from a root\n"
    "(module, thread frame, external reference, ...) to it, with the attribute\n"
    "names, dict keys and indexes on every hop. By default paths that differ\n"
    "only in indexes, addresses or per-instance dict keys (shown [*]) are\n"
    "grouped into clusters, ranked by the bytes they retain:\n"
    "  700 ConversationTranscriber (12.3 MiB retained) via sys.modules['app.stt']\n"
    "      .__dict__['_sessions'] [*] .transcriber\n"
    "--each prints one path per object; -k N the N shortest paths through\n"
    "distinct roots (per object; a reverse search for each, so keep --limit small).\n"
    "Weak references never retain and are never on a path.",
    1, 1, run};

static void print_path(const wa_snapshot *snap, const wa_dom *dom, const wa_path *p) {
    char a[512], b[32], lab[512];
    printf("%s", wa_ana_cli_obj(snap, p->target, a, sizeof a));
    if (dom) printf(" (%s retained)", wa_cli_size(dom->retained[p->target], b));
    printf("\n");
    if (!p->len) {
        printf("  unreachable: no root reaches it (garbage awaiting collection, or held by "
               "referrers the dump could not see)\n");
        return;
    }
    /* Two aligned columns: the edge label, then the object it leads to. */
    int w = (int)wa_path_root_format(snap, p->root, lab, sizeof lab);
    for (uint32_t i = 1; i < p->len; i++) {
        int k = (int)wa_label_format(snap, p->labels[i - 1], lab, sizeof lab);
        if (k > w) w = k;
    }
    if (w > 60) w = 60;
    for (uint32_t i = 0; i < p->len; i++) {
        if (i == 0) wa_path_root_format(snap, p->root, lab, sizeof lab);
        else wa_label_format(snap, p->labels[i - 1], lab, sizeof lab);
        printf("  %-*s  %s\n", w, lab, wa_ana_cli_obj(snap, p->objs[i], a, sizeof a));
    }
}

static int run(int argc, char **argv) {
    wa_cli_common common;
    char *pos[argc > 0 ? argc : 1];
    int npos = 0, each = 0;
    const char *select = NULL;
    uint64_t limit = UINT64_MAX, k = 0, members = 20; /* UINT64_MAX: not given */
    const wa_option opts[] = {
        {"select", 's', WA_OPT_STRING, &select, "SEL", "the objects to explain (required)"},
        {"each", 0, WA_OPT_FLAG, &each, NULL, "one path per object instead of clusters"},
        {"k", 'k', WA_OPT_UINT, &k, "N", "N shortest paths through distinct roots, per object"},
        {"limit", 'n', WA_OPT_UINT, &limit, "N",
         "clusters (default 20) or objects (default 10) to show; 0 = all"},
        {"members", 0, WA_OPT_UINT, &members, "N", "--json: member addresses per cluster (20)"},
        {0},
    };
    int rc = wa_cli_parse(&wa_cmd_paths, opts, &common, argc, argv, pos, &npos);
    if (rc != WA_CLI_CONTINUE) return rc;
    if (!select)
        return wa_cli_fail(WA_EXIT_INPUT,
                           "paths: --select SEL is required (e.g. --select type=MyClass)");
    int clustered = !each && !k;
    if (limit == UINT64_MAX) limit = common.json ? 0 : clustered ? 20 : 10;
    wa_selector *sel = NULL;
    if ((rc = wa_ana_cli_parse_select(select, &sel)) != WA_EXIT_OK) return rc;

    wa_snapshot *snap = wa_cli_load(pos[0], &common, &rc);
    wa_dom *dom = NULL;
    wa_path_tree *tree = NULL;
    wa_objlist *objs = NULL;
    wa_cluster_set *cs = NULL;
    wa_error err;
    wa_error_clear(&err);
    if (!snap) goto done;
    if (!(dom = wa_ana_cli_dom(snap, &common, &rc))) goto done;
    if (!(objs = wa_ana_cli_select(sel, snap, dom, clustered ? 0 : (uint32_t)limit, &rc)))
        goto done;
    if (objs->total == 0) wa_cli_note(&common, "the selection matched no object");

    if (clustered) {
        if (!(tree = wa_ana_cli_tree(snap, &common, &rc))) goto done;
        cs = wa_path_cluster(snap, tree, dom, objs->objs, objs->n, &err);
        if (!cs) {
            rc = wa_cli_fail_err(err.code == WA_ERR_LIMIT ? WA_EXIT_INPUT : WA_EXIT_INTERNAL, &err);
            goto done;
        }
        uint32_t shown = limit && cs->n > limit ? (uint32_t)limit : cs->n;
        if (common.json) {
            cJSON *doc = cJSON_CreateObject();
            cJSON_AddStringToObject(doc, "command", "paths");
            cJSON_AddStringToObject(doc, "snapshot", pos[0]);
            cJSON_AddStringToObject(doc, "select", select);
            cJSON_AddStringToObject(doc, "mode", "clusters");
            wa_json_add_u64(doc, "selected", objs->total);
            cJSON *arr = cJSON_AddArrayToObject(doc, "clusters");
            for (uint32_t i = 0; i < shown; i++)
                cJSON_AddItemToArray(arr,
                                     wa_ana_json_cluster(snap, &cs->clusters[i], (uint32_t)members));
            wa_json_add_u64(doc, "clusters_total", cs->n);
            cJSON_AddBoolToObject(doc, "truncated", shown < cs->n);
            rc = wa_cli_json_out(doc);
            goto done;
        }
        char a[32], b[32];
        if (objs->total)
            printf("%s object%s selected, %s path cluster%s\n\n", wa_cli_count(objs->total, a),
                   objs->total == 1 ? "" : "s", wa_cli_count(cs->n, b), cs->n == 1 ? "" : "s");
        for (uint32_t i = 0; i < shown; i++) wa_ana_print_cluster(snap, &cs->clusters[i], 1);
        if (shown < cs->n)
            printf("... %s more clusters (--limit 0 shows all)\n", wa_cli_count(cs->n - shown, a));
        rc = wa_cli_finish_output(WA_EXIT_OK);
        goto done;
    }

    /* One path (or k) per object. */
    cJSON *doc = NULL, *arr = NULL;
    if (common.json) {
        doc = cJSON_CreateObject();
        cJSON_AddStringToObject(doc, "command", "paths");
        cJSON_AddStringToObject(doc, "snapshot", pos[0]);
        cJSON_AddStringToObject(doc, "select", select);
        cJSON_AddStringToObject(doc, "mode", k ? "k-shortest" : "each");
        wa_json_add_u64(doc, "selected", objs->total);
        arr = cJSON_AddArrayToObject(doc, "objects");
    } else if (objs->total) {
        char a[32];
        printf("%s object%s selected%s\n\n", wa_cli_count(objs->total, a),
               objs->total == 1 ? "" : "s",
               objs->n < objs->total ? " (showing the first ones; --limit)" : "");
    }
    if (!k && !(tree = wa_ana_cli_tree(snap, &common, &rc))) {
        cJSON_Delete(doc);
        goto done;
    }
    for (uint32_t i = 0; i < objs->n; i++) {
        wa_path_list *pl = k ? wa_path_k(snap, objs->objs[i], (uint32_t)k, &err)
                             : wa_path_shortest(snap, tree, &objs->objs[i], 1, &err);
        if (!pl) {
            cJSON_Delete(doc);
            rc = wa_cli_fail_err(WA_EXIT_INTERNAL, &err);
            goto done;
        }
        if (doc) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddItemToObject(o, "object", wa_ana_json_obj(snap, dom, objs->objs[i]));
            cJSON *ps = cJSON_AddArrayToObject(o, "paths");
            for (uint32_t j = 0; j < pl->n; j++)
                if (pl->paths[j].len) cJSON_AddItemToArray(ps, wa_ana_json_path(snap, dom, &pl->paths[j]));
            cJSON_AddItemToArray(arr, o);
        } else if (pl->n == 0 || (pl->n == 1 && pl->paths[0].len == 0)) {
            wa_path none = {objs->objs[i], WA_NONE, 0, NULL, NULL};
            print_path(snap, dom, &none);
            printf("\n");
        } else {
            for (uint32_t j = 0; j < pl->n; j++) {
                if (pl->n > 1) printf("path %u of %u: ", j + 1, pl->n);
                print_path(snap, dom, &pl->paths[j]);
            }
            printf("\n");
        }
        wa_path_list_free(pl);
    }
    if (doc) {
        cJSON_AddBoolToObject(doc, "truncated", objs->n < objs->total);
        rc = wa_cli_json_out(doc);
    } else {
        rc = wa_cli_finish_output(WA_EXIT_OK);
    }
done:
    wa_cluster_set_free(cs);
    wa_objlist_free(objs);
    wa_path_tree_free(tree);
    wa_dom_free(dom);
    wa_snapshot_free(snap);
    wa_select_free(sel);
    return rc;
}
