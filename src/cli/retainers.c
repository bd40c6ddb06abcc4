/* retainers.c: `whyalive retainers SNAP --select SEL`: the referrer tree of
 * each selected object to depth N, the text form of objgraph's
 * show_backrefs. Iterative (explicit stack); cycles and repeats are marked,
 * wide fan-in is cut with "N more referrers". */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli/analysis_common.h"

static int run(int argc, char **argv);

const wa_cli_command wa_cmd_retainers = {
    "retainers",
    "who refers to the selected objects: the referrer tree to depth N",
    "SNAP --select SEL [--depth N] [--max-referrers N] [--limit N] [--json]",
    "For each selected object (the first --limit, default 5), its referrers, their\n"
    "referrers, and so on to --depth (default 3), with the label of every edge\n"
    "(.attr, ['key'], [3], <closure x>, f_locals.x, <weak>). A referrer already on\n"
    "the branch is marked (cycle) and one already shown is marked (shown above);\n"
    "neither is expanded again. Roots are marked with their kind. Weak referrers\n"
    "are listed (they refer) but do not keep anything alive.",
    1,
    1,
    run,
    1};

/* A line still to print: a node of the document, or (node NULL) the
 * "N more referrers" line of a fan-in cut. */
typedef struct line {
    const cJSON *node;
    uint32_t depth;
    int last;      /* last child of its parent (for the tree lines) */
    uint64_t more; /* node NULL: referrers left out */
} line;

typedef struct line_stack {
    line *v;
    size_t n, cap;
} line_stack;

static int push(line_stack *s, line e) {
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        line *v = realloc(s->v, cap * sizeof *v);
        if (!v) return -1;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = e;
    return 0;
}

/* Tree lines for a line at depth `depth`: one column per ancestor level. */
static void prefix_for(const int *last_at, uint32_t depth, char *buf) {
    buf[0] = '\0';
    for (uint32_t d = 1; d < depth; d++) strcat(buf, last_at[d] ? "   " : "│  ");
}

/* "  [root sys.modules['x']] [root ...]" for the roots an object is. */
static void root_note(const cJSON *node, char *buf, size_t cap) {
    const cJSON *r;
    buf[0] = '\0';
    cJSON_ArrayForEach(r, wa_j_get(node, "roots")) {
        size_t len = strlen(buf);
        int n =
            snprintf(buf + len, cap - len, "%s[root %s]", len ? " " : "  ", wa_j_str(r, "text"));
        if (n > 0 && (size_t)n >= cap - len) {
            wa_cli_cut_fit(buf, cap); /* at a character, not inside one */
            return;
        }
    }
}

/* One object's referrer tree, drawn from its document node, depth-first
 * with an explicit stack (the document is as deep as --depth allows). */
static int print_tree(const cJSON *top) {
    line_stack st = {0};
    int last_at[WA_RETAINERS_MAX_DEPTH + 2];
    char a[512], b[32], c[32], roots[1024], prefix[4 * WA_RETAINERS_MAX_DEPTH + 8];
    if (push(&st, (line){top, 0, 1, 0}) != 0) return -1;
    while (st.n) {
        line e = st.v[--st.n];
        if (!e.node) {
            prefix_for(last_at, e.depth, prefix);
            printf("%s└─ ... %s more referrer%s (--max-referrers)\n", prefix,
                   wa_cli_count(e.more, b), e.more == 1 ? "" : "s");
            continue;
        }
        const cJSON *n = e.node;
        last_at[e.depth] = e.last;
        int cycle = wa_j_bool(n, "cycle"), seen = wa_j_bool(n, "shown_above");
        root_note(n, roots, sizeof roots);
        if (e.depth == 0) {
            printf("%s (%s", wa_ana_obj_text(n, a, sizeof a),
                   wa_size_text(wa_j_u64(n, "size"), 2, b));
            if (wa_j_get(n, "retained"))
                printf(", retained %s", wa_size_text(wa_j_u64(n, "retained"), 2, c));
            printf(")%s\n", roots);
            wa_ana_print_site("  ", n);
        } else {
            prefix_for(last_at, e.depth, prefix);
            printf("%s%s %s ← %s%s%s\n", prefix, e.last ? "└─" : "├─", wa_j_str(n, "label"),
                   wa_ana_obj_text(n, a, sizeof a), roots,
                   cycle  ? "  (cycle)"
                   : seen ? "  (shown above)"
                          : "");
        }
        if (cycle || seen) continue;
        const cJSON *kids = wa_j_get(n, "referrers");
        uint64_t nref = wa_j_u64(n, "referrers_total"), more = wa_j_u64(n, "referrers_more");
        if (!kids) { /* the depth limit */
            if (nref) {
                prefix_for(last_at, e.depth + 1, prefix);
                printf("%s└─ ... %s referrer%s (--depth)\n", prefix, wa_cli_count(nref, b),
                       nref == 1 ? "" : "s");
            }
            continue;
        }
        /* Pushed first, so the "N more" line prints after the shown ones. */
        if (more && push(&st, (line){NULL, e.depth + 1, 1, more}) != 0) goto nomem;
        int nk = cJSON_GetArraySize(kids);
        for (int i = nk; i-- > 0;)
            if (push(&st, (line){cJSON_GetArrayItem(kids, i), e.depth + 1, i == nk - 1 && !more,
                                 0}) != 0)
                goto nomem;
    }
    free(st.v);
    return 0;
nomem:
    free(st.v);
    return -1;
}

