/*
 * module.c: whyalive._core, the one place that lists the module's functions
 * and the init calls of its parts: the in-process dumper (src/dumper), the
 * live-heap helpers (src/live) and the offline Snapshot bindings
 * (src/python/bindings*.c).
 *
 * Invariant: every C function of the module is in wa_methods below, and
 * every part that needs set-up at import (types, constants) is one entry of
 * wa_inits, called in order; a failing init fails the import with its
 * exception. To add a part: declare its init and its functions in the
 * part's header, add the init to wa_inits and the functions to wa_methods.
 */
#include "dumper/dump_api.h"
#include "live/live.h"
#include "python/attach_py.h"
#include "python/bindings.h"

typedef int (*wa_init_fn)(PyObject *module);

static const wa_init_fn wa_inits[] = {
    wa_dump_init,     /* __version__, FORMAT_VERSION; finds its own dump() */
    wa_bindings_init, /* Snapshot, Object, Selection, SelectorError */
    wa_live_init,     /* HeapMark, GC_WALK */
};

static PyMethodDef wa_methods[] = {
    /* the offline bindings (src/python/bindings.c) */
    {"load", (PyCFunction)(void (*)(void))wa_py_load, METH_VARARGS | METH_KEYWORDS, wa_py_load_doc},
    /* the live helpers (src/live/live.c) */
    {"type_counts", (PyCFunction)(void (*)(void))wa_live_type_counts, METH_VARARGS | METH_KEYWORDS,
     wa_live_type_counts_doc},
    {"growth", (PyCFunction)(void (*)(void))wa_live_growth, METH_VARARGS | METH_KEYWORDS,
     wa_live_growth_doc},
    {"_census", (PyCFunction)(void (*)(void))wa_live_census, METH_VARARGS | METH_KEYWORDS,
     wa_live_census_doc},
    {"_rss", wa_live_rss, METH_NOARGS, wa_live_rss_doc},
    /* the dumper (src/dumper/dump_api.c) */
    {"dump", (PyCFunction)(void (*)(void))wa_dump_py, METH_FASTCALL | METH_KEYWORDS,
     wa_dump_py_doc},
    {"_set_wrapper", wa_dump_set_wrapper, METH_O,
     "Register the Python-level dump function (its caller's reference is discounted)."},
    /* attaching to another process (src/python/attach_py.c) */
    {"_dump_pid", wa_attach_py, METH_VARARGS, wa_attach_py_doc},
    {"_unsupported", wa_dump_unsupported_py, METH_O,
     "Why dump() and the live helpers refuse an interpreter with this sys.hexversion, or None."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef wa_module = {
    PyModuleDef_HEAD_INIT,
    "whyalive._core",
    "C core of whyalive: the in-process heap dumper, live-heap counters and the\n"
    "offline Snapshot bindings (whyalive.load).",
    -1,
    wa_methods,
    NULL,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC PyInit__core(void)
{
    PyObject *m = PyModule_Create(&wa_module);
    if (!m)
        return NULL;
    for (size_t i = 0; i < sizeof wa_inits / sizeof wa_inits[0]; i++) {
        if (wa_inits[i](m) != 0) {
            Py_DECREF(m);
            return NULL;
        }
    }
    return m;
}
