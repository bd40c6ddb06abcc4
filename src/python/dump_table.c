/*
 * dump_table.c: the walk's object table (address -> dense index) and its
 * small side tables.
 *
 * Invariant: slots[] is an open-addressing table of index + 1 (0 = empty)
 * over objs[], never more than 3/4 full; an object appears once. Memory per
 * object is 8 (pointer) + 4 (seen) + 1 (flags) + 4..8 (slots) bytes: the
 * dumper must stay well under 15% of the process it dumps.
 */
#include "python/dump.h"

#include <stdlib.h>
#include <string.h>

static inline uint32_t ptr_hash(const void *p)
{
    /* Objects are 16-byte aligned: the multiply spreads the high bits. */
    return (uint32_t)(((uint64_t)(uintptr_t)p * 0x9E3779B97F4A7C15ull) >> 32);
}

int wa_scratch_reserve(void **p, uint32_t *cap, uint32_t need, size_t elem)
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

static int slots_rebuild(wa_dump *d, uint32_t nslots)
{
    uint32_t *s = calloc(nslots, sizeof *s);
    if (!s)
        return -1;
    free(d->slots);
    d->slots = s;
    d->slot_mask = nslots - 1;
    for (uint32_t i = 0; i < d->n; i++) {
        uint32_t h = ptr_hash(d->objs[i]) & d->slot_mask;
        while (s[h])
            h = (h + 1) & d->slot_mask;
        s[h] = i + 1;
    }
    return 0;
}

static uint32_t pow2_at_least(uint64_t v)
{
    uint64_t p = 1024;
    while (p < v)
        p <<= 1;
    return p > 0x80000000u ? 0x80000000u : (uint32_t)p;
}

int wa_tab_init(wa_dump *d, uint32_t expected)
{
    d->cap = expected < 1024 ? 1024 : expected;
    d->objs = malloc((size_t)d->cap * sizeof *d->objs);
    d->seen = calloc(d->cap, sizeof *d->seen);
    d->flags = calloc(d->cap, 1);
    d->n = 0;
    if (!d->objs || !d->seen || !d->flags)
        return -1;
    if (slots_rebuild(d, pow2_at_least((uint64_t)expected * 4 / 3 + 1)) != 0)
        return -1;
    d->cell_mask = 255;
    d->cell_keys = calloc(256, sizeof *d->cell_keys);
    d->cell_names = calloc(256, sizeof *d->cell_names);
    d->type_mask = 1023;
    d->type_keys = calloc(1024, sizeof *d->type_keys);
    d->type_vals = calloc(1024, sizeof *d->type_vals);
    d->lc_keys = calloc(1u << 15, sizeof *d->lc_keys);
    d->lc_vals = calloc(1u << 15, sizeof *d->lc_vals);
    if (!d->cell_keys || !d->cell_names || !d->type_keys || !d->type_vals || !d->lc_keys ||
        !d->lc_vals)
        return -1;
    return 0;
}

void wa_tab_free(wa_dump *d)
{
    free(d->objs);
    free(d->seen);
    free(d->flags);
    free(d->slots);
    free(d->cell_keys);
    free(d->cell_names);
    free(d->type_keys);
    free(d->type_vals);
    free(d->lc_keys);
    free(d->lc_vals);
    free(d->refs);
    free(d->hints);
    free(d->mm);
    free(d->edges);
    free(d->buf);
    free(d->pending);
    d->objs = NULL;
    d->seen = NULL;
    d->flags = NULL;
    d->slots = NULL;
    d->cell_keys = d->cell_names = NULL;
    d->type_keys = NULL;
    d->type_vals = NULL;
    d->lc_keys = NULL;
    d->lc_vals = NULL;
    d->refs = NULL;
    d->hints = NULL;
    d->mm = NULL;
    d->edges = NULL;
    d->buf = NULL;
    d->pending = NULL;
}

