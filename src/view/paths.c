/*
 * view/paths.c: the `paths` document: the selection's retention paths,
 * clustered (mode "clusters"), one per object ("each"), or the k shortest
 * through distinct roots ("k-shortest").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "view/view_impl.h"

static wa_view *add_cut(cJSON *doc, const wa_snapshot *snap, const wa_path_tree *tree,
                        const wa_dom *dom, const wa_view_options *o, const uint32_t *inlab,
                        wa_error *err);

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
    /* how many distinct holders keep them: the shortest routes above may
     * not pass through all of them (paths --holders lists every one) */
    /* one table of in-edge labels for the holders and the cut */
    uint32_t *inlab = wa_snapshot_in_labels(snap, err);
    wa_holder_set *hs =
        inlab ? wa_holders_find_labeled(snap, dom, o->objs, o->n, inlab, err) : NULL;
    if (!hs) {
        free(inlab);
        cJSON_Delete(doc);
        return NULL;
    }
    wa_vj_u64(doc, "holders_total", hs->n);
    wa_holder_set_free(hs);
    wa_view *v = add_cut(doc, snap, tree, dom, o, inlab, err);
    free(inlab);
    return v;
}

/* The route to one holder pattern: the shortest path to its example holder
 * (clustered alone, so its text reads as a cluster's) and the held edge. */
static char *holder_route(const wa_snapshot *snap, const wa_path_tree *tree, const wa_dom *dom,
                          const wa_holder *h, wa_error *err) {
    char lab[512], *text = NULL;
    if (h->holder_type == WA_NONE) {
        wa_path_root_format(snap, h->root, lab, sizeof lab);
        return strdup(lab);
    }
    wa_cluster_set *cs = wa_path_cluster(snap, tree, dom, &h->example_holder, 1, err);
    if (!cs) return NULL;
    char *to = cs->n ? wa_vw_cluster_text(snap, &cs->clusters[0]) : NULL;
    wa_cluster_set_free(cs);
    if (!to) return NULL;
    wa_path_hop_format(snap, h->label, h->abstracted, lab, sizeof lab);
    size_t need = strlen(to) + strlen(lab) + 2, n = strlen(to);
    /* a frame local of a suspended generator or coroutine: its frame hop
     * folded as in a cluster's path (one form across interpreters) */
    static const char *const frames[] = {" .cr_frame", " .gi_frame", " .ag_frame"};
    for (size_t k = 0; k < 3 && WA_LABEL_KIND(h->label) == WA_EDGE_FRAME_LOCAL; k++)
        if (n >= 10 && !strcmp(to + n - 10, frames[k])) {
            n -= 10;
            to[n] = '\0';
            break;
        }
    /* `.__dict__['k']` reads as Python, as in a cluster's path */
    int glue = lab[0] == '[' && n >= 9 && strcmp(to + n - 9, ".__dict__") == 0;
    text = malloc(need);
    if (text) snprintf(text, need, "%s%s%s", to, glue ? "" : " ", lab);
    free(to);
    return text;
}

/* The route to one reference: the shortest path to its holder, then the
 * reference's own hop. */
static char *ref_route(const wa_snapshot *snap, const wa_path_tree *tree, const wa_dom *dom,
                       uint32_t holder, uint32_t label, wa_error *err) {
    wa_holder h = {0};
    h.holder_type = wa_snapshot_objects(snap)[holder].type;
    h.example_holder = holder;
    h.label = label;
    h.root = WA_NONE;
    return holder_route(snap, tree, dom, &h, err);
}

/* The selection's cut as a JSON object ("cut"), NULL with err set on
 * failure. */
static cJSON *cut_doc(const wa_snapshot *snap, const wa_path_tree *tree, const wa_dom *dom,
                      const wa_view_options *o, const uint32_t *inlab, wa_error *err) {
    wa_cut *cut = wa_cut_find_labeled(snap, dom, o->objs, o->n, 0, inlab, err);
    if (!cut) return NULL;
    const wa_object *objs = wa_snapshot_objects(snap);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddBoolToObject(j, "found", cut->found);
    wa_vj_u64(j, "max_patterns", WA_CUT_DEFAULT_MAX);
    wa_vj_u64(j, "selected", cut->n_selected);
    wa_vj_u64(j, "freed", cut->freed);
    wa_vj_u64(j, "held_by_root", cut->held_by_root);
    wa_vj_u64(j, "kept_by_roots", cut->kept_by_roots);
    wa_vj_u64(j, "unreachable", cut->unreachable);
    cJSON *arr = cJSON_AddArrayToObject(j, "patterns");
    for (uint32_t i = 0; i < cut->n; i++) {
        const wa_cut_pattern *p = &cut->patterns[i];
        char text[2048], lab[512];
        wa_cut_pattern_format(snap, p, text, sizeof text);
        char *route = ref_route(snap, tree, dom, p->example_holder, p->label, err);
        if (!route) {
            cJSON_Delete(j);
            wa_cut_free(cut);
            if (err && err->code == WA_OK)
                wa_error_set(err, WA_ERR_NOMEM, NULL, WA_POS_NONE, WA_POS_NONE, "out of memory");
            return NULL;
        }
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "pattern", text);
        wa_vj_u64(e, "refs", p->refs);
        cJSON_AddBoolToObject(e, "internal", p->internal);
        cJSON_AddStringToObject(e, "holder", wa_snapshot_type_name(snap, p->holder_type));
        wa_path_hop_format(snap, p->label, 0, lab, sizeof lab);
        cJSON_AddStringToObject(e, "label", lab);
        wa_vj_addr(e, "example_holder", objs[p->example_holder].addr);
        wa_vj_addr(e, "example", objs[p->example].addr);
        cJSON_AddStringToObject(e, "path", route);
        free(route);
        cJSON_AddItemToArray(arr, e);
    }
    wa_cut_free(cut);
    return j;
}

