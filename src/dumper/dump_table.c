/*
 * dump_table.c: the walk's object set (address -> slot -> dense index) and
 * its small side tables.
 *
 * The dumper must stay well under 15% of the process it dumps, so the set
 * costs about 11 bytes per object and never holds two copies of itself:
 *  - one 64-bit word per slot holds the address (bits 0..48, the address
 *    shifted right by 3: objects are 8-byte aligned, user space is below
 *    2^52) and the object's walk state (bits 49..63: seen count, flags; see
 *    dump.h). 0 is an empty slot;
 *  - the set is split into segments by the top bits of the address's hash;
 *    each segment is an open-addressing table with linear probing, grown by
 *    1.25x when 85% full (load stays between 68% and 85%), through a
 *    scratch copy of that one segment: growth never needs the whole table
 *    twice;
 *  - segment arrays are anonymous mappings, returned to the system when
 *    freed (malloc would keep them in its arenas after a large dump);
 *  - after discovery the set is frozen: a bitmap and a directory of counts
 *    per 64 slots give each object its dense index (segment order, then
 *    slot order: the order objects are written in);
 *  - seen counts saturate at WA_SLOT_SEEN_MAX in the slot; the rest lives in
 *    a small overflow map (types, modules: the few objects with thousands
 *    of referrers).
 */
#include "dumper/dump_table.h"

#include "core/util.h"

#include <stdlib.h>
#include <string.h>

#if defined(__linux__) || defined(__APPLE__) || defined(__unix__)
#include <sys/mman.h>
#include <unistd.h>
#define WA_HAVE_MMAP 1
#endif

/* ------------------------------------------------------------ memory */

static size_t page_size(void)
{
#ifdef WA_HAVE_MMAP
    static size_t ps;
    if (!ps) {
        long v = sysconf(_SC_PAGESIZE);
        ps = v > 0 ? (size_t)v : 4096;
    }
    return ps;
#else
    return 4096;
#endif
}

/* Zeroed memory of at least `bytes`, rounded to whole pages. */
static void *map_zero(size_t bytes)
{
#ifdef WA_HAVE_MMAP
#ifdef MAP_POPULATE
    /* Every page is written soon: fault them in at once, not twice each
     * (zero page on the first probe, copy on the first insert). */
    int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE;
#else
    int flags = MAP_PRIVATE | MAP_ANONYMOUS;
#endif
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, flags, -1, 0);
    return p == MAP_FAILED ? NULL : p;
#else
    return calloc(1, bytes);
#endif
}

static void unmap(void *p, size_t bytes)
{
    if (!p)
        return;
#ifdef WA_HAVE_MMAP
    munmap(p, bytes);
#else
    (void)bytes;
    free(p);
#endif
}

static size_t round_pages(size_t bytes)
{
    size_t ps = page_size();
    return (bytes + ps - 1) / ps * ps;
}

/* ------------------------------------------------------------ hashing */

static inline uint32_t popcount64(uint64_t x)
{
    /* Portable: a builtin without -mpopcnt is a libgcc call. */
    x = x - ((x >> 1) & 0x5555555555555555ull);
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return (uint32_t)((x * 0x0101010101010101ull) >> 56);
}

int wa_dump_slot_encodable(PyObject *o)
{
    uintptr_t a = (uintptr_t)o;
    return a && !(a & 7) && ((uint64_t)a >> 52) == 0;
}

static int pm_init(wa_ptrmap *m, uint32_t cap);
static void pm_free(wa_ptrmap *m);

/* ------------------------------------------------------------ segments */

static int seg_alloc(wa_seg *s, uint32_t want)
{
    size_t bytes = round_pages((size_t)want * 8);
    uint64_t cap = bytes / 8;
    if (cap > UINT32_MAX)
        cap = UINT32_MAX;
    uint64_t *p = map_zero(bytes);
    if (!p)
        return -1;
    s->slot = p;
    s->bytes = bytes;
    s->cap = (uint32_t)cap;
    s->limit = (uint32_t)(cap * 17 / 20);
    s->n = 0;
    return 0;
}

