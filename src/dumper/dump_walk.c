/*
 * dump_walk.c: the two passes over the heap.
 *
 * Pass 0 (discovery) starts from the roots and the gc-tracked set and
 * walks them with a FIFO: every reference tp_traverse reports, plus the
 * owned references the labelers know it skips, adds its target to the table
 * (untracked str/int/tuple/dict/code... are found this way, each once) and
 * counts one seen reference. Pass 1 (emission) announces n, then writes
 * every object with its edges in index order; the same references come back
 * in the same order, now with labels.
 *
 * How references and hints merge (collect()): tp_traverse gives the
 * multiset of references; the hints name some of them by pointer identity.
 * A hint matched to a traverse reference labels it; an unmatched OWNED hint
 * is a reference tp_traverse does not report (code objects, static types,
 * a running frame's locals) and becomes an edge of its own; an unmatched
 * LABEL hint is dropped; a WEAK hint is written but never counted, and its
 * target is only written if found otherwise; an unmatched BORROWED hint (a
 * 3.14+ frame slot that holds no count) becomes an edge whose target joins
 * the dump, never counted. A reference no hint names is written unlabeled,
 * never dropped.
 */
#include "dumper/dump_walk.h"

#include "dumper/dump_compat.h"
#include "dumper/dump_labels.h"
#include "dumper/dump_roots.h"
#include "dumper/dump_table.h"
#include "dumper/dump_text.h"
#include "dumper/gc_walk.h"

#include <stdio.h>
#include <string.h>

#if PY_VERSION_HEX >= 0x030D0000
PyAPI_FUNC(PyObject *) _PyTraceMalloc_GetTraceback(unsigned int domain, uintptr_t ptr);
#endif

static int visit_collect(PyObject *o, void *arg)
{
    wa_dump *d = arg;
    if (!o)
        return 0;
    if (d->n_refs == d->refs_cap && wa_dump_scratch_reserve((void **)&d->refs, &d->refs_cap,
                                                            d->n_refs + 1, sizeof(wa_ref)) != 0) {
        d->oom = 1;
        return -1;
    }
    wa_ref *r = &d->refs[d->n_refs++];
    r->to = o;
    r->hint = -1;
    r->counted = 1;
    r->joins = 1;
    return 0;
}

static inline uint32_t mm_hash(const void *p)
{
    return (uint32_t)(((uint64_t)(uintptr_t)p * 0x9E3779B97F4A7C15ull) >> 32);
}

/* Slow path of the merge: a multimap from target to the unused hints. */
static int mm_build(wa_dump *d, uint32_t *mask_out)
{
    uint32_t need = 16;
    while (need < d->n_hints * 2u)
        need *= 2;
    if (wa_dump_scratch_reserve((void **)&d->mm, &d->mm_cap, need, sizeof(uint32_t)) != 0)
        return -1;
    memset(d->mm, 0, need * sizeof(uint32_t));
    uint32_t mask = need - 1;
    for (uint32_t k = 0; k < d->n_hints; k++) {
        wa_hint *h = &d->hints[k];
        if (h->used || h->cls == WA_HC_WEAK)
            continue;
        uint32_t s = mm_hash(h->to) & mask;
        while (d->mm[s])
            s = (s + 1) & mask;
        d->mm[s] = k + 1;
    }
    *mask_out = mask;
    return 0;
}

/* First unused hint for `to` in insertion order (linear probing keeps
 * duplicates in order). */
static int32_t mm_take(wa_dump *d, uint32_t mask, PyObject *to)
{
    uint32_t s = mm_hash(to) & mask;
    while (d->mm[s]) {
        uint32_t k = d->mm[s] - 1;
        wa_hint *h = &d->hints[k];
        if (h->to == to && !h->used) {
            h->used = 1;
            return (int32_t)k;
        }
        s = (s + 1) & mask;
    }
    return -1;
}

static int discover_add(wa_dump *d, PyObject *o, uint64_t flags);

