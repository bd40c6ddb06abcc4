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

#include <string.h>

#define H(to, kind, src, cls, name)                                                                \
    wa_dump_hint_add(d, (PyObject *)(to), (kind), (src), (cls), (name), 0)
/* An attribute-like name for a reference tp_traverse reports. */
#define H2(dd, to, name)                                                                           \
    wa_dump_hint_add((dd), (PyObject *)(to), WA_EDGE_ATTR, WA_LS_CSTR, WA_HC_LABEL, (name), 0)

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

/* ------------------------------------------ C types of the standard library
 *
 * Their structs are private to their modules and differ per version, so
 * these labelers read no struct. They call the C type's own tp_traverse
 * (the same references the walk collects, in the same order) and, for
 * asyncio, the getters of the C type's own PyGetSetDef table that return a
 * stored field (found through the type's tp_getset, never through an
 * attribute lookup: a Python subclass's property of that name is never
 * run). A name found that way is a WA_HC_LABEL hint: it names a reference
 * tp_traverse reports, and a wrong guess cannot invent an edge. */

/* The C type in o's MRO whose tp_name is `name` (a class defined in Python
 * has no dotted tp_name unless type() was given one: callers also require a
 * getter or a traverse of their own, which a Python class does not have). */
static PyTypeObject *c_base_named(PyObject *o, const char *name)
{
    PyObject *mro = Py_TYPE(o)->tp_mro;
    if (!mro || !PyTuple_Check(mro))
        return NULL;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(mro); i++) {
        PyTypeObject *t = (PyTypeObject *)PyTuple_GET_ITEM(mro, i);
        if (PyType_Check(t) && t->tp_name && strcmp(t->tp_name, name) == 0)
            return t;
    }
    return NULL;
}

/* A getter of t's own getset table or of its C bases' (3.14 moved Task's
 * Future fields to Future's table), NULL if none. */
static const PyGetSetDef *c_getset(PyTypeObject *t, const char *name)
{
    for (; t; t = t->tp_base) {
        for (const PyGetSetDef *g = t->tp_getset; g && g->name; g++)
            if (g->get && strcmp(g->name, name) == 0)
                return g;
    }
    return NULL;
}

/* The object a C getter returns, as a borrowed pointer to compare with
 * (the getters used return a field the object keeps: the reference is
 * dropped at once). NULL if the getter is missing or failed (cleared). */
static PyObject *c_get(PyTypeObject *t, PyObject *o, const char *name)
{
    const PyGetSetDef *g = c_getset(t, name);
    if (!g)
        return NULL;
    PyObject *v = g->get(o, g->closure);
    if (!v) {
        PyErr_Clear();
        return NULL;
    }
    Py_DECREF(v);
    return v;
}

/* The references a C type's own tp_traverse reports for o, without the
 * type itself, which heap types visit first. */
#define WA_SEQ_MAX 24
typedef struct {
    PyObject *v[WA_SEQ_MAX];
    int n, over, skip_type;
    PyObject *type;
} c_refs;

static int visit_c_refs(PyObject *o, void *arg)
{
    c_refs *s = arg;
    if (s->skip_type && s->n == 0 && o == s->type) {
        s->skip_type = 0;
        return 0;
    }
    s->skip_type = 0;
    if (s->n == WA_SEQ_MAX) {
        s->over = 1;
        return 1;
    }
    s->v[s->n++] = o;
    return 0;
}

static int c_refs_of(PyTypeObject *base, PyObject *o, c_refs *s)
{
    s->n = s->over = 0;
    s->type = (PyObject *)Py_TYPE(o);
    s->skip_type = (base->tp_flags & Py_TPFLAGS_HEAPTYPE) != 0;
    if (!base->tp_traverse)
        return -1;
    base->tp_traverse(o, visit_c_refs, s);
    return s->over ? -1 : 0;
}

static int is_context(PyObject *o)
{
    return PyContext_CheckExact(o);
}
static int is_name(PyObject *o)
{
    return PyUnicode_Check(o) || PyLong_Check(o);
}
static int is_list(PyObject *o)
{
    return PyList_CheckExact(o);
}
static int is_tb(PyObject *o)
{
    return PyTraceBack_Check(o);
}
static int is_exc(PyObject *o)
{
    return PyExceptionInstance_Check(o);
}

static int is_awaiter(PyObject *o)
{
    return Py_IS_TYPE(o, &PySet_Type) || c_base_named(o, "_asyncio.Future") != NULL;
}

