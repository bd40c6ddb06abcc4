/*
 * bindings_views.c: the Snapshot views (summary, paths, clusters, retainers,
 * dominators, diff, suspects, graph) as plain dicts and lists.
 *
 * Invariant: a view's dict is the library's view document (whyalive/view.h),
 * the very document `whyalive <command> --json` prints, converted node for
 * node; this file only parses Python arguments into wa_view_options, makes
 * sure the analyses the view needs are computed (lazily, once per Snapshot),
 * and converts. Nothing here builds a document of its own, so the Python
 * and CLI shapes cannot drift.
 *
 * Conversion: the cJSON tree is walked in C into dicts and lists rather than
 * printed and parsed by json.loads. Measured on the bundled example dump
 * (retainers, depth 6, a 53 kB document): building the view and walking it
 * takes 0.71 ms a call, json.loads of the same text alone 0.46 ms, before the
 * print it would need and the view itself. Numbers
 * follow cJSON's printer, so a value reads the same as through the CLI: an
 * integral value up to 2^53 is an int (exact), anything else a float; counts
 * above 2^53 are already decimal strings in the document.
 */
#include "python/bindings.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "whyalive/report.h"
#include "whyalive/view.h"

/* ------------------------------------------------------------ conversion */

static PyObject *scalar(const cJSON *j)
{
    if (cJSON_IsString(j))
        return PyUnicode_DecodeUTF8(j->valuestring, (Py_ssize_t)strlen(j->valuestring), "replace");
    if (cJSON_IsNumber(j)) {
        double d = j->valuedouble;
        if (d == floor(d) && fabs(d) <= 9007199254740992.0)
            return PyLong_FromLongLong((long long)d);
        return PyFloat_FromDouble(d);
    }
    if (cJSON_IsBool(j))
        return PyBool_FromLong(cJSON_IsTrue(j));
    Py_RETURN_NONE;
}

/* A frame of the conversion: a container being filled, and the next child.
 * Documents nest as deep as a retainers tree (depth <= 100, two levels per
 * node), so the explicit stack stays small; it is heap memory all the same. */
typedef struct conv_frame {
    const cJSON *src;
    const cJSON *next;
    PyObject *dst;
} conv_frame;

static PyObject *container(const cJSON *j)
{
    return cJSON_IsArray(j) ? PyList_New(0) : PyDict_New();
}

static int is_container(const cJSON *j)
{
    return cJSON_IsArray(j) || cJSON_IsObject(j);
}

/* Attach v (stolen) to dst under the key of item (a dict) or at the end. */
static int attach(PyObject *dst, const cJSON *item, PyObject *v)
{
    if (!v)
        return -1;
    int r = PyDict_Check(dst) ? PyDict_SetItemString(dst, item->string, v) : PyList_Append(dst, v);
    Py_DECREF(v);
    return r;
}

PyObject *wa_py_from_json(const cJSON *root)
{
    if (!is_container(root))
        return scalar(root);
    size_t cap = 16, n = 0;
    conv_frame *st = PyMem_Malloc(cap * sizeof *st);
    PyObject *top = container(root);
    if (!st || !top)
        goto fail;
    st[n++] = (conv_frame){root, root->child, top};
    while (n) {
        conv_frame *f = &st[n - 1];
        const cJSON *item = f->next;
        if (!item) {
            n--;
            continue;
        }
        f->next = item->next;
        if (!is_container(item)) {
            if (attach(f->dst, item, scalar(item)))
                goto fail;
            continue;
        }
        PyObject *c = container(item);
        if (!c)
            goto fail;
        Py_INCREF(c); /* one for the parent, one for the frame's use below */
        if (attach(f->dst, item, c)) {
            Py_DECREF(c);
            goto fail;
        }
        Py_DECREF(c); /* the parent keeps it alive */
        if (n == cap) {
            conv_frame *bigger = PyMem_Realloc(st, 2 * cap * sizeof *st);
            if (!bigger)
                goto fail;
            st = bigger;
            cap *= 2;
        }
        st[n++] = (conv_frame){item, item->child, c};
    }
    PyMem_Free(st);
    return top;
fail:
    if (!PyErr_Occurred())
        PyErr_NoMemory();
    PyMem_Free(st);
    Py_XDECREF(top);
    return NULL;
}

