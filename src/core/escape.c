/* escape.c: escaping a dump's strings for a terminal (whyalive/text.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "whyalive/text.h"

/* Code points that change how text is laid out or that show nothing:
 * bidirectional marks, overrides and isolates, zero-width characters, line
 * and paragraph separators, interlinear annotations, tag characters. */
static int invisible(uint32_t cp) {
    if (cp >= 0x80 && cp <= 0x9F) return 1; /* C1 controls */
    switch (cp) {
    case 0x00AD: /* soft hyphen */
    case 0x034F: /* combining grapheme joiner */
    case 0x061C: /* Arabic letter mark */
    case 0x115F:
    case 0x1160: /* Hangul fillers */
    case 0x180E: /* Mongolian vowel separator */
    case 0x3164: /* Hangul filler */
    case 0xFEFF: /* zero-width no-break space (BOM) */
    case 0xFFA0: return 1;
    }
    return (cp >= 0x200B && cp <= 0x200F) || /* zero-width, LRM, RLM */
           (cp >= 0x2028 && cp <= 0x202E) || /* separators, embeddings, overrides */
           (cp >= 0x2060 && cp <= 0x206F) || /* word joiner, isolates, deprecated format */
           (cp >= 0xFFF9 && cp <= 0xFFFB) || /* interlinear annotation */
           (cp >= 0xE0000 && cp <= 0xE007F); /* tags */
}

/* Length of the valid UTF-8 sequence at s (1..4) with its code point, or 0
 * when the bytes there are not UTF-8 (overlong, surrogate, > U+10FFFF,
 * truncated). */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp) {
    unsigned char c = s[0];
    size_t len;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        len = 2, v = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3, v = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    *cp = v;
    return len;
}

/* The escape for the thing at s (into esc, NUL-terminated), or "" when it
 * is shown as it is; *adv: bytes of input it covers. */
static void escape_one(const unsigned char *s, size_t n, char esc[16], size_t *adv) {
    uint32_t cp = 0;
    size_t len = utf8_seq(s, n, &cp);
    esc[0] = '\0';
    if (len == 0) {
        snprintf(esc, 16, "\\x%02x", s[0]);
        *adv = 1;
        return;
    }
    *adv = len;
    if (cp < 0x20 || cp == 0x7F) {
        if (cp == '\n')
            memcpy(esc, "\\n", 3);
        else if (cp == '\t')
            memcpy(esc, "\\t", 3);
        else if (cp == '\r')
            memcpy(esc, "\\r", 3);
        else
            snprintf(esc, 16, "\\x%02x", (unsigned)cp);
    } else if (cp >= 0x80 && invisible(cp)) {
        if (cp > 0xFFFF)
            snprintf(esc, 16, "\\U%08x", (unsigned)cp);
        else
            snprintf(esc, 16, "\\u%04x", (unsigned)cp);
    }
}

int wa_text_is_plain(const char *s, size_t n) {
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        if (p[i] >= 0x20 && p[i] < 0x7F) {
            i++;
            continue;
        }
        char esc[16];
        size_t adv;
        escape_one(p + i, n - i, esc, &adv);
        if (esc[0]) return 0;
        i += adv;
    }
    return 1;
}

size_t wa_text_escape(const char *s, size_t n, char *out, size_t cap) {
    const unsigned char *p = (const unsigned char *)s;
    size_t need = 0, used = 0;
    int full = cap == 0;
    for (size_t i = 0; i < n;) {
        char esc[16];
        size_t adv = 1;
        const char *piece;
        size_t plen;
        if (p[i] >= 0x20 && p[i] < 0x7F) {
            piece = s + i;
            plen = 1;
        } else {
            escape_one(p + i, n - i, esc, &adv);
            piece = esc[0] ? esc : s + i;
            plen = esc[0] ? strlen(esc) : adv;
        }
        need += plen;
        if (!full && used + plen < cap) {
            memcpy(out + used, piece, plen);
            used += plen;
        } else {
            full = 1; /* never a piece after a gap: the text is cut here */
        }
        i += adv;
    }
    if (cap) out[used] = '\0';
    return need;
}

char *wa_text_escape_dup(const char *s, size_t max_bytes) {
    size_t n = strlen(s), cut = 0;
    if (max_bytes && n > max_bytes) {
        n = max_bytes;
        /* back up to the start of a UTF-8 sequence: over at most the three
         * bytes one can continue with (a longer run of continuation bytes
         * is invalid UTF-8, escaped byte by byte, and must not eat the
         * whole text) */
        for (int k = 0; k < 3 && n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80; k++) n--;
        cut = 1;
    }
    size_t need = wa_text_escape(s, n, NULL, 0);
    char *out = malloc(need + (cut ? 3 : 0) + 1);
    if (!out) return NULL;
    wa_text_escape(s, n, out, need + 1);
    if (cut) memcpy(out + need, "...", 4);
    return out;
}
