/*
 * view/summary.c: the `summary` document: per type (or module) count,
 * shallow and retained bytes, totals and the unreachable group.
 */
#include <stdlib.h>
#include <string.h>

#include "view/view_impl.h"

static const char *sort_name(wa_sort_key k) {
    switch (k) {
    case WA_SORT_SHALLOW: return "shallow";
    case WA_SORT_COUNT: return "count";
    case WA_SORT_NAME: return "name";
    case WA_SORT_RETAINED: break;
    }
    return "retained";
}

wa_view *wa_view_summary(const wa_view_source *src, const wa_view_options *o, wa_error *err) {
    const wa_snapshot *snap = wa_vw_snap(src);
    const wa_dom *dom = NULL;
    if (!o->no_retained && !(dom = wa_vw_dom(src, err))) return NULL;
    wa_objlist subset = {o->n, o->total, (uint32_t *)o->objs};
    wa_summary *sum =
        wa_summary_compute(snap, dom, o->by, o->has_selection ? &subset : NULL, o->sort, err);
    if (!sum) return NULL;
    uint32_t limit = wa_vw_limit(o, 25);
    uint32_t shown = limit && sum->n_rows > limit ? limit : sum->n_rows;
    int by_type = o->by == WA_SUMMARY_BY_TYPE, by_site = o->by == WA_SUMMARY_BY_SITE;

    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "command", "summary");
    cJSON_AddStringToObject(doc, "snapshot", src->name ? src->name : "");
    cJSON_AddStringToObject(doc, "by", by_type ? "type" : by_site ? "site" : "module");
    cJSON_AddStringToObject(doc, "sort", sort_name(o->sort));
    if (o->select) cJSON_AddStringToObject(doc, "select", o->select);
    cJSON *tot = cJSON_AddObjectToObject(doc, "totals");
    wa_vj_u64(tot, "count", sum->count);
    wa_vj_u64(tot, "shallow", sum->shallow);
    if (dom) wa_vj_u64(tot, "reachable_bytes", sum->reachable_bytes);
    cJSON_AddBoolToObject(doc, "has_retained", dom != NULL);
    cJSON *un = cJSON_AddObjectToObject(doc, "unreachable");
    wa_vj_u64(un, "count", sum->n_unreachable);
    wa_vj_u64(un, "bytes", sum->unreachable_bytes);
    cJSON *rows = cJSON_AddArrayToObject(doc, "rows");
    for (uint32_t i = 0; i < shown; i++) {
        const wa_summary_row *r = &sum->rows[i];
        cJSON *row = cJSON_CreateObject();
        if (by_type) {
            cJSON_AddStringToObject(row, "type", wa_snapshot_type_name(snap, r->key));
            cJSON_AddStringToObject(row, "module", wa_snapshot_type_module(snap, r->key));
        } else if (by_site) {
            /* the innermost frame; null for the objects without a site */
            if (r->key == WA_NONE) {
                cJSON_AddNullToObject(row, "site");
            } else {
                const char *site = wa_snapshot_string(snap, r->key);
                char *frame = strndup(site, wa_site_frame_len(site));
                if (!frame) {
                    cJSON_Delete(row);
                    cJSON_Delete(doc);
                    wa_summary_free(sum);
                    wa_error_set(err, WA_ERR_NOMEM, NULL, WA_POS_NONE, WA_POS_NONE,
                                 "out of memory");
                    return NULL;
                }
                cJSON_AddStringToObject(row, "site", frame);
                free(frame);
            }
        } else {
            cJSON_AddStringToObject(row, "module", wa_snapshot_string(snap, r->key));
        }
        wa_vj_u64(row, "count", r->count);
        wa_vj_u64(row, "shallow", r->shallow);
        if (dom)
            wa_vj_u64(row, "retained", r->retained);
        else
            cJSON_AddNullToObject(row, "retained");
        cJSON_AddItemToArray(rows, row);
    }
    wa_vj_u64(doc, "rows_total", sum->n_rows);
    cJSON_AddBoolToObject(doc, "truncated", shown < sum->n_rows);
    wa_summary_free(sum);
    return wa_view_wrap(doc, err);
}
