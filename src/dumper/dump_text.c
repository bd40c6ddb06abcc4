/*
 * dump_text.c: every string the dumper writes (see dump_text.h): interning
 * through the writer, the UTF-8 of str objects, labels, names and values.
 */
#include "dumper/dump_text.h"

#include "dumper/dump_compat.h"
#include "dumper/dump_labels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Key labels are capped: a dump must not turn a dict of long keys into a
 * copy of the data. */
#define WA_KEY_CAP 64
#define WA_NAME_CAP 200

uint32_t wa_dump_intern(wa_dump *d, const char *s, size_t len)
{
    uint32_t id = wa_writer_intern(d->w, s, len, &d->err);
    return id;
}

uint32_t wa_dump_intern_cstr(wa_dump *d, const char *s)
{
    return wa_dump_intern(d, s, strlen(s));
}

int wa_dump_buf_reserve(wa_dump *d, size_t need)
{
    if (need <= d->buf_cap)
        return 0;
    size_t cap = d->buf_cap ? d->buf_cap : 256;
    while (cap < need)
        cap *= 2;
    char *b = realloc(d->buf, cap);
    if (!b)
        return -1;
    d->buf = b;
    d->buf_cap = cap;
    return 0;
}

/* UTF-8 of a str's first max_chars code points, straight from its canonical
 * representation (PyUnicode_AsUTF8 would attach a cached copy to the object:
 * the dumper must not grow the heap it dumps). Lone surrogates become U+FFFD.
 * Returns the bytes written (cap must allow 4 * max_chars + 1). */
size_t wa_dump_str_utf8(PyObject *s, char *out, size_t cap, size_t max_chars, int *truncated)
{
    *truncated = 0;
#if PY_VERSION_HEX < 0x030C0000
    if (!PyUnicode_IS_READY(s))
        return 0;
#endif
    Py_ssize_t len = PyUnicode_GET_LENGTH(s);
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    size_t n = 0;
    Py_ssize_t lim = len;
    if ((size_t)lim > max_chars) {
        lim = (Py_ssize_t)max_chars;
        *truncated = 1;
    }
    for (Py_ssize_t i = 0; i < lim && n + 4 < cap; i++) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        /* NUL would cut the C string a name is kept in; a lone surrogate
         * is no UTF-8: both become U+FFFD. */
        if (ch == 0 || (ch >= 0xD800 && ch <= 0xDFFF))
            ch = 0xFFFD;
        if (ch < 0x80) {
            out[n++] = (char)ch;
        } else if (ch < 0x800) {
            out[n++] = (char)(0xC0 | (ch >> 6));
            out[n++] = (char)(0x80 | (ch & 0x3F));
        } else if (ch < 0x10000) {
            out[n++] = (char)(0xE0 | (ch >> 12));
            out[n++] = (char)(0x80 | ((ch >> 6) & 0x3F));
            out[n++] = (char)(0x80 | (ch & 0x3F));
        } else {
            out[n++] = (char)(0xF0 | (ch >> 18));
            out[n++] = (char)(0x80 | ((ch >> 12) & 0x3F));
            out[n++] = (char)(0x80 | ((ch >> 6) & 0x3F));
            out[n++] = (char)(0x80 | (ch & 0x3F));
        }
    }
    out[n] = '\0';
    return n;
}

static uint32_t intern_pystr(wa_dump *d, PyObject *s, size_t max_chars, const char *pre,
                             const char *post)
{
    if (wa_dump_buf_reserve(d, max_chars * 4 + 32) != 0) {
        d->oom = 1;
        return WA_NONE;
    }
    size_t np = strlen(pre);
    memcpy(d->buf, pre, np);
    int trunc;
    size_t n = np + wa_dump_str_utf8(s, d->buf + np, d->buf_cap - np - 8, max_chars, &trunc);
    if (trunc) {
        memcpy(d->buf + n, "...", 3);
        n += 3;
    }
    size_t npost = strlen(post);
    memcpy(d->buf + n, post, npost);
    n += npost;
    return wa_dump_intern(d, d->buf, n);
}

/* A short description of a dict key that runs no Python code: str and int
 * keys are shown, anything else by its type. */
