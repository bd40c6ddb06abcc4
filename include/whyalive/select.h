/*
 * whyalive/select.h: the selector language (docs/selectors.md).
 *
 *   type=ConversationTranscriber and retained>10MB
 *   module=app.* and not (size<1KiB or root=module)
 *   addr=0x7f3a2c0 or name=handle_*
 *
 * Invariants:
 *  - parsing is linear in the text and never recurses deeper than the
 *    nesting the text itself spells (bounded by WA_SELECT_MAX_DEPTH);
 *  - a syntax error fills wa_error with WA_ERR_SELECTOR and the 1-based
 *    column of the offending character in wa_error.offset;
 *  - a parsed selector is immutable and independent of any snapshot: it can
 *    be run on several snapshots (diffs) and from several threads.
 */
#ifndef WHYALIVE_SELECT_H
#define WHYALIVE_SELECT_H

#include <stdint.h>

#include "whyalive/analysis.h"
#include "whyalive/error.h"
#include "whyalive/snapshot.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WA_SELECT_MAX_DEPTH 64    /* parentheses / `not` nesting */
#define WA_SELECT_MAX_LENGTH 4096 /* bytes of selector text */

typedef struct wa_selector wa_selector; /* opaque */

/* Parse text (NUL-terminated). Returns NULL and fills err on failure. */
wa_selector *wa_select_parse(const char *text, wa_error *err);
void wa_select_free(wa_selector *sel);

/* Non-zero when the selector reads retained sizes or reachability, i.e.
 * wa_select_run() needs a wa_dom. */
int wa_select_needs_dom(const wa_selector *sel);

/* The selector in canonical form (fully parenthesised), for messages and
 * tests. Returns the length wanted, like snprintf. */
size_t wa_select_format(const wa_selector *sel, char *buf, size_t cap);

/*
 * Every object of snap the selector matches, in index order, at most limit
 * (0 = no limit; `total` still counts every match). dom may be NULL unless
 * wa_select_needs_dom(). A NULL selector selects everything.
 */
wa_objlist *wa_select_run(const wa_selector *sel, const wa_snapshot *snap, const wa_dom *dom,
                          uint32_t limit, wa_error *err);

/* Does one object match? Slower than wa_select_run for many objects (type
 * patterns are matched per call instead of once per type). */
int wa_select_match(const wa_selector *sel, const wa_snapshot *snap, const wa_dom *dom,
                    uint32_t obj);

/* wa_diff_compute() counting, in each snapshot, only the objects sel
 * matches (sel NULL: every object). sel must not need dominators
 * (wa_select_needs_dom() == 0); it is run as fast as wa_select_run(). */
wa_diff *wa_select_diff(const wa_snapshot *a, const wa_snapshot *b, const wa_snapshot *c,
                        const wa_selector *sel, wa_error *err);

/*
 * For a selection that matched nothing: each `type=` or `module=` test that
 * matches no type of snap, and the closest name where one is close ("no
 * type is named 'StreamSesion'; did you mean 'StreamSession'?"), joined
 * with "; ". The names come from the dump: escape them before printing.
 * Returns the length wanted, like snprintf (0: nothing to say).
 */
size_t wa_select_suggest(const wa_selector *sel, const wa_snapshot *snap, char *buf, size_t cap);

/* Parse "10MB", "4KiB", "512", "1.5GB" into bytes (B, KB/MB/GB/TB decimal,
 * KiB/MiB/GiB/TiB binary, case-insensitive). Returns 0 on success. */
int wa_select_parse_size(const char *s, size_t len, uint64_t *out);

#ifdef __cplusplus
}
#endif
#endif
