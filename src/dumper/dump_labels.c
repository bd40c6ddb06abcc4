/*
 * dump_labels.c: what the dumper knows about an object's references.
 *
 * Invariant: a labeler only reads C-level fields (struct members, dict
 * entries via PyDict_Next, PyMemberDef slots); it never calls a Python
 * method of the object, so hostile __getattr__/__eq__/__hash__/__repr__
 * cannot run. A labeler states hints; it does not decide which edges exist:
 * tp_traverse does (see dump_walk.c), and a hint only names an edge, or adds
 * one that tp_traverse is known to skip (WA_HC_OWNED).
 */
#include "dumper/dump_labels.h"

#include "dumper/dump_compat.h"
#include "dumper/dump_table.h"

#include "structmember.h"

#define H(to, kind, src, cls, name)                                                                \
    wa_dump_hint_add(d, (PyObject *)(to), (kind), (src), (cls), (name), 0)

/* During discovery, a dict that is some object's __dict__ is marked so that
 * its str keys are written as attribute names (the walk marks it in the
 * set once the object's hints are stated). */
static void mark_namespace(wa_dump *d, PyObject *dict)
{
    if (d->phase != 0 || !dict || !PyDict_Check(dict))
        return;
    if (d->n_ns < sizeof d->ns / sizeof d->ns[0])
        d->ns[d->n_ns++] = dict;
}

static int dict_hints(wa_dump *d, PyObject *o)
{
    /* When writing, the slot of the object being written is at hand. */
    int ns =
        d->phase == 1 && wa_dump_slot_obj(d->cur_slot) == o && (d->cur_slot & WA_SLOT_NAMESPACE);
    /* A split table's keys belong to the class's shared keys, not to this
     * dict: they name the values but are not references of the dict. */
    int split = wa_dump_compat_dict_is_split(o);
    uint8_t cls = split ? WA_HC_LABEL : WA_HC_OWNED;
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    while (PyDict_Next(o, &pos, &k, &v)) {
        if (H(k, WA_EDGE_DICT_KEY, WA_LS_KEY, cls, k) != 0)
            return -1;
        if (ns ? H(v, PyUnicode_CheckExact(k) ? WA_EDGE_ATTR : WA_EDGE_DICT_VALUE, WA_LS_NSKEY, cls,
                   k)
               : H(v, WA_EDGE_DICT_VALUE, WA_LS_KEY, cls, k))
            return -1;
    }
    return 0;
}

static int function_hints(wa_dump *d, PyObject *o)
{
    PyFunctionObject *f = (PyFunctionObject *)o;
    struct {
        PyObject *v;
        const char *name;
    } fields[] = {
        {f->func_code, "__code__"},         {f->func_globals, "__globals__"},
        {f->func_defaults, "__defaults__"}, {f->func_kwdefaults, "__kwdefaults__"},
        {f->func_closure, "__closure__"},   {f->func_doc, "__doc__"},
        {f->func_name, "__name__"},         {f->func_dict, "__dict__"},
        {f->func_module, "__module__"},     {f->func_annotations, "__annotations__"},
        {f->func_qualname, "__qualname__"},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (fields[i].v &&
            H(fields[i].v, WA_EDGE_ATTR, WA_LS_CSTR, WA_HC_LABEL, fields[i].name) != 0)
            return -1;
    if (wa_dump_compat_function_hints(d, o) != 0)
        return -1;
    mark_namespace(d, f->func_dict);
    /* Name the closure's cells after the code's free variables, so that
     * cell -> contents reads <closure name>. */
    if (d->phase == 0 && f->func_closure && PyTuple_Check(f->func_closure) && f->func_code &&
        PyCode_Check(f->func_code)) {
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(f->func_closure); i++) {
            PyObject *cell = PyTuple_GET_ITEM(f->func_closure, i);
            PyObject *name = wa_dump_compat_freevar_name(f->func_code, i);
            if (cell && name && PyCell_Check(cell) && wa_dump_cell_name_set(d, cell, name) != 0) {
                d->oom = 1;
                return -1;
            }
        }
    }
    return 0;
}

