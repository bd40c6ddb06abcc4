/*
 * dump_compat.c: everything that reads CPython internals, per version.
 *
 * Invariant: this is the only file that includes internal headers
 * (Py_BUILD_CORE_MODULE); every internal read is guarded by
 * PY_VERSION_HEX and degrades to "no hint" rather than guess on a version
 * it does not know. Nothing here calls Python-level code, allocates a
 * Python object that survives the call, or materializes a __dict__.
 */
#define Py_BUILD_CORE_MODULE 1
#include "dumper/dump_compat.h"

#include "dumper/dump_table.h"

#if PY_VERSION_HEX >= 0x030B0000
#include "internal/pycore_code.h"
#include "internal/pycore_dict.h"
#include "internal/pycore_frame.h"
#include "internal/pycore_genobject.h"
#include "internal/pycore_object.h"
#if PY_VERSION_HEX >= 0x030C0000
#include "internal/pycore_interp.h"
#include "internal/pycore_typeobject.h"
#endif
#if PY_VERSION_HEX >= 0x030E0000
#include "internal/pycore_interpframe.h" /* _PyFrame_IsIncomplete */
#include "internal/pycore_stackref.h"
#endif
#else
#include "frameobject.h"
#endif
#include "structmember.h"

#if PY_VERSION_HEX >= 0x03100000
#error "whyalive's dumper knows CPython 3.9 to 3.15; check dump_compat.c for newer versions"
#endif
#if PY_VERSION_HEX >= 0x030E0000 && PY_VERSION_HEX < 0x030E0500
/* 3.14.0-3.14.4 shipped the incremental collector (other GC lists, other
 * _gc_next bits); 3.14.5 restored the generational one. Not testable here. */
#error                                                                                             \
    "whyalive's dumper needs the headers of CPython 3.14.5 or later (3.14.0-3.14.4 had the incremental GC)"
#endif
#if defined(Py_GIL_DISABLED)
#error "whyalive's dumper does not support free-threaded CPython builds (docs/python-dumper.md)"
#endif
#if defined(Py_STACKREF_DEBUG)
#error "whyalive's dumper does not support CPython built with Py_STACKREF_DEBUG"
#endif

#define H(to, kind, src, cls, name)                                                                \
    wa_dump_hint_add(d, (PyObject *)(to), (kind), (src), (cls), (name), 0)

int wa_dump_compat_is_immortal(PyObject *o)
{
#if PY_VERSION_HEX >= 0x030C0000
    return _Py_IsImmortal(o);
#elif PY_VERSION_HEX >= 0x030B0000
    /* 3.11's deep-frozen code objects and their constants are static data
     * created with a refcount of 999999999 and never freed. */
    return Py_REFCNT(o) >= 999000000;
#else
    (void)o;
    return 0;
#endif
}

/* sys.getsizeof adds what sits in front of the object: the GC header and,
 * from 3.11, the managed dict/weakref pointers. */
size_t wa_dump_compat_preheader(PyObject *o)
{
    PyTypeObject *tp = Py_TYPE(o);
#if PY_VERSION_HEX >= 0x030C0000
    if (tp == &PyType_Type && !PyType_HasFeature((PyTypeObject *)o, Py_TPFLAGS_HEAPTYPE))
        return 0;
    return _PyType_PreHeaderSize(tp);
#elif PY_VERSION_HEX >= 0x030B0000
    return PyObject_IS_GC(o) ? _PyType_PreHeaderSize(tp) : 0;
#else
    (void)tp;
    /* PyGC_Head is two words (internal before 3.11's public headers). */
    return PyObject_IS_GC(o) ? 2 * sizeof(uintptr_t) : 0;
#endif
}

/* ------------------------------------------------------------------ sizes */

static PyObject *str_sizeof;
static PyCFunction object_sizeof;

static PyCFunction c_sizeof_of(PyObject *descr)
{
    if (descr && Py_IS_TYPE(descr, &PyMethodDescr_Type)) {
        PyMethodDef *m = ((PyMethodDescrObject *)descr)->d_method;
        if (m && (m->ml_flags & METH_NOARGS))
            return m->ml_meth;
    }
    return NULL;
}

