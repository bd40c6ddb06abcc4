/*
 * src/dumper/dump_compat.h: what the dumper reads of CPython's internals,
 * per version (dump_compat.c): managed dicts and inline values, interpreter
 * frames, static-builtin type state, immortality, sizes.
 *
 * Invariant: dump_compat.c is the only part of the dumper that includes
 * internal headers (Py_BUILD_CORE_MODULE; gc_walk.c reads the GC's lists
 * the same way); on a version it does not know, a read gives "no hint"
 * rather than a guess. Nothing here runs Python-level code, keeps a new
 * Python object past the call or materializes a __dict__.
 */
#ifndef WA_DUMP_COMPAT_H
#define WA_DUMP_COMPAT_H

#include "dumper/dump.h"

/* Labelers for layouts that changed across versions (wa_dump_hint_add). */
int wa_dump_compat_instance_hints(wa_dump *d, PyObject *o);
int wa_dump_compat_frame_hints(wa_dump *d, PyObject *frame);
int wa_dump_compat_gen_hints(wa_dump *d, PyObject *gen, const char *frame_label);
int wa_dump_compat_code_hints(wa_dump *d, PyObject *code);
int wa_dump_compat_function_hints(wa_dump *d, PyObject *func);
int wa_dump_compat_type_hints(wa_dump *d, PyTypeObject *t);

int wa_dump_compat_is_immortal(PyObject *o);
int wa_dump_compat_frame_executing(PyObject *frame);
PyObject *wa_dump_compat_frame_code(PyObject *frame);
PyObject *wa_dump_compat_freevar_name(PyObject *code, Py_ssize_t i);
PyObject *
wa_dump_compat_gen_qualname(PyObject *gen); /* borrowed; generators, coroutines, async generators */
size_t wa_dump_compat_preheader(PyObject *o);
int wa_dump_compat_dict_is_split(PyObject *dict);
/* The C-level __sizeof__ to use for a type (NULL: the default), looked up
 * once per type; wa_dump_compat_sizeof() is sys.getsizeof without Python code. */
PyCFunction wa_dump_compat_sizeof_fn(PyTypeObject *tp);
PyObject *wa_dump_compat_type_dict(PyTypeObject *t); /* borrowed, NULL if none */
uint64_t wa_dump_compat_sizeof(PyObject *o, PyCFunction f);
PyObject **wa_dump_compat_dict_slot(PyObject *o); /* existing __dict__ slot, never materializes */

#endif
