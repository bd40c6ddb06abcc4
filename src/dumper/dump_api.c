/*
 * dump_api.c: whyalive._core.dump(), the Python entry point of the dumper.
 *
 * Invariant: options are checked and the output file is opened before the
 * heap is touched; from the moment the gc-tracked set is taken until the
 * writer is committed or aborted, no Python-level code runs and the cyclic
 * GC is off (restored on every exit path). Any failure aborts the writer, so
 * nothing is left at the target path, and surfaces as OSError, ValueError or
 * MemoryError.
 */
#include "dumper/dump_api.h"

#include "dumper/dump.h"
#include "dumper/dump_roots.h"
#include "dumper/dump_table.h"
#include "dumper/dump_text.h"
#include "dumper/dump_walk.h"
#include "dumper/gc_walk.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "whyalive/whyalive.h"

/* The module's own dump function: the caller's value stack holds it during
 * the call, a reference the walk cannot see (set by wa_dump_init). */
static PyObject *dump_func;
/* The Python-level whyalive.dump, on its caller's stack in the same way
 * (registered by the package through _core._set_wrapper). */
static PyObject *dump_wrapper;

int wa_dump_init(PyObject *module)
{
    /* Remember our dump function: while it runs, the caller's stack holds a
     * reference to it that the heap walk must discount. */
    dump_func = PyObject_GetAttrString(module, "dump");
    if (!dump_func)
        return -1;
    Py_DECREF(dump_func); /* the module keeps it alive */
    if (PyModule_AddStringConstant(module, "__version__", WA_VERSION) != 0)
        return -1;
    if (PyModule_AddIntConstant(module, "FORMAT_VERSION", WA_FORMAT_VERSION) != 0)
        return -1;
    return 0;
}

PyObject *wa_dump_set_wrapper(PyObject *self, PyObject *fn)
{
    (void)self;
    Py_XINCREF(fn);
    Py_XSETREF(dump_wrapper, fn);
    Py_RETURN_NONE;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    unsigned long size = 0, res = 0;
    int ok = fscanf(f, "%lu %lu", &size, &res) == 2;
    fclose(f);
    return ok ? (uint64_t)res * (uint64_t)sysconf(_SC_PAGESIZE) : 0;
}

/* gc.disable()/enable() without running anything but the gc module. */
static int gc_set(int enable)
{
#if PY_VERSION_HEX >= 0x030A0000
    return enable ? PyGC_Enable() : PyGC_Disable();
#else
    PyObject *gc = PyImport_ImportModule("gc");
    if (!gc)
        return -1;
    PyObject *was = PyObject_CallMethod(gc, "isenabled", NULL);
    int w = was ? PyObject_IsTrue(was) : 0;
    Py_XDECREF(was);
    PyObject *r = PyObject_CallMethod(gc, enable ? "enable" : "disable", NULL);
    Py_XDECREF(r);
    Py_DECREF(gc);
    PyErr_Clear();
    return w;
#endif
}

static int tracemalloc_tracing(void)
{
    PyObject *name = PyUnicode_FromString("tracemalloc");
    PyObject *mod = name ? PyImport_GetModule(name) : NULL;
    Py_XDECREF(name);
    if (!mod) {
        PyErr_Clear();
        return 0;
    }
    PyObject *r = PyObject_CallMethod(mod, "is_tracing", NULL);
    Py_DECREF(mod);
    int t = r ? PyObject_IsTrue(r) : 0;
    Py_XDECREF(r);
    PyErr_Clear();
    return t > 0;
}

typedef struct meta_buf {
    char pyver[64], host[256], time[32], tool[32];
    char **argv;
    uint32_t argc;
} meta_buf;

static void meta_free(meta_buf *m)
{
    for (uint32_t i = 0; i < m->argc; i++)
        free(m->argv[i]);
    free(m->argv);
    m->argv = NULL;
    m->argc = 0;
}

