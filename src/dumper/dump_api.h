/*
 * src/dumper/dump_api.h: the dumper as whyalive._core shows it
 * (dump_api.c); module.c registers these.
 *
 * Invariant: options are checked and the output file is opened before the
 * heap is touched; from then until the writer is committed or aborted no
 * Python-level code runs and the cyclic GC is off; any failure leaves
 * nothing at the target path.
 */
#ifndef WA_DUMP_API_H
#define WA_DUMP_API_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* At import: __version__, FORMAT_VERSION, and the module's own dump()
 * (a reference on the caller's stack that the walk discounts). */
int wa_dump_init(PyObject *module);
/* whyalive._core.dump(path, *, format, values, tracemalloc, background, compress) */
PyObject *wa_dump_py(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames);
extern const char wa_dump_py_doc[];
/* whyalive._core._set_wrapper(fn): the Python-level whyalive.dump */
PyObject *wa_dump_set_wrapper(PyObject *self, PyObject *fn);
/* whyalive._core._unsupported(hexversion): why a heap walk refuses to run
 * on an interpreter with that sys.hexversion, or None (for tests: the
 * versions refused cannot be run here). */
PyObject *wa_dump_unsupported_py(PyObject *self, PyObject *hexversion);

/* The dump driven from C, for the attach entry (attach_entry.c): no
 * Python-level caller. Options as whyalive.dump(); tracemalloc -1/0/1. */
typedef struct wa_dump_c_result {
    unsigned long long objects, edges, roots, bytes;
    double seconds; /* the walk and write */
    double pause;   /* the calling thread's time in the call (the fork alone for background) */
    long pid;       /* background: the child writing the dump */
    char error[512];
} wa_dump_c_result;
typedef struct wa_dump_c_options {
    const char *path;
    int format; /* a wa_format */
    unsigned values;
    int tracemalloc;
    int background;
    /* background: the child calls this with its outcome (rc 0 or -1)
     * before it _exit()s */
    void (*child_done)(const wa_dump_c_result *r, int rc, void *ctx);
    void *ctx;
    int compression; /* a wa_compression */
} wa_dump_c_options;
/* With the GIL held. 0, or -1 with r->error. Background: forks and returns
 * in the parent with r->pid; the child never returns. */
int wa_dump_from_c(const wa_dump_c_options *o, wa_dump_c_result *r);

#endif