static int collect(wa_dump *d, PyObject *o)
{
    d->n_refs = 0;
    d->n_hints = 0;
    d->n_ns = 0;
    wa_dump_hints_for(d, o);
    for (uint32_t k = 0; k < d->n_ns; k++)
        if (discover_add(d, d->ns[k], WA_SLOT_NAMESPACE) != 0)
            d->oom = 1;
    if (d->oom)
        return -1;
    PyTypeObject *tp = Py_TYPE(o);
    if (tp->tp_traverse && PyObject_IS_GC(o)) {
        if (tp->tp_traverse(o, visit_collect, d) != 0 && d->oom)
            return -1;
    }
    if (d->n_hints == 0)
        return 0;

    uint32_t c = 0, mask = 0;
    int slow = 0;
    for (uint32_t j = 0; j < d->n_refs; j++) {
        PyObject *t = d->refs[j].to;
        if (!slow) {
            while (c < d->n_hints && (d->hints[c].used || d->hints[c].cls == WA_HC_WEAK))
                c++;
            if (c < d->n_hints && d->hints[c].to == t) {
                d->hints[c].used = 1;
                d->refs[j].hint = (int32_t)c++;
                continue;
            }
            int32_t found = -1;
            for (uint32_t k = c + 1; k < d->n_hints && k < c + 8; k++) {
                wa_hint *h = &d->hints[k];
                if (!h->used && h->cls != WA_HC_WEAK && h->to == t) {
                    found = (int32_t)k;
                    break;
                }
            }
            if (found >= 0) {
                d->hints[found].used = 1;
                d->refs[j].hint = found;
                continue;
            }
            if (mm_build(d, &mask) != 0) {
                d->oom = 1;
                return -1;
            }
            slow = 1;
        }
        d->refs[j].hint = mm_take(d, mask, t);
    }
    for (uint32_t k = 0; k < d->n_hints; k++) {
        wa_hint *h = &d->hints[k];
        if (h->used || h->cls == WA_HC_LABEL)
            continue;
        if (visit_collect(h->to, d) != 0)
            return -1;
        wa_ref *r = &d->refs[d->n_refs - 1];
        r->hint = (int32_t)k;
        r->counted = h->cls == WA_HC_OWNED;
        r->joins = h->cls != WA_HC_WEAK;
    }
    return 0;
}

/* ------------------------------------------------------------- discovery */

/* Objects that hold no references and get no hints: collected never. */
static inline int is_leaf(PyObject *o)
{
    PyTypeObject *t = Py_TYPE(o);
    return t == &PyUnicode_Type || t == &PyLong_Type || t == &PyFloat_Type || t == &PyBytes_Type ||
           t == &PyBool_Type || t == &PyComplex_Type || o == Py_None || o == Py_Ellipsis ||
           o == Py_NotImplemented;
}

/* Dicts and sets this long are streamed (like every exact list and tuple)
 * instead of collected into the per-object scratch. */
#define WA_STREAM_MIN 1024

static int is_big_dict(PyObject *o)
{
    return PyDict_CheckExact(o) && PyDict_GET_SIZE(o) >= WA_STREAM_MIN;
}

static int is_big_set(PyObject *o)
{
    return (Py_IS_TYPE(o, &PySet_Type) || PyFrozenSet_CheckExact(o)) &&
           PySet_GET_SIZE(o) >= WA_STREAM_MIN;
}

static int q_push(wa_dump *d, PyObject *o)
{
    if (d->q_tail == d->q_cap && wa_dump_scratch_reserve((void **)&d->queue, &d->q_cap,
                                                         d->q_tail + 1, sizeof(PyObject *)) != 0) {
        d->oom = 1;
        return -1;
    }
    d->queue[d->q_tail++] = o;
    return 0;
}

/* o is referenced: into the set. A new object is a leaf (done), or will be
 * reached by the GC walk (tracked), or waits in the FIFO. */
static uint64_t *found(wa_dump *d, PyObject *o)
{
    int added;
    uint64_t *sl = wa_dump_tab_insert(d, o, &added);
    if (!sl || !added)
        return sl;
    if (is_leaf(o)) {
        *sl |= WA_SLOT_DONE;
        return sl;
    }
    if (!d->sweeping && wa_dump_gc_is_tracked(o))
        return sl;
    if (q_push(d, o) != 0)
        return NULL;
    return sl; /* the FIFO is not the set: the slot did not move */
}

static int discover_add(wa_dump *d, PyObject *o, uint64_t flags)
{
    if (!o)
        return 0;
    uint64_t *sl = found(d, o);
    if (!sl)
        return -1;
    *sl |= flags;
    return 0;
}

/* An exact list or tuple: its items, without the scratch (tp_traverse
 * would report exactly the non-NULL items, and no labeler adds any). */
static int process_sequence(wa_dump *d, PyObject *o)
{
    PyObject **items =
        PyList_CheckExact(o) ? ((PyListObject *)o)->ob_item : ((PyTupleObject *)o)->ob_item;
    Py_ssize_t len = Py_SIZE(o);
    for (Py_ssize_t k = 0; k < len; k++) {
        if (k % 16 == 0)
            for (Py_ssize_t p = k; p < len && p < k + 16; p++)
                if (items[p] && wa_dump_slot_encodable(items[p]))
                    wa_dump_tab_prefetch(d, items[p]);
        if (!items[k])
            continue;
        uint64_t *sl = found(d, items[k]);
        if (!sl)
            return -1;
        wa_dump_tab_seen_add(d, sl, 1);
    }
    return d->oom ? -1 : 0;
}

static int count_ref(wa_dump *d, PyObject *t)
{
    uint64_t *sl = found(d, t);
    if (!sl)
        return -1;
    wa_dump_tab_seen_add(d, sl, 1);
    return 0;
}

