/*
 * scene.h: the renderer's private model of one picture, between the modes
 * that decide what to draw (backrefs.c, paths.c, dominators.c) and the DOT
 * writer that decides how it looks (dot.c).
 *
 * Invariants:
 *  - nodes and edges are kept in the order the mode added them, and that order
 *    is the output order: a mode that visits the graph deterministically gives
 *    byte-identical DOT;
 *  - an object appears in at most one node (looked up by object index), and a
 *    (from, to) pair in at most one edge: parallel references merge into one
 *    edge that keeps its first few labels and counts the rest;
 *  - every allocation hangs off the scene and goes in wa_scene_free(); after a
 *    failed allocation `failed` is set and later adds are no-ops, so a mode
 *    checks once at the end.
 */
#ifndef WA_RENDER_SCENE_H
#define WA_RENDER_SCENE_H

#include <stddef.h>
#include <stdint.h>

#include "core/containers.h"
#include "core/text.h"
#include "whyalive/analysis.h"
#include "whyalive/render.h"
#include "whyalive/snapshot.h"

#define WA_RETAINED_UNKNOWN UINT64_MAX
#define WA_SCENE_EDGE_LABELS 3 /* labels kept per merged edge */

/* Node or edge index meaning "none" (not in the scene, cap reached, failed). */
#define WA_SCENE_NONE 0xFFFFFFFFu

/* ---- the scene ---- */
typedef enum wa_rnode_kind {
    WA_RN_OBJECT = 0, /* one object of the snapshot */
    WA_RN_MORE = 1,   /* "N more referrers/children" collapse node */
    WA_RN_GROUP = 2   /* paths mode: the instances a cluster ends in */
} wa_rnode_kind;

typedef enum wa_redge_style {
    WA_RE_REF = 0,       /* a reference, drawn solid, labeled */
    WA_RE_WEAK = 1,      /* a weak reference: dashed, retains nothing */
    WA_RE_MORE = 2,      /* to/from a collapse node: dotted grey */
    WA_RE_DOMINATES = 3, /* dominator tree edge with no direct reference */
    WA_RE_ELIDED = 4     /* paths: steps left out between two drawn nodes */
} wa_redge_style;

typedef struct wa_rnode {
    uint8_t kind;     /* wa_rnode_kind */
    uint8_t selected; /* highlighted */
    uint8_t expanded; /* referrers looked at (backrefs) */
    uint8_t unreachable;
    uint8_t group_root;          /* GROUP at a path's start: root kind + 1 (0: none) */
    uint32_t obj;                /* OBJECT/GROUP: object; MORE: the object it hangs off */
    uint32_t depth;              /* shading: distance from the selection (0 = selected) */
    uint32_t seq;                /* MORE/GROUP: per-object sequence, for unique ids */
    uint64_t count;              /* MORE: objects hidden; GROUP: instances */
    uint64_t retained;           /* bytes, or WA_RETAINED_UNKNOWN */
    uint64_t hidden;             /* OBJECT: referrers not drawn (depth or node cap) */
    uint32_t note;               /* offset+1 into the scene's text pool, 0 = none */
    uint32_t root_first, root_n; /* slice of scene.node_roots */
} wa_rnode;

typedef struct wa_redge {
    uint32_t from, to; /* node indexes */
    uint8_t style;     /* wa_redge_style */
    uint8_t n_labels;  /* labels kept (<= WA_SCENE_EDGE_LABELS) */
    uint32_t total;    /* references merged into this edge */
    uint32_t labels[WA_SCENE_EDGE_LABELS];
    uint32_t note; /* offset+1 into the text pool: label text overriding labels */
    uint8_t cut;   /* paths: a reference the cut removes (drawn red) */
} wa_redge;

typedef struct wa_scene {
    const wa_snapshot *snap;
    wa_render_options opts; /* defaults resolved */
    wa_render_stats *stats;
    const wa_dom *dom;        /* never NULL while a mode runs */
    const wa_path_tree *tree; /* never NULL while a mode runs */

    wa_rnode *nodes;
    uint32_t n_nodes, cap_nodes;
    wa_redge *edges;
    uint32_t n_edges, cap_edges;
    wa_u64map node_of;    /* object index (kind OBJECT) -> node; other kinds keyed apart */
    wa_u64map edge_of;    /* from << 32 | to -> edge */
    uint32_t *node_roots; /* root indexes, sliced per node by root_first/root_n */
    uint32_t max_depth;
    wa_buf pool;    /* notes, NUL-separated */
    wa_buf caption; /* lines of the graph label, '\n'-separated */
    int failed;
} wa_scene;

void wa_scene_init(wa_scene *sc, const wa_snapshot *snap, const wa_render_options *opts,
                   wa_render_stats *stats);
void wa_scene_free(wa_scene *sc);

/* Node of an object, or WA_SCENE_NONE. */
uint32_t wa_scene_find(const wa_scene *sc, uint32_t obj);
/* Add (or find) the node of an object. Returns the node, or WA_SCENE_NONE
 * when the node cap is reached (nothing added) or on failure. */
uint32_t wa_scene_object(wa_scene *sc, uint32_t obj, uint32_t depth);
/* Add a MORE or GROUP node (checks the cap like wa_scene_object). */
uint32_t wa_scene_special(wa_scene *sc, wa_rnode_kind kind, uint32_t obj, uint32_t depth,
                          uint64_t count);
/* Room for `extra` more nodes under max_nodes? */
int wa_scene_room(const wa_scene *sc, uint32_t extra);
/* Add or merge the edge from -> to with one more label. Returns the edge. */
uint32_t wa_scene_edge(wa_scene *sc, uint32_t from, uint32_t to, wa_redge_style style,
                       uint32_t label);
/* Attach text (copied) to a node or an edge. */
uint32_t wa_scene_text(wa_scene *sc, const char *text);
const char *wa_scene_note(const wa_scene *sc, uint32_t note);
/* Append a caption line (printf-style). */
void wa_scene_caption(wa_scene *sc, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* After the mode: attach each snapshot root to its node, count stats. */
int wa_scene_finish(wa_scene *sc);

/* ---- shared helpers for the modes ---- */
/* Distance of every object from the nearest root over non-weak references
 * (WA_NONE when unreachable): a BFS from all roots. Caller frees. */
uint32_t *wa_render_root_distance(const wa_snapshot *snap, wa_error *err);
/* Per object: bit (1 << kind) for each root kind it is. Caller frees. */
uint8_t *wa_render_root_kinds(const wa_snapshot *snap, wa_error *err);

/* ---- modes: fill the scene; WA_OK or an error ---- */
wa_status wa_render_backrefs(wa_scene *sc, const uint32_t *sel, size_t n_sel, wa_error *err);
wa_status wa_render_paths(wa_scene *sc, const uint32_t *sel, size_t n_sel, wa_error *err);
wa_status wa_render_dominators(wa_scene *sc, const uint32_t *sel, size_t n_sel, wa_error *err);

/* ---- output ---- */
/* Write the scene as DOT for `engine`. */
void wa_render_write_dot(const wa_scene *sc, const char *engine, wa_buf *out);
/* Lay out and render DOT text with Graphviz (serialized, one context). *out
 * is malloc'd. */
wa_status wa_render_gv(const char *dot, const char *engine, const char *format, char **out,
                       size_t *out_len, wa_error *err);

#endif