/* The nearest C-level __sizeof__ along the MRO: a Python-level override is
 * never run (it could do anything), its C base's answer is used instead. */
static PyCFunction find_c_sizeof(PyTypeObject *tp)
{
    if (!str_sizeof) {
        str_sizeof = PyUnicode_InternFromString("__sizeof__");
        if (!str_sizeof) {
            PyErr_Clear();
            return NULL;
        }
        object_sizeof = c_sizeof_of(_PyType_Lookup(&PyBaseObject_Type, str_sizeof));
    }
    PyObject *descr = _PyType_Lookup(tp, str_sizeof);
    PyCFunction f = c_sizeof_of(descr);
    if (f || !tp->tp_mro)
        return f;
    PyObject *mro = tp->tp_mro;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(mro); i++) {
        PyTypeObject *b = (PyTypeObject *)PyTuple_GET_ITEM(mro, i);
        /* A class dict only ever has str keys in practice; the lookup
         * compares by identity/hash first. */
        PyObject *bd = wa_dump_compat_type_dict(b);
        PyObject *v = bd ? PyDict_GetItemWithError(bd, str_sizeof) : NULL;
        if (!v && PyErr_Occurred())
            PyErr_Clear();
        if ((f = c_sizeof_of(v)) != NULL)
            return f;
    }
    return NULL;
}

static uint64_t default_sizeof(PyObject *o)
{
    PyTypeObject *tp = Py_TYPE(o);
    Py_ssize_t n = tp->tp_itemsize ? Py_SIZE(o) : 0;
    if (n < 0)
        n = -n;
    return (uint64_t)tp->tp_basicsize + (uint64_t)n * (uint64_t)tp->tp_itemsize;
}

PyObject *wa_dump_compat_type_dict(PyTypeObject *t)
{
#if PY_VERSION_HEX >= 0x030C0000
    /* a new reference; the type keeps the dict alive, so hand back a
     * borrowed one like tp_dict before 3.12 */
    PyObject *td = PyType_GetDict(t);
    Py_XDECREF(td);
    return td;
#else
    return t->tp_dict;
#endif
}

PyCFunction wa_dump_compat_sizeof_fn(PyTypeObject *tp)
{
    PyCFunction f = find_c_sizeof(tp);
    return f == object_sizeof ? NULL : f;
}

/* Exact int size as int.__sizeof__ computes it. */
static uint64_t long_sizeof(PyObject *o)
{
#if PY_VERSION_HEX >= 0x030C0000
    size_t bits = _PyLong_NumBits(o);
    if (bits == (size_t)-1) {
        PyErr_Clear();
        return (uint64_t)Py_TYPE(o)->tp_basicsize + sizeof(digit);
    }
    uint64_t nd = bits ? (bits + PyLong_SHIFT - 1) / PyLong_SHIFT : 1;
    return (uint64_t)Py_TYPE(o)->tp_basicsize + nd * sizeof(digit);
#else
    /* 3.11 counts at least one digit (0 takes 28 bytes); 3.9 and 3.10
     * count the digits in use (0 takes 24). */
    Py_ssize_t n = Py_SIZE(o);
    if (n < 0)
        n = -n;
#if PY_VERSION_HEX >= 0x030B0000
    if (n == 0)
        n = 1;
#endif
    return (uint64_t)Py_TYPE(o)->tp_basicsize + (uint64_t)n * sizeof(digit);
#endif
}