/* A large exact dict, entry by entry: the keys it owns (not those of a
 * split table, which the class's shared keys own) and the values; the
 * same references collect() finds, without its scratch. */
static int process_dict(wa_dump *d, PyObject *o)
{
    int split = wa_dump_compat_dict_is_split(o);
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    while (PyDict_Next(o, &pos, &k, &v))
        if ((!split && count_ref(d, k) != 0) || count_ref(d, v) != 0)
            return -1;
    return d->oom ? -1 : 0;
}

static int visit_count_ref(PyObject *t, void *arg)
{
    return t ? count_ref(arg, t) : 0;
}

/* A large exact set: its members straight from tp_traverse. */
static int process_set(wa_dump *d, PyObject *o)
{
    if (Py_TYPE(o)->tp_traverse(o, visit_count_ref, d) != 0)
        return -1;
    return d->oom ? -1 : 0;
}

/* Collect o's references once (the caller marked it done). */
static int process(wa_dump *d, PyObject *o)
{
    if (PyList_CheckExact(o) || PyTuple_CheckExact(o))
        return process_sequence(d, o);
    if (is_big_dict(o))
        return process_dict(d, o);
    if (is_big_set(o))
        return process_set(d, o);
    if (collect(d, o) != 0)
        return -1;
    for (uint32_t j = 0; j < d->n_refs; j++)
        if (wa_dump_slot_encodable(d->refs[j].to))
            wa_dump_tab_prefetch(d, d->refs[j].to);
    for (uint32_t j = 0; j < d->n_refs; j++) {
        wa_ref *r = &d->refs[j];
        if (!r->joins)
            continue; /* weak: only written if found otherwise */
        uint64_t *sl = found(d, r->to);
        if (!sl)
            return -1;
        if (r->counted)
            wa_dump_tab_seen_add(d, sl, 1);
    }
    return d->oom ? -1 : 0;
}

static int drain(wa_dump *d)
{
    while (d->q_head < d->q_tail) {
        PyObject *o = d->queue[d->q_head++];
        uint64_t *sl = wa_dump_tab_lookup(d, o);
        if (!sl || (*sl & WA_SLOT_DONE))
            continue;
        *sl |= WA_SLOT_DONE;
        if (process(d, o) != 0)
            return -1;
    }
    d->q_head = d->q_tail = 0;
    return 0;
}

/* Insert the targets held back from the previous tracked object (their
 * slots were prefetched while the next object was collected). */
static int flush_pending(wa_dump *d)
{
    for (uint32_t j = 0; j < d->n_pend; j++) {
        uint64_t *sl = found(d, d->pend[j]);
        if (!sl)
            return -1;
        wa_dump_tab_seen_add(d, sl, 1);
    }
    d->n_pend = 0;
    return d->oom ? -1 : 0;
}

/* A tracked object from the GC walk. Its counted targets are held back
 * until the next tracked object has been collected, so their slots arrive
 * in cache meanwhile (a large object's are inserted at once). */
static int tracked_one(wa_dump *d, PyObject *o)
{
    int added;
    uint64_t *sl = wa_dump_tab_insert(d, o, &added);
    if (!sl)
        return -1;
    if (*sl & WA_SLOT_DONE)
        return 0;
    *sl |= WA_SLOT_DONE;
    if (PyList_CheckExact(o) || PyTuple_CheckExact(o) || is_big_dict(o) || is_big_set(o) ||
        Py_TYPE(o)->tp_traverse == NULL) {
        if (flush_pending(d) != 0 || process(d, o) != 0)
            return -1;
        return drain(d);
    }
    if (collect(d, o) != 0)
        return -1;
    uint32_t k = 0;
    if (d->n_refs <= 4096) {
        if (wa_dump_scratch_reserve((void **)&d->pend_next, &d->pend_cap2, d->n_refs + 1,
                                    sizeof(PyObject *)) != 0) {
            d->oom = 1;
            return -1;
        }
        for (uint32_t j = 0; j < d->n_refs; j++) {
            PyObject *t = d->refs[j].to;
            if (!d->refs[j].counted) {
                if (d->refs[j].joins && !found(d, t)) /* borrowed: in, not counted */
                    return -1;
                continue;
            }
            if (wa_dump_slot_encodable(t))
                wa_dump_tab_prefetch(d, t);
            d->pend_next[k++] = t;
        }
        if (flush_pending(d) != 0)
            return -1;
        PyObject **tmp = d->pend;
        uint32_t tcap = d->pend_cap;
        d->pend = d->pend_next;
        d->pend_cap = d->pend_cap2;
        d->pend_next = tmp;
        d->pend_cap2 = tcap;
        d->n_pend = k;
    } else {
        if (flush_pending(d) != 0)
            return -1;
        for (uint32_t j = 0; j < d->n_refs; j++)
            if (wa_dump_slot_encodable(d->refs[j].to))
                wa_dump_tab_prefetch(d, d->refs[j].to);
        for (uint32_t j = 0; j < d->n_refs; j++) {
            if (!d->refs[j].joins)
                continue;
            uint64_t *t = found(d, d->refs[j].to);
            if (!t)
                return -1;
            if (d->refs[j].counted)
                wa_dump_tab_seen_add(d, t, 1);
        }
    }
    return drain(d);
}

