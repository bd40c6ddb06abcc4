/*
 * analysis_common.h: what the analysis subcommands (summary, paths,
 * retainers, dominators, graph, suspects, diff) share on top of cli.h: one
 * run skeleton (parse the selector, load, open the analysis session, select,
 * build the view, show it, free everything), the selector's caret error, and
 * drawing the shared shapes of a view's document (objects, clusters) as text.
 *
 * Invariant: the documents come from the library (whyalive/view.h) and the
 * analyses from the library's session (whyalive/session.h); the text here is
 * drawn from those documents, never from the analyses directly, so --json
 * and the human tables show the same result. Helpers print their errors and
 * return a WA_EXIT_* code; nothing here keeps state between calls.
 */
#ifndef WA_CLI_ANALYSIS_COMMON_H
#define WA_CLI_ANALYSIS_COMMON_H

#include "cli/cli.h"
#include "whyalive/analysis.h"
#include "whyalive/select.h"
#include "whyalive/session.h"
#include "whyalive/view.h"

/* Draws a view's document as text; snap is the snapshot it was built on
 * (for the objects a document names by address only). */
typedef int (*wa_ana_print_fn)(const cJSON *doc, const wa_snapshot *snap, const void *ctx);
typedef wa_view *(*wa_ana_view_fn)(const wa_view_source *src, const wa_view_options *opts,
                                   wa_error *err);

/* One analysis command's run, for wa_ana_cli_run(). */
typedef struct wa_ana_job {
    const char *path;       /* the snapshot (SNAP) */
    wa_selector *sel;       /* parsed --select, or NULL (owned by the caller) */
    int no_select_run;      /* parsed and echoed, but the view ignores it (dominators --tree) */
    uint32_t select_limit;  /* matches kept (0: all); the total is counted anyway */
    const char *empty_note; /* the note when the selection matches nothing (NULL: default) */
    const char *baseline;   /* suspects --baseline: loaded into vo->suspect.baseline */
    wa_view_options *vo;
    wa_ana_view_fn view;
    wa_ana_print_fn print;
    const void *print_ctx;
    const wa_check_options *check; /* --fail-on, or NULL */
} wa_ana_job;

/* Load job->path, open a session on it, run the selection into job->vo,
 * build the view and show it (with --json its document, else print), then
 * free all of it. Returns the exit code; errors are printed. */
int wa_ana_cli_run(const wa_ana_job *job, const wa_cli_common *common);

/* Load a snapshot and open a session on it (the "computing dominators..."
 * note on large snapshots comes from the session's hook). NULL with the
 * error printed and *rc set; free with wa_ana_cli_close(). */
wa_session *wa_ana_cli_open(const char *path, const wa_cli_common *common, int *rc);
void wa_ana_cli_close(wa_session *s);

/* Show a view and free it: with --json its document, else print(doc, ...)
 * and, when the document has a "check", its verdict. A NULL view prints
 * err. Returns 1 (WA_EXIT_FOUND) when the check failed. */
int wa_ana_cli_show(wa_view *view, wa_error *err, const wa_cli_common *common,
                    const wa_snapshot *snap, wa_ana_print_fn print, const void *ctx);

/* With --fail-on (check non-NULL): run the check on view (whyalive/view.h
 * wa_view_check) over the ns snapshots of src, so wa_ana_cli_show() prints
 * its verdict after the command's output and exits 1 when it fails. 0, or
 * -1 with the error printed, the view freed and *rc set. */
int wa_ana_cli_check(wa_view *view, const wa_view_source *src, uint32_t ns,
                     const wa_check_options *check, int *rc);

/* Parse a selector (NULL text: NULL selector, no error). On a syntax error
 * prints the message, the selector and a caret under the column; returns
 * WA_EXIT_OK or the exit code. */
int wa_ana_cli_parse_select(const char *text, wa_selector **out);
/* The same for another option's selector ("--fail-on"). */
int wa_ana_cli_parse_selector(const char *option, const char *text, wa_selector **out);
/* --fail-on SEL: parse it into *sel (freed by the caller) and fill c for
 * wa_ana_cli_check(); NULL text: no check (c zeroed, *sel NULL). Returns
 * WA_EXIT_OK or the exit code, the error printed. */
int wa_ana_cli_fail_on(const char *text, wa_check_mode mode, uint64_t max, wa_check_options *c,
                       wa_selector **sel);

/* "0x7f3a app.stt.ConversationTranscriber 'name'" from a document's object. */
const char *wa_ana_obj_text(const cJSON *obj, char *buf, size_t cap);
/* The same for an object named only by address (path hops): looked up. */
const char *wa_ana_addr_text(const wa_snapshot *snap, const char *addr, char *buf, size_t cap);

/* "700 ConversationTranscriber (12.3 MiB retained) via ..." for a cluster
 * of a document. */
void wa_ana_print_cluster(const cJSON *cluster);
/* "INDENTallocated at app.py:12 (from app.py:30, ...)" when a document's
 * object has an allocation site; nothing otherwise. */
void wa_ana_print_site(const char *indent, const cJSON *obj);

#endif
