/* report.c: `whyalive report A [B [C]] -o report.html`: one self-contained
 * HTML page for a bug report (the page itself is built by the library:
 * whyalive/report.h). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/analysis_common.h"
#include "whyalive/render.h"
#include "whyalive/report.h"

static int run(int argc, char **argv);

const wa_cli_command wa_cmd_report = {
    "report",
    "one self-contained HTML page: suspects and their routes, growth, types, dominator tree",
    "A [B [C]] -o FILE.html [--suspects N] [--types N] [--tree-nodes N] [--no-svg] "
    "[--no-suspects] [--json]",
    "Writes one HTML file that opens from disk in a current browser and fetches\n"
    "nothing: the header of the dump, the leak suspects ranked with their\n"
    "retention routes (holders with counts, the names along each hop, a\n"
    "Graphviz picture, allocation sites when the dump has them), with two or\n"
    "three dumps the growth table and the survivors (new in B, still alive in\n"
    "C) by route, a type table sortable by count, shallow and retained bytes\n"
    "with a filter box, and a dominator tree to explore (largest first, with\n"
    "each object's referrers and route from the roots).\n"
    "\n"
    "The last dump is the one analysed; the first is the suspects' baseline.\n"
    "The page embeds only what it shows, within the caps below, and states\n"
    "them, so a report of a 10-million-object dump stays a few megabytes.\n"
    "Every name from the dump is shown as text; a Content-Security-Policy\n"
    "forbids network access and any script but the page's own. FILE is written\n"
    "atomically: on any error nothing is left at FILE.",
    1,
    3,
    run,
    1};

static uint32_t u32(uint64_t v) { return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v; }

/* The directory of path exists and is writable: checked before loading
 * anything, so a typo fails in a moment rather than after the analysis. */
static int output_dir_ok(const char *path) {
    const char *slash = strrchr(path, '/');
    if (!slash) return access(".", W_OK) == 0;
    if (slash == path) return access("/", W_OK) == 0;
    char *dir = strndup(path, (size_t)(slash - path));
    int ok = dir && access(dir, W_OK) == 0;
    free(dir);
    return ok;
}

static int run(int argc, char **argv) {
    wa_cli_common common;
    char *pos[argc > 0 ? argc : 1];
    int npos = 0, no_svg = 0, no_suspects = 0;
    const char *output = NULL;
    wa_report_options ro;
    wa_report_options_init(&ro);
    uint64_t suspects = ro.suspects, routes = ro.routes, types = ro.types,
             tree_nodes = ro.tree_nodes, tree_depth = ro.tree_depth,
             tree_children = ro.tree_children;
    const wa_option opts[] = {
        {"output", 'o', WA_OPT_STRING, &output, "FILE", "the page to write (required)"},
        {"suspects", 0, WA_OPT_UINT, &suspects, "N", "suspects shown (default 10)"},
        {"routes", 0, WA_OPT_UINT, &routes, "N", "routes per suspect, survivor routes (default 5)"},
        {"types", 0, WA_OPT_UINT, &types, "N", "rows of the type table (default 300)"},
        {"tree-nodes", 0, WA_OPT_UINT, &tree_nodes, "N",
         "objects embedded in the dominator tree (default 4000)"},
        {"tree-depth", 0, WA_OPT_UINT, &tree_depth, "N", "levels of the tree embedded (default 8)"},
        {"tree-children", 0, WA_OPT_UINT, &tree_children, "N",
         "children embedded per object (default 20)"},
        {"threshold", 't', WA_OPT_DOUBLE, &ro.suspect.threshold, "F",
         "share of the reachable heap for a suspect (default 0.10)"},
        {"no-svg", 0, WA_OPT_FLAG, &no_svg, NULL, "no Graphviz pictures of the routes"},
        {"no-suspects", 0, WA_OPT_FLAG, &no_suspects, NULL,
         "skip the suspects (the slow part on the biggest dumps)"},
        {0},
    };
    int rc = wa_cli_parse(&wa_cmd_report, opts, &common, argc, argv, pos, &npos);
    if (rc != WA_CLI_CONTINUE) return rc;
    if (!output || !output[0]) return wa_cli_fail(WA_EXIT_INPUT, "report: -o FILE is required");
    if (!output_dir_ok(output))
        return wa_cli_fail(WA_EXIT_OUTPUT,
                           "%s: cannot write there: no such directory, or not writable", output);
    ro.suspects = u32(suspects);
    ro.routes = u32(routes);
    ro.types = u32(types);
    ro.tree_nodes = u32(tree_nodes);
    ro.tree_depth = u32(tree_depth);
    ro.tree_children = u32(tree_children);
    ro.svg = !no_svg;
    ro.no_suspects = no_suspects;
    wa_view_source src[3];
    memset(src, 0, sizeof src);
    for (int i = 0; i < npos; i++) {
        if (!(src[i].session = wa_ana_cli_open(pos[i], &common, &rc))) goto done;
        src[i].name = pos[i];
    }
    wa_error err;
    wa_error_clear(&err);
    wa_report_stats st;
    if (wa_report_write(src, (uint32_t)npos, &ro, output, &st, &err) != WA_OK) {
        rc = wa_cli_fail_err(wa_cli_exit_for(err.code, err.code == WA_ERR_IO), &err);
        goto done;
    }
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "command", "report");
    cJSON_AddStringToObject(doc, "output", output);
    cJSON_AddNumberToObject(doc, "bytes", (double)st.bytes);
    cJSON_AddNumberToObject(doc, "suspects", st.suspects);
    cJSON_AddNumberToObject(doc, "pictures", st.pictures);
    cJSON_AddNumberToObject(doc, "tree_nodes", st.tree_nodes);
    cJSON_AddNumberToObject(doc, "types", st.types);
    if (common.json) {
        rc = wa_cli_json_out(doc);
        goto done;
    }
    if (wa_cli_escape_doc(doc) != 0) {
        cJSON_Delete(doc);
        rc = wa_cli_fail(WA_EXIT_INTERNAL, "out of memory escaping the output");
        goto done;
    }
    char sz[32];
    printf("wrote %s (%s): %u suspects, %u pictures, %u objects in the tree, %u types\n",
           wa_j_str(doc, "output"), wa_size_text(st.bytes, 2, sz), st.suspects, st.pictures,
           st.tree_nodes, st.types);
    cJSON_Delete(doc);
    rc = wa_cli_finish_output(WA_EXIT_OK);
done:
    for (int i = 0; i < 3; i++) wa_ana_cli_close(src[i].session);
    wa_render_shutdown(); /* Graphviz's context, so leak checkers see nothing of ours */
    return rc;
}
