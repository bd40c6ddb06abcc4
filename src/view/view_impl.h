/*
 * view/view_impl.h: what the view builders (src/view/<view>.c) share: the
 * wa_view struct and the JSON shapes every document uses for objects,
 * roots, clusters and paths (docs/json.md, "Shared shapes"). Private to
 * src/view.
 *
 * Invariant: a shape is built in exactly one function here, and every view
 * that shows an object, root, cluster or path calls it, so the shapes are
 * the same in every document.
 */
#ifndef WA_VIEW_IMPL_H
#define WA_VIEW_IMPL_H

#include <cjson/cJSON.h>

#include "whyalive/view.h"

struct wa_view {
    cJSON *doc;
    char *data; /* wa_render_data() bytes, or NULL */
    size_t len;
};

/* Wrap doc (consumed) in a view; NULL doc or no memory: NULL and WA_ERR_NOMEM. */
wa_view *wa_view_wrap(cJSON *doc, wa_error *err);
/* The error of a view that could not get what it needs. */
wa_view *wa_view_fail_arg(wa_error *err, const char *what);

/* The snapshot behind a source, and its analyses (computed on first use by
 * the session; NULL with err filled on failure). */
static inline const wa_snapshot *wa_vw_snap(const wa_view_source *src) {
    return wa_session_snapshot(src->session);
}
static inline const wa_dom *wa_vw_dom(const wa_view_source *src, wa_error *err) {
    return wa_session_dom(src->session, err);
}
static inline const wa_path_tree *wa_vw_tree(const wa_view_source *src, wa_error *err) {
    return wa_session_tree(src->session, err);
}

/* The limit to use: opts->limit, or dflt for WA_VIEW_DEFAULT. */
uint32_t wa_vw_limit(const wa_view_options *o, uint32_t dflt);

/* Counts: a number up to 2^53 (exact in a double), a decimal string above. */
cJSON *wa_vj_u64(cJSON *obj, const char *name, uint64_t v);
cJSON *wa_vj_addr(cJSON *obj, const char *name, uint64_t addr);
/* "command" and "snapshot" (and "select" when the options have one). */
cJSON *wa_vj_doc(const char *command, const wa_view_source *src, const wa_view_options *o);

cJSON *wa_vj_obj(const wa_snapshot *snap, const wa_dom *dom, uint32_t obj);
/* "dict_of" of j when obj is a module's, class's or instance's __dict__. */
void wa_vj_dict_of(cJSON *j, const wa_snapshot *snap, uint32_t obj);
cJSON *wa_vj_root(const wa_snapshot *snap, uint32_t root);
cJSON *wa_vj_cluster(const wa_snapshot *snap, const wa_cluster *c, uint32_t max_members);
/* "sites" of j: the most common innermost allocation frames of objs, with
 * counts (absent when none has a site). */
void wa_vj_sites(cJSON *j, const wa_snapshot *snap, const uint32_t *objs, uint32_t n);
cJSON *wa_vj_path(const wa_snapshot *snap, const wa_dom *dom, const wa_path *p);
cJSON *wa_vj_unreachable(const wa_dom *dom);
/* The `suspects` document of a list already found (the report reuses the
 * list for the suspects' routes rather than finding it twice). */
cJSON *wa_vw_suspects_doc(const wa_view_source *src, const wa_view_options *o, const wa_dom *dom,
                          const wa_suspect_list *l);
/* Malloc'd wa_cluster_format() text, or NULL. */
char *wa_vw_cluster_text(const wa_snapshot *snap, const wa_cluster *c);

#endif
