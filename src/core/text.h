/*
 * core/text.h: the one growable byte buffer of the library, used for JSON
 * lines and metadata (format), DOT text and notes (render). The byte-count
 * formatter for people, wa_size_text(), is public: whyalive/snapshot.h.
 *
 * Invariants:
 *  - data is NULL (nothing appended yet, or failed) or holds len bytes
 *    followed by a NUL, so the content is always usable as a C string;
 *  - a failed allocation drops the content and sticks: failed is set, data
 *    is NULL, len 0, and every later append does nothing and returns -1. A
 *    writer can test each return or only `failed` at the end; both see the
 *    same failure. A zero-initialized wa_buf is an empty buffer.
 */
#ifndef WA_CORE_TEXT_H
#define WA_CORE_TEXT_H

#include <stddef.h>
#include <string.h>

typedef struct wa_buf {
    char *data;
    size_t len, cap;
    int failed;
} wa_buf;

/* Slow path of wa_buf_reserve: room for extra more bytes and the NUL. */
int wa_buf_grow(wa_buf *b, size_t extra);
/* Room for extra more bytes (and the NUL) at data + len; 0, or -1 failed. */
static inline int wa_buf_reserve(wa_buf *b, size_t extra) {
    return b->cap - b->len > extra ? 0 : wa_buf_grow(b, extra);
}
/* Count n bytes written in place at data + len (after wa_buf_reserve). */
static inline void wa_buf_commit(wa_buf *b, size_t n) {
    b->len += n;
    b->data[b->len] = '\0';
}
static inline int wa_buf_put(wa_buf *b, const void *s, size_t n) {
    if (wa_buf_reserve(b, n)) return -1;
    memcpy(b->data + b->len, s, n);
    wa_buf_commit(b, n);
    return 0;
}
static inline int wa_buf_puts(wa_buf *b, const char *s) { return wa_buf_put(b, s, strlen(s)); }
int wa_buf_printf(wa_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Make b failed, as a failed allocation would (e.g. when text meant for it
 * could not be built); returns -1. */
int wa_buf_fail(wa_buf *b);
/* Keep the first len bytes (len <= b->len). */
void wa_buf_truncate(wa_buf *b, size_t len);
void wa_buf_free(wa_buf *b);

#endif
