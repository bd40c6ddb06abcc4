/*
 * src/dumper/dump_table.h: the walk's object set (dump_table.c): address ->
 * slot (the object's walk state, dump.h) -> dense index, plus the small
 * side tables (seen counts above the slot's 12 bits, closure cell names).
 *
 * Invariants:
 *  - an object is in the set at most once; a slot pointer stays valid
 *    until the next insertion (a segment may grow and move);
 *  - once frozen, nothing is inserted, and an object's dense index is its
 *    rank in the set (segment order, then slot order): the order objects
 *    are written in;
 *  - the set costs about 11 bytes per object and never holds two copies of
 *    itself (a segment grows through a copy of that segment alone).
 */
#ifndef WA_DUMP_TABLE_H
#define WA_DUMP_TABLE_H

#include "dumper/dump.h"

int wa_dump_tab_init(wa_dump *d, uint64_t expected, uint64_t heap_bytes);
void wa_dump_tab_free(wa_dump *d);
/* Non-zero if o's address fits a slot (8-byte aligned, below 2^52). */
int wa_dump_slot_encodable(PyObject *o);
/* The slot of o, or NULL. Valid until the next insertion. */
uint64_t *wa_dump_tab_lookup(const wa_dump *d, PyObject *o);
/* The slot of o, inserted if absent (*added = 1); NULL on failure with
 * d->oom or d->bad_addr set. Valid until the next insertion. */
uint64_t *wa_dump_tab_insert(wa_dump *d, PyObject *o, int *added);
void wa_dump_tab_seen_add(wa_dump *d, uint64_t *slot, uint64_t k);
uint64_t wa_dump_tab_seen(const wa_dump *d, uint64_t slot);
/* Build the dense indexes; nothing is inserted afterwards. */
int wa_dump_tab_freeze(wa_dump *d);
uint32_t wa_dump_tab_index(const wa_dump *d, PyObject *o); /* frozen: index or WA_NONE */
/* A closure cell's free variable name (a borrowed str), for labels. */
int wa_dump_cell_name_set(wa_dump *d, PyObject *cell, PyObject *name);
PyObject *wa_dump_cell_name_get(const wa_dump *d, PyObject *cell);

/* Hashing of the object set, inline for the walk's hot loops.
 * A segment is picked by the object's 256 KiB region, so a segment's
 * objects lie in a few regions of the heap (about 1/n_segs of it): writing
 * a segment touches a cache-sized part of the heap, and regions are small
 * enough that segments fill evenly. Within a segment, the home slot is a
 * Fibonacci hash of the address scaled to the capacity. */
#define WA_REGION_SHIFT (18 - 3) /* of the key, which is address >> 3 */
static inline uint64_t wa_dump_slot_hash(uint64_t key)
{
    return key * 0x9E3779B97F4A7C15ull;
}
static inline uint32_t wa_dump_seg_of(const wa_dump *d, uint64_t key)
{
    uint64_t region = (key >> WA_REGION_SHIFT) * 0xD6E8FEB86659FD93ull;
    return d->seg_bits ? (uint32_t)(region >> (64 - d->seg_bits)) : 0;
}
static inline uint32_t wa_dump_home_of(uint64_t h, uint32_t cap)
{
    return (uint32_t)(((h >> 32) * cap) >> 32);
}
/* o's home slot will be needed soon. */
static inline void wa_dump_tab_prefetch(const wa_dump *d, PyObject *o)
{
    uint64_t key = (uint64_t)(uintptr_t)o >> 3;
    const wa_seg *s = &d->segs[wa_dump_seg_of(d, key)];
    __builtin_prefetch(&s->slot[wa_dump_home_of(wa_dump_slot_hash(key), s->cap)]);
}

#endif
