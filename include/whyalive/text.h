/*
 * whyalive/text.h: strings from a dump, made safe to show to a person.
 *
 * A dump comes from a process that may be buggy or hostile, and its strings
 * (type and attribute names, dict keys, values, thread names, file names,
 * argv, the host name) end up on an engineer's terminal. Everything a front
 * end prints for a person goes through wa_text_escape() first.
 *
 * Invariant: the escaped text holds no byte below 0x20, no DEL, no C1
 * control (U+0080..U+009F), no bidirectional override or isolate and no
 * other invisible format character, and only valid UTF-8. Each such thing
 * is shown as a visible escape instead: "\n", "\t", "\r", "\x1b" for the
 * other C0 controls, DEL and bytes that are not UTF-8, "\u009b" and
 * "\u202e" for code points. Printable text, backslashes included, is kept
 * as it is, so what is on the screen is what is in the dump. JSON output
 * does not use this: JSON escapes exactly.
 */
#ifndef WHYALIVE_TEXT_H
#define WHYALIVE_TEXT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Escape s[0..n) into out (cap bytes, always NUL-terminated when cap > 0;
 * the text is cut at an escape or code point boundary when it does not
 * fit). Returns the length the whole escaped text needs, without the NUL,
 * as snprintf does. */
size_t wa_text_escape(const char *s, size_t n, char *out, size_t cap);

/* Non-zero when s[0..n) is shown as it is (nothing to escape). */
int wa_text_is_plain(const char *s, size_t n);

/* A malloc'd escaped copy of the NUL-terminated s, cut to at most max_bytes
 * bytes of input (0: no limit) with "..." appended when cut. NULL when out
 * of memory. */
char *wa_text_escape_dup(const char *s, size_t max_bytes);

/*
 * "Did you mean": the edit distance between a and b (insertions, deletions,
 * substitutions and swaps of two neighbours each count 1), ASCII letters
 * compared case-folded when fold is non-zero. Any distance above cap is
 * returned as cap + 1, which is cheaper to find.
 */
size_t wa_text_distance(const char *a, const char *b, int fold, size_t cap);

/* The candidate closest to word, or NULL when none is close enough: equal
 * but for case first, then the smallest distance, at most 1 for words up to
 * 4 characters, 2 up to 8, 3 beyond (ties: the first candidate). */
const char *wa_text_closest(const char *word, const char *const *cands, size_t n);

/* The distance wa_text_closest() accepts for a word of this length. */
size_t wa_text_close_enough(size_t word_len);

#ifdef __cplusplus
}
#endif
#endif
