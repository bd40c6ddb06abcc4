/*
 * attach_entry.c: the one symbol `whyalive dump --pid` calls inside a target
 * that never imported whyalive (src/attach/attach.c drives gdb; the gdb
 * script is src/attach/attach_gdb.py).
 *
 * gdb dlopen()s this extension into the stopped target and calls
 * whyalive_attach_start(request) on a thread stopped at a safe point (see
 * the script). That call only copies the request and starts a detached
 * thread; gdb then detaches, so the target is stopped for milliseconds. The
 * thread takes the GIL the way any C thread calling into Python does
 * (PyGILState_Ensure), gives up without touching anything if that happened
 * after the deadline, else runs the dumper (forking by default) and reports
 * through the status file the driver created: lines appended with one
 * write() each, "gil" once the GIL is held, then one final line "ok ...",
 * "error MESSAGE" or "timeout".
 *
 * Invariant: no Python module is imported or created (sys.modules is left
 * as it was; on 3.9 the gc module the dumper imports is removed again), the
 * thread's Python thread state is deleted when it is done, every signal is
 * blocked in the thread (the target's handlers keep running where they
 * ran), and nothing is ever written to the target's stdout/stderr.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dumper/dump_api.h"

typedef struct attach_req {
    char *text; /* the request, owned; the fields below point into it */
    const char *status, *path;
    int format, tracemalloc, background, compression;
    unsigned values;
    double deadline; /* CLOCK_REALTIME seconds */
    long owner;      /* the caller's pid when in our pid namespace, else 0 */
} attach_req;

