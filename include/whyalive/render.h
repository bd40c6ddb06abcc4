/*
 * whyalive/render.h: pictures of why objects are alive, drawn with Graphviz.
 *
 * Invariants:
 *  - a picture is a pure function of (snapshot, analysis, selection, options):
 *    nodes and edges are emitted in a fixed discovery order with ids derived
 *    from object addresses, so the same request gives byte-identical DOT;
 *  - the DOT text wa_render_dot() returns is exactly what Graphviz lays out
 *    for wa_render_graph(): one source of truth for goldens and images;
 *  - no picture exceeds max_nodes nodes; whatever a cap left out is counted in
 *    wa_render_stats and said in the picture's own caption;
 *  - Graphviz is not thread-safe: the library keeps one context per process,
 *    created on first use, and serializes every layout and render behind one
 *    mutex, so wa_render_* may be called from any thread;
 *  - an output file is written whole or not at all (temporary file in the
 *    target directory, then rename); on failure nothing is left at the path.
 *
 * Ownership follows the library rule (whyalive.h): text and data returned here
 * belong to the caller and are freed with wa_render_free().
 */
#ifndef WHYALIVE_RENDER_H
#define WHYALIVE_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "whyalive/analysis.h"
#include "whyalive/error.h"
#include "whyalive/session.h"
#include "whyalive/snapshot.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum wa_render_mode {
    WA_RENDER_AUTO = 0,      /* backrefs for a few objects, paths for many */
    WA_RENDER_BACKREFS = 1,  /* referrers up to `depth` (objgraph's show_backrefs) */
    WA_RENDER_PATHS = 2,     /* one chain per clustered shortest retention path */
    WA_RENDER_DOMINATORS = 3 /* dominator chain + largest dominated children */
} wa_render_mode;

typedef enum wa_render_format {
    WA_RENDER_FMT_AUTO = 0, /* from the output path's extension */
    WA_RENDER_FMT_DOT = 1,  /* Graphviz source, not laid out (no Graphviz call) */
    WA_RENDER_FMT_SVG = 2,
    WA_RENDER_FMT_PNG = 3,
    WA_RENDER_FMT_PDF = 4
} wa_render_format;

/* Defaults used when an option is 0. */
#define WA_RENDER_DEFAULT_MAX_NODES 300u
#define WA_RENDER_DEFAULT_DEPTH 6u
#define WA_RENDER_DEFAULT_FAN_IN 8u
#define WA_RENDER_DEFAULT_PATHS 10u       /* clusters drawn in paths mode */
#define WA_RENDER_DEFAULT_CHILDREN 8u     /* dominated children per node */
#define WA_RENDER_DEFAULT_SFDP_ABOVE 600u /* dot up to this many nodes, then sfdp */
#define WA_RENDER_AUTO_PATHS_ABOVE 5u     /* AUTO: more selected -> paths */

typedef struct wa_render_options {
    wa_render_mode mode;
    uint32_t max_nodes; /* cap on drawn nodes (0: default) */
    uint32_t depth;     /* backrefs: referrer levels to follow (0: default) */
    uint32_t fan_in;    /* referrers drawn per node before "N more" (0: default) */
    uint32_t max_paths; /* paths: clusters drawn (0: default) */
    int no_cut;         /* paths: only the clusters (no other holders, no cut in red) */
    uint32_t children;  /* dominators: largest children shown (0: default) */
    wa_render_format format;
    const char *engine;  /* NULL: "dot", or "sfdp" above sfdp_above nodes */
    uint32_t sfdp_above; /* 0: default */
} wa_render_options;

/* What a picture holds and what the caps left out. */
typedef struct wa_render_stats {
    wa_render_mode mode;      /* the mode actually drawn (AUTO resolved) */
    wa_render_format format;  /* the format actually written */
    char engine[16];          /* layout engine (for DOT output: the one its layout= names) */
    uint32_t nodes, edges;    /* drawn, collapse nodes included */
    uint32_t objects;         /* drawn nodes that are objects */
    uint32_t selected;        /* distinct objects selected */
    uint32_t selected_drawn;  /* of which drawn */
    uint32_t roots_drawn;     /* drawn nodes that are roots (in paths mode, a group
                                  node standing for a cluster's root objects too) */
    uint32_t collapsed_nodes; /* "N more" nodes */
    uint64_t collapsed;       /* referrers/children hidden in them */
    uint64_t cut_depth;       /* referrer edges not followed past --depth */
    uint64_t cut_max_nodes;   /* distinct objects left out by max_nodes */
    uint32_t clusters;        /* paths: clusters found; dominators: chain links, summed */
    uint32_t clusters_drawn;
    uint64_t unreachable; /* selected objects no root reaches */
    uint64_t bytes;       /* output size */
} wa_render_stats;

/* Options filled with the defaults. */
void wa_render_options_init(wa_render_options *opts);

/* Format from a path's extension (".dot"/".gv", ".svg", ".png", ".pdf"), or
 * WA_RENDER_FMT_AUTO when the extension is none of these. */
wa_render_format wa_render_format_from_path(const char *path);
/* "dot", "svg", ...; parse returns WA_RENDER_FMT_AUTO for an unknown name. */
const char *wa_render_format_name(wa_render_format f);
wa_render_format wa_render_format_parse(const char *name);
const char *wa_render_mode_name(wa_render_mode m);
/* -1 for an unknown name. */
int wa_render_mode_parse(const char *name);

/*
 * Draw the selection (object indexes into the session's snapshot; duplicates
 * ignored) and write it to out_path in opts->format (or by extension). The
 * dominator tree and the path tree come from the session (computed there on
 * first use: O(objects + edges), once).
 * opts may be NULL (defaults); stats may be NULL. An empty selection is
 * WA_ERR_ARG: front ends report "nothing selected" themselves before calling.
 */
wa_status wa_render_graph(wa_session *session, const uint32_t *sel, size_t n_sel,
                          const wa_render_options *opts, const char *out_path,
                          wa_render_stats *stats, wa_error *err);

/* The same picture as DOT text (NUL-terminated; *len may be NULL). NULL and
 * err filled on failure. Free with wa_render_free(). */
char *wa_render_dot(wa_session *session, const uint32_t *sel, size_t n_sel,
                    const wa_render_options *opts, size_t *len, wa_render_stats *stats,
                    wa_error *err);

/* The picture rendered in memory (SVG text, PNG or PDF bytes; DOT text for
 * WA_RENDER_FMT_DOT), e.g. for a notebook. format must not be AUTO. */
wa_status wa_render_data(wa_session *session, const uint32_t *sel, size_t n_sel,
                         const wa_render_options *opts, char **data, size_t *len,
                         wa_render_stats *stats, wa_error *err);

void wa_render_free(void *p);

/* Free the process's Graphviz context (optional; e.g. at exit so leak checkers
 * see nothing of ours). The next render creates a new one. */
void wa_render_shutdown(void);

#ifdef __cplusplus
}
#endif
#endif
