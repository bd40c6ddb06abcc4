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
    if (row->key == WA_NONE) return "";
    return wa_snapshot_string(s, row->key);
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

size_t wa_site_frame_len(const char *site) {
    const char *semi = strchr(site, ';');
    return semi ? (size_t)(semi - site) : strlen(site);
}

/* qsort over site string ids by their first frame's text (then id). */
static const wa_snapshot *sort_snap;
static int cmp_frame(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    const char *sx = wa_snapshot_string(sort_snap, x), *sy = wa_snapshot_string(sort_snap, y);
    size_t lx = wa_site_frame_len(sx), ly = wa_site_frame_len(sy);
    int c = strncmp(sx, sy, lx < ly ? lx : ly);
    if (c) return c;
    if (lx != ly) return lx < ly ? -1 : 1;
    return x < y ? -1 : x > y;
}

/* By site: a key per distinct first frame of the objects' allocation sites,
 * and one (the last, WA_NONE) for objects without a site. key_id[k] is a
 * site string of key k; key_of_obj[v] the key of object v. */
static int site_keys(const wa_snapshot *s, uint32_t **key_of_obj, uint32_t **key_id,
                     uint32_t *nkeys, wa_error *err) {
    uint32_t ns = s->n_sites, n = s->n_objects;
    uint32_t *sids = wa_alloc(ns ? ns : 1, 4, err), *frame = NULL;
    *key_of_obj = wa_alloc(n ? n : 1, 4, err);
    *key_id = wa_alloc(ns + 1, 4, err);
    if (!sids || !*key_of_obj || !*key_id) goto fail;
    for (uint32_t i = 0; i < ns; i++) sids[i] = s->site_pairs[2 * (size_t)i + 1];
    qsort(sids, ns, 4, cmp_u32);
    uint32_t nd = 0;
    for (uint32_t i = 0; i < ns; i++)
        if (nd == 0 || sids[nd - 1] != sids[i]) sids[nd++] = sids[i];
    /* distinct strings in first-frame order; equal frames share a key */
    uint32_t *by_frame = wa_alloc(nd ? nd : 1, 4, err);
    frame = wa_alloc(nd ? nd : 1, 4, err);
    if (!by_frame || !frame) {
        free(by_frame);
        goto fail;
    }
    memcpy(by_frame, sids, (size_t)nd * 4);
    sort_snap = s;
    qsort(by_frame, nd, 4, cmp_frame);
    uint32_t k = 0;
    for (uint32_t i = 0; i < nd; i++) {
        if (i > 0) {
            const char *a = wa_snapshot_string(s, by_frame[i - 1]),
                       *b = wa_snapshot_string(s, by_frame[i]);
            size_t la = wa_site_frame_len(a), lb = wa_site_frame_len(b);
            if (la != lb || strncmp(a, b, la) != 0) k++;
        }
        (*key_id)[k] = by_frame[i];
        /* frame[] is indexed like sids (sorted by id): found by search below */
        uint32_t lo = 0, hi = nd;
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (sids[mid] < by_frame[i])
                lo = mid + 1;
            else
                hi = mid;
        }
        frame[lo] = k;
    }
    free(by_frame);
    *nkeys = nd ? k + 2 : 1;
    uint32_t none = *nkeys - 1;
    (*key_id)[none] = WA_NONE;
    for (uint32_t v = 0; v < n; v++) (*key_of_obj)[v] = none;
    for (uint32_t i = 0; i < ns; i++) {
        uint32_t obj = s->site_pairs[2 * (size_t)i], sid = s->site_pairs[2 * (size_t)i + 1];
        uint32_t lo = 0, hi = nd;
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (sids[mid] < sid)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (obj < n && lo < nd) (*key_of_obj)[obj] = frame[lo];
    }
    free(sids);
    free(frame);
    return 0;
fail:
    free(sids);
    free(frame);
    free(*key_of_obj);
    free(*key_id);
    *key_of_obj = *key_id = NULL;
    return -1;
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

wa_summary *wa_summary_compute(const wa_snapshot *s, const wa_dom *dom, wa_summary_by by,
                               const wa_objlist *subset, wa_sort_key sort, wa_error *err) {
    const uint32_t n = s->n_objects, nt = s->n_types;
    wa_summary *sum = wa_calloc(1, sizeof *sum, err);
    uint32_t *key_of_type = wa_alloc(nt, 4, err);
    uint32_t *key_id = NULL, *active = NULL, *key_of_obj = NULL;
    wa_summary_row *rows = NULL;
    wa_bits *counted = NULL;
    named *tmp = NULL;
    uint32_t nkeys = 0;
    if (!sum || !key_of_type) goto fail;
    sum->by = by;

    /* Dense keys: the type itself, its module's rank among the modules, or
     * (by site) the first frame of the object's allocation site. */
    if (by == WA_SUMMARY_BY_SITE) {
        if (site_keys(s, &key_of_obj, &key_id, &nkeys, err) != 0) goto fail;
    } else if (by == WA_SUMMARY_BY_TYPE) {
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
#define KEY(v) (key_of_obj ? key_of_obj[v] : key_of_type[s->objects[v].type])
    for (uint32_t v = 0; v < n; v++) {
        if (!COUNTED(v)) continue;
        const wa_object *o = &s->objects[v];
        wa_summary_row *r = &rows[KEY(v)];
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
                if (COUNTED(prev)) active[KEY(prev)]--;
                prev = dom->idom[prev] == WA_DOM_SUPER ? WA_NONE : dom->idom[prev];
            }
            if (v == WA_NONE) break;
            if (COUNTED(v)) {
                uint32_t key = KEY(v);
                if (active[key]++ == 0) rows[key].retained += dom->retained[v];
            }
            prev = v;
        }
    }
#undef COUNTED
#undef KEY

    /* Keep keys with instances; sort. */
    tmp = wa_alloc(nkeys, sizeof *tmp, err);
    if (!tmp) goto fail;
    uint32_t m = 0;
    for (uint32_t k = 0; k < nkeys; k++) {
        if (!rows[k].count) continue;
        tmp[m].row = rows[k];
        tmp[m].name = wa_summary_row_name(s, sum, &rows[k]);
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
    free(key_of_obj);
    free(key_id);
    free(active);
    free(counted);
    return sum;
fail:
    if (err && err->code == WA_OK) wa_nomem(err);
    free(tmp);
    free(rows);
    free(key_of_type);
    free(key_of_obj);
    free(key_id);
    free(active);
    free(counted);
    free(sum);
    return NULL;
}
