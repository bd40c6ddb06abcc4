/*
 * src/dumper/dump_labels.h: what the dumper knows about an object's
 * references (dump_labels.c), stated as hints (dump.h: wa_hint).
 *
 * Invariant: a labeler reads C-level fields only and never calls a Python
 * method of the object. It states hints; it does not decide which edges
 * exist: tp_traverse does (dump_walk.c merges the two), and a hint only
 * names an edge, adds one tp_traverse is known to skip (WA_HC_OWNED) or
 * marks one weak (WA_HC_WEAK). In discovery it also lists in d->ns the
 * dicts that serve as some object's __dict__; it never touches the set.
 */
#ifndef WA_DUMP_LABELS_H
#define WA_DUMP_LABELS_H

#include "dumper/dump.h"

/* The hints about o's references, appended to d->hints (d->oom on
 * failure). */
void wa_dump_hints_for(wa_dump *d, PyObject *o);

/* asyncio: 1 for an _asyncio.Task (or an instance of a subclass), 2 for an
 * _asyncio.Future, else 0; for an initialized one, *coro (a Task's
 * coroutine, borrowed, NULL if none) and *state ("pending", "cancelled",
 * "done", NULL if unknown), read through the C type's own getters. */
int wa_dump_future_info(PyObject *o, PyObject **coro, const char **state);

#endif
