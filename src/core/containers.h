/*
 * core/containers.h: the generic containers every layer of the library
 * shares: allocation that reports into a wa_error, big arrays handed back to
 * the kernel on free, bit sets, a growable uint32_t vector and an
 * open-addressing map from a 64-bit key to a uint32_t value.
 *
 * Invariant: nothing here prints or aborts. A helper that allocates reports
 * failure through its return value (NULL, or non-zero), fills err with
 * WA_ERR_NOMEM when it is given one, and checks sizes for overflow before it
 * multiplies them. A zero-initialized wa_u32vec or wa_u64map is a valid empty
 * one.
 */
#ifndef WA_CORE_CONTAINERS_H
#define WA_CORE_CONTAINERS_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "whyalive/error.h"

/* ---- allocation with a wa_error ---- */

/* malloc(count * size) with an overflow check; NULL and err filled on
 * failure. A count of 0 allocates one element, so NULL always means failure. */
void *wa_alloc(size_t count, size_t size, wa_error *err);
void *wa_calloc(size_t count, size_t size, wa_error *err);
/* Fill err with WA_ERR_NOMEM ("out of memory"); returns WA_ERR_NOMEM. */
wa_status wa_nomem(wa_error *err);

/* Big arrays (dominator temporaries and results): mapped straight from the
 * kernel above 1 MiB (wa_map_big: huge pages from 2 MiB) and unmapped on free, so that a freed temporary leaves
 * the resident set at once. malloc would recycle them inside its heap after
 * its mmap threshold has grown, and the process would keep them: the memory
 * figures of docs/cli.md are resident-set figures. Free with wa_big_free. */
void *wa_big_alloc(size_t count, size_t size, wa_error *err);
void wa_big_free(void *p);

/* Anonymous zeroed memory straight from the kernel, unmapped with
 * wa_unmap_big(p, bytes). From 2 MiB on, the mapping starts on a 2 MiB
 * boundary and is advised MADV_HUGEPAGE: first touch then costs a fraction
 * of 4 KiB-page faults (measured: ~4 s/GiB with 4 KiB pages, <1 s/GiB with
 * huge pages) and random access over big arrays misses the TLB less.
 * NULL when out of memory. */
void *wa_map_big(size_t bytes);
void wa_unmap_big(void *p, size_t bytes);

/* ---- bit sets: n bits in (n + 63) / 64 words, plus one spare ---- */

typedef uint64_t wa_bits;
static inline wa_bits *wa_bits_new(uint64_t n, wa_error *err) {
    return wa_calloc((size_t)((n + 63) / 64) + 1, sizeof(wa_bits), err);
}
static inline int wa_bit(const wa_bits *b, uint64_t i) {
    return (int)((b[i >> 6] >> (i & 63)) & 1u);
}
static inline void wa_bit_set(wa_bits *b, uint64_t i) { b[i >> 6] |= (uint64_t)1 << (i & 63); }
static inline void wa_bit_clear(wa_bits *b, uint64_t i) { b[i >> 6] &= ~((uint64_t)1 << (i & 63)); }

/* ---- a growable uint32_t vector (heap memory: a stack of any depth never
 * touches the C stack) ---- */

typedef struct wa_u32vec {
    uint32_t *v;
    size_t n, cap;
} wa_u32vec;
int wa_u32vec_push(wa_u32vec *s, uint32_t x); /* 0 on success, -1 out of memory */
static inline void wa_u32vec_free(wa_u32vec *s) {
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}

/* ---- map from a 64-bit key to a uint32_t value ---- */

/* Linear probing at a load factor of at most 1/2 over a power-of-two table. */
typedef struct wa_u64map {
    uint64_t *keys;
    uint32_t *vals;
    uint8_t *used;
    size_t cap, n;
} wa_u64map;
/* Room for `expect` keys before the first growth; -1 out of memory. */
int wa_u64map_init(wa_u64map *m, size_t expect);
void wa_u64map_free(wa_u64map *m);
/* Pointer to the value for key, inserting val_if_new when absent (NULL: out
 * of memory). The pointer is valid until the next insertion. */
uint32_t *wa_u64map_put(wa_u64map *m, uint64_t key, uint32_t val_if_new, int *inserted);
/* Pointer to the value, or NULL when absent. */
uint32_t *wa_u64map_get(const wa_u64map *m, uint64_t key);
/* The value, or `absent` when the key is not in the map. */
static inline uint32_t wa_u64map_value(const wa_u64map *m, uint64_t key, uint32_t absent) {
    const uint32_t *v = wa_u64map_get(m, key);
    return v ? *v : absent;
}

#endif