uint64_t wa_dump_compat_sizeof(PyObject *o, PyCFunction f)
{
    PyTypeObject *tp = Py_TYPE(o);
    uint64_t base;
    if (tp == &PyUnicode_Type && PyUnicode_IS_COMPACT_ASCII(o)
#if PY_VERSION_HEX < 0x030C0000
        && ((PyASCIIObject *)o)->wstr == NULL
#endif
    ) {
        base = sizeof(PyASCIIObject) + (uint64_t)PyUnicode_GET_LENGTH(o) + 1;
    } else if (tp == &PyList_Type) {
        base =
            (uint64_t)tp->tp_basicsize + (uint64_t)((PyListObject *)o)->allocated * sizeof(void *);
    } else if (tp == &PyTuple_Type || tp == &PyBytes_Type || tp == &PyFloat_Type) {
        base = default_sizeof(o);
    } else if (tp == &PyLong_Type) {
        base = long_sizeof(o);
#if PY_VERSION_HEX < 0x030D0000
    } else if (tp == &PyDict_Type) {
        base = (uint64_t)_PyDict_SizeOf((PyDictObject *)o);
#endif
    } else if (tp == &PySet_Type || tp == &PyFrozenSet_Type) {
        PySetObject *so = (PySetObject *)o;
        base = (uint64_t)tp->tp_basicsize;
        if (so->table != so->smalltable)
            base += (uint64_t)(so->mask + 1) * sizeof(setentry);
    } else if (!f) {
        base = default_sizeof(o);
    } else {
        PyObject *r = f(o, NULL);
        Py_ssize_t v = r ? PyLong_AsSsize_t(r) : -1;
        Py_XDECREF(r);
        if (v < 0) {
            PyErr_Clear();
            base = default_sizeof(o);
        } else {
            base = (uint64_t)v;
        }
    }
    return base + wa_dump_compat_preheader(o);
}

/* ----------------------------------------------------------- instance dict */

PyObject **wa_dump_compat_dict_slot(PyObject *o)
{
    PyTypeObject *tp = Py_TYPE(o);
#if PY_VERSION_HEX >= 0x030D0000
    if (tp->tp_flags & Py_TPFLAGS_MANAGED_DICT)
        return (PyObject **)&_PyObject_ManagedDictPointer(o)->dict;
#elif PY_VERSION_HEX >= 0x030C0000
    if (tp->tp_flags & Py_TPFLAGS_MANAGED_DICT) {
        PyDictOrValues *dorv = _PyObject_DictOrValuesPointer(o);
        if (_PyDictOrValues_IsValues(*dorv))
            return NULL;
        return &dorv->dict;
    }
#elif PY_VERSION_HEX >= 0x030B0000
    if (tp->tp_flags & Py_TPFLAGS_MANAGED_DICT)
        return _PyObject_ManagedDictPointer(o);
#endif
    Py_ssize_t off = tp->tp_dictoffset;
    if (off == 0)
        return NULL;
    if (off < 0) {
        Py_ssize_t n = Py_SIZE(o);
        if (n < 0)
            n = -n;
        off += (Py_ssize_t)_PyObject_VAR_SIZE(tp, n);
    }
    return (PyObject **)((char *)o + off);
}

/* Attribute names of inline (split) values: the class's shared keys. */
int wa_dump_compat_instance_hints(wa_dump *d, PyObject *o)
{
#if PY_VERSION_HEX >= 0x030B0000
    PyTypeObject *tp = Py_TYPE(o);
    if (!(tp->tp_flags & Py_TPFLAGS_MANAGED_DICT) || !(tp->tp_flags & Py_TPFLAGS_HEAPTYPE))
        return 0;
    PyDictKeysObject *keys = ((PyHeapTypeObject *)tp)->ht_cached_keys;
    PyDictValues *values = NULL;
#if PY_VERSION_HEX >= 0x030D0000
    if (tp->tp_flags & Py_TPFLAGS_INLINE_VALUES) {
        PyDictValues *iv = _PyObject_InlineValues(o);
        if (iv->valid)
            values = iv;
    }
#elif PY_VERSION_HEX >= 0x030C0000
    PyDictOrValues dorv = *_PyObject_DictOrValuesPointer(o);
    if (_PyDictOrValues_IsValues(dorv))
        values = _PyDictOrValues_GetValues(dorv);
#else
    values = *_PyObject_ValuesPointer(o);
#endif
    if (!values || !keys || keys->dk_kind == DICT_KEYS_GENERAL)
        return 0;
    PyDictUnicodeEntry *ent = DK_UNICODE_ENTRIES(keys);
    Py_ssize_t n = keys->dk_nentries;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *v = values->values[i];
        if (v && ent[i].me_key && H(v, WA_EDGE_ATTR, WA_LS_PYSTR, WA_HC_LABEL, ent[i].me_key) != 0)
            return -1;
    }
