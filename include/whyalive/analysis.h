/*
 * whyalive/analysis.h: answers computed from snapshots: dominators and
 * retained sizes, retention paths and their clusters, type summaries, diffs
 * and leak suspects.
 *
 * Invariants:
 *  - the graph every analysis sees is the snapshot's graph without its weak
 *    edges (WA_EDGE_WEAK never retains), plus a virtual super-root whose
 *    children are the objects named by wa_snapshot_roots();
 *  - an object no root reaches is "unreachable": it has no immediate
 *    dominator (WA_NONE), no retention path, retains 0 bytes, and is counted
 *    in its own group (n_unreachable / unreachable_bytes), never dropped;
 *  - no traversal recurses or keeps a stack whose depth follows the heap's
 *    shape beyond explicit, heap-allocated arrays: a 1,000,000-long chain or
 *    a 1,000,000-wide fan-out costs memory, never the C stack;
 *  - results are owned by the caller and freed with the _free of their own
 *    type; they name objects by snapshot index and types by type index, so a
 *    result must not outlive the snapshot(s) it was computed from.
 */
#ifndef WHYALIVE_ANALYSIS_H
#define WHYALIVE_ANALYSIS_H

#include <stddef.h>
#include <stdint.h>

#include "whyalive/error.h"
#include "whyalive/snapshot.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A list of object indexes (a selection, children, survivors, ...). */
typedef struct wa_objlist {
    uint32_t n;     /* entries in objs */
    uint32_t total; /* matches before any limit was applied (>= n) */
    uint32_t *objs;
} wa_objlist;

void wa_objlist_free(wa_objlist *list);

/* ------------------------------------------------------------------------
 * Dominators and retained sizes (Semi-NCA over the super-root).
 * ------------------------------------------------------------------------ */

/* idom value of an object that only the super-root dominates (a root object,
 * or one reachable from two roots through disjoint paths). */
#define WA_DOM_SUPER 0xFFFFFFFEu

typedef struct wa_dom {
    uint32_t n_objects;
    uint32_t *idom; /* n_objects: immediate dominator, WA_DOM_SUPER, or WA_NONE if unreachable */
    uint64_t *retained; /* n_objects: bytes freed if the object went; 0 if unreachable */
    uint32_t *preorder; /* n_reachable: the reachable objects in a preorder of the dominator
                           tree: each object follows its immediate dominator, and the objects
                           it dominates follow it contiguously */
    uint32_t n_reachable, n_unreachable;
    uint64_t reachable_bytes, unreachable_bytes; /* shallow sums of each group */
    uint64_t weak_edges;                         /* edges ignored because they are weak */
    uint64_t peak_temp; /* most bytes held at once while computing (for the bench) */
} wa_dom;

wa_dom *wa_dom_compute(const wa_snapshot *snap, wa_error *err);
void wa_dom_free(wa_dom *dom);

/* Dominators of obj, nearest first, excluding obj and the super-root: writes
 * up to cap of them to out and returns how many there are in all. */
uint32_t wa_dom_chain(const wa_dom *dom, uint32_t obj, uint32_t *out, uint32_t cap);

/* Objects immediately dominated by parent (WA_DOM_SUPER: the top level),
 * largest retained first, ties by index; at most limit (0 = all). O(n). */
wa_objlist *wa_dom_children(const wa_dom *dom, uint32_t parent, uint32_t limit, wa_error *err);

/* Bytes freed if every object of objs went at once: the sum of retained over
 * the members no other member dominates. O(n) at worst, whatever the depth. */
wa_status wa_dom_retained_set(const wa_dom *dom, const uint32_t *objs, uint32_t n, uint64_t *bytes,
                              wa_error *err);

/* Bytes freed if every object of objs went at once, exactly: the reachable
 * bytes minus what the roots still reach without them. Unlike
 * wa_dom_retained_set() it counts objects that only the members together
 * keep alive (a handler held by three bound methods). One O(objects +
 * edges) search; objs may repeat. */