PyObject *wa_py_view_dict(wa_view *v, wa_error *err)
{
    if (!v)
        return wa_py_raise(err);
    PyObject *d = wa_py_from_json(wa_view_doc(v));
    wa_view_free(v);
    return d;
}

/* u32 argument with the CLI's meaning: None or 0 = the given default's
 * "all" (0), else the value. */
static int opt_u32(PyObject *o, uint32_t dflt, uint32_t *out, const char *what)
{
    *out = dflt;
    if (!o)
        return 0;
    if (o == Py_None) {
        *out = 0;
        return 0;
    }
    long long v = PyLong_AsLongLong(o);
    if (v == -1 && PyErr_Occurred())
        return -1;
    if (v < 0) {
        PyErr_Format(PyExc_ValueError, "%s must be >= 0 (0 or None: no limit)", what);
        return -1;
    }
    *out = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
    return 0;
}

/* ------------------------------------------------------------- running */

typedef wa_view *(*view_fn)(const wa_view_source *, const wa_view_options *, wa_error *);

/* Point src at s's session: a view computes the analyses it needs there
 * (once per Snapshot, whichever thread asks first). */
static int source_of(wa_pysnap *s, wa_view_source *src)
{
    if (wa_py_closed(s))
        return -1;
    memset(src, 0, sizeof *src);
    src->session = s->session;
    if (!(src->name = PyUnicode_AsUTF8(s->path)))
        return -1;
    return 0;
}

/* Build a one-snapshot view without the GIL and convert it. */
static PyObject *run_view(wa_pysnap *s, view_fn fn, const wa_view_options *o)
{
    wa_view_source src;
    if (source_of(s, &src))
        return NULL;
    wa_error err;
    wa_error_clear(&err);
    wa_view *v = NULL;
    WA_NOGIL(s, v = fn(&src, o, &err));
    return wa_py_view_dict(v, &err);
}

/* The objects argument into o (PyMem'd objs: the caller frees o->objs);
 * *text: new ref to the selector text or None. */
static int selection_arg(wa_pysnap *s, PyObject *arg, uint32_t limit, wa_view_options *o,
                         PyObject **text)
{
    uint32_t *objs = NULL, n = 0, total = 0;
    if (wa_py_objects_arg(s, arg, limit, &objs, &n, &total, text))
        return -1;
    o->has_selection = 1;
    o->objs = objs;
    o->n = n;
    o->total = total;
    o->select = PyUnicode_Check(*text) ? PyUnicode_AsUTF8(*text) : NULL;
    if (PyUnicode_Check(*text) && !o->select) {
        PyMem_Free(objs);
        Py_CLEAR(*text);
        return -1;
    }
    return 0;
}

static PyObject *run_selection_view(wa_pysnap *s, view_fn fn, wa_view_options *o, PyObject *arg,
                                    uint32_t select_limit)
{
    PyObject *text = NULL;
    if (wa_py_closed(s) || selection_arg(s, arg, select_limit, o, &text))
        return NULL;
    PyObject *d = run_view(s, fn, o);
    PyMem_Free((void *)o->objs);
    Py_DECREF(text);
    return d;
}

/* --------------------------------------------------------------- summary */

const char wa_snap_summary_doc[] =
    "summary(by='type', sort='retained', select=None, limit=25, retained=True) -> dict\n--\n\n"
    "What fills the heap: per type (or module, by='module'), instances, shallow\n"
    "and retained bytes (what would be freed if every instance went), plus the\n"
    "unreachable group. sort: 'retained', 'shallow', 'count' or 'name'. select:\n"
    "count only the objects a selector matches. limit: rows (0/None = all).\n"
    "retained=False skips the dominator tree. The dict is `whyalive summary\n"
    "--json`'s document.";

