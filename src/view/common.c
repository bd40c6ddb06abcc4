/*
 * view/common.c: the view handle, the option defaults, which analyses each
 * view needs, and the shared JSON shapes (view_impl.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "view/view_impl.h"

void wa_view_options_init(wa_view_options *o) {
    memset(o, 0, sizeof *o);
    o->limit = WA_VIEW_DEFAULT;
    o->by = WA_SUMMARY_BY_TYPE;
    o->sort = WA_SORT_RETAINED;
    o->members = 20;
    o->depth = 3;
    o->max_referrers = 10;
    o->children = 5;
    o->clusters = 10;
    wa_suspect_options_init(&o->suspect);
    wa_render_options_init(&o->render);
}

wa_view *wa_view_wrap(cJSON *doc, wa_error *err) {
    wa_view *v = doc ? calloc(1, sizeof *v) : NULL;
    if (!v) {
        cJSON_Delete(doc);
        wa_error_set(err, WA_ERR_NOMEM, NULL, WA_POS_NONE, WA_POS_NONE,
                     "out of memory building a view");
        return NULL;
    }
    v->doc = doc;
    return v;
}

wa_view *wa_view_fail_arg(wa_error *err, const char *what) {
    wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE, "%s", what);
    return NULL;
}

uint32_t wa_vw_limit(const wa_view_options *o, uint32_t dflt) {
    return o->limit == WA_VIEW_DEFAULT ? dflt : o->limit;
}

char *wa_view_json(const wa_view *v, int pretty) {
    if (!v) return NULL;
    return pretty ? cJSON_Print(v->doc) : cJSON_PrintUnformatted(v->doc);
}

const struct cJSON *wa_view_doc(const wa_view *v) { return v ? v->doc : NULL; }

const char *wa_view_data(const wa_view *v, size_t *len) {
    if (len) *len = v && v->data ? v->len : 0;
    return v ? v->data : NULL;
}

void wa_view_free(wa_view *v) {
    if (!v) return;
    cJSON_Delete(v->doc);
    wa_render_free(v->data);
    free(v);
}

/* ------------------------------------------------------------------ shapes */

cJSON *wa_vj_u64(cJSON *obj, const char *name, uint64_t v) {
    if (v <= (1ull << 53)) return cJSON_AddNumberToObject(obj, name, (double)v);
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRIu64, v);
    return cJSON_AddStringToObject(obj, name, buf);
}

cJSON *wa_vj_addr(cJSON *obj, const char *name, uint64_t addr) {
    char buf[32];
    snprintf(buf, sizeof buf, "0x%" PRIx64, addr);
    return cJSON_AddStringToObject(obj, name, buf);
}

cJSON *wa_vj_doc(const char *command, const wa_view_source *src, const wa_view_options *o) {
    cJSON *doc = cJSON_CreateObject();
    if (command) cJSON_AddStringToObject(doc, "command", command);
    cJSON_AddStringToObject(doc, "snapshot", src->name ? src->name : "");
    /* A selection given as handles rather than a selector echoes null. */
    if (o && o->select)
        cJSON_AddStringToObject(doc, "select", o->select);
    else if (o)
        cJSON_AddNullToObject(doc, "select");
    return doc;
}

cJSON *wa_vj_obj(const wa_snapshot *snap, const wa_dom *dom, uint32_t obj) {
    const wa_object *o = &wa_snapshot_objects(snap)[obj];
    cJSON *j = cJSON_CreateObject();
    wa_vj_addr(j, "addr", o->addr);
    cJSON_AddStringToObject(j, "type", wa_snapshot_type_name(snap, o->type));
    wa_vj_u64(j, "size", o->size);
    if (dom) wa_vj_u64(j, "retained", dom->retained[obj]);
    wa_vj_u64(j, "refcount", o->refcount);
    if (o->flags & WA_OBJ_HAS_LEN) wa_vj_u64(j, "len", o->length);
    const char *name = wa_snapshot_string(snap, o->name);
    if (name[0]) cJSON_AddStringToObject(j, "name", name);
    if (dom) cJSON_AddBoolToObject(j, "reachable", dom->idom[obj] != WA_NONE);
    const char *site = wa_snapshot_site(snap, obj);
    if (site[0]) cJSON_AddStringToObject(j, "site", site);
    if (!name[0]) wa_vj_dict_of(j, snap, obj);
    return j;
}

