/* graph.c: `whyalive graph SNAP --select SEL [-o FILE]`: a picture of why the
 * selected objects are alive (DOT, SVG, PNG or PDF through Graphviz). */
#include <inttypes.h>
#include <string.h>

#include "cli/analysis_common.h"
#include "whyalive/render.h"

static int run(int argc, char **argv);

const wa_cli_command wa_cmd_graph = {
    "graph",
    "draw why objects are alive: referrers, retention paths or dominators (DOT/SVG/PNG/PDF)",
    "SNAP --select SEL [-o FILE.svg|.dot|.png|.pdf] [--mode MODE] [--json]",
    "Draws the objects SEL selects ('whyalive help selectors') with Graphviz,\n"
    "laid out in-process. Modes:\n"
    "  backrefs    referrers of the selection up to --depth levels (objgraph's\n"
    "              show_backrefs), plus each selected object's shortest path to\n"
    "              a root drawn in full\n"
    "  paths       one chain per cluster of shortest retention paths, ending in\n"
    "              \"N x type\" with the bytes the cluster retains, then the route\n"
    "              to every other holder ('paths --holders'), and the cut in red:\n"
    "              the references to remove to free the selection (--no-cut: the\n"
    "              clusters only)\n"
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
    "an error: a note, exit 0, no file. See 'whyalive help pictures'.",
    1,
    1,
    run,
    1};

/* What was drawn, from the view's document: the DOT text itself when it
 * went to stdout, else one line on the file written and what was cut. */
static int print_doc(const cJSON *doc, const wa_snapshot *snap, const void *ctx) {
    (void)ctx;
    const cJSON *dot = wa_j_get(doc, "dot");
    if (!wa_j_u64(doc, "selected")) return WA_EXIT_OK;
    if (cJSON_IsString(dot)) {
        fputs(dot->valuestring, stdout);
        return wa_cli_finish_output(WA_EXIT_OK);
    }
    const cJSON *cut = wa_j_get(doc, "cut"), *lim = wa_j_get(doc, "limits");
    printf("wrote %s (%s, %s layout, %s): %" PRIu64 " nodes, %" PRIu64 " edges; %" PRIu64
           " of %" PRIu64 " selected objects drawn, %" PRIu64 " roots\n",
           wa_j_str(doc, "output"), wa_j_str(doc, "format"), wa_j_str(doc, "engine"),
           wa_j_str(doc, "mode"), wa_j_u64(doc, "nodes"), wa_j_u64(doc, "edges"),
           wa_j_u64(doc, "selected_drawn"), wa_j_u64(doc, "selected"),
           wa_j_u64(doc, "roots_drawn"));
    if (wa_j_u64(cut, "max_nodes") || wa_j_u64(cut, "depth") || wa_j_u64(cut, "collapsed"))
        printf("left out: %" PRIu64 " objects beyond --max-nodes %" PRIu64 ", %" PRIu64
               " referrers beyond --depth %" PRIu64 ", %" PRIu64 " collapsed into %" PRIu64
               " \"more\" nodes\n",
               wa_j_u64(cut, "max_nodes"), wa_j_u64(lim, "max_nodes"), wa_j_u64(cut, "depth"),
               wa_j_u64(lim, "depth"), wa_j_u64(cut, "collapsed"),
               wa_j_u64(cut, "collapsed_nodes"));
    return wa_cli_finish_output(WA_EXIT_OK);
}

static int run(int argc, char **argv) {
    wa_cli_common common;
    char *pos[argc > 0 ? argc : 1];
    int npos = 0, no_cut = 0;
    const char *select = NULL, *output = NULL, *mode_s = NULL, *format_s = NULL, *engine = NULL;
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
        {"no-cut", 0, WA_OPT_FLAG, &no_cut, NULL,
         "paths: the clusters only, without the other holders and the cut"},
        {"format", 'f', WA_OPT_STRING, &format_s, "FMT", "dot, svg, png or pdf (default: by FILE)"},
        {"engine", 0, WA_OPT_STRING, &engine, "NAME",
         "Graphviz layout engine (default: dot, sfdp above 600 nodes)"},
        {0},
    };
    int rc = wa_cli_parse(&wa_cmd_graph, opts, &common, argc, argv, pos, &npos);
    if (rc != WA_CLI_CONTINUE) return rc;
    if (!select)
        return wa_cli_fail(WA_EXIT_INPUT, "graph: --select is required (try --select 'type=...')");

    wa_render_options ro;
    wa_render_options_init(&ro);
    if (mode_s) {
        int m = wa_render_mode_parse(mode_s);
        if (m < 0)
            return wa_cli_fail(
                WA_EXIT_INPUT,
                "graph: unknown --mode '%s' (expected backrefs, paths or dominators)", mode_s);
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
        return wa_cli_fail(WA_EXIT_INPUT,
                           "graph: --format %s needs -o FILE (only DOT goes to stdout)",
                           wa_render_format_name(ro.format));
    const struct {
        uint64_t v;
        uint32_t *dst;
        const char *name;
    } nums[] = {{depth, &ro.depth, "depth"},
                {max_nodes, &ro.max_nodes, "max-nodes"},
                {fan_in, &ro.fan_in, "fan-in"},
                {paths, &ro.max_paths, "paths"},
                {children, &ro.children, "children"}};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        if (nums[i].v > 1000000)
            return wa_cli_fail(WA_EXIT_INPUT, "graph: --%s %llu is too large (at most 1000000)",
                               nums[i].name, (unsigned long long)nums[i].v);
        if (nums[i].v) *nums[i].dst = (uint32_t)nums[i].v;
    }
    ro.engine = engine;
    ro.no_cut = no_cut;

    wa_selector *sel = NULL;
    if ((rc = wa_ana_cli_parse_select(select, &sel)) != WA_EXIT_OK) return rc;
    wa_view_options vo;
    wa_view_options_init(&vo);
    vo.render = ro;
    vo.output = output;
    vo.select = select;
    char note[512];
    snprintf(note, sizeof note, "graph: '%s' selects nothing in %s; no graph written", select,
             pos[0]);
    wa_ana_job job = {.path = pos[0],
                      .sel = sel,
                      .empty_note = note,
                      .vo = &vo,
                      .view = wa_view_graph,
                      .print = print_doc};
    rc = wa_ana_cli_run(&job, &common);
    wa_select_free(sel);
    /* Free Graphviz's context so a leak checker sees only what Graphviz
     * itself keeps (tests/valgrind/graphviz.supp). */
    wa_render_shutdown();
    return rc;
}
