/*
 * analysis/internal.h: helpers the analyses share (the weak-edge test, root
 * bits, dominator child lists, top members, sorts by key). Private to
 * src/analysis; the generic containers they build on are in
 * core/containers.h.
 *
 * Invariant: every helper that allocates reports failure through wa_error
 * with WA_ERR_NOMEM and never prints; sizes are checked for overflow before
 * they are multiplied.
 */
#ifndef WA_ANALYSIS_INTERNAL_H
#define WA_ANALYSIS_INTERNAL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/containers.h"
#include "core/snapshot_impl.h"
#include "core/util.h"
#include "whyalive/analysis.h"

static inline int wa_is_weak(uint32_t label) { return WA_LABEL_KIND(label) == WA_EDGE_WEAK; }

/* In-edges (reverse CSR positions) that mirror weak forward edges; NULL
 * with *none set when the snapshot has no weak edge at all. O(edges). */
wa_bits *wa_ana_weak_in(const wa_snapshot *snap, int *none, wa_error *err);

/* wa_dom_compute and wa_path_k over a weak mask the caller computed once
 * (wa_ana_weak_in; NULL: no weak edge) and keeps: the session's way. */
wa_dom *wa_dom_compute_weak(const wa_snapshot *snap, const wa_bits *weak, wa_error *err);
wa_path_list *wa_path_k_weak(const wa_snapshot *snap, uint32_t obj, uint32_t k, const wa_bits *weak,
                             wa_error *err);

/* Bit set of root objects (any kind). */
wa_bits *wa_ana_root_bits(const wa_snapshot *snap, wa_error *err);

/* Dominator-tree child lists for a stackless walk: first[p] is p's first
 * child (first[n] stands for the super-root), next[c] the next sibling. */
typedef struct wa_domkids {
    uint32_t *first; /* n + 1 */
    uint32_t *next;  /* n */
} wa_domkids;
wa_status wa_domkids_build(const wa_dom *dom, wa_domkids *k, wa_error *err);
void wa_domkids_free(wa_domkids *k);

/* Members of objs that no other member dominates (bit set over objects).
 * O(n) whatever the dominator tree's depth. */
wa_bits *wa_ana_top_members(const wa_dom *dom, const uint32_t *objs, uint32_t n, wa_error *err);

/* Sort object indexes by key descending (ties: index ascending); keys[i]
 * belongs to objs[i]. Thread-safe (no global comparator state). */
wa_status wa_ana_sort_desc(uint32_t *objs, const uint64_t *keys, size_t n, wa_error *err);
/* Sort object indexes by dom->retained, largest first. */
wa_status wa_ana_sort_by_retained(const wa_dom *dom, uint32_t *objs, size_t n, wa_error *err);

#endif