PyObject *wa_snap_summary(wa_pysnap *s, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"by", "sort", "select", "limit", "retained", NULL};
    const char *by = "type", *sort = "retained";
    PyObject *select = Py_None, *lim = NULL;
    int want_retained = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|ssOOp:summary", kwlist, &by, &sort, &select, &lim,
                                     &want_retained))
        return NULL;
    wa_view_options o;
    wa_view_options_init(&o);
    if (!strcmp(by, "type"))
        o.by = WA_SUMMARY_BY_TYPE;
    else if (!strcmp(by, "module"))
        o.by = WA_SUMMARY_BY_MODULE;
    else if (!strcmp(by, "site"))
        o.by = WA_SUMMARY_BY_SITE;
    else {
        PyErr_Format(PyExc_ValueError, "summary: by expects 'type', 'module' or 'site', got '%s'",
                     by);
        return NULL;
    }
    if (!strcmp(sort, "retained"))
        o.sort = WA_SORT_RETAINED;
    else if (!strcmp(sort, "shallow"))
        o.sort = WA_SORT_SHALLOW;
    else if (!strcmp(sort, "count"))
        o.sort = WA_SORT_COUNT;
    else if (!strcmp(sort, "name"))
        o.sort = WA_SORT_NAME;
    else {
        PyErr_Format(PyExc_ValueError,
                     "summary: sort expects retained, shallow, count or name, got '%s'", sort);
        return NULL;
    }
    if (opt_u32(lim, 25, &o.limit, "limit"))
        return NULL;
    o.no_retained = !want_retained;
    if (select == Py_None)
        return run_view(s, wa_view_summary, &o);
    return run_selection_view(s, wa_view_summary, &o, select, 0);
}

/* ---------------------------------------------------------------- paths */

const char wa_snap_clusters_doc[] =
    "clusters(objs, limit=None, members=20) -> dict\n--\n\n"
    "Why are these objects alive, grouped: the shortest retention path of every\n"
    "object, clustered where paths differ only in indexes, addresses or\n"
    "per-instance dict keys (shown [*]), largest retained first. objs: a\n"
    "selector, a Selection, Objects or addresses. The dict is `whyalive paths\n"
    "--select SEL --json`'s document (mode 'clusters').";

PyObject *wa_snap_clusters(wa_pysnap *s, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"objs", "limit", "members", NULL};
    PyObject *arg, *lim = NULL, *memb = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|OO:clusters", kwlist, &arg, &lim, &memb))
        return NULL;
    wa_view_options o;
    wa_view_options_init(&o);
    if (opt_u32(lim, 0, &o.limit, "limit") || opt_u32(memb, 20, &o.members, "members"))
        return NULL;
    return run_selection_view(s, wa_view_paths, &o, arg, 0);
}

const char wa_snap_holders_doc[] =
    "holders(objs, limit=None) -> dict\n--\n\n"
    "Every holder of these objects, not only the shortest route: each pattern of\n"
    "reference into them from outside (holder type and edge; roots holding them\n"
    "directly), with how many it holds and the route to it. Removing every\n"
    "holder's references frees them. The dict is `whyalive paths --select SEL\n"
    "--holders --json`'s document (mode 'holders').";

PyObject *wa_snap_holders(wa_pysnap *s, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"objs", "limit", NULL};
    PyObject *arg, *lim = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|O:holders", kwlist, &arg, &lim))
        return NULL;
    wa_view_options o;
    wa_view_options_init(&o);
    if (opt_u32(lim, 0, &o.limit, "limit"))
        return NULL;
    o.holders = 1;
    return run_selection_view(s, wa_view_paths, &o, arg, 0);
}

const char wa_snap_cut_doc[] =
    "cut(objs) -> dict\n--\n\n"
    "The cut of these objects: the fewest reference patterns (holder and edge,\n"
    "container items as [*]) whose removal frees them all, found on the graph\n"
    "and checked; references a program makes are preferred to interpreter\n"
    "plumbing. The dict is `whyalive paths --select SEL --cut --json`'s\n"
    "document (mode 'cut'); its 'cut' holds 'found', 'freed', 'patterns' (each\n"
    "with 'pattern', 'refs', 'internal', an example and its 'path'),\n"
    "'held_by_root' and 'unreachable'.";