static wa_view *add_cut(cJSON *doc, const wa_snapshot *snap, const wa_path_tree *tree,
                        const wa_dom *dom, const wa_view_options *o, const uint32_t *inlab,
                        wa_error *err) {
    if (!o->no_cut) {
        cJSON *cut = cut_doc(snap, tree, dom, o, inlab, err);
        if (!cut) {
            cJSON_Delete(doc);
            return NULL;
        }
        cJSON_AddItemToObject(doc, "cut", cut);
    }
    return wa_view_wrap(doc, err);
}

/* Every holder of the selection (mode "holders"). */
static wa_view *holders(const wa_view_source *src, const wa_dom *dom, const wa_view_options *o,
                        wa_error *err) {
    const wa_snapshot *snap = wa_vw_snap(src);
    const wa_path_tree *tree = wa_vw_tree(src, err);
    if (!tree) return NULL;
    uint32_t *inlab = wa_snapshot_in_labels(snap, err);
    wa_holder_set *hs =
        inlab ? wa_holders_find_labeled(snap, dom, o->objs, o->n, inlab, err) : NULL;
    if (!hs) {
        free(inlab);
        return NULL;
    }
    const wa_object *objs = wa_snapshot_objects(snap);
    uint32_t limit = wa_vw_limit(o, 0);
    uint32_t shown = limit && hs->n > limit ? limit : hs->n;
    cJSON *doc = wa_vj_doc("paths", src, o);
    cJSON_AddStringToObject(doc, "mode", "holders");
    wa_vj_u64(doc, "selected", o->total);
    cJSON *arr = cJSON_AddArrayToObject(doc, "holders");
    for (uint32_t i = 0; i < shown; i++) {
        const wa_holder *h = &hs->holders[i];
        char *route = holder_route(snap, tree, dom, h, err);
        if (!route) {
            cJSON_Delete(doc);
            wa_holder_set_free(hs);
            free(inlab);
            if (err && err->code == WA_OK)
                wa_error_set(err, WA_ERR_NOMEM, NULL, WA_POS_NONE, WA_POS_NONE, "out of memory");
            return NULL;
        }
        cJSON *j = cJSON_CreateObject();
        wa_vj_u64(j, "count", h->count);
        wa_vj_u64(j, "refs", h->refs);
        wa_vj_u64(j, "shallow", h->shallow);
        cJSON_AddStringToObject(j, "type", wa_snapshot_type_name(snap, objs[h->example].type));
        cJSON_AddStringToObject(j, "qualname",
                                wa_snapshot_type_qualname(snap, objs[h->example].type));
        if (h->holder_type == WA_NONE) {
            cJSON_AddNullToObject(j, "holder");
            cJSON_AddNullToObject(j, "label");
            cJSON_AddItemToObject(j, "root", wa_vj_root(snap, h->root));
        } else {
            char lab[512];
            wa_path_hop_format(snap, h->label, h->abstracted, lab, sizeof lab);
            cJSON_AddStringToObject(j, "holder", wa_snapshot_type_name(snap, h->holder_type));
            char own[600];
            if (wa_snapshot_dict_owner(snap, h->example_holder, own, sizeof own))
                cJSON_AddStringToObject(j, "holder_dict_of", own);
            cJSON_AddStringToObject(j, "label", lab);
            cJSON_AddNullToObject(j, "root");
            wa_vj_addr(j, "example_holder", objs[h->example_holder].addr);
        }
        cJSON_AddStringToObject(j, "path", route);
        free(route);
        wa_vj_addr(j, "example", objs[h->example].addr);
        cJSON_AddItemToArray(arr, j);
    }
    wa_vj_u64(doc, "holders_total", hs->n);
    cJSON_AddBoolToObject(doc, "truncated", shown < hs->n);
    wa_vj_u64(doc, "held_inside", hs->held_inside);
    wa_vj_u64(doc, "unreachable", hs->unreachable);
    wa_holder_set_free(hs);
    wa_view *v = add_cut(doc, snap, tree, dom, o, inlab, err);
    free(inlab);
    return v;
}

/* The cut alone (mode "cut"). */
static wa_view *cut_only(const wa_view_source *src, const wa_dom *dom, const wa_view_options *o,
                         wa_error *err) {
    const wa_snapshot *snap = wa_vw_snap(src);
    const wa_path_tree *tree = wa_vw_tree(src, err);
    if (!tree) return NULL;
    cJSON *doc = wa_vj_doc("paths", src, o);
    cJSON_AddStringToObject(doc, "mode", "cut");
    wa_vj_u64(doc, "selected", o->total);
    wa_view_options one = *o;
    one.no_cut = 0;
    uint32_t *inlab = wa_snapshot_in_labels(snap, err);
    if (!inlab) {
        cJSON_Delete(doc);
        return NULL;
    }
    wa_view *v = add_cut(doc, snap, tree, dom, &one, inlab, err);
    free(inlab);
    return v;
}

wa_view *wa_view_paths(const wa_view_source *src, const wa_view_options *o, wa_error *err) {
    const wa_snapshot *snap = wa_vw_snap(src);
    const wa_dom *dom = wa_vw_dom(src, err);
    if (!dom) return NULL;
    if (o->cut_only) return cut_only(src, dom, o, err);
    if (o->holders) return holders(src, dom, o, err);
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
