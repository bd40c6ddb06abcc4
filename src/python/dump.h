/*
 * src/python/dump.h: the in-process heap dumper (wa_dump_*), internal.
 *
 * Invariants:
 *  - while a walk runs, the GIL is held, the cyclic GC is disabled and no
 *    Python-level code runs (no __getattr__, __eq__, __hash__, __repr__,
 *    __sizeof__ of the dumped objects), so the heap cannot change under it
 *    and every borrowed PyObject pointer in the table stays valid;
 *  - an object is in the table at most once; its index is its dump index,
 *    dense from 0, tracked objects first, then untracked ones in discovery
 *    order;
 *  - seen[i] counts the strong references to object i that the walk saw
 *    (traverse-visited references plus the owned references the labelers
 *    know tp_traverse does not report); refcount - seen - own is the excess
 *    that makes an object an external root;
 *  - nothing here recurses on the heap's shape: discovery is a FIFO over the
 *    table itself.
 */
#ifndef WA_PY_DUMP_H
#define WA_PY_DUMP_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#if PY_VERSION_HEX < 0x030B0000
#include <frameobject.h> /* PyFrame_Check, PyFrameObject fields */
#endif

#include <stdint.h>

#include "whyalive/writer.h"

/* Per-object flags kept during a walk (not written). */
enum {
    WA_DF_NAMESPACE = 1u << 0, /* a dict serving as some object's __dict__ */
    WA_DF_EXEC_FRAME = 1u << 1 /* a frame object of a frame still executing */
};

/* How a hint's label is produced (resolved lazily, only when written). */
enum {
    WA_LS_NONE = 0,   /* unlabeled */
    WA_LS_CSTR = 1,   /* name: const char * text */
    WA_LS_PYSTR = 2,  /* name: str object, bare text (attribute, variable) */
    WA_LS_KEY = 3,    /* name: any dict key object, shown as a short repr */
    WA_LS_INDEX = 4,  /* num: list/tuple index */
    WA_LS_NSKEY = 5   /* name: key of a namespace dict: bare if str, else repr */
};

/* Hint classes (see dump_walk.c: how traverse results and hints merge). */
enum {
    WA_HC_LABEL = 0, /* names a reference tp_traverse reports */
    WA_HC_OWNED = 1, /* an owned reference: if traverse misses it, add it */
    WA_HC_WEAK = 2   /* a weak reference: written, never counted */
};

/* A labeler's statement about one reference of an object. */
typedef struct wa_hint {
    PyObject *to;
    const void *name; /* const char * or PyObject *, per source */
    uint32_t num;     /* index for WA_LS_INDEX */
    uint8_t kind;     /* wa_edge_kind */
    uint8_t source;   /* WA_LS_* */
    uint8_t cls;      /* WA_HC_* */
    uint8_t used;
} wa_hint;

/* One reference as the walk collected it: target + optional hint. */
typedef struct wa_ref {
    PyObject *to;
    int32_t hint; /* index into the hint array, -1 = none */
    uint8_t counted;
} wa_ref;

typedef struct wa_dump_options {
    const char *path;
    wa_format format;
    uint32_t values;   /* 0 = no values; N = prefix length */
    int tracemalloc;   /* -1 auto, 0 off, 1 on */
} wa_dump_options;

typedef struct wa_dump_stats {
    uint64_t objects, edges, roots, bytes, dropped_edges, external_roots;
    double seconds;
} wa_dump_stats;

/* A root found before the walk (threads, interpreter state). */
typedef struct wa_pending_root {
    PyObject *obj;
    uint32_t kind;       /* wa_root_kind */
    uint32_t own_refs;   /* references the holder owns, added to seen */
    char label[128];
} wa_pending_root;

typedef struct wa_dump wa_dump;

struct wa_dump {
    wa_dump_options opt;
    wa_writer *w;
    wa_error err;

    /* object table */
    PyObject **objs;
    uint32_t n, cap;
    uint32_t *slots; /* hash slots: index + 1, 0 = empty */
    uint32_t slot_mask;
    uint32_t *seen;
    uint8_t *flags;

