/*
 * view/retainers.c: the `retainers` document: the referrer tree of each
 * selected object (wa_retainers_tree), nested as docs/json.md shows.
 */
#include "view/view_impl.h"

/* One tree into out: the nodes come in depth-first order, so the array a
 * node goes into is the "referrers" array of the last node one level up. */
static int add_tree(const wa_snapshot *snap, const wa_dom *dom, const wa_retainer_tree *t,
                    cJSON *out) {
    const wa_root *roots = wa_snapshot_roots(snap);
    uint32_t nroots = wa_snapshot_n_roots(snap);
    cJSON *into[WA_RETAINERS_MAX_DEPTH + 2];
    into[0] = out;
    for (uint32_t i = 0; i < t->n; i++) {
        const wa_retainer_node *nd = &t->nodes[i];
        cJSON *node = wa_vj_obj(snap, dom, nd->obj);
        if (nd->depth > 0) {
            char lab[512];
            wa_label_format(snap, nd->label, lab, sizeof lab);
            cJSON_AddStringToObject(node, "label", lab);
        }
        cJSON *rs = cJSON_AddArrayToObject(node, "roots");
        for (uint32_t r = 0; r < nroots; r++)
            if (roots[r].obj == nd->obj) cJSON_AddItemToArray(rs, wa_vj_root(snap, r));
        cJSON_AddBoolToObject(node, "cycle", nd->cycle);
        cJSON_AddBoolToObject(node, "shown_above", nd->shown_above);
        wa_vj_u64(node, "referrers_total", nd->n_referrers);
        if (nd->expanded) {
            into[nd->depth + 1] = cJSON_AddArrayToObject(node, "referrers");
            if (nd->more) wa_vj_u64(node, "referrers_more", nd->more);
        }
        if (!cJSON_AddItemToArray(into[nd->depth], node)) return -1;
    }
    return 0;
}

wa_view *wa_view_retainers(const wa_view_source *src, const wa_view_options *o, wa_error *err) {
    if (o->depth > WA_RETAINERS_MAX_DEPTH)
        return wa_view_fail_arg(err, "retainers: depth is at most 100");
    uint32_t limit = wa_vw_limit(o, 5);
    uint32_t n = limit && o->n > limit ? limit : o->n;
    const wa_snapshot *snap = wa_vw_snap(src);
    const wa_dom *dom = wa_vw_dom(src, err);
    if (!dom) return NULL;
    cJSON *doc = wa_vj_doc("retainers", src, o);
    wa_vj_u64(doc, "depth", o->depth);
    wa_vj_u64(doc, "selected", o->total);
    cJSON *arr = cJSON_AddArrayToObject(doc, "objects");
    for (uint32_t i = 0; i < n; i++) {
        wa_retainer_tree *t = wa_retainers_tree(snap, o->objs[i], o->depth, o->max_referrers, err);
        int bad = !t || add_tree(snap, dom, t, arr) != 0;
        wa_retainers_free(t);
        if (bad) {
            cJSON_Delete(doc);
            if (t)
                wa_error_set(err, WA_ERR_NOMEM, NULL, WA_POS_NONE, WA_POS_NONE,
                             "out of memory building a view");
            return NULL;
        }
    }
    cJSON_AddBoolToObject(doc, "truncated", n < o->total);
    return wa_view_wrap(doc, err);
}
