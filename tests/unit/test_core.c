/*
 * test_core.c: the generic pieces of src/core every layer shares: the 64-bit
 * key map, bit sets, the vector, the growable buffer and its failure
 * convention, byte counts for people, and big mappings (2 MiB-aligned,
 * advised huge pages) for big arrays and arena blocks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/containers.h"
#include "core/text.h"
#include "whyalive/snapshot.h"
#include "wa_test.h"

static void test_u64map(void) {
    wa_u64map m = {0}; /* zero-initialized: a valid empty map */
    CHECK(wa_u64map_get(&m, 7) == NULL);
    CHECK(wa_u64map_value(&m, 7, 99) == 99);
    for (uint64_t k = 0; k < 10000; k++) {
        int ins = 0;
        uint32_t *v = wa_u64map_put(&m, k * 0x9E3779B97F4A7C15ull, (uint32_t)k, &ins);
        CHECK(v && ins && *v == (uint32_t)k);
    }
    CHECK(m.n == 10000 && m.cap >= 20000);
    int ins = 1;
    uint32_t *v = wa_u64map_put(&m, 5 * 0x9E3779B97F4A7C15ull, 12345, &ins);
    CHECK(v && !ins && *v == 5); /* present: not overwritten */
    for (uint64_t k = 0; k < 10000; k++)
        CHECK(wa_u64map_value(&m, k * 0x9E3779B97F4A7C15ull, WA_NONE) == (uint32_t)k);
    CHECK(wa_u64map_get(&m, 1) == NULL);
    wa_u64map_free(&m);
    CHECK(m.n == 0 && wa_u64map_get(&m, 0) == NULL);
}

static void test_bits_and_vec(void) {
    wa_error err;
    wa_error_clear(&err);
    wa_bits *b = wa_bits_new(130, &err);
    CHECK(b != NULL);
    wa_bit_set(b, 0);
    wa_bit_set(b, 129);
    CHECK(wa_bit(b, 0) && wa_bit(b, 129) && !wa_bit(b, 64));
    wa_bit_clear(b, 129);
    CHECK(!wa_bit(b, 129) && wa_bit(b, 0));
    free(b);
    wa_u32vec s = {0};
    for (uint32_t i = 0; i < 1000; i++) CHECK(wa_u32vec_push(&s, i) == 0);
    CHECK(s.n == 1000 && s.v[999] == 999);
    wa_u32vec_free(&s);
    CHECK(s.v == NULL && s.n == 0);
    void *p = wa_alloc(SIZE_MAX / 2, 4, &err); /* overflows: no allocation */
    CHECK(p == NULL && err.code == WA_ERR_NOMEM);
    void *big = wa_big_alloc(1u << 21, 1, &err); /* mapped */
    CHECK(big != NULL);
    if (big) memset(big, 1, 1u << 21);
    wa_big_free(big);
}

static void test_buf(void) {
    wa_buf b = {0};
    CHECK(wa_buf_puts(&b, "ab") == 0);
    CHECK(wa_buf_printf(&b, "%d-%s", 12, "x") == 0);
    CHECK(b.len == 6 && strcmp(b.data, "ab12-x") == 0); /* always NUL-terminated */
    char big[1000];
    memset(big, 'y', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    CHECK(wa_buf_printf(&b, "%s", big) == 0); /* longer than printf's small buffer */
    CHECK(b.len == 6 + 999 && b.data[b.len] == '\0' && b.data[b.len - 1] == 'y');
    wa_buf_truncate(&b, 2);
    CHECK(b.len == 2 && strcmp(b.data, "ab") == 0);
    CHECK(wa_buf_reserve(&b, 3) == 0);
    memcpy(b.data + b.len, "cde", 3);
    wa_buf_commit(&b, 3);
    CHECK(strcmp(b.data, "abcde") == 0);
    /* failure sticks: content dropped, later appends refused */
    CHECK(wa_buf_fail(&b) == -1);
    CHECK(b.failed && b.data == NULL && b.len == 0);
    CHECK(wa_buf_puts(&b, "z") == -1 && b.data == NULL);
    CHECK(wa_buf_printf(&b, "%d", 1) == -1 && b.len == 0);
    wa_buf_free(&b);
    CHECK(!b.failed && wa_buf_puts(&b, "ok") == 0 && strcmp(b.data, "ok") == 0);
    wa_buf_free(&b);
}

/* VmFlags of the mapping holding p, from /proc/self/smaps ("" if none). */
static void vmflags_of(const void *p, char *out, size_t cap) {
    out[0] = '\0';
    FILE *f = fopen("/proc/self/smaps", "r");
    if (!f) return;
    char line[512];
    int in = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
            in = (uintptr_t)p >= lo && (uintptr_t)p < hi;
        } else if (in && strncmp(line, "VmFlags:", 8) == 0) {
            snprintf(out, cap, "%s", line + 8);
            break;
        }
    }
    fclose(f);
}

