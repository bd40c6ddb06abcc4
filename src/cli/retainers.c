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
    1, 1, run};

#define MAX_DEPTH 100

typedef struct entry {
    uint32_t obj;
    uint32_t depth;
    uint32_t via; /* in-edge index that led here, WA_NONE for the selected object */
    int last;     /* last child of its parent (for the tree lines) */
    cJSON *into;  /* JSON array to append to */
} entry;

typedef struct stack {
    entry *v;
    size_t n, cap;
} stack;

/* Objects already printed: an open-addressing set (WA_NONE = empty), so a
 * deep, wide tree stays linear. */
typedef struct u32set {
    uint32_t *v;
    size_t n, cap;
} u32set;

static size_t slot_of(const u32set *s, uint32_t x) {
    size_t i = ((size_t)x * 0x9E3779B1u) & (s->cap - 1);
    while (s->v[i] != WA_NONE && s->v[i] != x) i = (i + 1) & (s->cap - 1);
    return i;
}

static int set_has(const u32set *s, uint32_t x) { return s->cap && s->v[slot_of(s, x)] == x; }

static int set_add(u32set *s, uint32_t x) {
    if ((s->n + 1) * 2 > s->cap) {
        u32set bigger = {NULL, 0, s->cap ? s->cap * 2 : 64};
        bigger.v = malloc(bigger.cap * sizeof *bigger.v);
        if (!bigger.v) return -1;
        memset(bigger.v, 0xFF, bigger.cap * sizeof *bigger.v);
        for (size_t i = 0; i < s->cap; i++)
            if (s->v[i] != WA_NONE) {
                bigger.v[slot_of(&bigger, s->v[i])] = s->v[i];
                bigger.n++;
            }
        free(s->v);
        *s = bigger;
    }
    size_t i = slot_of(s, x);
    if (s->v[i] == WA_NONE) {
        s->v[i] = x;
        s->n++;
    }
    return 0;
}

static int push(stack *s, entry e) {
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        entry *v = realloc(s->v, cap * sizeof *v);
        if (!v) return -1;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = e;
    return 0;
}

/* Label of in-edge j of dst: the k-th edge src->dst where k counts earlier
 * occurrences of src among dst's referrers. */
static uint32_t in_label(const wa_snapshot *snap, uint32_t dst, uint32_t j) {
    const uint32_t *in_off = wa_snapshot_in_offsets(snap), *src = wa_snapshot_in_sources(snap);
    uint32_t k = 0;
    for (uint32_t i = in_off[dst]; i < j; i++) k += src[i] == src[j];
    return wa_snapshot_edge_label(snap, src[j], dst, k);
}

static void root_note(const wa_snapshot *snap, uint32_t obj, char *buf, size_t cap) {
    buf[0] = '\0';
    const wa_root *roots = wa_snapshot_roots(snap);
    for (uint32_t r = 0; r < wa_snapshot_n_roots(snap); r++)
        if (roots[r].obj == obj) {
            char t[300];
            wa_path_root_format(snap, r, t, sizeof t);
            size_t len = strlen(buf);
            snprintf(buf + len, cap - len, "%s[root %s]", len ? " " : "  ", t);
        }
}

/* Tree lines for a line at depth `depth`: one column per ancestor level. */
static void prefix_for(const int *last_at, uint32_t depth, char *buf) {
    buf[0] = '\0';
    for (uint32_t d = 1; d < depth; d++) strcat(buf, last_at[d] ? "   " : "│  ");
}