/* The GC lists are linked lists: a small ring lets the object's memory
 * arrive while earlier ones are collected. */
static int walk_visit(PyObject *o, void *arg)
{
    wa_dump *d = arg;
    __builtin_prefetch(o);
    if (wa_dump_slot_encodable(o))
        wa_dump_tab_prefetch(d, o);
    uint32_t cap = (uint32_t)(sizeof d->ring / sizeof d->ring[0]);
    if (d->ring_n < cap) {
        d->ring[(d->ring_head + d->ring_n++) % cap] = o;
        return 0;
    }
    PyObject *oldest = d->ring[d->ring_head];
    d->ring[d->ring_head] = o;
    d->ring_head = (d->ring_head + 1) % cap;
    return tracked_one(d, oldest);
}

/* The roots go first: they are part of the dump even when untracked (3.11+
 * frame objects of running frames are created untracked), and so are the
 * sys.modules values the module roots name. */
static int seed(wa_dump *d)
{
    for (uint32_t k = 0; k < d->n_pending; k++)
        if (discover_add(d, d->pending[k].obj, 0) != 0)
            return -1;
    PyObject *modules = PyImport_GetModuleDict();
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    while (modules && PyDict_Next(modules, &pos, &k, &v))
        if (discover_add(d, v, 0) != 0)
            return -1;
    return 0;
}

int wa_dump_discover(wa_dump *d)
{
    d->phase = 0;
    if (seed(d) != 0 || drain(d) != 0)
        return -1;
    if (wa_dump_gc_walk(walk_visit, d, 1) != 0)
        return -1;
    uint32_t cap = (uint32_t)(sizeof d->ring / sizeof d->ring[0]);
    while (d->ring_n) {
        PyObject *o = d->ring[d->ring_head];
        d->ring_head = (d->ring_head + 1) % cap;
        d->ring_n--;
        if (tracked_one(d, o) != 0)
            return -1;
    }
    if (flush_pending(d) != 0 || drain(d) != 0)
        return -1;
    /* Objects in the set but never collected: tracked objects the walk does
     * not list (frozen with gc.freeze()) and what only they reach. From now
     * on every new object is queued, so one sweep usually finishes. */
    d->sweeping = 1;
    for (;;) {
        for (uint32_t si = 0; si < d->n_segs; si++) {
            const wa_seg *s = &d->segs[si];
            for (uint32_t i = 0; i < s->cap; i++) {
                uint64_t v = s->slot[i];
                if (v && !(v & WA_SLOT_DONE) && q_push(d, wa_dump_slot_obj(v)) != 0)
                    return -1;
            }
        }
        if (d->q_tail == 0)
            break;
        if (drain(d) != 0)
            return -1;
    }
    return 0;
}

/* ----------------------------------------------------------------- labels */

/* A hint's label: list and tuple positions are the label itself; a name
 * is interned once per (source, object) through a small cache. */
static uint32_t resolve_label(wa_dump *d, const wa_hint *h)
{
    if (h->source == WA_LS_INDEX)
        return WA_LABEL(WA_EDGE_INDEX, h->num);
    if (h->source == WA_LS_NONE || !h->name)
        return WA_LABEL(h->kind, 0);
    uint32_t slot =
        (uint32_t)((((uint64_t)(uintptr_t)h->name ^ h->source) * 0x9E3779B97F4A7C15ull) >> 49);
    uint32_t tag = (uint32_t)h->source << 28;
    if (d->lc_keys[slot] == h->name && (d->lc_vals[slot] & 0xF0000000u) == tag)
        return WA_LABEL(h->kind, d->lc_vals[slot] & 0x0FFFFFFFu);
    uint32_t id = wa_dump_hint_text(d, h);
    if (id == WA_NONE) {
        d->oom = 1;
        return WA_LABEL(h->kind, 0);
    }
    d->lc_keys[slot] = h->name;
    d->lc_vals[slot] = tag | (id & 0x0FFFFFFFu);
    return WA_LABEL(h->kind, id);
}

/* --------------------------------------------------------- object records */