wa_status wa_dom_retained_group(const wa_snapshot *snap, const wa_dom *dom, const uint32_t *objs,
                                uint32_t n, uint64_t *bytes, wa_error *err);

/* wa_dom_retained_group() for ngroups groups at once: group k is
 * objs[off[k]] .. objs[off[k + 1] - 1], its bytes go to bytes[k]. When the
 * groups are disjoint and every member is a root object (externally held
 * objects, as `suspects` groups them), one O(objects + edges) pass serves
 * all groups; otherwise one search per group. */
wa_status wa_dom_retained_groups(const wa_snapshot *snap, const wa_dom *dom, const uint32_t *objs,
                                 const uint32_t *off, uint32_t ngroups, uint64_t *bytes,
                                 wa_error *err);

/* ------------------------------------------------------------------------
 * Retention paths.
 * ------------------------------------------------------------------------ */

/* parent value of a root object in a wa_path_tree. */
#define WA_PATH_ROOT 0xFFFFFFFEu

/* Shortest-path tree: a BFS from the super-root (roots in snapshot order). */
typedef struct wa_path_tree {
    uint32_t n_objects;
    uint32_t
        *parent; /* n_objects: BFS parent, WA_PATH_ROOT for a root object, WA_NONE if unreachable */
    uint32_t *via; /* n_objects: index of the edge parent->obj in wa_snapshot_edges(), or the
                         root index (into wa_snapshot_roots()) for a root object */
    uint32_t n_reachable;
} wa_path_tree;

wa_path_tree *wa_path_tree_build(const wa_snapshot *snap, wa_error *err);
void wa_path_tree_free(wa_path_tree *tree);

/* One retention path: objs[0] is a root object, objs[len-1] the target. */
typedef struct wa_path {
    uint32_t target;
    uint32_t root;    /* root index into wa_snapshot_roots(), WA_NONE if unreachable */
    uint32_t len;     /* objects on the path (0 if unreachable) */
    uint32_t *objs;   /* len */
    uint32_t *labels; /* len - 1: label word of the edge objs[i] -> objs[i+1] */
} wa_path;

typedef struct wa_path_list {
    uint32_t n;
    wa_path *paths;
} wa_path_list;

void wa_path_list_free(wa_path_list *list);

/* The shortest path of every obj in objs, from the tree (one per object). */
wa_path_list *wa_path_shortest(const wa_snapshot *snap, const wa_path_tree *tree,
                               const uint32_t *objs, uint32_t n, wa_error *err);

/* Up to k shortest paths to obj that start at distinct root objects (a
 * reverse BFS from obj; shortest first). An unreachable obj gives n == 0. */
wa_path_list *wa_path_k(const wa_snapshot *snap, uint32_t obj, uint32_t k, wa_error *err);

/* "sys.modules['app.stt']", "<thread MainThread>", "<external: excess 2>". */
size_t wa_path_root_format(const wa_snapshot *snap, uint32_t root, char *buf, size_t cap);

/* ------------------------------------------------------------------------
 * Referrer trees (the text form of objgraph's show_backrefs): who refers to
 * an object, who refers to those, and so on to a depth. Depth-first from an
 * explicit stack; a referrer already on the branch is a cycle and one
 * already listed elsewhere in the tree is "shown above": neither is expanded
 * again, so the tree is at most one node per reachable referrer plus one
 * per extra edge into a listed one. Weak referrers are listed: they refer.
 * ------------------------------------------------------------------------ */

#define WA_RETAINERS_MAX_DEPTH 100u

typedef struct wa_retainer_node {
    uint32_t obj;
    uint32_t parent;      /* node this object refers to; WA_NONE for the selected object */
    uint32_t depth;       /* 0 for the selected object */
    uint32_t label;       /* label word of the edge obj -> parent's object (0 at depth 0) */
    uint32_t n_referrers; /* all referrers of obj (edges in), listed or not */
    uint32_t more;        /* referrers not listed because of max_referrers */
    uint8_t cycle;        /* obj is already on this branch: not expanded */
    uint8_t shown_above;  /* obj was listed earlier in the tree: not expanded */
    uint8_t expanded;     /* its referrers follow (0 at the depth limit too) */
} wa_retainer_node;