#else
    (void)d;
    (void)o;
#endif
    return 0;
}

/* ------------------------------------------------------------------ frames */

/* A frame slot (a fast local, the code, the function) as stored: a
 * PyObject * up to 3.13, a tagged _PyStackRef from 3.14. slot_obj() is the
 * one decoder of both. */
#if PY_VERSION_HEX >= 0x030E0000
typedef _PyStackRef wa_slot;
#else
typedef PyObject *wa_slot;
#endif

/* The object a slot refers to (NULL: empty), and whether the slot's
 * reference is counted in the object's refcount (*owned). Up to 3.13 every
 * slot owns its reference. From 3.14 a slot may be borrowed (tag bit 0:
 * LOAD_FAST_BORROW passes a caller's reference on without an incref, and
 * immortal objects are never counted); NULL is the tag alone (1), a tagged
 * int (..11) is no object, and 3.15's error value (..10) is no object
 * either. */
static PyObject *slot_obj(wa_slot v, int *owned)
{
#if PY_VERSION_HEX >= 0x030E0000
    *owned = 0;
    if (v.bits == 0 || PyStackRef_IsNull(v) || PyStackRef_IsTaggedInt(v) || (v.bits & 3) == 2)
        return NULL;
    *owned = PyStackRef_RefcountOnObject(v);
    return PyStackRef_AsPyObjectBorrow(v);
#else
    *owned = v != NULL;
    return v;
#endif
}

/* A running frame's reference (cls WA_HC_OWNED) that the slot does not own
 * is borrowed: an edge whose target joins the dump, never counted (the
 * reference it was borrowed from is). */
static int slot_hint(wa_dump *d, wa_slot v, uint8_t kind, uint8_t src, uint8_t cls,
                     const void *name, PyObject **out)
{
    int owned;
    PyObject *o = slot_obj(v, &owned);
    if (out)
        *out = o;
    if (!o)
        return 0;
    if (cls == WA_HC_OWNED && !owned)
        cls = WA_HC_BORROWED;
    return wa_dump_hint_add(d, o, kind, src, cls, name, 0);
}

static int locals_hints(wa_dump *d, const wa_slot *slots, Py_ssize_t n, PyObject *names,
                        uint8_t cls)
{
    Py_ssize_t nn = names && PyTuple_Check(names) ? PyTuple_GET_SIZE(names) : 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *name = i < nn ? PyTuple_GET_ITEM(names, i) : NULL;
        int named = name && PyUnicode_Check(name);
        PyObject *v;
        if (slot_hint(d, slots[i], WA_EDGE_FRAME_LOCAL, named ? WA_LS_PYSTR : WA_LS_NONE, cls,
                      named ? name : NULL, &v) != 0)
            return -1;
        /* A cell held by a frame is named after its variable. */
        if (v && named && PyCell_Check(v) && !wa_dump_cell_name_get(d, v) &&
            wa_dump_cell_name_set(d, v, name) != 0)
            return -1;
    }
    return 0;
}

#if PY_VERSION_HEX >= 0x030B0000
static wa_slot iframe_code_slot(_PyInterpreterFrame *f)
{
#if PY_VERSION_HEX >= 0x030D0000
    return f->f_executable;
#else
    return (PyObject *)f->f_code;
#endif
}

static wa_slot iframe_func_slot(_PyInterpreterFrame *f)
{
#if PY_VERSION_HEX >= 0x030C0000
    return f->f_funcobj;
#else
    return (PyObject *)f->f_func;
#endif
}

static PyObject *iframe_code(_PyInterpreterFrame *f)
{
    int owned;
    return slot_obj(iframe_code_slot(f), &owned);
}

/* The references an interpreter frame holds: code, function, locals dict
 * and the fast locals (not the value stack: its top is not reliable while
 * the frame runs). */
