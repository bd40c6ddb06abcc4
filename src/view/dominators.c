/*
 * view/dominators.c: the `dominators` document: the top-level dominators,
 * a selection's dominator chains and largest children, or the whole tree.
 */
#include <stdlib.h>

#include "view/view_impl.h"

static cJSON *obj_array(const wa_snapshot *snap, const wa_dom *dom, const uint32_t *v, uint32_t n) {
    cJSON *arr = cJSON_CreateArray();
    for (uint32_t i = 0; i < n; i++) cJSON_AddItemToArray(arr, wa_vj_obj(snap, dom, v[i]));
    return arr;
}

/* Every object's idom: for scripts and tests. A document of one small
 * object per heap object, so it is meant for small and medium dumps. */
static wa_view *whole_tree(const wa_view_source *src, const wa_dom *dom, wa_error *err) {
    const wa_object *objs = wa_snapshot_objects(wa_vw_snap(src));
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "command", "dominators");
    cJSON_AddStringToObject(doc, "mode", "tree");
    wa_vj_u64(doc, "reachable_bytes", dom->reachable_bytes);
    cJSON *arr = cJSON_AddArrayToObject(doc, "tree");
    for (uint32_t v = 0; v < dom->n_objects; v++) {
        cJSON *o = cJSON_CreateObject();
        wa_vj_addr(o, "addr", objs[v].addr);
        uint32_t d = dom->idom[v];
        if (d == WA_NONE)
            cJSON_AddNullToObject(o, "idom");
        else if (d == WA_DOM_SUPER)
            cJSON_AddStringToObject(o, "idom", "root");
        else
            wa_vj_addr(o, "idom", objs[d].addr);
        wa_vj_u64(o, "retained", dom->retained[v]);
        cJSON_AddItemToArray(arr, o);
    }
    return wa_view_wrap(doc, err);
}

wa_view *wa_view_dominators(const wa_view_source *src, const wa_view_options *o, wa_error *err) {
    const wa_snapshot *snap = wa_vw_snap(src);
    const wa_dom *dom = wa_vw_dom(src, err);
    if (!dom) return NULL;
    if (o->tree) return whole_tree(src, dom, err);
    uint32_t limit = wa_vw_limit(o, 20);
    if (!o->has_selection) {
        wa_objlist *top = wa_dom_children(dom, WA_DOM_SUPER, limit, err);
        if (!top) return NULL;
        cJSON *doc = wa_vj_doc("dominators", src, NULL);
        cJSON_AddStringToObject(doc, "mode", "top");
        wa_vj_u64(doc, "reachable_bytes", dom->reachable_bytes);
        cJSON_AddItemToObject(doc, "unreachable", wa_vj_unreachable(dom));
        cJSON_AddItemToObject(doc, "top", obj_array(snap, dom, top->objs, top->n));
        wa_vj_u64(doc, "top_total", top->total);
        cJSON_AddBoolToObject(doc, "truncated", top->n < top->total);
        wa_objlist_free(top);
        return wa_view_wrap(doc, err);
    }
    uint32_t n = limit && o->n > limit ? limit : o->n;
    cJSON *doc = wa_vj_doc("dominators", src, NULL);
    cJSON_AddStringToObject(doc, "mode", "selection");
    if (o->select)
        cJSON_AddStringToObject(doc, "select", o->select);
    else
        cJSON_AddNullToObject(doc, "select");
    wa_vj_u64(doc, "reachable_bytes", dom->reachable_bytes);
    wa_vj_u64(doc, "selected", o->total);
    cJSON *arr = cJSON_AddArrayToObject(doc, "objects");
    for (uint32_t i = 0; i < n; i++) {
        uint32_t v = o->objs[i];
        uint32_t len = wa_dom_chain(dom, v, NULL, 0);
        uint32_t *chain = malloc(sizeof *chain * (len ? len : 1));
        wa_objlist *kids = chain ? wa_dom_children(dom, v, o->children, err) : NULL;
        if (!kids) {
            if (!chain)
                wa_error_set(err, WA_ERR_NOMEM, NULL, WA_POS_NONE, WA_POS_NONE,
                             "out of memory building a view");
            free(chain);
            cJSON_Delete(doc);
            return NULL;
        }
        wa_dom_chain(dom, v, chain, len);
        cJSON *e = cJSON_CreateObject();
        cJSON_AddItemToObject(e, "object", wa_vj_obj(snap, dom, v));
        cJSON_AddItemToObject(e, "dominators", obj_array(snap, dom, chain, len));
        cJSON_AddItemToObject(e, "children", obj_array(snap, dom, kids->objs, kids->n));
        wa_vj_u64(e, "children_total", kids->total);
        cJSON_AddItemToArray(arr, e);
        free(chain);
        wa_objlist_free(kids);
    }
    cJSON_AddBoolToObject(doc, "truncated", n < o->total);
    return wa_view_wrap(doc, err);
}
