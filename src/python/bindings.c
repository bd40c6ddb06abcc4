/*
 * bindings.c: whyalive.load() and the Snapshot, Object and Selection types:
 * the offline analyzer's library seen from Python. The views shaped like the
 * CLI's --json are in bindings_views.c; the invariants are in bindings.h.
 */
#include "python/bindings.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "whyalive/text.h"

PyObject *wa_selector_error;

/* ------------------------------------------------------------------ errors */

PyObject *wa_py_raise(wa_error *err)
{
    const char *msg = wa_error_string(err);
    switch (err->code) {
    case WA_ERR_IO:
        PyErr_SetString(PyExc_OSError, msg);
        break;
    case WA_ERR_NOMEM:
        PyErr_SetString(PyExc_MemoryError, msg);
        break;
    case WA_ERR_SELECTOR: {
        /* SelectorError(message, column): .column says where it went wrong */
        PyObject *col = err->offset == WA_POS_NONE ? (Py_INCREF(Py_None), Py_None)
                                                   : PyLong_FromUnsignedLongLong(err->offset);
        PyObject *exc = col ? PyObject_CallFunction(wa_selector_error, "s", msg) : NULL;
        if (exc) {
            PyObject_SetAttrString(exc, "column", col);
            PyErr_SetObject(wa_selector_error, exc);
            Py_DECREF(exc);
        }
        Py_XDECREF(col);
        break;
    }
    case WA_ERR_RENDER:
        PyErr_SetString(PyExc_RuntimeError, msg);
        break;
    case WA_ERR_UNSUPPORTED:
        PyErr_SetString(PyExc_NotImplementedError, msg);
        break;
    default: /* format, limit, argument */
        PyErr_SetString(PyExc_ValueError, msg);
        break;
    }
    return NULL;
}

int wa_py_closed(const wa_pysnap *s)
{
    if (s->snap)
        return 0;
    PyErr_SetString(PyExc_ValueError, "whyalive: snapshot is closed");
    return 1;
}

/* ---------------------------------------------------------- lazy analyses */

/* The session computes each analysis once, whichever thread asks first; the
 * others wait for it (on the session's lock, without the GIL). */
const wa_dom *wa_py_dom(wa_pysnap *s)
{
    if (wa_py_closed(s))
        return NULL;
    const wa_dom *d = wa_session_dom_if_built(s->session);
    if (d)
        return d;
    wa_error err;
    wa_error_clear(&err);
    wa_session *session = s->session;
    WA_NOGIL(s, d = wa_session_dom(session, &err));
    if (!d)
        wa_py_raise(&err);
    return d;
}

const wa_path_tree *wa_py_tree(wa_pysnap *s)
{
    if (wa_py_closed(s))
        return NULL;
    wa_error err;
    wa_error_clear(&err);
    const wa_path_tree *t = NULL;
    wa_session *session = s->session;
    WA_NOGIL(s, t = wa_session_tree(session, &err));
    if (!t)
        wa_py_raise(&err);
    return t;
}

PyObject *wa_py_tname(wa_pysnap *s, uint32_t type)
{
    if (!s->tnames) {
        uint32_t n = wa_snapshot_n_types(s->snap);
        s->tnames = PyMem_Calloc(n ? n : 1, sizeof *s->tnames);
        if (!s->tnames) {
            PyErr_NoMemory();
            return NULL;
        }
        s->n_tnames = n;
    }
    if (type >= s->n_tnames) {
        PyErr_SetString(PyExc_IndexError, "whyalive: type index out of range");
        return NULL;
    }
    if (!s->tnames[type]) {
        s->tnames[type] = PyUnicode_FromString(wa_snapshot_type_name(s->snap, type));
        if (s->tnames[type])
            PyUnicode_InternInPlace(&s->tnames[type]);
    }
    return s->tnames[type];
}

/* ------------------------------------------------------------------ load */

typedef struct load_job {
    const char *path;
    wa_snapshot *snap;
    wa_index *ix;
    wa_error err;
} load_job;

const char wa_py_load_doc[] =
    "load(path, index=True)\n--\n\n"
    "Load a snapshot file (binary .wa or JSON Lines, told apart by its first\n"
    "bytes) and return a Snapshot. Raises OSError when the file cannot be read\n"
    "and ValueError (with the file, line or byte offset, and what was expected)\n"
    "when it is malformed. The GIL is released while the file is read.\n"
    "index: use the sidecar index PATH.wai (read the dominators and paths it\n"
    "holds, write what is computed); False (or WHYALIVE_NO_INDEX=1) neither\n"
    "reads nor writes it.";

PyObject *wa_py_load(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    static char *kwlist[] = {"path", "index", NULL};
    PyObject *pathobj = NULL;
    int use_index = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O&|p:load", kwlist, PyUnicode_FSDecoder, &pathobj,
                                     &use_index))
        return NULL;
    PyObject *bytes = PyUnicode_EncodeFSDefault(pathobj);
    if (!bytes) {
        Py_DECREF(pathobj);
        return NULL;
    }
    load_job job;
    job.path = PyBytes_AS_STRING(bytes);
    job.snap = NULL;
    job.ix = NULL;
    wa_error_clear(&job.err);
    /* the dump's identity is taken before it is loaded (whyalive/index.h) */
    Py_BEGIN_ALLOW_THREADS if (use_index && strcmp(job.path, "-") != 0) job.ix =
        wa_index_open(job.path, WA_INDEX_READ | WA_INDEX_WRITE, &job.err);
    job.snap = wa_snapshot_load(job.path, NULL, &job.err);
    Py_END_ALLOW_THREADS;
    Py_DECREF(bytes);
    if (!job.snap) {
        wa_index_free(job.ix);
        Py_DECREF(pathobj);
        return wa_py_raise(&job.err);
    }
    wa_pysnap *s = PyObject_New(wa_pysnap, &wa_pysnap_type);
    if (!s) {
        wa_snapshot_free(job.snap);
        Py_DECREF(pathobj);
        return NULL;
    }
    s->snap = job.snap;
    s->busy = 0;
    s->path = pathobj;
    s->tnames = NULL;
    s->n_tnames = 0;
    s->weakrefs = NULL;
    s->session = wa_session_new(job.snap, &job.err);
    if (!s->session) {
        wa_index_free(job.ix);
        Py_DECREF(s);
        return wa_py_raise(&job.err);
    }
    wa_session_set_index(s->session, job.ix, NULL, NULL);
    return (PyObject *)s;
}

/* --------------------------------------------------------------- Snapshot */

static void snap_release(wa_pysnap *s)
{
    if (s->tnames) {
        for (uint32_t i = 0; i < s->n_tnames; i++)
            Py_XDECREF(s->tnames[i]);
        PyMem_Free(s->tnames);
        s->tnames = NULL;
    }
    /* The session borrows the snapshot: it goes first. */
    wa_session_free(s->session);
    s->session = NULL;
    wa_snapshot_free(s->snap);
    s->snap = NULL;
}