typedef struct wa_retainer_tree {
    uint32_t n; /* nodes, in depth-first (printing) order */
    wa_retainer_node *nodes;
} wa_retainer_tree;

/* The referrer tree of target to depth (<= WA_RETAINERS_MAX_DEPTH), listing
 * at most max_referrers (>= 1) referrers per object, in referrer order. */
wa_retainer_tree *wa_retainers_tree(const wa_snapshot *snap, uint32_t target, uint32_t depth,
                                    uint32_t max_referrers, wa_error *err);
void wa_retainers_free(wa_retainer_tree *tree);

/* ------------------------------------------------------------------------
 * Path clustering: paths with the same root (kind and label) and the same
 * sequence of (object type, edge label) form one cluster, where list/tuple
 * indexes, addresses and per-instance dict keys are abstracted to [*]
 * (docs/cli.md, "paths", states the heuristic for dict keys).
 * ------------------------------------------------------------------------ */

typedef struct wa_cluster {
    uint32_t count;      /* instances */
    uint64_t shallow;    /* their shallow bytes */
    uint64_t retained;   /* bytes freed if they all went (nested instances counted once) */
    uint32_t example;    /* the first instance (in the order given) */
    uint32_t root;       /* root index of the example's path; WA_NONE: the unreachable group */
    uint32_t len;        /* edges on the path */
    uint32_t *types;     /* len + 1: type of each object on the path, root object first */
    uint32_t *labels;    /* len: label words of the example's path */
    uint8_t *abstracted; /* len: 1 where the label is shown as [*] */
    uint32_t *members;   /* count: the instances */
    uint64_t key;        /* hash of the rendered path: equal across snapshots for equal paths */
} wa_cluster;

typedef struct wa_cluster_set {
    uint32_t n; /* clusters, largest retained first (then count, then key) */
    wa_cluster *clusters;
    uint32_t n_instances;
} wa_cluster_set;

/* Cluster the shortest paths of objs. dom may be NULL (retained is then 0). */
wa_cluster_set *wa_path_cluster(const wa_snapshot *snap, const wa_path_tree *tree,
                                const wa_dom *dom, const uint32_t *objs, uint32_t n, wa_error *err);
void wa_cluster_set_free(wa_cluster_set *set);

/* ------------------------------------------------------------------------
 * Holders: every reference that keeps a selection alive, not only the
 * shortest route (paths --holders).
 * ------------------------------------------------------------------------ */

typedef struct wa_holder {
    uint32_t count;          /* selected objects held by this pattern (each once) */
    uint32_t refs;           /* references of this pattern into the selection */
    uint64_t shallow;        /* shallow bytes of those objects */
    uint32_t holder_type;    /* type of the holding objects; WA_NONE: a root holds them */
    uint32_t label;          /* the edge's label word (index or key 0 when abstracted) */
    int abstracted;          /* label shown [*] (or <key *>) */
    uint32_t root;           /* a root holder: root index of one of them; else WA_NONE */
    uint32_t example_holder; /* one holding object (WA_NONE for a root) */
    uint32_t example;        /* one selected object it holds */
} wa_holder;

typedef struct wa_holder_set {
    uint32_t n; /* patterns, most objects held first */
    wa_holder *holders;
    uint32_t n_selected;  /* distinct selected objects */
    uint32_t held_inside; /* reachable, but held only by other selected objects */
    uint32_t unreachable; /* no root reaches them (dom given) */
} wa_holder_set;

/* The holders of objs (sorted, as wa_select_run gives them): references
 * from objects outside the selection that a root reaches (dom may be NULL:
 * then every referrer counts), weak ones left out, and roots that are
 * selected objects. Removing every pattern's references frees the
 * selection. */
wa_holder_set *wa_holders_find(const wa_snapshot *snap, const wa_dom *dom, const uint32_t *objs,
                               uint32_t n, wa_error *err);
/* The same with the snapshot's in-edge labels given (wa_snapshot_in_labels),
 * so that holders and a cut of one view share one table. */
