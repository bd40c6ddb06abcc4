/* graph.c: `whyalive graph SNAP --select SEL [-o FILE]`: a picture of why the
 * selected objects are alive (DOT, SVG, PNG or PDF through Graphviz). */
#include <string.h>

#include "cli/cli.h"
#include "whyalive/analysis.h"
#include "whyalive/render.h"
#include "whyalive/select.h"


static int run(int argc, char **argv);

const wa_cli_command wa_cmd_graph = {
    "graph",
    "draw why objects are alive: referrers, retention paths or dominators (DOT/SVG/PNG/PDF)",
    "SNAP --select SEL [-o FILE.svg|.dot|.png|.pdf] [--mode MODE] [--json]",
    "Draws the objects SEL selects (docs/selectors.md) with Graphviz, laid out\n"
    "in-process. Modes:\n"
    "  backrefs    referrers of the selection up to --depth levels (objgraph's\n"
    "              show_backrefs), plus each selected object's shortest path to\n"
    "              a root drawn in full\n"
    "  paths       one chain per cluster of shortest retention paths, ending in\n"
    "              \"N x type\" with the bytes the cluster retains\n"
    "  dominators  the dominator chain of the largest selected objects and\n"
    "              their largest dominated children\n"
    "The default is backrefs for up to 5 selected objects, paths above that.\n"
    "\n"
    "Selected objects are amber; roots are green (module), cyan (thread frame),\n"
    "red (external/native reference, with its excess refcount), violet\n"
    "(interpreter); other nodes fade from blue to white with distance from the\n"
    "selection. Referrers above --fan-in collapse into one \"N more referrers\"\n"
    "node; --max-nodes cuts the picture and its caption says what was left out.\n"
    "Above 600 nodes the layout switches from dot to sfdp so that no request\n"
    "hangs.\n"
    "\n"
    "The format comes from FILE's extension or --format. Without -o the DOT\n"
    "text goes to stdout (with --json, into the \"dot\" field). FILE is written\n"
    "atomically: on any error nothing is left at FILE. Selecting nothing is not\n"
    "an error: a note, exit 0, no file. See docs/graph.md.",
    1, 1, run};

