/*
 * analysis/common.c: the small shared pieces of the analyses (bit sets of
 * roots, dominator child lists, top members, sorts by key).
 */
#include "analysis/internal.h"

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

wa_status wa_domkids_build(const wa_dom *dom, wa_domkids *k, wa_error *err) {
    uint32_t n = dom->n_objects;
    k->first = wa_alloc((size_t)n + 1, 4, err);
    k->next = wa_alloc(n, 4, err);
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
    keyed *t = wa_alloc(n, sizeof *t, err);
    if (!t) return WA_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) t[i] = (keyed){keys[i], objs[i]};
    qsort(t, n, sizeof *t, keyed_desc);
    for (size_t i = 0; i < n; i++) objs[i] = t[i].obj;
    free(t);
    return WA_OK;
}

wa_status wa_ana_sort_by_retained(const wa_dom *dom, uint32_t *objs, size_t n, wa_error *err) {
    if (n < 2) return WA_OK;
    keyed *t = wa_alloc(n, sizeof *t, err);
    if (!t) return WA_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) t[i] = (keyed){dom->retained[objs[i]], objs[i]};
    qsort(t, n, sizeof *t, keyed_desc);
    for (size_t i = 0; i < n; i++) objs[i] = t[i].obj;
    free(t);
    return WA_OK;
}
