/*
 * dump_roots.c: where the heap is held from.
 *
 * Invariant: a root names an object of the dump and says who holds it:
 *  - MODULE: each sys.modules entry (label: the module name);
 *  - THREAD: each frame still executing in a thread (label "name (tid)");
 *    the thread's own reference to the frame counts as seen;
 *  - INTERPRETER: sys.modules, sys.__dict__, builtins, each thread state's
 *    dict and context (the interpreter's reference counts as seen), and
 *    static (non-heap) types, which the interpreter never frees;
 *  - EXTERNAL: a GC container, not immortal, not a static type, whose
 *    refcount exceeds the references the dump saw (plus the dumper's own):
 *    someone outside the Python heap (C code, a native SDK) holds it, and
 *    excess says how many times. Classes held that way are INTERPRETER
 *    roots ("class held by native code": extension modules keep their
 *    classes in C state). Atomic objects (str, int, bytes, float...)
 *    are never external roots: they hold nothing, every one in the dump is
 *    reached from a dumped referrer, and their counts are inflated by the
 *    interpreter's caches (interned strings, small ints, constants).
 */
#include "dumper/dump_roots.h"

#include "dumper/dump_compat.h"
#include "dumper/dump_table.h"
#include "dumper/dump_text.h"

#include <stdio.h>
#include <string.h>

#if PY_VERSION_HEX < 0x030B0000
#include "frameobject.h"
#endif

int wa_dump_pending_add(wa_dump *d, PyObject *o, uint32_t kind, uint32_t own, const char *label)
{
    if (!o)
        return 0;
    if (kind == WA_ROOT_INTERPRETER) {
        for (uint32_t i = 0; i < d->n_pending; i++)
            if (d->pending[i].obj == o && d->pending[i].kind == kind)
                return 0; /* one holder, one reference */
    }
    if (wa_dump_scratch_reserve((void **)&d->pending, &d->pending_cap, d->n_pending + 1,
                                sizeof(wa_pending_root)) != 0)
        return -1;
    wa_pending_root *p = &d->pending[d->n_pending++];
    p->obj = o;
    p->kind = kind;
    p->own_refs = own;
    /* Root labels are display text: a long one is cut on purpose, at a
     * character boundary so the label stays valid UTF-8. */
    size_t len = label ? strlen(label) : 0;
    if (len > sizeof p->label - 1) {
        len = sizeof p->label - 1;
        while (len > 0 && ((unsigned char)label[len] & 0xC0) == 0x80)
            len--;
    }
    if (len)
        memcpy(p->label, label, len);
    p->label[len] = '\0';
    return 0;
}

/* A thread's name from threading's registry, read without running Python
 * code of the Thread object: its _name instance attribute, looked up
 * generically, and only when no class in its MRO defines _name (a property
 * there would run). */
static void thread_name(unsigned long tid, char *out, size_t cap)
{
    snprintf(out, cap, "thread");
    PyObject *name = PyUnicode_FromString("threading");
    if (!name) {
        PyErr_Clear();
        return;
    }
    PyObject *mod = PyImport_GetModule(name);
    Py_DECREF(name);
    if (!mod) {
        PyErr_Clear();
        return;
    }
    PyObject *md = PyModule_Check(mod) ? PyModule_GetDict(mod) : NULL;
    PyObject *active = md ? PyDict_GetItemString(md, "_active") : NULL;
    Py_XINCREF(active);
    Py_DECREF(mod);
    if (!active || !PyDict_Check(active)) {
        Py_XDECREF(active);
        PyErr_Clear();
        return;
    }
    PyObject *key = PyLong_FromUnsignedLong(tid);
    PyObject *th = key ? PyDict_GetItemWithError(active, key) : NULL;
    Py_XDECREF(key);
    if (th) {
        PyObject *attr = PyUnicode_FromString("_name");
        PyObject *n =
            attr && !_PyType_Lookup(Py_TYPE(th), attr) ? PyObject_GenericGetAttr(th, attr) : NULL;
        Py_XDECREF(attr);
        if (n && PyUnicode_Check(n)) {
            /* At most 60 characters and 100 bytes, cut between
             * characters. */
            int trunc;
            char tmp[256];
            size_t len = wa_dump_str_utf8(n, tmp, sizeof tmp, 60, &trunc);
            size_t max = cap - 1 < 100 ? cap - 1 : 100;
            if (len > max) {
                len = max;
                while (len > 0 && ((unsigned char)tmp[len] & 0xC0) == 0x80)
                    len--;
            }
            memcpy(out, tmp, len);
            out[len] = '\0';
        }
        Py_XDECREF(n);
    }
    Py_DECREF(active);
    PyErr_Clear();
}