static void snap_dealloc(wa_pysnap *s)
{
    if (s->weakrefs)
        PyObject_ClearWeakRefs((PyObject *)s);
    snap_release(s);
    Py_XDECREF(s->path);
    PyObject_Free(s);
}

static PyObject *snap_close(wa_pysnap *s, PyObject *unused)
{
    (void)unused;
    if (s->busy) {
        PyErr_SetString(PyExc_RuntimeError,
                        "whyalive: Snapshot.close(): another thread is computing on it");
        return NULL;
    }
    snap_release(s);
    Py_RETURN_NONE;
}

static PyObject *snap_enter(wa_pysnap *s, PyObject *unused)
{
    (void)unused;
    if (wa_py_closed(s))
        return NULL;
    Py_INCREF(s);
    return (PyObject *)s;
}

static PyObject *snap_exit(wa_pysnap *s, PyObject *args)
{
    (void)args;
    PyObject *r = snap_close(s, NULL);
    if (!r)
        return NULL;
    Py_DECREF(r);
    Py_RETURN_FALSE;
}

static Py_ssize_t snap_len(wa_pysnap *s)
{
    if (wa_py_closed(s))
        return -1;
    return (Py_ssize_t)wa_snapshot_n_objects(s->snap);
}

PyObject *wa_py_handle(wa_pysnap *s, uint32_t idx)
{
    wa_pyobj *o = PyObject_New(wa_pyobj, &wa_pyobj_type);
    if (!o)
        return NULL;
    Py_INCREF(s);
    o->s = s;
    o->idx = idx;
    return (PyObject *)o;
}

static PyObject *snap_item(wa_pysnap *s, Py_ssize_t i)
{
    if (wa_py_closed(s))
        return NULL;
    Py_ssize_t n = (Py_ssize_t)wa_snapshot_n_objects(s->snap);
    if (i < 0 || i >= n) {
        PyErr_SetString(PyExc_IndexError, "whyalive: object index out of range");
        return NULL;
    }
    return wa_py_handle(s, (uint32_t)i);
}

static PyObject *snap_repr(wa_pysnap *s)
{
    if (!s->snap)
        return PyUnicode_FromFormat("<whyalive.Snapshot %R (closed)>", s->path);
    return PyUnicode_FromFormat("<whyalive.Snapshot %R: %u objects, %u edges, %u roots>", s->path,
                                wa_snapshot_n_objects(s->snap), wa_snapshot_n_edges(s->snap),
                                wa_snapshot_n_roots(s->snap));
}

static PyObject *snap_get_path(wa_pysnap *s, void *c)
{
    (void)c;
    Py_INCREF(s->path);
    return s->path;
}

static PyObject *snap_get_closed(wa_pysnap *s, void *c)
{
    (void)c;
    return PyBool_FromLong(s->snap == NULL);
}