PyObject *wa_snap_cut(wa_pysnap *s, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"objs", NULL};
    PyObject *arg;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O:cut", kwlist, &arg))
        return NULL;
    wa_view_options o;
    wa_view_options_init(&o);
    o.cut_only = 1;
    return run_selection_view(s, wa_view_paths, &o, arg, 0);
}

const char wa_snap_paths_doc[] =
    "paths(objs, k=1, limit=None) -> dict\n--\n\n"
    "Retention paths, one object at a time: for k=1 the shortest path from a\n"
    "root to each object (`whyalive paths --each --json`, mode 'each'); for k>1\n"
    "up to k shortest paths through distinct roots (`-k K`, mode 'k-shortest').\n"
    "limit: objects to explain (0/None = all). Every hop has its address, type\n"
    "and edge label.";

PyObject *wa_snap_paths(wa_pysnap *s, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"objs", "k", "limit", NULL};
    PyObject *arg, *lim = NULL;
    unsigned int k = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|IO:paths", kwlist, &arg, &k, &lim))
        return NULL;
    if (k == 0) {
        PyErr_SetString(PyExc_ValueError, "paths: k must be >= 1");
        return NULL;
    }
    wa_view_options o;
    wa_view_options_init(&o);
    if (opt_u32(lim, 0, &o.limit, "limit"))
        return NULL;
    o.each = 1;
    o.k = k > 1 ? k : 0;
    return run_selection_view(s, wa_view_paths, &o, arg, o.limit);
}

/* ------------------------------------------------------------ retainers */

const char wa_snap_retainers_doc[] =
    "retainers(objs, depth=3, max_referrers=10, limit=5) -> dict\n--\n\n"
    "Who refers to these objects: for each (the first `limit`; 0/None = all)\n"
    "its referrers, their referrers and so on to `depth` (at most 100), each\n"
    "with the edge label, its roots, and cycle / shown_above marks; fan-in\n"
    "beyond max_referrers is counted in referrers_more. objs: a selector, a\n"
    "Selection, an Object, addresses. The dict is `whyalive retainers --json`'s.";

PyObject *wa_snap_retainers(wa_pysnap *s, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"objs", "depth", "max_referrers", "limit", NULL};
    PyObject *arg, *lim = NULL;
    unsigned int depth = 3, maxref = 10;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|IIO:retainers", kwlist, &arg, &depth, &maxref,
                                     &lim))
        return NULL;
    if (depth > WA_RETAINERS_MAX_DEPTH) {
        PyErr_Format(PyExc_ValueError, "retainers: depth is at most %u", WA_RETAINERS_MAX_DEPTH);
        return NULL;
    }
    wa_view_options o;
    wa_view_options_init(&o);
    if (opt_u32(lim, 5, &o.limit, "limit"))
        return NULL;
    o.depth = depth;
    o.max_referrers = maxref ? maxref : 1;
    return run_selection_view(s, wa_view_retainers, &o, arg, o.limit);
}

/* ----------------------------------------------------------- dominators */

const char wa_snap_dominators_doc[] =
    "dominators(objs=None, limit=20, children=5) -> dict\n--\n\n"
    "Who dominates what. Without objs: the top-level dominators (held by the\n"
    "roots alone), largest retained first (mode 'top'). With objs (a selector,\n"
    "Selection, Objects): for each, its dominators nearest first and its largest\n"
    "dominated children (mode 'selection'). limit: 0/None = all. The dict is\n"
    "`whyalive dominators --json`'s.";

PyObject *wa_snap_dominators(wa_pysnap *s, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"objs", "limit", "children", NULL};
    PyObject *arg = Py_None, *lim = NULL, *kids_arg = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|OOO:dominators", kwlist, &arg, &lim, &kids_arg))
        return NULL;
    wa_view_options o;
    wa_view_options_init(&o);
    if (opt_u32(lim, 20, &o.limit, "limit") || opt_u32(kids_arg, 5, &o.children, "children"))
        return NULL;
    if (arg == Py_None)
        return run_view(s, wa_view_dominators, &o);
    return run_selection_view(s, wa_view_dominators, &o, arg, o.limit);
}

/* ----------------------------------------------------------------- diff */

