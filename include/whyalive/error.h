/*
 * whyalive/error.h: status codes and the error record every library call fills.
 *
 * Invariant: the library never prints. A failing call returns a non-zero
 * wa_status and, when given a non-NULL wa_error, fills it with the code, the
 * file it was reading (if any), the position (line or byte offset) and one
 * sentence saying what was expected. Front ends (CLI, Python) decide how to
 * show it; wa_error_string() gives the canonical one-line form.
 */
#ifndef WHYALIVE_ERROR_H
#define WHYALIVE_ERROR_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum wa_status {
    WA_OK = 0,
    WA_ERR_IO = 1,         /* open/read/write/rename failed (errno in message) */
    WA_ERR_FORMAT = 2,     /* malformed input: bad magic, checksum, JSON, field */
    WA_ERR_LIMIT = 3,      /* input claims more than the library will allocate */
    WA_ERR_NOMEM = 4,      /* an allocation failed */
    WA_ERR_ARG = 5,        /* a caller passed an invalid argument or option */
    WA_ERR_SELECTOR = 6,   /* selector syntax error (position = column) */
    WA_ERR_RENDER = 7,     /* Graphviz layout or render failed */
    WA_ERR_UNSUPPORTED = 8 /* feature not available on this platform/build */
} wa_status;

/* No position known. */
#define WA_POS_NONE UINT64_MAX

typedef struct wa_error {
    wa_status code;
    char path[256];  /* file involved, "" if none */
    uint64_t line;   /* 1-based line (JSON Lines), or WA_POS_NONE */
    uint64_t offset; /* byte offset (binary) or 1-based column (selector), or WA_POS_NONE */
    char what[512];  /* what went wrong / what was expected, one sentence */
    char text[1024]; /* scratch for wa_error_string() */
} wa_error;

/* Reset to WA_OK with no position. Safe on NULL. */
void wa_error_clear(wa_error *err);

/* Fill err (if non-NULL) and return code. path may be NULL. */
wa_status wa_error_set(wa_error *err, wa_status code, const char *path, uint64_t line,
                       uint64_t offset, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;
wa_status wa_error_setv(wa_error *err, wa_status code, const char *path, uint64_t line,
                        uint64_t offset, const char *fmt, va_list ap);

/*
 * One line: "PATH:LINE: WHAT", "PATH: byte OFFSET: WHAT", "column COL: WHAT"
 * or just "WHAT". The string lives in err->text.
 */
const char *wa_error_string(wa_error *err);

/* Short name of a status ("format error", ...). */
const char *wa_status_name(wa_status code);

#ifdef __cplusplus
}
#endif
#endif
