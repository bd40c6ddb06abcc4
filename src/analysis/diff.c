/*
 * analysis/diff.c: per-type growth between two snapshots, and the
 * three-snapshot survivors.
 *
 * Types are joined by their full name (type indexes differ between dumps).
 * Objects are joined by (address, type name): CPython reuses freed
 * addresses, so this is the best identity a dump offers, and a "surviving"
 * object may be a new one that landed at the same address with the same type.
 */
#include <stdio.h>

#include "analysis/internal.h"

/* Name-keyed rows: a hash map from the name's hash, with linear re-probing
 * on a (practically impossible) 64-bit collision. */
typedef struct rowtab {
    wa_u64map map;
    wa_diff_row *rows;
    uint32_t n, cap;
} rowtab;

static uint32_t row_for(rowtab *t, const char *name, int *nomem) {
    uint64_t h = wa_fnv_str(0x1505, name);
    for (uint64_t k = 0;; k++) {
        int inserted = 0;
        uint32_t *slot = wa_u64map_put(&t->map, h + k * 0x9E3779B97F4A7C15ull, t->n, &inserted);
        if (!slot) {
            *nomem = 1;
            return 0;
        }
        if (!inserted) {
            if (strcmp(t->rows[*slot].type, name) == 0) return *slot;
            continue;
        }
        if (t->n == t->cap) {
            uint32_t cap = t->cap ? t->cap * 2 : 64;
            wa_diff_row *r = realloc(t->rows, (size_t)cap * sizeof *r);
            if (!r) {
                *nomem = 1;
                return 0;
            }
            t->rows = r;
            t->cap = cap;
        }
        memset(&t->rows[t->n], 0, sizeof t->rows[t->n]);
        t->rows[t->n].type = name;
        return t->n++;
    }
}

static int row_cmp(const void *a, const void *b) {
    const wa_diff_row *x = a, *y = b;
    if (x->dbytes != y->dbytes) return x->dbytes > y->dbytes ? -1 : 1;
    if (x->dcount != y->dcount) return x->dcount > y->dcount ? -1 : 1;
    return strcmp(x->type, y->type);
}

void wa_diff_free(wa_diff *diff) {
    if (!diff) return;
    free(diff->rows);
    wa_objlist_free(diff->survivors);
    wa_cluster_set_free(diff->clusters);
    free(diff);
}

/* Identity hash of object v: (address, type name). */
static uint64_t ident(const wa_snapshot *s, const uint64_t *type_hash, uint32_t v) {
    return wa_fnv_u64(type_hash[s->objects[v].type], s->objects[v].addr);
}

static uint64_t *type_hashes(const wa_snapshot *s, wa_error *err) {
    uint64_t *h = wa_alloc(s->n_types, 8, err);
    if (!h) return NULL;
    for (uint32_t t = 0; t < s->n_types; t++) h[t] = wa_fnv_str(0x77, wa_snapshot_type_name(s, t));
    return h;
}

/* Map identity -> object index. On a hash collision between two different
 * identities, the later one is left out: it is then treated as "no match",
 * the conservative answer for both uses below. */
static int build_ident_map(const wa_snapshot *s, const uint64_t *th, wa_u64map *m) {
    if (wa_u64map_init(m, s->n_objects) != 0) return -1;
    for (uint32_t v = 0; v < s->n_objects; v++)
        if (!wa_u64map_put(m, ident(s, th, v), v, NULL)) return -1;
    return 0;
}

static int same_ident(const wa_snapshot *a, uint32_t va, const wa_snapshot *b, uint32_t vb) {
    return a->objects[va].addr == b->objects[vb].addr &&
           strcmp(wa_snapshot_type_name(a, a->objects[va].type),
                  wa_snapshot_type_name(b, b->objects[vb].type)) == 0;
}

