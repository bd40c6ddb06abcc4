/*
 * live.c: questions about the live heap answered in C, for services and
 * tests (the seed's objgraph, Prometheus and tracemalloc methods):
 * whyalive.type_counts(), the census behind whyalive.prometheus_text(), the
 * heap marks behind whyalive.track(), and the process RSS.
 *
 * Invariants:
 *  - the set counted is the cyclic GC's tracked set, exactly what
 *    gc.get_objects() returns (the three generations; objects frozen with
 *    gc.freeze() and untracked objects such as str, int or atomic tuples are
 *    not in it), so the counts agree with objgraph.typestats();
 *  - a walk runs C only: it allocates no Python object, runs no Python code
 *    and calls nothing that could trigger a collection, so the generation
 *    lists cannot change under it. Type names are computed after the walk,
 *    once per distinct type, with every counted type held by a strong
 *    reference until then;
 *  - the walk itself is gc_walk.c's (no list built, no Python object
 *    allocated).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dumper/gc_walk.h"
#include "live/live.h"

/* ------------------------------------------------------------- the walk */

static size_t ptr_hash(const void *p)
{
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 29;
    return (size_t)x;
}

/* ------------------------------------------------------ type table (walk) */

/* Counts per type pointer: open addressing, grown by doubling. Plain C
 * memory: it may be touched in the middle of a walk. */
typedef struct wa_typetab {
    PyTypeObject **keys;
    uint64_t *counts;
    size_t mask, n;
    uint64_t total;
    int oom;
} wa_typetab;

static int typetab_init(wa_typetab *t, size_t cap)
{
    memset(t, 0, sizeof *t);
    t->keys = calloc(cap, sizeof *t->keys);
    t->counts = calloc(cap, sizeof *t->counts);
    if (!t->keys || !t->counts) {
        free(t->keys);
        free(t->counts);
        t->keys = NULL;
        t->counts = NULL;
        return -1;
    }
    t->mask = cap - 1;
    return 0;
}

static void typetab_free(wa_typetab *t)
{
    free(t->keys);
    free(t->counts);
    t->keys = NULL;
    t->counts = NULL;
}

static int typetab_grow(wa_typetab *t)
{
    size_t cap = (t->mask + 1) * 2;
    PyTypeObject **k = calloc(cap, sizeof *k);
    uint64_t *c = calloc(cap, sizeof *c);
    if (!k || !c) {
        free(k);
        free(c);
        return -1;
    }
    for (size_t i = 0; i <= t->mask; i++) {
        if (!t->keys[i])
            continue;
        size_t h = ptr_hash(t->keys[i]) & (cap - 1);
        while (k[h])
            h = (h + 1) & (cap - 1);
        k[h] = t->keys[i];
        c[h] = t->counts[i];
    }
    free(t->keys);
    free(t->counts);
    t->keys = k;
    t->counts = c;
    t->mask = cap - 1;
    return 0;
}

static int typetab_visit(PyObject *op, void *arg)
{
    wa_typetab *t = arg;
    PyTypeObject *tp = Py_TYPE(op);
    size_t h = ptr_hash(tp) & t->mask;
    for (;;) {
        if (t->keys[h] == tp) {
            t->counts[h]++;
            t->total++;
            return 0;
        }
        if (!t->keys[h])
            break;
        h = (h + 1) & t->mask;
    }
    if ((t->n + 1) * 2 > t->mask + 1) {
        if (typetab_grow(t) != 0) {
            t->oom = 1;
            return 1;
        }
        h = ptr_hash(tp) & t->mask;
        while (t->keys[h])
            h = (h + 1) & t->mask;
    }
    t->keys[h] = tp;
    t->counts[h] = 1;
    t->n++;
    t->total++;
    return 0;
}

/* Count the tracked set by type. On success every key holds a new strong
 * reference (released by typetab_release), so later Python-level work that
 * may collect garbage cannot free a type we still name. */
static int typetab_census(wa_typetab *t)
{
    if (wa_dump_gc_check_runtime() != 0)
        return -1;
    if (typetab_init(t, 1024) != 0) {
        PyErr_NoMemory();
        return -1;
    }
    wa_dump_gc_walk(typetab_visit, t, 0);
    if (t->oom) {
        typetab_free(t);
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 0; i <= t->mask; i++)
        Py_XINCREF(t->keys[i]);
    return 0;
}

static void typetab_release(wa_typetab *t)
{
    if (t->keys)
        for (size_t i = 0; i <= t->mask; i++)
            Py_XDECREF(t->keys[i]);
    typetab_free(t);
}