static int iframe_hints(wa_dump *d, _PyInterpreterFrame *f, uint8_t cls)
{
    PyObject *code;
    if (slot_hint(d, iframe_code_slot(f), WA_EDGE_ATTR, WA_LS_CSTR, cls, "f_code", &code) != 0 ||
        slot_hint(d, iframe_func_slot(f), WA_EDGE_ATTR, WA_LS_CSTR, cls, "f_func", NULL) != 0)
        return -1;
    if (f->f_locals && H(f->f_locals, WA_EDGE_ATTR, WA_LS_CSTR, cls, "f_locals") != 0)
        return -1;
    if (code && PyCode_Check(code)) {
        PyCodeObject *co = (PyCodeObject *)code;
        if (locals_hints(d, f->localsplus, co->co_nlocalsplus, co->co_localsplusnames, cls) != 0)
            return -1;
    }
    return 0;
}

/* Frames that are no Python function's (C-stack and interpreter entry
 * frames): nothing to name. */
static int iframe_is_shim(_PyInterpreterFrame *f)
{
#if PY_VERSION_HEX >= 0x030E0000
    return f->owner >= FRAME_OWNED_BY_INTERPRETER;
#elif PY_VERSION_HEX >= 0x030C0000
    return f->owner == FRAME_OWNED_BY_CSTACK;
#else
    (void)f;
    return 0;
#endif
}
#endif

int wa_dump_compat_frame_executing(PyObject *frame)
{
#if PY_VERSION_HEX >= 0x030B0000
    PyFrameObject *f = (PyFrameObject *)frame;
    return f->f_frame && f->f_frame->owner == FRAME_OWNED_BY_THREAD;
#elif PY_VERSION_HEX >= 0x030A0000
    return ((PyFrameObject *)frame)->f_state == FRAME_EXECUTING;
#else
    return ((PyFrameObject *)frame)->f_executing;
#endif
}

PyObject *wa_dump_compat_freevar_name(PyObject *code, Py_ssize_t i)
{
    PyCodeObject *co = (PyCodeObject *)code;
#if PY_VERSION_HEX >= 0x030B0000
    Py_ssize_t base = co->co_nlocalsplus - co->co_nfreevars;
    if (i < 0 || i >= co->co_nfreevars || !co->co_localsplusnames)
        return NULL;
    return PyTuple_GET_ITEM(co->co_localsplusnames, base + i);
#else
    if (!co->co_freevars || i < 0 || i >= PyTuple_GET_SIZE(co->co_freevars))
        return NULL;
    return PyTuple_GET_ITEM(co->co_freevars, i);
#endif
}

PyObject *wa_dump_compat_frame_code(PyObject *frame)
{
#if PY_VERSION_HEX >= 0x030B0000
    PyFrameObject *f = (PyFrameObject *)frame;
    return f->f_frame ? iframe_code(f->f_frame) : NULL;
#else
    return (PyObject *)((PyFrameObject *)frame)->f_code;
#endif
}

