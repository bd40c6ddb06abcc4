/*
 * src/dumper/dump_text.h: every string the dumper writes (dump_text.c):
 * interning through the writer's string table, the UTF-8 of str objects,
 * the text of labels, object names and values.
 *
 * Invariants:
 *  - text is made from C-level fields only: a str is read from its
 *    canonical representation (never PyUnicode_AsUTF8, which would attach a
 *    UTF-8 copy to the object and grow the heap being dumped), a dict key
 *    shows as 'str', an int, None/True/False or <TypeName>; no __repr__,
 *    __str__ or __format__ runs;
 *  - text is capped (dict keys 64 characters, names 200, values to the
 *    `values` option), so a dump is never a copy of the data;
 *  - a string id is WA_NONE only on failure (d->err or d->oom set);
 *    0 means "none".
 */
#ifndef WA_DUMP_TEXT_H
#define WA_DUMP_TEXT_H

#include "dumper/dump.h"

uint32_t wa_dump_intern(wa_dump *d, const char *s, size_t len);
uint32_t wa_dump_intern_cstr(wa_dump *d, const char *s);
/* UTF-8 of s's first max_chars code points into out (cap >= 4 * max_chars
 * + 1); returns the bytes written, *truncated if s was longer. */
size_t wa_dump_str_utf8(PyObject *s, char *out, size_t cap, size_t max_chars, int *truncated);
/* d->buf holds at least need bytes; -1 if out of memory. */
int wa_dump_buf_reserve(wa_dump *d, size_t need);
/* The name of a hint (source CSTR, PYSTR, KEY or NSKEY), interned. */
uint32_t wa_dump_hint_text(wa_dump *d, const wa_hint *h);
/* An object's name (module, class qualname, "qualname (file:line)" of
 * functions, code and frames, ...), 0 for none. */
uint32_t wa_dump_object_name(wa_dump *d, PyObject *o);
/* values=N: the first N characters or bytes of a str/bytes, an int, float
 * or bool; 0 for anything else. */
uint32_t wa_dump_object_value(wa_dump *d, PyObject *o);

#endif