/* The writer's index of a type, and its C __sizeof__ (*szf), cached. */
static uint32_t type_index(wa_dump *d, PyTypeObject *t, PyCFunction *szf)
{
    uint32_t h = mm_hash(t) & d->type_mask;
    while (d->type_keys[h]) {
        if (d->type_keys[h] == t) {
            *szf = d->type_szf[h];
            return d->type_vals[h];
        }
        h = (h + 1) & d->type_mask;
    }
    *szf = wa_dump_compat_sizeof_fn(t);
    char name[512], module[256];
    if (t->tp_flags & Py_TPFLAGS_HEAPTYPE) {
        PyHeapTypeObject *ht = (PyHeapTypeObject *)t;
        module[0] = '\0';
        PyObject *td = wa_dump_compat_type_dict(t);
        PyObject *m = td ? PyDict_GetItemString(td, "__module__") : NULL;
        int trunc;
        if (m && PyUnicode_Check(m))
            wa_dump_str_utf8(m, module, sizeof module, 60, &trunc);
        char qual[256] = "";
        if (ht->ht_qualname && PyUnicode_Check(ht->ht_qualname))
            wa_dump_str_utf8(ht->ht_qualname, qual, sizeof qual, 60, &trunc);
        else
            snprintf(qual, sizeof qual, "%.200s", t->tp_name);
        if (module[0])
            snprintf(name, sizeof name, "%s.%s", module, qual);
        else
            snprintf(name, sizeof name, "%s", qual);
    } else {
        const char *dot = strrchr(t->tp_name, '.');
        if (dot) {
            snprintf(module, sizeof module, "%.*s", (int)(dot - t->tp_name), t->tp_name);
            snprintf(name, sizeof name, "%s", t->tp_name);
        } else {
            snprintf(module, sizeof module, "builtins");
            snprintf(name, sizeof name, "builtins.%s", t->tp_name);
        }
    }
    uint32_t idx = wa_writer_type(d->w, name, module, &d->err);
    if (idx == WA_NONE)
        return WA_NONE;
    if ((d->n_types + 1) * 2 > d->type_mask + 1) {
        /* grow the type cache: rare, rebuild */
        uint32_t ncap = (d->type_mask + 1) * 2;
        PyTypeObject **k = calloc(ncap, sizeof *k);
        uint32_t *v = calloc(ncap, sizeof *v);
        PyCFunction *f = calloc(ncap, sizeof *f);
        if (!k || !v || !f) {
            free(k);
            free(v);
            free(f);
            return idx;
        }
        for (uint32_t i = 0; i <= d->type_mask; i++) {
            if (!d->type_keys[i])
                continue;
            uint32_t s = mm_hash(d->type_keys[i]) & (ncap - 1);
            while (k[s])
                s = (s + 1) & (ncap - 1);
            k[s] = d->type_keys[i];
            v[s] = d->type_vals[i];
            f[s] = d->type_szf[i];
        }
        free(d->type_keys);
        free(d->type_vals);
        free(d->type_szf);
        d->type_keys = k;
        d->type_vals = v;
        d->type_szf = f;
        d->type_mask = ncap - 1;
        h = mm_hash(t) & d->type_mask;
        while (d->type_keys[h])
            h = (h + 1) & d->type_mask;
    }
    d->type_keys[h] = t;
    d->type_vals[h] = idx;
    d->type_szf[h] = *szf;
    d->n_types++;
    return idx;
}

static uint32_t object_length(PyObject *o, int *has)
{
    Py_ssize_t n = -1;
    if (PyList_Check(o))
        n = PyList_GET_SIZE(o);
    else if (PyTuple_Check(o))
        n = PyTuple_GET_SIZE(o);
    else if (PyDict_Check(o))
        n = PyDict_GET_SIZE(o);
    else if (PyAnySet_Check(o))
        n = PySet_GET_SIZE(o);
    else if (PyUnicode_Check(o))
        n = PyUnicode_GET_LENGTH(o);
    else if (PyBytes_Check(o))
        n = PyBytes_GET_SIZE(o);
    else if (PyByteArray_Check(o))
        n = PyByteArray_GET_SIZE(o);
    *has = n >= 0;
    if (n < 0)
        return 0;
    return (uint64_t)n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

static int write_site(wa_dump *d, uint32_t idx, PyObject *o)
{
    uintptr_t ptr = (uintptr_t)o - wa_dump_compat_preheader(o);
    PyObject *tb = _PyTraceMalloc_GetTraceback(0, ptr);
    if (!tb) {
        PyErr_Clear();
        return 0;
    }
    int rc = 0;
    if (PyTuple_Check(tb) && PyTuple_GET_SIZE(tb) > 0 && wa_dump_buf_reserve(d, 4096) == 0) {
        size_t n = 0;
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(tb) && n < 3500; i++) {
            PyObject *fr = PyTuple_GET_ITEM(tb, i);
            if (!PyTuple_Check(fr) || PyTuple_GET_SIZE(fr) < 2)
                continue;
            PyObject *fn = PyTuple_GET_ITEM(fr, 0);
            long line = PyLong_AsLong(PyTuple_GET_ITEM(fr, 1));
            if (line == -1 && PyErr_Occurred())
                PyErr_Clear();
            char file[520] = "?";
            int trunc;
            if (PyUnicode_Check(fn))
                wa_dump_str_utf8(fn, file, sizeof file, 120, &trunc);
            n += (size_t)snprintf(d->buf + n, 4096 - n, "%s%s:%ld", n ? ";" : "", file, line);
        }
        uint32_t sid = wa_dump_intern(d, d->buf, n);
        if (sid == WA_NONE || wa_writer_site(d->w, idx, sid, &d->err) != WA_OK)
            rc = -1;
    }
    Py_DECREF(tb);
    return rc;
}

