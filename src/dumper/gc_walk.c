/*
 * gc_walk.c: the tracked set, walked in place (see gc_walk.h).
 *
 * This reads the interpreter's generation lists (the lists
 * Modules/gcmodule.c's gc.get_objects() walks) and, for the dumper, the
 * permanent generation gc.freeze() fills: this file and dump_compat.c are
 * the only ones that read CPython internals.
 *  - before 3.12 the GC state is the interpreter state's `gc` member;
 *  - 3.12 to 3.15 keep the same lists but the interpreter state is harder
 *    to include from an extension, so the state is found from the list a
 *    new tracked object joins: a tracked object's _gc_next is the head of
 *    generation 0 when it is the newest (and that head's _gc_prev is the
 *    object), and that head is generations[0] of the state. The guess is
 *    checked (the object must be the list's last, the state's generation0
 *    pointer must be that head and no collection may be running) and, if
 *    it fails, the public PyUnstable_GC_VisitObjects() is used instead (it
 *    holds a reference to each object while visiting it, and does not
 *    list frozen objects);
 *  - 3.14.0 to 3.14.4 had the incremental collector (young and old
 *    spaces, flags in _gc_next, no generation0 member): the build refuses
 *    their headers (dump_compat.c) and the walk refuses to run on them
 *    (wa_dump_gc_unsupported()); 3.14.5 restored the generational lists
 *    above, with the same offsets.
 * Free-threaded builds keep no lists at all (refused in dump_compat.c).
 * Walking the lists reads only GC headers: no reference count is touched,
 * so a forked child copies no page of the heap by walking it.
 */
#define Py_BUILD_CORE_MODULE 1
#include "dumper/gc_walk.h"

#include "internal/pycore_gc.h"
#if PY_VERSION_HEX < 0x030C0000
#include "internal/pycore_interp.h"
#endif

#include <stddef.h>

_Static_assert(sizeof(PyGC_Head) == sizeof(wa_gc_head) && offsetof(PyGC_Head, _gc_next) == 0,
               "wa_dump_gc_is_tracked() assumes the 3.9-3.15 GC header layout");

/* The low two bits of the list words carry collector flags while a
 * collection runs (objects are at least 4-byte aligned). */
#define WA_GC_FLAGS ((uintptr_t)3)

static PyGC_Head *next_of(PyGC_Head *g)
{
    return (PyGC_Head *)(g->_gc_next & ~WA_GC_FLAGS);
}

const char *wa_dump_gc_unsupported(unsigned long hexversion)
{
    if (hexversion >= 0x030E0000 && hexversion < 0x030E0500)
        return "CPython 3.14.0 to 3.14.4 are not supported (their incremental garbage collector "
               "keeps other lists); use 3.14.5 or later";
    return NULL;
}

int wa_dump_gc_check_runtime(void)
{
#if PY_VERSION_HEX >= 0x030B0000
    const char *why = wa_dump_gc_unsupported(Py_Version);
#else
    const char *why = wa_dump_gc_unsupported(PY_VERSION_HEX);
#endif
    if (!why)
        return 0;
    PyErr_Format(PyExc_RuntimeError, "whyalive: %s (running %s)", why, Py_GetVersion());
    return -1;
}

#if PY_VERSION_HEX >= 0x030C0000
struct wa_visit_ctx {
    wa_gc_visit_fn fn;
    void *arg;
    int rc;
};

static int wa_visit_tramp(PyObject *op, void *arg)
{
    struct wa_visit_ctx *c = arg;
    c->rc = c->fn(op, c->arg);
    return c->rc == 0; /* the API's convention: 1 = go on */
}
#endif

/* The GC state, or NULL when it cannot be found safely. */
static struct _gc_runtime_state *gc_state(void)
{
#if PY_VERSION_HEX < 0x030C0000
    return &PyInterpreterState_Get()->gc;
#else
    if (wa_dump_gc_unsupported(Py_Version))
        return NULL; /* no guess on a layout this build does not know */
    PyObject *probe = PyList_New(0);
    if (!probe) {
        PyErr_Clear();
        return NULL;
    }
    PyGC_Head *head = _Py_AS_GC(probe)->_gc_next ? next_of(_Py_AS_GC(probe)) : NULL;
    /* the newest tracked object is its list's last */
    int last = head && (head->_gc_prev & ~WA_GC_FLAGS) == (uintptr_t)_Py_AS_GC(probe);
    Py_DECREF(probe);
    if (!last)
        return NULL;
    struct _gc_runtime_state *st =
        (struct _gc_runtime_state *)((char *)head -
                                     offsetof(struct _gc_runtime_state, generations));
    if (st->generation0 != head || st->collecting)
        return NULL;
    return st;
#endif
}

static int walk_list(PyGC_Head *head, wa_gc_visit_fn fn, void *arg)
{
    for (PyGC_Head *g = next_of(head); g != head; g = next_of(g)) {
        int rc = fn((PyObject *)(g + 1), arg);
        if (rc)
            return rc;
    }
    return 0;
}

int wa_dump_gc_walk(wa_gc_visit_fn fn, void *arg, int frozen_too)
{
    struct _gc_runtime_state *st = gc_state();
    if (!st) {
#if PY_VERSION_HEX >= 0x030C0000
        struct wa_visit_ctx c = {fn, arg, 0};
        PyUnstable_GC_VisitObjects(wa_visit_tramp, &c);
        return c.rc;
#else
        return 0; /* not reached: before 3.12 the state is always at hand */
#endif
    }
    for (int i = 0; i < NUM_GENERATIONS; i++) {
        int rc = walk_list(&st->generations[i].head, fn, arg);
        if (rc)
            return rc;
    }
    return frozen_too ? walk_list(&st->permanent_generation.head, fn, arg) : 0;
}

const char *wa_dump_gc_walk_method(void)
{
#if PY_VERSION_HEX >= 0x030B0000
    if (wa_dump_gc_unsupported(Py_Version))
        return "none (unsupported interpreter)";
#endif
    if (gc_state())
        return "gc generation lists";
#if PY_VERSION_HEX >= 0x030C0000
    return "PyUnstable_GC_VisitObjects";
#else
    return "gc generation lists";
#endif
}
