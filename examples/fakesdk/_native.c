/*
 * examples/fakesdk/_native.c: the "native core" of the fake speech SDK.
 *
 * The real vendor SDK keeps the Python callbacks connected to a recognizer's
 * event signals inside its C++ core, which calls them from its own threads.
 * That core holds a strong reference per callback (a Py_INCREF, or a ctypes
 * py_object) and gives it back only when the recognizer is stopped or the
 * signal disconnected. Forget both and every callback, the handler object it
 * is bound to and everything that handler reaches stay alive forever.
 *
 * This module reproduces exactly that and nothing more, so the example leaks
 * the way the real service does.
 *
 * Invariants:
 *  - every callback in the registry holds one strong reference, taken in
 *    connect() and given back in disconnect() / release_handle();
 *  - the registry is a plain C array, never a Python object and never
 *    traversed by the cyclic GC: a heap walker sees these callbacks only as
 *    objects whose refcount exceeds the references it can find (an external
 *    root with an excess of one per registration), which is the point;
 *  - the array is consistent before any Py_DECREF or callback call, because
 *    either may run arbitrary Python code that re-enters this module;
 *  - all state is touched with the GIL held.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <string.h>

/* The signals a recognizer has; a small table keeps entries to plain ints. */
static const char *const signal_names[] = {
    "session_started",
    "session_stopped",
    "speech_start_detected",
    "speech_end_detected",
    "transcribing",
    "transcribed",
    "canceled",
};
enum { N_SIGNALS = (int)(sizeof signal_names / sizeof signal_names[0]) };

typedef struct registration {
    unsigned long long handle;
    int signal;
    PyObject *callback; /* strong reference */
} registration;

static registration *reg;
static size_t reg_len, reg_cap;
static unsigned long long next_handle = 1;
static size_t live_handles;

static int signal_index(const char *name) {
    for (int i = 0; i < N_SIGNALS; i++)
        if (strcmp(signal_names[i], name) == 0) return i;
    PyErr_Format(PyExc_ValueError, "unknown signal '%s'", name);
    return -1;
}

/* Moves the matching registrations out of the array into a new list the
 * caller must Py_DECREF, so the array is consistent before any reference is
 * dropped. signal < 0 matches every signal of the handle. */
static PyObject *take_matching(unsigned long long handle, int signal) {
    PyObject *taken = PyList_New(0);
    if (!taken) return NULL;
    size_t keep = 0;
    for (size_t i = 0; i < reg_len; i++) {
        if (reg[i].handle == handle && (signal < 0 || reg[i].signal == signal)) {
            /* The list takes its own reference; ours goes after the array
             * is compacted. On failure the rest stay registered. */
            if (PyList_Append(taken, reg[i].callback) < 0) {
                for (size_t j = i; j < reg_len; j++) reg[keep++] = reg[j];
                reg_len = keep;
                Py_DECREF(taken);
                return NULL;
            }
            Py_DECREF(reg[i].callback); /* still alive: the list holds it */
        } else {
            reg[keep++] = reg[i];
        }
    }
    reg_len = keep;
    return taken;
}

static PyObject *native_create_handle(PyObject *self, PyObject *args) {
    const char *kind;
    if (!PyArg_ParseTuple(args, "s:create_handle", &kind)) return NULL;
    live_handles++;
    return PyLong_FromUnsignedLongLong(next_handle++);
}

static PyObject *native_release_handle(PyObject *self, PyObject *args) {
    unsigned long long handle;
    if (!PyArg_ParseTuple(args, "K:release_handle", &handle)) return NULL;
    PyObject *taken = take_matching(handle, -1);
    if (!taken) return NULL;
    Py_ssize_t n = PyList_GET_SIZE(taken);
    if (live_handles > 0) live_handles--;
    Py_DECREF(taken);
    return PyLong_FromSsize_t(n);
}

