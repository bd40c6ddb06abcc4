/*
 * snapshot_impl.h: the private layout of wa_snapshot, shared by the library's
 * own subsystems (readers, writer, analyses). Front ends use the accessors in
 * whyalive/snapshot.h instead.
 *
 * Invariant: every array below lives in `arena` (or in the one load buffer the
 * arena owns); the struct is immutable once a reader or the builder returned
 * it, except for the lazily built address index.
 */
#ifndef WA_SNAPSHOT_IMPL_H
#define WA_SNAPSHOT_IMPL_H

#include <pthread.h>

#include "core/arena.h"
#include "whyalive/snapshot.h"

struct wa_snapshot {
    wa_arena arena;

    uint32_t n_objects, n_edges, n_roots, n_types, n_strings, n_sites;
    const wa_object *objects; /* n_objects */
    const wa_type *types;     /* n_types */
    const wa_root *roots;     /* n_roots */
    const uint32_t *out_off;  /* n_objects + 1 */
    const wa_edge *edges;     /* n_edges */
    const uint32_t *in_off;   /* n_objects + 1 */
    const uint32_t *in_src;   /* n_edges */

    /* strings: str_off[id] is the byte offset of string id in str_blob,
     * each string NUL-terminated; id 0 is "". */
    const uint64_t *str_off; /* n_strings + 1 */
    const char *str_blob;

    /* sparse allocation sites: (object index, string id) sorted by index */
    const uint32_t *site_pairs; /* 2 * n_sites */

    wa_meta meta;
    uint64_t dangling; /* dropped at this load + meta.dangling_edges */
    uint64_t total_size;

    /* lazy address -> index hash (open addressing, WA_NONE = empty) */
    pthread_once_t addr_once;
    uint32_t *addr_slots;
    uint64_t addr_mask;
};

/* Build the reverse CSR from the forward one, into the snapshot's arena. */
wa_status wa_snapshot_build_reverse(struct wa_snapshot *s, wa_error *err);

/* Allocate an empty snapshot (arena initialised). */
struct wa_snapshot *wa_snapshot_alloc(wa_error *err);

/* ---- internal helpers (not public API) ---- */

/* Per-object counts off[0..n) into exclusive start offsets; off[n] = the
 * total (the CSR offset arrays are built this way). */
static inline void wa_offsets_from_counts(uint32_t *off, uint32_t n) {
    uint32_t sum = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t c = off[i];
        off[i] = sum;
        sum += c;
    }
    off[n] = sum;
}

/* Reverse CSR from per-target in-edge counts already in in_off[0..n) (an
 * arena array of n + 1): turns it into offsets and fills in_src. Lets a
 * reader count while it validates the edges. */
wa_status wa_snapshot_reverse_from_counts(struct wa_snapshot *s, uint32_t *in_off, wa_error *err);

/* Open-addressing address -> index table of capacity mask+1 (malloc'd). With
 * dup_a non-NULL, a duplicate address makes it return NULL with the two
 * indexes in *dup_a < *dup_b; otherwise NULL means out of memory. */
uint32_t *wa_addr_index_build(const wa_object *objs, uint32_t n, uint64_t *mask_out,
                              uint32_t *dup_a, uint32_t *dup_b);

#endif