#define SNAP_COUNT(fn)                                                                             \
    static PyObject *snap_get_##fn(wa_pysnap *s, void *c)                                          \
    {                                                                                              \
        (void)c;                                                                                   \
        if (wa_py_closed(s))                                                                       \
            return NULL;                                                                           \
        return PyLong_FromUnsignedLongLong(wa_snapshot_##fn(s->snap));                             \
    }
SNAP_COUNT(n_objects)
SNAP_COUNT(n_edges)
SNAP_COUNT(n_roots)
SNAP_COUNT(n_types)
SNAP_COUNT(total_size)
SNAP_COUNT(dangling)
SNAP_COUNT(memory)

int wa_pj_put(PyObject *d, const char *key, PyObject *v)
{
    if (!v)
        return -1;
    int r = PyDict_SetItemString(d, key, v);
    Py_DECREF(v);
    return r;
}

PyObject *wa_py_obj_dict(wa_pysnap *s, uint32_t obj)
{
    wa_view_source src = {s->session, NULL};
    wa_error err;
    wa_error_clear(&err);
    return wa_py_view_dict(wa_view_object(&src, obj, &err), &err);
}

PyObject *wa_py_root_dict(wa_pysnap *s, uint32_t root)
{
    wa_view_source src = {s->session, NULL};
    wa_error err;
    wa_error_clear(&err);
    return wa_py_view_dict(wa_view_root(&src, root, &err), &err);
}

/* One item of the `info` view's document (the JSON of `whyalive info
 * --json`), converted: meta and format_version come from the CLI's own
 * document, so they have its shape. */
static PyObject *snap_info_item(wa_pysnap *s, const char *key)
{
    if (wa_py_closed(s))
        return NULL;
    wa_view_source src = {s->session, NULL};
    wa_view_info_extra x = {NULL, 0, 0.0};
    wa_error err;
    wa_error_clear(&err);
    wa_view *v = wa_view_info(&src, &x, &err);
    if (!v)
        return wa_py_raise(&err);
    PyObject *r = wa_py_from_json(cJSON_GetObjectItemCaseSensitive(wa_view_doc(v), key));
    wa_view_free(v);
    return r;
}

static PyObject *snap_get_meta(wa_pysnap *s, void *c)
{
    (void)c;
    return snap_info_item(s, "meta");
}

static PyObject *snap_get_format_version(wa_pysnap *s, void *c)
{
    (void)c;
    return snap_info_item(s, "format_version");
}

/* Per-type name strings shared by every object: a 1M-entry list costs one
 * pointer store and one incref per object. */
static PyObject *snap_types(wa_pysnap *s, PyObject *unused)
{
    (void)unused;
    if (wa_py_closed(s))
        return NULL;
    uint32_t n = wa_snapshot_n_objects(s->snap);
    const wa_object *objs = wa_snapshot_objects(s->snap);
    uint32_t nt = wa_snapshot_n_types(s->snap);
    for (uint32_t t = 0; t < nt; t++)
        if (!wa_py_tname(s, t))
            return NULL;
    PyObject *l = PyList_New(n);
    if (!l)
        return NULL;
    for (uint32_t i = 0; i < n; i++) {
        PyObject *name = s->tnames[objs[i].type];
        Py_INCREF(name);
        PyList_SET_ITEM(l, i, name);
    }
    return l;
}

static PyObject *snap_type_names(wa_pysnap *s, PyObject *unused)
{
    (void)unused;
    if (wa_py_closed(s))
        return NULL;
    uint32_t nt = wa_snapshot_n_types(s->snap);
    PyObject *l = PyList_New(nt);
    for (uint32_t t = 0; l && t < nt; t++) {
        PyObject *name = wa_py_tname(s, t);
        if (!name) {
            Py_CLEAR(l);
            break;
        }
        Py_INCREF(name);
        PyList_SET_ITEM(l, t, name);
    }
    return l;
}

/* array.array(code, raw bytes) */
static PyObject *make_array(const char *code, const void *data, size_t bytes)
{
    PyObject *mod = PyImport_ImportModule("array");
    if (!mod)
        return NULL;
    PyObject *arr = PyObject_CallMethod(mod, "array", "s", code);
    Py_DECREF(mod);
    if (!arr)
        return NULL;
    PyObject *b = PyBytes_FromStringAndSize(data, (Py_ssize_t)bytes);
    PyObject *r = b ? PyObject_CallMethod(arr, "frombytes", "O", b) : NULL;
    Py_XDECREF(b);
    if (!r) {
        Py_DECREF(arr);
        return NULL;
    }
    Py_DECREF(r);
    return arr;
}

static const char snap_column_doc[] =
    "column(name) -> array.array\n--\n\n"
    "One field of every object, in index order, as a compact array (for bulk\n"
    "work, numpy.frombuffer or pandas): 'type' (type index, 'I'; names in\n"
    "type_names()), 'size', 'address', 'retained' ('Q'; retained computes the\n"
    "dominator tree once), 'refcount', 'length', 'flags' ('I').";

static PyObject *snap_column(wa_pysnap *s, PyObject *arg)
{
    if (wa_py_closed(s))
        return NULL;
    const char *name = PyUnicode_Check(arg) ? PyUnicode_AsUTF8(arg) : NULL;
    if (!name) {
        PyErr_SetString(PyExc_TypeError, "column(): name must be a str");
        return NULL;
    }
    uint32_t n = wa_snapshot_n_objects(s->snap);
    const wa_object *o = wa_snapshot_objects(s->snap);
    if (!strcmp(name, "retained")) {
        const wa_dom *dom = wa_py_dom(s);
        return dom ? make_array("Q", dom->retained, (size_t)n * 8) : NULL;
    }
    int wide = !strcmp(name, "size") || !strcmp(name, "address");
    if (!wide && strcmp(name, "type") && strcmp(name, "refcount") && strcmp(name, "length") &&
        strcmp(name, "flags")) {
        PyErr_Format(PyExc_ValueError,
                     "column(): unknown field '%s' (type, size, address, retained, refcount, "
                     "length, flags)",
                     name);
        return NULL;
    }
    size_t w = wide ? 8 : 4;
    char *buf = PyMem_Malloc(n ? (size_t)n * w : 1);
    if (!buf)
        return PyErr_NoMemory();
    for (uint32_t i = 0; i < n; i++) {
        uint64_t v64 = 0;
        uint32_t v32 = 0;
        switch (name[0]) {
        case 's':
            v64 = o[i].size;
            break;
        case 'a':
            v64 = o[i].addr;
            break;
        case 't':
            v32 = o[i].type;
            break;
        case 'r':
            v32 = o[i].refcount;
            break;
        case 'l':
            v32 = o[i].length;
            break;
        default:
            v32 = o[i].flags;
            break;
        }
        if (wide)
            memcpy(buf + (size_t)i * 8, &v64, 8);
        else
            memcpy(buf + (size_t)i * 4, &v32, 4);
    }
    PyObject *r = make_array(wide ? "Q" : "I", buf, (size_t)n * w);
    PyMem_Free(buf);
    return r;
}

static PyObject *snap_find(wa_pysnap *s, PyObject *arg)
{
    if (wa_py_closed(s))
        return NULL;
    unsigned long long a = PyLong_AsUnsignedLongLong(arg);
    if (a == (unsigned long long)-1 && PyErr_Occurred()) {
        PyErr_Clear();
        if (PyUnicode_Check(arg)) {
            PyObject *i = PyLong_FromUnicodeObject(arg, 0);
            if (!i)
                return NULL;
            a = PyLong_AsUnsignedLongLong(i);
            Py_DECREF(i);
            if (PyErr_Occurred())
                return NULL;
        } else {
            PyErr_SetString(PyExc_TypeError, "find(): address must be an int or '0x...' str");
            return NULL;
        }
    }
    uint32_t idx = wa_snapshot_find(s->snap, (uint64_t)a);
    if (idx == WA_NONE)
        Py_RETURN_NONE;
    return wa_py_handle(s, idx);
}

static const char snap_select_doc[] =
    "select(selector=None, limit=None) -> Selection\n--\n\n"
    "The objects a selector matches (docs/selectors.md), e.g.\n"
    "'type=ConversationTranscriber and retained>1MB', in index order, at most\n"
    "`limit` of them (Selection.total counts every match). None selects\n"
    "everything. A syntax error raises SelectorError (a ValueError) whose\n"
    "message and .column point at the offending character.";

static PyObject *sel_new(wa_pysnap *s, uint32_t *objs, uint32_t n, uint32_t total, PyObject *text)
{
    wa_pysel *sel = PyObject_New(wa_pysel, &wa_pysel_type);
    if (!sel) {
        PyMem_Free(objs);
        return NULL;
    }
    Py_INCREF(s);
    sel->s = s;
    sel->objs = objs;
    sel->n = n;
    sel->total = total;
    Py_INCREF(text);
    sel->text = text;
    return (PyObject *)sel;
}

/* Selector text -> index list (PyMem). */
static int run_selector(wa_pysnap *s, PyObject *textobj, uint32_t limit, uint32_t **out,
                        uint32_t *n, uint32_t *total)
{
    wa_error err;
    wa_error_clear(&err);
    wa_selector *sel = NULL;
    if (textobj != Py_None) {
        const char *text = PyUnicode_AsUTF8(textobj);
        if (!text)
            return -1;
        sel = wa_select_parse(text, &err);
        if (!sel) {
            wa_py_raise(&err);
            return -1;
        }
    }
    const wa_dom *dom = NULL;
    if (sel && wa_select_needs_dom(sel) && !(dom = wa_py_dom(s))) {
        wa_select_free(sel);
        return -1;
    }
    wa_objlist *l = NULL;
    const wa_snapshot *snap = s->snap;
    WA_NOGIL(s, l = wa_select_run(sel, snap, dom, limit, &err));
    wa_select_free(sel);
    if (!l) {
        wa_py_raise(&err);
        return -1;
    }
    *out = PyMem_Malloc(l->n ? (size_t)l->n * sizeof(uint32_t) : 1);
    if (!*out) {
        wa_objlist_free(l);
        PyErr_NoMemory();
        return -1;
    }
    if (l->n)
        memcpy(*out, l->objs, (size_t)l->n * sizeof(uint32_t));
    *n = l->n;
    *total = l->total;
    wa_objlist_free(l);
    return 0;
}

static int parse_limit(PyObject *o, uint32_t *limit)
{
    *limit = 0;
    if (!o || o == Py_None)
        return 0;
    unsigned long v = PyLong_AsUnsignedLong(o);
    if (PyErr_Occurred()) {
        PyErr_SetString(PyExc_ValueError, "limit must be None or an int >= 0");
        return -1;
    }
    *limit = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
    return 0;
}

static PyObject *snap_select(wa_pysnap *s, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"selector", "limit", NULL};
    PyObject *text = Py_None, *lim = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|OO:select", kwlist, &text, &lim))
        return NULL;
    if (wa_py_closed(s))
        return NULL;
    if (text != Py_None && !PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "select(): selector must be a str or None");
        return NULL;
    }
    uint32_t limit, *objs = NULL, n = 0, total = 0;
    if (parse_limit(lim, &limit) || run_selector(s, text, limit, &objs, &n, &total))
        return NULL;
    return sel_new(s, objs, n, total, text);
}