static void meta_fill(meta_buf *m, wa_meta *meta)
{
    memset(meta, 0, sizeof *meta);
    const char *v = Py_GetVersion();
    size_t n = strcspn(v, " ");
    snprintf(m->pyver, sizeof m->pyver, "%.*s", (int)(n < 60 ? n : 60), v);
    if (gethostname(m->host, sizeof m->host) != 0)
        m->host[0] = '\0';
    m->host[sizeof m->host - 1] = '\0';
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(m->time, sizeof m->time, "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(m->tool, sizeof m->tool, "%s", WA_VERSION);
    PyObject *argv = PySys_GetObject("argv"); /* borrowed */
    if (argv && PyList_Check(argv)) {
        Py_ssize_t c = PyList_GET_SIZE(argv);
        m->argv = calloc((size_t)c + 1, sizeof *m->argv);
        for (Py_ssize_t i = 0; m->argv && i < c; i++) {
            PyObject *a = PyList_GET_ITEM(argv, i);
            if (!PyUnicode_Check(a))
                continue;
            char tmp[1024];
            int trunc;
            wa_dump_str_utf8(a, tmp, sizeof tmp, 250, &trunc);
            m->argv[m->argc] = strdup(tmp);
            if (m->argv[m->argc])
                m->argc++;
        }
    }
    meta->format_version = WA_FORMAT_VERSION;
    meta->tool_version = m->tool;
    meta->python_version = m->pyver;
    meta->implementation = "CPython";
    meta->host = m->host;
    meta->time = m->time;
    meta->pid = (int64_t)getpid();
    meta->rss = rss_bytes();
    meta->argc = m->argc;
    meta->argv = (const char *const *)m->argv;
}

/* Size the object set from the process's size (about one object per 100
 * bytes); segments then grow to what lands in them. */
static int tab_start(wa_dump *d)
{
    uint64_t rss = rss_bytes();
    if (wa_dump_tab_init(d, rss / 100 + 1024, rss) != 0) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static PyObject *raise_wa(wa_error *err)
{
    PyObject *exc = PyExc_OSError;
    switch (err->code) {
    case WA_ERR_ARG:
    case WA_ERR_LIMIT:
        exc = PyExc_ValueError;
        break;
    case WA_ERR_NOMEM:
        exc = PyExc_MemoryError;
        break;
    default:
        break;
    }
    PyErr_Format(exc, "whyalive.dump: %s", wa_error_string(err));
    return NULL;
}

/* The dump proper. Returns 0, or -1 with either a Python exception set or
 * d->err filled. */
static int run_dump(wa_dump *d)
{
    double t0 = now_seconds();
    wa_error_clear(&d->err);
    d->w = wa_writer_open(d->opt.path, d->opt.format, &d->err);
    if (!d->w)
        return -1;
    if (d->opt.compression != WA_COMPRESSION_NONE &&
        wa_writer_compress(d->w, d->opt.compression, 0, &d->err) != WA_OK) {
        wa_writer_abort(d->w);
        d->w = NULL;
        return -1;
    }
    meta_buf mb = {0};
    wa_meta meta;
    meta_fill(&mb, &meta);
    wa_status st = wa_writer_meta(d->w, &meta, &d->err);
    meta_free(&mb);
    if (st != WA_OK)
        goto fail;

    if (d->opt.tracemalloc != 0) {
        int t = tracemalloc_tracing();
        if (d->opt.tracemalloc == 1 && !t) {
            PyErr_SetString(PyExc_ValueError,
                            "whyalive.dump: tracemalloc=True but tracemalloc is not tracing "
                            "(call tracemalloc.start() first)");
            goto fail;
        }
        d->tracing = t;
    }

    int was_enabled = gc_set(0);
    if (wa_dump_roots_prepare(d) != 0) {
        if (!PyErr_Occurred())
            PyErr_NoMemory();
        goto fail_gc;
    }
    if (tab_start(d) != 0)
        goto fail_gc;
    if (dump_func) {
        d->own_obj[d->n_own] = dump_func;
        d->own_cnt[d->n_own++] = 1;
    }
    if (dump_wrapper) {
        d->own_obj[d->n_own] = dump_wrapper;
        d->own_cnt[d->n_own++] = 2; /* our registry + the caller's stack */
    }
    if (wa_dump_discover(d) != 0)
        goto walk_failed;
    wa_dump_roots_adjust(d);
    if (d->oom || wa_dump_tab_freeze(d) != 0) {
        d->oom = 1;
        goto walk_failed;
    }
    if (wa_dump_emit(d) != 0 || wa_dump_roots_write(d) != 0)
        goto walk_failed;
    d->stats.objects = d->n;
    if (wa_writer_set_seconds(d->w, now_seconds() - t0, &d->err) != WA_OK)
        goto fail_gc;
    wa_writer_stats ws;
    memset(&ws, 0, sizeof ws);
    wa_writer *w = d->w;
    d->w = NULL;
    if (wa_writer_commit(w, &ws, &d->err) != WA_OK)
        goto fail_gc;
    d->stats.bytes = ws.bytes;
    if (ws.edges)
        d->stats.edges = ws.edges;
    if (was_enabled > 0)
        gc_set(1);
    PyErr_Clear(); /* nothing raised during the walk matters once written */
    d->stats.seconds = now_seconds() - t0;
    return 0;

walk_failed:
    if (d->err.code == WA_OK && !PyErr_Occurred()) {
        if (d->bad_addr)
            wa_error_set(&d->err, WA_ERR_LIMIT, NULL, WA_POS_NONE, WA_POS_NONE,
                         "an object address does not fit the dump's 52-bit address table");
        else if (d->too_many)
            wa_error_set(&d->err, WA_ERR_LIMIT, NULL, WA_POS_NONE, WA_POS_NONE,
                         "heap too large for a dump (object indexes are 32-bit)");
        else
            wa_error_set(&d->err, WA_ERR_NOMEM, NULL, WA_POS_NONE, WA_POS_NONE,
                         "out of memory while walking the heap");
    }
fail_gc:
    if (was_enabled > 0)
        gc_set(1);
fail:
    wa_writer_abort(d->w);
    d->w = NULL;
    return -1;
}

static int parse_format(PyObject *o, wa_format *out)
{
    if (!o || o == Py_None) {
        *out = WA_FORMAT_AUTO;
        return 0;
    }
    if (!PyUnicode_Check(o)) {
        PyErr_SetString(PyExc_TypeError, "whyalive.dump: format must be None, 'jsonl' or 'binary'");
        return -1;
    }
    const char *s = PyUnicode_AsUTF8(o);
    if (!s)
        return -1;
    if (!strcmp(s, "jsonl") || !strcmp(s, "json"))
        *out = WA_FORMAT_JSONL;
    else if (!strcmp(s, "binary") || !strcmp(s, "wa"))
        *out = WA_FORMAT_BINARY;
    else {
        PyErr_Format(PyExc_ValueError,
                     "whyalive.dump: unknown format %R (expected 'jsonl' or 'binary')", o);
        return -1;
    }
    return 0;
}

/* compress=: None (from the path: .gz, .zst), "none", "gzip" or "zstd". */
static int parse_compress(PyObject *o, const char *path, wa_compression *out)
{
    if (!o || o == Py_None) {
        *out = wa_compression_from_path(path);
        return 0;
    }
    const char *s = PyUnicode_Check(o) ? PyUnicode_AsUTF8(o) : NULL;
    if (PyUnicode_Check(o) && !s)
        return -1;
    if (s && !strcmp(s, "none"))
        *out = WA_COMPRESSION_NONE;
    else if (s && !strcmp(s, "gzip"))
        *out = WA_COMPRESSION_GZIP;
    else if (s && !strcmp(s, "zstd"))
        *out = WA_COMPRESSION_ZSTD;
    else {
        PyErr_Format(PyExc_ValueError,
                     "whyalive.dump: unknown compress %R (expected None, 'none', 'gzip' or "
                     "'zstd')",
                     o);
        return -1;
    }
    return 0;
}

static PyObject *info_dict(const wa_dump *d, const char *path, wa_format fmt, long pid)
{
    wa_format f = fmt == WA_FORMAT_AUTO ? wa_format_from_path(path) : fmt;
    PyObject *pidobj = pid > 0 ? PyLong_FromLong(pid) : Py_None;
    if (pid <= 0)
        Py_INCREF(Py_None);
    return Py_BuildValue(
        "{s:K,s:K,s:K,s:K,s:d,s:s,s:s,s:s,s:K,s:K,s:N}", "objects",
        (unsigned long long)d->stats.objects, "edges", (unsigned long long)d->stats.edges, "roots",
        (unsigned long long)d->stats.roots, "bytes", (unsigned long long)d->stats.bytes, "seconds",
        d->stats.seconds, "path", path, "format", f == WA_FORMAT_JSONL ? "jsonl" : "binary",
        "compression", wa_compression_name(d->opt.compression), "external_roots",
        (unsigned long long)d->stats.external_roots, "dropped_edges",
        (unsigned long long)d->stats.dropped_edges, "pid", pidobj);
}

const char wa_dump_py_doc[] =
    "dump(path, *, format=None, values=0, tracemalloc=None, background=False, compress=None) "
    "-> dict\n"
    "--\n\n"
    "Write a snapshot of this interpreter's heap to path (low-level; see\n"
    "whyalive.dump for the documented API).";

PyObject *wa_dump_py(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    (void)self;
    static const char *const kwlist[] = {"format", "values", "tracemalloc", "background",
                                         "compress"};
    PyObject *kw[5] = {NULL, NULL, NULL, NULL, NULL};
    if (nargs != 1) {
        PyErr_Format(PyExc_TypeError,
                     "whyalive.dump() takes 1 positional argument (path), %zd given", nargs);
        return NULL;
    }
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    for (Py_ssize_t i = 0; i < nkw; i++) {
        PyObject *k = PyTuple_GET_ITEM(kwnames, i);
        int found = 0;
        for (int j = 0; j < 5; j++) {
            if (PyUnicode_CompareWithASCIIString(k, kwlist[j]) == 0) {
                kw[j] = args[nargs + i];
                found = 1;
            }
        }
        if (!found) {
            PyErr_Format(PyExc_TypeError, "whyalive.dump() got an unexpected keyword argument %R",
                         k);
            return NULL;
        }
    }
    if (wa_dump_gc_check_runtime() != 0)
        return NULL;
    PyObject *pathb = NULL;
    if (!PyUnicode_FSConverter(args[0], &pathb))
        return NULL;
    wa_dump d;
    memset(&d, 0, sizeof d);
    size_t plen = (size_t)PyBytes_GET_SIZE(pathb);
    char *path = malloc(plen + 1);
    if (!path) {
        Py_DECREF(pathb);
        return PyErr_NoMemory();
    }
    memcpy(path, PyBytes_AS_STRING(pathb), plen + 1);
    Py_DECREF(pathb);
    if (plen == 0 || strlen(path) != plen) {
        free(path);
        PyErr_SetString(PyExc_ValueError, "whyalive.dump: path must be a non-empty file name");
        return NULL;
    }
    d.opt.path = path;
    if (parse_format(kw[0], &d.opt.format) != 0)
        goto bad;
    if (parse_compress(kw[4], path, &d.opt.compression) != 0)
        goto bad;
    if (kw[1] && kw[1] != Py_None) {
        long v = PyLong_Check(kw[1]) && !PyBool_Check(kw[1]) ? PyLong_AsLong(kw[1]) : -2;
        if (v == -1 && PyErr_Occurred())
            goto bad;
        if (v < 0 || v > 1000000) {
            PyErr_SetString(PyExc_ValueError,
                            "whyalive.dump: values must be an int from 0 (no values) to 1000000");
            goto bad;
        }
        d.opt.values = (uint32_t)v;
    }
    d.opt.tracemalloc = -1;
    if (kw[2] && kw[2] != Py_None) {
        int t = PyObject_IsTrue(kw[2]);
        if (t < 0)
            goto bad;
        d.opt.tracemalloc = t;
    }
    int background = 0;
    if (kw[3]) {
        background = PyObject_IsTrue(kw[3]);
        if (background < 0)
            goto bad;
    }

    if (background) {
        /* fork() while holding the GIL: the child sees the heap exactly as it
         * is now, writes it with no Python code running and leaves with
         * _exit() (no atexit handlers, no buffered output flushed twice). */
        double t0 = now_seconds();
        /* the child's counts reach DumpInfo.wait() through a pipe */
        int counts[2];
        if (pipe2(counts, O_CLOEXEC) != 0) {
            PyErr_SetFromErrno(PyExc_OSError);
            goto bad;
        }
        pid_t pid = fork();
        if (pid < 0) {
            PyErr_SetFromErrno(PyExc_OSError);
            close(counts[0]);
            close(counts[1]);
            goto bad;
        }
        if (pid == 0) {
            close(counts[0]);
            int rc = run_dump(&d);
            if (rc == 0) {
                char line[200];
                int n = snprintf(
                    line, sizeof line, "%llu %llu %llu %llu %llu\n",
                    (unsigned long long)d.stats.objects, (unsigned long long)d.stats.edges,
                    (unsigned long long)d.stats.roots, (unsigned long long)d.stats.external_roots,
                    (unsigned long long)d.stats.dropped_edges);
                ssize_t wr = write(counts[1], line, (size_t)n);
                (void)wr;
            }
            if (rc != 0) {
                char msg[1400];
                if (PyErr_Occurred()) {
                    snprintf(msg, sizeof msg,
                             "whyalive: background dump to %s failed (Python error)\n", path);
                } else {
                    snprintf(msg, sizeof msg, "whyalive: background dump failed: %s\n",
                             wa_error_string(&d.err));
                }
                ssize_t wr = write(2, msg, strlen(msg));
                (void)wr;
            }
            _exit(rc == 0 ? 0 : 1);
        }
        close(counts[1]);
        d.stats.seconds = now_seconds() - t0;
        PyObject *res = info_dict(&d, path, d.opt.format, (long)pid);
        free(path);
        PyObject *fd = res ? PyLong_FromLong(counts[0]) : NULL;
        if (!fd || PyDict_SetItemString(res, "counts_fd", fd) != 0) {
            close(counts[0]);
            Py_XDECREF(fd);
            Py_XDECREF(res);
            return NULL;
        }
        Py_DECREF(fd);
        return res;
    }

    if (run_dump(&d) != 0) {
        wa_dump_tab_free(&d);
        free(path);
        if (PyErr_Occurred())
            return NULL;
        return raise_wa(&d.err);
    }
    wa_dump_tab_free(&d);
    PyObject *res = info_dict(&d, path, d.opt.format, 0);
    free(path);
    return res;

bad:
    free(path);
    return NULL;
}

PyObject *wa_dump_unsupported_py(PyObject *self, PyObject *hexversion)
{
    (void)self;
    unsigned long v = PyLong_AsUnsignedLong(hexversion);
    if (v == (unsigned long)-1 && PyErr_Occurred())
        return NULL;
    const char *why = wa_dump_gc_unsupported(v);
    if (!why)
        Py_RETURN_NONE;
    return PyUnicode_FromString(why);
}

/* The pending exception's message into buf (cleared). */
static void error_text(char *buf, size_t n)
{
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyObject *s = value ? PyObject_Str(value) : NULL;
    const char *m = s ? PyUnicode_AsUTF8(s) : NULL;
    snprintf(buf, n, "%s", m ? m : "Python error during the dump");
    Py_XDECREF(s);
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
    PyErr_Clear();
}

int wa_dump_from_c(const wa_dump_c_options *o, wa_dump_c_result *r)
{
    memset(r, 0, sizeof *r);
    if (wa_dump_gc_check_runtime() != 0) {
        error_text(r->error, sizeof r->error);
        return -1;
    }
    wa_dump d;
    memset(&d, 0, sizeof d);
    d.opt.path = o->path;
    d.opt.format = (wa_format)o->format;
    d.opt.values = o->values;
    d.opt.tracemalloc = o->tracemalloc;
    d.opt.compression = (wa_compression)o->compression;
    double t0 = now_seconds();
    pid_t pid = 0;
    if (o->background) {
        pid = fork();
        if (pid < 0) {
            snprintf(r->error, sizeof r->error, "fork failed: %s", strerror(errno));
            return -1;
        }
    }
    if (pid > 0) {
        r->pid = (long)pid;
        r->pause = now_seconds() - t0;
        return 0;
    }
    int rc = run_dump(&d);
    if (rc != 0) {
        if (PyErr_Occurred()) {
            error_text(r->error, sizeof r->error);
        } else {
            snprintf(r->error, sizeof r->error, "%s", wa_error_string(&d.err));
        }
    } else {
        r->objects = d.stats.objects;
        r->edges = d.stats.edges;
        r->roots = d.stats.roots;
        r->bytes = d.stats.bytes;
        r->seconds = d.stats.seconds;
    }
    r->pause = now_seconds() - t0;
    if (o->background) {
        /* the fork child: report and leave without running anything else */
        if (o->child_done)
            o->child_done(r, rc, o->ctx);
        _exit(rc == 0 ? 0 : 1);
    }
    wa_dump_tab_free(&d);
    return rc;
}
