/*
 * src/live/live.h: the in-process helpers (live.c) and the offline
 * Snapshot bindings (bindings*.c) of whyalive._core, as module.c sees them.
 *
 * Invariant: each part registers its types in its own init function
 * (listed in module.c's wa_inits) and its functions in module.c's
 * wa_methods through the declarations below; nothing else is shared.
 */
#ifndef WA_PY_INPROC_H
#define WA_PY_INPROC_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* live.c: live-heap counting, heap marks, RSS */
int wa_inproc_init(PyObject *module);
PyObject *wa_py_type_counts(PyObject *self, PyObject *args, PyObject *kw);
PyObject *wa_py_census(PyObject *self, PyObject *args, PyObject *kw);
PyObject *wa_py_rss(PyObject *self, PyObject *unused);
extern const char wa_py_type_counts_doc[];
extern const char wa_py_census_doc[];
extern const char wa_py_rss_doc[];
/* "module.qualname" as the dumper writes it (new reference). */
PyObject *wa_inproc_type_name(PyTypeObject *tp);

/* bindings.c: whyalive._core.Snapshot and friends */
int wa_bindings_init(PyObject *module);
PyObject *wa_py_load(PyObject *self, PyObject *args, PyObject *kw);
extern const char wa_py_load_doc[];

#endif
