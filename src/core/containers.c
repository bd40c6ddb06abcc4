/* core/containers.c: allocation with errors, big arrays, the vector and the
 * 64-bit key map (see containers.h). */
#include <string.h>
#include <sys/mman.h>

#include "core/containers.h"

wa_status wa_nomem(wa_error *err) {
    return wa_error_set(err, WA_ERR_NOMEM, NULL, WA_POS_NONE, WA_POS_NONE, "out of memory");
}

void *wa_alloc(size_t count, size_t size, wa_error *err) {
    if (count == 0) count = 1;
    if (size && count > SIZE_MAX / size) {
        wa_nomem(err);
        return NULL;
    }
    void *p = malloc(count * size);
    if (!p) wa_nomem(err);
    return p;
}

void *wa_calloc(size_t count, size_t size, wa_error *err) {
    if (count == 0) count = 1;
    void *p = calloc(count, size ? size : 1);
    if (!p) wa_nomem(err);
    return p;
}

#define HUGE_PAGE ((size_t)2 << 20)

void *wa_map_big(size_t bytes) {
    if (bytes < HUGE_PAGE || bytes > SIZE_MAX - 2 * HUGE_PAGE) {
        void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        return p == MAP_FAILED ? NULL : p;
    }
    /* Over-map by one huge page, then trim both ends so that the mapping
     * starts on a 2 MiB boundary: every whole 2 MiB stretch of it can then
     * be one huge page. */
    size_t len = (bytes + 4095) & ~(size_t)4095;
    unsigned char *raw =
        mmap(NULL, len + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) return NULL;
    unsigned char *p =
        (unsigned char *)(((uintptr_t)raw + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
    if (p > raw) munmap(raw, (size_t)(p - raw));
    if (raw + len + HUGE_PAGE > p + len)
        munmap(p + len, (size_t)(raw + len + HUGE_PAGE - (p + len)));
#ifdef MADV_HUGEPAGE
    /* Advice only: where transparent huge pages are off, 4 KiB pages.
     * WA_HUGEPAGES=0 leaves it out (to measure both ways, or where fresh
     * huge pages are slow to come by: a VM whose host reclaims free memory). */
    const char *env = getenv("WA_HUGEPAGES");
    if (!env || strcmp(env, "0") != 0) (void)madvise(p, len, MADV_HUGEPAGE);
#endif
    return p;
}

void wa_unmap_big(void *p, size_t bytes) {
    if (p) munmap(p, bytes);
}

#define BIG_HEADER 64u         /* keeps the payload 64-byte aligned */
#define BIG_MAP_MIN (1u << 20) /* smaller arrays come from malloc */

void *wa_big_alloc(size_t count, size_t size, wa_error *err) {
    if (count == 0) count = 1;
    if (size && count > (SIZE_MAX - BIG_HEADER) / size) {
        wa_nomem(err);
        return NULL;
    }
    size_t bytes = count * size + BIG_HEADER;
    unsigned char *p = bytes < BIG_MAP_MIN ? malloc(bytes) : wa_map_big(bytes);
    if (!p) {
        wa_nomem(err);
        return NULL;
    }
    memcpy(p, &bytes, sizeof bytes);
    return p + BIG_HEADER;
}

void wa_big_free(void *q) {
    if (!q) return;
    unsigned char *p = (unsigned char *)q - BIG_HEADER;
    size_t bytes;
    memcpy(&bytes, p, sizeof bytes);
    if (bytes < BIG_MAP_MIN)
        free(p);
    else
        wa_unmap_big(p, bytes);
}

int wa_u32vec_push(wa_u32vec *s, uint32_t x) {
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        uint32_t *v = realloc(s->v, cap * sizeof *v);
        if (!v) return -1;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = x;
    return 0;
}

/* ---------------- wa_u64map ---------------- */

static uint64_t mix(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

int wa_u64map_init(wa_u64map *m, size_t expect) {
    size_t cap = 16;
    while (cap < expect * 2 + 2) cap *= 2;
    m->keys = malloc(cap * sizeof *m->keys);
    m->vals = malloc(cap * sizeof *m->vals);
    m->used = calloc(cap, 1);
    m->cap = cap;
    m->n = 0;
    if (!m->keys || !m->vals || !m->used) {
        wa_u64map_free(m);
        return -1;
    }
    return 0;
}

void wa_u64map_free(wa_u64map *m) {
    free(m->keys);
    free(m->vals);
    free(m->used);
    m->keys = NULL;
    m->vals = NULL;
    m->used = NULL;
    m->cap = m->n = 0;
}

static int grow(wa_u64map *m) {
    wa_u64map bigger;
    if (wa_u64map_init(&bigger, m->cap) != 0) return -1;
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->used[i]) continue;
        size_t j = mix(m->keys[i]) & (bigger.cap - 1);
        while (bigger.used[j]) j = (j + 1) & (bigger.cap - 1);
        bigger.used[j] = 1;
        bigger.keys[j] = m->keys[i];
        bigger.vals[j] = m->vals[i];
        bigger.n++;
    }
    wa_u64map_free(m);
    *m = bigger;
    return 0;
}

uint32_t *wa_u64map_put(wa_u64map *m, uint64_t key, uint32_t val_if_new, int *inserted) {
    if ((m->n + 1) * 2 > m->cap && grow(m) != 0) return NULL;
    size_t j = mix(key) & (m->cap - 1);
    while (m->used[j]) {
        if (m->keys[j] == key) {
            if (inserted) *inserted = 0;
            return &m->vals[j];
        }
        j = (j + 1) & (m->cap - 1);
    }
    m->used[j] = 1;
    m->keys[j] = key;
    m->vals[j] = val_if_new;
    m->n++;
    if (inserted) *inserted = 1;
    return &m->vals[j];
}

uint32_t *wa_u64map_get(const wa_u64map *m, uint64_t key) {
    if (!m->cap) return NULL;
    size_t j = mix(key) & (m->cap - 1);
    while (m->used[j]) {
        if (m->keys[j] == key) return &m->vals[j];
        j = (j + 1) & (m->cap - 1);
    }
    return NULL;
}