/* The fields _asyncio.Task and _asyncio.Future visit, in their traverse
 * order (the same in 3.9-3.15: Task's own, then Future's): those with a
 * getter are anchors, the others are recognized by their type between the
 * anchors. Names: the attribute of the pure-Python asyncio classes where
 * there is one (so a C and a Python Task read alike), else the C field's. */
static const struct {
    const char *label, *getter;
    int (*is)(PyObject *);
    int task_only;
} fut_fields[] = {
    {"_context", NULL, is_context, 1},
    {"_coro", "_coro", NULL, 1},
    {"_name", NULL, is_name, 1},
    {"_fut_waiter", "_fut_waiter", NULL, 1},
    {"_loop", "_loop", NULL, 0},
    {"_callback0", NULL, NULL, 0}, /* followed by its context */
    {"_context0", NULL, is_context, 0},
    {"_callbacks", NULL, is_list, 0},
    {"_result", "_result", NULL, 0},
    {"_exception", "_exception", NULL, 0},
    {"_exception_tb", NULL, is_tb, 0}, /* 3.10+ */
    {"_source_traceback", "_source_traceback", NULL, 0},
    {"_cancel_message", "_cancel_message", NULL, 0},
    {"_cancelled_exc", NULL, is_exc, 0},          /* 3.11+ */
    {"_asyncio_awaited_by", NULL, is_awaiter, 0}, /* 3.14+: a Future or a set of them */
};
#define WA_FUT_FIELDS ((int)(sizeof fut_fields / sizeof fut_fields[0]))

/* 1 for a Task, 2 for a Future (instances of subclasses too), else 0;
 * *base: the C type. */
static int future_kind(PyObject *o, PyTypeObject **base)
{
    PyTypeObject *t = c_base_named(o, "_asyncio.Task");
    int kind = 1;
    if (!t) {
        t = c_base_named(o, "_asyncio.Future");
        kind = 2;
    }
    /* the C type has the getters; a Python class named so by type() not */
    if (!t || !c_getset(t, "_loop"))
        return 0;
    *base = t;
    return kind;
}

int wa_dump_future_info(PyObject *o, PyObject **coro, const char **state)
{
    PyTypeObject *t;
    int kind = future_kind(o, &t);
    *coro = NULL;
    *state = NULL;
    /* an uninitialized future (no loop) raises from the other getters */
    PyObject *loop = kind ? c_get(t, o, "_loop") : NULL;
    if (!loop || loop == Py_None)
        return kind;
    PyObject *st = c_get(t, o, "_state");
    if (st && PyUnicode_Check(st)) {
        if (PyUnicode_CompareWithASCIIString(st, "PENDING") == 0)
            *state = "pending";
        else if (PyUnicode_CompareWithASCIIString(st, "CANCELLED") == 0)
            *state = "cancelled";
        else if (PyUnicode_CompareWithASCIIString(st, "FINISHED") == 0)
            *state = "done";
    }
    if (kind == 1) {
        PyObject *c = c_get(t, o, "_coro");
        *coro = c == Py_None ? NULL : c;
    }
    return kind;
}

static int future_hints(wa_dump *d, PyObject *o, PyTypeObject *t, int task)
{
    c_refs s;
    PyObject *known[WA_FUT_FIELDS];
    const char *lab[WA_SEQ_MAX] = {0};
    if (c_refs_of(t, o, &s) != 0)
        return 0;
    PyObject *loop = c_get(t, o, "_loop");
    if (!loop || loop == Py_None)
        return 0; /* not initialized: the other getters would raise */
    for (int f = 0; f < WA_FUT_FIELDS; f++)
        known[f] = fut_fields[f].getter && (task || !fut_fields[f].task_only)
                       ? c_get(t, o, fut_fields[f].getter)
                       : NULL;
    /* Align the fields with the references: an anchor must be where the
     * order puts it (else the order is not the one assumed: only the
     * anchors are named, wherever they are); a field without a getter takes
     * the next reference if it has the field's type and is no later
     * anchor's value. A field the getter says is None holds None or
     * nothing. */
    int i = 0, ok = 1;
    for (int f = 0; f < WA_FUT_FIELDS && i < s.n && ok; f++) {
        if (fut_fields[f].task_only && !task)
            continue;
        PyObject *v = s.v[i];
        if (fut_fields[f].getter) {
            PyObject *k = known[f];
            if (k && k != Py_None) {
                if (v != k)
                    ok = 0;
                else
                    lab[i++] = fut_fields[f].label;
            } else if (k == Py_None && v == Py_None) {
                lab[i++] = fut_fields[f].label;
            }
            continue;
        }
        int later = 0;
        for (int g = f + 1; g < WA_FUT_FIELDS; g++)
            if (known[g] && known[g] != Py_None && known[g] == v)
                later = 1;
        if (later)
            continue;
        int fits = fut_fields[f].is ? fut_fields[f].is(v)
                                    : i + 1 < s.n && !PyContext_CheckExact(v) &&
                                          PyContext_CheckExact(s.v[i + 1]);
        if (fits)
            lab[i++] = fut_fields[f].label;
    }
    if (!ok) {
        memset(lab, 0, sizeof lab);
        for (int j = 0; j < s.n; j++)
            for (int f = 0; f < WA_FUT_FIELDS && !lab[j]; f++)
                if (known[f] && known[f] != Py_None && known[f] == s.v[j])
                    lab[j] = fut_fields[f].label;
    }
    for (int j = 0; j < s.n; j++)
        if (lab[j] && H(s.v[j], WA_EDGE_ATTR, WA_LS_CSTR, WA_HC_LABEL, lab[j]) != 0)
            return -1;
    return 0;
}

