#include "whyalive/error.h"

#include <stdio.h>
#include <string.h>

void wa_error_clear(wa_error *err) {
    if (!err) return;
    err->code = WA_OK;
    err->path[0] = '\0';
    err->line = WA_POS_NONE;
    err->offset = WA_POS_NONE;
    err->what[0] = '\0';
    err->text[0] = '\0';
}

wa_status wa_error_setv(wa_error *err, wa_status code, const char *path, uint64_t line,
                        uint64_t offset, const char *fmt, va_list ap) {
    if (!err) return code;
    err->code = code;
    snprintf(err->path, sizeof err->path, "%s", path ? path : "");
    err->line = line;
    err->offset = offset;
    vsnprintf(err->what, sizeof err->what, fmt, ap);
    /* One line, always: a message must never break a log line in two. */
    for (char *p = err->what; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
    err->text[0] = '\0';
    return code;
}

wa_status wa_error_set(wa_error *err, wa_status code, const char *path, uint64_t line,
                       uint64_t offset, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    wa_status s = wa_error_setv(err, code, path, line, offset, fmt, ap);
    va_end(ap);
    return s;
}

const char *wa_error_string(wa_error *err) {
    if (!err) return "unknown error";
    const char *what = err->what[0] ? err->what : wa_status_name(err->code);
    if (err->path[0] && err->line != WA_POS_NONE)
        snprintf(err->text, sizeof err->text, "%s:%llu: %s", err->path,
                 (unsigned long long)err->line, what);
    else if (err->path[0] && err->offset != WA_POS_NONE)
        snprintf(err->text, sizeof err->text, "%s: byte %llu: %s", err->path,
                 (unsigned long long)err->offset, what);
    else if (err->path[0])
        snprintf(err->text, sizeof err->text, "%s: %s", err->path, what);
    else if (err->offset != WA_POS_NONE)
        snprintf(err->text, sizeof err->text, "column %llu: %s", (unsigned long long)err->offset,
                 what);
    else
        snprintf(err->text, sizeof err->text, "%s", what);
    return err->text;
}

const char *wa_status_name(wa_status code) {
    switch (code) {
    case WA_OK: return "ok";
    case WA_ERR_IO: return "I/O error";
    case WA_ERR_FORMAT: return "format error";
    case WA_ERR_LIMIT: return "limit exceeded";
    case WA_ERR_NOMEM: return "out of memory";
    case WA_ERR_ARG: return "invalid argument";
    case WA_ERR_SELECTOR: return "selector error";
    case WA_ERR_RENDER: return "render error";
    case WA_ERR_UNSUPPORTED: return "unsupported";
    }
    return "error";
}