    /* cell -> free variable name (str), for closure labels */
    PyObject **cell_keys;
    PyObject **cell_names;
    uint32_t cell_mask, n_cells;

    /* type -> writer type index */
    PyTypeObject **type_keys;
    uint32_t *type_vals;
    uint32_t type_mask, n_types;

    /* label cache: (source, object) -> string id */
    const void **lc_keys;
    uint32_t *lc_vals;

    /* per-object scratch */
    wa_ref *refs;
    uint32_t n_refs, refs_cap;
    wa_hint *hints;
    uint32_t n_hints, hints_cap;
    uint32_t *mm; /* multimap scratch: hint index + 1 */
    uint32_t mm_cap;
    wa_writer_edge *edges;
    uint32_t edges_cap;
    char *buf; /* text scratch */
    size_t buf_cap;

    /* roots gathered before the walk */
    wa_pending_root *pending;
    uint32_t n_pending, pending_cap;
    /* objects whose refcount includes references the dumper itself holds */
    PyObject *own_obj[8];
    uint32_t own_cnt[8];
    uint32_t n_own;

    int phase; /* 0 discovery, 1 emission */
    int oom;
    int tracing; /* tracemalloc sites wanted */
    wa_dump_stats stats;
};

/* dump_table.c */
int wa_tab_init(wa_dump *d, uint32_t expected);
void wa_tab_free(wa_dump *d);
uint32_t wa_tab_find(const wa_dump *d, PyObject *o);
uint32_t wa_tab_add(wa_dump *d, PyObject *o); /* index (existing or new), WA_NONE on OOM */
int wa_cell_name_set(wa_dump *d, PyObject *cell, PyObject *name);
PyObject *wa_cell_name_get(const wa_dump *d, PyObject *cell);
int wa_scratch_reserve(void **p, uint32_t *cap, uint32_t need, size_t elem);

/* dump_labels.c: statements about an object's references */
void wa_hints_for(wa_dump *d, PyObject *o);
int wa_hint_add(wa_dump *d, PyObject *to, uint8_t kind, uint8_t source, uint8_t cls,
                const void *name, uint32_t num);

/* dump_compat.c: version-specific reads of CPython internals */
int wa_compat_instance_hints(wa_dump *d, PyObject *o);
int wa_compat_frame_hints(wa_dump *d, PyObject *frame);
int wa_compat_gen_hints(wa_dump *d, PyObject *gen, const char *frame_label);
int wa_compat_code_hints(wa_dump *d, PyObject *code);
int wa_compat_type_hints(wa_dump *d, PyTypeObject *t);
int wa_compat_is_immortal(PyObject *o);
int wa_compat_frame_executing(PyObject *frame);
PyObject *wa_compat_frame_code(PyObject *frame);
PyObject *wa_compat_freevar_name(PyObject *code, Py_ssize_t i);
size_t wa_compat_preheader(PyObject *o);
int wa_compat_dict_is_split(PyObject *dict);
uint64_t wa_compat_sizeof(PyObject *o);
PyObject **wa_compat_dict_slot(PyObject *o); /* existing __dict__ slot, never materializes */

/* dump_walk.c */
int wa_walk(wa_dump *d);
uint32_t wa_intern(wa_dump *d, const char *s, size_t len);
uint32_t wa_intern_cstr(wa_dump *d, const char *s);
size_t wa_str_utf8(PyObject *s, char *out, size_t cap, size_t max_chars, int *truncated);

/* dump_roots.c */
int wa_roots_prepare(wa_dump *d);
int wa_roots_write(wa_dump *d);
int wa_roots_seed(wa_dump *d);
int wa_pending_add(wa_dump *d, PyObject *o, uint32_t kind, uint32_t own, const char *label);

/* dump_api.c */
PyObject *wa_py_dump(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames);
extern const char wa_py_dump_doc[];
PyObject *wa_py_set_wrapper(PyObject *self, PyObject *fn);

#endif