/* ------------------------------------------------------------ type names */

/* The module of a type as the dumper records it: __module__ of a heap type
 * (read from the type's dict: no descriptor runs), the part of tp_name
 * before the last dot for a static type, "builtins" when there is none.
 * Returns a new reference, or NULL with an exception set. */
static PyObject *type_module(PyTypeObject *tp)
{
    if (tp->tp_flags & Py_TPFLAGS_HEAPTYPE) {
#if PY_VERSION_HEX >= 0x030C0000
        PyObject *td = PyType_GetDict(tp);
        Py_XDECREF(td); /* the type keeps its dict alive */
#else
        PyObject *td = tp->tp_dict;
#endif
        PyObject *m = td ? PyDict_GetItemString(td, "__module__") : NULL;
        if (m && PyUnicode_Check(m)) {
            Py_INCREF(m);
            return m;
        }
        return PyUnicode_FromString("");
    }
    const char *dot = strrchr(tp->tp_name, '.');
    if (dot)
        return PyUnicode_FromStringAndSize(tp->tp_name, dot - tp->tp_name);
    return PyUnicode_FromString("builtins");
}

/* "module.qualname", the name whyalive.dump() writes ("builtins.dict",
 * "app.stt.Session"): the same key the CLI and selectors use. */
static PyObject *type_fullname(PyTypeObject *tp)
{
    if (tp->tp_flags & Py_TPFLAGS_HEAPTYPE) {
        PyHeapTypeObject *ht = (PyHeapTypeObject *)tp;
        PyObject *mod = type_module(tp);
        if (!mod)
            return NULL;
        PyObject *qual =
            ht->ht_qualname && PyUnicode_Check(ht->ht_qualname) ? ht->ht_qualname : NULL;
        PyObject *r;
        if (PyUnicode_GET_LENGTH(mod) == 0)
            r = qual ? (Py_INCREF(qual), qual) : PyUnicode_FromString(tp->tp_name);
        else if (qual)
            r = PyUnicode_FromFormat("%U.%U", mod, qual);
        else
            r = PyUnicode_FromFormat("%U.%s", mod, tp->tp_name);
        Py_DECREF(mod);
        return r;
    }
    if (strchr(tp->tp_name, '.'))
        return PyUnicode_FromString(tp->tp_name);
    return PyUnicode_FromFormat("builtins.%s", tp->tp_name);
}

/* type.__name__ without running a descriptor: objgraph's short name. */
static PyObject *type_shortname(PyTypeObject *tp)
{
    if (tp->tp_flags & Py_TPFLAGS_HEAPTYPE) {
        PyObject *n = ((PyHeapTypeObject *)tp)->ht_name;
        if (n && PyUnicode_Check(n)) {
            Py_INCREF(n);
            return n;
        }
    }
    const char *dot = strrchr(tp->tp_name, '.');
    return PyUnicode_FromString(dot ? dot + 1 : tp->tp_name);
}

/* ------------------------------------------------------- option parsing */

/* A str, or an iterable of str, as a new tuple of str (NULL: None given). */
static int str_tuple(PyObject *arg, const char *what, PyObject **out)
{
    *out = NULL;
    if (!arg || arg == Py_None)
        return 0;
    if (PyUnicode_Check(arg)) {
        *out = PyTuple_Pack(1, arg);
        return *out ? 0 : -1;
    }
    PyObject *t = PySequence_Tuple(arg);
    if (!t) {
        PyErr_Format(PyExc_TypeError, "%s must be a str or an iterable of str", what);
        return -1;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(t); i++) {
        PyObject *s = PyTuple_GET_ITEM(t, i);
        if (PyType_Check(s)) {
            /* a class stands for its full name */
            PyObject *n = type_fullname((PyTypeObject *)s);
            if (!n) {
                Py_DECREF(t);
                return -1;
            }
            PyTuple_SET_ITEM(t, i, n);
            Py_DECREF(s);
            continue;
        }
        if (!PyUnicode_Check(s)) {
            PyErr_Format(PyExc_TypeError, "%s must hold str (or classes), not %.80s", what,
                         Py_TYPE(s)->tp_name);
            Py_DECREF(t);
            return -1;
        }
    }
    *out = t;
    return 0;
}

static int has_prefix(PyObject *s, PyObject *prefixes)
{
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(prefixes); i++) {
        Py_ssize_t r = PyUnicode_Tailmatch(s, PyTuple_GET_ITEM(prefixes, i), 0, PY_SSIZE_T_MAX, -1);
        if (r != 0)
            return (int)r; /* 1, or -1 on error */
    }
    return 0;
}