int wa_dump_compat_frame_hints(wa_dump *d, PyObject *frame)
{
    PyFrameObject *f = (PyFrameObject *)frame;
    if (f->f_back && H(f->f_back, WA_EDGE_ATTR, WA_LS_CSTR, WA_HC_LABEL, "f_back") != 0)
        return -1;
    if (f->f_trace && H(f->f_trace, WA_EDGE_ATTR, WA_LS_CSTR, WA_HC_LABEL, "f_trace") != 0)
        return -1;
#if PY_VERSION_HEX >= 0x030B0000
    _PyInterpreterFrame *fr = f->f_frame;
    if (!fr || fr->owner == FRAME_OWNED_BY_GENERATOR)
        return 0;
    if (iframe_is_shim(fr))
        return 0;
#if PY_VERSION_HEX >= 0x030D0000
    if (f->f_extra_locals &&
        H(f->f_extra_locals, WA_EDGE_ATTR, WA_LS_CSTR, WA_HC_LABEL, "f_extra_locals") != 0)
        return -1;
    if (f->f_locals_cache &&
        H(f->f_locals_cache, WA_EDGE_ATTR, WA_LS_CSTR, WA_HC_LABEL, "f_locals_cache") != 0)
        return -1;
#endif
#if PY_VERSION_HEX >= 0x030E0000
    /* strong references to fast locals replaced through f_locals */
    if (f->f_overwritten_fast_locals && H(f->f_overwritten_fast_locals, WA_EDGE_ATTR, WA_LS_CSTR,
                                          WA_HC_LABEL, "f_overwritten_fast_locals") != 0)
        return -1;
#endif
    /* A running frame's contents belong to the thread, not to the frame
     * object, so tp_traverse skips them: we name them and count them as
     * owned by the frame. Its caller appears as f_back, an edge the frame
     * object does not own (the frame object does not exist for it yet). */
    if (fr->owner == FRAME_OWNED_BY_THREAD) {
        if (iframe_hints(d, fr, WA_HC_OWNED) != 0)
            return -1;
        if (!f->f_back) {
            for (_PyInterpreterFrame *p = fr->previous; p; p = p->previous) {
                if (iframe_is_shim(p) || _PyFrame_IsIncomplete(p))
                    continue;
                if (p->frame_obj &&
                    H(p->frame_obj, WA_EDGE_ATTR, WA_LS_CSTR, WA_HC_WEAK, "f_back") != 0)
                    return -1;
                break;
            }
        }
        return 0;
    }
    return iframe_hints(d, fr, WA_HC_LABEL);
#else
    static const char *const fields[] = {"f_code", "f_builtins", "f_globals", "f_locals"};
    PyObject *vals[] = {(PyObject *)f->f_code, f->f_builtins, f->f_globals, f->f_locals};
    for (int i = 0; i < 4; i++)
        if (vals[i] && H(vals[i], WA_EDGE_ATTR, WA_LS_CSTR, WA_HC_LABEL, fields[i]) != 0)
            return -1;
    PyCodeObject *co = f->f_code;
    if (!co)
        return 0;
    Py_ssize_t nl = co->co_nlocals;
    Py_ssize_t nc = co->co_cellvars ? PyTuple_GET_SIZE(co->co_cellvars) : 0;
    Py_ssize_t nf = co->co_freevars ? PyTuple_GET_SIZE(co->co_freevars) : 0;
    if (locals_hints(d, f->f_localsplus, nl, co->co_varnames, WA_HC_LABEL) != 0 ||
        locals_hints(d, f->f_localsplus + nl, nc, co->co_cellvars, WA_HC_LABEL) != 0 ||
        locals_hints(d, f->f_localsplus + nl + nc, nf, co->co_freevars, WA_HC_LABEL) != 0)
        return -1;
    return 0;
#endif
}

int wa_dump_compat_gen_hints(wa_dump *d, PyObject *o, const char *frame_label)
{
    PyGenObject *g = (PyGenObject *)o;
    if (g->gi_name && H(g->gi_name, WA_EDGE_ATTR, WA_LS_CSTR, WA_HC_LABEL, "__name__") != 0)
        return -1;
    if (g->gi_qualname &&
        H(g->gi_qualname, WA_EDGE_ATTR, WA_LS_CSTR, WA_HC_LABEL, "__qualname__") != 0)
        return -1;
#if PY_VERSION_HEX >= 0x030B0000
#if PY_VERSION_HEX < 0x030C0000
    if (g->gi_code && H(g->gi_code, WA_EDGE_ATTR, WA_LS_CSTR, WA_HC_LABEL, "gi_code") != 0)
        return -1;
#endif
    /* FRAME_CLEARED is the last state in every version (3.15 renumbered
     * the others) */
    if (g->gi_frame_state >= FRAME_CLEARED)
        return 0;
#if PY_VERSION_HEX >= 0x030E0000
    _PyInterpreterFrame *fr = &g->gi_iframe;
#else
    _PyInterpreterFrame *fr = (_PyInterpreterFrame *)g->gi_iframe;
#endif
    if (fr->frame_obj && H(fr->frame_obj, WA_EDGE_ATTR, WA_LS_CSTR, WA_HC_LABEL, frame_label) != 0)
        return -1;
    return iframe_hints(d, fr, WA_HC_LABEL);
#else
    if (g->gi_frame && H(g->gi_frame, WA_EDGE_ATTR, WA_LS_CSTR, WA_HC_LABEL, frame_label) != 0)
        return -1;
    if (g->gi_code && H(g->gi_code, WA_EDGE_ATTR, WA_LS_CSTR, WA_HC_LABEL, "gi_code") != 0)
        return -1;
    return 0;
#endif
}