uint32_t wa_tab_find(const wa_dump *d, PyObject *o)
{
    uint32_t h = ptr_hash(o) & d->slot_mask;
    for (;;) {
        uint32_t v = d->slots[h];
        if (!v)
            return WA_NONE;
        if (d->objs[v - 1] == o)
            return v - 1;
        h = (h + 1) & d->slot_mask;
    }
}

static int tab_grow(wa_dump *d)
{
    uint64_t ncap = (uint64_t)d->cap * 3 / 2 + 1024;
    if (ncap >= WA_MAX_OBJECTS)
        ncap = WA_MAX_OBJECTS;
    if (ncap <= d->cap)
        return -1;
    PyObject **o = realloc(d->objs, (size_t)ncap * sizeof *o);
    if (!o)
        return -1;
    d->objs = o;
    uint32_t *s = realloc(d->seen, (size_t)ncap * sizeof *s);
    if (!s)
        return -1;
    memset(s + d->cap, 0, (size_t)(ncap - d->cap) * sizeof *s);
    d->seen = s;
    uint8_t *f = realloc(d->flags, (size_t)ncap);
    if (!f)
        return -1;
    memset(f + d->cap, 0, (size_t)(ncap - d->cap));
    d->flags = f;
    d->cap = (uint32_t)ncap;
    return 0;
}

uint32_t wa_tab_add(wa_dump *d, PyObject *o)
{
    uint32_t h = ptr_hash(o) & d->slot_mask;
    for (;;) {
        uint32_t v = d->slots[h];
        if (!v)
            break;
        if (d->objs[v - 1] == o)
            return v - 1;
        h = (h + 1) & d->slot_mask;
    }
    if (d->n == d->cap && tab_grow(d) != 0)
        return WA_NONE;
    uint32_t idx = d->n++;
    d->objs[idx] = o;
    if ((uint64_t)d->n * 4 > (uint64_t)(d->slot_mask + 1) * 3) {
        if (slots_rebuild(d, (d->slot_mask + 1) * 2) != 0) {
            d->n--;
            return WA_NONE;
        }
    } else {
        d->slots[h] = idx + 1;
    }
    return idx;
}

/* Closure cells are few next to the heap: a small table that doubles. */
static int cells_grow(wa_dump *d)
{
    uint32_t ncap = (d->cell_mask + 1) * 2;
    PyObject **k = calloc(ncap, sizeof *k), **v = calloc(ncap, sizeof *v);
    if (!k || !v) {
        free(k);
        free(v);
        return -1;
    }
    for (uint32_t i = 0; i <= d->cell_mask; i++) {
        if (!d->cell_keys[i])
            continue;
        uint32_t h = ptr_hash(d->cell_keys[i]) & (ncap - 1);
        while (k[h])
            h = (h + 1) & (ncap - 1);
        k[h] = d->cell_keys[i];
        v[h] = d->cell_names[i];
    }
    free(d->cell_keys);
    free(d->cell_names);
    d->cell_keys = k;
    d->cell_names = v;
    d->cell_mask = ncap - 1;
    return 0;
}

int wa_cell_name_set(wa_dump *d, PyObject *cell, PyObject *name)
{
    if ((d->n_cells + 1) * 2 > d->cell_mask + 1 && cells_grow(d) != 0)
        return -1;
    uint32_t h = ptr_hash(cell) & d->cell_mask;
    while (d->cell_keys[h] && d->cell_keys[h] != cell)
        h = (h + 1) & d->cell_mask;
    if (!d->cell_keys[h]) {
        d->cell_keys[h] = cell;
        d->n_cells++;
    }
    d->cell_names[h] = name;
    return 0;
}

PyObject *wa_cell_name_get(const wa_dump *d, PyObject *cell)
{
    uint32_t h = ptr_hash(cell) & d->cell_mask;
    while (d->cell_keys[h]) {
        if (d->cell_keys[h] == cell)
            return d->cell_names[h];
        h = (h + 1) & d->cell_mask;
    }
    return NULL;
}
