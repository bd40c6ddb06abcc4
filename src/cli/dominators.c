/* dominators.c: `whyalive dominators SNAP`: the biggest dominators (what,
 * if freed, frees the most), or for a selection its dominator chain and its
 * largest dominated children; --tree dumps every object's immediate
 * dominator and retained size (scripts, tests). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli/analysis_common.h"

static int run(int argc, char **argv);

const wa_cli_command wa_cmd_dominators = {
    "dominators",
    "who dominates what: top objects by retained size, or a selection's dominator chain",
    "SNAP [--select SEL] [--limit N] [--children N] [--tree] [--json]",
    "An object D dominates X when every path from the roots to X passes through\n"
    "D: freeing D frees X. Without --select: the top-level dominators (objects only\n"
    "the roots dominate), largest retained first. With --select: for each selected\n"
    "object, its dominators from the nearest up, and its largest dominated\n"
    "children. --tree lists every object with its immediate dominator (\"root\"\n"
    "for the super-root, nothing when unreachable) and its retained size.",
    1, 1, run};

static double pct(uint64_t part, uint64_t whole) {
    return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static void print_obj_line(const wa_snapshot *snap, const wa_dom *dom, uint32_t v,
                           const char *indent) {
    char a[512], b[32], c[32];
    printf("%s%10s %5.1f%% %10s  %s\n", indent, wa_cli_size(dom->retained[v], b),
           pct(dom->retained[v], dom->reachable_bytes),
           wa_cli_size(wa_snapshot_objects(snap)[v].size, c), wa_ana_cli_obj(snap, v, a, sizeof a));
}

static int tree_dump(const wa_snapshot *snap, const wa_dom *dom, int json) {
    const wa_object *objs = wa_snapshot_objects(snap);
    uint32_t n = wa_snapshot_n_objects(snap);
    if (json) {
        cJSON *doc = cJSON_CreateObject();
        cJSON_AddStringToObject(doc, "command", "dominators");
        cJSON_AddStringToObject(doc, "mode", "tree");
        wa_json_add_u64(doc, "reachable_bytes", dom->reachable_bytes);
        cJSON *arr = cJSON_AddArrayToObject(doc, "tree");
        for (uint32_t v = 0; v < n; v++) {
            cJSON *o = cJSON_CreateObject();
            wa_json_add_addr(o, "addr", objs[v].addr);
            uint32_t d = dom->idom[v];
            if (d == WA_NONE) cJSON_AddNullToObject(o, "idom");
            else if (d == WA_DOM_SUPER) cJSON_AddStringToObject(o, "idom", "root");
            else wa_json_add_addr(o, "idom", objs[d].addr);
            wa_json_add_u64(o, "retained", dom->retained[v]);
            cJSON_AddItemToArray(arr, o);
        }
        return wa_cli_json_out(doc);
    }
    for (uint32_t v = 0; v < n; v++) {
        uint32_t d = dom->idom[v];
        if (d == WA_NONE) printf("0x%" PRIx64 " - 0\n", objs[v].addr);
        else if (d == WA_DOM_SUPER)
            printf("0x%" PRIx64 " root %" PRIu64 "\n", objs[v].addr, dom->retained[v]);
        else
            printf("0x%" PRIx64 " 0x%" PRIx64 " %" PRIu64 "\n", objs[v].addr, objs[d].addr,
                   dom->retained[v]);
    }
    return wa_cli_finish_output(WA_EXIT_OK);
}

static int run(int argc, char **argv) {
    wa_cli_common common;
    char *pos[argc > 0 ? argc : 1];
    int npos = 0, tree = 0;
    const char *select = NULL;
    uint64_t limit = 20, nchildren = 5;
    const wa_option opts[] = {
        {"select", 's', WA_OPT_STRING, &select, "SEL", "explain these objects' dominators"},
        {"limit", 'n', WA_OPT_UINT, &limit, "N",
         "top dominators (default 20) or selected objects to show; 0 = all"},
        {"children", 'c', WA_OPT_UINT, &nchildren, "N",
         "largest dominated children per selected object (default 5)"},
        {"tree", 0, WA_OPT_FLAG, &tree, NULL, "every object's immediate dominator and retained size"},
        {0},
    };
    int rc = wa_cli_parse(&wa_cmd_dominators, opts, &common, argc, argv, pos, &npos);
    if (rc != WA_CLI_CONTINUE) return rc;
    wa_selector *sel = NULL;
    if ((rc = wa_ana_cli_parse_select(select, &sel)) != WA_EXIT_OK) return rc;
    wa_snapshot *snap = wa_cli_load(pos[0], &common, &rc);
    wa_dom *dom = NULL;
    wa_objlist *objs = NULL, *top = NULL;
    uint32_t *chain = NULL;
    wa_error err;
    wa_error_clear(&err);
    char a[512], b[32], c[32];
    if (!snap) goto done;
    if (!(dom = wa_ana_cli_dom(snap, &common, &rc))) goto done;
    if (tree) {
        rc = tree_dump(snap, dom, common.json);
        goto done;
    }
    if (!sel) {
        if (!(top = wa_dom_children(dom, WA_DOM_SUPER, (uint32_t)limit, &err))) {
            rc = wa_cli_fail_err(WA_EXIT_INTERNAL, &err);
            goto done;
        }
        if (common.json) {
            cJSON *doc = cJSON_CreateObject();
            cJSON_AddStringToObject(doc, "command", "dominators");
            cJSON_AddStringToObject(doc, "snapshot", pos[0]);
            cJSON_AddStringToObject(doc, "mode", "top");
            wa_json_add_u64(doc, "reachable_bytes", dom->reachable_bytes);
            cJSON *un = cJSON_AddObjectToObject(doc, "unreachable");
            wa_json_add_u64(un, "count", dom->n_unreachable);
            wa_json_add_u64(un, "bytes", dom->unreachable_bytes);
            cJSON *arr = cJSON_AddArrayToObject(doc, "top");
            for (uint32_t i = 0; i < top->n; i++)
                cJSON_AddItemToArray(arr, wa_ana_json_obj(snap, dom, top->objs[i]));
            wa_json_add_u64(doc, "top_total", top->total);
            cJSON_AddBoolToObject(doc, "truncated", top->n < top->total);
            rc = wa_cli_json_out(doc);
            goto done;
        }
        printf("%s reachable from the roots; top-level dominators (held by the roots alone):\n\n",
               wa_cli_size(dom->reachable_bytes, b));
        printf("%10s %6s %10s  %s\n", "retained", "share", "shallow", "object");
        for (uint32_t i = 0; i < top->n; i++) print_obj_line(snap, dom, top->objs[i], "");
        if (top->n < top->total)
            printf("... %s more (--limit 0 shows all)\n", wa_cli_count(top->total - top->n, b));
        if (dom->n_unreachable)
            printf("\nunreachable: %s objects, %s (not in the dominator tree: no root reaches "
                   "them)\n",
                   wa_cli_count(dom->n_unreachable, b), wa_cli_size(dom->unreachable_bytes, c));
        rc = wa_cli_finish_output(WA_EXIT_OK);
        goto done;
    }

    if (!(objs = wa_ana_cli_select(sel, snap, dom, (uint32_t)(limit ? limit : 0), &rc))) goto done;
    if (objs->total == 0) wa_cli_note(&common, "the selection matched no object");
    cJSON *doc = NULL, *arr = NULL;
    if (common.json) {
        doc = cJSON_CreateObject();
        cJSON_AddStringToObject(doc, "command", "dominators");
        cJSON_AddStringToObject(doc, "snapshot", pos[0]);
        cJSON_AddStringToObject(doc, "mode", "selection");
        cJSON_AddStringToObject(doc, "select", select);
        wa_json_add_u64(doc, "reachable_bytes", dom->reachable_bytes);
        wa_json_add_u64(doc, "selected", objs->total);
        arr = cJSON_AddArrayToObject(doc, "objects");
    }
    for (uint32_t i = 0; i < objs->n; i++) {
        uint32_t v = objs->objs[i];
        uint32_t len = wa_dom_chain(dom, v, NULL, 0);
        free(chain);
        chain = malloc(sizeof *chain * (len ? len : 1));
        wa_objlist *kids = chain ? wa_dom_children(dom, v, (uint32_t)nchildren, &err) : NULL;
        if (!kids) {
            cJSON_Delete(doc);
            rc = wa_cli_fail(WA_EXIT_INTERNAL, "dominators: out of memory");
            goto done;
        }
        wa_dom_chain(dom, v, chain, len);
        if (doc) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddItemToObject(o, "object", wa_ana_json_obj(snap, dom, v));
            cJSON *ds = cJSON_AddArrayToObject(o, "dominators");
            for (uint32_t k = 0; k < len; k++)
                cJSON_AddItemToArray(ds, wa_ana_json_obj(snap, dom, chain[k]));
            cJSON *cs = cJSON_AddArrayToObject(o, "children");
            for (uint32_t k = 0; k < kids->n; k++)
                cJSON_AddItemToArray(cs, wa_ana_json_obj(snap, dom, kids->objs[k]));
            wa_json_add_u64(o, "children_total", kids->total);
            cJSON_AddItemToArray(arr, o);
        } else {
            printf("%s: retained %s (%.1f%% of reachable)\n", wa_ana_cli_obj(snap, v, a, sizeof a),
                   wa_cli_size(dom->retained[v], b), pct(dom->retained[v], dom->reachable_bytes));
            if (dom->idom[v] == WA_NONE)
                printf("  unreachable: no root reaches it, so nothing dominates it\n");
            else if (!len)
                printf("  dominated by the roots alone (no single object keeps it alive)\n");
            else {
                printf("  dominated by (nearest first; freeing any of them frees it):\n");
                for (uint32_t k = 0; k < len; k++) print_obj_line(snap, dom, chain[k], "    ");
            }
            if (kids->n) {
                printf("  largest dominated children (%s in all):\n", wa_cli_count(kids->total, b));
                for (uint32_t k = 0; k < kids->n; k++) print_obj_line(snap, dom, kids->objs[k], "    ");
            }
            printf("\n");
        }
        wa_objlist_free(kids);
    }
    if (doc) {
        cJSON_AddBoolToObject(doc, "truncated", objs->n < objs->total);
        rc = wa_cli_json_out(doc);
    } else {
        if (objs->n < objs->total)
            printf("... %s more selected objects (--limit)\n", wa_cli_count(objs->total - objs->n, b));
        rc = wa_cli_finish_output(WA_EXIT_OK);
    }
done:
    free(chain);
    wa_objlist_free(objs);
    wa_objlist_free(top);
    wa_dom_free(dom);
    wa_snapshot_free(snap);
    wa_select_free(sel);
    return rc;
}