static int exception_hints(wa_dump *d, PyObject *o)
{
    PyBaseExceptionObject *e = (PyBaseExceptionObject *)o;
    mark_namespace(d, e->dict);
    if (e->dict && H(e->dict, WA_EDGE_ATTR, WA_LS_CSTR, WA_HC_LABEL, "__dict__") != 0)
        return -1;
    if (e->args && H(e->args, WA_EDGE_ATTR, WA_LS_CSTR, WA_HC_LABEL, "args") != 0)
        return -1;
#if PY_VERSION_HEX >= 0x030B0000
    if (e->notes && H(e->notes, WA_EDGE_ATTR, WA_LS_CSTR, WA_HC_LABEL, "__notes__") != 0)
        return -1;
#endif
    if (e->traceback &&
        H(e->traceback, WA_EDGE_ATTR, WA_LS_CSTR, WA_HC_LABEL, "__traceback__") != 0)
        return -1;
    if (e->context && H(e->context, WA_EDGE_ATTR, WA_LS_CSTR, WA_HC_LABEL, "__context__") != 0)
        return -1;
    if (e->cause && H(e->cause, WA_EDGE_ATTR, WA_LS_CSTR, WA_HC_LABEL, "__cause__") != 0)
        return -1;
    return 0;
}

/* Specific labelers for the built-in kinds; returns 1 if one applied. */
static int specific_hints(wa_dump *d, PyObject *o, int *err)
{
    PyTypeObject *tp = Py_TYPE(o);
    int r = 0;
    if (PyDict_Check(o)) {
        r = dict_hints(d, o);
    } else if ((PyList_Check(o) && !PyList_CheckExact(o)) ||
               (PyTuple_Check(o) && !PyTuple_CheckExact(o))) {
        Py_ssize_t n = PyList_Check(o) ? PyList_GET_SIZE(o) : PyTuple_GET_SIZE(o);
        for (Py_ssize_t i = 0; i < n && r == 0; i++) {
            PyObject *it = PyList_Check(o) ? PyList_GET_ITEM(o, i) : PyTuple_GET_ITEM(o, i);
            r = wa_dump_hint_add(d, it, WA_EDGE_INDEX, WA_LS_INDEX, WA_HC_LABEL, NULL,
                                 (uint32_t)(i > WA_INDEX_MAX ? WA_INDEX_MAX : i));
        }
    } else if (PyFunction_Check(o)) {
        r = function_hints(d, o);
    } else if (PyMethod_Check(o)) {
        r = H(PyMethod_GET_FUNCTION(o), WA_EDGE_ATTR, WA_LS_CSTR, WA_HC_LABEL, "__func__");
        if (!r)
            r = H(PyMethod_GET_SELF(o), WA_EDGE_ATTR, WA_LS_CSTR, WA_HC_LABEL, "__self__");
    } else if (PyCFunction_Check(o)) {
        PyCFunctionObject *f = (PyCFunctionObject *)o;
        r = H(f->m_self, WA_EDGE_ATTR, WA_LS_CSTR, WA_HC_LABEL, "__self__");
        if (!r)
            r = H(f->m_module, WA_EDGE_ATTR, WA_LS_CSTR, WA_HC_LABEL, "__module__");
    } else if (PyCell_Check(o)) {
        PyObject *name = wa_dump_cell_name_get(d, o);
        r = name ? H(PyCell_GET(o), WA_EDGE_CLOSURE, WA_LS_PYSTR, WA_HC_LABEL, name)
                 : H(PyCell_GET(o), WA_EDGE_ATTR, WA_LS_CSTR, WA_HC_LABEL, "cell_contents");
    } else if (PyModule_Check(o)) {
        PyObject *md = PyModule_GetDict(o);
        mark_namespace(d, md);
        r = H(md, WA_EDGE_ATTR, WA_LS_CSTR, WA_HC_LABEL, "__dict__");
    } else if (PyType_Check(o)) {
        PyTypeObject *t = (PyTypeObject *)o;
        PyObject *td = wa_dump_compat_type_dict(t);
        mark_namespace(d, td);
        r = wa_dump_compat_type_hints(d, t);
    } else if (PyFrame_Check(o)) {
        r = wa_dump_compat_frame_hints(d, o);
    } else if (PyGen_CheckExact(o)) {
        r = wa_dump_compat_gen_hints(d, o, "gi_frame");
    } else if (PyCoro_CheckExact(o)) {
        r = wa_dump_compat_gen_hints(d, o, "cr_frame");
    } else if (PyAsyncGen_CheckExact(o)) {
        r = wa_dump_compat_gen_hints(d, o, "ag_frame");
    } else if (PyCode_Check(o)) {
        r = wa_dump_compat_code_hints(d, o);
    } else if (PyExceptionInstance_Check(o)) {
        r = exception_hints(d, o);
    } else if (PyTraceBack_Check(o)) {
        PyTracebackObject *tb = (PyTracebackObject *)o;
        r = H(tb->tb_next, WA_EDGE_ATTR, WA_LS_CSTR, WA_HC_LABEL, "tb_next");
        if (!r)
            r = H(tb->tb_frame, WA_EDGE_ATTR, WA_LS_CSTR, WA_HC_LABEL, "tb_frame");
    } else if (PyWeakref_Check(o)) {
        PyWeakReference *wr = (PyWeakReference *)o;
        if (wr->wr_object && wr->wr_object != Py_None)
            r = H(wr->wr_object, WA_EDGE_WEAK, WA_LS_NONE, WA_HC_WEAK, NULL);
        if (!r)
            r = H(wr->wr_callback, WA_EDGE_ATTR, WA_LS_CSTR, WA_HC_LABEL, "__callback__");
    } else {
        return 0;
    }
    (void)tp;
    if (r)
        *err = 1;
    return 1;
}