static int dict_add(PyObject *d, PyObject *key, uint64_t n)
{
    PyObject *old = PyDict_GetItemWithError(d, key);
    if (!old && PyErr_Occurred())
        return -1;
    unsigned long long prev = old ? PyLong_AsUnsignedLongLong(old) : 0;
    PyObject *v = PyLong_FromUnsignedLongLong(prev + n);
    if (!v)
        return -1;
    int r = PyDict_SetItem(d, key, v);
    Py_DECREF(v);
    return r;
}

/* gc.collect(), not PyGC_Collect(): the latter does nothing while the
 * collector is disabled, and "collect first" must mean what gc.collect()
 * means. Returns -1 with an exception set on failure. */
static int maybe_collect(int collect)
{
    if (!collect)
        return 0;
    PyObject *gc = PyImport_ImportModule("gc");
    PyObject *r = gc ? PyObject_CallMethod(gc, "collect", NULL) : NULL;
    Py_XDECREF(gc);
    if (!r)
        return -1;
    Py_DECREF(r);
    return 0;
}

/*
 * The census shared by type_counts() and _census(): one walk, then per
 * distinct type its names, matched against `types` (a name with a dot is a
 * full name, otherwise a short one: objgraph.count()'s rule) and
 * `prefixes` (module prefixes).
 *  by_type: requested names -> counts, or every (filtered) type -> count;
 *  by_prefix: prefix -> count (when prefixes_count is given).
 */
typedef struct wa_census_req {
    PyObject *types;           /* tuple of str or NULL */
    PyObject *module_prefixes; /* tuple of str or NULL: filter of by_type */
    PyObject *count_prefixes;  /* tuple of str or NULL: by_prefix */
    int shortnames;
} wa_census_req;

static int census(const wa_census_req *q, PyObject *by_type, PyObject *by_prefix, uint64_t *total)
{
    wa_typetab t;
    if (typetab_census(&t) != 0)
        return -1;
    int rc = -1;
    PyObject *zero = PyLong_FromLong(0);
    if (!zero)
        goto out;
    if (total)
        *total = t.total;
    if (q->types) {
        for (Py_ssize_t j = 0; j < PyTuple_GET_SIZE(q->types); j++)
            if (PyDict_SetDefault(by_type, PyTuple_GET_ITEM(q->types, j), zero) == NULL)
                goto out;
    }
    if (q->count_prefixes) {
        for (Py_ssize_t j = 0; j < PyTuple_GET_SIZE(q->count_prefixes); j++)
            if (PyDict_SetDefault(by_prefix, PyTuple_GET_ITEM(q->count_prefixes, j), zero) == NULL)
                goto out;
    }
    for (size_t i = 0; i <= t.mask; i++) {
        PyTypeObject *tp = t.keys[i];
        if (!tp)
            continue;
        uint64_t n = t.counts[i];
        PyObject *mod = NULL, *full = NULL, *shortn = NULL;
        int ok = 0;
        if (q->module_prefixes || q->count_prefixes) {
            mod = type_module(tp);
            if (!mod)
                goto next;
        }
        if (q->count_prefixes) {
            for (Py_ssize_t j = 0; j < PyTuple_GET_SIZE(q->count_prefixes); j++) {
                PyObject *p = PyTuple_GET_ITEM(q->count_prefixes, j);
                int m = (int)PyUnicode_Tailmatch(mod, p, 0, PY_SSIZE_T_MAX, -1);
                if (m < 0 || (m && dict_add(by_prefix, p, n) != 0))
                    goto next;
            }
        }
        if (q->module_prefixes) {
            int m = has_prefix(mod, q->module_prefixes);
            if (m < 0)
                goto next;
            if (!m) {
                ok = 1;
                goto next;
            }
        }
        if (q->types) {
            for (Py_ssize_t j = 0; j < PyTuple_GET_SIZE(q->types); j++) {
                PyObject *want = PyTuple_GET_ITEM(q->types, j);
                PyObject **slot =
                    PyUnicode_FindChar(want, '.', 0, PY_SSIZE_T_MAX, 1) >= 0 ? &full : &shortn;
                if (!*slot)
                    *slot = slot == &full ? type_fullname(tp) : type_shortname(tp);
                if (!*slot)
                    goto next;
                int eq = PyUnicode_Compare(*slot, want) == 0;
                if (eq && dict_add(by_type, want, n) != 0)
                    goto next;
            }
        } else if (by_type) {
            PyObject *name = q->shortnames ? type_shortname(tp) : type_fullname(tp);
            if (!name || dict_add(by_type, name, n) != 0) {
                Py_XDECREF(name);
                goto next;
            }
            Py_DECREF(name);
        }
        ok = 1;
    next:
        Py_XDECREF(mod);
        Py_XDECREF(full);
        Py_XDECREF(shortn);
        if (!ok)
            goto out;
    }
    rc = 0;
out:
    Py_XDECREF(zero);
    typetab_release(&t);
    return rc;
}