/* "dict_of": whose namespace a dict is, from the referrer that holds it as
 * its __dict__: "module 'app.stt'", "class 'Session'" or "Session
 * instance". A module's dict is what a script's top dominator usually is:
 * "dict (len 17)" said nothing. */
void wa_vj_dict_of(cJSON *j, const wa_snapshot *snap, uint32_t obj) {
    char text[600];
    if (wa_snapshot_dict_owner(snap, obj, text, sizeof text))
        cJSON_AddStringToObject(j, "dict_of", text);
}

/* "sites": the innermost frames of the objects' allocation sites, most
 * common first, at most WA_VJ_SITES; absent when none of them has a site. */
#define WA_VJ_SITES 3
#define WA_VJ_SITES_TRACKED 256
typedef struct site_count {
    const char *frame;
    size_t len;
    uint32_t count;
} site_count;

void wa_vj_sites(cJSON *j, const wa_snapshot *snap, const uint32_t *objs, uint32_t n) {
    site_count seen[WA_VJ_SITES_TRACKED];
    uint32_t ns = 0, with = 0;
    for (uint32_t i = 0; i < n; i++) {
        const char *site = wa_snapshot_site(snap, objs[i]);
        if (!site[0]) continue;
        with++;
        size_t len = wa_site_frame_len(site);
        uint32_t k = 0;
        while (k < ns && !(seen[k].len == len && memcmp(seen[k].frame, site, len) == 0)) k++;
        if (k < ns) {
            seen[k].count++;
        } else if (ns < WA_VJ_SITES_TRACKED) {
            seen[ns].frame = site;
            seen[ns].len = len;
            seen[ns].count = 1;
            ns++;
        }
    }
    if (!with) return;
    cJSON *arr = cJSON_AddArrayToObject(j, "sites");
    for (uint32_t r = 0; r < WA_VJ_SITES && r < ns; r++) {
        uint32_t best = r;
        for (uint32_t k = r + 1; k < ns; k++)
            if (seen[k].count > seen[best].count) best = k;
        if (best != r) {
            site_count t = seen[r];
            seen[r] = seen[best];
            seen[best] = t;
        }
        char frame[1024];
        snprintf(frame, sizeof frame, "%.*s", (int)(seen[r].len < 1023 ? seen[r].len : 1023),
                 seen[r].frame);
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "site", frame);
        wa_vj_u64(e, "count", seen[r].count);
        cJSON_AddItemToArray(arr, e);
    }
}

cJSON *wa_vj_root(const wa_snapshot *snap, uint32_t root) {
    if (root == WA_NONE || root >= wa_snapshot_n_roots(snap)) return cJSON_CreateNull();
    const wa_root *r = &wa_snapshot_roots(snap)[root];
    cJSON *j = cJSON_CreateObject();
    char text[512];
    cJSON_AddStringToObject(j, "kind", wa_root_kind_name((wa_root_kind)r->kind));
    cJSON_AddStringToObject(j, "label", wa_snapshot_string(snap, r->label));
    wa_vj_u64(j, "excess", r->excess);
    wa_path_root_format(snap, root, text, sizeof text);
    cJSON_AddStringToObject(j, "text", text);
    return j;
}

char *wa_vw_cluster_text(const wa_snapshot *snap, const wa_cluster *c) {
    size_t need = wa_cluster_format(snap, c, NULL, 0) + 1;
    char *t = malloc(need);
    if (t) wa_cluster_format(snap, c, t, need);
    return t;
}

