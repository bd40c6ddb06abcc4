/*
 * dot.c: a scene as DOT text: every styling decision (labels, colours, the
 * legend the docs describe) lives here and nowhere else.
 *
 * Invariant: the output depends only on the scene (no addresses of our own
 * memory, no clock, no hash order), so equal scenes give equal bytes. The
 * colours are the legend of docs/graph.md: change both together.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render/scene.h"
#include "whyalive/text.h"

/* Legend (docs/graph.md). */
#define COL_SELECTED_FILL "#ffd54f"
#define COL_SELECTED_LINE "#e65100"
#define COL_MORE_FILL "#eeeeee"
#define COL_MORE_LINE "#9e9e9e"
#define COL_WEAK "#9e9e9e"
#define COL_DOMINATES "#8e24aa"
#define COL_NODE_LINE "#546e7a"
#define COL_EDGE "#607d8b"
#define COL_CUT "#d32f2f"

/* sfdp above this many nodes removes overlaps by scaling (see below). */
#define WA_SFDP_SCALE_ABOVE 2000u

typedef struct root_style {
    const char *fill, *line;
} root_style;

/* Indexed by wa_root_kind: module, thread, external, interpreter, other. */
static const root_style root_styles[WA_ROOT_KIND_COUNT] = {
    {"#c5e1a5", "#33691e"}, /* module: green */
    {"#80deea", "#006064"}, /* thread frame: cyan */
    {"#ef9a9a", "#b71c1c"}, /* external / native: red */
    {"#d1c4e9", "#4527a0"}, /* interpreter: violet */
    {"#e0e0e0", "#424242"}, /* other: grey */
};

/* Depth shading: selected objects are depth 0; referrers fade from a steel
 * blue next to the selection to near-white at the picture's far edge, so the
 * eye finds the selection and reads outward. Integer maths: no locale or
 * rounding differences between machines. */