static void seg_put(wa_seg *s, uint64_t h, uint64_t v)
{
    uint32_t i = wa_dump_home_of(h, s->cap);
    while (s->slot[i]) {
        if (++i == s->cap)
            i = 0;
    }
    s->slot[i] = v;
    s->n++;
}

static int seg_grow(wa_dump *d, wa_seg *s)
{
    uint64_t want = (uint64_t)s->cap * 5 / 4;
    if (want > UINT32_MAX / 2)
        return -1;
    if (wa_dump_scratch_reserve((void **)&d->rehash, &d->rehash_cap, s->n, sizeof(uint64_t)) != 0)
        return -1;
    uint32_t k = 0;
    for (uint32_t i = 0; i < s->cap; i++)
        if (s->slot[i])
            d->rehash[k++] = s->slot[i];
    uint64_t *old = s->slot;
    size_t old_bytes = s->bytes;
    unmap(old, old_bytes);
    if (seg_alloc(s, (uint32_t)want) != 0) {
        s->slot = NULL;
        s->cap = s->n = 0;
        return -1;
    }
    for (uint32_t j = 0; j < k; j++) {
        uint64_t v = d->rehash[j];
        seg_put(s, wa_dump_slot_hash(v & WA_SLOT_KEY_MASK), v);
    }
    return 0;
}

int wa_dump_tab_init(wa_dump *d, uint64_t expected, uint64_t heap_bytes)
{
    if (expected < 1024)
        expected = 1024;
    if (expected > WA_MAX_OBJECTS)
        expected = WA_MAX_OBJECTS;
    /* One segment per 2 MiB of process (at most 4096): a segment's share of
     * the heap stays in cache while it is written. Segments start small and
     * grow to what lands in them (regions do not spread evenly). */
    uint64_t units = heap_bytes ? heap_bytes >> 21 : expected / 16384;
    uint32_t bits = 0;
    while (bits < 12 && (1ull << bits) < units)
        bits++;
    d->seg_bits = bits;
    d->n_segs = 1u << bits;
    d->segs = calloc(d->n_segs, sizeof *d->segs);
    if (!d->segs)
        return -1;
    uint64_t per = expected * 5 / 4 / d->n_segs / 2; /* half an even share */
    if (per < 512)
        per = 512;
    for (uint32_t s = 0; s < d->n_segs; s++)
        if (seg_alloc(&d->segs[s], (uint32_t)per) != 0)
            return -1;
    d->n = 0;
    d->type_mask = 1023;
    d->type_keys = calloc(1024, sizeof *d->type_keys);
    d->type_vals = calloc(1024, sizeof *d->type_vals);
    d->type_szf = calloc(1024, sizeof *d->type_szf);
    d->lc_keys = calloc(1u << 15, sizeof *d->lc_keys);
    d->lc_vals = calloc(1u << 15, sizeof *d->lc_vals);
    if (pm_init(&d->cells, 256) != 0 || pm_init(&d->ovf, 64) != 0)
        return -1;
    if (!d->type_keys || !d->type_vals || !d->type_szf || !d->lc_keys || !d->lc_vals)
        return -1;
    return 0;
}

void wa_dump_tab_free(wa_dump *d)
{
    for (uint32_t s = 0; d->segs && s < d->n_segs; s++) {
        unmap(d->segs[s].slot, d->segs[s].bytes);
        unmap(d->segs[s].bits, d->segs[s].rank_bytes);
    }
    free(d->segs);
    d->segs = NULL;
    d->n_segs = 0;
    free(d->rehash);
    free(d->queue);
    free(d->pend);
    free(d->pend_next);
    pm_free(&d->ovf);
    pm_free(&d->cells);
    free(d->type_keys);
    free(d->type_vals);
    free(d->type_szf);
    free(d->lc_keys);
    free(d->lc_vals);
    free(d->refs);
    free(d->hints);
    free(d->mm);
    free(d->buf);
    free(d->pending);
    free(d->xroots);
    d->rehash = NULL;
    d->queue = NULL;
    d->pend = d->pend_next = NULL;
    d->type_keys = NULL;
    d->type_vals = NULL;
    d->type_szf = NULL;
    d->lc_keys = NULL;
    d->lc_vals = NULL;
    d->refs = NULL;
    d->hints = NULL;
    d->mm = NULL;
    d->buf = NULL;
    d->pending = NULL;
    d->xroots = NULL;
}

