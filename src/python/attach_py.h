/* attach_py.h: whyalive._core._dump_pid (attach_py.c); module.c registers it. */
#ifndef WA_ATTACH_PY_H
#define WA_ATTACH_PY_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

PyObject *wa_attach_py(PyObject *self, PyObject *args);
extern const char wa_attach_py_doc[];

#endif
