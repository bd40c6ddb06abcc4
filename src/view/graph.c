/*
 * view/graph.c: the `graph` document: draws the selection (src/render) and
 * reports what was drawn, what was cut and the limits used.
 */
#include <string.h>

#include "view/view_impl.h"

wa_view *wa_view_graph(const wa_view_source *src, const wa_view_options *o, wa_error *err) {
    const wa_render_options *ro = &o->render;
    cJSON *doc = wa_vj_doc(NULL, src, o);
    if (o->n == 0) {
        /* Nothing to draw is not an error: the document says so. */
        wa_vj_u64(doc, "selected", 0);
        cJSON_AddNullToObject(doc, "output");
        return wa_view_wrap(doc, err);
    }
    wa_render_stats st;
    memset(&st, 0, sizeof st);
    char *data = NULL;
    size_t len = 0;
    wa_status s;
    if (o->output) {
        s = wa_render_graph(src->session, o->objs, o->n, ro, o->output, &st, err);
    } else if (ro->format == WA_RENDER_FMT_DOT || ro->format == WA_RENDER_FMT_AUTO) {
        data = wa_render_dot(src->session, o->objs, o->n, ro, &len, &st, err);
        s = data ? WA_OK : err->code;
    } else {
        s = wa_render_data(src->session, o->objs, o->n, ro, &data, &len, &st, err);
    }
    if (s != WA_OK) {
        cJSON_Delete(doc);
        wa_render_free(data);
        return NULL;
    }
    if (o->output)
        cJSON_AddStringToObject(doc, "output", o->output);
    else
        cJSON_AddNullToObject(doc, "output");
    cJSON_AddStringToObject(doc, "format", wa_render_format_name(st.format));
    cJSON_AddStringToObject(doc, "mode", wa_render_mode_name(st.mode));
    cJSON_AddStringToObject(doc, "engine", st.engine);
    wa_vj_u64(doc, "nodes", st.nodes);
    wa_vj_u64(doc, "edges", st.edges);
    wa_vj_u64(doc, "objects", st.objects);
    wa_vj_u64(doc, "selected", st.selected);
    wa_vj_u64(doc, "selected_drawn", st.selected_drawn);
    wa_vj_u64(doc, "roots_drawn", st.roots_drawn);
    wa_vj_u64(doc, "clusters", st.clusters);
    wa_vj_u64(doc, "clusters_drawn", st.clusters_drawn);
    wa_vj_u64(doc, "unreachable", st.unreachable);
    cJSON *cut = cJSON_AddObjectToObject(doc, "cut");
    wa_vj_u64(cut, "max_nodes", st.cut_max_nodes);
    wa_vj_u64(cut, "depth", st.cut_depth);
    wa_vj_u64(cut, "collapsed", st.collapsed);
    wa_vj_u64(cut, "collapsed_nodes", st.collapsed_nodes);
    cJSON *lim = cJSON_AddObjectToObject(doc, "limits");
    wa_vj_u64(lim, "max_nodes", ro->max_nodes);
    wa_vj_u64(lim, "depth", ro->depth);
    wa_vj_u64(lim, "fan_in", ro->fan_in);
    wa_vj_u64(lim, "paths", ro->max_paths);
    wa_vj_u64(lim, "children", ro->children);
    wa_vj_u64(doc, "bytes", st.bytes);
    int is_dot = data && st.format == WA_RENDER_FMT_DOT;
    if (is_dot) {
        /* DOT is text (NUL-terminated): it belongs in the document. */
        cJSON_AddStringToObject(doc, "dot", data);
        wa_render_free(data);
        data = NULL;
    }
    wa_view *v = wa_view_wrap(doc, err);
    if (!v) {
        wa_render_free(data);
        return NULL;
    }
    v->data = data;
    v->len = len;
    return v;
}
