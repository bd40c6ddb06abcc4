/* core/text.c: the growable buffer (see text.h) and byte counts for people. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/text.h"
#include "whyalive/snapshot.h"

int wa_buf_fail(wa_buf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->failed = 1;
    return -1;
}

int wa_buf_grow(wa_buf *b, size_t extra) {
    if (b->failed) return -1;
    if (extra >= SIZE_MAX - b->len) return wa_buf_fail(b);
    size_t need = b->len + extra + 1; /* the NUL */
    if (need <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) return wa_buf_fail(b);
        cap *= 2;
    }
    char *d = realloc(b->data, cap);
    if (!d) return wa_buf_fail(b);
    b->data = d;
    b->cap = cap;
    return 0;
}

int wa_buf_printf(wa_buf *b, const char *fmt, ...) {
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return b->failed ? -1 : wa_buf_fail(b);
    if ((size_t)n < sizeof small) return wa_buf_put(b, small, (size_t)n);
    if (wa_buf_reserve(b, (size_t)n)) return -1;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    wa_buf_commit(b, (size_t)n);
    return 0;
}

void wa_buf_truncate(wa_buf *b, size_t len) {
    if (!b->data || len > b->len) return;
    b->len = len;
    b->data[len] = '\0';
}

void wa_buf_free(wa_buf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->failed = 0;
}

const char *wa_size_text(uint64_t bytes, int max_decimals, char buf[32]) {
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    if (bytes < 1024) {
        snprintf(buf, 32, "%" PRIu64 " B", bytes);
        return buf;
    }
    double v = (double)bytes;
    int u = 0;
    while (v >= 1024.0 && u < 5) {
        v /= 1024.0;
        u++;
    }
    /* about three significant digits, capped */
    int decimals = v < 10.0 ? 2 : v < 100.0 ? 1 : 0;
    if (decimals > max_decimals) decimals = max_decimals > 0 ? max_decimals : 0;
    snprintf(buf, 32, "%.*f %s", decimals, v, units[u]);
    return buf;
}