/* A Snapshot argument, or a path to load (new ref in *owned). */
static wa_pysnap *snapshot_arg(PyObject *o, PyObject **owned)
{
    *owned = NULL;
    if (PyObject_TypeCheck(o, &wa_pysnap_type))
        return wa_py_closed((wa_pysnap *)o) ? NULL : (wa_pysnap *)o;
    PyObject *args = PyTuple_Pack(1, o);
    if (!args)
        return NULL;
    PyObject *loaded = wa_py_load(NULL, args, NULL);
    Py_DECREF(args);
    *owned = loaded;
    return (wa_pysnap *)loaded;
}

const char wa_snap_diff_doc[] =
    "diff(other, third=None, select=None, limit=25, all=False, clusters=10, members=20,\n"
    "     fail_on=None, max_growth=0) -> dict\n"
    "--\n\n"
    "What grew from this snapshot to `other` (a Snapshot or a path): per type,\n"
    "counts and shallow bytes in each dump and the change, largest growth\n"
    "first. With `third`: the objects new in `other` that still live in\n"
    "`third`, clustered by their retention paths there (the three-snapshot\n"
    "technique). Identity across dumps is (address, type) at best. select may\n"
    "not use retained sizes. With `fail_on` (a selector): the CI gate of\n"
    "`diff --fail-on SEL --max-growth N`: the dict's \"check\" says whether what\n"
    "fail_on matches grew by more than max_growth (default 0) from this\n"
    "snapshot to the last, and, when it did, the retention clusters of the new\n"
    "objects. The dict is `whyalive diff A B [C] --json`'s.";

PyObject *wa_snap_diff(wa_pysnap *s, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"other",    "third",   "select",  "limit",      "all",
                             "clusters", "members", "fail_on", "max_growth", NULL};
    PyObject *other_arg, *third_arg = Py_None, *select = Py_None, *lim = NULL, *ncl = NULL,
                         *memb = NULL, *fail_on = Py_None;
    unsigned long long max_growth = 0;
    int all = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|OOOpOOOK:diff", kwlist, &other_arg, &third_arg,
                                     &select, &lim, &all, &ncl, &memb, &fail_on, &max_growth))
        return NULL;
    if (fail_on != Py_None && !PyUnicode_Check(fail_on)) {
        PyErr_SetString(PyExc_TypeError, "diff: fail_on must be a selector str");
        return NULL;
    }
    wa_view_options o;
    wa_view_options_init(&o);
    if (wa_py_closed(s) || opt_u32(lim, 25, &o.limit, "limit") ||
        opt_u32(ncl, 10, &o.clusters, "clusters") || opt_u32(memb, 20, &o.members, "members"))
        return NULL;
    o.all = all;
    if (select != Py_None && !PyUnicode_Check(select)) {
        PyErr_SetString(PyExc_TypeError, "diff: select must be a selector str");
        return NULL;
    }
    wa_error err;
    wa_error_clear(&err);
    wa_selector *sel = NULL;
    if (select != Py_None) {
        const char *t = PyUnicode_AsUTF8(select);
        if (!t || !(sel = wa_select_parse(t, &err)))
            return t ? wa_py_raise(&err) : NULL;
        if (wa_select_needs_dom(sel)) {
            wa_select_free(sel);
            PyErr_SetString(PyExc_ValueError,
                            "diff: select cannot test retained sizes or reachability here");
            return NULL;
        }
        o.select = t;
        o.selector = sel;
    }
    wa_check_options chk;
    memset(&chk, 0, sizeof chk);
    wa_selector *fsel = NULL;
    if (fail_on != Py_None) {
        const char *t = PyUnicode_AsUTF8(fail_on);
        if (!t || !(fsel = wa_select_parse(t, &err))) {
            wa_select_free(sel);
            return t ? wa_py_raise(&err) : NULL;
        }
        chk.fail_on = t;
        chk.selector = fsel;
        chk.mode = WA_CHECK_GROWTH;
        chk.max = max_growth;
        chk.clusters = 10;
    }
    PyObject *own2 = NULL, *own3 = NULL, *doc = NULL;
    wa_pysnap *b = snapshot_arg(other_arg, &own2), *c = NULL;
    if (!b || (third_arg != Py_None && !(c = snapshot_arg(third_arg, &own3))))
        goto out;
    wa_pysnap *ps[3] = {s, b, c};
    uint32_t ns = c ? 3 : 2;
    wa_view_source src[3];
    memset(src, 0, sizeof src);
    for (uint32_t i = 0; i < ns; i++) {
        src[i].session = ps[i]->session;
        if (!(src[i].name = PyUnicode_AsUTF8(ps[i]->path)))
            goto out;
    }
    wa_view *v = NULL;
    /* all involved snapshots are busy while the GIL is released */
    b->busy++;
    if (c)
        c->busy++;
    WA_NOGIL(s, {
        v = wa_view_diff(src, ns, &o, &err);
        if (v && fsel && wa_view_check(v, src, ns, &chk, &err) < 0) {
            wa_view_free(v);
            v = NULL;
        }
    });
    b->busy--;
    if (c)
        c->busy--;
    doc = wa_py_view_dict(v, &err);