/* The object's own fields. */
static int object_record(wa_dump *d, PyObject *o, wa_object *out)
{
    wa_object rec;
    memset(&rec, 0, sizeof rec);
    PyTypeObject *tp = Py_TYPE(o);
    rec.addr = (uint64_t)(uintptr_t)o;
    PyCFunction szf;
    rec.type = type_index(d, tp, &szf);
    if (rec.type == WA_NONE)
        return -1;
    rec.size = wa_dump_compat_sizeof(o, szf);
    Py_ssize_t rc = Py_REFCNT(o);
    rec.refcount = rc < 0 ? 0 : (uint64_t)rc > UINT32_MAX ? UINT32_MAX : (uint32_t)rc;
    if (wa_dump_gc_is_tracked(o))
        rec.flags |= WA_OBJ_GC_TRACKED;
    if (wa_dump_compat_is_immortal(o))
        rec.flags |= WA_OBJ_IMMORTAL;
    if (PyType_Check(o))
        rec.flags |= WA_OBJ_IS_TYPE;
    if (PyModule_Check(o))
        rec.flags |= WA_OBJ_IS_MODULE;
    int has_len;
    rec.length = object_length(o, &has_len);
    if (has_len)
        rec.flags |= WA_OBJ_HAS_LEN;
    rec.name = wa_dump_object_name(d, o);
    if (rec.name == WA_NONE)
        return -1;
    if (d->opt.values) {
        rec.value = wa_dump_object_value(d, o);
        if (rec.value == WA_NONE)
            return -1;
    }
    *out = rec;
    return 0;
}

/* The label of an item at position pos. */
static uint32_t index_label(wa_dump *d, uint32_t pos)
{
    if (pos <= WA_INDEX_MAX)
        return WA_LABEL(WA_EDGE_INDEX, pos);
    char tmp[32];
    snprintf(tmp, sizeof tmp, "[%u]", pos);
    return WA_LABEL(WA_EDGE_OTHER, wa_dump_intern_cstr(d, tmp));
}

/* str, int, float, bytes, bool, None...: no references, no name, never a
 * root; most of a heap's objects, so they take the short way. */
static int emit_leaf(wa_dump *d, uint32_t i, PyObject *o)
{
    wa_object rec;
    memset(&rec, 0, sizeof rec);
    PyTypeObject *tp = Py_TYPE(o);
    rec.addr = (uint64_t)(uintptr_t)o;
    PyCFunction szf;
    if (tp == d->leaf_type) {
        rec.type = d->leaf_index;
        szf = d->leaf_szf;
    } else {
        rec.type = type_index(d, tp, &szf);
        if (rec.type == WA_NONE)
            return -1;
        d->leaf_type = tp;
        d->leaf_index = rec.type;
        d->leaf_szf = szf;
    }
    rec.size = wa_dump_compat_sizeof(o, szf);
    Py_ssize_t rc = Py_REFCNT(o);
    rec.refcount = rc < 0 ? 0 : (uint64_t)rc > UINT32_MAX ? UINT32_MAX : (uint32_t)rc;
    if (wa_dump_compat_is_immortal(o))
        rec.flags |= WA_OBJ_IMMORTAL;
    if (tp == &PyUnicode_Type || tp == &PyBytes_Type) {
        int has_len;
        rec.length = object_length(o, &has_len);
        rec.flags |= WA_OBJ_HAS_LEN;
    }
    if (d->opt.values) {
        rec.value = wa_dump_object_value(d, o);
        if (rec.value == WA_NONE)
            return -1;
    }
    if (wa_writer_object_begin(d->w, &rec, 0, &d->err) != WA_OK)
        return -1;
    if (d->tracing && write_site(d, i, o) != 0)
        return -1;
    return 0;
}

/* Edges of a large container, given to the writer in chunks through the
 * scratch: memory stays bounded whatever the container's size. */
enum { WA_CHUNK = 1024 };
typedef struct wa_chunk {
    wa_dump *d;
    PyObject *holder;
    wa_writer_edge *buf;
    uint32_t n;
    uint64_t given;
} wa_chunk;

static int chunk_start(wa_chunk *c, wa_dump *d, PyObject *o, uint64_t ne)
{
    wa_object rec;
    if (object_record(d, o, &rec) != 0 || wa_writer_object_begin(d->w, &rec, ne, &d->err) != WA_OK)
        return -1;
    if (wa_dump_scratch_reserve((void **)&d->refs, &d->refs_cap, WA_CHUNK, sizeof(wa_ref)) != 0) {
        d->oom = 1;
        return -1;
    }
    c->d = d;
    c->holder = o;
    c->buf = (wa_writer_edge *)(void *)d->refs;
    c->n = 0;
    c->given = 0;
    return 0;
}