/* Sort a name -> count dict by count, descending (ties by name). */
static PyObject *sorted_dict(PyObject *d)
{
    PyObject *items = PyDict_Items(d);
    if (!items)
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(items);
    /* Keys are unique, so sorting (-count, name) tuples is a total order. */
    PyObject *keyed = PyList_New(n);
    if (!keyed) {
        Py_DECREF(items);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *it = PyList_GET_ITEM(items, i);
        PyObject *neg = PyNumber_Negative(PyTuple_GET_ITEM(it, 1));
        PyObject *k =
            neg ? PyTuple_Pack(3, neg, PyTuple_GET_ITEM(it, 0), PyTuple_GET_ITEM(it, 1)) : NULL;
        Py_XDECREF(neg);
        if (!k) {
            Py_DECREF(items);
            Py_DECREF(keyed);
            return NULL;
        }
        PyList_SET_ITEM(keyed, i, k);
    }
    Py_DECREF(items);
    if (PyList_Sort(keyed) != 0) {
        Py_DECREF(keyed);
        return NULL;
    }
    PyObject *out = PyDict_New();
    for (Py_ssize_t i = 0; out && i < n; i++) {
        PyObject *k = PyList_GET_ITEM(keyed, i);
        if (PyDict_SetItem(out, PyTuple_GET_ITEM(k, 1), PyTuple_GET_ITEM(k, 2)) != 0)
            Py_CLEAR(out);
    }
    Py_DECREF(keyed);
    return out;
}

const char wa_live_type_counts_doc[] =
    "type_counts(types=None, module_prefix=None, *, shortnames=False, collect=False, limit=None)\n"
    "--\n\n"
    "Count live objects per type, in C, without building a list of the heap.\n\n"
    "Counts the objects the cyclic garbage collector tracks: the set\n"
    "gc.get_objects() returns and objgraph.typestats() counts (containers and\n"
    "instances; not str, int, float or tuples of atomic values, which the GC\n"
    "does not track; not objects frozen with gc.freeze()). Runs no Python code of\n"
    "the counted objects.\n\n"
    "types: None (every type), or names to count: a name with a dot is matched\n"
    "  against the full name ('app.stt.ConversationTranscriber',\n"
    "  'builtins.dict'), a name without one against the class's __name__\n"
    "  (objgraph.count()'s rule); a class stands for its full name. The result\n"
    "  then has exactly these keys, in this order, 0 for names not found.\n"
    "module_prefix: a str or strings; count only types whose module starts\n"
    "  with one of them (e.g. 'azure').\n"
    "shortnames: key the result by __name__ (objgraph's default) instead of\n"
    "  the full 'module.qualname' name that dumps and selectors use.\n"
    "collect: run gc.collect() first, so garbage awaiting collection is not\n"
    "  counted.\n"
    "limit: keep the N largest counts.\n\n"
    "Returns a dict name -> count, largest first (when types is None).";

