/*
 * whyalive/view.h: the result document of every view (summary, paths,
 * retainers, dominators, diff, suspects, graph, info), built once in the
 * library and shared by every front end.
 *
 * Invariants:
 *  - a view's document is exactly the `--json` document of the matching CLI
 *    command (docs/json.md is the contract); the CLI prints it, renders its
 *    human tables from it, and the Python API converts it to dicts and lists:
 *    there is one piece of code per view, so the three cannot drift;
 *  - counts and sizes are exact: numbers up to 2^53, decimal strings above;
 *  - the library never prints: a view is data, the front end decides how to
 *    show it;
 *  - a view names objects by address and types by full name, so it does not
 *    point into the snapshot and may outlive it (unlike analysis results).
 *
 * Why an opaque handle over a cJSON tree: cJSON is already a dependency of
 * the library, and a tree is what both front ends need (the CLI walks it to
 * draw tables; Python walks it into dicts without a print-and-parse round
 * trip). Keeping the handle opaque keeps cJSON's headers out of this one:
 * a program that only wants the text calls wa_view_json(); the in-tree front
 * ends, which include <cjson/cJSON.h> themselves, read the tree through
 * wa_view_doc(), declared here against an incomplete `struct cJSON`.
 *
 * Ownership (the library's rule): the caller owns a view and frees it with
 * wa_view_free(); wa_view_json() returns malloc'd text the caller free()s;
 * wa_view_doc() and wa_view_data() point into the view.
 */
#ifndef WHYALIVE_VIEW_H
#define WHYALIVE_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "whyalive/analysis.h"
#include "whyalive/error.h"
#include "whyalive/render.h"
#include "whyalive/session.h"
#include "whyalive/snapshot.h"