out:
    wa_select_free(sel);
    wa_select_free(fsel);
    Py_XDECREF(own2);
    Py_XDECREF(own3);
    return doc;
}

/* ------------------------------------------------------------- suspects */

const char wa_snap_suspects_doc[] =
    "suspects(baseline=None, threshold=0.10, accumulation=0.70, external_share=0.01,\n"
    "         min_growth=10, limit=10) -> dict\n--\n\n"
    "Ranked leak suspects (after Eclipse MAT): accumulation points, types whose\n"
    "instances retain a big share, types held by native (external) references,\n"
    "and, given a baseline Snapshot or path, path clusters that grew. The dict is\n"
    "`whyalive suspects --json`'s.";

PyObject *wa_snap_suspects(wa_pysnap *s, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {
        "baseline", "threshold", "accumulation", "external_share", "min_growth", "limit", NULL};
    wa_view_options o;
    wa_view_options_init(&o);
    PyObject *base_arg = Py_None, *lim = NULL;
    unsigned int min_growth = o.suspect.min_growth;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|OdddIO:suspects", kwlist, &base_arg,
                                     &o.suspect.threshold, &o.suspect.accumulation,
                                     &o.suspect.external_share, &min_growth, &lim))
        return NULL;
    o.suspect.min_growth = min_growth;
    if (opt_u32(lim, 10, &o.limit, "limit"))
        return NULL;
    PyObject *own = NULL, *doc = NULL;
    wa_pysnap *base = NULL;
    if (base_arg != Py_None && !(base = snapshot_arg(base_arg, &own)))
        return NULL;
    if (base) {
        o.suspect.baseline = base->snap;
        if (!(o.baseline_name = PyUnicode_AsUTF8(base->path)))
            goto out;
        base->busy++;
    }
    doc = run_view(s, wa_view_suspects, &o);
    if (base)
        base->busy--;
out:
    Py_XDECREF(own);
    return doc;
}

/* ---------------------------------------------------------------- graph */

const char wa_snap_graph_doc[] =
    "graph(objs, mode='auto', path=None, format=None, depth=0, max_nodes=0, fan_in=0,\n"
    "      paths=0, children=0, engine=None) -> dict\n--\n\n"
    "A back-reference picture of objs (selector, Selection, Objects) drawn with\n"
    "Graphviz: mode 'backrefs' (referrers to `depth`), 'paths' (one chain per\n"
    "path cluster), 'dominators', or 'auto'. With `path` the picture is written\n"
    "there (.dot, .svg, .png, .pdf, or `format`), atomically; without it the DOT\n"
    "text is returned in the 'dot' key (format='svg'/'png'/'pdf': the rendered\n"
    "bytes in 'data'). 0 means the library default for every cap. The dict is\n"
    "`whyalive graph --json`'s; an empty selection gives selected=0, no picture.";