wa_holder_set *wa_holders_find_labeled(const wa_snapshot *snap, const wa_dom *dom,
                                       const uint32_t *objs, uint32_t n, const uint32_t *in_labels,
                                       wa_error *err);
void wa_holder_set_free(wa_holder_set *set);

/* ------------------------------------------------------------------------
 * The cut: the fewest reference patterns whose removal leaves no route from
 * a root to any selected object ("to free these N objects, remove: ...").
 * A pattern is the holder (its type; an instance's __dict__ counts as the
 * instance; a module's or class's namespace is that module or class) and
 * the label, container indexes and keys as [*], a container's items named
 * by what holds the container. References a program makes (container
 * items, attributes, closure variables, frame locals) are preferred over
 * interpreter plumbing (a bound method's __self__, __dict__ and __closure__
 * hops); among equal cuts, the one nearest the selection. The result is
 * checked exactly: removing its patterns frees every selected object but
 * those a root holds itself (and what they hold).
 * ------------------------------------------------------------------------ */

#define WA_CUT_DEFAULT_MAX 8u

typedef struct wa_cut_pattern {
    uint32_t refs;           /* references of this pattern on routes to the selection */
    int internal;            /* interpreter plumbing (cut only when nothing else does) */
    uint32_t holder_type;    /* type of the example holder */
    uint32_t label;          /* label word of the example reference */
    uint32_t example_holder; /* one object holding such a reference */
    uint32_t example;        /* what that reference refers to */
    uint32_t owner;          /* example_holder is this object's __dict__, or WA_NONE */
    uint32_t context;        /* a container: the object holding it, or WA_NONE */
    uint32_t context_label;  /* label of context -> example_holder */
    uint32_t context_owner;  /* context is this object's __dict__, or WA_NONE */
} wa_cut_pattern;

/* One reference the cut removes. */
typedef struct wa_cut_edge {
    uint32_t from, to, label;
    uint32_t pattern; /* index into wa_cut.patterns */
} wa_cut_edge;

#define WA_CUT_EDGES_MAX 100000u /* references listed in wa_cut.edges */

typedef struct wa_cut {
    int found;  /* 0: no cut of at most max_patterns patterns */
    uint32_t n; /* patterns (found), program references first, most refs first */
    wa_cut_pattern *patterns;
    uint32_t n_selected;    /* distinct selected objects */
    uint32_t freed;         /* selected objects the cut frees (0 when not found) */
    uint32_t held_by_root;  /* selected objects that are roots: no reference to remove */
    uint32_t kept_by_roots; /* other selected objects only those hold */
    uint32_t unreachable;   /* selected objects no root reaches */
    uint32_t subgraph;      /* objects on routes from roots to the selection */
    uint32_t n_edges;       /* references the cut removes, at most WA_CUT_EDGES_MAX listed */
    wa_cut_edge *edges;
} wa_cut;

/* The cut of objs (as wa_select_run gives them); max_patterns 0 means
 * WA_CUT_DEFAULT_MAX. NULL and err filled when out of memory. */
wa_cut *wa_cut_find(const wa_snapshot *snap, const wa_dom *dom, const uint32_t *objs, uint32_t n,
                    uint32_t max_patterns, wa_error *err);
/* The same with the snapshot's in-edge labels given (wa_snapshot_in_labels):
 * several cuts on one snapshot share them. */
wa_cut *wa_cut_find_labeled(const wa_snapshot *snap, const wa_dom *dom, const uint32_t *objs,
                            uint32_t n, uint32_t max_patterns, const uint32_t *in_labels,
                            wa_error *err);
void wa_cut_free(wa_cut *cut);
/* A pattern as shown: "EventBus .listeners [*]", "module 'app' __dict__
 * ['_cache'] [*]", "Session .transcriber". */
size_t wa_cut_pattern_format(const wa_snapshot *snap, const wa_cut_pattern *p, char *buf,
                             size_t cap);

