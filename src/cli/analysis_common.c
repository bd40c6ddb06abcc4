/* analysis_common.c: helpers shared by the analysis subcommands (see
 * analysis_common.h). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/analysis_common.h"

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Big snapshots take a while: say what is happening, on stderr only. */
#define SLOW_OBJECTS 2000000u

wa_dom *wa_ana_cli_dom(const wa_snapshot *snap, const wa_cli_common *common, int *rc) {
    wa_error err;
    wa_error_clear(&err);
    double t0 = now_s();
    int loud = !common->quiet && wa_snapshot_n_objects(snap) >= SLOW_OBJECTS;
    if (loud) fprintf(stderr, "whyalive: computing dominators...");
    wa_dom *d = wa_dom_compute(snap, &err);
    if (loud) fprintf(stderr, " %.1f s\n", now_s() - t0);
    if (!d) *rc = wa_cli_fail_err(err.code == WA_ERR_NOMEM ? WA_EXIT_INTERNAL : WA_EXIT_INPUT, &err);
    return d;
}

wa_path_tree *wa_ana_cli_tree(const wa_snapshot *snap, const wa_cli_common *common, int *rc) {
    (void)common;
    wa_error err;
    wa_error_clear(&err);
    wa_path_tree *t = wa_path_tree_build(snap, &err);
    if (!t) *rc = wa_cli_fail_err(WA_EXIT_INTERNAL, &err);
    return t;
}

int wa_ana_cli_parse_select(const char *text, wa_selector **out) {
    *out = NULL;
    if (!text) return WA_EXIT_OK;
    wa_error err;
    wa_error_clear(&err);
    *out = wa_select_parse(text, &err);
    if (*out) return WA_EXIT_OK;
    if (err.code != WA_ERR_SELECTOR) return wa_cli_fail_err(WA_EXIT_INTERNAL, &err);
    uint64_t col = err.offset == WA_POS_NONE ? 1 : err.offset;
    fprintf(stderr, "whyalive: error: --select: column %" PRIu64 ": %s\n", col, err.what);
    /* The caret line only helps when the selector fits on one line. */
    if (strlen(text) <= 200 && !strchr(text, '\n')) {
        fprintf(stderr, "  %s\n  %*s^\n", text, (int)(col - 1), "");
    }
    return WA_EXIT_INPUT;
}

wa_objlist *wa_ana_cli_select(const wa_selector *sel, const wa_snapshot *snap, const wa_dom *dom,
                              uint32_t limit, int *rc) {
    wa_error err;
    wa_error_clear(&err);
    wa_objlist *l = wa_select_run(sel, snap, dom, limit, &err);
    if (!l) *rc = wa_cli_fail_err(err.code == WA_ERR_NOMEM ? WA_EXIT_INTERNAL : WA_EXIT_INPUT, &err);
    return l;
}

const char *wa_ana_short_type(const wa_snapshot *snap, uint32_t type) {
    const char *full = wa_snapshot_type_name(snap, type);
    const char *mod = wa_snapshot_type_module(snap, type);
    size_t ml = strlen(mod);
    if (ml && strncmp(full, mod, ml) == 0 && full[ml] == '.') return full + ml + 1;
    return full;
}

const char *wa_ana_cli_obj(const wa_snapshot *snap, uint32_t obj, char *buf, size_t cap) {
    const wa_object *o = &wa_snapshot_objects(snap)[obj];
    const char *name = wa_snapshot_string(snap, o->name);
    int n = snprintf(buf, cap, "0x%" PRIx64 " %s", o->addr, wa_cli_type_display(snap, o->type));
    if (n > 0 && (size_t)n < cap && name[0]) snprintf(buf + n, cap - (size_t)n, " '%s'", name);
    else if (n > 0 && (size_t)n < cap && (o->flags & WA_OBJ_HAS_LEN))
        snprintf(buf + n, cap - (size_t)n, " (len %u)", o->length);
    return buf;
}

cJSON *wa_ana_json_obj(const wa_snapshot *snap, const wa_dom *dom, uint32_t obj) {
    const wa_object *o = &wa_snapshot_objects(snap)[obj];
    cJSON *j = cJSON_CreateObject();
    wa_json_add_addr(j, "addr", o->addr);
    cJSON_AddStringToObject(j, "type", wa_snapshot_type_name(snap, o->type));
    wa_json_add_u64(j, "size", o->size);
    if (dom) wa_json_add_u64(j, "retained", dom->retained[obj]);
    wa_json_add_u64(j, "refcount", o->refcount);
    if (o->flags & WA_OBJ_HAS_LEN) wa_json_add_u64(j, "len", o->length);
    const char *name = wa_snapshot_string(snap, o->name);
    if (name[0]) cJSON_AddStringToObject(j, "name", name);
    if (dom) cJSON_AddBoolToObject(j, "reachable", dom->idom[obj] != WA_NONE);
    return j;
}

