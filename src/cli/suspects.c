/* suspects.c: `whyalive suspects SNAP [--baseline A]`: ranked leak suspects
 * (after Eclipse MAT's leak-suspects report). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli/analysis_common.h"

static int run(int argc, char **argv);

const wa_cli_command wa_cmd_suspects = {
    "suspects",
    "ranked leak suspects: accumulation points, big types, native references, growth",
    "SNAP [--baseline A] [--threshold F] [--limit N] [--json]",
    "accumulation: an object retaining >= --threshold of the reachable heap\n"
    "  (default 0.10), followed down the dominator tree while one child holds\n"
    "  >= --accumulation of its parent (default 0.70): where that stops is the\n"
    "  container the memory accumulates in, with its dominant child type.\n"
    "type: a non-builtin type whose instances together retain >= --threshold.\n"
    "external: objects of one type held by references from outside the dump\n"
    "  (native code: refcount above the references seen) retaining at least\n"
    "  --external-share (default 0.01).\n"
    "growth (with --baseline): retention-path clusters that gained at least\n"
    "  --min-growth instances (default 10) since the baseline dump.\n"
    "No suspect is not an error: the report says so and exits 0.",
    1, 1, run};

static int run(int argc, char **argv) {
    wa_cli_common common;
    char *pos[argc > 0 ? argc : 1];
    int npos = 0;
    const char *baseline = NULL;
    wa_suspect_options so;
    wa_suspect_options_init(&so);
    uint64_t limit = 10, min_growth = so.min_growth;
    const wa_option opts[] = {
        {"baseline", 'b', WA_OPT_STRING, &baseline, "A", "an earlier dump: report what grew"},
        {"threshold", 't', WA_OPT_DOUBLE, &so.threshold, "F",
         "share of the reachable heap for a suspect (default 0.10)"},
        {"accumulation", 0, WA_OPT_DOUBLE, &so.accumulation, "F",
         "descend while a child holds this share of its parent (default 0.70)"},
        {"external-share", 0, WA_OPT_DOUBLE, &so.external_share, "F",
         "share for natively held types (default 0.01)"},
        {"min-growth", 0, WA_OPT_UINT, &min_growth, "N",
         "instances a cluster must gain to be a growth suspect (default 10)"},
        {"limit", 'n', WA_OPT_UINT, &limit, "N", "suspects to show (default 10, 0 = all)"},
        {0},
    };
    int rc = wa_cli_parse(&wa_cmd_suspects, opts, &common, argc, argv, pos, &npos);
    if (rc != WA_CLI_CONTINUE) return rc;
    so.min_growth = min_growth > UINT32_MAX ? UINT32_MAX : (uint32_t)min_growth;
    wa_snapshot *snap = NULL, *base = NULL;
    wa_dom *dom = NULL;
    wa_path_tree *tree = NULL;
    wa_suspect_list *l = NULL;
    wa_error err;
    wa_error_clear(&err);
    if (!(snap = wa_cli_load(pos[0], &common, &rc))) goto done;
    if (baseline && !(base = wa_cli_load(baseline, &common, &rc))) goto done;
    so.baseline = base;
    if (!(dom = wa_ana_cli_dom(snap, &common, &rc))) goto done;
    if (!(tree = wa_ana_cli_tree(snap, &common, &rc))) goto done;
    if (!(l = wa_suspect_find(snap, dom, tree, &so, &err))) {
        rc = wa_cli_fail_err(err.code == WA_ERR_ARG ? WA_EXIT_INPUT : WA_EXIT_INTERNAL, &err);
        goto done;
    }
    uint32_t shown = limit && l->n > limit ? (uint32_t)limit : l->n;
    const wa_object *objs = wa_snapshot_objects(snap);
    if (common.json) {
        cJSON *doc = cJSON_CreateObject();
        cJSON_AddStringToObject(doc, "command", "suspects");
        cJSON_AddStringToObject(doc, "snapshot", pos[0]);
        if (baseline) cJSON_AddStringToObject(doc, "baseline", baseline);
        else cJSON_AddNullToObject(doc, "baseline");
        cJSON_AddNumberToObject(doc, "threshold", so.threshold);
        cJSON_AddNumberToObject(doc, "accumulation", so.accumulation);
        wa_json_add_u64(doc, "reachable_bytes", dom->reachable_bytes);
        cJSON *un = cJSON_AddObjectToObject(doc, "unreachable");
        wa_json_add_u64(un, "count", dom->n_unreachable);
        wa_json_add_u64(un, "bytes", dom->unreachable_bytes);
        cJSON *arr = cJSON_AddArrayToObject(doc, "suspects");
        for (uint32_t i = 0; i < shown; i++) {
            const wa_suspect *x = &l->items[i];
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "kind", wa_suspect_kind_name(x->kind));
            wa_json_add_u64(o, "retained", x->retained);
            cJSON_AddNumberToObject(o, "share", x->share);
            if (x->type != WA_NONE) cJSON_AddStringToObject(o, "type", wa_snapshot_type_name(snap, x->type));
            else cJSON_AddNullToObject(o, "type");
            wa_json_add_u64(o, "count", x->count);
            if (x->obj != WA_NONE) cJSON_AddItemToObject(o, "object", wa_ana_json_obj(snap, dom, x->obj));
            else cJSON_AddNullToObject(o, "object");
            if (x->kind == WA_SUSPECT_ACCUMULATION)
                cJSON_AddItemToObject(o, "accumulation", wa_ana_json_obj(snap, dom, x->accumulation));
            if (x->kind == WA_SUSPECT_EXTERNAL) wa_json_add_u64(o, "excess", x->excess);
            if (x->kind == WA_SUSPECT_GROWTH) wa_json_add_u64(o, "baseline_count", x->baseline);
            cJSON_AddStringToObject(o, "path", x->path ? x->path : "");
            cJSON_AddItemToArray(arr, o);
        }
        wa_json_add_u64(doc, "suspects_total", l->n);
        cJSON_AddBoolToObject(doc, "truncated", shown < l->n);
        rc = wa_cli_json_out(doc);
        goto done;
    }
    char a[512], b[32], c[32], d[32];
    printf("%s: %s reachable in %s objects", pos[0], wa_cli_size(dom->reachable_bytes, b),
           wa_cli_count(dom->n_reachable, c));
    if (dom->n_unreachable)
        printf("; unreachable: %s objects, %s", wa_cli_count(dom->n_unreachable, d),
               wa_cli_size(dom->unreachable_bytes, a));
    printf("\n\n");
    if (!l->n) {
        printf("no suspects: no object or non-builtin type retains %.0f%% or more of the heap,\n"
               "no natively held type retains %.0f%%%s.\n",
               so.threshold * 100, so.external_share * 100,
               base ? ", and no retention path grew by --min-growth instances" : "");
    }
    for (uint32_t i = 0; i < shown; i++) {
        const wa_suspect *x = &l->items[i];
        const char *tname = x->type != WA_NONE ? wa_ana_short_type(snap, x->type) : "?";
        printf("%u. %-12s %s (%.1f%%)  ", i + 1, wa_suspect_kind_name(x->kind),
               wa_cli_size(x->retained, b), x->share * 100);
        switch (x->kind) {
        case WA_SUSPECT_ACCUMULATION:
            printf("%s", wa_ana_cli_obj(snap, x->accumulation, a, sizeof a));
            if (x->count && objs[x->accumulation].type != x->type)
                printf(" holds %s %s", wa_cli_count(x->count, c), tname);
            if (x->accumulation != x->obj)
                printf(", inside %s", wa_ana_cli_obj(snap, x->obj, a, sizeof a));
            printf("\n");
            break;
        case WA_SUSPECT_TYPE:
            printf("%s instances of %s retain it together\n", wa_cli_count(x->count, c), tname);
            break;
        case WA_SUSPECT_EXTERNAL:
            printf("%s %s held by external (native) references, excess refcount %s\n",
                   wa_cli_count(x->count, c), tname, wa_cli_count(x->excess, d));
            break;
        case WA_SUSPECT_GROWTH:
            printf("%s %s, %s in the baseline (+%s)\n", wa_cli_count(x->count, c), tname,
                   wa_cli_count(x->baseline, d), wa_cli_count(x->count - x->baseline, b));
            break;
        }
        if (x->path) printf("   via %s\n", x->path);
    }
    if (shown < l->n) printf("... %s more suspects (--limit 0 shows all)\n", wa_cli_count(l->n - shown, b));
    rc = wa_cli_finish_output(WA_EXIT_OK);
done:
    wa_suspect_list_free(l);
    wa_path_tree_free(tree);
    wa_dom_free(dom);
    wa_snapshot_free(snap);
    wa_snapshot_free(base);
    return rc;
}
