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
    1,
    1,
    run,
    1};

static double pct(uint64_t part, uint64_t whole) {
    return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static void print_obj_line(const cJSON *o, uint64_t reachable, const char *indent) {
    char a[512], b[32], c[32];
    uint64_t ret = wa_j_u64(o, "retained");
    printf("%s%10s %5.1f%% %10s  %s\n", indent, wa_size_text(ret, 2, b), pct(ret, reachable),
           wa_size_text(wa_j_u64(o, "size"), 2, c), wa_ana_obj_text(o, a, sizeof a));
}

/* `--tree` as text: "ADDR IDOM RETAINED", "root" for the super-root, "-"
 * and 0 when unreachable. */
static void print_tree(const cJSON *doc) {
    const cJSON *o;
    cJSON_ArrayForEach(o, wa_j_get(doc, "tree")) {
        const cJSON *idom = wa_j_get(o, "idom");
        if (!cJSON_IsString(idom))
            printf("%s - 0\n", wa_j_str(o, "addr"));
        else
            printf("%s %s %" PRIu64 "\n", wa_j_str(o, "addr"), idom->valuestring,
                   wa_j_u64(o, "retained"));
    }
}

static void print_top(const cJSON *doc) {
    char b[32], c[32];
    uint64_t reach = wa_j_u64(doc, "reachable_bytes");
    const cJSON *top = wa_j_get(doc, "top"), *o, *un = wa_j_get(doc, "unreachable");
    printf("%s reachable from the roots; top-level dominators (held by the roots alone):\n\n",
           wa_size_text(reach, 2, b));
    printf("%10s %6s %10s  %s\n", "retained", "share", "shallow", "object");
    cJSON_ArrayForEach(o, top) print_obj_line(o, reach, "");
    uint64_t shown = (uint64_t)cJSON_GetArraySize(top), total = wa_j_u64(doc, "top_total");
    if (shown < total)
        printf("... %s more (--limit 0 shows all)\n", wa_cli_count(total - shown, b));
    if (wa_j_u64(un, "count"))
        printf("\nunreachable: %s objects, %s (not in the dominator tree: no root reaches "
               "them)\n",
               wa_cli_count(wa_j_u64(un, "count"), b), wa_size_text(wa_j_u64(un, "bytes"), 2, c));
}

static void print_selection(const cJSON *doc) {
    char a[512], b[32];
    uint64_t reach = wa_j_u64(doc, "reachable_bytes");
    const cJSON *e, *o;
    cJSON_ArrayForEach(e, wa_j_get(doc, "objects")) {
        const cJSON *obj = wa_j_get(e, "object"), *chain = wa_j_get(e, "dominators");
        const cJSON *kids = wa_j_get(e, "children");
        uint64_t ret = wa_j_u64(obj, "retained");
        printf("%s: retained %s (%.1f%% of reachable)\n", wa_ana_obj_text(obj, a, sizeof a),
               wa_size_text(ret, 2, b), pct(ret, reach));
        if (!wa_j_bool(obj, "reachable"))
            printf("  unreachable: no root reaches it, so nothing dominates it\n");
        else if (!cJSON_GetArraySize(chain))
            printf("  dominated by the roots alone (no single object keeps it alive)\n");
        else {
            printf("  dominated by (nearest first; freeing any of them frees it):\n");
            cJSON_ArrayForEach(o, chain) print_obj_line(o, reach, "    ");
        }
        if (cJSON_GetArraySize(kids)) {
            printf("  largest dominated children (%s in all):\n",
                   wa_cli_count(wa_j_u64(e, "children_total"), b));
            cJSON_ArrayForEach(o, kids) print_obj_line(o, reach, "    ");
        }
        printf("\n");
    }
    uint64_t shown = (uint64_t)cJSON_GetArraySize(wa_j_get(doc, "objects"));
    uint64_t total = wa_j_u64(doc, "selected");
    if (shown < total)
        printf("... %s more selected objects (--limit)\n", wa_cli_count(total - shown, b));
}

static int print_doc(const cJSON *doc, const wa_snapshot *snap, const void *ctx) {
    (void)ctx;
    const char *mode = wa_j_str(doc, "mode");
    if (!strcmp(mode, "tree"))
        print_tree(doc);
    else if (!strcmp(mode, "top"))
        print_top(doc);
    else
        print_selection(doc);
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
        {"tree", 0, WA_OPT_FLAG, &tree, NULL,
         "every object's immediate dominator and retained size"},
        {0},
    };
    int rc = wa_cli_parse(&wa_cmd_dominators, opts, &common, argc, argv, pos, &npos);
    if (rc != WA_CLI_CONTINUE) return rc;
    if (limit >= UINT32_MAX) limit = 0;
    wa_selector *sel = NULL;
    if ((rc = wa_ana_cli_parse_select(select, &sel)) != WA_EXIT_OK) return rc;
    wa_view_options vo;
    wa_view_options_init(&vo);
    vo.select = select;
    vo.tree = tree;
    vo.limit = (uint32_t)limit;
    vo.children = nchildren > UINT32_MAX ? UINT32_MAX : (uint32_t)nchildren;
    wa_ana_job job = {.path = pos[0],
                      .sel = sel,
                      .no_select_run = tree,
                      .select_limit = (uint32_t)limit,
                      .vo = &vo,
                      .view = wa_view_dominators,
                      .print = print_doc};
    rc = wa_ana_cli_run(&job, &common);
    wa_select_free(sel);
    return rc;
}