cJSON *wa_ana_json_root(const wa_snapshot *snap, uint32_t root) {
    if (root == WA_NONE || root >= wa_snapshot_n_roots(snap)) return cJSON_CreateNull();
    const wa_root *r = &wa_snapshot_roots(snap)[root];
    cJSON *j = cJSON_CreateObject();
    char text[512];
    cJSON_AddStringToObject(j, "kind", wa_root_kind_name((wa_root_kind)r->kind));
    cJSON_AddStringToObject(j, "label", wa_snapshot_string(snap, r->label));
    wa_json_add_u64(j, "excess", r->excess);
    wa_path_root_format(snap, root, text, sizeof text);
    cJSON_AddStringToObject(j, "text", text);
    return j;
}

char *wa_ana_cluster_text(const wa_snapshot *snap, const wa_cluster *c) {
    size_t need = wa_cluster_format(snap, c, NULL, 0) + 1;
    char *t = malloc(need);
    if (t) wa_cluster_format(snap, c, t, need);
    return t;
}

cJSON *wa_ana_json_cluster(const wa_snapshot *snap, const wa_cluster *c, uint32_t max_members) {
    const wa_object *objs = wa_snapshot_objects(snap);
    cJSON *j = cJSON_CreateObject();
    wa_json_add_u64(j, "count", c->count);
    cJSON_AddStringToObject(j, "type", wa_snapshot_type_name(snap, objs[c->example].type));
    wa_json_add_u64(j, "shallow", c->shallow);
    wa_json_add_u64(j, "retained", c->retained);
    char *text = wa_ana_cluster_text(snap, c);
    cJSON_AddStringToObject(j, "path", text ? text : "");
    free(text);
    cJSON_AddBoolToObject(j, "reachable", c->root != WA_NONE);
    cJSON_AddItemToObject(j, "root", wa_ana_json_root(snap, c->root));
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
    wa_json_add_addr(j, "example", objs[c->example].addr);
    cJSON *mem = cJSON_AddArrayToObject(j, "members");
    for (uint32_t i = 0; i < c->count && i < max_members; i++) {
        char a[32];
        snprintf(a, sizeof a, "0x%" PRIx64, objs[c->members[i]].addr);
        cJSON_AddItemToArray(mem, cJSON_CreateString(a));
    }
    cJSON_AddBoolToObject(j, "members_truncated", c->count > max_members);
    return j;
}

cJSON *wa_ana_json_path(const wa_snapshot *snap, const wa_dom *dom, const wa_path *p) {
    const wa_object *objs = wa_snapshot_objects(snap);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddItemToObject(j, "target", wa_ana_json_obj(snap, dom, p->target));
    cJSON_AddBoolToObject(j, "reachable", p->len > 0);
    cJSON_AddItemToObject(j, "root", wa_ana_json_root(snap, p->root));
    cJSON *hops = cJSON_AddArrayToObject(j, "hops");
    for (uint32_t i = 0; i < p->len; i++) {
        cJSON *h = cJSON_CreateObject();
        wa_json_add_addr(h, "addr", objs[p->objs[i]].addr);
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

void wa_ana_print_cluster(const wa_snapshot *snap, const wa_cluster *c, int with_retained) {
    const wa_object *objs = wa_snapshot_objects(snap);
    char a[32], b[32];
    const char *type = wa_ana_short_type(snap, objs[c->example].type);
    if (c->root == WA_NONE) {
        printf("%s %s (%s shallow) unreachable: no root reaches them (garbage awaiting "
               "collection, or referrers the dump could not see)\n",
               wa_cli_count(c->count, a), type, wa_cli_size(c->shallow, b));
        return;
    }
    char *text = wa_ana_cluster_text(snap, c);
    if (with_retained)
        printf("%s %s (%s retained) via %s\n", wa_cli_count(c->count, a), type,
               wa_cli_size(c->retained, b), text ? text : "?");
    else
        printf("%s %s (%s shallow) via %s\n", wa_cli_count(c->count, a), type,
               wa_cli_size(c->shallow, b), text ? text : "?");
    free(text);
}
