/*
 * src/dumper/dump.h: the in-process heap dumper's state (struct wa_dump and
 * the records it keeps), shared by every part of the dumper. Each part has
 * its own header, and they depend on each other in this order only (no
 * part calls one listed after it):
 *   dump_table.h   the object set, seen counts, small side tables
 *   dump_compat.h  version-specific reads of CPython internals
 *   dump_labels.h  statements (hints) about an object's references
 *   dump_text.h    every string written: interning, labels, names, values
 *   dump_roots.h   who holds the heap
 *   dump_walk.h    discovery and emission: the two passes over the heap
 *   dump_api.h     whyalive._core.dump(), as module.c registers it
 * gc_walk.h (the tracked set, walked in place) is shared with src/live.
 *
 * Invariants:
 *  - while a walk runs, the GIL is held, the cyclic GC is disabled and no
 *    Python-level code runs (no __getattr__, __eq__, __hash__, __repr__,
 *    __sizeof__ of the dumped objects), so the heap cannot change under it
 *    and every borrowed PyObject pointer in the table stays valid;
 *  - an object is in the set at most once; its dump index is its rank in
 *    the frozen set (dump_table.c), which is also the order it is written
 *    in;
 *  - an object's references are collected once in discovery (WA_SLOT_DONE):
 *    tracked objects as the GC walk reaches them, anything else found
 *    through them from a small FIFO right after, and any object still not
 *    done (frozen with gc.freeze()) by sweeps at the end;
 *  - an object's seen count is the strong references to it that the walk
 *    saw (traverse-visited references plus the owned references the
 *    labelers know tp_traverse does not report); refcount - seen - own is
 *    the excess that makes an object an external root;
 *  - nothing here recurses on the heap's shape.
 */
#ifndef WA_DUMP_H
#define WA_DUMP_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#if PY_VERSION_HEX < 0x030B0000
#include <frameobject.h> /* PyFrame_Check, PyFrameObject fields */
#endif

#include <stdint.h>

#include "whyalive/writer.h"

/* A slot of the object set (dump_table.c): the address shifted right by 3
 * in bits 0..48, then the walk's state of that object. Not written. */
#define WA_SLOT_KEY_MASK ((1ull << 49) - 1)
#define WA_SLOT_SEEN_SHIFT 49
#define WA_SLOT_SEEN_MAX 0xFFFull      /* 12 bits; more in the overflow map */
#define WA_SLOT_NAMESPACE (1ull << 61) /* a dict serving as some object's __dict__ */
#define WA_SLOT_DONE (1ull << 62)      /* references collected (or a leaf) */

static inline PyObject *wa_dump_slot_obj(uint64_t slot)
{
    return (PyObject *)(uintptr_t)((slot & WA_SLOT_KEY_MASK) << 3);
}

/* How a hint's label is produced (resolved lazily, only when written). */
enum {
    WA_LS_NONE = 0,  /* unlabeled */
    WA_LS_CSTR = 1,  /* name: const char * text */
    WA_LS_PYSTR = 2, /* name: str object, bare text (attribute, variable) */
    WA_LS_KEY = 3,   /* name: any dict key object, shown as a short repr */
    WA_LS_INDEX = 4, /* num: list/tuple index */
    WA_LS_NSKEY = 5  /* name: key of a namespace dict: bare if str, else repr */
};

/* Hint classes (see dump_walk.c: how traverse results and hints merge). */
enum {
    WA_HC_LABEL = 0,   /* names a reference tp_traverse reports */
    WA_HC_OWNED = 1,   /* an owned reference: if traverse misses it, add it */
    WA_HC_WEAK = 2,    /* a weak reference: written, never counted */
    WA_HC_BORROWED = 3 /* a borrowed reference (3.14+ frame slots): if
                        * traverse misses it, an edge whose target joins the
                        * dump, never counted */
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
    int32_t hint;    /* index into the hint array, -1 = none */
    uint8_t counted; /* a strong reference: one seen reference of its target */
    uint8_t joins;   /* the target joins the dump (counted or borrowed; not weak) */
} wa_ref;

typedef struct wa_dump_options {
    const char *path;
    wa_format format;
    uint32_t values;            /* 0 = no values; N = prefix length */
    int tracemalloc;            /* -1 auto, 0 off, 1 on */
    wa_compression compression; /* of the file written */
} wa_dump_options;

typedef struct wa_dump_stats {
    uint64_t objects, edges, roots, bytes, dropped_edges, external_roots;
    double seconds;
} wa_dump_stats;