#ifdef __cplusplus
extern "C" {
#endif

struct cJSON;
struct wa_selector;

typedef struct wa_view wa_view;

/* A snapshot, through the session that holds its analyses: a view asks the
 * session for what it needs (computed once, on first use). */
typedef struct wa_view_source {
    wa_session *session;
    const char *name; /* echoed as "snapshot" (the path as given) */
} wa_view_source;

/* Use the view's own default (the CLI's default for that command). */
#define WA_VIEW_DEFAULT 0xFFFFFFFFu

typedef struct wa_view_options {
    /* The selection: objects chosen by the front end (a selector, handles,
     * addresses). has_selection = 0: none given (dominators: top mode;
     * summary: count everything). total: matches before a limit (>= n). */
    int has_selection;
    const uint32_t *objs;
    uint32_t n, total;
    const char *select; /* selector text echoed as "select"; NULL: not echoed */
    uint32_t limit;     /* rows / objects / clusters shown, 0 = all;
                                  WA_VIEW_DEFAULT: summary 25, paths 0, retainers 5,
                                  dominators 20, diff 25, suspects 10 */
    /* summary */
    wa_summary_by by;
    wa_sort_key sort;
    int no_retained; /* no dominators: null retained column */
    /* paths */
    int each;         /* one path per object */
    int holders;      /* every holder of the selection (mode "holders") */
    uint32_t k;       /* > 0: k shortest through distinct roots */
    uint32_t members; /* member addresses per cluster (20) */
    int no_cut;       /* clusters/holders: skip the cut ("to free these N objects, remove") */
    int cut_only;     /* mode "cut": the cut alone */
    /* retainers */
    uint32_t depth;         /* 3, at most WA_RETAINERS_MAX_DEPTH */
    uint32_t max_referrers; /* 10 */
    /* dominators */
    uint32_t children; /* 5 */
    int tree;          /* every object's idom */
    /* diff */
    const struct wa_selector *selector; /* restricts the counts; no dominator tests */
    int all;                            /* keep unchanged rows */
    uint32_t clusters;                  /* survivor clusters shown (10), 0 = all */
    /* suspects */
    wa_suspect_options suspect; /* .baseline is the baseline snapshot */
    const char *baseline_name;  /* echoed as "baseline" */
    /* graph */
    wa_render_options render;
    const char *output; /* write the picture here; NULL: in memory */
} wa_view_options;

void wa_view_options_init(wa_view_options *opts);

wa_view *wa_view_summary(const wa_view_source *src, const wa_view_options *opts, wa_error *err);
/* Clusters (default), one path per object (each) or k shortest (k > 0). */
wa_view *wa_view_paths(const wa_view_source *src, const wa_view_options *opts, wa_error *err);
wa_view *wa_view_retainers(const wa_view_source *src, const wa_view_options *opts, wa_error *err);
/* Top level (no selection), selection, or the whole tree (opts->tree). */
wa_view *wa_view_dominators(const wa_view_source *src, const wa_view_options *opts, wa_error *err);
/* n_src is 2 or 3; survivors are clustered in src[2] (which needs no dom). */
wa_view *wa_view_diff(const wa_view_source *src, uint32_t n_src, const wa_view_options *opts,
                      wa_error *err);
wa_view *wa_view_suspects(const wa_view_source *src, const wa_view_options *opts, wa_error *err);
/* Draws opts->objs (opts->render, opts->output). Without an output the DOT
 * text is in the document's "dot" field, or for another format the bytes
 * are in wa_view_data(). An empty selection draws nothing. */
wa_view *wa_view_graph(const wa_view_source *src, const wa_view_options *opts, wa_error *err);

/* `whyalive info`: metadata and counts of a loaded snapshot. */
typedef struct wa_view_info_extra {
    const char *format; /* "jsonl" or "binary" */
    uint64_t file_bytes;
    double load_seconds;
} wa_view_info_extra;
wa_view *wa_view_info(const wa_view_source *src, const wa_view_info_extra *extra, wa_error *err);

/* The shared shapes alone (docs/json.md): one object (dom optional: then
 * without retained/reachable) and one root (WA_NONE: null). */
wa_view *wa_view_object(const wa_view_source *src, uint32_t obj, wa_error *err);
wa_view *wa_view_root(const wa_view_source *src, uint32_t root, wa_error *err);

/* The document as JSON text: pretty (indented) or compact on one line. */
char *wa_view_json(const wa_view *view, int pretty);
/* The document itself, read-only (in-tree front ends: <cjson/cJSON.h>). */
const struct cJSON *wa_view_doc(const wa_view *view);

/*
 * The CI gate (--fail-on): count what `selector` matches in each of the ns
 * snapshots of src and add a "check" object to view's document
 * (docs/json.md): the counts, the value checked and whether it is more than
 * `max`, and when it is, the retention clusters of the offending objects in
 * the last snapshot (those new since the first snapshot, for growth).
 * Returns 1 when the check fails, 0 when it passes, -1 with err filled.
 */
typedef enum wa_check_mode {
    WA_CHECK_COUNT = 0,  /* the count in the last snapshot */
    WA_CHECK_GROWTH = 1, /* last minus first (needs 2 or 3 snapshots) */
    WA_CHECK_SUSPECT = 2 /* suspects (of view's document) of a type the selection matched */
} wa_check_mode;
typedef struct wa_check_options {
    const char *fail_on;                /* the selector's text, echoed */
    const struct wa_selector *selector; /* parsed */
    wa_check_mode mode;
    uint64_t max;      /* allowed: count, growth or number of suspects */
    uint32_t clusters; /* clusters shown when it fails, 0 = all */
} wa_check_options;
int wa_view_check(wa_view *view, const wa_view_source *src, uint32_t ns, const wa_check_options *c,
                  wa_error *err);
/* Rendered bytes of an in-memory graph (not DOT); NULL otherwise. */
const char *wa_view_data(const wa_view *view, size_t *len);
void wa_view_free(wa_view *view);

#ifdef __cplusplus
}
#endif
#endif