PyObject *wa_live_type_counts(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    static char *kwlist[] = {"types", "module_prefix", "shortnames", "collect", "limit", NULL};
    PyObject *types_arg = Py_None, *prefix_arg = Py_None, *limit_arg = Py_None;
    int shortnames = 0, collect = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|OO$ppO:type_counts", kwlist, &types_arg,
                                     &prefix_arg, &shortnames, &collect, &limit_arg))
        return NULL;
    Py_ssize_t limit = -1;
    if (limit_arg != Py_None) {
        limit = PyLong_AsSsize_t(limit_arg);
        if (limit < 0) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_ValueError, "type_counts: limit must be >= 0");
            return NULL;
        }
    }
    wa_census_req q = {NULL, NULL, NULL, shortnames};
    if (str_tuple(types_arg, "types", &q.types) != 0)
        return NULL;
    if (str_tuple(prefix_arg, "module_prefix", &q.module_prefixes) != 0) {
        Py_XDECREF(q.types);
        return NULL;
    }
    if (maybe_collect(collect) != 0) {
        Py_XDECREF(q.types);
        Py_XDECREF(q.module_prefixes);
        return NULL;
    }
    PyObject *d = PyDict_New();
    PyObject *r = NULL;
    if (d && census(&q, d, NULL, NULL) == 0) {
        if (q.types) {
            r = d;
            d = NULL;
        } else {
            r = sorted_dict(d);
        }
    }
    Py_XDECREF(d);
    if (r && limit >= 0 && PyDict_GET_SIZE(r) > limit) {
        /* keep the first `limit` entries */
        PyObject *cut = PyDict_New();
        Py_ssize_t pos = 0, i = 0;
        PyObject *k, *v;
        while (cut && i < limit && PyDict_Next(r, &pos, &k, &v)) {
            if (PyDict_SetItem(cut, k, v) != 0)
                Py_CLEAR(cut);
            i++;
        }
        Py_DECREF(r);
        r = cut;
    }
    Py_XDECREF(q.types);
    Py_XDECREF(q.module_prefixes);
    return r;
}

/* ------------------------------------------------------------- growth */

/* growth()'s peak counts between calls when no peak_stats is given: the
 * module's own, as objgraph keeps its own. */
static PyObject *growth_peaks;

const char wa_live_growth_doc[] =
    "growth(limit=10, peak_stats=None, *, shortnames=True, collect=True)\n"
    "--\n\n"
    "objgraph.growth() in C: the types whose live gc-tracked instance count\n"
    "rose above its peak of the previous calls, as (name, count, increase)\n"
    "tuples, largest increase first (ties by name), at most `limit` (None: all).\n"
    "The first call reports every type (its increase from 0). The peaks are\n"
    "kept in the module between calls, or in `peak_stats` (a dict) when given,\n"
    "as objgraph does. collect: gc.collect() first (objgraph's behaviour).\n"
    "shortnames: name types by __name__ (objgraph's default) or, False, by\n"
    "'module.qualname' as dumps and selectors do.";

PyObject *wa_live_growth(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    static char *kwlist[] = {"limit", "peak_stats", "shortnames", "collect", NULL};
    PyObject *limit_arg = NULL, *peaks = Py_None;
    int shortnames = 1, collect = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|OO$pp:growth", kwlist, &limit_arg, &peaks,
                                     &shortnames, &collect))
        return NULL;
    Py_ssize_t limit = 10;
    if (limit_arg == Py_None) {
        limit = PY_SSIZE_T_MAX;
    } else if (limit_arg) {
        limit = PyLong_AsSsize_t(limit_arg);
        if (limit < 0) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_ValueError, "growth: limit must be >= 0 or None");
            return NULL;
        }
    }
    if (peaks == Py_None) {
        if (!growth_peaks && !(growth_peaks = PyDict_New()))
            return NULL;
        peaks = growth_peaks;
    } else if (!PyDict_Check(peaks)) {
        PyErr_SetString(PyExc_TypeError, "growth: peak_stats must be a dict");
        return NULL;
    }
    if (maybe_collect(collect) != 0)
        return NULL;
    wa_census_req q = {NULL, NULL, NULL, shortnames};
    PyObject *counts = PyDict_New(), *rows = PyList_New(0), *out = NULL;
    if (!counts || !rows || census(&q, counts, NULL, NULL) != 0)
        goto done;
    Py_ssize_t pos = 0;
    PyObject *name, *count;
    while (PyDict_Next(counts, &pos, &name, &count)) {
        PyObject *old = PyDict_GetItemWithError(peaks, name);
        if (!old && PyErr_Occurred())
            goto done;
        long long now = PyLong_AsLongLong(count), before = old ? PyLong_AsLongLong(old) : 0;
        if ((now == -1 || before == -1) && PyErr_Occurred())
            goto done;
        if (now <= before)
            continue;
        if (PyDict_SetItem(peaks, name, count) != 0)
            goto done;
        /* sorted by (-increase, name): the key leads the row */
        PyObject *row = Py_BuildValue("(LO(OOL))", before - now, name, name, count, now - before);
        if (!row || PyList_Append(rows, row) != 0) {
            Py_XDECREF(row);
            goto done;
        }
        Py_DECREF(row);
    }
    if (PyList_Sort(rows) != 0)
        goto done;
    Py_ssize_t n = PyList_GET_SIZE(rows);
    if (n > limit)
        n = limit;
    out = PyList_New(n);
    for (Py_ssize_t i = 0; out && i < n; i++) {
        PyObject *t = PyTuple_GET_ITEM(PyList_GET_ITEM(rows, i), 2);
        Py_INCREF(t);
        PyList_SET_ITEM(out, i, t);
    }
