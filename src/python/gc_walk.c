/*
 * gc_walk.c: the tracked set, walked in place (see gc_walk.h).
 *
 * Before 3.12 this reads the interpreter's generation lists (the lists
 * Modules/gcmodule.c's gc.get_objects() walks): this file and
 * dump_compat.c are the only ones that read CPython internals. 3.12 and
 * later have the public PyUnstable_GC_VisitObjects(), which holds a
 * reference to each object while the visitor runs.
 */
#define Py_BUILD_CORE_MODULE 1
#include "python/gc_walk.h"

#include "internal/pycore_gc.h"
#if PY_VERSION_HEX < 0x030C0000
#include "internal/pycore_interp.h"
#endif

#include <stddef.h>

_Static_assert(sizeof(PyGC_Head) == sizeof(wa_gc_head) && offsetof(PyGC_Head, _gc_next) == 0,
               "wa_gc_is_tracked() assumes the 3.9-3.13 GC header layout");

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

int wa_gc_walk(wa_gc_visit_fn fn, void *arg)
{
#if PY_VERSION_HEX >= 0x030C0000
    struct wa_visit_ctx c = {fn, arg, 0};
    PyUnstable_GC_VisitObjects(wa_visit_tramp, &c);
    return c.rc;
#else
    /* The low bit of _gc_next is only set during a collection, which cannot
     * run while we hold the GIL and allocate no Python memory. */
    struct _gc_runtime_state *gcs = &PyInterpreterState_Get()->gc;
    for (int i = 0; i < NUM_GENERATIONS; i++) {
        PyGC_Head *head = &gcs->generations[i].head;
        for (PyGC_Head *g = _PyGCHead_NEXT(head); g != head; g = _PyGCHead_NEXT(g)) {
            int rc = fn((PyObject *)(g + 1), arg);
            if (rc)
                return rc;
        }
    }
    return 0;
#endif
}

const char *wa_gc_walk_method(void)
{
#if PY_VERSION_HEX >= 0x030C0000
    return "PyUnstable_GC_VisitObjects";
#else
    return "gc generation lists";
#endif
}