static double realtime_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Append one line to the status file (never created here: the driver made
 * it, owned by this process's user). */
static void status_line(const char *status, const char *line)
{
    int fd = open(status, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return;
    size_t n = strlen(line);
    ssize_t w = write(fd, line, n);
    (void)w;
    close(fd);
}

static void status_result(const char *status, const wa_dump_c_result *r, int rc)
{
    char line[700];
    if (rc == 0)
        snprintf(line, sizeof line,
                 "ok objects=%llu edges=%llu roots=%llu bytes=%llu seconds=%.6f pause=%.6f\n",
                 r->objects, r->edges, r->roots, r->bytes, r->seconds, r->pause);
    else {
        char msg[520];
        snprintf(msg, sizeof msg, "%s", r->error);
        for (char *p = msg; *p; p++)
            if (*p == '\n' || *p == '\r')
                *p = ' ';
        snprintf(line, sizeof line, "error %s\n", msg);
    }
    status_line(status, line);
}

static void child_done(const wa_dump_c_result *r, int rc, void *ctx)
{
    status_result((const char *)ctx, r, rc);
}

/* "key=value" lines. 0, or -1 when a required key is missing. */
static int parse_req(attach_req *q)
{
    q->format = 0;
    q->compression = 0;
    q->tracemalloc = -1;
    q->background = 1;
    q->values = 0;
    q->deadline = 0;
    char *save = NULL;
    for (char *line = strtok_r(q->text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *eq = strchr(line, '=');
        if (!eq)
            continue;
        *eq = '\0';
        const char *v = eq + 1;
        if (!strcmp(line, "status"))
            q->status = v;
        else if (!strcmp(line, "path"))
            q->path = v;
        else if (!strcmp(line, "format"))
            q->format = atoi(v);
        else if (!strcmp(line, "compress"))
            q->compression = atoi(v);
        else if (!strcmp(line, "values"))
            q->values = (unsigned)strtoul(v, NULL, 10);
        else if (!strcmp(line, "tracemalloc"))
            q->tracemalloc = atoi(v);
        else if (!strcmp(line, "background"))
            q->background = atoi(v);
        else if (!strcmp(line, "deadline"))
            q->deadline = strtod(v, NULL);
        else if (!strcmp(line, "owner"))
            q->owner = strtol(v, NULL, 10);
    }
    return q->status && q->path && q->deadline > 0 ? 0 : -1;
}

static void *attach_thread(void *arg)
{
    attach_req *q = arg;
    pthread_setname_np(pthread_self(), "whyalive-attach");
    PyGILState_STATE g = PyGILState_Ensure();
    if (realtime_now() > q->deadline) {
        /* too late: the driver has given up; leave without a trace */
        PyGILState_Release(g);
        status_line(q->status, "timeout\n");
        goto out;
    }
    status_line(q->status, "gil\n");
#if PY_VERSION_HEX < 0x030A0000
    /* 3.9's gc_set() imports gc: keep sys.modules as it was */
    PyObject *gc_name = PyUnicode_FromString("gc");
    PyObject *had_gc = gc_name ? PyImport_GetModule(gc_name) : NULL;
    Py_XDECREF(had_gc);
    PyErr_Clear();
#endif
    wa_dump_c_options o = {q->path,       q->format,  q->values,         q->tracemalloc,
                           q->background, child_done, (void *)q->status, q->compression};
    wa_dump_c_result r;
    int rc = wa_dump_from_c(&o, &r);
#if PY_VERSION_HEX < 0x030A0000
    if (!had_gc && gc_name) {
        PyObject *mods = PyImport_GetModuleDict();
        if (PyDict_GetItem(mods, gc_name) && PyDict_DelItem(mods, gc_name) != 0)
            PyErr_Clear();
    }
    Py_XDECREF(gc_name);
#endif
    PyGILState_Release(g);
    if (rc != 0 || !q->background) {
        status_result(q->status, &r, rc);
        goto out;
    }
    char line[128];
    snprintf(line, sizeof line, "forked pid=%ld pause=%.6f\n", r.pid, r.pause);
    status_line(q->status, line);
    /* Reap our child (it reports its own outcome); a death by signal is
     * reported here. ECHILD: the target reaped it itself. */
    int st = 0;
    pid_t w;
    do
        w = waitpid((pid_t)r.pid, &st, __WALL);
    while (w < 0 && errno == EINTR);
    if (w == (pid_t)r.pid && WIFSIGNALED(st)) {
        snprintf(line, sizeof line, "error the dump child %ld died with signal %d\n", r.pid,
                 WTERMSIG(st));
        status_line(q->status, line);
    }
out:
    /* The caller removes the status file once it has read it; a caller
     * killed before that leaves no file behind: wait (up to 10 s, holding
     * nothing) until the file is gone or the caller is. */
    for (int i = 0; q->owner > 0 && i < 200; i++) {
        if (access(q->status, F_OK) != 0)
            break;
        if (kill((pid_t)q->owner, 0) != 0 && errno == ESRCH) {
            unlink(q->status);
            break;
        }
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    free(q->text);
    free(q);
    return NULL;
}

/*
 * Called by gdb in a stopped thread of the target. Returns 0 when the dump
 * thread was started, else a positive code: 1 bad request, 2 interpreter
 * not initialised, 3 interpreter version differs from this build, 4 out of
 * memory, 100 + errno pthread_create failed. Touches no Python state.
 */
__attribute__((visibility("default"))) int whyalive_attach_start(const char *request);

int whyalive_attach_start(const char *request)
{
    if (!request)
        return 1;
    if (!Py_IsInitialized())
        return 2;
    /* the version the target runs against the one this was built for */
    const char *v = Py_GetVersion();
    char want[16];
    snprintf(want, sizeof want, "%d.%d.", PY_MAJOR_VERSION, PY_MINOR_VERSION);
    if (strncmp(v, want, strlen(want)) != 0)
        return 3;
    attach_req *q = calloc(1, sizeof *q);
    if (!q)
        return 4;
    q->text = strdup(request);
    if (!q->text) {
        free(q);
        return 4;
    }
    if (parse_req(q) != 0) {
        free(q->text);
        free(q);
        return 1;
    }
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old); /* inherited by the new thread */
    pthread_t t;
    int e = pthread_create(&t, &attr, attach_thread, q);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    if (e != 0) {
        free(q->text);
        free(q);
        return 100 + e;
    }
    return 0;
}
