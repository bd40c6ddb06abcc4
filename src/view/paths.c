/*
 * view/paths.c: the `paths` document: the selection's retention paths,
 * clustered (mode "clusters"), one per object ("each"), or the k shortest
 * through distinct roots ("k-shortest").
 */
#include "view/view_impl.h"

static wa_view *clusters(const wa_view_source *src, const wa_dom *dom, const wa_view_options *o,
                         wa_error *err) {
    const wa_snapshot *snap = wa_vw_snap(src);
    const wa_path_tree *tree = wa_vw_tree(src, err);
    if (!tree) return NULL;
    wa_cluster_set *cs = wa_path_cluster(snap, tree, dom, o->objs, o->n, err);
    if (!cs) return NULL;
    uint32_t limit = wa_vw_limit(o, 0);
    uint32_t shown = limit && cs->n > limit ? limit : cs->n;
    cJSON *doc = wa_vj_doc("paths", src, o);
    cJSON_AddStringToObject(doc, "mode", "clusters");
    wa_vj_u64(doc, "selected", o->total);
    cJSON *arr = cJSON_AddArrayToObject(doc, "clusters");
    for (uint32_t i = 0; i < shown; i++)
        cJSON_AddItemToArray(arr, wa_vj_cluster(snap, &cs->clusters[i], o->members));
    wa_vj_u64(doc, "clusters_total", cs->n);
    cJSON_AddBoolToObject(doc, "truncated", shown < cs->n);
    wa_cluster_set_free(cs);
    return wa_view_wrap(doc, err);
}

wa_view *wa_view_paths(const wa_view_source *src, const wa_view_options *o, wa_error *err) {
    const wa_snapshot *snap = wa_vw_snap(src);
    const wa_dom *dom = wa_vw_dom(src, err);
    if (!dom) return NULL;
    if (!o->each && !o->k) return clusters(src, dom, o, err);
    /* k shortest paths search backwards from each object: no BFS tree. */
    const wa_path_tree *tree = o->k ? NULL : wa_vw_tree(src, err);
    if (!o->k && !tree) return NULL;
    uint32_t limit = wa_vw_limit(o, 0);
    uint32_t n = limit && o->n > limit ? limit : o->n;
    cJSON *doc = wa_vj_doc("paths", src, o);
    cJSON_AddStringToObject(doc, "mode", o->k ? "k-shortest" : "each");
    wa_vj_u64(doc, "selected", o->total);
    cJSON *arr = cJSON_AddArrayToObject(doc, "objects");
    for (uint32_t i = 0; i < n; i++) {
        wa_path_list *pl = o->k ? wa_session_path_k(src->session, o->objs[i], o->k, err)
                                : wa_path_shortest(snap, tree, &o->objs[i], 1, err);
        if (!pl) {
            cJSON_Delete(doc);
            return NULL;
        }
        cJSON *obj = cJSON_CreateObject();
        cJSON_AddItemToObject(obj, "object", wa_vj_obj(snap, dom, o->objs[i]));
        cJSON *ps = cJSON_AddArrayToObject(obj, "paths");
        for (uint32_t j = 0; j < pl->n; j++)
            if (pl->paths[j].len) cJSON_AddItemToArray(ps, wa_vj_path(snap, dom, &pl->paths[j]));
        cJSON_AddItemToArray(arr, obj);
        wa_path_list_free(pl);
    }
    cJSON_AddBoolToObject(doc, "truncated", n < o->total);
    return wa_view_wrap(doc, err);
}
