/*
 * gc_walk.c: the tracked set, walked in place (see gc_walk.h).
 *
 * This reads the interpreter's generation lists (the lists
 * Modules/gcmodule.c's gc.get_objects() walks) and, for the dumper, the
 * permanent generation gc.freeze() fills: this file and dump_compat.c are
 * the only ones that read CPython internals.
 *  - before 3.12 the GC state is the interpreter state's `gc` member;
 *  - 3.12 and 3.13 keep the same lists but the interpreter state is harder
 *    to include from an extension, so the state is found from the list a
 *    new tracked object joins: a tracked object's _gc_next is the head of
 *    generation 0 when it is the newest, and that head is generations[0]
 *    of the state. The guess is checked (the state's generation0 pointer
 *    must be that head and no collection may be running) and, if it
 *    fails, the public PyUnstable_GC_VisitObjects() is used instead (it
 *    holds a reference to each object while visiting it, and does not
 *    list frozen objects).
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
               "wa_dump_gc_is_tracked() assumes the 3.9-3.13 GC header layout");

static PyGC_Head *next_of(PyGC_Head *g)
{
    /* bit 0 of _gc_next marks unreachable objects during a collection */
    return (PyGC_Head *)(g->_gc_next & ~(uintptr_t)1);
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
#if defined(Py_GIL_DISABLED)
    return NULL; /* free-threaded builds keep no generation lists */
#elif PY_VERSION_HEX < 0x030C0000
    return &PyInterpreterState_Get()->gc;
#else
    PyObject *probe = PyList_New(0);
    if (!probe) {
        PyErr_Clear();
        return NULL;
    }
    PyGC_Head *head = _Py_AS_GC(probe)->_gc_next ? next_of(_Py_AS_GC(probe)) : NULL;
    Py_DECREF(probe);
    if (!head)
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
    if (gc_state())
        return "gc generation lists";
#if PY_VERSION_HEX >= 0x030C0000
    return "PyUnstable_GC_VisitObjects";
#else
    return "gc generation lists";
#endif
}