PyObject *wa_snap_graph(wa_pysnap *s, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"objs",   "mode",  "path",     "format", "depth", "max_nodes",
                             "fan_in", "paths", "children", "engine", NULL};
    PyObject *arg, *pathobj = Py_None;
    const char *mode_s = NULL, *format_s = NULL, *engine = NULL;
    unsigned int depth = 0, max_nodes = 0, fan_in = 0, npaths = 0, children = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|zOzIIIIIz:graph", kwlist, &arg, &mode_s, &pathobj,
                                     &format_s, &depth, &max_nodes, &fan_in, &npaths, &children,
                                     &engine))
        return NULL;
    wa_view_options o;
    wa_view_options_init(&o);
    wa_render_options *ro = &o.render;
    if (mode_s && strcmp(mode_s, "auto") != 0) {
        int m = wa_render_mode_parse(mode_s);
        if (m < 0) {
            PyErr_Format(PyExc_ValueError,
                         "graph: unknown mode '%s' (expected auto, backrefs, paths or dominators)",
                         mode_s);
            return NULL;
        }
        ro->mode = (wa_render_mode)m;
    }
    PyObject *pathbytes = NULL, *text = NULL, *doc = NULL;
    if (pathobj != Py_None) {
        if (!PyUnicode_FSConverter(pathobj, &pathbytes))
            return NULL;
        o.output = PyBytes_AS_STRING(pathbytes);
    }
    if (format_s) {
        ro->format = wa_render_format_parse(format_s);
        if (ro->format == WA_RENDER_FMT_AUTO) {
            PyErr_Format(PyExc_ValueError,
                         "graph: unknown format '%s' (expected dot, svg, png or pdf)", format_s);
            goto done;
        }
    } else if (o.output) {
        ro->format = wa_render_format_from_path(o.output);
        if (ro->format == WA_RENDER_FMT_AUTO) {
            PyErr_Format(PyExc_ValueError,
                         "graph: cannot tell the format of '%s': name it .dot, .svg, .png or "
                         ".pdf, or give format=",
                         o.output);
            goto done;
        }
    } else {
        ro->format = WA_RENDER_FMT_DOT;
    }
    if (depth)
        ro->depth = depth;
    if (max_nodes)
        ro->max_nodes = max_nodes;
    if (fan_in)
        ro->fan_in = fan_in;
    if (npaths)
        ro->max_paths = npaths;
    if (children)
        ro->children = children;
    ro->engine = engine;
    wa_view_source src;
    if (source_of(s, &src) || selection_arg(s, arg, 0, &o, &text))
        goto done;
    wa_error err;
    wa_error_clear(&err);
    wa_view *v = NULL;
    WA_NOGIL(s, v = wa_view_graph(&src, &o, &err));
    size_t len = 0;
    const char *data = v ? wa_view_data(v, &len) : NULL;
    /* Rendered bytes are no JSON: they join the dict here ("data"). */
    PyObject *bytes = !data ? NULL
                      : ro->format == WA_RENDER_FMT_SVG
                          ? PyUnicode_DecodeUTF8(data, (Py_ssize_t)len, "replace")
                          : PyBytes_FromStringAndSize(data, (Py_ssize_t)len);
    if (data && !bytes) {
        wa_view_free(v);
        goto done;
    }
    doc = wa_py_view_dict(v, &err);
    if (doc && bytes && PyDict_SetItemString(doc, "data", bytes))
        Py_CLEAR(doc);
    Py_XDECREF(bytes);
done:
    PyMem_Free((void *)o.objs);
    Py_XDECREF(text);
    Py_XDECREF(pathbytes);
    return doc;
}

/* --------------------------------------------------------------- report */

const char wa_snap_report_doc[] =
    "report(path=None, other=None, third=None, suspects=10, routes=5, types=300,\n"
    "       tree_nodes=4000, tree_depth=8, tree_children=20, threshold=0.10, svg=True,\n"
    "       no_suspects=False) -> dict\n"
    "--\n\n"
    "One self-contained HTML page for a bug report (`whyalive report A [B [C]]`):\n"
    "header, ranked suspects with their retention routes and pictures, growth\n"
    "with `other` (and `third`), a sortable type table and a dominator tree\n"
    "explorer. This snapshot is the first (oldest); the last one given is\n"
    "analysed. With `path` the page is written there atomically and the dict\n"
    "says what it holds (output, bytes, suspects, pictures, tree_nodes, types);\n"
    "without it the page is returned in the 'html' key.";

