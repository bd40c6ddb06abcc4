/*
 * analysis/summary.c: the per-type / per-module table (count, shallow,
 * retained).
 *
 * Retained of a key K = bytes freed if every counted instance of K went =
 * sum of retained[v] over instances v with no instance of K among their
 * proper dominators. One walk of the dominator tree computes it for every
 * key at once: a counter per key holds how many instances of K are on the
 * current root-to-node path; an instance entered while its counter is 0 is
 * the topmost of its key on that path. The walk follows the dominator-tree
 * preorder the wa_dom keeps, climbing idom links to leave subtrees: no
 * stack, no child lists, O(n).
 */
#include <stdio.h>

#include "analysis/internal.h"

void wa_summary_free(wa_summary *sum) {
    if (!sum) return;
    free(sum->rows);
    free(sum);
}

const char *wa_summary_row_name(const wa_snapshot *s, const wa_summary *sum,
                                const wa_summary_row *row) {
    if (sum->by == WA_SUMMARY_BY_TYPE) return wa_snapshot_type_name(s, row->key);
    return wa_snapshot_string(s, row->key);
}

typedef struct named {
    wa_summary_row row;
    const char *name;
} named;

static int cmp_name(const named *x, const named *y) {
    int c = strcmp(x->name, y->name);
    if (c) return c;
    return x->row.key < y->row.key ? -1 : x->row.key > y->row.key;
}
#define DESC(f)                                                                                    \
    if (x->row.f != y->row.f) return x->row.f > y->row.f ? -1 : 1
static int by_retained(const void *a, const void *b) {
    const named *x = a, *y = b;
    DESC(retained);
    DESC(shallow);
    DESC(count);
    return cmp_name(x, y);
}
static int by_shallow(const void *a, const void *b) {
    const named *x = a, *y = b;
    DESC(shallow);
    DESC(retained);
    DESC(count);
    return cmp_name(x, y);
}
static int by_count(const void *a, const void *b) {
    const named *x = a, *y = b;
    DESC(count);
    DESC(shallow);
    DESC(retained);
    return cmp_name(x, y);
}
static int by_name(const void *a, const void *b) { return cmp_name(a, b); }
#undef DESC

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

wa_summary *wa_summary_compute(const wa_snapshot *s, const wa_dom *dom, wa_summary_by by,
                               const wa_objlist *subset, wa_sort_key sort, wa_error *err) {
    const uint32_t n = s->n_objects, nt = s->n_types;
    wa_summary *sum = wa_calloc(1, sizeof *sum, err);
    uint32_t *key_of_type = wa_alloc(nt, 4, err);
    uint32_t *key_id = NULL, *active = NULL;
    wa_summary_row *rows = NULL;
    wa_bits *counted = NULL;
    named *tmp = NULL;
    uint32_t nkeys = 0;
    if (!sum || !key_of_type) goto fail;
    sum->by = by;

    /* Dense keys: the type itself, or its module's rank among the modules. */
    if (by == WA_SUMMARY_BY_TYPE) {
        for (uint32_t t = 0; t < nt; t++) key_of_type[t] = t;
        nkeys = nt;
        key_id = wa_alloc(nt, 4, err);
        if (!key_id) goto fail;
        for (uint32_t t = 0; t < nt; t++) key_id[t] = t;
    } else {
        key_id = wa_alloc(nt, 4, err);
        if (!key_id) goto fail;
        for (uint32_t t = 0; t < nt; t++) key_id[t] = s->types[t].module;
        qsort(key_id, nt, 4, cmp_u32);
        for (uint32_t t = 0; t < nt; t++)
            if (nkeys == 0 || key_id[nkeys - 1] != key_id[t]) key_id[nkeys++] = key_id[t];
        for (uint32_t t = 0; t < nt; t++) {
            uint32_t m = s->types[t].module, lo = 0, hi = nkeys;
            while (lo < hi) {
                uint32_t mid = lo + (hi - lo) / 2;
                if (key_id[mid] < m)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            key_of_type[t] = lo;
        }
    }
    rows = wa_calloc(nkeys, sizeof *rows, err);
    if (!rows) goto fail;
    for (uint32_t k = 0; k < nkeys; k++) rows[k].key = key_id[k];

    if (subset) {
        counted = wa_bits_new(n, err);
        if (!counted) goto fail;
        for (uint32_t i = 0; i < subset->n; i++)
            if (subset->objs[i] < n) wa_bit_set(counted, subset->objs[i]);
    }
#define COUNTED(v) (!counted || wa_bit(counted, (v)))
    for (uint32_t v = 0; v < n; v++) {
        if (!COUNTED(v)) continue;
        const wa_object *o = &s->objects[v];
        wa_summary_row *r = &rows[key_of_type[o->type]];
        r->count++;
        r->shallow += o->size;
        sum->count++;
        sum->shallow += o->size;
        if (dom && dom->idom[v] == WA_NONE) {
            sum->n_unreachable++;
            sum->unreachable_bytes += o->size;
        }
    }

    if (dom) {
        sum->reachable_bytes = dom->reachable_bytes;
        active = wa_calloc(nkeys, 4, err);
        if (!active) goto fail;
        /* Walk the kept preorder; leaving a subtree is climbing idom links
         * from the previous object up to the new object's parent, so every
         * object is entered once and left once. */
        uint32_t prev = WA_NONE;
        for (uint32_t k = 0; k <= dom->n_reachable; k++) {
            uint32_t v = k < dom->n_reachable ? dom->preorder[k] : WA_NONE;
            uint32_t p = v == WA_NONE ? WA_DOM_SUPER : dom->idom[v];
            while (prev != WA_NONE && prev != p) {
                if (COUNTED(prev)) active[key_of_type[s->objects[prev].type]]--;
                prev = dom->idom[prev] == WA_DOM_SUPER ? WA_NONE : dom->idom[prev];
            }
            if (v == WA_NONE) break;
            if (COUNTED(v)) {
                uint32_t key = key_of_type[s->objects[v].type];
                if (active[key]++ == 0) rows[key].retained += dom->retained[v];
            }
            prev = v;
        }
    }
#undef COUNTED

    /* Keep keys with instances; sort. */
    tmp = wa_alloc(nkeys, sizeof *tmp, err);
    if (!tmp) goto fail;
    uint32_t m = 0;
    for (uint32_t k = 0; k < nkeys; k++) {
        if (!rows[k].count) continue;
        tmp[m].row = rows[k];
        tmp[m].name = by == WA_SUMMARY_BY_TYPE ? wa_snapshot_type_name(s, rows[k].key)
                                               : wa_snapshot_string(s, rows[k].key);
        m++;
    }
    int (*cmp)(const void *, const void *) = sort == WA_SORT_SHALLOW ? by_shallow
                                             : sort == WA_SORT_COUNT ? by_count
                                             : sort == WA_SORT_NAME  ? by_name
                                                                     : by_retained;
    if (!dom && sort == WA_SORT_RETAINED) cmp = by_shallow;
    qsort(tmp, m, sizeof *tmp, cmp);
    for (uint32_t k = 0; k < m; k++) rows[k] = tmp[k].row;
    sum->rows = rows;
    sum->n_rows = m;
    free(tmp);
    free(key_of_type);
    free(key_id);
    free(active);
    free(counted);
    return sum;
fail:
    if (err && err->code == WA_OK) wa_nomem(err);
    free(tmp);
    free(rows);
    free(key_of_type);
    free(key_id);
    free(active);
    free(counted);
    free(sum);
    return NULL;
}