/* Where key is in its segment, or the empty slot where it would go. */
static uint32_t probe(const wa_dump *d, uint64_t key, wa_seg **seg)
{
    wa_seg *s = &d->segs[wa_dump_seg_of(d, key)];
    uint32_t i = wa_dump_home_of(wa_dump_slot_hash(key), s->cap);
    for (;;) {
        uint64_t v = s->slot[i];
        if (!v || (v & WA_SLOT_KEY_MASK) == key)
            break;
        if (++i == s->cap)
            i = 0;
    }
    *seg = s;
    return i;
}

uint64_t *wa_dump_tab_lookup(const wa_dump *d, PyObject *o)
{
    if (!wa_dump_slot_encodable(o))
        return NULL;
    wa_seg *s;
    uint32_t i = probe(d, (uint64_t)(uintptr_t)o >> 3, &s);
    return s->slot[i] ? &s->slot[i] : NULL;
}

uint64_t *wa_dump_tab_insert(wa_dump *d, PyObject *o, int *added)
{
    *added = 0;
    if (!wa_dump_slot_encodable(o)) {
        d->bad_addr = 1;
        return NULL;
    }
    uint64_t key = (uint64_t)(uintptr_t)o >> 3;
    wa_seg *s;
    uint32_t i = probe(d, key, &s);
    if (s->slot[i])
        return &s->slot[i];
    if (d->frozen || d->n >= WA_MAX_OBJECTS - 1) {
        d->too_many = !d->frozen;
        d->oom = 1;
        return NULL;
    }
    if (s->n >= s->limit) {
        if (seg_grow(d, s) != 0) {
            d->oom = 1;
            return NULL;
        }
        i = probe(d, key, &s);
    }
    s->slot[i] = key;
    s->n++;
    d->n++;
    *added = 1;
    return &s->slot[i];
}

/* ------------------------------------------------------------ seen counts */

/* ------------------------------------------------------------ small maps */

static int pm_init(wa_ptrmap *m, uint32_t cap)
{
    m->keys = calloc(cap, sizeof *m->keys);
    m->vals = calloc(cap, sizeof *m->vals);
    m->mask = cap - 1;
    m->n = 0;
    return m->keys && m->vals ? 0 : -1;
}

static void pm_free(wa_ptrmap *m)
{
    free(m->keys);
    free(m->vals);
    m->keys = NULL;
    m->vals = NULL;
}

static uint32_t pm_slot(const wa_ptrmap *m, const void *k)
{
    uint32_t h = (uint32_t)wa_mix64((uint64_t)(uintptr_t)k) & m->mask;
    while (m->keys[h] && m->keys[h] != k)
        h = (h + 1) & m->mask;
    return h;
}

/* The value slot of k, added (0) if absent; NULL when out of memory. */
static uint64_t *pm_at(wa_ptrmap *m, const void *k)
{
    if ((m->n + 1) * 2 > m->mask + 1) {
        wa_ptrmap g;
        if (pm_init(&g, (m->mask + 1) * 2) != 0) {
            pm_free(&g);
            return NULL;
        }
        for (uint32_t i = 0; i <= m->mask; i++) {
            if (!m->keys[i])
                continue;
            uint32_t h = pm_slot(&g, m->keys[i]);
            g.keys[h] = m->keys[i];
            g.vals[h] = m->vals[i];
        }
        g.n = m->n;
        pm_free(m);
        *m = g;
    }
    uint32_t h = pm_slot(m, k);
    if (!m->keys[h]) {
        m->keys[h] = k;
        m->n++;
    }
    return &m->vals[h];
}