int wa_dump_roots_prepare(wa_dump *d)
{
    PyInterpreterState *interp = PyInterpreterState_Get();
    for (PyThreadState *ts = PyInterpreterState_ThreadHead(interp); ts;
         ts = PyThreadState_Next(ts)) {
        char tname[160], label[200];
        char dl[240];
        thread_name(ts->thread_id, tname, sizeof tname);
        snprintf(label, sizeof label, "%s (%lu)", tname, ts->thread_id);
        /* Materialize the thread's frame objects (3.11+ creates them on
         * demand; they then live as long as the frame runs) and root each:
         * the thread holds every frame of its stack. */
        PyFrameObject *f = PyThreadState_GetFrame(ts);
        while (f) {
            if (wa_dump_pending_add(d, (PyObject *)f, WA_ROOT_THREAD, 1, label) != 0) {
                Py_DECREF(f);
                return -1;
            }
            PyFrameObject *back = PyFrame_GetBack(f);
            Py_DECREF(f);
            f = back;
        }
        snprintf(dl, sizeof dl, "thread state dict: %.170s", label);
        if (ts->dict && wa_dump_pending_add(d, ts->dict, WA_ROOT_INTERPRETER, 1, dl) != 0)
            return -1;
        snprintf(dl, sizeof dl, "thread context: %.170s", label);
        if (ts->context && wa_dump_pending_add(d, ts->context, WA_ROOT_INTERPRETER, 1, dl) != 0)
            return -1;
    }
    PyErr_Clear();
    if (wa_dump_pending_add(d, PyImport_GetModuleDict(), WA_ROOT_INTERPRETER, 1, "sys.modules") !=
        0)
        return -1;
    PyObject *sysname = PyUnicode_FromString("sys");
    PyObject *sys = sysname ? PyImport_GetModule(sysname) : NULL;
    Py_XDECREF(sysname);
    if (sys) {
        PyObject *sd = PyModule_GetDict(sys);
        Py_DECREF(sys); /* sys.modules keeps it */
        if (wa_dump_pending_add(d, sd, WA_ROOT_INTERPRETER, 1, "sys.__dict__") != 0)
            return -1;
    }
    PyErr_Clear();
    if (wa_dump_pending_add(d, PyEval_GetBuiltins(), WA_ROOT_INTERPRETER, 1, "builtins") != 0)
        return -1;
    /* Single-phase extension modules: the interpreter keeps a copy of the
     * module's dict (m_copy) to re-create it on re-import. */
    PyObject *modules = PyImport_GetModuleDict();
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    while (modules && PyDict_Next(modules, &pos, &k, &v)) {
        if (!PyModule_Check(v))
            continue;
        PyModuleDef *def = PyModule_GetDef(v);
        if (!def || !def->m_base.m_copy)
            continue;
        char label[160];
        snprintf(label, sizeof label, "module dict copy: %.120s", def->m_name ? def->m_name : "?");
        if (wa_dump_pending_add(d, def->m_base.m_copy, WA_ROOT_INTERPRETER, 1, label) != 0)
            return -1;
    }
    PyErr_Clear();
    return 0;
}

/* After discovery: the holders' references count as seen before excess is
 * computed (while writing, wa_dump_roots_check). */
void wa_dump_roots_adjust(wa_dump *d)
{
    for (uint32_t k = 0; k < d->n_pending; k++) {
        uint64_t *sl = wa_dump_tab_lookup(d, d->pending[k].obj);
        if (sl)
            wa_dump_tab_seen_add(d, sl, d->pending[k].own_refs);
    }
    for (uint32_t k = 0; k < d->n_own; k++) {
        uint64_t *sl = wa_dump_tab_lookup(d, d->own_obj[k]);
        if (sl)
            wa_dump_tab_seen_add(d, sl, d->own_cnt[k]);
    }
}

