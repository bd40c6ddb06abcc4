/*
 * src/dumper/gc_walk.h: visit the cyclic GC's tracked set without building
 * a list. The dumper's first pass, and also what the live helpers
 * (src/live) count: it lives with the dumper because, like dump_compat.c,
 * it reads interpreter internals, and the dumper is where those reads are
 * checked against each CPython version.
 *
 * Invariant: the walk allocates nothing, runs no Python code and (before
 * 3.12) touches no reference count, so it costs no memory and, in a forked
 * child, no copy-on-write of the objects it passes. The visitor must not
 * track or untrack objects or run Python code.
 */
#ifndef WA_DUMP_GC_WALK_H
#define WA_DUMP_GC_WALK_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* PyObject_GC_IsTracked() without the call: the GC header sits right
 * before the object and its first word (_gc_next) is non-zero while the
 * object is tracked (3.9 to 3.15; gc_walk.c checks the layout at build
 * time). */
typedef struct wa_gc_head {
    uintptr_t next, prev;
} wa_gc_head;

static inline int wa_dump_gc_is_tracked(PyObject *o)
{
    return PyObject_IS_GC(o) && ((const wa_gc_head *)o - 1)->next != 0;
}

/* Return 0 to go on, non-zero to stop the walk (the value is returned). */
typedef int (*wa_gc_visit_fn)(PyObject *op, void *arg);

/* Visit every object of the three GC generations, the set gc.get_objects()
 * returns, and with frozen_too the objects gc.freeze() moved to the
 * permanent generation. The visitor must not allocate Python objects. */
int wa_dump_gc_walk(wa_gc_visit_fn fn, void *arg, int frozen_too);

/* Why this build cannot walk the collector of the interpreter with this
 * runtime version (PY_VERSION_HEX layout), or NULL: an extension built for
 * cpython-314 also loads into 3.14.0-3.14.4, whose lists differ. */
const char *wa_dump_gc_unsupported(unsigned long hexversion);
/* 0, or -1 with RuntimeError set when the running interpreter is one of
 * those (every entry point that walks the heap asks first). */
int wa_dump_gc_check_runtime(void);

/* How the walk is done, for diagnostics ("gc generation lists" or
 * "PyUnstable_GC_VisitObjects"). */
const char *wa_dump_gc_walk_method(void);

#endif