static int same_snapshot(wa_pysnap *s, wa_pysnap *other)
{
    if (s == other)
        return 0;
    PyErr_SetString(PyExc_ValueError, "whyalive: these objects belong to another snapshot");
    return -1;
}

uint32_t wa_py_one_object(wa_pysnap *s, PyObject *arg)
{
    if (wa_py_closed(s))
        return WA_NONE;
    if (PyObject_TypeCheck(arg, &wa_pyobj_type)) {
        wa_pyobj *o = (wa_pyobj *)arg;
        return same_snapshot(s, o->s) ? WA_NONE : o->idx;
    }
    if (PyLong_Check(arg)) {
        unsigned long long a = PyLong_AsUnsignedLongLong(arg);
        if (PyErr_Occurred())
            return WA_NONE;
        uint32_t idx = wa_snapshot_find(s->snap, (uint64_t)a);
        if (idx == WA_NONE)
            PyErr_Format(PyExc_KeyError, "whyalive: no object at address 0x%llx in this snapshot",
                         a);
        return idx;
    }
    PyErr_Format(PyExc_TypeError, "whyalive: expected an Object or an address, not %.80s",
                 Py_TYPE(arg)->tp_name);
    return WA_NONE;
}

int wa_py_objects_arg(wa_pysnap *s, PyObject *arg, uint32_t limit, uint32_t **out, uint32_t *n,
                      uint32_t *total, PyObject **text)
{
    *out = NULL;
    *n = *total = 0;
    *text = Py_None;
    Py_INCREF(Py_None);
    if (wa_py_closed(s))
        return -1;
    if (PyUnicode_Check(arg)) {
        Py_INCREF(arg);
        Py_SETREF(*text, arg);
        return run_selector(s, arg, limit, out, n, total);
    }
    if (PyObject_TypeCheck(arg, &wa_pysel_type)) {
        wa_pysel *sel = (wa_pysel *)arg;
        if (same_snapshot(s, sel->s))
            return -1;
        uint32_t k = limit && limit < sel->n ? limit : sel->n;
        *out = PyMem_Malloc(k ? (size_t)k * sizeof(uint32_t) : 1);
        if (!*out) {
            PyErr_NoMemory();
            return -1;
        }
        if (k)
            memcpy(*out, sel->objs, (size_t)k * sizeof(uint32_t));
        *n = k;
        *total = sel->n;
        Py_INCREF(sel->text);
        Py_SETREF(*text, sel->text);
        return 0;
    }
    if (PyObject_TypeCheck(arg, &wa_pyobj_type) || PyLong_Check(arg)) {
        uint32_t idx = wa_py_one_object(s, arg);
        if (idx == WA_NONE)
            return -1;
        *out = PyMem_Malloc(sizeof(uint32_t));
        if (!*out) {
            PyErr_NoMemory();
            return -1;
        }
        (*out)[0] = idx;
        *n = *total = 1;
        return 0;
    }
    PyObject *seq = PySequence_Fast(arg, "whyalive: expected a selector str, a Selection, an "
                                         "Object, an address, or an iterable of those");
    if (!seq)
        return -1;
    Py_ssize_t m = PySequence_Fast_GET_SIZE(seq);
    uint32_t k = limit && (Py_ssize_t)limit < m ? limit : (uint32_t)m;
    *out = PyMem_Malloc(k ? (size_t)k * sizeof(uint32_t) : 1);
    if (!*out) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return -1;
    }
    for (uint32_t i = 0; i < k; i++) {
        uint32_t idx = wa_py_one_object(s, PySequence_Fast_GET_ITEM(seq, i));
        if (idx == WA_NONE) {
            Py_DECREF(seq);
            PyMem_Free(*out);
            *out = NULL;
            return -1;
        }
        (*out)[i] = idx;
    }
    *n = k;
    *total = (uint32_t)m;
    Py_DECREF(seq);
    return 0;
}

static PyObject *snap_objects(wa_pysnap *s, PyObject *unused)
{
    (void)unused;
    if (wa_py_closed(s))
        return NULL;
    uint32_t n = wa_snapshot_n_objects(s->snap);
    uint32_t *all = PyMem_Malloc(n ? (size_t)n * sizeof(uint32_t) : 1);
    if (!all)
        return PyErr_NoMemory();
    for (uint32_t i = 0; i < n; i++)
        all[i] = i;
    return sel_new(s, all, n, n, Py_None);
}

static PyObject *pair_list(wa_pysnap *s, uint32_t obj, int forward)
{
    PyObject *l = PyList_New(0);
    if (!l)
        return NULL;
    char lab[512];
    if (forward) {
        const wa_edge *e;
        uint32_t k = wa_snapshot_out(s->snap, obj, &e);
        for (uint32_t i = 0; i < k; i++) {
            wa_label_format(s->snap, e[i].label, lab, sizeof lab);
            PyObject *t = Py_BuildValue("(sN)", lab, wa_py_handle(s, e[i].to));
            if (!t || PyList_Append(l, t) != 0) {
                Py_XDECREF(t);
                Py_DECREF(l);
                return NULL;
            }
            Py_DECREF(t);
        }
        return l;
    }
    const uint32_t *src;
    uint32_t k = wa_snapshot_in(s->snap, obj, &src);
    for (uint32_t i = 0; i < k; i++) {
        /* the occurrence of src[i] among earlier referrers picks its edge */
        uint32_t occ = 0;
        for (uint32_t j = 0; j < i; j++)
            occ += src[j] == src[i];
        wa_label_format(s->snap, wa_snapshot_edge_label(s->snap, src[i], obj, occ), lab,
                        sizeof lab);
        PyObject *t = Py_BuildValue("(sN)", lab, wa_py_handle(s, src[i]));
        if (!t || PyList_Append(l, t) != 0) {
            Py_XDECREF(t);
            Py_DECREF(l);
            return NULL;
        }
        Py_DECREF(t);
    }
    return l;
}

static const char snap_referents_doc[] =
    "referents(obj) -> list[tuple[str, Object]]\n--\n\n"
    "What obj refers to: (edge label, object) pairs in the dump's order, e.g.\n"
    "('.transcriber', <Object ...>), (\"['req-1']\", ...), ('[3]', ...).";

static PyObject *snap_referents(wa_pysnap *s, PyObject *arg)
{
    uint32_t idx = wa_py_one_object(s, arg);
    return idx == WA_NONE ? NULL : pair_list(s, idx, 1);
}

static const char snap_referrers_doc[] =
    "referrers(obj) -> list[tuple[str, Object]]\n--\n\n"
    "Who refers to obj: (edge label, referrer) pairs, one per reference.";

static PyObject *snap_referrers(wa_pysnap *s, PyObject *arg)
{
    uint32_t idx = wa_py_one_object(s, arg);
    return idx == WA_NONE ? NULL : pair_list(s, idx, 0);
}