cJSON *wa_vj_cluster(const wa_snapshot *snap, const wa_cluster *c, uint32_t max_members) {
    const wa_object *objs = wa_snapshot_objects(snap);
    cJSON *j = cJSON_CreateObject();
    wa_vj_u64(j, "count", c->count);
    cJSON_AddStringToObject(j, "type", wa_snapshot_type_name(snap, objs[c->example].type));
    cJSON_AddStringToObject(j, "qualname", wa_snapshot_type_qualname(snap, objs[c->example].type));
    wa_vj_u64(j, "shallow", c->shallow);
    wa_vj_u64(j, "retained", c->retained);
    char *text = wa_vw_cluster_text(snap, c);
    cJSON_AddStringToObject(j, "path", text ? text : "");
    free(text);
    cJSON_AddBoolToObject(j, "reachable", c->root != WA_NONE);
    cJSON_AddItemToObject(j, "root", wa_vj_root(snap, c->root));
    cJSON *hops = cJSON_AddArrayToObject(j, "hops");
    for (uint32_t i = 0; c->root != WA_NONE && i < c->len; i++) {
        char lab[512];
        cJSON *h = cJSON_CreateObject();
        cJSON_AddStringToObject(h, "from", wa_snapshot_type_name(snap, c->types[i]));
        wa_path_hop_format(snap, c->labels[i], c->abstracted[i], lab, sizeof lab);
        cJSON_AddStringToObject(h, "label", lab);
        cJSON_AddStringToObject(h, "kind", wa_edge_kind_name(WA_LABEL_KIND(c->labels[i])));
        cJSON_AddBoolToObject(h, "abstracted", c->abstracted[i] != 0);
        cJSON_AddStringToObject(h, "to", wa_snapshot_type_name(snap, c->types[i + 1]));
        cJSON_AddItemToArray(hops, h);
    }
    wa_vj_addr(j, "example", objs[c->example].addr);
    wa_vj_sites(j, snap, c->members, c->count);
    cJSON *mem = cJSON_AddArrayToObject(j, "members");
    for (uint32_t i = 0; i < c->count && i < max_members; i++) {
        char a[32];
        snprintf(a, sizeof a, "0x%" PRIx64, objs[c->members[i]].addr);
        cJSON_AddItemToArray(mem, cJSON_CreateString(a));
    }
    cJSON_AddBoolToObject(j, "members_truncated", c->count > max_members);
    return j;
}

cJSON *wa_vj_path(const wa_snapshot *snap, const wa_dom *dom, const wa_path *p) {
    const wa_object *objs = wa_snapshot_objects(snap);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddItemToObject(j, "target", wa_vj_obj(snap, dom, p->target));
    cJSON_AddBoolToObject(j, "reachable", p->len > 0);
    cJSON_AddItemToObject(j, "root", wa_vj_root(snap, p->root));
    cJSON *hops = cJSON_AddArrayToObject(j, "hops");
    for (uint32_t i = 0; i < p->len; i++) {
        cJSON *h = cJSON_CreateObject();
        wa_vj_addr(h, "addr", objs[p->objs[i]].addr);
        cJSON_AddStringToObject(h, "type", wa_snapshot_type_name(snap, objs[p->objs[i]].type));
        if (i > 0) {
            char lab[512];
            wa_label_format(snap, p->labels[i - 1], lab, sizeof lab);
            cJSON_AddStringToObject(h, "label", lab);
            cJSON_AddStringToObject(h, "kind", wa_edge_kind_name(WA_LABEL_KIND(p->labels[i - 1])));
        } else {
            cJSON_AddNullToObject(h, "label");
            cJSON_AddNullToObject(h, "kind");
        }
        cJSON_AddItemToArray(hops, h);
    }
    return j;
}

cJSON *wa_vj_unreachable(const wa_dom *dom) {
    cJSON *un = cJSON_CreateObject();
    wa_vj_u64(un, "count", dom->n_unreachable);
    wa_vj_u64(un, "bytes", dom->unreachable_bytes);
    return un;
}

wa_view *wa_view_object(const wa_view_source *src, uint32_t obj, wa_error *err) {
    const wa_snapshot *snap = wa_vw_snap(src);
    if (obj >= wa_snapshot_n_objects(snap)) return wa_view_fail_arg(err, "no such object");
    /* The object's retained size when the dominators exist; never computed
     * for this alone. */
    return wa_view_wrap(wa_vj_obj(snap, wa_session_dom_if_built(src->session), obj), err);
}

wa_view *wa_view_root(const wa_view_source *src, uint32_t root, wa_error *err) {
    return wa_view_wrap(wa_vj_root(wa_vw_snap(src), root), err);
}