/* A root found before the walk (threads, interpreter state). */
typedef struct wa_pending_root {
    PyObject *obj;
    uint32_t kind;     /* wa_root_kind */
    uint32_t own_refs; /* references the holder owns, added to seen */
    char label[128];
} wa_pending_root;

typedef struct wa_dump wa_dump;

/* A small map from object to a 64-bit value (few entries next to the
 * heap: closure cells, objects with thousands of referrers). */
typedef struct wa_ptrmap {
    const void **keys;
    uint64_t *vals;
    uint32_t mask, n;
} wa_ptrmap;

/* One segment of the object set. */
typedef struct wa_seg {
    uint64_t *slot;
    size_t bytes;
    uint32_t cap, n, limit;
    uint32_t base;  /* dense index of the segment's first object (frozen) */
    uint64_t *bits; /* occupancy bitmap (frozen) */
    uint32_t *dir;  /* objects before each 64-slot word, in the segment */
    size_t rank_bytes;
} wa_seg;

/* A root decided while writing objects. */
typedef struct wa_xroot {
    PyObject *obj;
    uint32_t index, kind, excess;
} wa_xroot;

struct wa_dump {
    wa_dump_options opt;
    wa_writer *w;
    wa_error err;

    /* object set (dump_table.c) */
    wa_seg *segs;
    uint32_t n_segs, seg_bits;
    uint32_t n;       /* objects in the set */
    int frozen;       /* dense indexes built; no insertion after */
    int bad_addr;     /* an object address the set cannot encode */
    int too_many;     /* more objects than 32-bit indexes allow */
    uint64_t *rehash; /* scratch for one segment's growth */
    uint32_t rehash_cap;
    wa_ptrmap ovf; /* seen counts above WA_SLOT_SEEN_MAX */
    /* discovery FIFO of objects to collect (drained after each tracked one) */
    PyObject **queue;
    uint32_t q_head, q_tail, q_cap;
    int sweeping;       /* walk over: every new object is queued */
    PyObject *ring[16]; /* tracked objects prefetched, waiting to be collected */
    uint32_t ring_n, ring_head;
    PyObject **pend, **pend_next; /* targets held back one tracked object */
    uint32_t n_pend, pend_cap, pend_cap2;
    uint64_t cur_slot;       /* slot word of the object being written (emission) */
    PyTypeObject *leaf_type; /* last leaf type written, its index and __sizeof__ */
    uint32_t leaf_index;
    PyCFunction leaf_szf;
    /* roots found while writing objects: index, kind, excess */
    wa_xroot *xroots;
    uint32_t n_xroots, xroots_cap;

    /* cell -> free variable name (str), for closure labels */
    wa_ptrmap cells; /* value: the name str, as uintptr_t */

    /* type -> writer type index */
    PyTypeObject **type_keys;
    uint32_t *type_vals;
    PyCFunction *type_szf; /* the type's C __sizeof__, NULL for the default */
    uint32_t type_mask, n_types;

    /* label cache: (source, object) -> string id */
    const void **lc_keys;
    uint32_t *lc_vals;

    /* namespace dicts the labelers found while collecting one object (at
     * most one per kind of owner and one instance __dict__); the walk
     * marks them WA_SLOT_NAMESPACE */
    PyObject *ns[4];
    uint32_t n_ns;

    /* per-object scratch */
    wa_ref *refs;
    uint32_t n_refs, refs_cap;
    wa_hint *hints;
    uint32_t n_hints, hints_cap;
    uint32_t *mm; /* multimap scratch: hint index + 1 */
    uint32_t mm_cap;
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

/* Grow a scratch array to hold `need` elements (dump_table.c); -1 if out
 * of memory. */
int wa_dump_scratch_reserve(void **p, uint32_t *cap, uint32_t need, size_t elem);

/* One hint about the object being collected: what every labeler
 * (dump_labels.c, and dump_compat.c for version-specific layouts) states.
 * -1 with d->oom set if out of memory. */
static inline int wa_dump_hint_add(wa_dump *d, PyObject *to, uint8_t kind, uint8_t source,
                                   uint8_t cls, const void *name, uint32_t num)
{
    if (!to)
        return 0;
    if (d->n_hints == d->hints_cap &&
        wa_dump_scratch_reserve((void **)&d->hints, &d->hints_cap, d->n_hints + 1,
                                sizeof(wa_hint)) != 0) {
        d->oom = 1;
        return -1;
    }
    wa_hint *h = &d->hints[d->n_hints++];
    h->to = to;
    h->name = name;
    h->num = num;
    h->kind = kind;
    h->source = source;
    h->cls = cls;
    h->used = 0;
    return 0;
}

#endif