/* -------------------------------------------------------------- functions */

/* The function fields that came with later versions (dump_labels.c names
 * the others). */
int wa_dump_compat_function_hints(wa_dump *d, PyObject *o)
{
    PyFunctionObject *f = (PyFunctionObject *)o;
#if PY_VERSION_HEX >= 0x030A0000
    if (f->func_builtins &&
        H(f->func_builtins, WA_EDGE_ATTR, WA_LS_CSTR, WA_HC_LABEL, "__builtins__") != 0)
        return -1;
#endif
#if PY_VERSION_HEX >= 0x030C0000
    if (f->func_typeparams &&
        H(f->func_typeparams, WA_EDGE_ATTR, WA_LS_CSTR, WA_HC_LABEL, "__type_params__") != 0)
        return -1;
#endif
#if PY_VERSION_HEX >= 0x030E0000
    /* PEP 649: the function computing __annotations__ on demand */
    if (f->func_annotate &&
        H(f->func_annotate, WA_EDGE_ATTR, WA_LS_CSTR, WA_HC_LABEL, "__annotate__") != 0)
        return -1;
#endif
    (void)d;
    (void)f;
    return 0;
}

/* ------------------------------------------------------------------- code */

/* Code objects are not GC containers: tp_traverse tells nothing, so every
 * field is an owned reference the walk must count itself. */
int wa_dump_compat_code_hints(wa_dump *d, PyObject *code)
{
    PyCodeObject *co = (PyCodeObject *)code;
#define CF(field, label)                                                                           \
    do {                                                                                           \
        if (co->field && H(co->field, WA_EDGE_ATTR, WA_LS_CSTR, WA_HC_OWNED, label) != 0)          \
            return -1;                                                                             \
    } while (0)
    CF(co_consts, "co_consts");
    CF(co_names, "co_names");
    CF(co_filename, "co_filename");
    CF(co_name, "co_name");
#if PY_VERSION_HEX >= 0x030A0000
    CF(co_linetable, "co_linetable");
#endif
#if PY_VERSION_HEX >= 0x030B0000
    CF(co_qualname, "co_qualname");
    CF(co_exceptiontable, "co_exceptiontable");
    CF(co_localsplusnames, "co_localsplusnames");
    CF(co_localspluskinds, "co_localspluskinds");
#if PY_VERSION_HEX >= 0x030C0000
    if (co->_co_cached) {
        _PyCoCached *c = co->_co_cached;
        PyObject *cv[] = {c->_co_code, c->_co_varnames, c->_co_cellvars, c->_co_freevars};
        static const char *const cn[] = {"co_code", "co_varnames", "co_cellvars", "co_freevars"};
        for (int i = 0; i < 4; i++)
            if (cv[i] && H(cv[i], WA_EDGE_ATTR, WA_LS_CSTR, WA_HC_OWNED, cn[i]) != 0)
                return -1;
    }
#else
    CF(_co_code, "co_code");
#endif
#else
    CF(co_code, "co_code");
    CF(co_varnames, "co_varnames");
    CF(co_cellvars, "co_cellvars");
    CF(co_freevars, "co_freevars");
#if PY_VERSION_HEX < 0x030A0000
    CF(co_lnotab, "co_lnotab");
#endif
#endif
#undef CF
    return 0;
}

/* ------------------------------------------------------------------ types */