static int explain(const wa_snapshot *snap, const wa_dom *dom, uint32_t target, uint32_t depth,
                   uint32_t maxref, cJSON *out_arr) {
    const uint32_t *in_off = wa_snapshot_in_offsets(snap), *src = wa_snapshot_in_sources(snap);
    stack st = {0};
    u32set shown_list = {0};
    uint32_t path[MAX_DEPTH + 2];
    int last_at[MAX_DEPTH + 2];
    char a[512], b[32], c[32], lab[512], roots[1024];
    if (push(&st, (entry){target, 0, WA_NONE, 1, out_arr}) != 0) return -1;
    char prefix[4 * MAX_DEPTH + 8];
    while (st.n) {
        entry e = st.v[--st.n];
        if (e.obj == WA_NONE) { /* the "N more referrers" line of a fan-in cut */
            prefix_for(last_at, e.depth, prefix);
            printf("%s└─ ... %s more referrer%s (--max-referrers)\n", prefix,
                   wa_cli_count(e.via, b), e.via == 1 ? "" : "s");
            continue;
        }
        path[e.depth] = e.obj;
        last_at[e.depth] = e.last;
        int cycle = 0, seen = 0;
        for (uint32_t d = 0; d < e.depth; d++) cycle |= path[d] == e.obj;
        seen = !cycle && set_has(&shown_list, e.obj);
        if (e.via != WA_NONE)
            wa_label_format(snap, in_label(snap, path[e.depth - 1], e.via), lab, sizeof lab);
        else lab[0] = '\0';
        root_note(snap, e.obj, roots, sizeof roots);
        uint32_t nref = in_off[e.obj + 1] - in_off[e.obj];
        cJSON *node = NULL, *kids = NULL;
        if (e.into) {
            node = wa_ana_json_obj(snap, dom, e.obj);
            if (e.via != WA_NONE) cJSON_AddStringToObject(node, "label", lab);
            cJSON *rs = cJSON_AddArrayToObject(node, "roots");
            const wa_root *rr = wa_snapshot_roots(snap);
            for (uint32_t r = 0; r < wa_snapshot_n_roots(snap); r++)
                if (rr[r].obj == e.obj) cJSON_AddItemToArray(rs, wa_ana_json_root(snap, r));
            cJSON_AddBoolToObject(node, "cycle", cycle);
            cJSON_AddBoolToObject(node, "shown_above", seen);
            wa_json_add_u64(node, "referrers_total", nref);
            cJSON_AddItemToArray(e.into, node);
        } else if (e.depth == 0) {
            printf("%s (%s", wa_ana_cli_obj(snap, e.obj, a, sizeof a),
                   wa_cli_size(wa_snapshot_objects(snap)[e.obj].size, b));
            if (dom) printf(", retained %s", wa_cli_size(dom->retained[e.obj], c));
            printf(")%s\n", roots);
        } else {
            prefix_for(last_at, e.depth, prefix);
            printf("%s%s %s ← %s%s%s\n", prefix, e.last ? "└─" : "├─", lab,
                   wa_ana_cli_obj(snap, e.obj, a, sizeof a), roots,
                   cycle ? "  (cycle)" : seen ? "  (shown above)" : "");
        }
        if (cycle || seen) continue;
        if (set_add(&shown_list, e.obj) != 0) goto nomem;
        if (e.depth >= depth) {
            if (nref && !e.into) {
                prefix_for(last_at, e.depth + 1, prefix);
                printf("%s└─ ... %s referrer%s (--depth)\n", prefix, wa_cli_count(nref, b),
                       nref == 1 ? "" : "s");
            }
            continue;
        }
        if (node) kids = cJSON_AddArrayToObject(node, "referrers");
        uint32_t shown = nref < maxref ? nref : maxref;
        /* Pushed first, so the "N more" line prints after the shown ones. */
        if (shown < nref) {
            if (node) wa_json_add_u64(node, "referrers_more", nref - shown);
            else if (push(&st, (entry){WA_NONE, e.depth + 1, nref - shown, 1, NULL}) != 0)
                goto nomem;
        }
        for (uint32_t i = shown; i-- > 0;) {
            uint32_t j = in_off[e.obj] + i;
            int last = i == shown - 1 && shown == nref;
            if (push(&st, (entry){src[j], e.depth + 1, j, last, kids}) != 0) goto nomem;
        }
    }
    free(st.v);
    free(shown_list.v);
    return 0;
nomem:
    free(st.v);
    free(shown_list.v);
    return -1;
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
    if (!select)
        return wa_cli_fail(WA_EXIT_INPUT, "retainers: --select SEL is required");
    if (depth > MAX_DEPTH)
        return wa_cli_fail(WA_EXIT_INPUT, "retainers: --depth is at most %d", MAX_DEPTH);
    if (maxref == 0) maxref = 1;
    wa_selector *sel = NULL;
    if ((rc = wa_ana_cli_parse_select(select, &sel)) != WA_EXIT_OK) return rc;
    wa_snapshot *snap = wa_cli_load(pos[0], &common, &rc);
    wa_dom *dom = NULL;
    wa_objlist *objs = NULL;
    if (!snap) goto done;
    if (!(dom = wa_ana_cli_dom(snap, &common, &rc))) goto done;
    if (!(objs = wa_ana_cli_select(sel, snap, dom, (uint32_t)limit, &rc))) goto done;
    if (objs->total == 0) wa_cli_note(&common, "the selection matched no object");
    cJSON *doc = NULL, *arr = NULL;
    if (common.json) {
        doc = cJSON_CreateObject();
        cJSON_AddStringToObject(doc, "command", "retainers");
        cJSON_AddStringToObject(doc, "snapshot", pos[0]);
        cJSON_AddStringToObject(doc, "select", select);
        wa_json_add_u64(doc, "depth", depth);
        wa_json_add_u64(doc, "selected", objs->total);
        arr = cJSON_AddArrayToObject(doc, "objects");
    }
    for (uint32_t i = 0; i < objs->n; i++) {
        if (explain(snap, dom, objs->objs[i], (uint32_t)depth, (uint32_t)maxref, arr) != 0) {
            cJSON_Delete(doc);
            rc = wa_cli_fail(WA_EXIT_INTERNAL, "retainers: out of memory");
            goto done;
        }
        if (!doc) printf("\n");
    }
    if (doc) {
        cJSON_AddBoolToObject(doc, "truncated", objs->n < objs->total);
        rc = wa_cli_json_out(doc);
    } else {
        if (objs->n < objs->total) {
            char a[32];
            printf("... %s more selected objects (--limit)\n",
                   wa_cli_count(objs->total - objs->n, a));
        }
        rc = wa_cli_finish_output(WA_EXIT_OK);
    }
done:
    wa_objlist_free(objs);
    wa_dom_free(dom);
    wa_snapshot_free(snap);
    wa_select_free(sel);
    return rc;
}
