/*
 * src/dumper/dump_roots.h: where the heap is held from (dump_roots.c).
 *
 * Invariant: a root names an object of the dump and says who holds it, by
 * one rule per kind (module: a sys.modules entry; thread: a frame still
 * executing; interpreter: interpreter state and static types, classes held
 * by native code; external: a GC container whose refcount exceeds the
 * references the dump saw plus the dumper's own, with that excess). A
 * holder's own reference counts as seen, so it never shows up as excess.
 */
#ifndef WA_DUMP_ROOTS_H
#define WA_DUMP_ROOTS_H

#include "dumper/dump.h"

/* Before the walk: threads' frames and interpreter state into d->pending
 * (the walk puts them in the set first). */
int wa_dump_roots_prepare(wa_dump *d);
int wa_dump_pending_add(wa_dump *d, PyObject *o, uint32_t kind, uint32_t own, const char *label);
/* After discovery: the holders' own references count as seen. */
void wa_dump_roots_adjust(wa_dump *d);
/* While writing object idx (d->cur_slot is its slot): a root by its own
 * state (static type, excess references)? */
int wa_dump_roots_check(wa_dump *d, uint32_t idx, PyObject *o);
/* After all objects: every root. */
int wa_dump_roots_write(wa_dump *d);

#endif