/* One hop's label as shown in a path: ".attr", "['key']", "[3]", or "[*]". */
size_t wa_path_hop_format(const wa_snapshot *snap, uint32_t label, int abstracted, char *buf,
                          size_t cap);
/* "sys.modules['app.stt'] .__dict__['_sessions'] [*] .transcriber" (without
 * "via"); the unreachable group gives "<unreachable>". */
size_t wa_cluster_format(const wa_snapshot *snap, const wa_cluster *c, char *buf, size_t cap);

/* ------------------------------------------------------------------------
 * Summaries: the per-type (or per-module) table.
 * ------------------------------------------------------------------------ */

typedef enum wa_summary_by {
    WA_SUMMARY_BY_TYPE = 0,
    WA_SUMMARY_BY_MODULE = 1,
    WA_SUMMARY_BY_SITE = 2 /* first frame of the allocation site; no site: one row */
} wa_summary_by;
typedef enum wa_sort_key {
    WA_SORT_RETAINED = 0,
    WA_SORT_SHALLOW = 1,
    WA_SORT_COUNT = 2,
    WA_SORT_NAME = 3
} wa_sort_key;

typedef struct wa_summary_row {
    uint32_t key; /* type index (by type), module string id (by module), or a
                   * site string id with that first frame (by site; WA_NONE:
                   * the objects without a site) */
    uint64_t count;
    uint64_t shallow;
    uint64_t retained; /* bytes freed if every counted instance went; 0 without a dom */
} wa_summary_row;

typedef struct wa_summary {
    wa_summary_by by;
    uint32_t n_rows;
    wa_summary_row *rows;
    uint64_t count, shallow;  /* totals over the objects counted */
    uint64_t reachable_bytes; /* from the dom (0 without one) */
    uint32_t n_unreachable;   /* counted objects no root reaches */
    uint64_t unreachable_bytes;
} wa_summary;

/* Per type or module: instances, shallow bytes and retained bytes: retained
 * summed over the instances no same-key instance dominates, in one O(n) walk
 * of the dominator tree. That is what freeing all instances frees through
 * each of them alone; an object kept alive only by two instances together
 * (shared by them, dominated by neither) is not included, so it is a lower
 * bound of the group's exact retained set, and never counts a byte twice.
 * subset (may be NULL = all objects) restricts what is counted. dom may be
 * NULL (no retained column). Rows sorted by `sort`, descending (name:
 * ascending). */
/* The length of a site string's first (innermost) frame, "file:line". */
size_t wa_site_frame_len(const char *site);

wa_summary *wa_summary_compute(const wa_snapshot *snap, const wa_dom *dom, wa_summary_by by,
                               const wa_objlist *subset, wa_sort_key sort, wa_error *err);
void wa_summary_free(wa_summary *sum);
/* Name of a row: the type's full name or the module name. */
const char *wa_summary_row_name(const wa_snapshot *snap, const wa_summary *sum,
                                const wa_summary_row *row);

/* ------------------------------------------------------------------------
 * Diffs: two snapshots by type; three snapshots for survivors.
 * Object identity across dumps is (address, type name) at best: CPython
 * reuses addresses, so a "same" object may be a new one of the same type.
 * ------------------------------------------------------------------------ */

typedef struct wa_diff_row {
    const char *type;  /* full type name (points into one of the snapshots) */
    uint64_t count[3]; /* per snapshot (third is 0 for a two-way diff) */
    uint64_t bytes[3]; /* shallow bytes per snapshot */
    int64_t dcount;    /* last - first */
    int64_t dbytes;
} wa_diff_row;

typedef struct wa_diff {
    uint32_t n_snapshots; /* 2 or 3 */
    uint32_t n_rows;      /* sorted by dbytes descending, then dcount, then name */
    wa_diff_row *rows;
    uint64_t count[3], bytes[3];
    /* Three snapshots only: objects of the second dump that are new (no
     * (address, type) match in the first) and still present in the third,
     * as indexes into the THIRD snapshot, clustered by their retention paths
     * there. NULL for a two-way diff. */
    wa_objlist *survivors;
    wa_cluster_set *clusters;
} wa_diff;

