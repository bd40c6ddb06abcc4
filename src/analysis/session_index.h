/*
 * analysis/session_index.h: the session's parts to and from the sidecar
 * index (session_index.c). Private to src/analysis.
 *
 * The readers return 1 with *out set (the part, owned by the caller, its
 * arrays pointing into the index: free it with wa_ana_index_part_free
 * before the index), 0 when
 * the index does not hold the part (or is not valid), -1 when the index
 * failed a check (it is rejected: wa_index_state_of() says damaged and
 * wa_index_note() why), -2 when out of memory (err filled). Anything but 1:
 * compute the part.
 */
#ifndef WA_ANALYSIS_SESSION_INDEX_H
#define WA_ANALYSIS_SESSION_INDEX_H

#include "whyalive/analysis.h"
#include "whyalive/index.h"

int wa_ana_dom_from_index(const wa_snapshot *snap, wa_index *ix, wa_dom **out, wa_error *err);
int wa_ana_tree_from_index(const wa_snapshot *snap, wa_index *ix, wa_path_tree **out,
                           wa_error *err);

/* Frees a part the readers gave (its arrays are the index's: they live
 * until wa_index_free). */
void wa_ana_index_part_free(void *part);

/* Write the index with the parts given (either may be NULL). */
wa_status wa_ana_index_save(const wa_snapshot *snap, wa_index *ix, const wa_dom *dom,
                            const wa_path_tree *tree, wa_error *err);

#endif