static void shade(uint32_t depth, uint32_t max_depth, char out[8]) {
    static const int near_rgb[3] = {0xb8, 0xcc, 0xe0}, far_rgb[3] = {0xf4, 0xf7, 0xfa};
    uint32_t span = max_depth > 1 ? max_depth - 1 : 1;
    uint32_t d = depth ? depth - 1 : 0;
    if (d > span) d = span;
    int rgb[3];
    for (int i = 0; i < 3; i++)
        rgb[i] = near_rgb[i] + (int)(((long)(far_rgb[i] - near_rgb[i]) * (long)d) / (long)span);
    snprintf(out, 8, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
}

static const char *type_display(const wa_snapshot *snap, uint32_t type) {
    return wa_snapshot_type_display(snap, type);
}

/* Text inside a DOT double-quoted string: escaped for a person first
 * (wa_text_escape: control characters, C1, bidi and invisible format
 * characters, invalid UTF-8 shown as visible escapes), then quotes and
 * backslashes escaped for DOT; at most max_bytes of s (cut at a UTF-8
 * boundary, "..." appended). max_bytes 0: no limit. The DOT goes to stdout
 * and into every picture, so it is as inert as the tables. */
static void dot_text(wa_buf *b, const char *s, size_t max_bytes) {
    size_t n = strlen(s);
    int cut = 0;
    if (max_bytes && n > max_bytes) {
        n = max_bytes;
        /* back up to the start of a UTF-8 sequence so no code point is split
         * (over at most three continuation bytes, as wa_text_escape_dup) */
        for (int k = 0; k < 3 && n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80; k++) n--;
        cut = 1;
    }
    char small[512];
    size_t need = wa_text_escape(s, n, NULL, 0);
    char *e = need < sizeof small ? small : malloc(need + 1);
    if (!e) {
        wa_buf_fail(b); /* out of memory */
        return;
    }
    wa_text_escape(s, n, e, need + 1);
    size_t start = 0;
    for (size_t i = 0; i < need; i++) {
        char c = e[i];
        /* Backslash would start a DOT escape (\n, \N, \G...), a quote would
         * end the string; the escape's own backslashes are doubled too. */
        if (c == '"' || c == '\\') {
            wa_buf_put(b, e + start, i - start);
            wa_buf_put(b, c == '"' ? "\\\"" : "\\\\", 2);
            start = i + 1;
        }
    }
    wa_buf_put(b, e + start, need - start);
    if (e != small) free(e);
    if (cut) wa_buf_put(b, "...", 3);
}

static void node_id(const wa_scene *sc, const wa_rnode *n, wa_buf *out) {
    uint64_t addr = wa_snapshot_objects(sc->snap)[n->obj].addr;
    switch (n->kind) {
    case WA_RN_MORE: wa_buf_printf(out, "\"more:0x%" PRIx64 ":%u\"", addr, n->seq); break;
    case WA_RN_GROUP: wa_buf_printf(out, "\"group:0x%" PRIx64 ":%u\"", addr, n->seq); break;
    default: wa_buf_printf(out, "\"0x%" PRIx64 "\"", addr); break;
    }
}

/* Root lines: at most three, then a count. */
static void root_lines(const wa_scene *sc, const wa_rnode *n, wa_buf *out) {
    const wa_root *roots = wa_snapshot_roots(sc->snap);
    for (uint32_t k = 0; k < n->root_n; k++) {
        if (k == 3) {
            wa_buf_printf(out, "\\n+%u more roots", n->root_n - 3);
            break;
        }
        const wa_root *r = &roots[sc->node_roots[n->root_first + k]];
        const char *label = wa_snapshot_string(sc->snap, r->label);
        wa_buf_printf(out, "\\nroot: %s", wa_root_kind_name((wa_root_kind)r->kind));
        if (r->kind == WA_ROOT_EXTERNAL) {
            /* the excess is the answer: references nobody in the dump holds */
            wa_buf_printf(out, ", excess %u", r->excess);
            if (label[0]) {
                wa_buf_puts(out, " (");
                dot_text(out, label, 48);
                wa_buf_puts(out, ")");
            }
        } else if (label[0]) {
            wa_buf_puts(out, " ");
            dot_text(out, label, 48);
        }
    }
}

static void object_label(const wa_scene *sc, const wa_rnode *n, wa_buf *out) {
    const wa_snapshot *snap = sc->snap;
    const wa_object *o = &wa_snapshot_objects(snap)[n->obj];
    char a[32], b[32];
    if (n->kind == WA_RN_GROUP) wa_buf_printf(out, "%" PRIu64 " x ", n->count);
    dot_text(out, type_display(snap, o->type), 80);
    /* The short name line only for a real object: in a group it would be one
     * arbitrary member's. */
    if (n->kind == WA_RN_OBJECT) {
        const char *name = wa_snapshot_string(snap, o->name);
        const char *value = wa_snapshot_string(snap, o->value);
        int any = 0;
        if (name[0]) {
            wa_buf_puts(out, "\\n");
            dot_text(out, name, 48);
            any = 1;
        }
        if (o->flags & WA_OBJ_HAS_LEN) {
            wa_buf_printf(out, "%slen=%u", any ? "  " : "\\n", o->length);
            any = 1;
        }
        if (value[0]) {
            wa_buf_puts(out, any ? "  " : "\\n");
            dot_text(out, value, 32);
        }
        wa_buf_printf(out, "\\n%s", wa_size_text(o->size, 1, a));
        if (n->retained != WA_RETAINED_UNKNOWN)
            wa_buf_printf(out, " / %s retained", wa_size_text(n->retained, 1, b));
    } else if (n->retained != WA_RETAINED_UNKNOWN) {
        wa_buf_printf(out, "\\n%s retained", wa_size_text(n->retained, 1, b));
    }
    root_lines(sc, n, out);
    if (n->unreachable) wa_buf_puts(out, "\\nunreachable from every root");
    if (n->hidden)
        wa_buf_printf(out, "\\n(+%" PRIu64 " referrer%s not drawn)", n->hidden,
                      n->hidden == 1 ? "" : "s");
    if (n->note) {
        wa_buf_puts(out, "\\n");
        dot_text(out, wa_scene_note(sc, n->note), 160);
    }
}

static void write_node(const wa_scene *sc, const wa_rnode *n, wa_buf *out) {
    const wa_object *o = &wa_snapshot_objects(sc->snap)[n->obj];
    wa_buf_puts(out, "\t");
    node_id(sc, n, out);
    wa_buf_puts(out, " [label=\"");
    if (n->kind == WA_RN_MORE) {
        wa_buf_printf(out, "%" PRIu64 " more %s", n->count,
                      sc->stats->mode == WA_RENDER_DOMINATORS ? "dominated" : "referrers");
        if (n->retained != WA_RETAINED_UNKNOWN) {
            char a[32];
            wa_buf_printf(out, " (%s retained)", wa_size_text(n->retained, 1, a));
        }
        if (n->note) {
            wa_buf_puts(out, "\\n");
            dot_text(out, wa_scene_note(sc, n->note), 160);
        }
        wa_buf_puts(out, "\", shape=note, style=\"filled,dashed\", fillcolor=\"" COL_MORE_FILL
                         "\", color=\"" COL_MORE_LINE "\", fontcolor=\"#424242\"];\n");
        return;
    }
    object_label(sc, n, out);
    wa_buf_puts(out, "\"");

    /* Fill: selection beats root kind beats depth shade. The line colour keeps
     * the root kind visible on a selected root. */
    const wa_root *roots = wa_snapshot_roots(sc->snap);
    const root_style *rs = NULL;
    if (n->root_n) {
        uint32_t kind = roots[sc->node_roots[n->root_first]].kind;
        rs = &root_styles[kind < WA_ROOT_KIND_COUNT ? kind : WA_ROOT_OTHER];
    } else if (n->group_root) {
        uint32_t kind = n->group_root - 1u;
        rs = &root_styles[kind < WA_ROOT_KIND_COUNT ? kind : WA_ROOT_OTHER];
    }
    char fill[8];
    const char *line = rs ? rs->line : NULL;
    if (n->selected) {
        wa_buf_puts(out, ", fillcolor=\"" COL_SELECTED_FILL "\", penwidth=2.5");
        if (!rs) line = COL_SELECTED_LINE;
    } else if (rs) {
        wa_buf_printf(out, ", fillcolor=\"%s\", penwidth=2", rs->fill);
    } else {
        shade(n->depth, sc->max_depth, fill);
        wa_buf_printf(out, ", fillcolor=\"%s\"", fill);
    }
    if (line) wa_buf_printf(out, ", color=\"%s\"", line);
    if (rs) wa_buf_puts(out, ", peripheries=2");
    /* a group is a stack of boxes; unreachable objects get a dashed outline */
    if (n->kind == WA_RN_GROUP) wa_buf_puts(out, ", shape=box3d");
    if (n->kind == WA_RN_GROUP || n->unreachable)
        wa_buf_printf(out, ", style=\"%s%s\"", n->kind == WA_RN_GROUP ? "filled" : "rounded,filled",
                      n->unreachable ? ",dashed" : "");
    if (n->kind == WA_RN_GROUP)
        wa_buf_printf(out, ", tooltip=\"%" PRIu64 " objects like 0x%" PRIx64 " ", n->count,
                      o->addr);
    else
        wa_buf_printf(out, ", tooltip=\"0x%" PRIx64 " ", o->addr);
    dot_text(out, wa_snapshot_type_name(sc->snap, o->type), 200);
    wa_buf_printf(out, " refcount=%u\"];\n", o->refcount);
}

static void write_edge(const wa_scene *sc, const wa_redge *e, wa_buf *out) {
    wa_buf_puts(out, "\t");
    node_id(sc, &sc->nodes[e->from], out);
    wa_buf_puts(out, " -> ");
    node_id(sc, &sc->nodes[e->to], out);
    wa_buf buf = {0};
    if (e->note) {
        wa_buf_puts(&buf, wa_scene_note(sc, e->note));
    } else if (e->style != WA_RE_MORE) {
        char lab[256];
        for (uint32_t k = 0; k < e->n_labels; k++) {
            wa_label_format(sc->snap, e->labels[k], lab, sizeof lab);
            if (!lab[0]) continue;
            if (buf.len) wa_buf_puts(&buf, ", ");
            wa_buf_puts(&buf, lab);
        }
        if (e->total > e->n_labels) wa_buf_printf(&buf, ", +%u more", e->total - e->n_labels);
    }
    /* Ranks follow the walk's levels: only an edge from one level to the
     * next constrains ranking. A cross edge (a referrer that is also a
     * deeper or shallower node) would otherwise stretch the ranking until
     * dot spends seconds placing thousands of virtual nodes. */
    int cross = sc->stats->mode == WA_RENDER_BACKREFS &&
                sc->nodes[e->from].depth != sc->nodes[e->to].depth + 1;
    const char *sep = " [";
    if (buf.len) {
        /* A cross edge carries an xlabel: Graphviz 2.43's dot frees the label
         * of a non-constraint edge twice when its ends share a rank
         * (gvFreeLayout aborts). An xlabel is placed after layout, with no
         * virtual node, so it is also cheaper. */
        wa_buf_puts(out, cross ? " [xlabel=\"" : " [label=\"");
        dot_text(out, buf.data, 96);
        wa_buf_puts(out, "\"");
        sep = ", ";
    }
    if (buf.failed) wa_buf_fail(out);
    wa_buf_free(&buf);
    switch (e->style) {
    case WA_RE_WEAK:
        wa_buf_printf(out, "%sstyle=dashed, color=\"" COL_WEAK "\"", sep);
        sep = ", ";
        break;
    case WA_RE_MORE:
        wa_buf_printf(out, "%sstyle=dotted, color=\"" COL_MORE_LINE "\"", sep);
        sep = ", ";
        break;
    case WA_RE_DOMINATES:
        wa_buf_printf(
            out, "%sstyle=dashed, color=\"" COL_DOMINATES "\", fontcolor=\"" COL_DOMINATES "\"",
            sep);
        sep = ", ";
        break;
    case WA_RE_ELIDED:
        wa_buf_printf(out, "%sstyle=dotted", sep);
        sep = ", ";
        break;
    default: break;
    }
    if (e->cut) {
        wa_buf_printf(out, "%scolor=\"" COL_CUT "\", fontcolor=\"" COL_CUT "\", penwidth=2.5", sep);
        sep = ", ";
    }
    if (cross) {
        wa_buf_printf(out, "%sconstraint=false", sep);
        sep = ", ";
    }
    wa_buf_puts(out, sep[0] == ',' ? "];\n" : ";\n");
}

void wa_render_write_dot(const wa_scene *sc, const char *engine, wa_buf *out) {
    int dot = strcmp(engine, "dot") == 0;
    wa_buf_puts(out, "digraph whyalive {\n");
    wa_buf_printf(out,
                  "\tgraph [layout=%s, charset=\"UTF-8\", fontname=\"Helvetica\", "
                  "fontsize=10, labelloc=b, labeljust=l, outputorder=edgesfirst",
                  engine);
    if (dot) {
        /* Roots at the top, the selection at the bottom, references pointing
         * down. The limits bound network simplex and mincross, the phases
         * that explode near a thousand nodes with cross edges: a slightly
         * less tidy picture, but always a picture. */
        wa_buf_puts(out, ", rankdir=TB, nodesep=0.25, ranksep=0.45, nslimit=4, nslimit1=4, "
                         "mclimit=0.5, searchsize=30, remincross=false");
    } else {
        /* Force-directed layouts for big pictures: straight edges (spline
         * routing around nodes costs more than the layout). Overlap removal
         * is most of sfdp's time (a Delaunay triangulation per pass, in
         * libgts): ten prism passes keep labels apart at a bounded cost; far
         * above that, uniform scaling is the one removal that stays cheap. */
        wa_buf_printf(out, ", overlap=%s, splines=false",
                      sc->n_nodes > WA_SFDP_SCALE_ABOVE ? "scale" : "prism10");
    }
    if (sc->caption.len) {
        wa_buf_puts(out, ", label=\"");
        const char *line = sc->caption.data;
        while (line && *line) {
            const char *nl = strchr(line, '\n');
            size_t len = nl ? (size_t)(nl - line) : strlen(line);
            char tmp[520];
            if (len >= sizeof tmp) len = sizeof tmp - 1;
            memcpy(tmp, line, len);
            tmp[len] = '\0';
            dot_text(out, tmp, 0);
            wa_buf_puts(out, "\\l"); /* left-justified line break */
            line = nl ? nl + 1 : NULL;
        }
        wa_buf_puts(out, "\"");
    }
    wa_buf_puts(out, "];\n");
    wa_buf_puts(out, "\tnode [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", "
                     "fontsize=10, margin=\"0.10,0.04\", color=\"" COL_NODE_LINE
                     "\", fillcolor=\"#ffffff\"];\n");
    wa_buf_puts(out, "\tedge [fontname=\"Helvetica\", fontsize=9, color=\"" COL_EDGE
                     "\", fontcolor=\"#37474f\", arrowsize=0.7];\n");
    for (uint32_t i = 0; i < sc->n_nodes; i++) write_node(sc, &sc->nodes[i], out);
    for (uint32_t i = 0; i < sc->n_edges; i++) write_edge(sc, &sc->edges[i], out);
    wa_buf_puts(out, "}\n");
}
