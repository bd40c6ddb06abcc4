/*
 * analysis/common.c: the small shared pieces of the analyses (allocation with
 * errors, bit sets of roots, hashing, a 64-bit key map, dominator child
 * lists).
 */
#include <sys/mman.h>

#include "analysis/internal.h"

wa_status wa_ana_nomem(wa_error *err) {
    return wa_error_set(err, WA_ERR_NOMEM, NULL, WA_POS_NONE, WA_POS_NONE,
                        "out of memory during analysis");
}

void *wa_ana_alloc(size_t count, size_t size, wa_error *err) {
    if (count == 0) count = 1;
    if (size && count > SIZE_MAX / size) {
        wa_ana_nomem(err);
        return NULL;
    }
    void *p = malloc(count * size);
    if (!p) wa_ana_nomem(err);
    return p;
}

void *wa_ana_calloc(size_t count, size_t size, wa_error *err) {
    if (count == 0) count = 1;
    void *p = calloc(count, size ? size : 1);
    if (!p) wa_ana_nomem(err);
    return p;
}

#define BIG_HEADER 64u           /* keeps the payload 64-byte aligned */
#define BIG_MAP_MIN (1u << 20)   /* smaller arrays come from malloc */

void *wa_ana_big(size_t count, size_t size, wa_error *err) {
    if (count == 0) count = 1;
    if (size && count > (SIZE_MAX - BIG_HEADER) / size) {
        wa_ana_nomem(err);
        return NULL;
    }
    size_t bytes = count * size + BIG_HEADER;
    unsigned char *p;
    if (bytes < BIG_MAP_MIN) {
        p = malloc(bytes);
    } else {
        p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) p = NULL;
    }
    if (!p) {
        wa_ana_nomem(err);
        return NULL;
    }
    memcpy(p, &bytes, sizeof bytes);
    return p + BIG_HEADER;
}

void wa_ana_big_free(void *q) {
    if (!q) return;
    unsigned char *p = (unsigned char *)q - BIG_HEADER;
    size_t bytes;
    memcpy(&bytes, p, sizeof bytes);
    if (bytes < BIG_MAP_MIN) free(p);
    else munmap(p, bytes);
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

void wa_objlist_free(wa_objlist *list) {
    if (!list) return;
    free(list->objs);
    free(list);
}

wa_bits *wa_ana_root_bits(const wa_snapshot *snap, wa_error *err) {
    wa_bits *b = wa_bits_new(snap->n_objects, err);
    if (!b) return NULL;
    for (uint32_t r = 0; r < snap->n_roots; r++) wa_bit_set(b, snap->roots[r].obj);
    return b;
}

uint64_t wa_ana_hash_str(uint64_t h, const char *s) {
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001B3ull;
    }
    h ^= 0xFF; /* terminator, so "ab"+"c" and "a"+"bc" differ */
    h *= 0x100000001B3ull;
    return h;
}

uint64_t wa_ana_hash_u64(uint64_t h, uint64_t x) {
    for (int i = 0; i < 8; i++) {
        h ^= (x >> (8 * i)) & 0xFF;
        h *= 0x100000001B3ull;
    }
    return h;
}

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

wa_status wa_domkids_build(const wa_dom *dom, wa_domkids *k, wa_error *err) {
    uint32_t n = dom->n_objects;
    k->first = wa_ana_alloc((size_t)n + 1, 4, err);
    k->next = wa_ana_alloc(n, 4, err);
    if (!k->first || !k->next) {
        wa_domkids_free(k);
        return WA_ERR_NOMEM;
    }
    for (uint32_t i = 0; i <= n; i++) k->first[i] = WA_NONE;
    /* Prepending in reverse index order leaves every list in index order,
     * which keeps walks (and so outputs) deterministic. */
    for (uint32_t v = n; v-- > 0;) {
        uint32_t p = dom->idom[v];
        k->next[v] = WA_NONE;
        if (p == WA_NONE) continue;
        uint32_t slot = p == WA_DOM_SUPER ? n : p;
        k->next[v] = k->first[slot];
        k->first[slot] = v;
    }
    return WA_OK;
}

void wa_domkids_free(wa_domkids *k) {
    free(k->first);
    free(k->next);
    k->first = k->next = NULL;
}

typedef struct keyed {
    uint64_t key;
    uint32_t obj;
} keyed;

static int keyed_desc(const void *a, const void *b) {
    const keyed *x = a, *y = b;
    if (x->key != y->key) return x->key > y->key ? -1 : 1;
    return x->obj < y->obj ? -1 : x->obj > y->obj;
}

wa_status wa_ana_sort_desc(uint32_t *objs, const uint64_t *keys, size_t n, wa_error *err) {
    if (n < 2) return WA_OK;
    keyed *t = wa_ana_alloc(n, sizeof *t, err);
    if (!t) return WA_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) t[i] = (keyed){keys[i], objs[i]};
    qsort(t, n, sizeof *t, keyed_desc);
    for (size_t i = 0; i < n; i++) objs[i] = t[i].obj;
    free(t);
    return WA_OK;
}

wa_status wa_ana_sort_by_retained(const wa_dom *dom, uint32_t *objs, size_t n, wa_error *err) {
    if (n < 2) return WA_OK;
    keyed *t = wa_ana_alloc(n, sizeof *t, err);
    if (!t) return WA_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) t[i] = (keyed){dom->retained[objs[i]], objs[i]};
    qsort(t, n, sizeof *t, keyed_desc);
    for (size_t i = 0; i < n; i++) objs[i] = t[i].obj;
    free(t);
    return WA_OK;
}
