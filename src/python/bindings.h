/*
 * src/python/bindings.h: the offline Snapshot bindings of whyalive._core,
 * shared by bindings.c (the Snapshot, Object and Selection types, loading,
 * errors) and bindings_views.c (the views: the library's view documents,
 * converted).
 *
 * Invariants:
 *  - a Snapshot owns one wa_snapshot and the library session over it
 *    (whyalive/session.h), which computes the dominator tree and the BFS
 *    path tree once, on first use; close() frees both, after which
 *    every method and every handle raises ValueError("snapshot is closed"),
 *    never touches freed memory;
 *  - a handle (Object, Selection) holds a strong reference to its Snapshot
 *    and names objects by index, so it can never outlive the C data without
 *    knowing it (it checks `snap` before every access);
 *  - C computations that may take long run without the GIL; meanwhile
 *    `busy` is non-zero and close() refuses, so the arrays they read stay
 *    put.
 */
#ifndef WA_PY_BINDINGS_H
#define WA_PY_BINDINGS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pythread.h>

#include "whyalive/analysis.h"
#include "whyalive/render.h"
#include "whyalive/select.h"
#include "whyalive/view.h"
#include "whyalive/whyalive.h"

/* module.c's view: the types and SelectorError at import (wa_inits), load()
 * in wa_methods. */
int wa_bindings_init(PyObject *module);
PyObject *wa_py_load(PyObject *self, PyObject *args, PyObject *kw);
extern const char wa_py_load_doc[];

typedef struct wa_pysnap {
    PyObject_HEAD wa_snapshot *snap; /* NULL once closed */
    wa_session *session;             /* its analyses; NULL once closed */
    int busy;                        /* calls running without the GIL */
    PyObject *path;                  /* str: the path as given to load() */
    PyObject **tnames;               /* lazy: full type name per type index */
    uint32_t n_tnames;
    PyObject *weakrefs;
} wa_pysnap;

typedef struct wa_pyobj {
    PyObject_HEAD wa_pysnap *s;
    uint32_t idx;
} wa_pyobj;

typedef struct wa_pysel {
    PyObject_HEAD wa_pysnap *s;
    uint32_t n;
    uint32_t total; /* matches before a limit */
    uint32_t *objs; /* PyMem */
    PyObject *text; /* the selector text, or None */
} wa_pysel;

extern PyTypeObject wa_pysnap_type, wa_pyobj_type, wa_pysel_type;
extern PyObject *wa_selector_error; /* whyalive.SelectorError(ValueError) */

/* Raise the Python exception for a library error; returns NULL. */
PyObject *wa_py_raise(wa_error *err);
/* Non-zero (with ValueError set) when the snapshot is closed. */
int wa_py_closed(const wa_pysnap *s);
/* The session's analyses, computed on first use without the GIL (NULL
 * with an exception set on failure). */
const wa_dom *wa_py_dom(wa_pysnap *s);
const wa_path_tree *wa_py_tree(wa_pysnap *s);
/* Borrowed: the full name of a type index. */
PyObject *wa_py_tname(wa_pysnap *s, uint32_t type);
/* New handle for object idx. */
PyObject *wa_py_handle(wa_pysnap *s, uint32_t idx);

/*
 * Objects named by a Python argument: a selector string, a Selection, an
 * Object, an address (int), or an iterable of Objects and addresses.
 * Fills out (PyMem_Malloc'd, the caller frees with PyMem_Free), *n, *total
 * (matches before limit), and *text (new ref: the selector string or None).
 */
int wa_py_objects_arg(wa_pysnap *s, PyObject *arg, uint32_t limit, uint32_t **out, uint32_t *n,
                      uint32_t *total, PyObject **text);
/* One object (Object or address); WA_NONE with an exception set. */
uint32_t wa_py_one_object(wa_pysnap *s, PyObject *arg);

/* Run `stmt` without the GIL, with the snapshot marked busy. */
#define WA_NOGIL(s, stmt)                                                                          \
    do {                                                                                           \
        (s)->busy++;                                                                               \
        Py_BEGIN_ALLOW_THREADS stmt;                                                               \
        Py_END_ALLOW_THREADS;                                                                      \
        (s)->busy--;                                                                               \
    } while (0)

/* Dict helpers (bindings.c). */
int wa_pj_put(PyObject *d, const char *key, PyObject *v); /* steals v; -1 on error */

/* A library view document as dicts and lists (bindings_views.c). */
struct cJSON;
PyObject *wa_py_from_json(const struct cJSON *doc);
/* Convert and free v; NULL v: raise err. */
PyObject *wa_py_view_dict(struct wa_view *v, wa_error *err);
/* The shared shapes of docs/json.md for one object / one root (bindings.c). */
PyObject *wa_py_obj_dict(wa_pysnap *s, uint32_t obj); /* with retained once dominators exist */
PyObject *wa_py_root_dict(wa_pysnap *s, uint32_t root);

/* Views: methods of Snapshot (bindings_views.c). */
PyObject *wa_snap_summary(wa_pysnap *s, PyObject *args, PyObject *kw);
PyObject *wa_snap_paths(wa_pysnap *s, PyObject *args, PyObject *kw);
PyObject *wa_snap_clusters(wa_pysnap *s, PyObject *args, PyObject *kw);
PyObject *wa_snap_holders(wa_pysnap *s, PyObject *args, PyObject *kw);
PyObject *wa_snap_cut(wa_pysnap *s, PyObject *args, PyObject *kw);
PyObject *wa_snap_retainers(wa_pysnap *s, PyObject *args, PyObject *kw);
PyObject *wa_snap_dominators(wa_pysnap *s, PyObject *args, PyObject *kw);
PyObject *wa_snap_diff(wa_pysnap *s, PyObject *args, PyObject *kw);
PyObject *wa_snap_suspects(wa_pysnap *s, PyObject *args, PyObject *kw);
PyObject *wa_snap_report(wa_pysnap *s, PyObject *args, PyObject *kw);
PyObject *wa_snap_graph(wa_pysnap *s, PyObject *args, PyObject *kw);
extern const char wa_snap_holders_doc[];
extern const char wa_snap_cut_doc[];
extern const char wa_snap_summary_doc[], wa_snap_paths_doc[], wa_snap_clusters_doc[],
    wa_snap_retainers_doc[], wa_snap_dominators_doc[], wa_snap_diff_doc[], wa_snap_suspects_doc[],
    wa_snap_report_doc[], wa_snap_graph_doc[];

#endif