/* collections.deque: its traverse visits the items in order. */
typedef struct {
    wa_dump *d;
    PyObject *type;
    int skip_type, err;
    uint32_t i;
} deque_visit;

static int visit_deque_item(PyObject *o, void *arg)
{
    deque_visit *v = arg;
    if (v->skip_type) {
        v->skip_type = 0;
        if (o == v->type)
            return 0;
    }
    if (wa_dump_hint_add(v->d, o, WA_EDGE_INDEX, WA_LS_INDEX, WA_HC_LABEL, NULL,
                         v->i > WA_INDEX_MAX ? WA_INDEX_MAX : v->i) != 0) {
        v->err = 1;
        return -1;
    }
    v->i++;
    return 0;
}

static int deque_hints(wa_dump *d, PyObject *o, PyTypeObject *t)
{
    deque_visit v = {d, (PyObject *)Py_TYPE(o), (t->tp_flags & Py_TPFLAGS_HEAPTYPE) != 0, 0, 0};
    if (t->tp_traverse)
        t->tp_traverse(o, visit_deque_item, &v);
    return v.err ? -1 : 0;
}

/* functools.lru_cache's wrapper: the cache dict (the last dict it visits
 * that is not its __dict__: a bounded cache visits its entries' keys and
 * results first, in every version) and the wrapped function (its
 * __dict__'s __wrapped__, found without a lookup that could compare
 * keys). */
typedef struct {
    PyObject *dict, *wrapped, *cache, *kwd_mark, *elem_type, *info_type, *self_type;
    int wrapped_seen;
} lru_visit;

static int visit_lru(PyObject *o, void *arg)
{
    lru_visit *v = arg;
    if (PyDict_CheckExact(o) && o != v->dict)
        v->cache = o;
    else if (o == v->wrapped)
        v->wrapped_seen = 1;
    else if (Py_IS_TYPE(o, &PyBaseObject_Type))
        v->kwd_mark = o; /* the marker between positional and keyword arguments in keys */
    else if (PyType_Check(o) && o != v->self_type) {
        const char *n = ((PyTypeObject *)o)->tp_name, *dot = strrchr(n, '.');
        n = dot ? dot + 1 : n;
        if (strcmp(n, "_lru_list_elem") == 0)
            v->elem_type = o;
        else if (strcmp(n, "CacheInfo") == 0)
            v->info_type = o;
    }
    return 0;
}

static int lru_hints(wa_dump *d, PyObject *o, PyTypeObject *t)
{
    PyObject **slot = wa_dump_compat_dict_slot(o);
    lru_visit v = {slot ? *slot : NULL, NULL, NULL, NULL, NULL, NULL, (PyObject *)Py_TYPE(o), 0};
    if (v.dict && PyDict_Check(v.dict)) {
        Py_ssize_t pos = 0;
        PyObject *k, *val;
        while (PyDict_Next(v.dict, &pos, &k, &val))
            if (PyUnicode_CheckExact(k) && PyUnicode_CompareWithASCIIString(k, "__wrapped__") == 0)
                v.wrapped = val;
    }
    if (t->tp_traverse)
        t->tp_traverse(o, visit_lru, &v);
    if (v.cache && H2(d, v.cache, "cache") != 0)
        return -1;
    if (v.wrapped_seen && H2(d, v.wrapped, "__wrapped__") != 0)
        return -1;
    if (v.kwd_mark && H2(d, v.kwd_mark, "kwd_mark") != 0)
        return -1;
    if (v.elem_type && H2(d, v.elem_type, "lru_list_elem_type") != 0)
        return -1;
    if (v.info_type && H2(d, v.info_type, "cache_info_type") != 0)
        return -1;
    return 0;
}