/* __slots__ of Python classes and T_OBJECT members of C types: a member
 * slot holds a strong reference by the PyMemberDef contract. */
static int member_hints(wa_dump *d, PyObject *o, PyTypeObject *t)
{
    PyMemberDef *m = t->tp_members;
    if (!m)
        return 0;
    for (; m->name; m++) {
        if (m->type != T_OBJECT && m->type != T_OBJECT_EX)
            continue;
        if (m->offset <= 0 || (size_t)m->offset + sizeof(PyObject *) > (size_t)t->tp_basicsize)
            continue;
        PyObject *v = *(PyObject **)((char *)o + m->offset);
        if (v && H(v, WA_EDGE_ATTR, WA_LS_CSTR, WA_HC_OWNED, m->name) != 0)
            return -1;
    }
    return 0;
}

void wa_dump_hints_for(wa_dump *d, PyObject *o)
{
    PyTypeObject *tp = Py_TYPE(o);
    int err = 0;
    int specific = specific_hints(d, o, &err);
    if (err)
        return;
    if (PyType_Check(o))
        return; /* type's members (__base__, __mro__) were named above */
    if (tp->tp_flags & Py_TPFLAGS_HEAPTYPE) {
        /* Instances of heap types own a reference to their class. */
        if (H(tp, WA_EDGE_ATTR, WA_LS_CSTR, WA_HC_OWNED, "__class__") != 0)
            return;
    }
    if (!specific || (tp->tp_flags & Py_TPFLAGS_HEAPTYPE)) {
        PyObject **slot = PyExceptionInstance_Check(o) ? NULL : wa_dump_compat_dict_slot(o);
        if (slot && *slot) {
            mark_namespace(d, *slot);
            if (H(*slot, WA_EDGE_ATTR, WA_LS_CSTR, WA_HC_OWNED, "__dict__") != 0)
                return;
        }
        if (wa_dump_compat_instance_hints(d, o) != 0)
            return;
    }
    PyObject *mro = tp->tp_mro;
    if (mro && PyTuple_Check(mro)) {
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(mro); i++) {
            PyTypeObject *t = (PyTypeObject *)PyTuple_GET_ITEM(mro, i);
            if (!PyType_Check(t))
                continue;
            if (specific && !(t->tp_flags & Py_TPFLAGS_HEAPTYPE))
                continue;
            if (member_hints(d, o, t) != 0)
                return;
        }
    } else if (!specific && member_hints(d, o, tp) != 0) {
        return;
    }
}
