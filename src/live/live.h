/*
 * src/live/live.h: questions about the running interpreter's heap, answered
 * in C (live.c): type counts, the census behind prometheus_text(), the heap
 * marks behind track(), the process RSS. Functions of whyalive._core, as
 * module.c registers them (wa_live_init in wa_inits, the rest in
 * wa_methods).
 *
 * Invariant: the set counted is the cyclic GC's tracked set, exactly what
 * gc.get_objects() returns, walked in place by the dumper's gc_walk.c; a
 * walk runs C only (no Python object allocated, no Python code run, nothing
 * that could start a collection), so the generation lists cannot change
 * under it. Nothing here reads a snapshot or writes a dump.
 */
#ifndef WA_LIVE_H
#define WA_LIVE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* At import: the HeapMark type and the GC_WALK constant. */
int wa_live_init(PyObject *module);

PyObject *wa_live_type_counts(PyObject *self, PyObject *args, PyObject *kw);
PyObject *wa_live_growth(PyObject *self, PyObject *args, PyObject *kw);
PyObject *wa_live_census(PyObject *self, PyObject *args, PyObject *kw);
PyObject *wa_live_rss(PyObject *self, PyObject *unused);
extern const char wa_live_type_counts_doc[];
extern const char wa_live_growth_doc[];
extern const char wa_live_census_doc[];
extern const char wa_live_rss_doc[];

#endif