static uint32_t intern_key(wa_dump *d, PyObject *k, int bare_str)
{
    char tmp[96];
    if (PyUnicode_Check(k))
        return bare_str ? intern_pystr(d, k, WA_NAME_CAP, "", "")
                        : intern_pystr(d, k, WA_KEY_CAP, "'", "'");
    if (k == Py_None)
        return wa_dump_intern_cstr(d, "None");
    if (PyBool_Check(k))
        return wa_dump_intern_cstr(d, k == Py_True ? "True" : "False");
    if (PyLong_CheckExact(k)) {
        int overflow = 0;
        long long v = PyLong_AsLongLongAndOverflow(k, &overflow);
        if (!overflow && !(v == -1 && PyErr_Occurred())) {
            snprintf(tmp, sizeof tmp, "%lld", v);
            return wa_dump_intern_cstr(d, tmp);
        }
        PyErr_Clear();
    }
    snprintf(tmp, sizeof tmp, "<%.80s>", Py_TYPE(k)->tp_name);
    return wa_dump_intern_cstr(d, tmp);
}

/* The text of a hint's name (WA_LS_CSTR, PYSTR, KEY or NSKEY), interned. */
uint32_t wa_dump_hint_text(wa_dump *d, const wa_hint *h)
{
    switch (h->source) {
    case WA_LS_CSTR:
        return wa_dump_intern_cstr(d, h->name);
    case WA_LS_PYSTR:
        return PyUnicode_Check((PyObject *)h->name)
                   ? intern_pystr(d, (PyObject *)h->name, WA_NAME_CAP, "", "")
                   : 0;
    case WA_LS_KEY:
        return intern_key(d, (PyObject *)h->name, 0);
    default: /* WA_LS_NSKEY */
        return intern_key(d, (PyObject *)h->name, 1);
    }
}

/* ----------------------------------------------------- names and values */

/* "qualname (file:line)" for functions, code objects and frames. */
static uint32_t code_name(wa_dump *d, PyObject *qual, PyObject *code, int line)
{
    char q[256] = "", f[512] = "";
    int trunc;
    if (qual && PyUnicode_Check(qual))
        wa_dump_str_utf8(qual, q, sizeof q, 60, &trunc);
    if (code && PyCode_Check(code)) {
        PyCodeObject *co = (PyCodeObject *)code;
        if (!q[0] && co->co_name && PyUnicode_Check(co->co_name))
            wa_dump_str_utf8(co->co_name, q, sizeof q, 60, &trunc);
        if (co->co_filename && PyUnicode_Check(co->co_filename))
            wa_dump_str_utf8(co->co_filename, f, sizeof f, 120, &trunc);
        if (line < 0)
            line = co->co_firstlineno;
    }
    char out[900];
    int n = f[0] ? snprintf(out, sizeof out, "%s (%s:%d)", q, f, line)
                 : snprintf(out, sizeof out, "%s", q);
    return wa_dump_intern(d, out, (size_t)(n < (int)sizeof out ? n : (int)sizeof out - 1));
}

