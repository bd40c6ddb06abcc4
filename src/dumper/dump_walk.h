/*
 * src/dumper/dump_walk.h: the two passes over the heap (dump_walk.c).
 *
 * Invariants: discovery puts every object it reaches in the set once and
 * counts each strong reference it sees once; emission writes the objects
 * in index order, each with the references collect() gives again, in the
 * same order, now labelled. Neither recurses on the heap's shape: a FIFO
 * drained after each tracked object, and sweeps of the set at the end,
 * take the place of recursion.
 */
#ifndef WA_DUMP_WALK_H
#define WA_DUMP_WALK_H

#include "dumper/dump.h"

/* Roots (d->pending, sys.modules values), the GC walk, the FIFO, sweeps
 * for what the GC walk does not list (frozen objects). */
int wa_dump_discover(wa_dump *d);
/* Write every object in index order (the set is frozen). */
int wa_dump_emit(wa_dump *d);

#endif