static int chunk_push(wa_chunk *c, PyObject *to, uint32_t label)
{
    wa_dump *d = c->d;
    uint32_t t = wa_dump_tab_index(d, to);
    if (t == WA_NONE) { /* every reference was put in the set in discovery */
        wa_error_set(&d->err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE,
                     "internal error: a reference of a %s is missing from the dump's object set",
                     Py_TYPE(c->holder)->tp_name);
        return -1;
    }
    wa_writer_edge e;
    e.to_addr = (uint64_t)(uintptr_t)to;
    e.to = t;
    e.label = label;
    memcpy(&c->buf[c->n++], &e, sizeof e);
    c->given++;
    if (c->n == WA_CHUNK) {
        if (wa_writer_edges(d->w, c->buf, c->n, &d->err) != WA_OK)
            return -1;
        c->n = 0;
    }
    return 0;
}

static int chunk_end(wa_chunk *c, uint32_t i)
{
    wa_dump *d = c->d;
    if (c->n && wa_writer_edges(d->w, c->buf, c->n, &d->err) != WA_OK)
        return -1;
    d->stats.edges += c->given;
    if (d->tracing && write_site(d, i, c->holder) != 0)
        return -1;
    return wa_dump_roots_check(d, i, c->holder);
}

/* An exact list or tuple: its items are its references, in order. */
static int emit_sequence(wa_dump *d, uint32_t i, PyObject *o)
{
    PyObject **items =
        PyList_CheckExact(o) ? ((PyListObject *)o)->ob_item : ((PyTupleObject *)o)->ob_item;
    uint32_t len = (uint32_t)Py_SIZE(o);
    uint64_t ne = 0;
    for (uint32_t k = 0; k < len; k++)
        ne += items[k] != NULL;
    wa_chunk c;
    if (chunk_start(&c, d, o, ne) != 0)
        return -1;
    for (uint32_t k = 0; k < len; k++) {
        if (k % 16 == 0)
            for (uint32_t p = k; p < len && p < k + 16; p++)
                if (items[p] && wa_dump_slot_encodable(items[p]))
                    wa_dump_tab_prefetch(d, items[p]);
        if (items[k] && chunk_push(&c, items[k], index_label(d, k)) != 0)
            return -1;
    }
    return chunk_end(&c, i);
}

/* A large exact dict: key and value of each entry, labelled as the dict
 * labeler would (dump_labels.c), without holding every hint at once. The
 * keys of a split table belong to the class's shared keys, not to the dict:
 * only the values are its references. */
static int emit_dict(wa_dump *d, uint32_t i, PyObject *o)
{
    int split = wa_dump_compat_dict_is_split(o);
    int ns = (d->cur_slot & WA_SLOT_NAMESPACE) != 0;
    uint64_t ne = 0;
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    while (PyDict_Next(o, &pos, &k, &v))
        ne += split ? 1 : 2;
    wa_chunk c;
    if (chunk_start(&c, d, o, ne) != 0)
        return -1;
    pos = 0;
    while (PyDict_Next(o, &pos, &k, &v)) {
        wa_hint h;
        memset(&h, 0, sizeof h);
        h.name = k;
        if (!split) {
            h.to = k;
            h.kind = WA_EDGE_DICT_KEY;
            h.source = WA_LS_KEY;
            if (chunk_push(&c, k, resolve_label(d, &h)) != 0)
                return -1;
        }
        h.to = v;
        h.kind = ns && PyUnicode_CheckExact(k) ? WA_EDGE_ATTR : WA_EDGE_DICT_VALUE;
        h.source = ns ? WA_LS_NSKEY : WA_LS_KEY;
        if (chunk_push(&c, v, resolve_label(d, &h)) != 0)
            return -1;
    }
    if (d->oom)
        return -1;
    return chunk_end(&c, i);
}

/* A large exact set or frozenset: its members, as tp_traverse reports
 * them (counted first, since the writer wants the count up front). */
static int count_in_set(PyObject *t, void *arg)
{
    uint64_t *n = arg;
    *n += t != NULL;
    return 0;
}

static int push_member(PyObject *t, void *arg)
{
    return t ? chunk_push(arg, t, WA_LABEL(WA_EDGE_SET_MEMBER, 0)) : 0;
}

static int emit_set(wa_dump *d, uint32_t i, PyObject *o)
{
    uint64_t ne = 0;
    Py_TYPE(o)->tp_traverse(o, count_in_set, &ne);
    wa_chunk c;
    if (chunk_start(&c, d, o, ne) != 0)
        return -1;
    if (Py_TYPE(o)->tp_traverse(o, push_member, &c) != 0)
        return -1;
    if (c.given != ne) {
        wa_error_set(&d->err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE,
                     "internal error: a set reported %llu members, then %llu",
                     (unsigned long long)ne, (unsigned long long)c.given);
        return -1;
    }
    return chunk_end(&c, i);
}

