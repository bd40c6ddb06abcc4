/*
 * view/check.c: the CI gate behind --fail-on: how many objects a selector
 * matches in each snapshot, whether that is more than allowed (the growth
 * from the first snapshot to the last, the count in the last, or a suspect
 * of a matched type), and, when the check fails, the retention routes that
 * keep the offending objects alive in the last snapshot: the objects new
 * since the first snapshot when there is one, so the routes name what a
 * fix must cut. Added to an existing view's document as "check".
 */
#include <stdlib.h>
#include <string.h>

#include "view/view_impl.h"
#include "whyalive/select.h"

static const char *const mode_name[] = {"count", "growth", "suspect"};

/* The matches of c->selector in one snapshot. */
static wa_objlist *matches(const wa_view_source *src, const wa_check_options *c, wa_error *err) {
    const wa_dom *dom = NULL;
    if (wa_select_needs_dom(c->selector) && !(dom = wa_vw_dom(src, err))) return NULL;
    return wa_select_run(c->selector, wa_vw_snap(src), dom, 0, err);
}

/* Keep in l the objects with no object of the same address and type in a
 * (CPython reuses addresses, so this is identity at best, as in diff). */
static void keep_new(wa_objlist *l, const wa_snapshot *last, const wa_snapshot *a) {
    const wa_object *objs = wa_snapshot_objects(last), *aobjs = wa_snapshot_objects(a);
    uint32_t k = 0;
    for (uint32_t i = 0; i < l->n; i++) {
        const wa_object *o = &objs[l->objs[i]];
        uint32_t j = wa_snapshot_find(a, o->addr);
        if (j != WA_NONE && strcmp(wa_snapshot_type_name(a, aobjs[j].type),
                                   wa_snapshot_type_name(last, o->type)) == 0)
            continue;
        l->objs[k++] = l->objs[i];
    }
    l->n = k;
}

/* The suspects of the document whose type is one the selection matched. */
static uint64_t suspects_hit(cJSON *doc, const wa_snapshot *snap, const wa_objlist *l, cJSON *out,
                             wa_error *err) {
    uint32_t nt = wa_snapshot_n_types(snap);
    unsigned char *hit = calloc(nt ? nt : 1, 1);
    if (!hit) {
        wa_error_set(err, WA_ERR_NOMEM, NULL, WA_POS_NONE, WA_POS_NONE, "out of memory");
        return UINT64_MAX;
    }
    const wa_object *objs = wa_snapshot_objects(snap);
    for (uint32_t i = 0; i < l->n; i++) hit[objs[l->objs[i]].type] = 1;
    uint64_t n = 0;
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(doc, "suspects")) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(s, "type");
        if (!cJSON_IsString(t)) continue;
        for (uint32_t k = 0; k < nt; k++)
            if (hit[k] && strcmp(wa_snapshot_type_name(snap, k), t->valuestring) == 0) {
                cJSON_AddItemToArray(out, cJSON_Duplicate(s, 1));
                n++;
                break;
            }
    }
    free(hit);
    return n;
}

int wa_view_check(wa_view *view, const wa_view_source *src, uint32_t ns, const wa_check_options *c,
                  wa_error *err) {
    if (!view || !c || !c->selector || ns < 1 || ns > 3 || c->mode > WA_CHECK_SUSPECT ||
        (c->mode == WA_CHECK_GROWTH && ns < 2)) {
        wa_view_fail_arg(err, "check: needs a selector and the snapshots it applies to");
        return -1;
    }
    const wa_view_source *last = &src[ns - 1];
    wa_objlist *first = NULL, *l = NULL;
    cJSON *chk = cJSON_CreateObject();
    cJSON *counts = cJSON_AddArrayToObject(chk, "counts");
    uint64_t cnt[3] = {0, 0, 0};
    for (uint32_t i = 0; i < ns; i++) {
        wa_objlist *m = matches(&src[i], c, err);
        if (!m) goto fail;
        cnt[i] = m->total;
        cJSON_AddItemToArray(counts, cJSON_CreateNumber((double)m->total));
        if (i == 0 && ns > 1)
            first = m;
        else if (i == ns - 1)
            l = m;
        else
            wa_objlist_free(m);
    }
    int failed;
    cJSON *hits = NULL;
    double value;
    if (c->mode == WA_CHECK_GROWTH) {
        int64_t g = (int64_t)cnt[ns - 1] - (int64_t)cnt[0];
        value = (double)g;
        failed = g > 0 && (uint64_t)g > c->max;
    } else if (c->mode == WA_CHECK_COUNT) {
        value = (double)cnt[ns - 1];
        failed = cnt[ns - 1] > c->max;
    } else {
        hits = cJSON_CreateArray();
        uint64_t n = suspects_hit(view->doc, wa_vw_snap(last), l, hits, err);
        if (n == UINT64_MAX) {
            cJSON_Delete(hits);
            goto fail;
        }
        value = (double)n;
        failed = n > c->max;
    }
    cJSON_AddStringToObject(chk, "fail_on", c->fail_on ? c->fail_on : "");
    cJSON_AddStringToObject(chk, "mode", mode_name[c->mode]);
    wa_vj_u64(chk, "max", c->max);
    cJSON_AddNumberToObject(chk, "value", value);
    cJSON_AddBoolToObject(chk, "failed", failed);
    if (hits) cJSON_AddItemToObject(chk, "suspects", hits);
    if (failed) {
        /* the routes of the offending objects in the last snapshot */
        if (c->mode == WA_CHECK_GROWTH) {
            uint32_t all = l->n;
            keep_new(l, wa_vw_snap(last), wa_vw_snap(&src[0]));
            if (l->n == 0) l->n = all; /* every address reused: show them all */
        }
        wa_vj_u64(chk, "offending", l->n);
        const wa_dom *dom = wa_vw_dom(last, err);
        const wa_path_tree *tree = dom ? wa_vw_tree(last, err) : NULL;
        wa_cluster_set *cs =
            tree ? wa_path_cluster(wa_vw_snap(last), tree, dom, l->objs, l->n, err) : NULL;
        if (!cs) goto fail;
        uint32_t shown = c->clusters && cs->n > c->clusters ? c->clusters : cs->n;
        cJSON *arr = cJSON_AddArrayToObject(chk, "clusters");
        for (uint32_t i = 0; i < shown; i++)
            cJSON_AddItemToArray(arr, wa_vj_cluster(wa_vw_snap(last), &cs->clusters[i], 5));
        wa_vj_u64(chk, "clusters_total", cs->n);
        wa_cluster_set_free(cs);
    }
    wa_objlist_free(first);
    wa_objlist_free(l);
    cJSON_AddItemToObject(view->doc, "check", chk);
    return failed;
fail:
    wa_objlist_free(first);
    wa_objlist_free(l);
    cJSON_Delete(chk);
    return -1;
}
