/*
 * test_text.c: wa_text_escape(), wa_text_is_plain() and
 * wa_text_escape_dup() (whyalive/text.h), the one function every string
 * from a dump goes through before it reaches a terminal (issue 19): every
 * C0 control, DEL, every C1 control, bidi overrides and isolates and the
 * other invisible format characters, invalid UTF-8 of every kind; plain
 * text (ASCII, non-ASCII, backslashes) kept as it is; truncation into a
 * small buffer and cutting with "...". Exact strings throughout.
 */
#include "whyalive/text.h"
#include "wa_test.h"

/* The escaped form of s[0..n), through a buffer exactly big enough, after
 * checking the size query (out NULL, cap 0) agrees. Static: one at a time. */
static const char *esc_n(const char *s, size_t n) {
    static char buf[4096];
    size_t need = wa_text_escape(s, n, NULL, 0);
    CHECK(need < sizeof buf);
    memset(buf, 'Z', sizeof buf);
    size_t got = wa_text_escape(s, n, buf, need + 1);
    CHECK_EQ_U64(got, need);
    CHECK_EQ_U64(strlen(buf), need);
    return buf;
}

static const char *esc(const char *s) { return esc_n(s, strlen(s)); }

/* The escaped text holds no byte below 0x20, no DEL, and is valid UTF-8
 * without C1 controls or the invisible code points (the invariant of
 * whyalive/text.h, checked independently of text.c's own tables). */
static int inert(const char *s) {
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        unsigned c = p[i];
        if (c < 0x20 || c == 0x7F) return 0;
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
        if (!len || c > 0xF4 || i + len > n) return 0;
        unsigned cp = c & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xC0) != 0x80) return 0;
            cp = cp << 6 | (p[i + k] & 0x3F);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) return 0;
        if (cp >= 0xD800 && cp <= 0xDFFF) return 0;
        if (cp <= 0x9F || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
            (cp >= 0x200B && cp <= 0x200F) || cp == 0xFEFF || cp == 0x2028 || cp == 0x2029)
            return 0;
        i += len;
    }
    return 1;
}

/* UTF-8 of a code point (no validation: the tests choose them). */
static size_t utf8(unsigned cp, char *out) {
    if (cp < 0x80) return out[0] = (char)cp, 1;
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | cp >> 6), out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | cp >> 12), out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | cp >> 18), out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3F)), out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static void test_c0_and_del(void) {
    for (unsigned c = 0; c < 0x20; c++) {
        char in[3] = {'a', (char)c, 'b'}, want[16];
        if (c == '\n')
            strcpy(want, "a\\nb");
        else if (c == '\t')
            strcpy(want, "a\\tb");
        else if (c == '\r')
            strcpy(want, "a\\rb");
        else
            snprintf(want, sizeof want, "a\\x%02xb", c);
        CHECK_STR(esc_n(in, 3), want); /* NUL too: the length is explicit */
        CHECK(!wa_text_is_plain(in, 3));
        CHECK(!wa_text_is_plain(in + 1, 1));
    }
    CHECK_STR(esc("\x7f"), "\\x7f");
    CHECK(!wa_text_is_plain("\x7f", 1));
    /* the sequences of issue 19, whole */
    CHECK_STR(esc("Evil\x1b]0;pwned-title\x07\x1b[31mRED"),
              "Evil\\x1b]0;pwned-title\\x07\\x1b[31mRED");
    CHECK_STR(esc("Weird\nName"), "Weird\\nName");
    CHECK_STR(esc("\x1b[2J\x1b[H\r\n"), "\\x1b[2J\\x1b[H\\r\\n");
    CHECK_STR(esc("\b\b\bok\f\v"), "\\x08\\x08\\x08ok\\x0c\\x0b");
}