int wa_dump_compat_type_hints(wa_dump *d, PyTypeObject *t)
{
    int heap = (t->tp_flags & Py_TPFLAGS_HEAPTYPE) != 0;
    /* Heap types report these through tp_traverse; static types are never
     * traversed, so for them the references are counted here. */
    uint8_t cls = heap ? WA_HC_LABEL : WA_HC_OWNED;
    PyObject *dict;
#if PY_VERSION_HEX >= 0x030C0000
    dict = PyType_GetDict(t); /* static builtins keep it in the interpreter */
    Py_XDECREF(dict);         /* still owned by the type or interpreter */
#else
    dict = t->tp_dict;
#endif
    if (dict && H(dict, WA_EDGE_ATTR, WA_LS_CSTR, cls, "__dict__") != 0)
        return -1;
    if (t->tp_mro && H(t->tp_mro, WA_EDGE_ATTR, WA_LS_CSTR, cls, "__mro__") != 0)
        return -1;
    if (t->tp_bases && H(t->tp_bases, WA_EDGE_ATTR, WA_LS_CSTR, cls, "__bases__") != 0)
        return -1;
    if (t->tp_base && H(t->tp_base, WA_EDGE_ATTR, WA_LS_CSTR, cls, "__base__") != 0)
        return -1;
    if (heap) {
        PyHeapTypeObject *ht = (PyHeapTypeObject *)t;
        if (ht->ht_name && H(ht->ht_name, WA_EDGE_ATTR, WA_LS_CSTR, WA_HC_OWNED, "__name__") != 0)
            return -1;
        if (ht->ht_qualname &&
            H(ht->ht_qualname, WA_EDGE_ATTR, WA_LS_CSTR, WA_HC_OWNED, "__qualname__") != 0)
            return -1;
        if (ht->ht_slots &&
            H(ht->ht_slots, WA_EDGE_ATTR, WA_LS_CSTR, WA_HC_OWNED, "__slots__") != 0)
            return -1;
        if (ht->ht_module &&
            H(ht->ht_module, WA_EDGE_ATTR, WA_LS_CSTR, WA_HC_LABEL, "ht_module") != 0)
            return -1;
    }
#if PY_VERSION_HEX >= 0x030C0000
    if (heap && t->tp_subclasses &&
        H(t->tp_subclasses, WA_EDGE_ATTR, WA_LS_CSTR, WA_HC_OWNED, "__subclasses__") != 0)
        return -1;
    /* Static builtin types keep their subclass registry in the interpreter;
     * tp_subclasses holds its index (1-based). */
    if (!heap && (t->tp_flags & _Py_TPFLAGS_STATIC_BUILTIN) && t->tp_subclasses) {
        size_t ix = (size_t)t->tp_subclasses - 1;
        PyInterpreterState *interp = PyInterpreterState_Get();
        PyObject *sub = NULL;
#if PY_VERSION_HEX >= 0x030D0000
        if (ix < _Py_MAX_MANAGED_STATIC_BUILTIN_TYPES)
            sub = interp->types.builtins.initialized[ix].tp_subclasses;
#else
        if (ix < _Py_MAX_STATIC_BUILTIN_TYPES)
            sub = interp->types.builtins[ix].tp_subclasses;
#endif
        if (sub && H(sub, WA_EDGE_ATTR, WA_LS_CSTR, WA_HC_OWNED, "__subclasses__") != 0)
            return -1;
    }
#else
    if (t->tp_subclasses &&
        H(t->tp_subclasses, WA_EDGE_ATTR, WA_LS_CSTR, WA_HC_OWNED, "__subclasses__") != 0)
        return -1;
#endif
    if (t->tp_cache && H(t->tp_cache, WA_EDGE_ATTR, WA_LS_CSTR, cls, "tp_cache") != 0)
        return -1;
    return 0;
}

int wa_dump_compat_dict_is_split(PyObject *dict)
{
    return ((PyDictObject *)dict)->ma_values != NULL;
}

PyObject *wa_dump_compat_gen_qualname(PyObject *gen)
{
    return ((PyGenObject *)gen)->gi_qualname;
}