static PyObject *native_connect(PyObject *self, PyObject *args) {
    unsigned long long handle;
    const char *name;
    PyObject *callback;
    if (!PyArg_ParseTuple(args, "KsO:connect", &handle, &name, &callback)) return NULL;
    int signal = signal_index(name);
    if (signal < 0) return NULL;
    if (!PyCallable_Check(callback)) {
        PyErr_SetString(PyExc_TypeError, "callback must be callable");
        return NULL;
    }
    if (reg_len == reg_cap) {
        size_t cap = reg_cap ? reg_cap * 2 : 64;
        registration *grown = PyMem_RawRealloc(reg, cap * sizeof *reg);
        if (!grown) return PyErr_NoMemory();
        reg = grown;
        reg_cap = cap;
    }
    Py_INCREF(callback);
    reg[reg_len].handle = handle;
    reg[reg_len].signal = signal;
    reg[reg_len].callback = callback;
    reg_len++;
    Py_RETURN_NONE;
}

static PyObject *native_disconnect(PyObject *self, PyObject *args) {
    unsigned long long handle;
    const char *name;
    if (!PyArg_ParseTuple(args, "Ks:disconnect", &handle, &name)) return NULL;
    int signal = signal_index(name);
    if (signal < 0) return NULL;
    PyObject *taken = take_matching(handle, signal);
    if (!taken) return NULL;
    Py_ssize_t n = PyList_GET_SIZE(taken);
    Py_DECREF(taken);
    return PyLong_FromSsize_t(n);
}

/* Calls every callback connected to (handle, signal) with one argument, the
 * way the SDK's core raises an event. A snapshot of the callbacks is taken
 * first: a callback may connect or disconnect while the event is raised. */
static PyObject *native_fire(PyObject *self, PyObject *args) {
    unsigned long long handle;
    const char *name;
    PyObject *event;
    if (!PyArg_ParseTuple(args, "KsO:fire", &handle, &name, &event)) return NULL;
    int signal = signal_index(name);
    if (signal < 0) return NULL;
    PyObject *targets = PyList_New(0);
    if (!targets) return NULL;
    for (size_t i = 0; i < reg_len; i++) {
        if (reg[i].handle == handle && reg[i].signal == signal &&
            PyList_Append(targets, reg[i].callback) < 0) {
            Py_DECREF(targets);
            return NULL;
        }
    }
    Py_ssize_t n = PyList_GET_SIZE(targets);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *r = PyObject_CallOneArg(PyList_GET_ITEM(targets, i), event);
        if (!r) {
            Py_DECREF(targets);
            return NULL;
        }
        Py_DECREF(r);
    }
    Py_DECREF(targets);
    return PyLong_FromSsize_t(n);
}

static PyObject *native_stats(PyObject *self, PyObject *unused) {
    return Py_BuildValue("{s:n,s:n}", "handles", (Py_ssize_t)live_handles, "callbacks",
                         (Py_ssize_t)reg_len);
}

static PyMethodDef native_methods[] = {
    {"create_handle", native_create_handle, METH_VARARGS,
     "create_handle(kind) -> int\n\nA new native object handle (recognizer, config)."},
    {"release_handle", native_release_handle, METH_VARARGS,
     "release_handle(handle) -> int\n\nDrop every callback of the handle; returns how many."},
    {"connect", native_connect, METH_VARARGS,
     "connect(handle, signal, callback)\n\nKeep a strong reference to callback until "
     "disconnect() or release_handle()."},
    {"disconnect", native_disconnect, METH_VARARGS,
     "disconnect(handle, signal) -> int\n\nDrop the signal's callbacks; returns how many."},
    {"fire", native_fire, METH_VARARGS,
     "fire(handle, signal, event) -> int\n\nCall the signal's callbacks with event."},
    {"stats", native_stats, METH_NOARGS,
     "stats() -> dict\n\nLive handles and registered callbacks (for tests)."},
    {NULL, NULL, 0, NULL},
};

/* Single-phase init on purpose: the registry is process-global, like the
 * vendor's core library, and outlives any interpreter-level module state. */
static struct PyModuleDef native_module = {
    PyModuleDef_HEAD_INIT,
    "fakesdk._native",
    "The fake speech SDK's native core: handles and a callback registry that\n"
    "holds strong references the cyclic GC cannot see.",
    -1,
    native_methods,
    NULL,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC PyInit__native(void) { return PyModule_Create(&native_module); }
