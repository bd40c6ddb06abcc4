/*
 * _wa_testholder: a test-only extension that keeps strong references from C,
 * the way a native SDK's callback registry does. An object held only here
 * must show in a dump as an external root with excess 1.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define WA_HOLD_MAX 64
static PyObject *held[WA_HOLD_MAX];
static int n_held;

static PyObject *hold(PyObject *self, PyObject *obj) {
    (void)self;
    if (n_held == WA_HOLD_MAX) {
        PyErr_SetString(PyExc_OverflowError, "holder full");
        return NULL;
    }
    Py_INCREF(obj);
    held[n_held++] = obj;
    Py_RETURN_NONE;
}

static PyObject *release(PyObject *self, PyObject *unused) {
    (void)self;
    (void)unused;
    while (n_held > 0) {
        PyObject *o = held[--n_held];
        held[n_held] = NULL;
        Py_DECREF(o);
    }
    Py_RETURN_NONE;
}

static PyObject *count(PyObject *self, PyObject *unused) {
    (void)self;
    (void)unused;
    return PyLong_FromLong(n_held);
}

static PyMethodDef methods[] = {
    {"hold", hold, METH_O, "Keep a strong reference to obj from C."},
    {"release", release, METH_NOARGS, "Drop every reference held."},
    {"count", count, METH_NOARGS, "Number of references held."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef def = {
    PyModuleDef_HEAD_INIT, "_wa_testholder", NULL, -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__wa_testholder(void) { return PyModule_Create(&def); }
