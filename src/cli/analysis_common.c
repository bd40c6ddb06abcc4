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

int wa_ana_cli_prepare(wa_view_kind kind, const wa_view_options *opts, wa_view_source *src,
                       const wa_cli_common *common, wa_dom **dom, wa_path_tree **tree) {
    int rc = WA_EXIT_OK;
    unsigned need = wa_view_needs(kind, opts);
    if ((need & WA_VIEW_NEED_DOM) && !*dom && !(*dom = wa_ana_cli_dom(src->snap, common, &rc)))
        return rc;
    if ((need & WA_VIEW_NEED_TREE) && !*tree &&
        !(*tree = wa_ana_cli_tree(src->snap, common, &rc)))
        return rc;
    src->dom = *dom;
    src->tree = *tree;
    return WA_EXIT_OK;
}

int wa_ana_cli_view_fail(wa_error *err) {
    int code = err->code == WA_ERR_NOMEM ? WA_EXIT_INTERNAL
               : err->code == WA_ERR_IO  ? WA_EXIT_OUTPUT
               : err->code == WA_ERR_ARG || err->code == WA_ERR_LIMIT || err->code == WA_ERR_SELECTOR
                   ? WA_EXIT_INPUT
                   : WA_EXIT_INTERNAL;
    return wa_cli_fail_err(code, err);
}

void wa_ana_cli_use_selection(wa_view_options *vo, const wa_objlist *objs,
                              const wa_cli_common *common) {
    if (objs->total == 0) wa_cli_note(common, "the selection matched no object");
    vo->has_selection = 1;
    vo->objs = objs->objs;
    vo->n = objs->n;
    vo->total = objs->total;
}

int wa_ana_cli_show(wa_view *view, wa_error *err, const wa_cli_common *common,
                    wa_ana_print_fn print, const void *ctx) {
    if (!view) return wa_ana_cli_view_fail(err);
    if (common->json) return wa_cli_view_out(view);
    int rc = print(wa_view_doc(view), ctx);
    wa_view_free(view);
    return rc;
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

const char *wa_ana_short_name(const wa_snapshot *snap, const char *full) {
    /* Documents name types in full; the module that prefixes the name is the
     * type's own, found by name (few types, and only shown lines ask). */
    uint32_t nt = wa_snapshot_n_types(snap);
    for (uint32_t t = 0; t < nt; t++) {
        if (strcmp(wa_snapshot_type_name(snap, t), full) != 0) continue;
        const char *mod = wa_snapshot_type_module(snap, t);
        size_t ml = strlen(mod);
        if (ml && strncmp(full, mod, ml) == 0 && full[ml] == '.') return full + ml + 1;
        return full;
    }
    return full;
}

static const char *display_type(const char *full) {
    return strncmp(full, "builtins.", 9) == 0 ? full + 9 : full;
}

const char *wa_ana_obj_text(const cJSON *o, char *buf, size_t cap) {
    const char *name = wa_j_str(o, "name");
    int n = snprintf(buf, cap, "%s %s", wa_j_str(o, "addr"), display_type(wa_j_str(o, "type")));
    if (n > 0 && (size_t)n < cap && name[0]) snprintf(buf + n, cap - (size_t)n, " '%s'", name);
    else if (n > 0 && (size_t)n < cap && wa_j_get(o, "len"))
        snprintf(buf + n, cap - (size_t)n, " (len %" PRIu64 ")", wa_j_u64(o, "len"));
    return buf;
}

const char *wa_ana_addr_text(const wa_snapshot *snap, const char *addr, char *buf, size_t cap) {
    uint32_t i = wa_snapshot_find(snap, strtoull(addr, NULL, 16));
    if (i == WA_NONE) {
        snprintf(buf, cap, "%s", addr);
        return buf;
    }
    const wa_object *o = &wa_snapshot_objects(snap)[i];
    const char *name = wa_snapshot_string(snap, o->name);
    int n = snprintf(buf, cap, "%s %s", addr, wa_cli_type_display(snap, o->type));
    if (n > 0 && (size_t)n < cap && name[0]) snprintf(buf + n, cap - (size_t)n, " '%s'", name);
    else if (n > 0 && (size_t)n < cap && (o->flags & WA_OBJ_HAS_LEN))
        snprintf(buf + n, cap - (size_t)n, " (len %u)", o->length);
    return buf;
}

void wa_ana_print_cluster(const wa_snapshot *snap, const cJSON *c) {
    char a[32], b[32];
    const char *type = wa_ana_short_name(snap, wa_j_str(c, "type"));
    uint64_t count = wa_j_u64(c, "count");
    if (!wa_j_bool(c, "reachable")) {
        printf("%s %s (%s shallow) unreachable: no root reaches them (garbage awaiting "
               "collection, or referrers the dump could not see)\n",
               wa_cli_count(count, a), type, wa_cli_size(wa_j_u64(c, "shallow"), b));
        return;
    }
    printf("%s %s (%s retained) via %s\n", wa_cli_count(count, a), type,
           wa_cli_size(wa_j_u64(c, "retained"), b), wa_j_str(c, "path"));
}
