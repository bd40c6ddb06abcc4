/*
 * view/suspects.c: the `suspects` document: ranked leak suspects.
 */
#include <stdlib.h>
#include <string.h>

#include "view/view_impl.h"

wa_view *wa_view_suspects(const wa_view_source *src, const wa_view_options *o, wa_error *err) {
    const wa_snapshot *snap = wa_vw_snap(src);
    const wa_dom *dom = wa_vw_dom(src, err);
    const wa_path_tree *tree = dom ? wa_vw_tree(src, err) : NULL;
    if (!tree) return NULL;
    wa_suspect_list *l = wa_suspect_find(snap, dom, tree, &o->suspect, err);
    if (!l) return NULL;
    cJSON *doc = wa_vw_suspects_doc(src, o, dom, l);
    wa_suspect_list_free(l);
    return wa_view_wrap(doc, err);
}

/* {"found", "freed", "held_by_root", "patterns": [text, ...]}: the cut of a
 * suspect's objects, or NULL (out of memory: the suspect goes without). */
static cJSON *fix_doc(const wa_snapshot *snap, const wa_dom *dom, const wa_suspect *x,
                      const uint32_t *inlab) {
    wa_cut *cut = wa_cut_find_labeled(snap, dom, x->members, x->n_members, 0, inlab, NULL);
    if (!cut) return NULL;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddBoolToObject(j, "found", cut->found);
    wa_vj_u64(j, "freed", cut->freed);
    wa_vj_u64(j, "held_by_root", cut->held_by_root + cut->kept_by_roots);
    cJSON *arr = cJSON_AddArrayToObject(j, "patterns");
    char text[2048];
    for (uint32_t i = 0; i < cut->n; i++) {
        wa_cut_pattern_format(snap, &cut->patterns[i], text, sizeof text);
        cJSON_AddItemToArray(arr, cJSON_CreateString(text));
    }
    wa_cut_free(cut);
    return j;
}

cJSON *wa_vw_suspects_doc(const wa_view_source *src, const wa_view_options *o, const wa_dom *dom,
                          const wa_suspect_list *l) {
    const wa_snapshot *snap = wa_vw_snap(src);
    uint32_t limit = wa_vw_limit(o, 10);
    uint32_t shown = limit && l->n > limit ? limit : l->n;
    cJSON *doc = wa_vj_doc("suspects", src, NULL);
    if (o->baseline_name)
        cJSON_AddStringToObject(doc, "baseline", o->baseline_name);
    else
        cJSON_AddNullToObject(doc, "baseline");
    cJSON_AddNumberToObject(doc, "threshold", o->suspect.threshold);
    cJSON_AddNumberToObject(doc, "accumulation", o->suspect.accumulation);
    wa_vj_u64(doc, "reachable_bytes", dom->reachable_bytes);
    cJSON_AddItemToObject(doc, "unreachable", wa_vj_unreachable(dom));
    cJSON *arr = cJSON_AddArrayToObject(doc, "suspects");
    /* the cut of each shown suspect: what to remove to free it (one table
     * of in-edge labels for all; without it, no "fix") */
    uint32_t *inlab = shown ? wa_snapshot_in_labels(snap, NULL) : NULL;
    for (uint32_t i = 0; i < shown; i++) {
        const wa_suspect *x = &l->items[i];
        cJSON *s = cJSON_CreateObject();
        cJSON_AddStringToObject(s, "kind", wa_suspect_kind_name(x->kind));
        wa_vj_u64(s, "retained", x->retained);
        cJSON_AddNumberToObject(s, "share", x->share);
        if (x->type != WA_NONE) {
            cJSON_AddStringToObject(s, "type", wa_snapshot_type_name(snap, x->type));
            cJSON_AddStringToObject(s, "qualname", wa_snapshot_type_qualname(snap, x->type));
        } else {
            cJSON_AddNullToObject(s, "type");
            cJSON_AddNullToObject(s, "qualname");
        }
        wa_vj_u64(s, "count", x->count);
        if (x->obj != WA_NONE)
            cJSON_AddItemToObject(s, "object", wa_vj_obj(snap, dom, x->obj));
        else
            cJSON_AddNullToObject(s, "object");
        if (x->kind == WA_SUSPECT_ACCUMULATION)
            cJSON_AddItemToObject(s, "accumulation", wa_vj_obj(snap, dom, x->accumulation));
        if (x->kind == WA_SUSPECT_EXTERNAL) {
            wa_vj_u64(s, "excess", x->excess);
            if (x->via)
                cJSON_AddStringToObject(s, "via", x->via);
            else
                cJSON_AddNullToObject(s, "via");
        }
        if (x->kind == WA_SUSPECT_GROWTH) wa_vj_u64(s, "baseline_count", x->baseline);
        cJSON_AddStringToObject(s, "path", x->path ? x->path : "");
        /* a type and its growth cluster are often the same objects */
        cJSON *fix = NULL;
        for (uint32_t j = 0; j < i && !fix && x->members; j++) {
            const wa_suspect *y = &l->items[j];
            if (y->members && y->n_members == x->n_members &&
                !memcmp(y->members, x->members, (size_t)x->n_members * sizeof *x->members)) {
                const cJSON *prev =
                    cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(arr, (int)j), "fix");
                if (cJSON_IsObject(prev)) fix = cJSON_Duplicate(prev, 1);
            }
        }
        if (!fix && inlab && x->members) fix = fix_doc(snap, dom, x, inlab);
        if (fix)
            cJSON_AddItemToObject(s, "fix", fix);
        else
            cJSON_AddNullToObject(s, "fix");
        cJSON_AddItemToArray(arr, s);
    }
    free(inlab);
    wa_vj_u64(doc, "suspects_total", l->n);
    cJSON_AddBoolToObject(doc, "truncated", shown < l->n);
    return doc;
}