done:
    Py_XDECREF(counts);
    Py_XDECREF(rows);
    return out;
}

const char wa_live_census_doc[] =
    "_census(types, module_prefixes, collect=False) -> (by_type, by_prefix, total)\n"
    "--\n\n"
    "One walk of the tracked set for the metrics exporters: counts of the named\n"
    "types, counts of all objects whose type's module starts with each prefix,\n"
    "and the number of tracked objects.";

PyObject *wa_live_census(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    static char *kwlist[] = {"types", "module_prefixes", "collect", NULL};
    PyObject *types_arg = Py_None, *prefix_arg = Py_None;
    int collect = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|OOp:_census", kwlist, &types_arg, &prefix_arg,
                                     &collect))
        return NULL;
    wa_census_req q = {NULL, NULL, NULL, 0};
    if (str_tuple(types_arg, "types", &q.types) != 0)
        return NULL;
    if (str_tuple(prefix_arg, "module_prefixes", &q.count_prefixes) != 0) {
        Py_XDECREF(q.types);
        return NULL;
    }
    if (!q.types)
        q.types = PyTuple_New(0); /* no per-type table, only the requested */
    if (maybe_collect(collect) != 0) {
        Py_XDECREF(q.types);
        Py_XDECREF(q.count_prefixes);
        return NULL;
    }
    PyObject *bt = PyDict_New(), *bp = PyDict_New(), *r = NULL;
    uint64_t total = 0;
    if (q.types && bt && bp && census(&q, bt, bp, &total) == 0)
        r = Py_BuildValue("(OOK)", bt, bp, (unsigned long long)total);
    Py_XDECREF(bt);
    Py_XDECREF(bp);
    Py_XDECREF(q.types);
    Py_XDECREF(q.count_prefixes);
    return r;
}

/* ----------------------------------------------------------------- RSS */

const char wa_live_rss_doc[] = "_rss() -> int | None\n--\n\n"
                               "Resident set size of this process in bytes (Linux /proc), or None.";

PyObject *wa_live_rss(PyObject *self, PyObject *unused)
{
    (void)self;
    (void)unused;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        Py_RETURN_NONE;
    unsigned long size = 0, res = 0;
    int ok = fscanf(f, "%lu %lu", &size, &res) == 2;
    fclose(f);
    if (!ok)
        Py_RETURN_NONE;
    return PyLong_FromUnsignedLongLong((unsigned long long)res *
                                       (unsigned long long)sysconf(_SC_PAGESIZE));
}

/* ---------------------------------------------------------- heap marks */

/*
 * A HeapMark remembers the tracked set at one moment as (address, type)
 * pairs in C memory, 16 bytes an entry at load <= 1/2, and holds no
 * reference to any of those objects (holding them would change what is
 * being measured). new_objects() later lists the tracked objects that are
 * not in the mark: created since, and still alive. CPython reuses addresses,
 * so an object created at the address of one that died, with the same type,
 * looks old: the mark is a lower bound, which the per-type count deltas
 * complete.
 */
typedef struct {
    PyObject_HEAD uintptr_t *addrs; /* 0 = empty slot */
    PyTypeObject **types;
    size_t mask, n;
    int oom;
} wa_heapmark;

static int mark_insert(wa_heapmark *m, uintptr_t a, PyTypeObject *tp)
{
    if ((m->n + 1) * 2 > m->mask + 1) {
        size_t cap = (m->mask + 1) * 2;
        uintptr_t *na = calloc(cap, sizeof *na);
        PyTypeObject **nt = calloc(cap, sizeof *nt);
        if (!na || !nt) {
            free(na);
            free(nt);
            return -1;
        }
        for (size_t i = 0; i <= m->mask; i++) {
            if (!m->addrs[i])
                continue;
            size_t h = ptr_hash((void *)m->addrs[i]) & (cap - 1);
            while (na[h])
                h = (h + 1) & (cap - 1);
            na[h] = m->addrs[i];
            nt[h] = m->types[i];
        }
        free(m->addrs);
        free(m->types);
        m->addrs = na;
        m->types = nt;
        m->mask = cap - 1;
    }
    size_t h = ptr_hash((void *)a) & m->mask;
    while (m->addrs[h]) {
        if (m->addrs[h] == a) {
            m->types[h] = tp;
            return 0;
        }
        h = (h + 1) & m->mask;
    }
    m->addrs[h] = a;
    m->types[h] = tp;
    m->n++;
    return 0;
}

