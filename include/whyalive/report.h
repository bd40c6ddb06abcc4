/*
 * whyalive/report.h: one self-contained HTML page that explains a dump (or
 * the growth across two or three dumps) to the reader of a bug report:
 * header, ranked suspects with their retention routes and pictures, growth,
 * a sortable type table and a dominator tree explorer.
 *
 * Invariants:
 *  - the page needs nothing but itself: CSS, script and pictures are inline,
 *    and its Content-Security-Policy forbids every network fetch, inline
 *    event handlers and any script or style but the page's own (by hash);
 *  - every string from a dump is untrusted: the page's markup holds none
 *    unescaped, the data travels as JSON in a data block that cannot close
 *    its element ("<", ">", "&", U+2028 and U+2029 are \u escapes), and the
 *    script puts it into the page as text only; the Graphviz pictures are
 *    shown as images (data: URLs), where no script of theirs can run;
 *  - the page is bounded whatever the dump's size: each section embeds at
 *    most the caps below, and the page states them;
 *  - the page is a pure function of the snapshots and options but for one
 *    clock reading, the analysis time to the hundredth of a second: the
 *    same request on a small dump gives the same bytes;
 *  - the output file is written whole or not at all (temporary file beside
 *    it, then rename), readable by its owner only (0600), like the dump.
 */
#ifndef WHYALIVE_REPORT_H
#define WHYALIVE_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "whyalive/error.h"
#include "whyalive/view.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Caps: 0 is the default shown in parentheses. */
typedef struct wa_report_options {
    uint32_t suspects;      /* suspects shown (10) */
    uint32_t routes;        /* route clusters per suspect and survivors shown (5) */
    uint32_t types;         /* rows of the type table (300) */
    uint32_t diff_rows;     /* rows of the growth table (50) */
    uint32_t tree_top;      /* dominator tree: top-level objects (50) */
    uint32_t tree_children; /* dominator tree: children per object (20) */
    uint32_t tree_depth;    /* dominator tree: levels embedded (8) */
    uint32_t tree_nodes;    /* dominator tree: objects embedded in all (4000) */
    uint32_t referrers;     /* referrers listed per tree object (5) */
    uint32_t route_hops;    /* hops shown of a route (16; the middle of longer ones is cut) */
    /* (tree_nodes is at most 1,000,000, tree_top and tree_children 100,000) */
    int svg;         /* draw the suspects' route pictures (1) */
    int no_suspects; /* skip the suspects (the page says so): their search is the
                        slow part on the biggest dumps (0) */
    wa_suspect_options suspect;
} wa_report_options;

typedef struct wa_report_stats {
    uint64_t bytes;      /* page size */
    uint32_t suspects;   /* shown */
    uint32_t pictures;   /* route pictures drawn */
    uint32_t tree_nodes; /* objects in the tree explorer */
    uint32_t types;      /* rows of the type table */
} wa_report_stats;

void wa_report_options_init(wa_report_options *opts);

/* The page for src[0..n_src) (1 to 3 snapshots, oldest first): the last one
 * is analysed (suspects, types, tree), the first is the suspects' baseline,
 * and with two or three the growth section shows their diff. Returns the
 * malloc'd page (free()), its length in *len; NULL with err filled. */
char *wa_report_html(const wa_view_source *src, uint32_t n_src, const wa_report_options *opts,
                     size_t *len, wa_report_stats *stats, wa_error *err);

/* The same page written to path atomically. */
wa_status wa_report_write(const wa_view_source *src, uint32_t n_src, const wa_report_options *opts,
                          const char *path, wa_report_stats *stats, wa_error *err);

#ifdef __cplusplus
}
#endif
#endif
