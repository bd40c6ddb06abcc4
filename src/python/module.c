/*
 * module.c: whyalive._core, the one place that lists the module's functions
 * and the init calls of its parts.
 *
 * Invariant: every C function of the module is in wa_methods below, and
 * every part that needs set-up at import (types, constants) is one entry of
 * wa_inits, called in order; a failing init fails the import with its
 * exception. To add a part (the offline Snapshot bindings of issue 7 go in
 * bindings.c): declare `int wa_bindings_init(PyObject *module);` here, add
 * it to wa_inits, and add its functions to wa_methods.
 */
#include "dumper/dump.h"
#include "live/live.h" /* issue 7: Snapshot bindings, in-process helpers */

#include "whyalive/whyalive.h"

extern PyObject *wa_py_dump_func;

typedef int (*wa_init_fn)(PyObject *module);

static int wa_dump_init(PyObject *module)
{
    /* Remember our dump function: while it runs, the caller's stack holds a
     * reference to it that the heap walk must discount. */
    wa_py_dump_func = PyObject_GetAttrString(module, "dump");
    if (!wa_py_dump_func)
        return -1;
    Py_DECREF(wa_py_dump_func); /* the module keeps it alive */
    if (PyModule_AddStringConstant(module, "__version__", WA_VERSION) != 0)
        return -1;
    if (PyModule_AddIntConstant(module, "FORMAT_VERSION", WA_FORMAT_VERSION) != 0)
        return -1;
    return 0;
}

static const wa_init_fn wa_inits[] = {
    wa_dump_init,
    wa_bindings_init, /* issue 7: Snapshot bindings (and the in-process helpers) */
};

static PyMethodDef wa_methods[] = {
    /* issue 7: bindings.c, inproc.c */
    {"load", (PyCFunction)(void (*)(void))wa_py_load, METH_VARARGS | METH_KEYWORDS, wa_py_load_doc},
    {"type_counts", (PyCFunction)(void (*)(void))wa_py_type_counts, METH_VARARGS | METH_KEYWORDS,
     wa_py_type_counts_doc},
    {"_census", (PyCFunction)(void (*)(void))wa_py_census, METH_VARARGS | METH_KEYWORDS,
     wa_py_census_doc},
    {"_rss", wa_py_rss, METH_NOARGS, wa_py_rss_doc},
    {"dump", (PyCFunction)(void (*)(void))wa_py_dump, METH_FASTCALL | METH_KEYWORDS, wa_py_dump_doc},
    {"_set_wrapper", wa_py_set_wrapper, METH_O,
     "Register the Python-level dump function (its caller's reference is discounted)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef wa_module = {
    PyModuleDef_HEAD_INIT,
    "whyalive._core",
    "C core of whyalive: the in-process heap dumper (and, later, snapshot bindings).",
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