static int mark_visit(PyObject *op, void *arg)
{
    wa_heapmark *m = arg;
    if (mark_insert(m, (uintptr_t)op, Py_TYPE(op)) != 0) {
        m->oom = 1;
        return 1;
    }
    return 0;
}

static int mark_has(const wa_heapmark *m, uintptr_t a, PyTypeObject *tp)
{
    size_t h = ptr_hash((void *)a) & m->mask;
    while (m->addrs[h]) {
        if (m->addrs[h] == a)
            return m->types[h] == tp;
        h = (h + 1) & m->mask;
    }
    return 0;
}

static void mark_dealloc(wa_heapmark *m)
{
    free(m->addrs);
    free(m->types);
    Py_TYPE(m)->tp_free((PyObject *)m);
}

static PyObject *mark_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"collect", NULL};
    int collect = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|$p:HeapMark", kwlist, &collect))
        return NULL;
    if (wa_dump_gc_check_runtime() != 0)
        return NULL;
    wa_heapmark *m = (wa_heapmark *)type->tp_alloc(type, 0);
    if (!m)
        return NULL;
    if (maybe_collect(collect) != 0) {
        Py_DECREF(m);
        return NULL;
    }
    size_t cap = 1u << 16;
    m->addrs = calloc(cap, sizeof *m->addrs);
    m->types = calloc(cap, sizeof *m->types);
    if (!m->addrs || !m->types) {
        Py_DECREF(m);
        return PyErr_NoMemory();
    }
    m->mask = cap - 1;
    wa_dump_gc_walk(mark_visit, m, 0);
    /* The mark itself is a (new, untracked) object: it is not in the set. */
    if (m->oom) {
        Py_DECREF(m);
        return PyErr_NoMemory();
    }
    return (PyObject *)m;
}

/* Collected during the walk, named after it (see the file's invariant). */
typedef struct wa_newobj {
    uintptr_t addr;
    PyTypeObject *tp; /* borrowed during the walk, owned right after it */
} wa_newobj;

typedef struct wa_newlist {
    wa_newobj *objs;
    size_t n, cap;
    const wa_heapmark *mark;
    wa_typetab counts; /* every tracked object, by type: the same instant */
    int oom;
} wa_newlist;

static int newlist_visit(PyObject *op, void *arg)
{
    wa_newlist *l = arg;
    if (typetab_visit(op, &l->counts))
        return 1;
    if (mark_has(l->mark, (uintptr_t)op, Py_TYPE(op)))
        return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 1024;
        wa_newobj *p = realloc(l->objs, cap * sizeof *p);
        if (!p) {
            l->oom = 1;
            return 1;
        }
        l->objs = p;
        l->cap = cap;
    }
    l->objs[l->n].addr = (uintptr_t)op;
    l->objs[l->n++].tp = Py_TYPE(op);
    return 0;
}

/* name -> count for every type of a census (full names). */
static PyObject *typetab_dict(const wa_typetab *t, PyObject *names)
{
    PyObject *d = PyDict_New();
    for (size_t i = 0; d && i <= t->mask; i++) {
        PyTypeObject *tp = t->keys[i];
        if (!tp)
            continue;
        PyObject *name = PyDict_GetItemWithError(names, (PyObject *)tp);
        if (!name) {
            if (PyErr_Occurred() || !(name = type_fullname(tp)) ||
                PyDict_SetItem(names, (PyObject *)tp, name) != 0) {
                Py_XDECREF(name);
                Py_CLEAR(d);
                break;
            }
            Py_DECREF(name);
        }
        if (dict_add(d, name, t->counts[i]) != 0)
            Py_CLEAR(d);
    }
    return d;
}