enum { WA_XR_STATIC_TYPE, WA_XR_NATIVE_CLASS, WA_XR_EXTERNAL };

/* While writing object idx (d->cur_slot is its slot): is it a root by its
 * own state? Static types always; GC objects when their refcount exceeds
 * the references seen. */
int wa_dump_roots_check(wa_dump *d, uint32_t idx, PyObject *o)
{
    uint32_t kind;
    uint64_t excess = 0;
    if (PyType_Check(o) && !(((PyTypeObject *)o)->tp_flags & Py_TPFLAGS_HEAPTYPE)) {
        kind = WA_XR_STATIC_TYPE;
    } else {
        if (!PyObject_IS_GC(o) || wa_dump_compat_is_immortal(o))
            return 0;
        Py_ssize_t rc = Py_REFCNT(o);
        uint64_t seen = wa_dump_tab_seen(d, d->cur_slot);
        if (rc <= 0 || (uint64_t)rc <= seen)
            return 0;
        excess = (uint64_t)rc - seen;
        /* Classes created by extension modules are held by the module's C
         * state (or the interpreter's): not a leak to chase. */
        kind = PyType_Check(o) ? WA_XR_NATIVE_CLASS : WA_XR_EXTERNAL;
    }
    if (wa_dump_scratch_reserve((void **)&d->xroots, &d->xroots_cap, d->n_xroots + 1,
                                sizeof(wa_xroot)) != 0) {
        d->oom = 1;
        return -1;
    }
    wa_xroot *x = &d->xroots[d->n_xroots++];
    x->obj = o;
    x->index = idx;
    x->kind = kind;
    x->excess = excess > UINT32_MAX ? UINT32_MAX : (uint32_t)excess;
    return 0;
}

static int root(wa_dump *d, uint32_t idx, PyObject *o, uint32_t kind, uint32_t label,
                uint32_t excess)
{
    if (wa_writer_root(d->w, idx, (uint64_t)(uintptr_t)o, (wa_root_kind)kind, label, excess,
                       &d->err) != WA_OK)
        return -1;
    d->stats.roots++;
    return 0;
}

int wa_dump_roots_write(wa_dump *d)
{
    /* sys.modules entries */
    PyObject *modules = PyImport_GetModuleDict();
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    while (modules && PyDict_Next(modules, &pos, &k, &v)) {
        uint32_t i = wa_dump_tab_index(d, v);
        if (i == WA_NONE)
            continue;
        uint32_t label = 0;
        if (PyUnicode_Check(k)) {
            char tmp[512];
            int trunc;
            size_t n = wa_dump_str_utf8(k, tmp, sizeof tmp, 120, &trunc);
            label = wa_dump_intern(d, tmp, n);
            if (label == WA_NONE)
                return -1;
        }
        if (root(d, i, v, WA_ROOT_MODULE, label, 0) != 0)
            return -1;
    }
    for (uint32_t p = 0; p < d->n_pending; p++) {
        uint32_t i = wa_dump_tab_index(d, d->pending[p].obj);
        if (i == WA_NONE)
            continue;
        uint32_t label = wa_dump_intern_cstr(d, d->pending[p].label);
        if (label == WA_NONE || root(d, i, d->pending[p].obj, d->pending[p].kind, label, 0) != 0)
            return -1;
    }

    uint32_t static_label = wa_dump_intern_cstr(d, "static type");
    uint32_t native_class_label = wa_dump_intern_cstr(d, "class held by native code");
    if (static_label == WA_NONE || native_class_label == WA_NONE)
        return -1;
    for (uint32_t x = 0; x < d->n_xroots; x++) {
        const wa_xroot *r = &d->xroots[x];
        int rc;
        switch (r->kind) {
        case WA_XR_STATIC_TYPE:
            rc = root(d, r->index, r->obj, WA_ROOT_INTERPRETER, static_label, 0);
            break;
        case WA_XR_NATIVE_CLASS:
            rc = root(d, r->index, r->obj, WA_ROOT_INTERPRETER, native_class_label, 0);
            break;
        default:
            rc = root(d, r->index, r->obj, WA_ROOT_EXTERNAL, 0, r->excess);
            d->stats.external_roots++;
            break;
        }
        if (rc != 0)
            return -1;
    }
    return 0;
}