static void test_map_big(void) {
    const size_t two = (size_t)2 << 20;
    /* Small: a plain mapping, zeroed and writable. */
    unsigned char *s = wa_map_big(5000);
    CHECK(s != NULL);
    if (s) {
        CHECK(s[0] == 0 && s[4999] == 0);
        s[4999] = 1;
        wa_unmap_big(s, 5000);
    }
    /* Big: starts on a 2 MiB boundary, zeroed, advised huge pages. */
    size_t n = 5 * two + 12345;
    unsigned char *p = wa_map_big(n);
    CHECK(p != NULL);
    if (p) {
        CHECK(((uintptr_t)p & (two - 1)) == 0);
        CHECK(p[0] == 0 && p[n - 1] == 0);
        memset(p, 0xAB, n);
        CHECK(p[n - 1] == 0xAB);
        char flags[600];
        vmflags_of(p, flags, sizeof flags);
        /* "hg": MADV_HUGEPAGE took (any Linux with /proc; none elsewhere). */
        if (flags[0]) CHECK(strstr(flags, " hg") != NULL);
        wa_unmap_big(p, n);
    }
    /* WA_HUGEPAGES=0: aligned all the same, but no advice. */
    setenv("WA_HUGEPAGES", "0", 1);
    p = wa_map_big(n);
    unsetenv("WA_HUGEPAGES");
    CHECK(p != NULL);
    if (p) {
        CHECK(((uintptr_t)p & (two - 1)) == 0);
        p[n - 1] = 1;
        char flags[600];
        vmflags_of(p, flags, sizeof flags);
        if (flags[0]) CHECK(strstr(flags, " hg") == NULL);
        wa_unmap_big(p, n);
    }
    /* wa_big_alloc above 2 MiB: payload right after the 64-byte header. */
    wa_error err;
    uint32_t *a = wa_big_alloc(3 * two / 4, 4, &err);
    CHECK(a != NULL);
    if (a) {
        CHECK(((uintptr_t)a & (two - 1)) == 64);
        a[3 * two / 4 - 1] = 7;
        wa_big_free(a);
    }
    /* Arena: a big block is mapped, small ones keep coming from malloc. */
    wa_arena ar;
    wa_arena_init(&ar);
    unsigned char *big = wa_arena_alloc(&ar, 3 * two), *small = wa_arena_alloc(&ar, 100);
    CHECK(big != NULL && small != NULL);
    if (big && small) {
        CHECK(big[3 * two - 1] == 0);
        memset(big, 1, 3 * two);
        memset(small, 2, 100);
        char flags[600];
        vmflags_of(big, flags, sizeof flags);
        if (flags[0]) CHECK(strstr(flags, " hg") != NULL);
    }
    wa_arena_free(&ar);
}

static void test_size_text(void) {
    char buf[32];
    CHECK_STR(wa_size_text(0, 2, buf), "0 B");
    CHECK_STR(wa_size_text(1023, 1, buf), "1023 B");
    CHECK_STR(wa_size_text(2970, 2, buf), "2.90 KiB");
    CHECK_STR(wa_size_text(2970, 1, buf), "2.9 KiB");
    CHECK_STR(wa_size_text(2970, 0, buf), "3 KiB");
    CHECK_STR(wa_size_text(12595, 2, buf), "12.3 KiB");
    CHECK_STR(wa_size_text(12595, 1, buf), "12.3 KiB");
    CHECK_STR(wa_size_text(125952, 2, buf), "123 KiB");
    CHECK_STR(wa_size_text(3ull << 30, 2, buf), "3.00 GiB");
    CHECK_STR(wa_size_text(UINT64_MAX, 2, buf), "16384 PiB");
}

int main(void) {
    RUN(test_u64map);
    RUN(test_bits_and_vec);
    RUN(test_buf);
    RUN(test_size_text);
    RUN(test_map_big);
    return wa_test_result();
}