static PyObject *mark_new_objects(wa_heapmark *m, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"collect", NULL};
    int collect = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|$p:new_objects", kwlist, &collect))
        return NULL;
    if (wa_dump_gc_check_runtime() != 0)
        return NULL;
    if (maybe_collect(collect) != 0)
        return NULL;
    wa_newlist l;
    memset(&l, 0, sizeof l);
    l.mark = m;
    if (typetab_init(&l.counts, 1024) != 0)
        return PyErr_NoMemory();
    wa_dump_gc_walk(newlist_visit, &l, 0);
    if (l.oom || l.counts.oom) {
        free(l.objs);
        typetab_free(&l.counts);
        return PyErr_NoMemory();
    }
    /* Hold the types while we name them (naming allocates, which may collect
     * garbage and with it an object and its type); addresses are numbers. */
    for (size_t i = 0; i < l.n; i++)
        Py_INCREF(l.objs[i].tp);
    for (size_t i = 0; i <= l.counts.mask; i++)
        Py_XINCREF(l.counts.keys[i]);
    PyObject *out = PyDict_New();
    PyObject *names = PyDict_New(); /* type -> name cache */
    for (size_t i = 0; out && names && i < l.n; i++) {
        PyObject *tp = (PyObject *)l.objs[i].tp;
        PyObject *name = PyDict_GetItemWithError(names, tp);
        if (!name) {
            if (PyErr_Occurred() || !(name = type_fullname((PyTypeObject *)tp)) ||
                PyDict_SetItem(names, tp, name) != 0) {
                Py_XDECREF(name);
                Py_CLEAR(out);
                break;
            }
            Py_DECREF(name); /* the cache holds it */
        }
        PyObject *lst = PyDict_GetItemWithError(out, name);
        if (!lst) {
            if (PyErr_Occurred() || !(lst = PyList_New(0)) || PyDict_SetItem(out, name, lst) != 0) {
                Py_XDECREF(lst);
                Py_CLEAR(out);
                break;
            }
            Py_DECREF(lst);
        }
        PyObject *addr = PyLong_FromVoidPtr((void *)l.objs[i].addr);
        if (!addr || PyList_Append(lst, addr) != 0) {
            Py_XDECREF(addr);
            Py_CLEAR(out);
            break;
        }
        Py_DECREF(addr);
    }
    PyObject *counts = out && names ? typetab_dict(&l.counts, names) : NULL;
    PyObject *r = counts ? PyTuple_Pack(2, out, counts) : NULL;
    Py_XDECREF(counts);
    Py_XDECREF(out);
    for (size_t i = 0; i < l.n; i++)
        Py_DECREF(l.objs[i].tp);
    free(l.objs);
    typetab_release(&l.counts);
    Py_XDECREF(names);
    if (!r && !PyErr_Occurred())
        PyErr_NoMemory();
    return r;
}

static Py_ssize_t mark_len(wa_heapmark *m)
{
    return (Py_ssize_t)m->n;
}

static PyObject *mark_contains_addr(wa_heapmark *m, PyObject *addr)
{
    void *p = PyLong_AsVoidPtr(addr);
    if (!p && PyErr_Occurred())
        return NULL;
    size_t h = ptr_hash(p) & m->mask;
    while (m->addrs[h]) {
        if (m->addrs[h] == (uintptr_t)p)
            Py_RETURN_TRUE;
        h = (h + 1) & m->mask;
    }
    Py_RETURN_FALSE;
}

static PyMethodDef mark_methods[] = {
    {"new_objects", (PyCFunction)(void (*)(void))mark_new_objects, METH_VARARGS | METH_KEYWORDS,
     "new_objects(*, collect=False) -> (dict[str, list[int]], dict[str, int])\n--\n\n"
     "One walk: the tracked objects alive now that were not in the mark (address\n"
     "and type), as full type name -> addresses (id()), and the count of every\n"
     "tracked object per full type name at that same instant. collect:\n"
     "gc.collect() first."},
    {"has", (PyCFunction)mark_contains_addr, METH_O,
     "has(address) -> bool\n--\n\nWhether an object lived at this address when marked."},
    {NULL, NULL, 0, NULL},
};

static PySequenceMethods mark_as_seq = {.sq_length = (lenfunc)mark_len};

PyTypeObject wa_heapmark_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "whyalive._core.HeapMark",
    .tp_basicsize = sizeof(wa_heapmark),
    .tp_dealloc = (destructor)mark_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "HeapMark(*, collect=False)\n--\n\n"
              "The addresses and types of every gc-tracked object at this moment, kept\n"
              "in C memory (no reference to any of them). len() is the count.",
    .tp_methods = mark_methods,
    .tp_as_sequence = &mark_as_seq,
    .tp_new = mark_new,
};

int wa_live_init(PyObject *module)
{
    if (PyType_Ready(&wa_heapmark_type) != 0)
        return -1;
    Py_INCREF(&wa_heapmark_type);
    if (PyModule_AddObject(module, "HeapMark", (PyObject *)&wa_heapmark_type) != 0) {
        Py_DECREF(&wa_heapmark_type);
        return -1;
    }
    return PyModule_AddStringConstant(module, "GC_WALK", wa_dump_gc_walk_method());
}