static void test_c1(void) {
    for (unsigned cp = 0x80; cp <= 0x9F; cp++) {
        char in[8], want[16];
        size_t n = utf8(cp, in);
        CHECK_EQ_U64(n, 2);
        in[n] = '\0';
        snprintf(want, sizeof want, "\\u%04x", cp);
        CHECK_STR(esc(in), want);
        CHECK(!wa_text_is_plain(in, n));
    }
    CHECK_STR(esc("a\xc2\x9b"
                  "31mb"),
              "a\\u009b31mb"); /* the 8-bit CSI */
    CHECK_STR(esc("\xc2\x9d"
                  "0;t\xc2\x9c"),
              "\\u009d0;t\\u009c"); /* 8-bit OSC ... ST */
    /* U+00A0 and up are text */
    CHECK_STR(esc("\xc2\xa0\xc2\xa9"), "\xc2\xa0\xc2\xa9");
}

static void test_invisible(void) {
    static const unsigned cps[] = {
        0x202A, 0x202B, 0x202C, 0x202D, 0x202E,         /* embeddings, overrides */
        0x2066, 0x2067, 0x2068, 0x2069,                 /* isolates */
        0x200B, 0x200C, 0x200D, 0x200E, 0x200F,         /* zero width, LRM, RLM */
        0x2028, 0x2029,                                 /* line, paragraph separator */
        0x2060, 0x2061, 0x2062, 0x2063, 0x2064, 0x2065, /* word joiner, invisible operators */
        0x206A, 0x206B, 0x206C, 0x206D, 0x206E, 0x206F, /* deprecated format */
        0x00AD, 0x034F, 0x061C, 0x115F, 0x1160, 0x180E,
        0x3164, 0xFEFF, 0xFFA0, 0xFFF9, 0xFFFA, 0xFFFB};
    for (size_t i = 0; i < sizeof cps / sizeof cps[0]; i++) {
        char in[16] = "x", want[32];
        size_t n = 1 + utf8(cps[i], in + 1);
        in[n++] = 'y';
        in[n] = '\0';
        snprintf(want, sizeof want, "x\\u%04xy", cps[i]);
        CHECK_STR(esc(in), want);
        CHECK(!wa_text_is_plain(in, n));
    }
    /* tag characters: above the BMP, eight digits */
    for (unsigned cp = 0xE0000; cp <= 0xE007F; cp += 0x3F) {
        char in[8], want[16];
        size_t n = utf8(cp, in);
        in[n] = '\0';
        snprintf(want, sizeof want, "\\U%08x", cp);
        CHECK_STR(esc(in), want);
    }
    CHECK_STR(esc("\xf3\xa0\x80\x81"), "\\U000e0001");
    /* the Trojan Source shape: an override hides what follows */
    CHECK_STR(esc("admin\xe2\x80\xae\xe2\x81\xa6 // user\xe2\x81\xa9\xe2\x80\xac"),
              "admin\\u202e\\u2066 // user\\u2069\\u202c");
    /* neighbours of the ranges are text */
    CHECK_STR(esc("\xe2\x80\x8a\xe2\x80\x90\xe2\x80\xaf\xe2\x81\xb0"),
              "\xe2\x80\x8a\xe2\x80\x90\xe2\x80\xaf\xe2\x81\xb0");
}