PyObject *wa_snap_report(wa_pysnap *s, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"path",  "other",       "third",      "suspects",      "routes",
                             "types", "tree_nodes",  "tree_depth", "tree_children", "threshold",
                             "svg",   "no_suspects", NULL};
    PyObject *pathobj = Py_None, *other_arg = Py_None, *third_arg = Py_None;
    PyObject *nsus = NULL, *nrt = NULL, *nty = NULL, *ntn = NULL, *ntd = NULL, *ntc = NULL;
    wa_report_options ro;
    wa_report_options_init(&ro);
    int svg = 1, no_suspects = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|OOOOOOOOOdpp:report", kwlist, &pathobj, &other_arg,
                                     &third_arg, &nsus, &nrt, &nty, &ntn, &ntd, &ntc,
                                     &ro.suspect.threshold, &svg, &no_suspects))
        return NULL;
    if (wa_py_closed(s) || opt_u32(nsus, 10, &ro.suspects, "suspects") ||
        opt_u32(nrt, 5, &ro.routes, "routes") || opt_u32(nty, 300, &ro.types, "types") ||
        opt_u32(ntn, 4000, &ro.tree_nodes, "tree_nodes") ||
        opt_u32(ntd, 8, &ro.tree_depth, "tree_depth") ||
        opt_u32(ntc, 20, &ro.tree_children, "tree_children"))
        return NULL;
    ro.svg = svg;
    ro.no_suspects = no_suspects;
    if (third_arg != Py_None && other_arg == Py_None) {
        PyErr_SetString(PyExc_TypeError, "report: third needs other");
        return NULL;
    }
    PyObject *pathbytes = NULL, *own2 = NULL, *own3 = NULL, *doc = NULL;
    wa_pysnap *ps[3] = {s, NULL, NULL};
    uint32_t ns = 1;
    if (pathobj != Py_None && !PyUnicode_FSConverter(pathobj, &pathbytes))
        return NULL;
    if (other_arg != Py_None) {
        if (!(ps[1] = snapshot_arg(other_arg, &own2)))
            goto out;
        ns = 2;
    }
    if (third_arg != Py_None) {
        if (!(ps[2] = snapshot_arg(third_arg, &own3)))
            goto out;
        ns = 3;
    }
    wa_view_source src[3];
    memset(src, 0, sizeof src);
    for (uint32_t i = 0; i < ns; i++) {
        src[i].session = ps[i]->session;
        if (!(src[i].name = PyUnicode_AsUTF8(ps[i]->path)))
            goto out;
    }
    wa_error err;
    wa_error_clear(&err);
    wa_report_stats st;
    memset(&st, 0, sizeof st);
    char *page = NULL;
    size_t len = 0;
    wa_status rc = WA_OK;
    const char *out_path = pathbytes ? PyBytes_AS_STRING(pathbytes) : NULL;
    for (uint32_t i = 1; i < ns; i++)
        ps[i]->busy++;
    if (out_path)
        WA_NOGIL(s, rc = wa_report_write(src, ns, &ro, out_path, &st, &err));
    else
        WA_NOGIL(s, page = wa_report_html(src, ns, &ro, &len, &st, &err));
    for (uint32_t i = 1; i < ns; i++)
        ps[i]->busy--;
    if ((out_path && rc != WA_OK) || (!out_path && !page)) {
        wa_py_raise(&err);
        goto out;
    }
    doc = Py_BuildValue("{s:N,s:K,s:I,s:I,s:I,s:I}", "output",
                        out_path ? PyUnicode_DecodeFSDefault(out_path)
                                 : (Py_INCREF(Py_None), Py_None),
                        "bytes", (unsigned long long)st.bytes, "suspects", st.suspects, "pictures",
                        st.pictures, "tree_nodes", st.tree_nodes, "types", st.types);
    if (doc && page) {
        PyObject *html = PyUnicode_DecodeUTF8(page, (Py_ssize_t)len, "replace");
        if (!html || PyDict_SetItemString(doc, "html", html) < 0)
            Py_CLEAR(doc);
        Py_XDECREF(html);
    }
    free(page);
out:
    Py_XDECREF(pathbytes);
    Py_XDECREF(own2);
    Py_XDECREF(own3);
    return doc;
}
