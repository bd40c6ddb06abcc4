/*
 * analysis/internal.h: helpers the analyses share (bit sets, growable stacks,
 * the weak-edge test, allocation with a wa_error). Private to src/analysis
 * and src/query.
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

#include "core/snapshot_impl.h"
#include "whyalive/analysis.h"

static inline int wa_is_weak(uint32_t label) { return WA_LABEL_KIND(label) == WA_EDGE_WEAK; }

/* malloc(count * size) with an overflow check and an error on failure. */
void *wa_ana_alloc(size_t count, size_t size, wa_error *err);
void *wa_ana_calloc(size_t count, size_t size, wa_error *err);
wa_status wa_ana_nomem(wa_error *err);

/* Big arrays (dominator temporaries and results): mapped straight from the
 * kernel above 1 MiB and unmapped on free, so that a freed temporary leaves
 * the resident set at once. malloc would recycle them inside its heap after
 * its mmap threshold has grown, and the process would keep them: the memory
 * figures of docs/cli.md are resident-set figures. Free with wa_ana_big_free. */
void *wa_ana_big(size_t count, size_t size, wa_error *err);
void wa_ana_big_free(void *p);

/* Bit sets. */
typedef uint64_t wa_bits;
static inline wa_bits *wa_bits_new(uint64_t n, wa_error *err) {
    return wa_ana_calloc((size_t)((n + 63) / 64) + 1, sizeof(wa_bits), err);
}
static inline int wa_bit(const wa_bits *b, uint64_t i) { return (int)((b[i >> 6] >> (i & 63)) & 1u); }
static inline void wa_bit_set(wa_bits *b, uint64_t i) { b[i >> 6] |= (uint64_t)1 << (i & 63); }

/* A growable uint32_t stack (heap memory, so depth never touches the C stack). */
typedef struct wa_u32vec {
    uint32_t *v;
    size_t n, cap;
} wa_u32vec;
int wa_u32vec_push(wa_u32vec *s, uint32_t x); /* 0 on success */
static inline void wa_u32vec_free(wa_u32vec *s) {
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}

/* In-edges (reverse CSR positions) that mirror weak forward edges; NULL
 * with *none set when the snapshot has no weak edge at all. O(edges). */
wa_bits *wa_ana_weak_in(const wa_snapshot *snap, int *none, wa_error *err);

/* Bit set of root objects (any kind). */
wa_bits *wa_ana_root_bits(const wa_snapshot *snap, wa_error *err);

/* 64-bit string hash (FNV-1a style mixing), for keys that must agree across
 * snapshots. */
uint64_t wa_ana_hash_str(uint64_t h, const char *s);
uint64_t wa_ana_hash_u64(uint64_t h, uint64_t x);

/* Open-addressing map from a 64-bit key to a uint32_t value. */
typedef struct wa_u64map {
    uint64_t *keys;
    uint32_t *vals;
    uint8_t *used;
    size_t cap, n;
} wa_u64map;
int wa_u64map_init(wa_u64map *m, size_t expect);
void wa_u64map_free(wa_u64map *m);
/* Pointer to the value for key, inserting val_if_new when absent (NULL: out of memory). */
uint32_t *wa_u64map_put(wa_u64map *m, uint64_t key, uint32_t val_if_new, int *inserted);
/* Pointer to the value, or NULL when absent. */
uint32_t *wa_u64map_get(const wa_u64map *m, uint64_t key);

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