/* Which objects a diff counts: keep(snap, obj, ctx) is non-zero for an
 * object to count. The diff asks once per object of each snapshot, in index
 * order, snapshot by snapshot (a, b, then c), and remembers the answers for
 * the survivors. wa_select_diff() (whyalive/select.h) restricts a diff to a
 * selector. */
typedef int (*wa_diff_keep_fn)(const wa_snapshot *snap, uint32_t obj, void *ctx);

typedef struct wa_diff_options {
    wa_diff_keep_fn keep; /* NULL: every object */
    void *keep_ctx;
} wa_diff_options;

/* c may be NULL; opts may be NULL (every object counts). keep restricts
 * every count, and the survivors, to the objects it keeps in each snapshot. */
wa_diff *wa_diff_compute(const wa_snapshot *a, const wa_snapshot *b, const wa_snapshot *c,
                         const wa_diff_options *opts, wa_error *err);
void wa_diff_free(wa_diff *diff);

/* ------------------------------------------------------------------------
 * Leak suspects (after Eclipse MAT): big dominators walked down to their
 * accumulation point, types whose instances together retain a big share,
 * types held by external (native) references, and, given a baseline, path
 * clusters that grew.
 * ------------------------------------------------------------------------ */

typedef enum wa_suspect_kind {
    WA_SUSPECT_ACCUMULATION = 0, /* one object retains >= threshold of the heap */
    WA_SUSPECT_TYPE = 1,         /* all instances of a type retain >= threshold */
    WA_SUSPECT_EXTERNAL = 2,     /* objects of a type (and first hop) held by external
                                    references, retaining >= external_share together */
    WA_SUSPECT_GROWTH = 3        /* a path cluster that grew since the baseline */
} wa_suspect_kind;

typedef struct wa_suspect {
    wa_suspect_kind kind;
    uint32_t obj;          /* the suspect object / an example instance, WA_NONE if none */
    uint32_t accumulation; /* ACCUMULATION: the accumulation point (may equal obj) */
    uint32_t type;         /* the type concerned (ACCUMULATION: the dominant type among the
                              point's children), WA_NONE if none */
    uint64_t count;        /* instances (ACCUMULATION: children of the point of that type) */
    uint64_t retained;     /* bytes */
    double share;          /* retained / reachable bytes */
    uint64_t excess;       /* EXTERNAL: sum of the excess refcounts */
    uint64_t baseline;     /* GROWTH: instances in the baseline cluster */
    char *path;            /* retention path of the example, as wa_cluster_format() */
    char *via;             /* EXTERNAL: the first hop the group holds, ".__self__ -> type"
                              (NULL if the objects hold nothing) */
    uint32_t *members;     /* the objects the suspect is about (sorted; for the cut: what
                              to remove to free them), NULL if none */
    uint32_t n_members;
} wa_suspect;

typedef struct wa_suspect_options {
    double threshold;      /* share of reachable bytes; default 0.10 */
    double accumulation;   /* descend while the biggest child holds >= this; default 0.70 */
    double external_share; /* EXTERNAL suspects need >= this share; default 0.01 */
    uint32_t min_growth;   /* GROWTH suspects need at least this many more instances; default 10 */
    const wa_snapshot *baseline; /* may be NULL */
} wa_suspect_options;

typedef struct wa_suspect_list {
    uint32_t n; /* ranked: largest retained (GROWTH: grown bytes) first */
    wa_suspect *items;
    uint64_t reachable_bytes;
} wa_suspect_list;

/* Defaults above. */
void wa_suspect_options_init(wa_suspect_options *opts);
/* dom and tree are the snapshot's; tree may be NULL (built internally). */
wa_suspect_list *wa_suspect_find(const wa_snapshot *snap, const wa_dom *dom,
                                 const wa_path_tree *tree, const wa_suspect_options *opts,
                                 wa_error *err);
void wa_suspect_list_free(wa_suspect_list *list);
const char *wa_suspect_kind_name(wa_suspect_kind kind); /* "accumulation", ... */

#ifdef __cplusplus
}
#endif
#endif