static int emit_one(wa_dump *d, uint32_t i, PyObject *o)
{
    if (is_leaf(o))
        return emit_leaf(d, i, o);
    if (PyList_CheckExact(o) || PyTuple_CheckExact(o))
        return emit_sequence(d, i, o);
    if (is_big_dict(o))
        return emit_dict(d, i, o);
    if (is_big_set(o))
        return emit_set(d, i, o);
    if (collect(d, o) != 0)
        return -1;
    /* The edges are written over the references they come from (edge ne
     * from reference j >= ne, read before it is overwritten): a container
     * with a million items needs one 16-byte scratch entry per item, not
     * two. Stores go through memcpy so no type-based aliasing assumption
     * can reorder them. */
    _Static_assert(sizeof(wa_ref) == sizeof(wa_writer_edge), "edges are written in place");
    if (wa_dump_scratch_reserve((void **)&d->refs, &d->refs_cap, d->n_refs + 1, sizeof(wa_ref)) !=
        0) {
        d->oom = 1;
        return -1;
    }
    /* list and tuple traverse their items last to first (CPython's
     * list_traverse/tupletraverse); check the order instead of assuming
     * it, and fall back to unlabeled if neither order fits. */
    int by_position = 0; /* 1: forward, -1: reversed */
    if (PyList_CheckExact(o) || PyTuple_CheckExact(o)) {
        PyObject **items =
            PyList_CheckExact(o) ? ((PyListObject *)o)->ob_item : ((PyTupleObject *)o)->ob_item;
        Py_ssize_t len = Py_SIZE(o);
        if ((Py_ssize_t)d->n_refs == len && len > 0) {
            by_position = d->refs[0].to == items[len - 1] ? -1 : 1;
            for (Py_ssize_t j = 0; j < len && by_position; j++) {
                PyObject *want = by_position < 0 ? items[len - 1 - j] : items[j];
                if (d->refs[j].to != want)
                    by_position = 0;
            }
        }
    }
    uint32_t default_label = PyAnySet_Check(o) ? WA_LABEL(WA_EDGE_SET_MEMBER, 0) : 0;
    for (uint32_t j = 0; j < d->n_refs; j++)
        if (wa_dump_slot_encodable(d->refs[j].to))
            wa_dump_tab_prefetch(d, d->refs[j].to);
    uint32_t ne = 0;
    unsigned char *edge_mem = (unsigned char *)d->refs;
    for (uint32_t j = 0; j < d->n_refs; j++) {
        wa_ref ref = d->refs[j];
        const wa_ref *r = &ref;
        uint32_t t = wa_dump_tab_index(d, r->to);
        if (t == WA_NONE) {
            if (r->joins)
                d->stats.dropped_edges++;
            continue;
        }
        uint32_t label;
        if (r->hint >= 0) {
            label = resolve_label(d, &d->hints[r->hint]);
        } else if (by_position) {
            label = index_label(d, by_position < 0 ? d->n_refs - 1 - j : j);
        } else {
            label = default_label;
        }
        wa_writer_edge e;
        e.to_addr = (uint64_t)(uintptr_t)r->to;
        e.to = t;
        e.label = label;
        memcpy(edge_mem + (size_t)ne++ * sizeof e, &e, sizeof e);
    }
    if (d->oom)
        return -1;
    wa_writer_edge *edges = (wa_writer_edge *)edge_mem;
    if (by_position < 0) { /* write items in index order */
        for (uint32_t a = 0, b = ne ? ne - 1 : 0; a < b; a++, b--) {
            wa_writer_edge tmp = edges[a];
            edges[a] = edges[b];
            edges[b] = tmp;
        }
    }

    wa_object rec;
    if (object_record(d, o, &rec) != 0)
        return -1;
    if (wa_writer_object(d->w, &rec, edges, ne, &d->err) != WA_OK)
        return -1;
    d->stats.edges += ne;
    if (d->tracing && write_site(d, i, o) != 0)
        return -1;
    return wa_dump_roots_check(d, i, o);
}

int wa_dump_emit(wa_dump *d)
{
    d->phase = 1;
    if (wa_writer_begin(d->w, d->n, &d->err) != WA_OK)
        return -1;
    uint32_t idx = 0;
    for (uint32_t si = 0; si < d->n_segs; si++) {
        const wa_seg *s = &d->segs[si];
        for (uint32_t k = 0; k < s->cap; k++) {
            if (k + 16 < s->cap && s->slot[k + 16])
                __builtin_prefetch(wa_dump_slot_obj(s->slot[k + 16]));
            uint64_t v = s->slot[k];
            if (!v)
                continue;
            d->cur_slot = v;
            if (emit_one(d, idx++, wa_dump_slot_obj(v)) != 0)
                return -1;
        }
    }
    return 0;
}