static int run(int argc, char **argv) {
    wa_cli_common common;
    char *pos[argc > 0 ? argc : 1];
    int npos = 0;
    const char *select = NULL, *output = NULL, *mode_s = NULL, *format_s = NULL,
               *engine = NULL;
    uint64_t depth = 0, max_nodes = 0, fan_in = 0, paths = 0, children = 0;
    const wa_option opts[] = {
        {"select", 's', WA_OPT_STRING, &select, "SEL", "objects to draw (required)"},
        {"output", 'o', WA_OPT_STRING, &output, "FILE",
         "write here (.dot, .svg, .png, .pdf); default: DOT on stdout"},
        {"mode", 'm', WA_OPT_STRING, &mode_s, "MODE", "backrefs, paths or dominators"},
        {"depth", 'd', WA_OPT_UINT, &depth, "N", "backrefs: referrer levels to follow (default 6)"},
        {"max-nodes", 0, WA_OPT_UINT, &max_nodes, "N", "most nodes drawn (default 300)"},
        {"fan-in", 0, WA_OPT_UINT, &fan_in, "N",
         "referrers drawn per object before \"N more\" (default 8)"},
        {"paths", 0, WA_OPT_UINT, &paths, "N",
         "paths: clusters drawn; dominators: selected objects drawn (default 10)"},
        {"children", 0, WA_OPT_UINT, &children, "N",
         "dominators: largest dominated children per object (default 8)"},
        {"format", 'f', WA_OPT_STRING, &format_s, "FMT", "dot, svg, png or pdf (default: by FILE)"},
        {"engine", 0, WA_OPT_STRING, &engine, "NAME",
         "Graphviz layout engine (default: dot, sfdp above 600 nodes)"},
        {0},
    };
    int rc = wa_cli_parse(&wa_cmd_graph, opts, &common, argc, argv, pos, &npos);
    if (rc != WA_CLI_CONTINUE) return rc;
    if (!select) return wa_cli_fail(WA_EXIT_INPUT, "graph: --select is required (try --select 'type=...')");

    wa_render_options ro;
    wa_render_options_init(&ro);
    if (mode_s) {
        int m = wa_render_mode_parse(mode_s);
        if (m < 0)
            return wa_cli_fail(WA_EXIT_INPUT,
                               "graph: unknown --mode '%s' (expected backrefs, paths or dominators)",
                               mode_s);
        ro.mode = (wa_render_mode)m;
    }
    if (format_s) {
        ro.format = wa_render_format_parse(format_s);
        if (ro.format == WA_RENDER_FMT_AUTO)
            return wa_cli_fail(WA_EXIT_INPUT,
                               "graph: unknown --format '%s' (expected dot, svg, png or pdf)",
                               format_s);
    } else if (output) {
        ro.format = wa_render_format_from_path(output);
        if (ro.format == WA_RENDER_FMT_AUTO)
            return wa_cli_fail(WA_EXIT_INPUT,
                               "graph: cannot tell the format of '%s': name it .dot, .svg, .png "
                               "or .pdf, or give --format",
                               output);
    } else {
        ro.format = WA_RENDER_FMT_DOT;
    }
    if (!output && ro.format != WA_RENDER_FMT_DOT)
        return wa_cli_fail(WA_EXIT_INPUT, "graph: --format %s needs -o FILE (only DOT goes to stdout)",
                           wa_render_format_name(ro.format));
    const struct {
        uint64_t v;
        uint32_t *dst;
        const char *name;
    } nums[] = {{depth, &ro.depth, "depth"},         {max_nodes, &ro.max_nodes, "max-nodes"},
                {fan_in, &ro.fan_in, "fan-in"},      {paths, &ro.max_paths, "paths"},
                {children, &ro.children, "children"}};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        if (nums[i].v > 1000000)
            return wa_cli_fail(WA_EXIT_INPUT, "graph: --%s %llu is too large (at most 1000000)",
                               nums[i].name, (unsigned long long)nums[i].v);
        if (nums[i].v) *nums[i].dst = (uint32_t)nums[i].v;
    }
    ro.engine = engine;

    wa_error err;
    wa_error_clear(&err);
    wa_selector *sel = wa_select_parse(select, &err);
    if (!sel) return wa_cli_fail_err(WA_EXIT_INPUT, &err);

    wa_snapshot *snap = wa_cli_load(pos[0], &common, &rc);
    if (!snap) {
        wa_select_free(sel);
        return rc;
    }
    wa_dom *dom = NULL;
    wa_path_tree *tree = NULL;
    wa_objlist *list = NULL;
    char *dot = NULL;
    size_t dot_len = 0;
    wa_render_stats st;
    memset(&st, 0, sizeof st);
    wa_status s = WA_OK;
    int code = WA_EXIT_OK;

    dom = wa_dom_compute(snap, &err);
    if (dom) tree = wa_path_tree_build(snap, &err);
    if (tree) list = wa_select_run(sel, snap, dom, 0, &err);
    if (!list) {
        code = wa_cli_fail_err(wa_cli_exit_for(err.code), &err);
        goto done;
    }
    if (list->n == 0) {
        wa_cli_note(&common, "graph: '%s' selects nothing in %s; no graph written", select, pos[0]);
        if (common.json) {
            cJSON *doc = cJSON_CreateObject();
            cJSON_AddStringToObject(doc, "snapshot", pos[0]);
            cJSON_AddStringToObject(doc, "select", select);
            wa_json_add_u64(doc, "selected", 0);
            cJSON_AddNullToObject(doc, "output");
            code = wa_cli_json_out(doc);
        }
        goto done;
    }

    wa_render_analysis an = {dom, tree};
    if (output) s = wa_render_graph(snap, &an, list->objs, list->n, &ro, output, &st, &err);
    else {
        dot = wa_render_dot(snap, &an, list->objs, list->n, &ro, &dot_len, &st, &err);
        s = dot ? WA_OK : err.code;
    }
    if (s != WA_OK) {
        int ec = s == WA_ERR_IO ? WA_EXIT_OUTPUT
                 : s == WA_ERR_ARG ? WA_EXIT_INPUT
                                   : WA_EXIT_INTERNAL;
        code = wa_cli_fail_err(ec, &err);
        goto done;
    }

    if (common.json) {
        cJSON *doc = cJSON_CreateObject();
        cJSON_AddStringToObject(doc, "snapshot", pos[0]);
        cJSON_AddStringToObject(doc, "select", select);
        if (output) cJSON_AddStringToObject(doc, "output", output);
        else cJSON_AddNullToObject(doc, "output");
        cJSON_AddStringToObject(doc, "format", wa_render_format_name(st.format));
        cJSON_AddStringToObject(doc, "mode", wa_render_mode_name(st.mode));
        cJSON_AddStringToObject(doc, "engine", st.engine);
        wa_json_add_u64(doc, "nodes", st.nodes);
        wa_json_add_u64(doc, "edges", st.edges);
        wa_json_add_u64(doc, "objects", st.objects);
        wa_json_add_u64(doc, "selected", st.selected);
        wa_json_add_u64(doc, "selected_drawn", st.selected_drawn);
        wa_json_add_u64(doc, "roots_drawn", st.roots_drawn);
        wa_json_add_u64(doc, "clusters", st.clusters);
        wa_json_add_u64(doc, "clusters_drawn", st.clusters_drawn);
        wa_json_add_u64(doc, "unreachable", st.unreachable);
        cJSON *cut = cJSON_AddObjectToObject(doc, "cut");
        wa_json_add_u64(cut, "max_nodes", st.cut_max_nodes);
        wa_json_add_u64(cut, "depth", st.cut_depth);
        wa_json_add_u64(cut, "collapsed", st.collapsed);
        wa_json_add_u64(cut, "collapsed_nodes", st.collapsed_nodes);
        cJSON *lim = cJSON_AddObjectToObject(doc, "limits");
        wa_json_add_u64(lim, "max_nodes", ro.max_nodes);
        wa_json_add_u64(lim, "depth", ro.depth);
        wa_json_add_u64(lim, "fan_in", ro.fan_in);
        wa_json_add_u64(lim, "paths", ro.max_paths);
        wa_json_add_u64(lim, "children", ro.children);
        wa_json_add_u64(doc, "bytes", st.bytes);
        if (dot) cJSON_AddStringToObject(doc, "dot", dot);
        code = wa_cli_json_out(doc);
        goto done;
    }
    if (dot) {
        fwrite(dot, 1, dot_len, stdout);
        code = wa_cli_finish_output(WA_EXIT_OK);
    } else {
        printf("wrote %s (%s, %s layout, %s): %u nodes, %u edges; %u of %u selected objects "
               "drawn, %u roots\n",
               output, wa_render_format_name(st.format), st.engine, wa_render_mode_name(st.mode),
               st.nodes, st.edges, st.selected_drawn, st.selected, st.roots_drawn);
        if (st.cut_max_nodes || st.cut_depth || st.collapsed)
            printf("left out: %llu objects beyond --max-nodes %u, %llu referrers beyond --depth "
                   "%u, %llu collapsed into %u \"more\" nodes\n",
                   (unsigned long long)st.cut_max_nodes, ro.max_nodes,
                   (unsigned long long)st.cut_depth, ro.depth, (unsigned long long)st.collapsed,
                   st.collapsed_nodes);
        code = wa_cli_finish_output(WA_EXIT_OK);
    }
done:
    wa_render_free(dot);
    wa_objlist_free(list);
    wa_path_tree_free(tree);
    wa_dom_free(dom);
    wa_select_free(sel);
    wa_snapshot_free(snap);
    /* Free Graphviz's context so a leak checker sees only what Graphviz
     * itself keeps (tests/valgrind/graphviz.supp). */
    wa_render_shutdown();
    return code;
}