static const char snap_dominator_doc[] =
    "dominator(obj) -> Object | None\n--\n\n"
    "The immediate dominator of obj: the nearest object every retention path to\n"
    "obj goes through (free it and obj goes too). None when only the roots\n"
    "dominate obj, or when no root reaches it. The dominator tree is computed\n"
    "once per Snapshot, without the GIL.";

static PyObject *snap_dominator(wa_pysnap *s, PyObject *arg)
{
    uint32_t idx = wa_py_one_object(s, arg);
    if (idx == WA_NONE)
        return NULL;
    const wa_dom *dom = wa_py_dom(s);
    if (!dom)
        return NULL;
    uint32_t d = dom->idom[idx];
    if (d == WA_NONE || d == WA_DOM_SUPER)
        Py_RETURN_NONE;
    return wa_py_handle(s, d);
}

static const char snap_dominator_chain_doc[] =
    "dominator_chain(obj) -> list[Object]\n--\n\n"
    "Every dominator of obj, nearest first (excluding obj and the roots' super-root).";

static PyObject *snap_dominator_chain(wa_pysnap *s, PyObject *arg)
{
    uint32_t idx = wa_py_one_object(s, arg);
    if (idx == WA_NONE)
        return NULL;
    const wa_dom *dom = wa_py_dom(s);
    if (!dom)
        return NULL;
    uint32_t k = wa_dom_chain(dom, idx, NULL, 0);
    uint32_t *buf = PyMem_Malloc(k ? (size_t)k * sizeof(uint32_t) : 1);
    if (!buf)
        return PyErr_NoMemory();
    wa_dom_chain(dom, idx, buf, k);
    PyObject *l = PyList_New(k);
    for (uint32_t i = 0; l && i < k; i++) {
        PyObject *h = wa_py_handle(s, buf[i]);
        if (!h) {
            Py_CLEAR(l);
            break;
        }
        PyList_SET_ITEM(l, i, h);
    }
    PyMem_Free(buf);
    return l;
}

static PyObject *snap_roots(wa_pysnap *s, PyObject *unused)
{
    (void)unused;
    if (wa_py_closed(s))
        return NULL;
    uint32_t n = wa_snapshot_n_roots(s->snap);
    const wa_root *r = wa_snapshot_roots(s->snap);
    PyObject *l = PyList_New(n);
    for (uint32_t i = 0; l && i < n; i++) {
        PyObject *d = wa_py_root_dict(s, i);
        if (!d || wa_pj_put(d, "object", wa_py_handle(s, r[i].obj)) != 0) {
            Py_XDECREF(d);
            Py_CLEAR(l);
            break;
        }
        PyList_SET_ITEM(l, i, d);
    }
    return l;
}

