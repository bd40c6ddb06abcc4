/*
 * view/diff.c: the `diff` document: per-type counts and bytes in each dump
 * and the change; with three dumps, the survivors clustered in the third.
 */
#include "view/view_impl.h"
#include "whyalive/select.h"

#define IDENTITY_NOTE                                                                              \
    "objects are matched across dumps by (address, type) at best: CPython reuses addresses"

wa_view *wa_view_diff(const wa_view_source *src, uint32_t ns, const wa_view_options *o,
                      wa_error *err) {
    if (ns < 2 || ns > 3) return wa_view_fail_arg(err, "diff: needs two or three snapshots");
    wa_diff *d = wa_select_diff(wa_vw_snap(&src[0]), wa_vw_snap(&src[1]),
                                ns == 3 ? wa_vw_snap(&src[2]) : NULL, o->selector, err);
    if (!d) return NULL;
    uint32_t limit = wa_vw_limit(o, 25);
    /* Rows to show: changed ones unless `all`. */
    uint32_t candidates = 0;
    for (uint32_t i = 0; i < d->n_rows; i++)
        if (o->all || d->rows[i].dcount || d->rows[i].dbytes) candidates++;
    uint32_t shown = limit && candidates > limit ? limit : candidates;

    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "command", "diff");
    cJSON *files = cJSON_AddArrayToObject(doc, "snapshots");
    for (uint32_t i = 0; i < ns; i++)
        cJSON_AddItemToArray(files, cJSON_CreateString(src[i].name ? src[i].name : ""));
    if (o->select) cJSON_AddStringToObject(doc, "select", o->select);
    cJSON_AddStringToObject(doc, "identity", "address+type");
    cJSON_AddStringToObject(doc, "identity_note", IDENTITY_NOTE);
    cJSON *tot = cJSON_AddArrayToObject(doc, "totals");
    for (uint32_t i = 0; i < ns; i++) {
        cJSON *t = cJSON_CreateObject();
        wa_vj_u64(t, "count", d->count[i]);
        wa_vj_u64(t, "bytes", d->bytes[i]);
        cJSON_AddItemToArray(tot, t);
    }
    cJSON *rows = cJSON_AddArrayToObject(doc, "rows");
    for (uint32_t i = 0, k = 0; i < d->n_rows && k < shown; i++) {
        const wa_diff_row *r = &d->rows[i];
        if (!o->all && !r->dcount && !r->dbytes) continue;
        k++;
        cJSON *row = cJSON_CreateObject();
        cJSON_AddStringToObject(row, "type", r->type);
        cJSON *cn = cJSON_AddArrayToObject(row, "count");
        cJSON *by = cJSON_AddArrayToObject(row, "bytes");
        for (uint32_t j = 0; j < ns; j++) {
            cJSON_AddItemToArray(cn, cJSON_CreateNumber((double)r->count[j]));
            cJSON_AddItemToArray(by, cJSON_CreateNumber((double)r->bytes[j]));
        }
        cJSON_AddNumberToObject(row, "dcount", (double)r->dcount);
        cJSON_AddNumberToObject(row, "dbytes", (double)r->dbytes);
        cJSON_AddItemToArray(rows, row);
    }
    wa_vj_u64(doc, "rows_total", candidates);
    cJSON_AddBoolToObject(doc, "truncated", shown < candidates);
    if (d->survivors) {
        cJSON *sv = cJSON_AddObjectToObject(doc, "survivors");
        wa_vj_u64(sv, "count", d->survivors->n);
        uint64_t bytes = 0;
        for (uint32_t i = 0; i < d->clusters->n; i++) bytes += d->clusters->clusters[i].shallow;
        wa_vj_u64(sv, "shallow", bytes);
        cJSON *cl = cJSON_AddArrayToObject(sv, "clusters");
        uint32_t m = o->clusters && d->clusters->n > o->clusters ? o->clusters : d->clusters->n;
        for (uint32_t i = 0; i < m; i++)
            cJSON_AddItemToArray(
                cl, wa_vj_cluster(wa_vw_snap(&src[2]), &d->clusters->clusters[i], o->members));
        wa_vj_u64(sv, "clusters_total", d->clusters->n);
    } else {
        cJSON_AddNullToObject(doc, "survivors");
    }
    wa_diff_free(d);
    return wa_view_wrap(doc, err);
}
