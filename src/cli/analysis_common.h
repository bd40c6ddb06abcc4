/*
 * analysis_common.h: what the analysis subcommands (summary, paths,
 * retainers, dominators, diff, suspects) share on top of cli.h: computing
 * dominators and trees with a note on stderr when slow, running --select with
 * a caret under the failing column, and the JSON / text shapes of objects,
 * roots and paths so that every command prints them the same way.
 *
 * Invariant: helpers print errors themselves and return the WA_EXIT_* code;
 * nothing here keeps state between calls.
 */
#ifndef WA_CLI_ANALYSIS_COMMON_H
#define WA_CLI_ANALYSIS_COMMON_H

#include "cli/cli.h"
#include "whyalive/analysis.h"
#include "whyalive/select.h"

/* Dominators / BFS tree, with a one-line note when the snapshot is large. */
wa_dom *wa_ana_cli_dom(const wa_snapshot *snap, const wa_cli_common *common, int *rc);
wa_path_tree *wa_ana_cli_tree(const wa_snapshot *snap, const wa_cli_common *common, int *rc);

/* Parse a selector (NULL text: NULL selector, no error). On a syntax error
 * prints the message, the selector and a caret under the column; *rc = 2. */
int wa_ana_cli_parse_select(const char *text, wa_selector **out);

/* Run sel (may be NULL = everything) with limit; prints errors. */
wa_objlist *wa_ana_cli_select(const wa_selector *sel, const wa_snapshot *snap, const wa_dom *dom,
                              uint32_t limit, int *rc);

/* "0x7f3a app.stt.ConversationTranscriber 'name'" into buf. */
const char *wa_ana_cli_obj(const wa_snapshot *snap, uint32_t obj, char *buf, size_t cap);

/* JSON object for an object: addr, type, size, refcount, [len], [name],
 * [retained when dom]. */
cJSON *wa_ana_json_obj(const wa_snapshot *snap, const wa_dom *dom, uint32_t obj);
/* JSON for a root: {"kind", "label", "excess", "text"}. */
cJSON *wa_ana_json_root(const wa_snapshot *snap, uint32_t root);
/* JSON for a cluster: count, type, shallow, retained, path, root, hops, example,
 * members (first max_members addresses). */
cJSON *wa_ana_json_cluster(const wa_snapshot *snap, const wa_cluster *c, uint32_t max_members);
/* JSON for one path: target, root, hops [{addr, type, label}] */
cJSON *wa_ana_json_path(const wa_snapshot *snap, const wa_dom *dom, const wa_path *p);

/* "700 ConversationTranscriber (12.3 MiB retained) via ..." line for a cluster. */
void wa_ana_print_cluster(const wa_snapshot *snap, const wa_cluster *c, int with_retained);

/* Malloc'd text of a cluster's path (wa_cluster_format), or NULL. */
char *wa_ana_cluster_text(const wa_snapshot *snap, const wa_cluster *c);

/* Short type name for display: the qualname (module dropped), "dict" for
 * builtins. */
const char *wa_ana_short_type(const wa_snapshot *snap, uint32_t type);

#endif