uint32_t wa_dump_object_name(wa_dump *d, PyObject *o)
{
    int trunc;
    if (PyModule_Check(o)) {
        PyObject *md = PyModule_GetDict(o);
        PyObject *n = md ? PyDict_GetItemString(md, "__name__") : NULL;
        if (n && PyUnicode_Check(n))
            return intern_pystr(d, n, WA_NAME_CAP, "", "");
        return 0;
    }
    if (PyType_Check(o)) {
        PyTypeObject *t = (PyTypeObject *)o;
        if ((t->tp_flags & Py_TPFLAGS_HEAPTYPE) && ((PyHeapTypeObject *)t)->ht_qualname)
            return intern_pystr(d, ((PyHeapTypeObject *)t)->ht_qualname, WA_NAME_CAP, "", "");
        return wa_dump_intern_cstr(d, t->tp_name);
    }
    if (PyFunction_Check(o)) {
        PyFunctionObject *f = (PyFunctionObject *)o;
        return code_name(d, f->func_qualname, f->func_code, -1);
    }
    if (PyCode_Check(o)) {
#if PY_VERSION_HEX >= 0x030B0000
        return code_name(d, ((PyCodeObject *)o)->co_qualname, o, -1);
#else
        return code_name(d, NULL, o, -1);
#endif
    }
    if (PyFrame_Check(o)) {
        PyObject *code = wa_dump_compat_frame_code(o);
        PyObject *qual = NULL;
#if PY_VERSION_HEX >= 0x030B0000
        if (code && PyCode_Check(code))
            qual = ((PyCodeObject *)code)->co_qualname;
#endif
        return code_name(d, qual, code, PyFrame_GetLineNumber((PyFrameObject *)o));
    }
    if (PyMethod_Check(o)) {
        /* a bound method reads as objgraph names it: "Handler.on_partial (bound)" */
        PyObject *func = PyMethod_GET_FUNCTION(o);
        if (func && PyFunction_Check(func)) {
            PyObject *q = ((PyFunctionObject *)func)->func_qualname;
            if (q && PyUnicode_Check(q))
                return intern_pystr(d, q, WA_NAME_CAP, "", " (bound)");
        }
        return 0;
    }
    if (PyCFunction_Check(o)) {
        PyCFunctionObject *f = (PyCFunctionObject *)o;
        return f->m_ml && f->m_ml->ml_name ? wa_dump_intern_cstr(d, f->m_ml->ml_name) : 0;
    }
    if (PyGen_CheckExact(o) || PyCoro_CheckExact(o) || PyAsyncGen_CheckExact(o)) {
        PyObject *q = wa_dump_compat_gen_qualname(o);
        return q && PyUnicode_Check(q) ? intern_pystr(d, q, WA_NAME_CAP, "", "") : 0;
    }
    PyObject *coro;
    const char *state;
    int fk = wa_dump_future_info(o, &coro, &state);
    if (fk) {
        /* asyncio, read as a bound method's name is: the coroutine's
         * qualname and the state, shown `_asyncio.Task 'Worker.run
         * (pending)'`; a Future its state: `_asyncio.Future 'done'` */
        char q[256] = "", out[400];
        if (coro && (PyCoro_CheckExact(coro) || PyGen_CheckExact(coro))) {
            PyObject *qn = wa_dump_compat_gen_qualname(coro);
            if (qn && PyUnicode_Check(qn)) {
                size_t n = wa_dump_str_utf8(qn, q, sizeof q - 8, 60, &trunc);
                memcpy(q + n, trunc ? "..." : "", trunc ? 4 : 1);
            }
        } else if (coro) {
            snprintf(q, sizeof q, "<%.80s>", Py_TYPE(coro)->tp_name);
        }
        int n;
        if (q[0])
            n = snprintf(out, sizeof out, state ? "%s (%s)" : "%s", q, state ? state : "");
        else
            n = snprintf(out, sizeof out, "%s", state ? state : "");
        if (n <= 0)
            return 0;
        return wa_dump_intern(d, out, (size_t)(n < (int)sizeof out ? n : (int)sizeof out - 1));
    }
    return 0;
}

/* values=N: what a value looks like; only ever called when asked for. */
uint32_t wa_dump_object_value(wa_dump *d, PyObject *o)
{
    char tmp[64];
    uint32_t cap = d->opt.values;
    if (PyUnicode_Check(o))
        return intern_pystr(d, o, cap, "", "");
    if (PyBytes_Check(o) || PyByteArray_Check(o)) {
        const unsigned char *p = PyBytes_Check(o) ? (const unsigned char *)PyBytes_AS_STRING(o)
                                                  : (const unsigned char *)PyByteArray_AS_STRING(o);
        Py_ssize_t len = PyBytes_Check(o) ? PyBytes_GET_SIZE(o) : PyByteArray_GET_SIZE(o);
        size_t lim = (size_t)len < cap ? (size_t)len : cap;
        if (wa_dump_buf_reserve(d, lim * 4 + 8) != 0)
            return 0;
        size_t n = 0;
        /* printable ASCII as is, the rest as \xNN: the value stays valid UTF-8 */
        for (size_t i = 0; i < lim; i++) {
            unsigned char c = p[i];
            if (c >= 0x20 && c < 0x7F && c != '\\') {
                d->buf[n++] = (char)c;
            } else {
                n += (size_t)snprintf(d->buf + n, 5, "\\x%02x", c);
            }
        }
        if ((size_t)len > lim) {
            memcpy(d->buf + n, "...", 3);
            n += 3;
        }
        return wa_dump_intern(d, d->buf, n);
    }
    if (PyBool_Check(o))
        return wa_dump_intern_cstr(d, o == Py_True ? "True" : "False");
    if (PyLong_Check(o)) {
        int overflow = 0;
        long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
        if (overflow || (v == -1 && PyErr_Occurred())) {
            PyErr_Clear();
            return wa_dump_intern_cstr(d, overflow > 0 ? "<large int>" : "<large negative int>");
        }
        snprintf(tmp, sizeof tmp, "%lld", v);
        return wa_dump_intern_cstr(d, tmp);
    }
    if (PyFloat_Check(o)) {
        snprintf(tmp, sizeof tmp, "%.17g", PyFloat_AS_DOUBLE(o));
        return wa_dump_intern_cstr(d, tmp);
    }
    return 0;
}