static wa_status survivors(wa_diff *d, const wa_snapshot *a, const wa_snapshot *b,
                           const wa_snapshot *c, wa_bits *const *keep, wa_error *err) {
    uint64_t *ha = type_hashes(a, err), *hb = type_hashes(b, err), *hc = type_hashes(c, err);
    wa_u64map ma = {0}, mc = {0};
    wa_status st = WA_ERR_NOMEM;
    wa_dom *dom = NULL;
    wa_path_tree *tree = NULL;
    if (!ha || !hb || !hc) goto out;
    if (build_ident_map(a, ha, &ma) != 0 || build_ident_map(c, hc, &mc) != 0) goto out;
    d->survivors = wa_calloc(1, sizeof *d->survivors, err);
    if (!d->survivors) goto out;
    size_t cap = 0;
    for (uint32_t v = 0; v < b->n_objects; v++) {
        if (keep[1] && !wa_bit(keep[1], v)) continue;
        uint64_t h = ident(b, hb, v);
        const uint32_t *in_a = wa_u64map_get(&ma, h);
        if (in_a && same_ident(a, *in_a, b, v)) continue; /* not new in b */
        const uint32_t *in_c = wa_u64map_get(&mc, h);
        if (!in_c || !same_ident(c, *in_c, b, v)) continue; /* gone by c */
        if (keep[2] && !wa_bit(keep[2], *in_c)) continue;
        if (d->survivors->n == cap) {
            cap = cap ? cap * 2 : 256;
            uint32_t *o = realloc(d->survivors->objs, cap * sizeof *o);
            if (!o) goto out;
            d->survivors->objs = o;
        }
        d->survivors->objs[d->survivors->n++] = *in_c;
    }
    d->survivors->total = d->survivors->n;
    wa_u64map_free(&ma);
    wa_u64map_free(&mc);
    /* Paths in the third dump: that is the heap that still holds them. */
    dom = wa_dom_compute(c, err);
    tree = dom ? wa_path_tree_build(c, err) : NULL;
    if (!tree) {
        st = err ? err->code : WA_ERR_NOMEM;
        goto out;
    }
    d->clusters = wa_path_cluster(c, tree, dom, d->survivors->objs, d->survivors->n, err);
    if (!d->clusters) {
        st = err ? err->code : WA_ERR_NOMEM;
        goto out;
    }
    st = WA_OK;
out:
    if (st == WA_ERR_NOMEM && err && err->code == WA_OK) wa_nomem(err);
    wa_u64map_free(&ma);
    wa_u64map_free(&mc);
    free(ha);
    free(hb);
    free(hc);
    wa_dom_free(dom);
    wa_path_tree_free(tree);
    return st;
}

wa_diff *wa_diff_compute(const wa_snapshot *a, const wa_snapshot *b, const wa_snapshot *c,
                         const wa_diff_options *opts, wa_error *err) {
    if (!a || !b) {
        wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE, "a diff needs two snapshots");
        return NULL;
    }
    wa_diff_keep_fn keep_fn = opts ? opts->keep : NULL;
    wa_bits *keep[3] = {NULL, NULL, NULL};
    const wa_snapshot *snaps[3] = {a, b, c};
    uint32_t ns = c ? 3 : 2;
    wa_diff *d = wa_calloc(1, sizeof *d, err);
    rowtab t = {{0}, NULL, 0, 0};
    uint32_t *row_of_type = NULL;
    int nomem = 0;
    if (!d || wa_u64map_init(&t.map, 256) != 0) goto fail;
    d->n_snapshots = ns;
    for (uint32_t k = 0; k < ns; k++) {
        const wa_snapshot *s = snaps[k];
        free(row_of_type);
        row_of_type = wa_alloc(s->n_types, 4, err);
        if (!row_of_type) goto fail;
        for (uint32_t ty = 0; ty < s->n_types; ty++) {
            row_of_type[ty] = row_for(&t, wa_snapshot_type_name(s, ty), &nomem);
            if (nomem) goto fail;
        }
        if (keep_fn) {
            keep[k] = wa_bits_new(s->n_objects, err);
            if (!keep[k]) goto fail;
            for (uint32_t v = 0; v < s->n_objects; v++)
                if (keep_fn(s, v, opts->keep_ctx)) wa_bit_set(keep[k], v);
        }
        for (uint32_t v = 0; v < s->n_objects; v++) {
            if (keep[k] && !wa_bit(keep[k], v)) continue;
            wa_diff_row *r = &t.rows[row_of_type[s->objects[v].type]];
            r->count[k]++;
            r->bytes[k] += s->objects[v].size;
            d->count[k]++;
            d->bytes[k] += s->objects[v].size;
        }
    }
    /* Drop types with no instance anywhere (declared but empty). */
    uint32_t m = 0;
    for (uint32_t i = 0; i < t.n; i++) {
        wa_diff_row r = t.rows[i];
        if (!r.count[0] && !r.count[1] && !r.count[2]) continue;
        r.dcount = (int64_t)r.count[ns - 1] - (int64_t)r.count[0];
        r.dbytes = (int64_t)r.bytes[ns - 1] - (int64_t)r.bytes[0];
        t.rows[m++] = r;
    }
    qsort(t.rows, m, sizeof *t.rows, row_cmp);
    d->rows = t.rows;
    d->n_rows = m;
    t.rows = NULL;
    wa_u64map_free(&t.map);
    free(row_of_type);
    row_of_type = NULL;
    if (c && survivors(d, a, b, c, keep, err) != WA_OK) goto fail;
    for (int k = 0; k < 3; k++) free(keep[k]);
    return d;
fail:
    for (int k = 0; k < 3; k++) free(keep[k]);
    if (err && err->code == WA_OK) wa_nomem(err);
    free(t.rows);
    wa_u64map_free(&t.map);
    free(row_of_type);
    wa_diff_free(d);
    return NULL;
}