static uint64_t pm_get(const wa_ptrmap *m, const void *k)
{
    uint32_t h = pm_slot(m, k);
    return m->keys[h] ? m->vals[h] : 0;
}

/* ------------------------------------------------------------ seen counts */

void wa_dump_tab_seen_add(wa_dump *d, uint64_t *slot, uint64_t k)
{
    uint64_t cur = (*slot >> WA_SLOT_SEEN_SHIFT) & WA_SLOT_SEEN_MAX;
    if (cur + k < WA_SLOT_SEEN_MAX) {
        *slot += k << WA_SLOT_SEEN_SHIFT;
        return;
    }
    PyObject *o = wa_dump_slot_obj(*slot);
    *slot |= (uint64_t)WA_SLOT_SEEN_MAX << WA_SLOT_SEEN_SHIFT;
    uint64_t extra = cur + k - WA_SLOT_SEEN_MAX;
    uint64_t *v = pm_at(&d->ovf, o);
    if (!v) {
        d->oom = 1;
        return;
    }
    *v += extra;
}

uint64_t wa_dump_tab_seen(const wa_dump *d, uint64_t slot)
{
    uint64_t cur = (slot >> WA_SLOT_SEEN_SHIFT) & WA_SLOT_SEEN_MAX;
    if (cur < WA_SLOT_SEEN_MAX)
        return cur;
    return cur + pm_get(&d->ovf, wa_dump_slot_obj(slot));
}

/* ------------------------------------------------------------ dense index */

int wa_dump_tab_freeze(wa_dump *d)
{
    uint64_t base = 0;
    for (uint32_t si = 0; si < d->n_segs; si++) {
        wa_seg *s = &d->segs[si];
        uint32_t words = (s->cap + 63) / 64;
        size_t bytes = round_pages((size_t)words * 12);
        void *m = map_zero(bytes);
        if (!m)
            return -1;
        s->bits = m;
        s->dir = (uint32_t *)(s->bits + words);
        s->rank_bytes = bytes;
        s->base = (uint32_t)base;
        uint32_t cnt = 0;
        for (uint32_t w = 0; w < words; w++) {
            uint64_t b = 0;
            uint32_t lo = w * 64, hi = lo + 64 < s->cap ? lo + 64 : s->cap;
            for (uint32_t i = lo; i < hi; i++)
                if (s->slot[i])
                    b |= 1ull << (i - lo);
            s->bits[w] = b;
            s->dir[w] = cnt;
            cnt += (uint32_t)popcount64(b);
        }
        base += cnt;
    }
    d->frozen = 1;
    return base == d->n ? 0 : -1;
}

uint32_t wa_dump_tab_index(const wa_dump *d, PyObject *o)
{
    if (!wa_dump_slot_encodable(o))
        return WA_NONE;
    wa_seg *s;
    uint32_t i = probe(d, (uint64_t)(uintptr_t)o >> 3, &s);
    if (!s->slot[i])
        return WA_NONE;
    uint32_t w = i >> 6;
    uint64_t below = s->bits[w] & ((1ull << (i & 63)) - 1);
    return s->base + s->dir[w] + (uint32_t)popcount64(below);
}

/* ------------------------------------------------------------ scratch */

int wa_dump_scratch_reserve(void **p, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    uint64_t ncap = *cap ? *cap : 64;
    while (ncap < need)
        ncap *= 2;
    if (ncap > UINT32_MAX)
        return -1;
    void *q = realloc(*p, (size_t)ncap * elem);
    if (!q)
        return -1;
    *p = q;
    *cap = (uint32_t)ncap;
    return 0;
}

/* ------------------------------------------------------------ cells */

int wa_dump_cell_name_set(wa_dump *d, PyObject *cell, PyObject *name)
{
    uint64_t *v = pm_at(&d->cells, cell);
    if (!v)
        return -1;
    *v = (uint64_t)(uintptr_t)name;
    return 0;
}

PyObject *wa_dump_cell_name_get(const wa_dump *d, PyObject *cell)
{
    return (PyObject *)(uintptr_t)pm_get(&d->cells, cell);
}