static int print_doc(const cJSON *doc, const wa_snapshot *snap, const void *ctx) {
    (void)ctx;
    const cJSON *o;
    cJSON_ArrayForEach(o, wa_j_get(doc, "objects")) {
        if (print_tree(o) != 0) return wa_cli_fail(WA_EXIT_INTERNAL, "retainers: out of memory");
        printf("\n");
    }
    uint64_t shown = (uint64_t)cJSON_GetArraySize(wa_j_get(doc, "objects"));
    uint64_t total = wa_j_u64(doc, "selected");
    if (shown < total) {
        char a[32];
        printf("... %s more selected objects (--limit)\n", wa_cli_count(total - shown, a));
    }
    return wa_cli_finish_output(WA_EXIT_OK);
}

static int run(int argc, char **argv) {
    wa_cli_common common;
    char *pos[argc > 0 ? argc : 1];
    int npos = 0;
    const char *select = NULL;
    uint64_t limit = 5, depth = 3, maxref = 10;
    const wa_option opts[] = {
        {"select", 's', WA_OPT_STRING, &select, "SEL", "the objects to explain (required)"},
        {"depth", 'd', WA_OPT_UINT, &depth, "N", "levels of referrers (default 3, at most 100)"},
        {"max-referrers", 0, WA_OPT_UINT, &maxref, "N",
         "referrers listed per object before '... N more' (default 10)"},
        {"limit", 'n', WA_OPT_UINT, &limit, "N", "selected objects to show (default 5, 0 = all)"},
        {0},
    };
    int rc = wa_cli_parse(&wa_cmd_retainers, opts, &common, argc, argv, pos, &npos);
    if (rc != WA_CLI_CONTINUE) return rc;
    if (!select) return wa_cli_fail(WA_EXIT_INPUT, "retainers: --select SEL is required");
    if (depth > WA_RETAINERS_MAX_DEPTH)
        return wa_cli_fail(WA_EXIT_INPUT, "retainers: --depth is at most %u",
                           WA_RETAINERS_MAX_DEPTH);
    if (maxref == 0) maxref = 1;
    if (limit >= UINT32_MAX) limit = 0;
    wa_selector *sel = NULL;
    if ((rc = wa_ana_cli_parse_select(select, &sel)) != WA_EXIT_OK) return rc;
    wa_view_options vo;
    wa_view_options_init(&vo);
    vo.select = select;
    vo.depth = (uint32_t)depth;
    vo.max_referrers = maxref > UINT32_MAX ? UINT32_MAX : (uint32_t)maxref;
    vo.limit = (uint32_t)limit;
    wa_ana_job job = {.path = pos[0],
                      .sel = sel,
                      .select_limit = (uint32_t)limit,
                      .vo = &vo,
                      .view = wa_view_retainers,
                      .print = print_doc};
    rc = wa_ana_cli_run(&job, &common);
    wa_select_free(sel);
    return rc;
}