/* contextvars.Context: its variables (a HAMT) and the context it was
 * entered from. */
static int context_hints(wa_dump *d, PyObject *o)
{
    c_refs s;
    if (c_refs_of(Py_TYPE(o), o, &s) != 0)
        return 0;
    for (int j = 0; j < s.n; j++) {
        const char *name = PyContext_CheckExact(s.v[j])                    ? "ctx_prev"
                           : strcmp(Py_TYPE(s.v[j])->tp_name, "hamt") == 0 ? "ctx_vars"
                                                                           : NULL;
        if (name && H2(d, s.v[j], name) != 0)
            return -1;
    }
    return 0;
}

/* _asyncio.FutureIter (what `await future` suspends on): its future. */
static int future_iter_hints(wa_dump *d, PyObject *o, PyTypeObject *t)
{
    c_refs s;
    if (c_refs_of(t, o, &s) != 0 || s.n != 1)
        return 0;
    return H2(d, s.v[0], "future");
}

/* Labels for C types of the standard library reached through their MRO;
 * cheap for everything else (one look at the first letter of each base's
 * name). */
static int stdlib_hints(wa_dump *d, PyObject *o)
{
    PyObject *mro = Py_TYPE(o)->tp_mro;
    if (!mro || !PyTuple_Check(mro))
        return 0;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(mro); i++) {
        PyTypeObject *t = (PyTypeObject *)PyTuple_GET_ITEM(mro, i);
        const char *n = PyType_Check(t) ? t->tp_name : NULL;
        if (!n || (n[0] != '_' && n[0] != 'c' && n[0] != 'f'))
            continue;
        if (strcmp(n, "_asyncio.Task") == 0 || strcmp(n, "_asyncio.Future") == 0) {
            PyTypeObject *b;
            int kind = future_kind(o, &b);
            return kind ? future_hints(d, o, b, kind == 1) : 0;
        }
        if (strcmp(n, "_asyncio.FutureIter") == 0)
            return future_iter_hints(d, o, t);
        if (strcmp(n, "collections.deque") == 0)
            return deque_hints(d, o, t);
        if (strcmp(n, "functools._lru_cache_wrapper") == 0)
            return lru_hints(d, o, t);
    }
    return 0;
}

/* The object a generator or coroutine is suspended on (`await x`, `yield
 * from x`): the getter of the exact C type, which reads the frame's stack. */
static int yieldfrom_hint(wa_dump *d, PyObject *o, const char *name)
{
    PyObject *yf = c_get(Py_TYPE(o), o, name);
    return yf && yf != Py_None ? H2(d, yf, name) : 0;
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
        if (!r)
            r = yieldfrom_hint(d, o, "gi_yieldfrom");
    } else if (PyCoro_CheckExact(o)) {
        r = wa_dump_compat_gen_hints(d, o, "cr_frame");
        if (!r)
            r = yieldfrom_hint(d, o, "cr_await");
    } else if (PyAsyncGen_CheckExact(o)) {
        r = wa_dump_compat_gen_hints(d, o, "ag_frame");
        if (!r)
            r = yieldfrom_hint(d, o, "ag_await");
    } else if (PyContext_CheckExact(o)) {
        r = context_hints(d, o);
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
    if (!specific && stdlib_hints(d, o) != 0)
        return;
    PyObject *mro = tp->tp_mro;
    if (mro && PyTuple_Check(mro)) {
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(mro); i++) {
            PyTypeObject *t = (PyTypeObject *)PyTuple_GET_ITEM(mro, i);
            if (!PyType_Check(t))
                continue;
            /* the specific labeler named the built-in base's fields; the
             * members of a C subclass (defaultdict's default_factory)
             * are still named */
            if (specific && !(t->tp_flags & Py_TPFLAGS_HEAPTYPE) &&
                !(PyDict_Check(o) && t != &PyDict_Type && t != &PyBaseObject_Type))
                continue;
            if (member_hints(d, o, t) != 0)
                return;
        }
    } else if (!specific && member_hints(d, o, tp) != 0) {
        return;
    }
}
