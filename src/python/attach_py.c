/*
 * attach_py.c: whyalive._core._dump_pid(), the binding of wa_attach_dump()
 * (src/attach/attach.c) behind whyalive.dump_pid(). The attach runs with
 * the GIL released: it only waits on gdb and on the target.
 */
#include "python/attach_py.h"

#include <string.h>

#include "whyalive/attach.h"

const char wa_attach_py_doc[] =
    "_dump_pid(pid, path, format, values, tracemalloc, foreground, timeout, extension, gdb, "
    "search_dirs, compress=None) -> dict\n"
    "--\n\n"
    "Low-level: see whyalive.dump_pid. Returns the result, or a dict with 'error'.";

PyObject *wa_attach_py(PyObject *self, PyObject *args)
{
    (void)self;
    int pid, values, tracemalloc, foreground;
    const char *path, *format, *extension, *gdb, *compress = NULL;
    double timeout;
    PyObject *dirs;
    if (!PyArg_ParseTuple(args, "izziipdzzO!|z", &pid, &path, &format, &values, &tracemalloc,
                          &foreground, &timeout, &extension, &gdb, &PyList_Type, &dirs, &compress))
        return NULL;
    if (values < 0 || values > 1000000) {
        PyErr_SetString(PyExc_ValueError, "values must be from 0 to 1000000");
        return NULL;
    }
    wa_format fmt = WA_FORMAT_AUTO;
    if (format && (!strcmp(format, "jsonl") || !strcmp(format, "json")))
        fmt = WA_FORMAT_JSONL;
    else if (format && (!strcmp(format, "binary") || !strcmp(format, "wa")))
        fmt = WA_FORMAT_BINARY;
    else if (format) {
        PyErr_Format(PyExc_ValueError, "unknown format %s (expected 'jsonl' or 'binary')", format);
        return NULL;
    }
    if (compress && strcmp(compress, "none") && strcmp(compress, "gzip") &&
        strcmp(compress, "zstd")) {
        PyErr_Format(PyExc_ValueError,
                     "unknown compress '%s' (expected None, 'none', 'gzip' or 'zstd')", compress);
        return NULL;
    }
    Py_ssize_t nd = PyList_GET_SIZE(dirs);
    if (nd > 16)
        nd = 16;
    const char *dv[17];
    for (Py_ssize_t i = 0; i < nd; i++) {
        PyObject *d = PyList_GET_ITEM(dirs, i);
        dv[i] = PyUnicode_Check(d) ? PyUnicode_AsUTF8(d) : NULL;
        if (!dv[i])
            return NULL;
    }
    dv[nd] = NULL;
    wa_attach_options o;
    memset(&o, 0, sizeof o);
    o.pid = pid;
    o.output = path;
    o.format = fmt;
    o.compress = compress;
    o.values = (uint32_t)values;
    o.tracemalloc = tracemalloc;
    o.foreground = foreground;
    o.timeout = timeout;
    o.extension = extension;
    o.gdb = gdb;
    o.search_dirs = dv;
    o.route = WA_ATTACH_GDB;
    wa_attach_result *r = PyMem_RawCalloc(1, sizeof *r);
    if (!r)
        return PyErr_NoMemory();
    wa_error err;
    wa_status st;
    Py_BEGIN_ALLOW_THREADS st = wa_attach_dump(&o, r, &err);
    Py_END_ALLOW_THREADS PyObject *res;
    if (st != WA_OK)
        res = Py_BuildValue("{s:s,s:s,s:s}", "error", err.what, "status", wa_status_name(st),
                            "detail", r->detail);
    else
        res = Py_BuildValue(
            "{s:s,s:s,s:K,s:K,s:K,s:K,s:d,s:d,s:d,s:d,s:s,s:s,s:l}", "path", r->path, "format",
            wa_format_from_path(r->path) == WA_FORMAT_JSONL ? "jsonl" : "binary", "objects",
            (unsigned long long)r->objects, "edges", (unsigned long long)r->edges, "roots",
            (unsigned long long)r->roots, "bytes", (unsigned long long)r->bytes, "seconds",
            r->seconds, "pause", r->pause, "total", r->total, "stopped", r->stopped, "python",
            r->python, "extension", r->extension, "child", r->child);
    PyMem_RawFree(r);
    return res;
}