static PyObject *snap_compute(wa_pysnap *s, PyObject *unused)
{
    (void)unused;
    if (!wa_py_dom(s) || !wa_py_tree(s))
        return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef snap_methods[] = {
    {"close", (PyCFunction)snap_close, METH_NOARGS,
     "close()\n--\n\nFree the snapshot's memory now (also done by `with` and at garbage "
     "collection). Later use of the Snapshot or its handles raises ValueError."},
    {"__enter__", (PyCFunction)snap_enter, METH_NOARGS, NULL},
    {"__exit__", (PyCFunction)snap_exit, METH_VARARGS, NULL},
    {"select", (PyCFunction)(void (*)(void))snap_select, METH_VARARGS | METH_KEYWORDS,
     snap_select_doc},
    {"objects", (PyCFunction)snap_objects, METH_NOARGS,
     "objects() -> Selection\n--\n\nEvery object, as a Selection of handles."},
    {"find", (PyCFunction)snap_find, METH_O,
     "find(address) -> Object | None\n--\n\nThe object at an address (int, or '0x...')."},
    {"types", (PyCFunction)snap_types, METH_NOARGS,
     "types() -> list[str]\n--\n\nThe full type name of every object, in index order "
     "(one shared str per type: fast for a million objects)."},
    {"type_names", (PyCFunction)snap_type_names, METH_NOARGS,
     "type_names() -> list[str]\n--\n\nThe type table: full name per type index."},
    {"column", (PyCFunction)snap_column, METH_O, snap_column_doc},
    {"roots", (PyCFunction)snap_roots, METH_NOARGS,
     "roots() -> list[dict]\n--\n\nEvery root: kind, label, excess, text, and the object."},
    {"referents", (PyCFunction)snap_referents, METH_O, snap_referents_doc},
    {"referrers", (PyCFunction)snap_referrers, METH_O, snap_referrers_doc},
    {"dominator", (PyCFunction)snap_dominator, METH_O, snap_dominator_doc},
    {"dominator_chain", (PyCFunction)snap_dominator_chain, METH_O, snap_dominator_chain_doc},
    {"compute", (PyCFunction)snap_compute, METH_NOARGS,
     "compute()\n--\n\nCompute the dominator tree and the path tree now (they are otherwise "
     "computed on first use), without the GIL."},
    {"summary", (PyCFunction)(void (*)(void))wa_snap_summary, METH_VARARGS | METH_KEYWORDS,
     wa_snap_summary_doc},
    {"paths", (PyCFunction)(void (*)(void))wa_snap_paths, METH_VARARGS | METH_KEYWORDS,
     wa_snap_paths_doc},
    {"clusters", (PyCFunction)(void (*)(void))wa_snap_clusters, METH_VARARGS | METH_KEYWORDS,
     wa_snap_clusters_doc},
    {"retainers", (PyCFunction)(void (*)(void))wa_snap_retainers, METH_VARARGS | METH_KEYWORDS,
     wa_snap_retainers_doc},
    {"dominators", (PyCFunction)(void (*)(void))wa_snap_dominators, METH_VARARGS | METH_KEYWORDS,
     wa_snap_dominators_doc},
    {"holders", (PyCFunction)(void (*)(void))wa_snap_holders, METH_VARARGS | METH_KEYWORDS,
     wa_snap_holders_doc},
    {"cut", (PyCFunction)(void (*)(void))wa_snap_cut, METH_VARARGS | METH_KEYWORDS,
     wa_snap_cut_doc},
    {"diff", (PyCFunction)(void (*)(void))wa_snap_diff, METH_VARARGS | METH_KEYWORDS,
     wa_snap_diff_doc},
    {"suspects", (PyCFunction)(void (*)(void))wa_snap_suspects, METH_VARARGS | METH_KEYWORDS,
     wa_snap_suspects_doc},
    {"report", (PyCFunction)(void (*)(void))wa_snap_report, METH_VARARGS | METH_KEYWORDS,
     wa_snap_report_doc},
    {"graph", (PyCFunction)(void (*)(void))wa_snap_graph, METH_VARARGS | METH_KEYWORDS,
     wa_snap_graph_doc},
    {NULL, NULL, 0, NULL},
};

static int wa_py_list_append_str(PyObject *list, const char *text)
{
    PyObject *o = PyUnicode_FromString(text);
    if (!o)
        return -1;
    int rc = PyList_Append(list, o);
    Py_DECREF(o);
    return rc;
}

/* The sidecar index as `whyalive info --json` shows it. */
static PyObject *snap_get_index(wa_pysnap *s, void *closure)
{
    (void)closure;
    const wa_index *ix = s->session ? wa_session_index(s->session) : NULL;
    const char *path = wa_index_path(ix);
    PyObject *holds = PyList_New(0);
    if (!holds)
        return NULL;
    if ((wa_index_holds(ix, WA_INDEX_HAS_DOM) && wa_py_list_append_str(holds, "dominators") != 0) ||
        (wa_index_holds(ix, WA_INDEX_HAS_TREE) && wa_py_list_append_str(holds, "paths") != 0)) {
        Py_DECREF(holds);
        return NULL;
    }
    PyObject *file = path ? PyUnicode_DecodeFSDefault(path) : (Py_INCREF(Py_None), Py_None);
    if (!file) {
        Py_DECREF(holds);
        return NULL;
    }
    return Py_BuildValue("{s:N,s:s,s:N,s:s}", "file", file, "state",
                         wa_index_state_name(wa_index_state_of(ix)), "holds", holds, "note",
                         wa_index_note(ix));
}

static PyGetSetDef snap_getset[] = {
    {"index", (getter)snap_get_index, NULL,
     "The sidecar index (PATH.wai): {'file', 'state', 'holds', 'note'}, as\n"
     "`whyalive info --json` shows it.",
     NULL},
    {"path", (getter)snap_get_path, NULL, "The path the snapshot was loaded from.", NULL},
    {"closed", (getter)snap_get_closed, NULL, "True after close().", NULL},
    {"n_objects", (getter)snap_get_n_objects, NULL, "Number of objects.", NULL},
    {"n_edges", (getter)snap_get_n_edges, NULL, "Number of references.", NULL},
    {"n_roots", (getter)snap_get_n_roots, NULL, "Number of roots.", NULL},
    {"n_types", (getter)snap_get_n_types, NULL, "Number of distinct types.", NULL},
    {"total_size", (getter)snap_get_total_size, NULL, "Sum of shallow sizes in bytes.", NULL},
    {"dangling", (getter)snap_get_dangling, NULL,
     "References whose target was not in the dump (dropped at load).", NULL},
    {"memory", (getter)snap_get_memory, NULL, "Bytes the loaded snapshot occupies.", NULL},
    {"meta", (getter)snap_get_meta, NULL,
     "Dump metadata (the 'meta' object of `whyalive info --json`).", NULL},
    {"format_version", (getter)snap_get_format_version, NULL,
     "Version of the file's snapshot format (`format_version` of `whyalive info --json`).", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PySequenceMethods snap_as_seq = {
    .sq_length = (lenfunc)snap_len,
    .sq_item = (ssizeargfunc)snap_item,
};

PyTypeObject wa_pysnap_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "whyalive.Snapshot",
    .tp_basicsize = sizeof(wa_pysnap),
    .tp_dealloc = (destructor)snap_dealloc,
    .tp_repr = (reprfunc)snap_repr,
    .tp_as_sequence = &snap_as_seq,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A loaded heap snapshot (whyalive.load(path)), backed by the C library.\n\n"
              "Use as a context manager (`with whyalive.load(p) as snap:`) or call close()\n"
              "to free it at a known point. len(snap) is the object count and snap[i] the\n"
              "i-th object. Views (summary, paths, clusters, retainers, dominators, diff,\n"
              "suspects) return plain dicts with the schema of the matching CLI command's\n"
              "--json output (docs/json.md); select() returns light Object handles.",
    .tp_weaklistoffset = offsetof(wa_pysnap, weakrefs),
    .tp_methods = snap_methods,
    .tp_getset = snap_getset,
};

/* ----------------------------------------------------------------- Object */

static int obj_check(wa_pyobj *o)
{
    return wa_py_closed(o->s);
}

static const wa_object *obj_rec(wa_pyobj *o)
{
    if (obj_check(o))
        return NULL;
    return &wa_snapshot_objects(o->s->snap)[o->idx];
}

static void obj_dealloc(wa_pyobj *o)
{
    Py_DECREF(o->s);
    PyObject_Free(o);
}

#define OBJ_FIELD(fname, expr)                                                                     \
    static PyObject *obj_get_##fname(wa_pyobj *o, void *c)                                         \
    {                                                                                              \
        (void)c;                                                                                   \
        const wa_object *r = obj_rec(o);                                                           \
        if (!r)                                                                                    \
            return NULL;                                                                           \
        return expr;                                                                               \
    }
OBJ_FIELD(address, PyLong_FromUnsignedLongLong(r->addr))
OBJ_FIELD(size, PyLong_FromUnsignedLongLong(r->size))
OBJ_FIELD(refcount, PyLong_FromUnsignedLong(r->refcount))
OBJ_FIELD(tracked, PyBool_FromLong((r->flags & WA_OBJ_GC_TRACKED) != 0))
OBJ_FIELD(immortal, PyBool_FromLong((r->flags & WA_OBJ_IMMORTAL) != 0))
OBJ_FIELD(module, PyUnicode_FromString(wa_snapshot_type_module(o->s->snap, r->type)))

static PyObject *obj_get_index(wa_pyobj *o, void *c)
{
    (void)c;
    return PyLong_FromUnsignedLong(o->idx);
}

static PyObject *obj_get_type(wa_pyobj *o, void *c)
{
    (void)c;
    const wa_object *r = obj_rec(o);
    if (!r)
        return NULL;
    PyObject *t = wa_py_tname(o->s, r->type);
    Py_XINCREF(t);
    return t;
}

static PyObject *opt_str(const wa_snapshot *snap, uint32_t id)
{
    const char *s = wa_snapshot_string(snap, id);
    if (!s[0])
        Py_RETURN_NONE;
    return PyUnicode_FromString(s);
}

static PyObject *obj_get_name(wa_pyobj *o, void *c)
{
    (void)c;
    const wa_object *r = obj_rec(o);
    return r ? opt_str(o->s->snap, r->name) : NULL;
}

static PyObject *obj_get_value(wa_pyobj *o, void *c)
{
    (void)c;
    const wa_object *r = obj_rec(o);
    return r ? opt_str(o->s->snap, r->value) : NULL;
}

static PyObject *obj_get_length(wa_pyobj *o, void *c)
{
    (void)c;
    const wa_object *r = obj_rec(o);
    if (!r)
        return NULL;
    if (!(r->flags & WA_OBJ_HAS_LEN))
        Py_RETURN_NONE;
    return PyLong_FromUnsignedLong(r->length);
}

static PyObject *obj_get_site(wa_pyobj *o, void *c)
{
    (void)c;
    if (obj_check(o))
        return NULL;
    const char *s = wa_snapshot_site(o->s->snap, o->idx);
    if (!s || !s[0])
        Py_RETURN_NONE;
    return PyUnicode_FromString(s);
}

static PyObject *obj_get_retained(wa_pyobj *o, void *c)
{
    (void)c;
    if (obj_check(o))
        return NULL;
    const wa_dom *dom = wa_py_dom(o->s);
    return dom ? PyLong_FromUnsignedLongLong(dom->retained[o->idx]) : NULL;
}

static PyObject *obj_get_reachable(wa_pyobj *o, void *c)
{
    (void)c;
    if (obj_check(o))
        return NULL;
    const wa_dom *dom = wa_py_dom(o->s);
    return dom ? PyBool_FromLong(dom->idom[o->idx] != WA_NONE) : NULL;
}

static PyObject *obj_get_roots(wa_pyobj *o, void *c)
{
    (void)c;
    if (obj_check(o))
        return NULL;
    const wa_root *r = wa_snapshot_roots(o->s->snap);
    uint32_t n = wa_snapshot_n_roots(o->s->snap);
    PyObject *l = PyList_New(0);
    for (uint32_t i = 0; l && i < n; i++) {
        if (r[i].obj != o->idx)
            continue;
        PyObject *d = wa_py_root_dict(o->s, i);
        if (!d || PyList_Append(l, d) != 0)
            Py_CLEAR(l);
        Py_XDECREF(d);
    }
    return l;
}

static PyObject *obj_get_dominator(wa_pyobj *o, void *c)
{
    (void)c;
    return snap_dominator(o->s, (PyObject *)o);
}

static PyObject *obj_referents(wa_pyobj *o, PyObject *unused)
{
    (void)unused;
    return snap_referents(o->s, (PyObject *)o);
}

static PyObject *obj_referrers(wa_pyobj *o, PyObject *unused)
{
    (void)unused;
    return snap_referrers(o->s, (PyObject *)o);
}

static PyObject *obj_to_dict(wa_pyobj *o, PyObject *unused)
{
    (void)unused;
    if (obj_check(o))
        return NULL;
    const wa_dom *dom = wa_py_dom(o->s);
    return dom ? wa_py_obj_dict(o->s, o->idx) : NULL;
}

/* s escaped for a person (whyalive/text.h) into out, cut at a character
 * with "..." when it does not fit. */
static const char *repr_text(const char *s, char *out, size_t cap)
{
    size_t n = strlen(s);
    if (wa_text_escape(s, n, out, cap - 3) >= cap - 3)
        strcat(out, "...");
    return out;
}

static PyObject *obj_repr(wa_pyobj *o)
{
    if (!o->s->snap)
        return PyUnicode_FromFormat("<whyalive.Object #%u of a closed snapshot>", o->idx);
    const wa_object *r = &wa_snapshot_objects(o->s->snap)[o->idx];
    /* A repr is shown in a REPL or a log: the dump's names go through the
     * terminal escaping, each cut at a character (fix: raw control
     * characters, and a long non-ASCII type name cut inside a character
     * made repr() raise UnicodeDecodeError). */
    char buf[640], t[256], nm[208];
    int k = snprintf(buf, sizeof buf, "<whyalive.Object 0x%" PRIx64 " %s size=%" PRIu64, r->addr,
                     repr_text(wa_snapshot_type_name(o->s->snap, r->type), t, sizeof t), r->size);
    const char *name = wa_snapshot_string(o->s->snap, r->name);
    if (name[0] && k > 0 && (size_t)k < sizeof buf)
        k += snprintf(buf + k, sizeof buf - (size_t)k, " name=%s", repr_text(name, nm, sizeof nm));
    const wa_dom *dom = wa_session_dom_if_built(o->s->session);
    if (dom && k > 0 && (size_t)k < sizeof buf)
        k += snprintf(buf + k, sizeof buf - (size_t)k, " retained=%" PRIu64, dom->retained[o->idx]);
    if (k > 0 && (size_t)k < sizeof buf - 1)
        snprintf(buf + k, sizeof buf - (size_t)k, ">");
    return PyUnicode_FromString(buf);
}

static Py_hash_t obj_hash(wa_pyobj *o)
{
    Py_hash_t h = (Py_hash_t)((uintptr_t)o->s >> 4) * 1000003 ^ (Py_hash_t)o->idx;
    return h == -1 ? -2 : h;
}

static PyObject *obj_richcompare(PyObject *a, PyObject *b, int op)
{
    if (!PyObject_TypeCheck(b, &wa_pyobj_type) || (op != Py_EQ && op != Py_NE))
        Py_RETURN_NOTIMPLEMENTED;
    wa_pyobj *x = (wa_pyobj *)a, *y = (wa_pyobj *)b;
    int eq = x->s == y->s && x->idx == y->idx;
    return PyBool_FromLong(op == Py_EQ ? eq : !eq);
}

static PyMethodDef obj_methods[] = {
    {"referents", (PyCFunction)obj_referents, METH_NOARGS,
     "referents() -> list[tuple[str, Object]]\n--\n\nWhat this object refers to, with labels."},
    {"referrers", (PyCFunction)obj_referrers, METH_NOARGS,
     "referrers() -> list[tuple[str, Object]]\n--\n\nWho refers to this object, with labels."},
    {"to_dict", (PyCFunction)obj_to_dict, METH_NOARGS,
     "to_dict() -> dict\n--\n\nThe object as the CLI's --json shows one (addr, type, size, "
     "retained, refcount, len, name, reachable)."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef obj_getset[] = {
    {"index", (getter)obj_get_index, NULL, "Dense index in the snapshot.", NULL},
    {"address", (getter)obj_get_address, NULL, "Address in the dumped process (its id()).", NULL},
    {"type", (getter)obj_get_type, NULL, "Full type name, e.g. 'builtins.dict'.", NULL},
    {"module", (getter)obj_get_module, NULL, "Module of the type.", NULL},
    {"size", (getter)obj_get_size, NULL, "Shallow size in bytes (sys.getsizeof).", NULL},
    {"retained", (getter)obj_get_retained, NULL,
     "Bytes freed if this object went (computes the dominator tree once).", NULL},
    {"refcount", (getter)obj_get_refcount, NULL, "Reference count at dump time.", NULL},
    {"length", (getter)obj_get_length, NULL, "Container length, or None.", NULL},
    {"name", (getter)obj_get_name, NULL,
     "Name of a module, class, function or code object, or None.", NULL},
    {"value", (getter)obj_get_value, NULL, "Value snippet (dumps with values=N), or None.", NULL},
    {"site", (getter)obj_get_site, NULL, "Allocation site (tracemalloc dumps), or None.", NULL},
    {"tracked", (getter)obj_get_tracked, NULL, "Tracked by the cyclic GC.", NULL},
    {"immortal", (getter)obj_get_immortal, NULL, "Immortal (CPython >= 3.12).", NULL},
    {"reachable", (getter)obj_get_reachable, NULL, "Some root reaches it.", NULL},
    {"roots", (getter)obj_get_roots, NULL, "The roots this object is (list of dicts).", NULL},
    {"dominator", (getter)obj_get_dominator, NULL, "Immediate dominator, or None.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

PyTypeObject wa_pyobj_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "whyalive.Object",
    .tp_basicsize = sizeof(wa_pyobj),
    .tp_dealloc = (destructor)obj_dealloc,
    .tp_repr = (reprfunc)obj_repr,
    .tp_hash = (hashfunc)obj_hash,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A light handle on one object of a Snapshot (snapshot + index). It keeps\n"
              "the Snapshot alive; after Snapshot.close() every attribute raises ValueError.",
    .tp_richcompare = obj_richcompare,
    .tp_methods = obj_methods,
    .tp_getset = obj_getset,
};

/* -------------------------------------------------------------- Selection */

static void sel_dealloc(wa_pysel *sel)
{
    Py_DECREF(sel->s);
    Py_XDECREF(sel->text);
    PyMem_Free(sel->objs);
    PyObject_Free(sel);
}

static Py_ssize_t sel_len(wa_pysel *sel)
{
    return (Py_ssize_t)sel->n;
}

static PyObject *sel_item(wa_pysel *sel, Py_ssize_t i)
{
    if (wa_py_closed(sel->s))
        return NULL;
    if (i < 0 || i >= (Py_ssize_t)sel->n) {
        PyErr_SetString(PyExc_IndexError, "Selection index out of range");
        return NULL;
    }
    return wa_py_handle(sel->s, sel->objs[i]);
}

/* sel[i] and sel[a:b:c] (a new Selection sharing the selector text). */
static PyObject *sel_subscript(wa_pysel *sel, PyObject *key)
{
    if (!PySlice_Check(key)) {
        Py_ssize_t i = PyNumber_AsSsize_t(key, PyExc_IndexError);
        if (i == -1 && PyErr_Occurred())
            return NULL;
        if (i < 0)
            i += (Py_ssize_t)sel->n;
        return sel_item(sel, i);
    }
    Py_ssize_t start, stop, step;
    if (PySlice_Unpack(key, &start, &stop, &step) < 0)
        return NULL;
    Py_ssize_t k = PySlice_AdjustIndices((Py_ssize_t)sel->n, &start, &stop, step);
    uint32_t *objs = PyMem_Malloc(k ? (size_t)k * sizeof(uint32_t) : 1);
    if (!objs)
        return PyErr_NoMemory();
    for (Py_ssize_t j = 0; j < k; j++)
        objs[j] = sel->objs[start + j * step];
    return sel_new(sel->s, objs, (uint32_t)k, (uint32_t)k, sel->text);
}

static PyObject *sel_get_total(wa_pysel *sel, void *c)
{
    (void)c;
    return PyLong_FromUnsignedLong(sel->total);
}

static PyObject *sel_get_selector(wa_pysel *sel, void *c)
{
    (void)c;
    Py_INCREF(sel->text);
    return sel->text;
}

static PyObject *sel_get_snapshot(wa_pysel *sel, void *c)
{
    (void)c;
    Py_INCREF(sel->s);
    return (PyObject *)sel->s;
}

static PyObject *sel_indexes(wa_pysel *sel, PyObject *unused)
{
    (void)unused;
    return make_array("I", sel->objs, (size_t)sel->n * sizeof(uint32_t));
}

static PyObject *sel_addresses(wa_pysel *sel, PyObject *unused)
{
    (void)unused;
    if (wa_py_closed(sel->s))
        return NULL;
    const wa_object *o = wa_snapshot_objects(sel->s->snap);
    PyObject *l = PyList_New(sel->n);
    for (uint32_t i = 0; l && i < sel->n; i++) {
        PyObject *a = PyLong_FromUnsignedLongLong(o[sel->objs[i]].addr);
        if (!a) {
            Py_CLEAR(l);
            break;
        }
        PyList_SET_ITEM(l, i, a);
    }
    return l;
}

static PyObject *sel_repr(wa_pysel *sel)
{
    if (sel->text != Py_None)
        return PyUnicode_FromFormat("<whyalive.Selection %R: %u of %u objects>", sel->text, sel->n,
                                    sel->total);
    return PyUnicode_FromFormat("<whyalive.Selection: %u of %u objects>", sel->n, sel->total);
}

static PyMethodDef sel_methods[] = {
    {"indexes", (PyCFunction)sel_indexes, METH_NOARGS,
     "indexes() -> array.array\n--\n\nThe selected objects' indexes ('I')."},
    {"addresses", (PyCFunction)sel_addresses, METH_NOARGS,
     "addresses() -> list[int]\n--\n\nThe selected objects' addresses."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef sel_getset[] = {
    {"total", (getter)sel_get_total, NULL, "Matches before the limit.", NULL},
    {"selector", (getter)sel_get_selector, NULL, "The selector text, or None.", NULL},
    {"snapshot", (getter)sel_get_snapshot, NULL, "The Snapshot.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PySequenceMethods sel_as_seq = {
    .sq_length = (lenfunc)sel_len,
    .sq_item = (ssizeargfunc)sel_item,
};

static PyMappingMethods sel_as_map = {
    .mp_length = (lenfunc)sel_len,
    .mp_subscript = (binaryfunc)sel_subscript,
};

PyTypeObject wa_pysel_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "whyalive.Selection",
    .tp_basicsize = sizeof(wa_pysel),
    .tp_dealloc = (destructor)sel_dealloc,
    .tp_repr = (reprfunc)sel_repr,
    .tp_as_sequence = &sel_as_seq,
    .tp_as_mapping = &sel_as_map,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Objects selected in a Snapshot: a sequence of Object handles stored as an\n"
              "index array (cheap for hundreds of thousands). Pass it to paths(), clusters(),\n"
              "graph() and friends.",
    .tp_methods = sel_methods,
    .tp_getset = sel_getset,
};

/* ------------------------------------------------------------------- init */

static int add_type(PyObject *module, PyTypeObject *t, const char *name)
{
    if (PyType_Ready(t) != 0)
        return -1;
    Py_INCREF(t);
    if (PyModule_AddObject(module, name, (PyObject *)t) != 0) {
        Py_DECREF(t);
        return -1;
    }
    return 0;
}

int wa_bindings_init(PyObject *module)
{
    if (add_type(module, &wa_pysnap_type, "Snapshot") ||
        add_type(module, &wa_pyobj_type, "Object") || add_type(module, &wa_pysel_type, "Selection"))
        return -1;
    wa_selector_error = PyErr_NewExceptionWithDoc(
        "whyalive.SelectorError",
        "A selector that does not parse. A ValueError; .column is the 1-based column of\n"
        "the offending character.",
        PyExc_ValueError, NULL);
    if (!wa_selector_error)
        return -1;
    Py_INCREF(wa_selector_error);
    if (PyModule_AddObject(module, "SelectorError", wa_selector_error) != 0) {
        Py_DECREF(wa_selector_error);
        return -1;
    }
    return 0;
}
