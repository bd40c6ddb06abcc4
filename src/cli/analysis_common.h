/*
 * analysis_common.h: what the analysis subcommands (summary, paths,
 * retainers, dominators, diff, suspects) share on top of cli.h: computing
 * the analyses a view needs with a note on stderr when slow, running
 * --select with a caret under the failing column, and drawing the shared
 * shapes of a view's document (objects, clusters) as text.
 *
 * Invariant: the documents come from the library (whyalive/view.h); the
 * text here is drawn from those documents and never from the analyses
 * directly, so --json and the human tables show the same result. Helpers
 * print errors themselves and return the WA_EXIT_* code; nothing here keeps
 * state between calls.
 */
#ifndef WA_CLI_ANALYSIS_COMMON_H
#define WA_CLI_ANALYSIS_COMMON_H

#include "cli/cli.h"
#include "whyalive/analysis.h"
#include "whyalive/select.h"
#include "whyalive/view.h"

/* Dominators / BFS tree, with a one-line note when the snapshot is large. */
wa_dom *wa_ana_cli_dom(const wa_snapshot *snap, const wa_cli_common *common, int *rc);
wa_path_tree *wa_ana_cli_tree(const wa_snapshot *snap, const wa_cli_common *common, int *rc);

/* Compute what wa_view_needs() asks for into *dom / *tree (the caller frees
 * them) and point src at them. Returns WA_EXIT_OK or the printed error's code. */
int wa_ana_cli_prepare(wa_view_kind kind, const wa_view_options *opts, wa_view_source *src,
                       const wa_cli_common *common, wa_dom **dom, wa_path_tree **tree);

/* A view that failed: print the library error and return the exit code. */
int wa_ana_cli_view_fail(wa_error *err);

/* Point vo's selection at objs (a note on stderr when it matched nothing). */
void wa_ana_cli_use_selection(wa_view_options *vo, const wa_objlist *objs,
                              const wa_cli_common *common);

/* Show a view and free it: with --json its document, else print(doc, ctx),
 * the command's tables drawn from the document. A NULL view prints err. */
typedef int (*wa_ana_print_fn)(const cJSON *doc, const void *ctx);
int wa_ana_cli_show(wa_view *view, wa_error *err, const wa_cli_common *common,
                    wa_ana_print_fn print, const void *ctx);

/* Parse a selector (NULL text: NULL selector, no error). On a syntax error
 * prints the message, the selector and a caret under the column; *rc = 2. */
int wa_ana_cli_parse_select(const char *text, wa_selector **out);

/* Run sel (may be NULL = everything) with limit; prints errors. */
wa_objlist *wa_ana_cli_select(const wa_selector *sel, const wa_snapshot *snap, const wa_dom *dom,
                              uint32_t limit, int *rc);

/* "0x7f3a app.stt.ConversationTranscriber 'name'" from a document's object. */
const char *wa_ana_obj_text(const cJSON *obj, char *buf, size_t cap);
/* The same for an object named only by address (path hops): looked up. */
const char *wa_ana_addr_text(const wa_snapshot *snap, const char *addr, char *buf, size_t cap);

/* "700 ConversationTranscriber (12.3 MiB retained) via ..." for a cluster
 * of a document; snap gives the types' modules for the short names. */
void wa_ana_print_cluster(const wa_snapshot *snap, const cJSON *cluster);

/* Short display name of a full type name: the qualname (module dropped),
 * "dict" for builtins. */
const char *wa_ana_short_name(const wa_snapshot *snap, const char *full);

#endif