static void test_invalid_utf8(void) {
    CHECK_STR(esc("\xc0\xaf"), "\\xc0\\xaf");                   /* overlong '/' */
    CHECK_STR(esc("\xc1\xbf"), "\\xc1\\xbf");                   /* overlong DEL */
    CHECK_STR(esc("\xe0\x80\xaf"), "\\xe0\\x80\\xaf");          /* overlong, 3 bytes */
    CHECK_STR(esc("\xf0\x80\x80\xaf"), "\\xf0\\x80\\x80\\xaf"); /* overlong, 4 bytes */
    CHECK_STR(esc("\xed\xa0\x80"), "\\xed\\xa0\\x80");          /* U+D800 */
    CHECK_STR(esc("\xed\xbf\xbf"), "\\xed\\xbf\\xbf");          /* U+DFFF */
    CHECK_STR(esc("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80"); /* U+110000 */
    CHECK_STR(esc("\xf5\x80\x80\x80"), "\\xf5\\x80\\x80\\x80");
    CHECK_STR(esc("\xf8\x88\x80\x80\x80"), "\\xf8\\x88\\x80\\x80\\x80"); /* 5-byte form */
    CHECK_STR(esc("\xfe\xff"), "\\xfe\\xff");
    CHECK_STR(esc("a\x80"
                  "b"),
              "a\\x80b"); /* stray continuation */
    CHECK_STR(esc("\xbf\xbf"), "\\xbf\\xbf");
    CHECK_STR(esc("ab\xe2\x82"), "ab\\xe2\\x82"); /* truncated at the end */
    CHECK_STR(esc("\xe2\x82"
                  "A"),
              "\\xe2\\x82A"); /* cut short by ASCII */
    CHECK_STR(esc("\xf0\x9f\x98"), "\\xf0\\x9f\\x98");
    CHECK_STR(esc("\xc3"), "\\xc3");
    /* an overlong encoding of a control must not come out as the control */
    CHECK_STR(esc("\xc0\x9b"), "\\xc0\\x9b");
    CHECK_STR(esc("\xc0\x8a"), "\\xc0\\x8a");
    /* an invalid byte does not swallow a valid sequence after it */
    CHECK_STR(esc("\xe2\xc3\xa9"), "\\xe2\xc3\xa9");
    const char *bad[] = {"\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
                         "\x80",     "\xe2\x82",     "\xff"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(!wa_text_is_plain(bad[i], strlen(bad[i])));
    /* a length that cuts a valid sequence makes it invalid there */
    CHECK_STR(esc_n("\xc3\xa9", 1), "\\xc3");
    CHECK(!wa_text_is_plain("\xc3\xa9", 1));
}

static void test_plain_kept(void) {
    const char *plain[] = {
        "",
        "hello world",
        " !\"#$%&'()*+,-./0123456789:;<=>?@ABCXYZ[\\]^_`abcxyz{|}~",
        "app.stt.ConversationTranscriber",
        "<script>alert('x')</script>",
        "h\xc3\xa9llo w\xc3\xb6rld",                        /* Latin-1 range */
        "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",             /* 日本語 */
        "\xce\xba\xcf\x8c\xcf\x83\xce\xbc\xce\xbf\xcf\x82", /* κόσμος */
        "\xf0\x9f\x98\x80 emoji",                           /* U+1F600 */
        "\xf4\x8f\xbf\xbf",                                 /* U+10FFFF */
        "\xef\xbf\xbd",                                     /* U+FFFD */
        "\xe2\x80\x8a",                                     /* U+200A hair space */
    };
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
        CHECK_STR(esc(plain[i]), plain[i]);
        CHECK(wa_text_is_plain(plain[i], strlen(plain[i])));
    }
    /* backslashes are kept as they are (not doubled) */
    CHECK_STR(esc("C:\\dir\\x1b"), "C:\\dir\\x1b");
    CHECK_STR(esc("\\"), "\\");
    CHECK(wa_text_is_plain("a\\nb", 4));
    CHECK(wa_text_is_plain(NULL, 0));
    CHECK_STR(esc_n("", 0), "");
    /* n is honoured: nothing past it is read or written */
    CHECK_STR(esc_n("abc\x1b", 3), "abc");
    CHECK(wa_text_is_plain("abc\x1b", 3));
}

/* Every cap from 0 to the full size: NUL-terminated, never past cap, the
 * return value the full length, and the text exactly the escape of a prefix
 * of the input that ends on a character boundary: the longest that fits. */
static void check_all_caps(const char *s, size_t n) {
    char full[1024], out[1024];
    size_t need = wa_text_escape(s, n, full, sizeof full);
    CHECK(need < sizeof full);
    /* output lengths at the input's character boundaries (a boundary is
     * where the escape of the prefix is a prefix of the full escape) */
    size_t ends[256], nends = 0;
    for (size_t k = 0; k <= n && nends < 256; k++) {
        char pre[1024];
        size_t len = wa_text_escape(s, k, pre, sizeof pre);
        if (len <= need && memcmp(pre, full, len) == 0 && (nends == 0 || ends[nends - 1] != len))
            ends[nends++] = len;
    }
    for (size_t cap = 0; cap <= need + 2; cap++) {
        memset(out, 'Z', sizeof out);
        size_t got = wa_text_escape(s, n, cap ? out : NULL, cap);
        CHECK_EQ_U64(got, need);
        if (!cap) continue;
        size_t len = strnlen(out, cap);
        CHECK(len < cap);                            /* NUL-terminated inside the buffer */
        CHECK(out[cap] == 'Z' || cap == sizeof out); /* nothing written past it */
        CHECK(memcmp(out, full, len) == 0);
        size_t best = 0;
        for (size_t e = 0; e < nends; e++)
            if (ends[e] < cap) best = ends[e];
        if (len != best)
            fprintf(stderr, "  cap %zu: got %zu bytes \"%s\", want %zu\n", cap, len, out, best);
        CHECK_EQ_U64(len, best);
        CHECK(inert(out));
    }
}

static void test_truncation(void) {
    char out[64];
    /* exact cuts, by hand */
    CHECK_EQ_U64(wa_text_escape("ab\ncd", 5, out, 7), 6);
    CHECK_STR(out, "ab\\ncd");
    CHECK_EQ_U64(wa_text_escape("ab\ncd", 5, out, 6), 6);
    CHECK_STR(out, "ab\\nc");
    CHECK_EQ_U64(wa_text_escape("ab\ncd", 5, out, 5), 6);
    CHECK_STR(out, "ab\\n");
    CHECK_EQ_U64(wa_text_escape("ab\ncd", 5, out, 4), 6);
    CHECK_STR(out, "ab"); /* not "ab\" */
    CHECK_EQ_U64(wa_text_escape("ab\ncd", 5, out, 3), 6);
    CHECK_STR(out, "ab");
    CHECK_EQ_U64(wa_text_escape("ab\ncd", 5, out, 1), 6);
    CHECK_STR(out, "");
    CHECK_EQ_U64(wa_text_escape("ab\ncd", 5, NULL, 0), 6);
    /* "\x1b" is four bytes: never "\x" or "\x1" */
    CHECK_EQ_U64(wa_text_escape("\x1b[31m", 5, out, 4), 8);
    CHECK_STR(out, "");
    CHECK_EQ_U64(wa_text_escape("\x1b[31m", 5, out, 5), 8);
    CHECK_STR(out, "\\x1b");
    /* "\u202e" is six bytes */
    CHECK_EQ_U64(wa_text_escape("x\xe2\x80\xaey", 5, out, 7), 8);
    CHECK_STR(out, "x");
    CHECK_EQ_U64(wa_text_escape("x\xe2\x80\xaey", 5, out, 8), 8);
    CHECK_STR(out, "x\\u202e");
    /* a kept code point is never split: "aé" */
    CHECK_EQ_U64(wa_text_escape("a\xc3\xa9", 3, out, 3), 3);
    CHECK_STR(out, "a");
    CHECK_EQ_U64(wa_text_escape("a\xc3\xa9", 3, out, 4), 3);
    CHECK_STR(out, "a\xc3\xa9");
    CHECK_EQ_U64(wa_text_escape("\xf0\x9f\x98\x80!", 5, out, 4), 5);
    CHECK_STR(out, "");
    /* once a piece does not fit, nothing after it is written (no gap) */
    CHECK_EQ_U64(wa_text_escape("a\x1b"
                                "bcdef",
                                7, out, 4),
                 10);
    CHECK_STR(out, "a");
    /* every cap, on mixed strings */
    const char *mixed[] = {
        "Evil\x1b]0;pwned\x07\x1b[31mRED",
        "\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80\xc2\x9b\xe2\x80\xae\xf3\xa0\x80\x81",
        "a\xc0\xaf\xed\xa0\x80\xe2\x82"
        "b\x80\xff\x7f\t\r\n\\",
        "plain ascii only",
    };
    for (size_t i = 0; i < sizeof mixed / sizeof mixed[0]; i++)
        check_all_caps(mixed[i], strlen(mixed[i]));
    check_all_caps("nul\0inside", 10);
}

static void test_escape_dup(void) {
    char *s;
#define DUP(in, max, want)                                                                         \
    do {                                                                                           \
        s = wa_text_escape_dup(in, max);                                                           \
        CHECK_STR(s, want);                                                                        \
        if (s) CHECK(inert(s));                                                                    \
        free(s);                                                                                   \
    } while (0)
    DUP("", 0, "");
    DUP("", 5, "");
    DUP("plain", 0, "plain");
    DUP("plain", 5, "plain"); /* exactly max: not cut */
    DUP("plain", 4, "plai...");
    DUP("Evil\x1b]0;pwned\x07", 0, "Evil\\x1b]0;pwned\\x07");
    DUP("\x1b[31mred", 1, "\\x1b...");
    DUP("ab\ncd", 3, "ab\\n...");
    /* the cut is on the input, at a code point boundary */
    DUP("h\xc3\xa9llo", 1, "h...");
    DUP("h\xc3\xa9llo", 2, "h..."); /* inside é: back to its start */
    DUP("h\xc3\xa9llo", 3, "h\xc3\xa9...");
    DUP("a\xf0\x9f\x98\x80"
        "b",
        2, "a...");
    DUP("a\xf0\x9f\x98\x80"
        "b",
        3, "a...");
    DUP("a\xf0\x9f\x98\x80"
        "b",
        4, "a...");
    DUP("a\xf0\x9f\x98\x80"
        "b",
        5, "a\xf0\x9f\x98\x80...");
    DUP("x\xe2\x80\xaey", 2, "x...");
    DUP("x\xe2\x80\xaey", 4, "x\\u202e...");
    /* invalid UTF-8 in what is kept is escaped, byte by byte */
    DUP("\xff\xfe"
        "abc",
        3, "\\xff\\xfea...");
    /* a run of stray continuation bytes is not a code point: the cut backs
     * up over at most the three bytes a sequence can continue with */
    DUP("\x80\x80\x80\x80\x80\x80\x80\x80", 6, "\\x80\\x80\\x80...");
    /* a long hostile string, bounded */
    char big[5000];
    for (size_t i = 0; i < sizeof big - 1; i++) big[i] = i % 2 ? '\x1b' : 'A';
    big[sizeof big - 1] = '\0';
    s = wa_text_escape_dup(big, 2000);
    CHECK(s != NULL);
    if (s) {
        CHECK_EQ_U64(strlen(s), 1000 * 1 + 1000 * 4 + 3);
        CHECK(strcmp(s + strlen(s) - 3, "...") == 0);
        CHECK(inert(s));
    }
    free(s);
#undef DUP
}

/* Every byte value, alone and after a lead byte: the output is inert and
 * round-trips its plain parts. */
static void test_every_byte(void) {
    for (unsigned a = 0; a < 256; a++) {
        for (unsigned b = 0; b < 256; b += (a < 0xC0 ? 255 : 1)) {
            char in[3] = {(char)a, (char)b, 0};
            char out[64];
            size_t need = wa_text_escape(in, 2, out, sizeof out);
            CHECK(need < sizeof out);
            if (!inert(out)) {
                fprintf(stderr, "  %02x %02x -> not inert: %s\n", a, b, out);
                CHECK(0);
            }
            CHECK_EQ_U64(wa_text_is_plain(in, 2), need == 2 && memcmp(out, in, 2) == 0);
        }
    }
}

int main(void) {
    RUN(test_c0_and_del);
    RUN(test_c1);
    RUN(test_invisible);
    RUN(test_invalid_utf8);
    RUN(test_plain_kept);
    RUN(test_truncation);
    RUN(test_escape_dup);
    RUN(test_every_byte);
    return wa_test_result();
}
