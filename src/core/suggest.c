/*
 * suggest.c: "did you mean": edit distances between short names (commands,
 * options, type names), for the suggestions in messages about a name that
 * matched nothing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "whyalive/text.h"

static unsigned char fold_char(unsigned char c, int fold) {
    return fold && c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

size_t wa_text_distance(const char *a, const char *b, int fold, size_t cap) {
    size_t n = strlen(a), m = strlen(b);
    if ((n > m ? n - m : m - n) > cap) return cap + 1;
    if (m > 1024 || n > 1024) return cap + 1; /* names, not documents */
    /* three rows (the swap looks two rows back) */
    size_t stack[3 * 65];
    size_t *mem = m < 65 ? stack : malloc(3 * (m + 1) * sizeof *mem);
    if (!mem) return cap + 1;
    size_t *prev2 = mem, *prev = mem + (m + 1), *cur = mem + 2 * (m + 1);
    for (size_t j = 0; j <= m; j++) prev[j] = j;
    for (size_t i = 1; i <= n; i++) {
        cur[0] = i;
        size_t row_min = cur[0];
        unsigned char ca = fold_char((unsigned char)a[i - 1], fold);
        for (size_t j = 1; j <= m; j++) {
            unsigned char cb = fold_char((unsigned char)b[j - 1], fold);
            size_t d = prev[j - 1] + (ca != cb);
            if (prev[j] + 1 < d) d = prev[j] + 1;
            if (cur[j - 1] + 1 < d) d = cur[j - 1] + 1;
            if (i > 1 && j > 1 && ca == fold_char((unsigned char)b[j - 2], fold) &&
                fold_char((unsigned char)a[i - 2], fold) == cb && prev2[j - 2] + 1 < d)
                d = prev2[j - 2] + 1;
            cur[j] = d;
            if (d < row_min) row_min = d;
        }
        if (row_min > cap) {
            if (mem != stack) free(mem);
            return cap + 1;
        }
        size_t *t = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    size_t d = prev[m];
    if (mem != stack) free(mem);
    return d > cap ? cap + 1 : d;
}

size_t wa_text_close_enough(size_t word_len) { return word_len <= 4 ? 1 : word_len <= 8 ? 2 : 3; }

const char *wa_text_closest(const char *word, const char *const *cands, size_t n) {
    size_t cap = wa_text_close_enough(strlen(word));
    const char *best = NULL;
    size_t best_d = cap + 1;
    for (size_t i = 0; i < n; i++) {
        if (!cands[i]) continue;
        /* equal but for case beats any distance */
        if (wa_text_distance(word, cands[i], 1, 0) == 0) return cands[i];
        size_t d = wa_text_distance(word, cands[i], 1, cap);
        if (d < best_d) {
            best_d = d;
            best = cands[i];
        }
    }
    return best;
}
